"""Delivery records: one per attempt to send a notification through a channel."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dagy_ops.models.common import UtcTime

Outcome = Literal["sent", "retrying", "failed", "dead_lettered", "skipped"]


class Delivery(BaseModel):
    delivery_id: str = Field(description="Stable across the retries of one notification (the webhook-id)")
    notification_id: str
    org_id: str
    rule_id: str
    channel_id: str
    channel_type: str
    trigger: str
    action: str = "trigger"
    flow_name: str | None = None
    run_id: str | None = None
    attempt: int
    outcome: Outcome
    http_status: int | None = None
    latency_ms: int | None = None
    error: str | None = None
    delivered_at: UtcTime


class DeliveryList(BaseModel):
    items: list[Delivery]
    next_token: str | None = None
