"""The evaluator on moto: each trigger, `*` and disabled rules, duplicates, poison messages, faults, SLA sweeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.functions import FunctionRegistry
from local.queues import QueuePoller
from tests.conftest import ApiClient, slack_channel

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def event(
    kind: str, run_id: str = "run_1", at: datetime = T0, flow: str = "daily_etl", **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": f"evt_{kind.split('.')[1]}_{run_id}_{int(at.timestamp())}",
        "type": kind,
        "org_id": "org_a",
        "flow_name": flow,
        "run_id": run_id,
        "deployment": "prod",
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


class Harness:
    """Rules over the API, events on the queue, the evaluator behind a local event source mapping."""

    def __init__(self, aws: dict[str, str], token: str) -> None:
        self.aws = aws
        self.token = token
        self.api = ApiClient()
        self.sqs = boto3.client("sqs")
        self.functions = FunctionRegistry()
        self.poller = QueuePoller(self.sqs, aws["EVENTS_QUEUE_URL"], self.functions, "evaluator")
        self.channel_id = self.api.post("/notifications/channels", slack_channel(), token=token).json()[
            "channel_id"
        ]

    def rule(self, trigger: str, flow: str = "daily_etl", **extra: Any) -> str:
        body = {
            "name": f"{trigger} {flow}",
            "trigger": trigger,
            "flow_name": flow,
            "channel_ids": [self.channel_id],
            **extra,
        }
        response = self.api.post("/notifications/rules", body, token=self.token)
        assert response.status == 201, response.body
        return str(response.json()["rule_id"])

    def send(self, *bodies: dict[str, Any] | str) -> None:
        for body in bodies:
            self.sqs.send_message(
                QueueUrl=self.aws["EVENTS_QUEUE_URL"],
                MessageBody=body if isinstance(body, str) else json.dumps(body),
            )

    def drain(self) -> None:
        while self.poller.poll_once():
            pass

    def notifications(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.aws["NOTIFICATIONS_QUEUE_URL"], MaxNumberOfMessages=10
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.aws["NOTIFICATIONS_QUEUE_URL"], ReceiptHandle=message["ReceiptHandle"]
                )

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.aws["EVENTS_DLQ_URL"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])

    def run(self, run_id: str = "run_1") -> dict[str, Any]:
        from dagy_ops.store.runs import RunRepository

        record = RunRepository(boto3.client("dynamodb"), self.aws["FLOWS_TABLE"]).get(
            "org_a", "daily_etl", run_id
        )
        assert record is not None
        return record.model_dump(mode="json")


@pytest.fixture
def harness(aws, mint, monkeypatch):
    monkeypatch.setenv("DAGY_RULES_CACHE_SECONDS", "0")
    return Harness(aws, mint(org="org_a"))


@pytest.mark.parametrize(
    ("trigger", "kind", "extra"),
    [
        ("on_failure", "flow_run.failed", {"error": "boom"}),
        ("on_success", "flow_run.succeeded", {}),
        ("on_retry", "task_run.retrying", {"task_id": "extract", "attempt": 2, "error": "timeout"}),
    ],
)
def test_each_trigger_queues_one_message_per_rule_and_channel(harness, trigger, kind, extra):
    rule_id = harness.rule(trigger)
    harness.rule("on_failure", flow="other_flow")  # another flow: never matches

    harness.send(event("flow_run.started"), event(kind, at=T0 + timedelta(minutes=5), **extra))
    harness.drain()

    [message] = harness.notifications()
    assert (message["rule_id"], message["trigger"], message["channel_id"]) == (
        rule_id,
        trigger,
        harness.channel_id,
    )
    assert message["channel_type"] == "slack" and message["org_id"] == "org_a"
    assert message["event"]["flow_name"] == "daily_etl" and message["event"]["run_id"] == "run_1"
    assert message["event"]["deployment"] == "prod"
    if trigger == "on_retry":
        assert (message["event"]["task_id"], message["event"]["attempt"]) == ("extract", 2)
    if trigger == "on_failure":
        assert message["event"]["error"] == "boom" and message["event"]["duration_seconds"] == 300


def test_wildcard_rules_match_every_flow_and_disabled_rules_none(harness):
    wildcard = harness.rule("on_failure", flow="*")
    disabled = harness.rule("on_failure")
    harness.api.patch(f"/notifications/rules/{disabled}", {"enabled": False}, token=harness.token)

    harness.send(event("flow_run.failed", flow="any_flow"))
    harness.drain()

    assert [m["rule_id"] for m in harness.notifications()] == [wildcard]


def test_duplicates_and_reordering_converge_and_notify_once(harness):
    harness.rule("on_failure")
    started, failed = (
        event("flow_run.started"),
        event("flow_run.failed", at=T0 + timedelta(minutes=2), error="x"),
    )

    harness.send(failed, started, failed, started, failed)
    harness.drain()

    assert len(harness.notifications()) == 1
    run = harness.run()
    assert (run["status"], run["started_at"], run["ended_at"]) == (
        "failed",
        "2026-01-15T10:30:00Z",
        "2026-01-15T10:32:00Z",
    )


def test_redelivery_long_after_still_notifies_once(harness):
    harness.rule("on_failure")
    failed = event("flow_run.failed")
    harness.send(failed)
    harness.drain()
    assert len(harness.notifications()) == 1

    harness.send(failed)  # the same event again, after the first message was consumed
    harness.drain()

    assert harness.notifications() == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"type": "flow_run.exploded"}),
        json.dumps({"type": "flow_run.failed", "org_id": "o"}),
    ],
    ids=["not-json", "unknown-type", "missing-fields"],
)
def test_poison_messages_go_to_the_dead_letter_queue_with_a_reason_at_once(harness, body):
    harness.rule("on_failure")

    harness.send(body, event("flow_run.failed"))
    harness.drain()

    [dead] = harness.dead_letters()
    assert dead["Body"] == body
    assert dead["MessageAttributes"]["reason"]["StringValue"]
    assert len(harness.notifications()) == 1  # the good event beside it went through
    assert harness.sqs.get_queue_attributes(
        QueueUrl=harness.aws["EVENTS_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_a_failing_notifications_queue_fails_only_that_message_which_succeeds_later(harness, monkeypatch):
    harness.rule("on_failure")
    evaluator = harness.functions.module("evaluator").evaluator
    real_send = evaluator.queue.sqs.send_message_batch
    calls = {"n": 0}

    def flaky(**request: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("injected SQS outage")
        return real_send(**request)

    monkeypatch.setattr(evaluator.queue.sqs, "send_message_batch", flaky)
    # A failed message comes back at once instead of after the queue's visibility timeout.
    harness.sqs.set_queue_attributes(
        QueueUrl=harness.aws["EVENTS_QUEUE_URL"], Attributes={"VisibilityTimeout": "0"}
    )
    harness.send(event("flow_run.failed", run_id="run_a"), event("flow_run.failed", run_id="run_b"))

    harness.poller.poll_once()
    assert len(harness.notifications()) == 1  # one failed, one went through
    harness.drain()

    assert len(harness.notifications()) == 1  # the retried one, once
    assert {harness.run("run_a")["status"], harness.run("run_b")["status"]} == {"failed"}


def sweep_at(harness, now: datetime) -> int:
    return int(harness.functions.module("evaluator").evaluator.sweep(now))


def test_sla_breach_fires_once_when_due_then_moves_to_the_next_rule(harness):
    first = harness.rule("on_sla_breach", sla_seconds=600)
    second = harness.rule("on_sla_breach", sla_seconds=1800)
    harness.send(event("flow_run.started"))
    harness.drain()
    assert harness.run()["sla_due_at"] == "2026-01-15T10:40:00Z"

    assert sweep_at(harness, T0 + timedelta(minutes=5)) == 0  # not due
    assert sweep_at(harness, T0 + timedelta(minutes=11)) == 1
    assert sweep_at(harness, T0 + timedelta(minutes=12)) == 0  # fired once
    assert harness.run()["sla_due_at"] == "2026-01-15T11:00:00Z"
    assert sweep_at(harness, T0 + timedelta(minutes=31)) == 1

    messages = harness.notifications()
    assert [m["rule_id"] for m in messages] == [first, second]
    assert messages[0]["event"]["sla_seconds"] == 600 and messages[0]["event"]["elapsed_seconds"] == 660
    assert harness.run()["sla_fired"] == sorted([first, second])
    # No SLA pending: the sweep looks again only when the run would turn stale (a day after start).
    assert harness.run()["sla_due_at"] == "2026-01-16T10:30:00Z"


def test_a_run_that_ends_past_an_sla_that_never_fired_fires_at_its_end(harness):
    rule_id = harness.rule("on_sla_breach", sla_seconds=600)

    harness.send(event("flow_run.started"), event("flow_run.succeeded", at=T0 + timedelta(minutes=20)))
    harness.drain()

    [message] = harness.notifications()
    assert (message["rule_id"], message["trigger"]) == (rule_id, "on_sla_breach")
    assert message["event"]["elapsed_seconds"] == 1200
    assert sweep_at(harness, T0 + timedelta(hours=1)) == 0


def test_a_run_that_ends_in_time_never_breaches(harness):
    harness.rule("on_sla_breach", sla_seconds=600)

    harness.send(event("flow_run.started"), event("flow_run.succeeded", at=T0 + timedelta(minutes=5)))
    harness.drain()

    assert harness.notifications() == []
    assert harness.run()["sla_due_at"] is None
    # The success's PagerDuty `resolve` decision for SLA rules is not a breach of this run.
    assert harness.run()["sla_fired"] == []
    assert sweep_at(harness, T0 + timedelta(hours=1)) == 0


def test_sweep_message_on_the_queue_runs_a_sweep(harness):
    harness.rule("on_sla_breach", sla_seconds=1)
    harness.send(event("flow_run.started", at=datetime.now(UTC) - timedelta(minutes=5)))
    harness.drain()

    harness.send({"type": "sla.sweep"})
    harness.drain()

    assert [m["trigger"] for m in harness.notifications()] == ["on_sla_breach"]


def test_post_events_queues_valid_events_with_the_tokens_org(api, aws, mint):
    token = mint(org="org_a", permissions=["events.write"])
    body = {k: v for k, v in event("flow_run.failed").items() if k != "org_id"}

    response = api.post("/events", {"events": [body, {**body, "event_id": "evt_2"}]}, token=token)
    single = api.post("/events", {**body, "event_id": "evt_3"}, token=token)

    assert response.status == 202 and response.json() == {"accepted": [body["event_id"], "evt_2"]}
    assert single.status == 202
    queued = boto3.client("sqs").receive_message(QueueUrl=aws["EVENTS_QUEUE_URL"], MaxNumberOfMessages=10)[
        "Messages"
    ]
    assert {json.loads(m["Body"])["org_id"] for m in queued} == {"org_a"}
    assert len(queued) == 3


def test_post_events_names_each_bad_event_and_queues_none(api, aws, mint):
    token = mint(org="org_a", permissions=["events.write"])
    good = {k: v for k, v in event("flow_run.failed").items() if k != "org_id"}

    response = api.post(
        "/events", {"events": [good, {**good, "type": "nope"}, {**good, "org_id": "org_b"}]}, token=token
    )

    assert response.status == 422
    fields = response.json()["details"]["fields"]
    assert any(key.startswith("events.1") for key in fields) and any(
        key.startswith("events.2") for key in fields
    )
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=aws["EVENTS_QUEUE_URL"])


def test_a_failing_run_write_fails_only_that_message_and_the_retry_does_not_notify_twice(
    harness, monkeypatch
):
    harness.rule("on_failure")
    runs = harness.functions.module("evaluator").evaluator.runs
    # A new run is written with its flow and counters in one transaction.
    real_write = runs.client.transact_write_items
    calls = {"n": 0}

    def flaky(**request: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("injected DynamoDB outage")
        return real_write(**request)

    monkeypatch.setattr(runs.client, "transact_write_items", flaky)
    harness.sqs.set_queue_attributes(
        QueueUrl=harness.aws["EVENTS_QUEUE_URL"], Attributes={"VisibilityTimeout": "0"}
    )
    harness.send(event("flow_run.failed", run_id="run_a"), event("flow_run.failed", run_id="run_b"))

    harness.drain()

    assert sorted(m["event"]["run_id"] for m in harness.notifications()) == ["run_a", "run_b"]
    assert {harness.run("run_a")["status"], harness.run("run_b")["status"]} == {"failed"}
    assert calls["n"] >= 3  # the failed write was retried
