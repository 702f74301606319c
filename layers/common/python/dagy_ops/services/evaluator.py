"""The evaluator: run events and SLA sweeps in, run records updated, notification messages out.

Every decision follows the same order: decide -> send what was not sent yet -> mark it sent ->
save the run. A crash or a failed call at any step leaves the event to be redelivered; decisions
are recomputed identically (notification ids derive from event, rule and channel), so what was
already sent is skipped (markers) or dropped by the FIFO queue's deduplication.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dagy_ops.models.channels import ChannelRecord
from dagy_ops.models.common import format_time
from dagy_ops.models.events import NotificationMessage, RunEvent
from dagy_ops.models.flows import FlowRecord
from dagy_ops.models.rules import RuleRecord
from dagy_ops.models.runs import RunRecord
from dagy_ops.rules import TRIGGER_OF_EVENT, match_rules
from dagy_ops.runs import apply_event, new_run, stale_at
from dagy_ops.sla import SHARDS, breached_rules, next_sla_due
from dagy_ops.stats import stats_change
from dagy_ops.store.markers import Markers
from dagy_ops.store.notifications import ChannelRepository, RuleRepository
from dagy_ops.store.runs import RunContext, RunRepository, StaleRun

ERROR_SUMMARY_CHARS = 500
SAVE_ATTEMPTS = 5
# Who registered a flow first seen through a run event, in its record and the audit trail.
SYSTEM_ACTOR = "dagy-ops"


def notification_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Decision:
    rule: RuleRecord
    trigger: str
    key: str
    """What makes the decision unique besides rule and channel: the event id, or the run for an SLA."""
    event: dict[str, Any]
    action: str = "trigger"
    """`resolve`: the flow succeeded, so the PagerDuty incidents its alerts opened are closed."""


class OrgConfig:
    """Rules and channels per org, read once and kept for `ttl_seconds` across invocations."""

    def __init__(
        self,
        rules: RuleRepository,
        channels: ChannelRepository,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rules = rules
        self._channels = channels
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, list[RuleRecord], dict[str, ChannelRecord]]] = {}

    def _load(self, org_id: str) -> tuple[list[RuleRecord], dict[str, ChannelRecord]]:
        cached = self._cache.get(org_id)
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1], cached[2]
        rules = self._rules.all_live(org_id)
        channel_ids = sorted({c for rule in rules for c in rule.channel_ids})
        channels = self._channels.live(org_id, channel_ids) if channel_ids else {}
        self._cache[org_id] = (self._clock(), rules, channels)
        return rules, channels

    def rules(self, org_id: str) -> list[RuleRecord]:
        return self._load(org_id)[0]

    def channels(self, org_id: str) -> dict[str, ChannelRecord]:
        return self._load(org_id)[1]


class NotificationQueue:
    """The FIFO notifications queue: one message group per channel, deduplicated by notification id."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sqs = sqs
        self.url = queue_url

    def send(self, messages: Sequence[NotificationMessage]) -> None:
        for start in range(0, len(messages), 10):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": message.model_dump_json(),
                    "MessageGroupId": message.channel_id,
                    "MessageDeduplicationId": message.notification_id,
                }
                for i, message in enumerate(messages[start : start + 10])
            ]
            result = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            if result.get("Failed"):
                raise RuntimeError(f"notifications queue refused {len(result['Failed'])} message(s)")


def run_payload(run: RunRecord, event: RunEvent | None = None) -> dict[str, Any]:
    error = (event.error if event else None) or run.error
    return {
        "flow_name": run.flow_name,
        "run_id": run.run_id,
        "deployment": run.deployment,
        "status": run.status,
        "started_at": format_time(run.started_at) if run.started_at else None,
        "ended_at": format_time(run.ended_at) if run.ended_at else None,
        "duration_seconds": run.duration_seconds,
        "task_id": event.task_id if event else None,
        "attempt": event.attempt if event else None,
        "error": error[:ERROR_SUMMARY_CHARS] if error else None,
        "event_type": event.type if event else "sla.breach",
        "occurred_at": format_time(event.occurred_at) if event else None,
    }


class Evaluator:
    def __init__(
        self,
        runs: RunRepository,
        config: OrgConfig,
        markers: Markers,
        queue: NotificationQueue,
        stale_after: timedelta,
    ) -> None:
        self.runs = runs
        self.flows = runs.flows
        self.config = config
        self.markers = markers
        self.queue = queue
        self.stale_after = stale_after

    def on_run_event(self, event: RunEvent, now: datetime) -> int:
        """Record the event on its run and notify the rules it triggers; answers messages sent.

        A suspended flow's runs are recorded and counted as usual; only its alerts are muted.
        """
        for _ in range(SAVE_ATTEMPTS):
            context = self.runs.load(event.org_id, event.flow_name, event.run_id)
            stored = context.run
            run = apply_event(stored or new_run(event), event)
            rules = self.config.rules(event.org_id)
            decisions = self._event_decisions(run, event, rules)
            muted = context.flow is not None and context.flow.suspended
            sent = 0 if muted else self._notify(event.org_id, decisions, now)
            # Breaches found at the run's end; not the `resolve` a success sends to SLA rules' incidents.
            late = [
                d.rule.rule_id for d in decisions if d.trigger == "on_sla_breach" and d.action == "trigger"
            ]
            run = run.model_copy(update={"sla_fired": sorted({*run.sla_fired, *late})})
            run = run.model_copy(update={"sla_due_at": self._next_check(run, rules)})
            if stored is not None and run == stored:
                return sent
            try:
                self.runs.save(run, self._bookkeeping(context, run, now))
                return sent
            except StaleRun:
                continue
        raise StaleRun(event.run_id)

    def _next_check(self, run: RunRecord, rules: list[RuleRecord]) -> datetime | None:
        """When the sweep must look at the run: its next SLA deadline, or when it turns stale."""
        moments = [t for t in (next_sla_due(run, rules), stale_at(run, self.stale_after)) if t is not None]
        return min(moments, default=None)

    def _bookkeeping(self, context: RunContext, run: RunRecord, now: datetime) -> list[dict[str, Any]]:
        """What is written with the run: its flow's counters, and the flow if it was never seen."""
        operations = []
        change = stats_change(context.run, run, context.stats)
        if change:
            operations.append(self.flows.stats_update(run.org_id, run.flow_name, change))
        if context.flow is None:
            flow = FlowRecord(
                org_id=run.org_id,
                flow_name=run.flow_name,
                created_at=now,
                created_by=SYSTEM_ACTOR,
                updated_at=now,
                updated_by=SYSTEM_ACTOR,
            )
            operations.append(self.flows.implicit_put(flow))
        return operations

    def _event_decisions(self, run: RunRecord, event: RunEvent, rules: list[RuleRecord]) -> list[Decision]:
        decisions = []
        trigger = TRIGGER_OF_EVENT.get(event.type)
        if trigger:
            payload = run_payload(run, event)
            decisions += [
                Decision(r, trigger, event.event_id, payload)
                for r in match_rules(rules, trigger, run.flow_name)
            ]
        if event.type == "flow_run.succeeded":
            payload = run_payload(run, event)
            decisions += [
                Decision(r, r.trigger, event.event_id, payload, action="resolve")
                for trigger in ("on_failure", "on_sla_breach")
                for r in match_rules(rules, trigger, run.flow_name)
            ]
        if (
            run.terminal and run.ended_at is not None
        ):  # ended past an SLA that never fired (sweep late or down)
            decisions += self._sla_decisions(run, breached_rules(run, rules, now=run.ended_at))
        return decisions

    def _sla_decisions(
        self, run: RunRecord, rules: list[RuleRecord], now: datetime | None = None
    ) -> list[Decision]:
        decisions = []
        for rule in rules:
            payload = run_payload(run)
            elapsed = run.elapsed_seconds(now) if now else run.duration_seconds
            payload |= {"sla_seconds": rule.sla_seconds, "elapsed_seconds": elapsed}
            decisions.append(
                Decision(rule, "on_sla_breach", f"sla:{run.org_id}:{run.flow_name}:{run.run_id}", payload)
            )
        return decisions

    def sweep(self, now: datetime) -> int:
        """Fire every SLA that fell due, once per (run, rule), and write off stale runs; answers
        messages sent."""
        sent = 0
        flows: dict[tuple[str, str], FlowRecord | None] = {}  # read once per sweep
        for shard in range(SHARDS):
            for run in self.runs.due(f"SLA#{shard}", now):
                key = (run.org_id, run.flow_name)
                if key not in flows:
                    flows[key] = self.flows.get(*key)
                flow = flows[key]
                sent += self._sweep_run(run, now, muted=flow is not None and flow.suspended)
        return sent

    def _sweep_run(self, run: RunRecord, now: datetime, muted: bool) -> int:
        for _ in range(SAVE_ATTEMPTS):
            rules = self.config.rules(run.org_id)
            due = breached_rules(run, rules, now)
            sent = 0 if muted else self._notify(run.org_id, self._sla_decisions(run, due, now), now)
            turned_stale = (stale := stale_at(run, self.stale_after)) is not None and stale <= now
            updated = run.model_copy(
                update={
                    "sla_fired": sorted({*run.sla_fired, *(r.rule_id for r in due)}),
                    "stale": run.stale or turned_stale,
                }
            )
            updated = updated.model_copy(update={"sla_due_at": self._next_check(updated, rules)})
            if updated == run:
                return sent
            change = stats_change(run, updated, None)  # no start or end moved: counters only
            also = [self.flows.stats_update(run.org_id, run.flow_name, change)] if change else []
            try:
                self.runs.save(updated, also)
                return sent
            except StaleRun:
                fresh = self.runs.get(run.org_id, run.flow_name, run.run_id)
                if fresh is None:
                    return sent
                run = fresh
        raise StaleRun(run.run_id)

    def _notify(self, org_id: str, decisions: list[Decision], now: datetime) -> int:
        channels = self.config.channels(org_id)
        messages = [
            NotificationMessage(
                notification_id=notification_id(
                    decision.key, decision.rule.rule_id, channel_id, decision.action
                ),
                org_id=org_id,
                rule_id=decision.rule.rule_id,
                rule_name=decision.rule.name,
                trigger=decision.trigger,  # type: ignore[arg-type]
                channel_id=channel_id,
                channel_type=channels[channel_id].channel_type,
                action=decision.action,  # type: ignore[arg-type]
                event=decision.event,
            )
            for decision in decisions
            for channel_id in decision.rule.channel_ids
            if channel_id in channels
            and channels[channel_id].enabled
            and (decision.action == "trigger" or channels[channel_id].channel_type == "pagerduty")
        ]
        done = self.markers.existing([m.notification_id for m in messages])
        todo = [m for m in messages if m.notification_id not in done]
        if todo:
            self.queue.send(todo)
            self.markers.mark([m.notification_id for m in todo], now)
        return len(todo)


def parse_message(body: str) -> RunEvent | None:
    """A run event, or None for an SLA sweep; raises ValueError (pydantic's included) when invalid."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("type") == "sla.sweep":
        return None
    return RunEvent.model_validate(data)
