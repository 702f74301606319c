"""DynamoDB streams of the audited tables -> one audit entry per change (idempotent).

A record that cannot be mapped is reported as a batch item failure and never stops the others;
the event source mapping retries it, bisecting the batch, then sends it to its failure queue.
"""

from datetime import timedelta

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.audit import audit_entry
from dagy_ops.clients import aws_client
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.settings import get_settings
from dagy_ops.store.audit import AuditRepository

settings = get_settings()
audit = AuditRepository(aws_client("dynamodb"), settings.audit_table or "")
retention = timedelta(days=settings.audit_retention_days)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_change(record: DynamoDBRecord) -> None:
    entry = audit_entry(record.raw_event, retention)
    if entry is None:
        return
    if audit.put(entry):
        metrics.add_metric(name="AuditEntriesWritten", unit=MetricUnit.Count, value=1)
    else:
        logger.info("Audit entry already written", extra={"event_time": entry.event_time})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_change, processor=processor, context=context
    )
