"""The dispatcher on moto with a real local HTTP server standing in for Slack, webhooks and PagerDuty."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from dagy_ops.models.events import NotificationMessage
from dagy_ops.services.dispatcher import GiveUp, RetryLater
from local.functions import FunctionRegistry
from tests.conftest import ApiClient
from tests.receiver import Receiver

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


class Harness:
    def __init__(self, aws: dict[str, str], token: str, receiver: Receiver) -> None:
        self.aws = aws
        self.token = token
        self.receiver = receiver
        self.api = ApiClient()
        self.functions = FunctionRegistry()
        self.dispatcher = self.functions.module("dispatcher").dispatcher

    def channel(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post("/notifications/channels", body, token=self.token)
        assert response.status == 201, response.body
        return dict(response.json())

    def webhook(self, path: str = "/hook") -> dict[str, Any]:
        return self.channel(
            {"channel_type": "webhook", "name": path, "config": {"url": self.receiver.url + path}}
        )

    def message(
        self, channel: dict[str, Any], trigger: str = "on_failure", action: str = "trigger", n: int = 1
    ) -> NotificationMessage:
        return NotificationMessage(
            notification_id=hashlib.sha256((channel['channel_id'] + str(n)).encode()).hexdigest(), org_id="org_a", rule_id="rule_1", rule_name="ETL Failure Alert",
            trigger=trigger, channel_id=channel["channel_id"], channel_type=channel["channel_type"], action=action,  # type: ignore[arg-type]
            event={"flow_name": "daily_etl", "run_id": "run_1", "deployment": "prod", "status": "failed",
                   "duration_seconds": 90.0, "error": "KeyError: 'customer_id'"},
        )  # fmt: skip

    def dispatch(self, message: NotificationMessage, attempt: int = 1) -> Any:
        return self.dispatcher.dispatch(message, attempt, NOW)

    def deliveries(self, query: str = "") -> list[dict[str, Any]]:
        response = self.api.get(f"/notifications/deliveries?{query}", token=self.token)
        assert response.status == 200, response.body
        return list(response.json()["items"])


@pytest.fixture
def harness(aws, mint, monkeypatch, receiver):
    monkeypatch.setenv("DAGY_ALLOW_PRIVATE_TARGETS", "true")  # the stand-ins listen on 127.0.0.1
    monkeypatch.setenv("DAGY_PAGERDUTY_EVENTS_URL", receiver.url + "/pagerduty")
    monkeypatch.setenv("DAGY_EMAIL_SENDER", "alerts@example.com")
    monkeypatch.setenv("DAGY_DELIVERY_TIMEOUT_SECONDS", "0.5")
    return Harness(aws, mint(org="org_a"), receiver)


def standard_webhooks_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks reference algorithm, written out independently of the code under test."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body.decode()}".encode(), hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def test_webhook_gets_one_signed_versioned_post(harness, receiver):
    channel = harness.webhook()

    delivery = harness.dispatch(harness.message(channel))

    [request] = receiver.at("/hook")
    assert delivery.outcome == "sent" and delivery.http_status == 200
    body = request.json()
    assert (body["version"], body["type"], body["org_id"]) == ("1", "on_failure", "org_a")
    assert body["event"]["run_id"] == "run_1" and body["rule"]["name"] == "ETL Failure Alert"
    assert request.headers["webhook-id"] == delivery.delivery_id
    expected = standard_webhooks_signature(
        channel["signing_secret"],
        request.headers["webhook-id"],
        request.headers["webhook-timestamp"],
        request.body,
    )
    assert request.headers["webhook-signature"] == expected


def test_a_redelivered_message_is_not_sent_again(harness, receiver):
    message = harness.message(harness.webhook())

    harness.dispatch(message)
    again = harness.dispatch(message, attempt=2)

    assert again is None
    assert len(receiver.at("/hook")) == 1


def test_slack_gets_text_and_blocks(harness, receiver):
    channel = harness.channel(
        {"channel_type": "slack", "name": "s", "config": {"webhook_url": receiver.url + "/slack"}}
    )

    harness.dispatch(harness.message(channel))

    body = receiver.at("/slack")[0].json()
    assert "daily_etl" in body["text"] and "failed" in body["text"]
    assert body["blocks"][0]["type"] == "section"
    assert "KeyError" in json.dumps(body["blocks"])


def test_500_then_success_is_retried_with_backoff_and_recorded_per_attempt(harness, receiver):
    receiver.answer("/hook", (500, {}))
    message = harness.message(harness.webhook())

    with pytest.raises(RetryLater) as retry:
        harness.dispatch(message, attempt=1)
    delivered = harness.dispatch(message, attempt=2)

    assert 5 <= retry.value.delay_seconds <= 10
    assert delivered.outcome == "sent"
    assert sorted((d["attempt"], d["outcome"], d["http_status"]) for d in harness.deliveries()) == [
        (1, "retrying", 500), (2, "sent", 200),
    ]  # fmt: skip


def test_429_retry_after_is_honoured(harness, receiver):
    receiver.answer("/hook", (429, {"Retry-After": "42"}))

    with pytest.raises(RetryLater) as retry:
        harness.dispatch(harness.message(harness.webhook()))

    assert retry.value.delay_seconds == 42


def test_permanent_400_is_recorded_and_not_retried(harness, receiver):
    receiver.answer("/hook", (400, {}))

    delivery = harness.dispatch(harness.message(harness.webhook()))

    assert (delivery.outcome, delivery.http_status) == ("failed", 400)


def test_a_redirect_is_a_failure_never_followed(harness, receiver):
    receiver.answer("/hook", (302, {"Location": "http://169.254.169.254/latest/meta-data"}))

    delivery = harness.dispatch(harness.message(harness.webhook()))

    assert delivery.outcome == "failed" and "not followed" in delivery.error
    assert len(receiver.requests) == 1


def test_webhook_410_disables_the_channel_until_it_is_updated(harness, receiver):
    receiver.answer("/hook", (410, {}))
    channel = harness.webhook()

    harness.dispatch(harness.message(channel))

    shown = harness.api.get(f"/notifications/channels/{channel['channel_id']}", token=harness.token).json()
    assert shown["status"] == "disabled" and "410" in shown["disabled_reason"]
    next_delivery = harness.dispatch(harness.message(channel, n=2))
    assert next_delivery.outcome == "failed" and len(receiver.requests) == 1
    updated = harness.api.patch(
        f"/notifications/channels/{channel['channel_id']}", {"name": "fixed"}, token=harness.token
    )
    assert updated.json()["status"] == "active"


def test_timeouts_and_refused_connections_are_retried(harness):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()
    hanging = harness.channel(
        {
            "channel_type": "webhook",
            "name": "h",
            "config": {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/x"},
        }
    )
    refused = harness.channel(
        {"channel_type": "webhook", "name": "r", "config": {"url": f"http://127.0.0.1:{refused_port}/x"}}
    )

    for channel in (hanging, refused):
        with pytest.raises(RetryLater):
            harness.dispatch(harness.message(channel))
    silent.close()

    errors = sorted(d["error"] for d in harness.deliveries("outcome=retrying"))
    assert errors[0].startswith("connection failed") and errors[1] == "timed out"


def test_the_last_attempt_dead_letters_with_its_record(harness, receiver):
    receiver.answer("/hook", (503, {}))

    with pytest.raises(GiveUp):
        harness.dispatch(harness.message(harness.webhook()), attempt=8)

    assert [d["outcome"] for d in harness.deliveries()] == ["dead_lettered"]


def test_targets_are_checked_again_at_send_time(harness, monkeypatch, receiver):
    channel = harness.webhook()
    harness.dispatcher.senders["webhook"].http.allow_private = False  # as deployed: loopback is refused

    delivery = harness.dispatch(harness.message(channel))

    assert delivery.outcome == "failed" and "refused target" in delivery.error
    assert receiver.requests == []


def test_pagerduty_trigger_then_a_success_resolves_the_same_incident(harness, receiver):
    channel = harness.channel(
        {
            "channel_type": "pagerduty",
            "name": "pd",
            "config": {"routing_key": "R" * 32, "severity": "critical"},
        }
    )

    skipped = harness.dispatch(harness.message(channel, action="resolve", n=1))  # nothing open yet
    harness.dispatch(harness.message(channel, n=2))
    harness.dispatch(harness.message(channel, action="resolve", n=3))

    assert skipped is None
    trigger, resolve = (r.json() for r in receiver.at("/pagerduty"))
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "dagy/org_a/daily_etl/on_failure"
    assert trigger["routing_key"] == "R" * 32 and trigger["payload"]["severity"] == "critical"


def test_email_goes_through_ses(harness, aws):
    boto3.client("sesv2").create_email_identity(EmailIdentity="alerts@example.com")
    channel = harness.channel(
        {"channel_type": "email", "name": "mail", "config": {"to": ["oncall@example.com"]}}
    )

    delivery = harness.dispatch(harness.message(channel))

    assert delivery.outcome == "sent"


def test_channel_test_endpoint_sends_a_real_message_and_answers_the_delivery(harness, receiver):
    channel = harness.webhook("/test-hook")

    response = harness.api.post(f"/notifications/channels/{channel['channel_id']}/test", token=harness.token)

    assert response.status == 200
    assert response.json()["outcome"] == "sent"
    assert receiver.at("/test-hook")[0].json()["event"]["test"] is True


def test_deliveries_filter_by_channel_rule_and_outcome(harness, receiver):
    receiver.answer("/bad", (400, {}))
    good, bad = harness.webhook("/good"), harness.webhook("/bad")
    harness.dispatch(harness.message(good, n=1))
    harness.dispatch(harness.message(bad, n=2))

    assert [d["channel_id"] for d in harness.deliveries(f"channel_id={good['channel_id']}")] == [
        good["channel_id"]
    ]
    assert [d["channel_id"] for d in harness.deliveries("outcome=failed")] == [bad["channel_id"]]
    assert len(harness.deliveries("rule_id=rule_1")) == 2


def test_messages_are_not_started_when_the_invocation_is_about_to_time_out(harness, receiver, aws):
    from local.functions import LambdaContext
    from local.queues import lambda_record

    class AlmostOutOfTime(LambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 1000

    sqs = boto3.client("sqs")
    message = harness.message(harness.webhook())
    sqs.send_message(
        QueueUrl=aws["NOTIFICATIONS_QUEUE_URL"], MessageBody=message.model_dump_json(),
        MessageGroupId=message.channel_id, MessageDeduplicationId=message.notification_id,
    )  # fmt: skip
    [received] = sqs.receive_message(QueueUrl=aws["NOTIFICATIONS_QUEUE_URL"], AttributeNames=["All"])[
        "Messages"
    ]
    module = harness.functions.module("dispatcher")

    # Every record of the batch failed, so Powertools fails the invocation and SQS keeps them all.
    with pytest.raises(BatchProcessingError):
        module.handler(
            {"Records": [lambda_record(received, "arn:aws:sqs:us-east-1:1:q.fifo")]},
            AlmostOutOfTime("dispatcher"),
        )

    assert receiver.requests == []
    again = sqs.receive_message(QueueUrl=aws["NOTIFICATIONS_QUEUE_URL"]).get("Messages", [])
    assert [m["MessageId"] for m in again] == [received["MessageId"]]  # back at once, not after a timeout
