"""Flows of an org: deploy, read with their latest run, suspend (mute) and resume."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dagy_ops.auth import Principal
from dagy_ops.errors import NotFound, PreconditionFailed
from dagy_ops.models.flows import Flow, FlowDeploy, FlowDetail, FlowRecord, LatestRun
from dagy_ops.runs import run_view
from dagy_ops.services.changes import require_version
from dagy_ops.stats import FlowStats, latest_run_status
from dagy_ops.store.flows import FlowRepository
from dagy_ops.store.notifications import RuleRepository
from dagy_ops.store.runs import RunQuery, RunRepository

RECENT_RUNS = 10


def flow_view(record: FlowRecord, stats: FlowStats | None, now: datetime, stale_after: timedelta) -> Flow:
    latest = None
    if stats is not None and stats.latest_run_id:
        latest = LatestRun(
            run_id=stats.latest_run_id,
            status=latest_run_status(stats, now, stale_after),  # type: ignore[arg-type]
            started_at=stats.latest_run_started_at,  # type: ignore[arg-type]
        )
    return Flow(**record.model_dump(include=set(Flow.model_fields)), latest_run=latest)


class FlowService:
    def __init__(self, runs: RunRepository, rules: RuleRepository, stale_after: timedelta) -> None:
        self.runs = runs
        self.flows: FlowRepository = runs.flows
        self.rules = rules
        self.stale_after = stale_after

    def get(self, principal: Principal, flow_name: str) -> FlowRecord:
        record = self.flows.get(principal.org_id, flow_name)
        if record is None:
            raise NotFound(f"Flow {flow_name} not found", {"flow_name": flow_name})
        return record

    def deploy(
        self, principal: Principal, flow_name: str, request: FlowDeploy, if_match: int | None, now: datetime
    ) -> tuple[FlowRecord, bool]:
        """Register or redeploy; answers the flow and whether it is new. Suspension is kept."""
        current = self.flows.get(principal.org_id, flow_name)
        if current is not None:
            require_version("Flow", current.item_version, if_match)
        elif if_match is not None:
            raise PreconditionFailed(f"Flow {flow_name} does not exist, so it is not at version {if_match}")
        who: dict[str, Any] = {
            "updated_at": now,
            "updated_by": principal.actor_email,
            "updated_ip": principal.source_ip,
        }
        if current is None:
            record = FlowRecord(
                **request.model_dump(),
                **who,
                org_id=principal.org_id,
                flow_name=flow_name,
                created_at=now,
                created_by=principal.actor_email,
            )
        else:
            changes = {**request.model_dump(), **who, "item_version": current.item_version + 1}
            record = current.model_copy(update=changes)
        self.flows.put(record, None if current is None else current.item_version)
        return record, current is None

    def suspend(
        self, principal: Principal, flow_name: str, suspend: bool, if_match: int | None, now: datetime
    ) -> FlowRecord:
        current = self.get(principal, flow_name)
        require_version("Flow", current.item_version, if_match)
        if current.suspended == suspend:
            return current  # already so: nothing to write, nothing to audit
        record = current.model_copy(
            update={
                "suspended": suspend,
                "updated_at": now,
                "updated_by": principal.actor_email,
                "updated_ip": principal.source_ip,
                "item_version": current.item_version + 1,
            }
        )
        self.flows.put(record, current.item_version)
        return record

    def view(self, record: FlowRecord, now: datetime) -> Flow:
        stats = self.flows.stats_of(record.org_id, [record.flow_name]).get(record.flow_name)
        return flow_view(record, stats, now, self.stale_after)

    def page(
        self,
        principal: Principal,
        name_prefix: str | None,
        tag: str | None,
        q: str | None,
        limit: int,
        start_key: dict | None,
        now: datetime,
    ) -> tuple[list[Flow], dict | None]:
        """A page of flows, each with its latest run (one BatchGetItem for the page's counters)."""
        records, last_key = self.flows.page(principal.org_id, name_prefix, tag, q, limit, start_key)
        stats = self.flows.stats_of(principal.org_id, [r.flow_name for r in records]) if records else {}
        return [flow_view(r, stats.get(r.flow_name), now, self.stale_after) for r in records], last_key

    def detail(self, principal: Principal, flow_name: str, now: datetime) -> tuple[FlowDetail, int]:
        """The flow with its rules count and last runs, and its item version (the ETag)."""
        record = self.get(principal, flow_name)
        runs, _ = self.runs.page(
            principal.org_id, RunQuery(flow_name=flow_name), now, self.stale_after, RECENT_RUNS, None
        )
        detail = FlowDetail(
            **self.view(record, now).model_dump(),
            rules_count=self.rules.count_for_flow(principal.org_id, flow_name),
            runs=[run_view(run, now, self.stale_after) for run in runs],
        )
        return detail, record.item_version
