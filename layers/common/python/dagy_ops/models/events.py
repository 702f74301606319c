"""Run events from Dagy workers, and the notification messages the evaluator decides on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dagy_ops.models.common import UtcTime
from dagy_ops.models.rules import Trigger

RunEventType = Literal[
    "flow_run.started", "flow_run.succeeded", "flow_run.failed", "flow_run.cancelled", "task_run.retrying"
]
RunStatus = Literal["running", "succeeded", "failed", "cancelled"]
EventId = Annotated[str, StringConstraints(pattern=r"^evt_[A-Za-z0-9_-]{1,64}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
RunId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]


class RunEventFields(BaseModel):
    """What a worker reports; the org is not among them when it comes through the API."""

    model_config = ConfigDict(extra="forbid")
    event_id: EventId = Field(examples=["evt_01HZX3"])
    type: RunEventType
    flow_name: Name = Field(examples=["daily_etl"])
    run_id: RunId = Field(examples=["run_20260115_1030"])
    deployment: str | None = Field(None, max_length=128, examples=["prod"])
    occurred_at: UtcTime
    task_id: str | None = Field(None, max_length=128)
    attempt: int | None = Field(None, ge=1, le=1000)
    error: str | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _retry_names_its_task(self) -> RunEventFields:
        if self.type == "task_run.retrying" and (self.task_id is None or self.attempt is None):
            raise ValueError("task_run.retrying needs task_id and attempt")
        return self


class RunEvent(RunEventFields):
    """An event on the events queue: the worker's fields and the org they belong to."""

    model_config = ConfigDict(extra="ignore")
    org_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class EventBatch(BaseModel):
    """`POST /events` body: `{"events": [...]}` with 1 to 100 events, or one event on its own."""

    model_config = ConfigDict(extra="forbid")
    events: list[RunEventFields] = Field(min_length=1, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _one_event_is_a_batch_of_one(cls, data: Any) -> Any:
        return {"events": [data]} if isinstance(data, dict) and "events" not in data else data


class EventsAccepted(BaseModel):
    accepted: list[str] = Field(description="event_ids queued for evaluation")


class SweepEvent(BaseModel):
    type: Literal["sla.sweep"]


class NotificationMessage(BaseModel):
    """One alert for one channel: the contract between the evaluator and the dispatcher."""

    notification_id: str = Field(
        description="Stable per (event, rule, channel): the dispatcher's idempotency key"
    )
    org_id: str
    rule_id: str
    rule_name: str
    trigger: Trigger
    channel_id: str
    channel_type: str
    action: Literal["trigger", "resolve"] = Field(
        default="trigger", description="`resolve` closes the PagerDuty incident an earlier trigger opened"
    )
    event: dict[str, Any] = Field(
        description="flow_name, run_id, deployment, status, started_at, ended_at, duration_seconds, "
        "task_id, attempt, error, and for SLA breaches sla_seconds and elapsed_seconds"
    )
