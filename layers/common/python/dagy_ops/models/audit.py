"""Audit entries, exactly in the shape the Dagy operations page shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ResourceType = Literal["channel", "rule", "flow", "token"]
Action = Literal["create", "update", "delete", "deploy", "suspend", "resume"]


class AuditEntry(BaseModel):
    org_id: str = Field(examples=["org_123"])
    event_time: str = Field(description="<ISO-8601 UTC>#<id>", examples=["2026-01-15T10:30:00Z#abc123"])
    resource_type: ResourceType
    resource_id: str = Field(examples=["daily_etl"])
    action: Action
    actor_email: str = Field(examples=["user@example.com"])
    before_json: dict[str, Any] | None = None
    after_json: dict[str, Any] | None = Field(None, examples=[{"version": "3", "deployment": "prod"}])
    ip_address: str | None = Field(None, examples=["203.0.113.1"])
    ttl: int | None = Field(None, exclude=True, description="Retention: DynamoDB TTL, never shown")


class AuditLogList(BaseModel):
    items: list[AuditEntry]
    next_token: str | None = None
