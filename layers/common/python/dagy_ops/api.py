"""The resolver every API function uses, and the one mapping from failures to error answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from dagy_ops.errors import BadRequest, DagyError, NotFound, ValidationFailed
from dagy_ops.models.common import ErrorResponse
from dagy_ops.observability import logger


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


def create_resolver() -> APIGatewayRestResolver:
    """An APIGatewayRestResolver with pydantic validation and the documented error format."""
    app = APIGatewayRestResolver(enable_validation=True)

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
