"""GET /openapi.json and GET /docs: the API's OpenAPI document and Swagger UI, public."""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

import dagy_ops
from dagy_ops.api import create_resolver
from dagy_ops.observability import logger, metrics, tracer

# Generated from the resolvers' models by `make openapi` and shipped in the common layer.
SPEC = (Path(dagy_ops.__file__).parent / "openapi.json").read_text()
_ASSETS = Path(generate_swagger_html.__code__.co_filename).parent
app = create_resolver()


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=SPEC)


@app.get("/docs", include_in_schema=False)
def swagger_ui() -> Response[Any]:
    page = generate_swagger_html(
        SPEC,
        swagger_js=(_ASSETS / "swagger-ui-bundle.min.js").read_text(),
        swagger_css=(_ASSETS / "swagger-ui.min.css").read_text(),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=page)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
