"""Runtime configuration, read once at cold start from the environment the stack sets."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from dagy_ops import __version__


class Settings(BaseModel):
    """Every setting a function reads. Unset resources are None: health reports them `degraded`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    flows_table: str | None = Field(None, alias="FLOWS_TABLE")
    notifications_table: str | None = Field(None, alias="NOTIFICATIONS_TABLE")
    tokens_table: str | None = Field(None, alias="TOKENS_TABLE")
    audit_table: str | None = Field(None, alias="AUDIT_TABLE")
    deliveries_table: str | None = Field(None, alias="DELIVERIES_TABLE")
    idempotency_table: str | None = Field(None, alias="IDEMPOTENCY_TABLE")
    artifact_bucket: str | None = Field(None, alias="ARTIFACT_BUCKET")
    events_queue_url: str | None = Field(None, alias="EVENTS_QUEUE_URL")
    notifications_queue_url: str | None = Field(None, alias="NOTIFICATIONS_QUEUE_URL")
    events_dlq_url: str | None = Field(None, alias="EVENTS_DLQ_URL")
    rules_cache_seconds: float = Field(30, ge=0, alias="DAGY_RULES_CACHE_SECONDS")
    stale_run_seconds: int = Field(24 * 3600, gt=0, alias="DAGY_STALE_RUN_SECONDS")
    """A run still `running` this long after its start, with no end reported, is reported `stale`."""
    cursor_secret_arn: str | None = Field(None, alias="CURSOR_SECRET_ARN")

    service_version: str = Field(__version__, alias="DAGY_VERSION")
    health_timeout_seconds: float = Field(2.0, gt=0, le=10, alias="DAGY_HEALTH_TIMEOUT_SECONDS")
    allow_private_targets: bool = Field(False, alias="DAGY_ALLOW_PRIVATE_TARGETS")
    email_sender: str | None = Field(None, alias="DAGY_EMAIL_SENDER")
    pagerduty_events_url: str = Field(
        "https://events.pagerduty.com/v2/enqueue", alias="DAGY_PAGERDUTY_EVENTS_URL"
    )
    run_url_base: str | None = Field(None, alias="DAGY_RUN_URL_BASE")
    delivery_timeout_seconds: float = Field(3.0, gt=0, le=10, alias="DAGY_DELIVERY_TIMEOUT_SECONDS")
    delivery_retention_days: int = Field(30, gt=0, alias="DAGY_DELIVERY_RETENTION_DAYS")
    max_body_bytes: int = Field(64 * 1024, alias="DAGY_MAX_BODY_BYTES")
    audit_retention_days: int = Field(365, gt=0, alias="DAGY_AUDIT_RETENTION_DAYS")
    soft_delete_retention_days: int = Field(30, gt=0, alias="DAGY_SOFT_DELETE_RETENTION_DAYS")

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=self.stale_run_seconds)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing env."""
    # Empty strings count as unset, so `FLOWS_TABLE=` in a shell reads as "not configured".
    return Settings.model_validate({key: value for key, value in os.environ.items() if value})
