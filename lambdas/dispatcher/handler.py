"""Notifications queue (FIFO, one group per channel) -> Slack, email, webhook or PagerDuty.

A failed message is held back by setting its visibility timeout to the backoff delay and
reporting it failed; only its own channel's group waits (SqsFifoPartialProcessor skips the rest
of that group in the batch, other channels go on). After the queue's receive limit SQS moves it
to the dead-letter queue.
"""

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.clients import aws_client
from dagy_ops.models.events import NotificationMessage
from dagy_ops.notify.http import TargetClient
from dagy_ops.notify.senders import build_senders
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.schema import NOTIFICATIONS_QUEUE
from dagy_ops.services.dispatcher import Dispatcher, GiveUp, RetryLater
from dagy_ops.settings import get_settings
from dagy_ops.store.deliveries import DeliveryRepository
from dagy_ops.store.flows import FlowRepository
from dagy_ops.store.markers import Markers
from dagy_ops.store.notifications import ChannelRepository

settings = get_settings()
dynamodb = aws_client("dynamodb")
sqs = aws_client("sqs")
http = TargetClient(settings.delivery_timeout_seconds, settings.allow_private_targets)
dispatcher = Dispatcher(
    ChannelRepository(dynamodb, settings.notifications_table or ""),
    DeliveryRepository(
        dynamodb, settings.deliveries_table or "", timedelta(days=settings.delivery_retention_days)
    ),
    Markers(dynamodb, settings.idempotency_table or "", "delivered"),
    Markers(dynamodb, settings.idempotency_table or "", "incident", lifetime=timedelta(days=30)),
    build_senders(
        http,
        lambda: aws_client("sesv2"),
        settings.email_sender,
        settings.pagerduty_events_url,
        settings.run_url_base,
    ),
    max_attempts=NOTIFICATIONS_QUEUE.max_receive_count,
    counters=FlowRepository(dynamodb, settings.flows_table or ""),
)
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# One send may take a connect and a read timeout; stop starting sends when fewer than two fit.
SEND_BUDGET_MS = int(2 * 2 * settings.delivery_timeout_seconds * 1000) + 1000


def count(name: str, channel_type: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    """One EMF metric per record with its own channel_type dimension (a batch mixes channel types)."""
    with single_metric(name=name, unit=unit, value=value) as metric:
        metric.add_dimension(name="channel_type", value=channel_type)


class OutOfTime(Exception):
    """Not attempted: the invocation is about to time out. The message comes back at once."""


def deliver(record: SQSRecord, lambda_context: LambdaContext) -> None:
    if lambda_context.get_remaining_time_in_millis() < SEND_BUDGET_MS:
        sqs.change_message_visibility(
            QueueUrl=settings.notifications_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=0,
        )
        raise OutOfTime(record.message_id)
    message = NotificationMessage.model_validate_json(record.body or "")
    attempt = int(record.attributes.approximate_receive_count or 1)
    logger.append_keys(notification_id=message.notification_id, channel_type=message.channel_type)
    try:
        delivery = dispatcher.dispatch(message, attempt, datetime.now(UTC))
    except RetryLater as retry:
        sqs.change_message_visibility(
            QueueUrl=settings.notifications_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=retry.delay_seconds,
        )
        count("DeliveriesRetried", message.channel_type)
        raise
    except GiveUp:
        count("DeliveriesDeadLettered", message.channel_type)
        raise
    if delivery is not None:
        count(f"Deliveries{delivery.outcome.title()}", message.channel_type)
        if delivery.latency_ms is not None:
            count("DeliveryLatency", message.channel_type, delivery.latency_ms, MetricUnit.Milliseconds)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)
