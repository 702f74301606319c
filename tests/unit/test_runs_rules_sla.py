"""Run state, rule matching and SLA math: pure, order-insensitive, property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from dagy_ops.models.events import RunEvent
from dagy_ops.models.rules import RuleRecord
from dagy_ops.rules import match_rules
from dagy_ops.runs import apply_event, new_run
from dagy_ops.sla import SHARDS, breached_rules, next_sla_due, sla_shard

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def run_event(kind: str, minute: int, event_id: str, **extra: object) -> RunEvent:
    return RunEvent(
        event_id=event_id,
        type=kind,  # type: ignore[arg-type]
        org_id="org_a",
        flow_name="daily_etl",
        run_id="run_1",
        deployment="prod",
        occurred_at=T0 + timedelta(minutes=minute),
        **extra,  # type: ignore[arg-type]
    )


events = st.lists(
    st.one_of(
        st.builds(
            lambda m, i: run_event("flow_run.started", m, f"evt_s{i}"), st.integers(0, 30), st.integers(0, 3)
        ),
        st.builds(
            lambda kind, m, i: run_event(kind, m, f"evt_t{i}", error=f"e{i}"),
            st.sampled_from(["flow_run.succeeded", "flow_run.failed", "flow_run.cancelled"]),
            st.integers(0, 30),
            st.integers(0, 3),
        ),
        st.builds(
            lambda task, attempt, m: run_event(
                "task_run.retrying", m, f"evt_r{task}{attempt}", task_id=task, attempt=attempt
            ),
            st.sampled_from(["extract", "load"]),
            st.integers(1, 3),
            st.integers(0, 30),
        ),
    ),
    min_size=1,
    max_size=8,
)


def fold(sequence: list[RunEvent]):
    return reduce(apply_event, sequence, new_run(sequence[0]))


@settings(max_examples=300)
@given(events, st.randoms())
def test_any_order_and_duplication_of_the_same_events_yields_the_same_run(sequence, random):
    shuffled = sequence + random.sample(sequence, k=random.randint(0, len(sequence)))
    random.shuffle(shuffled)

    assert fold(shuffled) == fold(sequence)


def test_terminal_state_wins_over_started_and_the_newest_terminal_wins():
    started, failed, succeeded = (
        run_event("flow_run.started", 0, "evt_1"),
        run_event("flow_run.failed", 5, "evt_2", error="boom"),
        run_event("flow_run.succeeded", 9, "evt_3"),
    )

    run = fold([succeeded, started, failed])

    assert (run.status, run.started_at, run.ended_at, run.error) == (
        "succeeded",
        T0,
        T0 + timedelta(minutes=9),
        None,
    )
    assert run.duration_seconds == 540


def rule(
    rule_id: str, trigger: str, flow: str = "daily_etl", enabled: bool = True, sla: int | None = None
) -> RuleRecord:
    return RuleRecord(
        org_id="org_a", rule_id=rule_id, name=rule_id, trigger=trigger, flow_name=flow, channel_ids=["ch_1"],  # type: ignore[arg-type]
        sla_seconds=sla, enabled=enabled, created_at=T0, created_by="a", updated_at=T0, updated_by="a", updated_ip="ip",
    )  # fmt: skip


def test_rules_match_by_trigger_and_exact_flow_or_wildcard_when_enabled():
    rules = [
        rule("rule_a", "on_failure"),
        rule("rule_b", "on_failure", flow="*"),
        rule("rule_c", "on_failure", flow="other"),
        rule("rule_d", "on_failure", enabled=False),
        rule("rule_e", "on_success"),
    ]

    assert [r.rule_id for r in match_rules(rules, "on_failure", "daily_etl")] == ["rule_a", "rule_b"]


def test_sla_due_is_the_earliest_pending_deadline_and_breaches_fire_once():
    rules = [rule("rule_10m", "on_sla_breach", sla=600), rule("rule_30m", "on_sla_breach", sla=1800)]
    run = fold([run_event("flow_run.started", 0, "evt_1")])

    assert next_sla_due(run, rules) == T0 + timedelta(minutes=10)
    assert [r.rule_id for r in breached_rules(run, rules, T0 + timedelta(minutes=11))] == ["rule_10m"]
    fired = run.model_copy(update={"sla_fired": ["rule_10m"]})
    assert next_sla_due(fired, rules) == T0 + timedelta(minutes=30)
    assert breached_rules(fired, rules, T0 + timedelta(minutes=11)) == []


def test_ended_runs_have_no_deadline_but_breach_if_they_ended_late():
    rules = [rule("rule_10m", "on_sla_breach", sla=600)]
    late = fold([run_event("flow_run.started", 0, "evt_1"), run_event("flow_run.succeeded", 20, "evt_2")])

    assert next_sla_due(late, rules) is None
    assert [r.rule_id for r in breached_rules(late, rules, T0 + timedelta(days=1))] == ["rule_10m"]


def test_sla_shards_spread_runs():
    shards = {sla_shard(f"run_{i}") for i in range(200)}
    assert shards == {f"SLA#{n}" for n in range(SHARDS)}
