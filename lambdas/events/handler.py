"""POST /events: run events from Dagy workers, validated, stamped with the token's org, queued."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import create_resolver, current_principal
from dagy_ops.clients import aws_client
from dagy_ops.models.events import EventBatch, EventsAccepted, RunEvent
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.settings import get_settings

settings = get_settings()
sqs = aws_client("sqs")
app = create_resolver()


@app.post("/events", summary="Report run events (one, or up to 100 as {'events': [...]})", tags=["events"])
def post_events(body: Annotated[EventBatch, Body()]) -> Response[EventsAccepted]:
    org_id = current_principal(app).org_id  # never from the body
    events = [RunEvent(**event.model_dump(), org_id=org_id) for event in body.events]
    for start in range(0, len(events), 10):
        entries = [
            {"Id": str(i), "MessageBody": event.model_dump_json()}
            for i, event in enumerate(events[start : start + 10])
        ]
        failed = sqs.send_message_batch(QueueUrl=settings.events_queue_url, Entries=entries).get("Failed")
        if failed:
            raise RuntimeError(f"events queue refused {len(failed)} message(s)")
    accepted = EventsAccepted(accepted=[event.event_id for event in events])
    return Response[Any](status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
