"""Shapes shared by every endpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, PlainSerializer


def format_time(value: datetime) -> str:
    """ISO-8601 UTC with a `Z`, to the second, as the seeds show times."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """The inverse of `format_time`."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


UtcTime = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def normalize_email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not a valid email address")
    return value.lower()


EmailAddress = Annotated[str, AfterValidator(normalize_email)]


class ErrorResponse(BaseModel):
    """Every error answer: `{"code": ..., "message": ..., "details": {...}}`."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Resource doesn't exist"])
    details: dict[str, Any] = Field(default_factory=dict)
