"""Run state from run events. Pure: `apply_event` is order- and duplicate-insensitive.

Each field is a join over the events seen, so any permutation or repetition of the same events
gives the same record: `started_at` is the earliest start, the terminal state is the one with the
newest `occurred_at` (ties broken by a fixed status order), retries are a set.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dagy_ops.models.common import format_time
from dagy_ops.models.events import RunEvent
from dagy_ops.models.runs import Run, RunDetail, RunRecord, RunStatusView, TaskRetry

TERMINAL_STATUS = {
    "flow_run.succeeded": "succeeded",
    "flow_run.failed": "failed",
    "flow_run.cancelled": "cancelled",
}
# Breaks ties between terminal events with the same occurred_at (then the error text does).
_STATUS_RANK = {"running": 0, "succeeded": 1, "cancelled": 2, "failed": 3}


def new_run(event: RunEvent) -> RunRecord:
    return RunRecord(org_id=event.org_id, flow_name=event.flow_name, run_id=event.run_id)


def apply_event(run: RunRecord, event: RunEvent) -> RunRecord:
    """The run after `event`; the version is left to the store."""
    changes: dict[str, object] = {}
    if event.deployment is not None and (run.deployment is None or event.deployment > run.deployment):
        changes["deployment"] = event.deployment
    if event.type == "flow_run.started":
        if run.started_at is None or event.occurred_at < run.started_at:
            changes["started_at"] = event.occurred_at
    elif event.type == "task_run.retrying":
        retry = TaskRetry(
            task_id=str(event.task_id),
            attempt=int(event.attempt or 0),
            occurred_at=event.occurred_at,
            error=event.error,
        )
        retries = {(r.task_id, r.attempt): r for r in run.retries}
        seen = retries.get((retry.task_id, retry.attempt))
        if seen is None or _retry_order(retry) < _retry_order(seen):  # one report per attempt: the first
            retries[(retry.task_id, retry.attempt)] = retry
            changes["retries"] = [retries[key] for key in sorted(retries)]
    else:
        status = TERMINAL_STATUS[event.type]
        current = (run.ended_at, _STATUS_RANK[run.status], run.error or "") if run.terminal else None
        if current is None or (event.occurred_at, _STATUS_RANK[status], event.error or "") > current:
            changes.update(status=status, ended_at=event.occurred_at, error=event.error)
    return run.model_copy(update=changes) if changes else run


def _retry_order(retry: TaskRetry) -> tuple[object, str]:
    return retry.occurred_at, retry.error or ""


def started_key(run: RunRecord) -> str:
    """Orders runs by start (newest last with a forward sort); runs not started yet sort after all."""
    return f"{format_time(run.started_at) if run.started_at else '~'}#{run.run_id}"


def stale_at(run: RunRecord, stale_after: timedelta) -> datetime | None:
    """When a running run turns stale; None when it has ended, has not started, or already is."""
    if run.terminal or run.stale or run.started_at is None:
        return None
    return run.started_at + stale_after


def past_stale_limit(started_at: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    """The stale rule, for runs and for a flow's latest run alike: started `stale_after` ago or more."""
    return started_at is not None and started_at + stale_after <= now


def reported_status(run: RunRecord, now: datetime, stale_after: timedelta) -> RunStatusView:
    if run.status == "running" and (run.stale or past_stale_limit(run.started_at, now, stale_after)):
        return "stale"
    return run.status


def counts_as_running(run: RunRecord | None) -> bool:
    """Whether the run is in the running gauge: running, and not yet written off as stale."""
    return run is not None and run.status == "running" and not run.stale


def run_view(run: RunRecord, now: datetime, stale_after: timedelta) -> Run:
    return Run(
        **run.model_dump(include=set(Run.model_fields) - {"status", "duration_seconds"}),
        status=reported_status(run, now, stale_after),
        duration_seconds=run.duration_seconds,
    )


def run_detail(run: RunRecord, now: datetime, stale_after: timedelta) -> RunDetail:
    return RunDetail(
        **run_view(run, now, stale_after).model_dump(), retries=run.retries, sla_breaches=run.sla_fired
    )
