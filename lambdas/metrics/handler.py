"""GET /metrics: the caller's org in the Prometheus text format, from counters, never from runs."""

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import create_resolver, current_principal
from dagy_ops.clients import aws_client
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.prometheus import CONTENT_TYPE, exposition
from dagy_ops.settings import get_settings
from dagy_ops.store.flows import FlowRepository

settings = get_settings()
flows = FlowRepository(aws_client("dynamodb"), settings.flows_table or "")
app = create_resolver()


@app.get(
    "/metrics",
    summary="Prometheus metrics of the caller's org",
    tags=["metrics"],
    responses={
        200: {"description": "Prometheus text exposition format 0.0.4", "content": {"text/plain": {}}}
    },
)
def get_metrics() -> Response[str]:
    org, flow_stats = flows.scrape(current_principal(app).org_id)
    body = exposition(org, flow_stats, settings.service_version, datetime.now(UTC), settings.stale_after)
    return Response(status_code=200, content_type=CONTENT_TYPE, body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
