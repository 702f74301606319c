"""GET /health: public platform health, as the Dagy operations page documents it."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import create_resolver
from dagy_ops.clients import aws_client
from dagy_ops.health import aws_checks, build_report, run_checks
from dagy_ops.models.health import HealthReport
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.settings import get_settings

STARTED = time.monotonic()
settings = get_settings()
timeout = settings.health_timeout_seconds
checks = aws_checks(
    settings,
    dynamodb=aws_client("dynamodb", timeout),
    s3=aws_client("s3", timeout),
    sqs=aws_client("sqs", timeout),
)
# Module-level so warm invocations reuse threads; sized so a probe still hanging from a previous
# call never starves the next one.
executor = ThreadPoolExecutor(max_workers=3 * len(checks), thread_name_prefix="health")
app = create_resolver()


@app.get("/health", summary="Platform health", tags=["health"])
def get_health() -> Response[HealthReport]:
    components = run_checks(checks, executor, timeout)
    report = build_report(
        components, settings.service_version, int(time.monotonic() - STARTED), datetime.now(UTC)
    )
    if report.status != "healthy":
        metrics.add_metric(name=f"Health{report.status.title()}", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=503 if report.status == "unhealthy" else 200,
        content_type=content_types.APPLICATION_JSON,
        body=report,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
