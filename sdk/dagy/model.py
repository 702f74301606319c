"""What a local run records: the one definition of metadata.json, the DuckDB rows and the CLI's views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# `crashed`: what the history says of a run whose process died before it ended.
FlowStatus = Literal["running", "succeeded", "failed", "cancelled", "crashed"]
TaskStatus = Literal["pending", "running", "retrying", "succeeded", "failed", "skipped", "cancelled"]
AttemptStatus = Literal["running", "succeeded", "failed", "timed_out", "cancelled"]


def now() -> datetime:
    return datetime.now(UTC)


class Attempt(BaseModel):
    attempt: int
    status: AttemptStatus = "running"
    started_at: datetime = Field(default_factory=now)
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None

    def end(self, status: AttemptStatus, error: str | None = None) -> None:
        self.status, self.error, self.ended_at = status, error, now()
        self.duration_seconds = (self.ended_at - self.started_at).total_seconds()


class TaskRun(BaseModel):
    """One task of a run: `runs/<run_id>/task_runs/<task_id>/metadata.json`."""

    task_id: str
    depends_on: list[str] = []
    status: TaskStatus = "pending"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None
    attempts: list[Attempt] = []

    def end(self, status: TaskStatus, error: str | None = None) -> None:
        self.status, self.error, self.ended_at = status, error, now()
        if self.started_at is not None:
            self.duration_seconds = (self.ended_at - self.started_at).total_seconds()


class FlowRun(BaseModel):
    """A run: `runs/<run_id>/metadata.json`. `complete` stays false until the run has ended, so a
    run whose process died shows as such rather than as running forever."""

    run_id: str
    flow_name: str
    status: FlowStatus = "running"
    complete: bool = False
    params: dict[str, Any] = {}
    started_at: datetime = Field(default_factory=now)
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    error: str | None = None
    pid: int | None = None
    tasks: dict[str, TaskRun] = {}

    def end(self, status: FlowStatus, error: str | None = None) -> None:
        self.status, self.error, self.ended_at, self.complete = status, error, now(), True
        self.duration_seconds = (self.ended_at - self.started_at).total_seconds()
