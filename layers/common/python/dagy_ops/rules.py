"""Which rules an event triggers. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from dagy_ops.models.rules import RuleRecord

TRIGGER_OF_EVENT = {
    "flow_run.failed": "on_failure",
    "flow_run.succeeded": "on_success",
    "task_run.retrying": "on_retry",
}


def match_rules(rules: Iterable[RuleRecord], trigger: str, flow_name: str) -> list[RuleRecord]:
    """Enabled rules of `trigger` for this flow, by exact name or `*`, in a stable order."""
    return sorted(
        (r for r in rules if r.enabled and r.trigger == trigger and r.flow_name in (flow_name, "*")),
        key=lambda r: r.rule_id,
    )
