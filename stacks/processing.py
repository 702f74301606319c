"""ProcessingStack: the events and notifications queues with their dead-letter queues, the shared
layers, and the asynchronous functions (for now the stream-fed audit writer)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from dagy_ops.audit import STREAM_FILTERS
from dagy_ops.schema import AUDIT, AUDIT_FAILURES_QUEUE, AUDITED_TABLES, QUEUES, QueueSpec
from stacks.constructs.function import DagyFunction, grant_table
from stacks.constructs.layers import Layers
from stacks.data import DataStack

DLQ_RETENTION = Duration.days(14)


class ProcessingStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, data: DataStack, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.layers = Layers(self, "Layers")
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in QUEUES:
            self._queue_with_dlq(spec, data)
        self.audit_failures = self._encrypted_queue(AUDIT_FAILURES_QUEUE.logical_id, data, DLQ_RETENTION)
        self.dead_letter_queues[AUDIT_FAILURES_QUEUE.logical_id] = self.audit_failures

        self.audit_writer = DagyFunction(
            self,
            "AuditWriter",
            name="audit_writer",
            layers=self.layers,
            environment={AUDIT.env_var: data.tables[AUDIT.logical_id].table_name},
            timeout_seconds=30,
        ).function
        # The writer may only add entries: no update, no delete, no read of the audit table.
        grant_table(self.audit_writer, data.tables[AUDIT.logical_id], AUDIT, ["dynamodb:PutItem"])
        data.key.grant_encrypt_decrypt(self.audit_writer)
        for table in AUDITED_TABLES:
            self.audit_writer.add_event_source(
                sources.DynamoEventSource(
                    data.tables[table.logical_id],
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=100,
                    max_batching_window=Duration.seconds(1),
                    bisect_batch_on_error=True,
                    retry_attempts=3,
                    report_batch_item_failures=True,
                    on_failure=sources.SqsDlq(self.audit_failures),
                    filters=[
                        lambda_.FilterCriteria.filter(pattern) for pattern in STREAM_FILTERS[table.logical_id]
                    ],
                )
            )

    def _encrypted_queue(
        self, construct_id: str, data: DataStack, retention: Duration | None = None, **kwargs: object
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            retention_period=retention,
            **kwargs,  # type: ignore[arg-type]
        )

    def _queue_with_dlq(self, spec: QueueSpec, data: DataStack) -> None:
        dlq = self._encrypted_queue(f"{spec.logical_id}Dlq", data, DLQ_RETENTION)
        self.dead_letter_queues[spec.logical_id] = dlq
        self.queues[spec.logical_id] = self._encrypted_queue(
            spec.logical_id,
            data,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        )

    def function_environment(self) -> dict[str, str]:
        return {spec.env_var: self.queues[spec.logical_id].queue_url for spec in QUEUES}
