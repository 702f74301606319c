"""Domain exceptions. The library raises them; `dagy_ops.api` maps each to its HTTP answer."""

from __future__ import annotations

from typing import Any


class DagyError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(DagyError):
    status, code = 400, "bad_request"


class ValidationFailed(DagyError):
    status, code = 422, "validation_error"


class Unauthorized(DagyError):
    status, code = 401, "unauthorized"


class Forbidden(DagyError):
    status, code = 403, "forbidden"


class NotFound(DagyError):
    status, code = 404, "not_found"


class Conflict(DagyError):
    status, code = 409, "conflict"


class PreconditionFailed(DagyError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(DagyError):
    status, code = 413, "payload_too_large"


class RateLimited(DagyError):
    status, code = 429, "rate_limited"
