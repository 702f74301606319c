"""The resolver every API function uses, and the one mapping from failures to error answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from dagy_ops.auth import Principal, principal_from_request
from dagy_ops.clients import aws_client
from dagy_ops.errors import BadRequest, DagyError, NotFound, PayloadTooLarge, ValidationFailed
from dagy_ops.models.common import ErrorResponse
from dagy_ops.observability import logger
from dagy_ops.pagination import Paginator
from dagy_ops.routes import route_for
from dagy_ops.settings import get_settings

# The paging parameters of every list endpoint.
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (default 50)")]
NextToken = Annotated[str | None, Query(description="The next_token of the previous page")]


def make_paginator() -> Paginator:
    """Signed cursors keyed by the deployment's secret (the Secrets Manager client made on first use)."""
    return Paginator(get_settings().cursor_secret_arn, lambda: aws_client("secretsmanager"))


def error_response(error: DagyError) -> Response[str]:
    body = ErrorResponse(code=error.code, message=error.message, details=error.details)
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
    )


def validation_error(exc: RequestValidationError) -> DagyError:
    """422 naming every offending field; a body that is not JSON at all is a 400."""
    problems = [dict(error) for error in exc.errors()]
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return BadRequest("Request body is not valid JSON")
    fields = {
        ".".join(str(part) for part in problem.get("loc", ()) if part != "body"): problem.get(
            "msg", "invalid"
        )
        for problem in problems
    }
    return ValidationFailed("Request validation failed", details={"fields": fields})


class JsonApiResolver(APIGatewayRestResolver):
    """Every request body is JSON, whatever its Content-Type says.

    `curl -d '{...}'` (the seed's examples) labels JSON as a form; Powertools would then parse it
    as one. The API takes JSON only, so the label is normalised before validation sees it.
    """

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        # Checked before Powertools parses and validates the body, which it does first of all.
        limit = get_settings().max_body_bytes
        if len((event.get("body") or "").encode()) > limit:
            error = PayloadTooLarge(f"Request body exceeds {limit} bytes", {"limit": limit})
            body = ErrorResponse(code=error.code, message=error.message, details=error.details)
            return {
                "statusCode": error.status,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": body.model_dump_json(),
                "isBase64Encoded": False,
            }
        return super().resolve(with_json_content_type(event), context)


def with_json_content_type(event: Mapping[str, Any]) -> Mapping[str, Any]:
    if not event.get("body"):
        return event
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "headers": {**headers, "Content-Type": "application/json"},
        "multiValueHeaders": {**multi, "Content-Type": ["application/json"]},
    }


def create_resolver() -> APIGatewayRestResolver:
    """A resolver with pydantic validation, JSON bodies, route permissions and the error format."""
    app = JsonApiResolver(enable_validation=True)
    app.use(middlewares=[enforce_route_permission])

    @app.exception_handler(DagyError)
    def handle_domain_error(exc: DagyError) -> Response[Any]:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(exc: RequestValidationError) -> Response[Any]:
        return error_response(validation_error(exc))

    @app.not_found
    def handle_not_found(exc: NotFoundError) -> Response[Any]:
        return error_response(
            NotFound(f"No route for {app.current_event.http_method} {app.current_event.path}")
        )

    @app.exception_handler(Exception)
    def handle_unexpected(exc: Exception) -> Response[Any]:
        logger.exception("Unhandled error")
        return error_response(DagyError("Internal server error"))

    return app


def current_principal(app: APIGatewayRestResolver) -> Principal:
    """The caller the authorizer resolved; its source IP comes from API Gateway, not from headers."""
    event = app.current_event
    return principal_from_request(
        event.raw_event.get("requestContext", {}).get("authorizer"), event.request_context.identity.source_ip
    )


def enforce_route_permission(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse callers without the route's permission before the route runs.

    The authorizer's policy already denies routes the token lacks; this is the second lock, and it
    keeps the route table the single place that says which permission a route needs.
    """
    event = app.current_event
    route = route_for(event.http_method, event.resource)
    if route is not None and route.permission is not None:
        current_principal(app).require(route.permission)
    return next_middleware(app)


def if_match_version(app: APIGatewayRestResolver) -> int | None:
    """The version in `If-Match` (`3`, `"3"` or `W/"3"`), None when absent; garbage is a 400."""
    raw = app.current_event.headers.get("if-match") or app.current_event.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise BadRequest("If-Match must be the resource's version, e.g. If-Match: 3", {"header": "If-Match"})
    return int(value)


def created(body: BaseModel) -> Response[Any]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


def versioned(body: BaseModel, version: int) -> Response[Any]:
    """A single resource with its version as ETag, for the next If-Match."""
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"ETag": f'"{version}"'},
    )


def no_content() -> Response[Any]:
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")
