"""Events queue -> run records, alert decisions and SLA sweeps (SQS batches, partial failures).

A message that can never be processed (not JSON, unknown type, missing fields) is moved to the
dead-letter queue with its reason at once instead of being retried; a failing AWS call fails only
its own message, which SQS delivers again.
"""

import json
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.clients import aws_client
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.services.evaluator import Evaluator, NotificationQueue, OrgConfig, parse_message
from dagy_ops.settings import get_settings
from dagy_ops.store.markers import Markers
from dagy_ops.store.notifications import ChannelRepository, RuleRepository
from dagy_ops.store.runs import RunRepository

settings = get_settings()
dynamodb = aws_client("dynamodb")
sqs = aws_client("sqs")
notifications_table = settings.notifications_table or ""
evaluator = Evaluator(
    RunRepository(dynamodb, settings.flows_table or ""),
    OrgConfig(
        RuleRepository(dynamodb, notifications_table),
        ChannelRepository(dynamodb, notifications_table),
        ttl_seconds=settings.rules_cache_seconds,
    ),
    Markers(dynamodb, settings.idempotency_table or "", "notified"),
    NotificationQueue(sqs, settings.notifications_queue_url or ""),
    stale_after=settings.stale_after,
)
processor = BatchProcessor(event_type=EventType.SQS)


def dead_letter(record: SQSRecord, reason: str) -> None:
    sqs.send_message(
        QueueUrl=settings.events_dlq_url,
        MessageBody=record.body or "",
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000] or "invalid"}},
    )
    metrics.add_metric(name="EventsDeadLettered", unit=MetricUnit.Count, value=1)
    org_id = org_of(record.body or "")
    if org_id:  # the org's dagy_events_dead_lettered_total; a body without an org has no one to tell
        evaluator.flows.count_dead_letter(org_id)
    logger.warning("Invalid event moved to the dead-letter queue", extra={"reason": reason[:1000]})


def org_of(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    org_id = data.get("org_id") if isinstance(data, dict) else None
    return org_id if isinstance(org_id, str) and 0 < len(org_id) <= 64 else None


def evaluate(record: SQSRecord) -> None:
    try:
        event = parse_message(record.body or "")
    except ValueError as error:  # JSON and pydantic errors: retrying would never help
        dead_letter(record, str(error))
        return
    now = datetime.now(UTC)
    if event is None:
        sent = evaluator.sweep(now)
    else:
        logger.append_keys(org_id=event.org_id, event_id=event.event_id)
        sent = evaluator.on_run_event(event, now)
    if sent:
        metrics.add_metric(name="NotificationsQueued", unit=MetricUnit.Count, value=sent)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=evaluate, processor=processor, context=context
    )
