"""ProcessingStack: the events and notifications queues with their dead-letter queues, and the
asynchronous functions: the stream-fed audit writer, the events evaluator with its SLA schedule and
the notifications dispatcher, which emails from the address of the `EmailSender` parameter."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from dagy_ops.audit import STREAM_FILTERS
from dagy_ops.schema import (
    AUDIT,
    AUDIT_FAILURES_QUEUE,
    AUDITED_TABLES,
    DELIVERIES,
    EVENTS_QUEUE,
    FLOWS,
    IDEMPOTENCY,
    NOTIFICATIONS,
    NOTIFICATIONS_QUEUE,
    QUEUES,
    QueueSpec,
)
from stacks.constructs.email import (
    DEFAULT_EMAIL_SENDER,
    EMAIL_SENDER_DESCRIPTION,
    EMAIL_SENDER_ENV,
    EMAIL_SENDER_PATTERN,
)
from stacks.constructs.function import DagyFunction
from stacks.constructs.layers import Layers
from stacks.data import DataStack

DLQ_RETENTION = Duration.days(14)


class ProcessingStack(Stack):
    """Exposes `queues` and `dead_letter_queues` (by QueueSpec.logical_id), `functions` (by name),
    `email_sender` (the parameter) and `email_sender_setting` (the SSM name other stacks read it by)."""

    def __init__(self, scope: Construct, construct_id: str, *, data: DataStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data = data
        self.layers = Layers(self, "Layers")
        self.functions: dict[str, lambda_.Function] = {}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in QUEUES:
            self._queue_with_dlq(spec)
        self.audit_failures = self._encrypted_queue(AUDIT_FAILURES_QUEUE.logical_id, retention=DLQ_RETENTION)
        self.dead_letter_queues[AUDIT_FAILURES_QUEUE.logical_id] = self.audit_failures
        for queue in (*self.queues.values(), *self.dead_letter_queues.values()):
            CfnOutput(self, f"{queue.node.id}Url", value=queue.queue_url)

        self.audit_writer = self.add_function(
            "audit_writer", environment={AUDIT.env_var: data.tables[AUDIT.logical_id].table_name}
        )
        # The writer may only add entries: no update, no delete, no read of the audit table.
        self.audit_writer.grant_table(data.tables[AUDIT.logical_id], AUDIT, ["dynamodb:PutItem"], data.key)
        for table in AUDITED_TABLES:
            self.audit_writer.function.add_event_source(
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
        self.email_sender = CfnParameter(
            self,
            "EmailSender",
            type="String",
            default=DEFAULT_EMAIL_SENDER,
            allowed_pattern=EMAIL_SENDER_PATTERN,
            constraint_description="one email address, such as alerts@example.com",
            description=EMAIL_SENDER_DESCRIPTION,
        )
        # The API's channel test sends email too. It reads the address from SSM when it deploys: an
        # export would block every later change of the parameter (CloudFormation refuses to change
        # an export another stack imports).
        self.email_sender_setting = f"/{self.stack_name}/email-sender"
        ssm.StringParameter(
            self,
            "EmailSenderSetting",
            parameter_name=self.email_sender_setting,
            string_value=self.email_sender.value_as_string,
            description="Dagy Ops: the EmailSender parameter of this stack, for the API stack",
        )
        self.evaluator = self._evaluator()
        self.dispatcher = self._dispatcher()

    def _evaluator(self) -> DagyFunction:
        """Events queue -> evaluator -> notifications queue, and the schedule that asks for SLA sweeps."""
        data = self.data
        evaluator = self.add_function(
            "evaluator",
            environment={**data.function_environment(), **self.function_environment()},
            timeout_seconds=10,
        )
        tables = {
            spec.logical_id: data.tables[spec.logical_id] for spec in (FLOWS, NOTIFICATIONS, IDEMPOTENCY)
        }
        # A run, its flow and the flow's counters are read in one batch and written in one
        # transaction (Put run, Update counters, Put a flow first seen); org counters are UpdateItems.
        runs = [
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
        ]  # fmt: skip
        evaluator.grant_table(tables[FLOWS.logical_id], FLOWS, runs, data.key)
        rules = ["dynamodb:Query", "dynamodb:BatchGetItem"]
        evaluator.grant_table(tables[NOTIFICATIONS.logical_id], NOTIFICATIONS, rules, data.key)
        markers = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"]
        evaluator.grant_table(tables[IDEMPOTENCY.logical_id], IDEMPOTENCY, markers, data.key)
        evaluator.grant_send(self.queues[NOTIFICATIONS_QUEUE.logical_id])
        # Events that can never be processed go to the dead-letter queue at once, with a reason.
        evaluator.grant_send(self.dead_letter_queues[EVENTS_QUEUE.logical_id])
        self.consume(evaluator, EVENTS_QUEUE, max_batching_window=Duration.seconds(1))
        # EventBridge encrypts with the data key to write to the queue: the SqsQueue target adds that
        # to the key's policy, for this account's rules only.
        events.Rule(
            self,
            "SlaSweep",
            description="Dagy Ops: check running runs against their SLA rules",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[
                targets.SqsQueue(
                    self.queues[EVENTS_QUEUE.logical_id],
                    message=events.RuleTargetInput.from_object({"type": "sla.sweep"}),
                )
            ],
        )
        return evaluator

    def _dispatcher(self) -> DagyFunction:
        """Notifications queue -> Slack, email, webhooks, PagerDuty; a delivery record per attempt."""
        data = self.data
        dispatcher = self.add_function(
            "dispatcher",
            environment={
                **data.function_environment(),
                **self.function_environment(),
                EMAIL_SENDER_ENV: self.email_sender.value_as_string,
            },
            # Up to 10 sends a batch, each with short connect and read timeouts.
            timeout_seconds=30,
        )
        # Reads the channel; a Slack 404/410 or webhook 410 writes it back disabled (a conditional put).
        channels = ["dynamodb:GetItem", "dynamodb:PutItem"]
        dispatcher.grant_table(data.tables[NOTIFICATIONS.logical_id], NOTIFICATIONS, channels, data.key)
        dispatcher.grant_table(data.tables[DELIVERIES.logical_id], DELIVERIES, ["dynamodb:PutItem"], data.key)
        # dagy_notifications_total: an atomic ADD on the org's counters item.
        dispatcher.grant_table(data.tables[FLOWS.logical_id], FLOWS, ["dynamodb:UpdateItem"], data.key)
        # "delivered" and PagerDuty "incident" markers: checked, written in batches, cleared on resolve.
        markers = ["dynamodb:GetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]
        dispatcher.grant_table(data.tables[IDEMPOTENCY.logical_id], IDEMPOTENCY, markers, data.key)
        dispatcher.grant_send_email(self.email_sender.value_as_string)
        # Backoff is the message's visibility timeout: consuming grants ChangeMessageVisibility.
        self.consume(dispatcher, NOTIFICATIONS_QUEUE)
        return dispatcher

    def add_function(
        self,
        name: str,
        *,
        environment: dict[str, str] | None = None,
        timeout_seconds: int = 30,
        memory_size: int = 512,
    ) -> DagyFunction:
        """A standard function of this stack; the monitoring stack gives it an error alarm."""
        fn = DagyFunction(
            self,
            name.title().replace("_", ""),
            name=name,
            layers=self.layers,
            environment=environment,
            timeout_seconds=timeout_seconds,
            memory_size=memory_size,
        )
        self.functions[name] = fn.function
        return fn

    def consume(
        self,
        fn: DagyFunction,
        spec: QueueSpec,
        *,
        batch_size: int = 10,
        max_batching_window: Duration | None = None,
    ) -> None:
        """Feed `fn` from a queue; failed messages of a batch are retried alone, then dead-lettered."""
        queue = self.queues[spec.logical_id]
        if spec.fifo and (max_batching_window is not None or batch_size > 10):
            raise ValueError(
                f"{spec.logical_id} is FIFO: Lambda reads it with no batching window, at most 10 at a time"
            )
        if fn.function.timeout and fn.function.timeout.to_seconds() > spec.visibility_timeout_seconds:
            raise ValueError(f"{fn.name} may run longer than {spec.logical_id}'s visibility timeout")
        fn.function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=batch_size,
                max_batching_window=max_batching_window,
                report_batch_item_failures=True,
            )
        )

    def _encrypted_queue(
        self,
        construct_id: str,
        *,
        fifo: bool = False,
        retention: Duration | None = None,
        visibility_timeout: Duration | None = None,
        dead_letter_queue: sqs.DeadLetterQueue | None = None,
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.data.key,
            enforce_ssl=True,
            retention_period=retention,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=dead_letter_queue,
        )

    def _queue_with_dlq(self, spec: QueueSpec) -> None:
        # A FIFO queue needs a FIFO dead-letter queue; CloudFormation gives both a `.fifo` name.
        dlq = self._encrypted_queue(f"{spec.logical_id}Dlq", fifo=spec.fifo, retention=DLQ_RETENTION)
        self.dead_letter_queues[spec.logical_id] = dlq
        self.queues[spec.logical_id] = self._encrypted_queue(
            spec.logical_id,
            fifo=spec.fifo,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        )

    def function_environment(self) -> dict[str, str]:
        return {
            **{spec.env_var: self.queues[spec.logical_id].queue_url for spec in QUEUES},
            **{spec.dlq_env_var: self.dead_letter_queues[spec.logical_id].queue_url for spec in QUEUES},
        }
