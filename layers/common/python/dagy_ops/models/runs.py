"""Flow runs as the evaluator records them from run events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from dagy_ops.models.common import UtcTime
from dagy_ops.models.events import RunStatus


class TaskRetry(BaseModel):
    task_id: str
    attempt: int
    occurred_at: UtcTime
    error: str | None = None


class RunRecord(BaseModel):
    org_id: str
    flow_name: str
    run_id: str
    deployment: str | None = None
    status: RunStatus = "running"
    started_at: UtcTime | None = None
    ended_at: UtcTime | None = None
    error: str | None = None
    retries: list[TaskRetry] = []
    sla_fired: list[str] = []
    """Rule ids whose SLA breach has fired for this run (each fires once)."""
    sla_due_at: UtcTime | None = None
    """When the sweep must look at the run next: its earliest pending SLA, or when it turns stale."""
    stale: bool = False
    """Counted out of the running gauge by the sweep: running past the stale limit, no end reported."""
    version: int = 0

    @property
    def terminal(self) -> bool:
        return self.status != "running"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def elapsed_seconds(self, now: datetime) -> float | None:
        return None if self.started_at is None else ((self.ended_at or now) - self.started_at).total_seconds()


# What the API reports: a run `running` past the stale limit is `stale`, not running forever.
RunStatusView = Literal["running", "succeeded", "failed", "cancelled", "stale"]


class Run(BaseModel):
    run_id: str = Field(examples=["run_20260115_1030"])
    flow_name: str = Field(examples=["daily_etl"])
    deployment: str | None = Field(None, examples=["prod"])
    status: RunStatusView
    started_at: UtcTime | None = None
    ended_at: UtcTime | None = None
    duration_seconds: float | None = None
    error: str | None = None


class RunDetail(Run):
    retries: list[TaskRetry] = Field(description="Task retries reported for this run, one per attempt")
    sla_breaches: list[str] = Field(description="Ids of the SLA rules whose breach fired for this run")


class RunList(BaseModel):
    items: list[Run]
    next_token: str | None = None
