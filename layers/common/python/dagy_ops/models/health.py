"""The `GET /health` document, as the Dagy operations page shows it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dagy_ops.models.common import UtcTime

ComponentStatus = Literal["healthy", "degraded", "unhealthy"]


class ComponentHealth(BaseModel):
    name: str = Field(examples=["dynamodb"])
    status: ComponentStatus
    message: str = Field(examples=["Connected"])


class HealthReport(BaseModel):
    status: ComponentStatus
    version: str = Field(examples=["1.0.0"])
    uptime: int = Field(description="Seconds since this function instance started", examples=[3600])
    components: list[ComponentHealth]
    timestamp: UtcTime
