"""Flow runs as the evaluator records them from run events."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

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
