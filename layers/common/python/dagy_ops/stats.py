"""Per-flow counters and last-run gauges, and how one change of a run moves them. Pure.

The evaluator writes a run and the change of its flow's counters in one transaction, so a
counter moves exactly once per transition however often an event is redelivered. Counters only
ever grow (Prometheus reads a decrease as a reset): a run counts once, under the first terminal
status it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from dagy_ops.models.common import format_time, parse_time
from dagy_ops.models.runs import RunRecord
from dagy_ops.runs import counts_as_running, past_stale_limit, started_key

TERMINAL = ("succeeded", "failed", "cancelled")


class FlowStats(BaseModel):
    """The `STATS#FLOW#<name>` item: what a scrape reads of one flow, never its runs."""

    model_config = ConfigDict(extra="ignore")
    flow_name: str
    runs_succeeded: int = 0
    runs_failed: int = 0
    runs_cancelled: int = 0
    running: int = 0
    sla_breaches: int = 0
    latest_run_key: str | None = None
    """`started_key` of the newest run: `<started_at>#<run_id>`."""
    latest_run_id: str | None = None
    latest_run_status: str | None = None
    latest_run_started_at: str | None = None
    last_ended_at: str | None = None
    last_duration_seconds: float | None = None

    def runs_total(self, status: str) -> int:
        return int(getattr(self, f"runs_{status}"))


class OrgStats(BaseModel):
    """The `STATS#ORG` item: counters the dispatcher and the evaluator keep per org."""

    model_config = ConfigDict(extra="ignore")
    notifications: dict[str, int] = {}
    """`<channel_type>.<outcome>` -> deliveries attempted with that outcome."""
    events_dead_lettered: int = 0


@dataclass(frozen=True)
class Guarded:
    """Attributes set only while `attribute` holds a value not newer than `value`."""

    attribute: str
    value: str
    attributes: dict[str, Any]


@dataclass
class StatsChange:
    add: dict[str, int] = field(default_factory=dict)
    guarded: list[Guarded] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.guarded)


def stats_change(before: RunRecord | None, after: RunRecord, stats: FlowStats | None) -> StatsChange:
    """How the flow's counters move when its run goes from `before` to `after`."""
    change = StatsChange()
    running = int(counts_as_running(after)) - int(counts_as_running(before))
    if running:
        change.add["running"] = running
    if after.terminal and not (before and before.terminal):
        change.add[f"runs_{after.status}"] = 1
    breaches = len(set(after.sla_fired) - set(before.sla_fired if before else ()))
    if breaches:
        change.add["sla_breaches"] = breaches
    key = started_key(after)
    moved = before is None or (before.status, before.started_at) != (after.status, after.started_at)
    newest = stats is None or stats.latest_run_key is None or key >= stats.latest_run_key
    if after.started_at is not None and moved and newest:
        latest = {
            "latest_run_key": key,
            "latest_run_id": after.run_id,
            "latest_run_status": after.status,
            "latest_run_started_at": format_time(after.started_at),
        }
        change.guarded.append(Guarded("latest_run_key", key, latest))
    if (
        after.ended_at is not None
        and after.duration_seconds is not None
        and (before is None or before.ended_at != after.ended_at)
    ):
        ended = format_time(after.ended_at)
        if stats is None or stats.last_ended_at is None or ended >= stats.last_ended_at:
            last = {"last_ended_at": ended, "last_duration_seconds": after.duration_seconds}
            change.guarded.append(Guarded("last_ended_at", ended, last))
    return change


def latest_run_status(stats: FlowStats, now: datetime, stale_after: timedelta) -> str | None:
    """The latest run's status as the API reports it: `stale` once running past the limit."""
    status, started = stats.latest_run_status, stats.latest_run_started_at
    if status == "running" and started and past_stale_limit(parse_time(started), now, stale_after):
        return "stale"
    return status
