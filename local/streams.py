"""Local DynamoDB stream event source mappings: poll the emulator's streams, filter, invoke.

Same record shape as Lambda's (with `eventSourceARN`), the same filter patterns as the CDK
mappings, batches of up to `batch_size`, and Lambda's partial-failure contract: records named in
`batchItemFailures` are retried (one at a time, as bisecting ends up doing) up to `max_retries`,
then their coordinates go to the on-failure queue, as an on-failure destination would send them.
"""

from __future__ import annotations

import json
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagy_ops.audit import matches_filter
from local.functions import FunctionRegistry


@dataclass
class StreamSource:
    table_name: str
    filters: list[dict[str, Any]]
    function: str
    batch_size: int = 100
    max_retries: int = 2
    on_failure_queue_url: str | None = None


def lambda_shape(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it: JSON types (boto3 parsed the time) and its source ARN."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


class StreamPoller:
    def __init__(
        self, sources: list[StreamSource], functions: FunctionRegistry, dynamodb: Any, streams: Any, sqs: Any
    ):
        self.sources = sources
        self.functions = functions
        self.dynamodb = dynamodb
        self.streams = streams
        self.sqs = sqs
        self.stopped = threading.Event()
        self._iterators: dict[tuple[str, str], str | None] = {}
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)

    def start(self) -> None:
        for source in self.sources:
            arn = self.dynamodb.describe_table(TableName=source.table_name)["Table"]["LatestStreamArn"]
            for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                iterator = self.streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._iterators[(source.table_name, arn)] = iterator
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=5)

    def poll_once(self) -> int:
        """Read every shard once and deliver what passed the filters; answers records delivered."""
        delivered = 0
        for source in self.sources:
            for (table, arn), iterator in list(self._iterators.items()):
                if table != source.table_name or iterator is None:
                    continue
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                self._iterators[(table, arn)] = page.get("NextShardIterator")
                records = [
                    lambda_shape(record, arn)
                    for record in page["Records"]
                    if any(matches_filter(pattern, record) for pattern in source.filters)
                ]
                for start in range(0, len(records), source.batch_size):
                    self._deliver(source, records[start : start + source.batch_size])
                delivered += len(records)
        return delivered

    def _deliver(self, source: StreamSource, batch: list[dict[str, Any]]) -> None:
        failed = self._invoke(source, batch)
        for _ in range(source.max_retries):
            if not failed:
                return
            failed = [record for record in failed if self._invoke(source, [record])]
        for record in failed:
            self._send_to_failure_queue(source, record)

    def _invoke(self, source: StreamSource, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records to retry: those the function reported, or the whole batch when it crashed."""
        try:
            result = self.functions.invoke(source.function, {"Records": batch}) or {}
        except Exception:
            traceback.print_exc()
            return batch
        failed_ids = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        return [record for record in batch if record["dynamodb"]["SequenceNumber"] in failed_ids]

    def _send_to_failure_queue(self, source: StreamSource, record: dict[str, Any]) -> None:
        if source.on_failure_queue_url:
            body = {
                "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": source.function},
                "DDBStreamBatchInfo": {
                    "streamArn": record["eventSourceARN"],
                    "startSequenceNumber": record["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": record["dynamodb"]["SequenceNumber"],
                    "batchSize": 1,
                },
            }
            self.sqs.send_message(QueueUrl=source.on_failure_queue_url, MessageBody=json.dumps(body))

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.poll_once()
            except Exception:
                traceback.print_exc()
            self.stopped.wait(0.25)
