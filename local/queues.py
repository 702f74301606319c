"""Local SQS event source mappings and the SLA sweep schedule.

The poller receives up to `batch_size` messages, invokes the function with Lambda's SQS event
shape, and deletes every message but those named in `batchItemFailures` (all of them stay when
the function crashes). Failed messages come back after the visibility timeout; past the queue's
receive limit the emulator's redrive policy moves them to the dead-letter queue, as SQS does.
"""

from __future__ import annotations

import json
import threading
import traceback
from typing import Any

from local.functions import FunctionRegistry


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


class QueuePoller:
    def __init__(
        self, sqs: Any, queue_url: str, functions: FunctionRegistry, function: str, batch_size: int = 10
    ):
        self.sqs = sqs
        self.url = queue_url
        self.functions = functions
        self.function = function
        self.batch_size = batch_size
        self.arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=5)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and deliver it; answers the messages received."""
        messages = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.functions.invoke(
                self.function, {"Records": [lambda_record(m, self.arn) for m in messages]}
            )
            failed = {failure["itemIdentifier"] for failure in (result or {}).get("batchItemFailures", [])}
        except Exception:
            traceback.print_exc()
            return len(messages)  # the whole batch comes back after the visibility timeout
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                traceback.print_exc()
                self.stopped.wait(1)


class SweepSchedule:
    """What the EventBridge rule does in AWS: put `{"type": "sla.sweep"}` on the events queue."""

    def __init__(self, sqs: Any, queue_url: str, interval_seconds: float) -> None:
        self.sqs = sqs
        self.url = queue_url
        self.interval = interval_seconds
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sla-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps({"type": "sla.sweep"}))
            except Exception:
                traceback.print_exc()
