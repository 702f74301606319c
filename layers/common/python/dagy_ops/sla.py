"""SLA deadlines of a run against its flow's `on_sla_breach` rules. Pure: `now` is passed in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from dagy_ops.models.rules import RuleRecord
from dagy_ops.models.runs import RunRecord
from dagy_ops.rules import match_rules

# The sparse SLA index is spread over this many partitions so no one key gets every running run.
SHARDS = 4


def sla_shard(run_id: str) -> str:
    return f"SLA#{int(hashlib.sha256(run_id.encode()).hexdigest()[:8], 16) % SHARDS}"


def pending_sla_rules(run: RunRecord, rules: Iterable[RuleRecord]) -> list[RuleRecord]:
    """SLA rules of the run's flow that have not fired for it."""
    return [r for r in match_rules(rules, "on_sla_breach", run.flow_name) if r.rule_id not in run.sla_fired]


def next_sla_due(run: RunRecord, rules: Iterable[RuleRecord]) -> datetime | None:
    """When the earliest pending SLA of a running run falls due; None when nothing is pending."""
    if run.terminal or run.started_at is None:
        return None
    deadlines = [
        run.started_at + timedelta(seconds=r.sla_seconds or 0) for r in pending_sla_rules(run, rules)
    ]
    return min(deadlines, default=None)


def breached_rules(run: RunRecord, rules: Iterable[RuleRecord], now: datetime) -> list[RuleRecord]:
    """Pending SLA rules the run has exceeded: still running at `now`, or ended past the threshold."""
    elapsed = run.elapsed_seconds(now)
    if elapsed is None:
        return []
    return [r for r in pending_sla_rules(run, rules) if elapsed > (r.sla_seconds or 0)]
