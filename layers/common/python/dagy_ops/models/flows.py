"""Flows: what a team deployed (version, schedule, tags), whether its alerts are muted, how it runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from cronsim import CronSim, CronSimError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)

from dagy_ops.models.common import UtcTime
from dagy_ops.models.events import Name
from dagy_ops.models.runs import Run, RunStatusView

_EPOCH = datetime(2026, 1, 1)  # any start: CronSim parses on construction
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,63}$")]
MAX_TAGS = 20


def valid_cron(expression: str) -> str:
    """A five-field cron expression, as Dagu's `schedule` takes it."""
    try:
        CronSim(expression, _EPOCH)
    except CronSimError as error:
        raise ValueError(f"not a valid cron expression: {error}") from None
    return expression


Cron = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128), AfterValidator(valid_cron)]


class FlowDeploy(BaseModel):
    """`PUT /flows/{flow_name}`: register a flow or redeploy it; every field is replaced."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        examples=["3"]
    )
    deployment: Annotated[str, StringConstraints(max_length=128)] | None = Field(None, examples=["prod"])
    description: Annotated[str, StringConstraints(max_length=1024)] | None = Field(
        None, examples=["Loads yesterday's orders into the warehouse"]
    )
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, examples=[["etl", "prod"]])
    schedule: Cron | None = Field(None, description="Five-field cron expression", examples=["30 2 * * *"])

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str]) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError("tags must not repeat")
        return tags


class SuspendRequest(BaseModel):
    """`POST /flows/{flow_name}/suspend`, as Dagu's: `{"suspend": true}` mutes, false unmutes."""

    model_config = ConfigDict(extra="forbid")
    suspend: StrictBool


class FlowRecord(BaseModel):
    """The stored flow. `version` is None for a flow only seen through its runs (never deployed)."""

    model_config = ConfigDict(extra="ignore")
    org_id: str
    flow_name: str
    version: str | None = None
    deployment: str | None = None
    description: str | None = None
    tags: list[str] = []
    schedule: str | None = None
    suspended: bool = False
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str
    updated_ip: str | None = None
    item_version: int = 1
    """Optimistic lock (`version` is the deployed flow's own); the ETag of the flow."""


class LatestRun(BaseModel):
    """The newest run of a flow, as Dagu's `latestDAGRun`."""

    run_id: str
    status: RunStatusView
    started_at: UtcTime | None = None


class Flow(BaseModel):
    flow_name: Name = Field(examples=["daily_etl"])
    version: str | None = Field(None, examples=["3"])
    deployment: str | None = Field(None, examples=["prod"])
    description: str | None = None
    tags: list[str] = []
    schedule: str | None = Field(None, examples=["30 2 * * *"])
    suspended: bool = Field(False, description="Alerts muted (SLA included); runs are still recorded")
    latest_run: LatestRun | None = None
    created_at: UtcTime
    updated_at: UtcTime
    updated_by: str


class FlowDetail(Flow):
    rules_count: int = Field(description="Live alert rules that apply to this flow, `*` rules included")
    runs: list[Run] = Field(description="The last 10 runs, newest first")


class FlowList(BaseModel):
    items: list[Flow]
    next_token: str | None = None
