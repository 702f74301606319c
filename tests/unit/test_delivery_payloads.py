"""Payloads per channel, Standard Webhooks signing, outcome classification and backoff. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest

from dagy_ops.models.events import NotificationMessage
from dagy_ops.notify import render
from dagy_ops.notify.http import HttpResult
from dagy_ops.notify.senders import classify
from dagy_ops.notify.signing import sign
from dagy_ops.services.dispatcher import MAX_DELAY_SECONDS, disables_channel, retry_delay


def message(trigger: str = "on_failure", action: str = "trigger", **event: object) -> NotificationMessage:
    return NotificationMessage(
        notification_id="n" * 64, org_id="org_123", rule_id="rule_1", rule_name="ETL Failure Alert",
        trigger=trigger, channel_id="ch_1", channel_type="webhook", action=action,  # type: ignore[arg-type]
        event={"flow_name": "daily_etl", "run_id": "run_9", "deployment": "prod", "status": "failed",
               "duration_seconds": 125.0, "error": "boom", **event},
    )  # fmt: skip


def test_signature_matches_the_standard_webhooks_reference_vector():
    # From the Standard Webhooks specification's reference implementations.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'

    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_signature_is_hmac_sha256_of_id_timestamp_body_under_the_decoded_secret():
    key = b"k" * 24
    secret = "whsec_" + base64.b64encode(key).decode()
    expected = base64.b64encode(hmac.new(key, b"id.5.{}", hashlib.sha256).digest()).decode()

    assert sign(secret, "id", 5, b"{}") == f"v1,{expected}"


def test_slack_message_has_text_blocks_facts_error_and_a_run_link():
    payload = render.slack_payload(message(), run_url_base="https://dagy.example.com/runs")

    assert payload["text"] == ":red_circle: Flow daily_etl failed (run run_9)"
    text = str(payload["blocks"])
    for fact in ("daily_etl", "run_9", "prod", "125s", "boom", "ETL Failure Alert"):
        assert fact in text
    assert payload["blocks"][-1]["elements"][0]["url"] == "https://dagy.example.com/runs/daily_etl/run_9"


def test_webhook_body_is_versioned_with_event_rule_and_org():
    body = render.webhook_payload(message())

    assert body["version"] == "1" and body["org_id"] == "org_123"
    assert body["rule"] == {"rule_id": "rule_1", "name": "ETL Failure Alert", "trigger": "on_failure"}
    assert body["event"]["run_id"] == "run_9"


def test_email_has_subject_text_and_escaped_html():
    subject, text, html = render.email_content(message(error="<script>x</script>"))

    assert subject == "[Dagy] Flow daily_etl failed (run run_9)"
    assert "Error: <script>x</script>" in text
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_pagerduty_trigger_and_resolve_share_a_dedup_key_per_org_flow_trigger():
    trigger = render.pagerduty_event(message(), "R" * 32, "critical")
    resolve = render.pagerduty_event(message(action="resolve"), "R" * 32, "critical")

    assert trigger["dedup_key"] == resolve["dedup_key"] == "dagy/org_123/daily_etl/on_failure"
    assert (
        trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"] == "dagy/prod/daily_etl"
    )
    assert "payload" not in resolve and resolve["event_action"] == "resolve"


def test_sla_and_retry_facts_are_shown():
    facts = dict(render.facts(message("on_sla_breach", sla_seconds=1800, elapsed_seconds=1900.0)))
    retry = dict(render.facts(message("on_retry", task_id="extract", attempt=3)))

    assert facts["SLA"] == "1800s, running 1900s"
    assert retry["Task"] == "extract (attempt 3)"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "sent"), (204, "sent"), (301, "failed"), (400, "failed"), (404, "failed"), (408, "retry"),
     (429, "retry"), (500, "retry"), (503, "retry"), (None, "retry")],
)  # fmt: skip
def test_outcomes(status, outcome):
    assert classify(HttpResult(status, 5)).outcome == outcome


def test_an_unsafe_target_is_never_retried():
    assert classify(HttpResult(None, 0, "refused target", retryable=False)).outcome == "failed"


def test_backoff_grows_with_jitter_and_is_capped_and_retry_after_wins():
    rng = random.Random(7)
    delays = [retry_delay(attempt, None, rng) for attempt in range(1, 10)]

    assert all(d >= 5 for d in delays) and max(delays) <= MAX_DELAY_SECONDS
    assert delays[0] <= 10 < delays[3]
    assert retry_delay(1, 42, rng) == 42
    assert retry_delay(1, 10_000, rng) == MAX_DELAY_SECONDS


@pytest.mark.parametrize(
    ("channel_type", "status", "disables"),
    [
        ("slack", 404, True),
        ("slack", 410, True),
        ("webhook", 410, True),
        ("webhook", 404, False),
        ("slack", 500, False),
    ],
)
def test_gone_endpoints_disable_their_channel(channel_type, status, disables):
    assert disables_channel(channel_type, status) is disables
