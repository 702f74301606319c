"""A failed run reported over HTTP reaches a webhook exactly once, signed, on the local stack."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from tests.e2e.test_audit_trail import call
from tests.receiver import Receiver

DEADLINE_SECONDS = 20


def test_a_failed_run_reaches_the_rules_webhook_once_correctly_signed(local_stack):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    receiver = Receiver()
    try:
        channel = call(
            local_stack, token, "POST", "/notifications/channels",
            {"channel_type": "webhook", "name": "etl-hook", "config": {"url": f"{receiver.url}/dagy"}},
        )  # fmt: skip
        call(
            local_stack, token, "POST", "/notifications/rules",
            {"name": "ETL Failure Alert", "trigger": "on_failure", "flow_name": "daily_etl", "channel_ids": [channel["channel_id"]]},
        )  # fmt: skip
        failed = {
            "event_id": "evt_e2e_failed_1", "type": "flow_run.failed", "flow_name": "daily_etl", "run_id": "run_e2e_1",
            "deployment": "prod", "occurred_at": "2026-01-15T10:30:00Z", "error": "KeyError: 'customer_id'",
        }  # fmt: skip
        assert call(local_stack, token, "POST", "/events", failed) == {"accepted": ["evt_e2e_failed_1"]}
        call(local_stack, token, "POST", "/events", failed)  # a duplicate: delivered once

        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and not receiver.at("/dagy"):
            time.sleep(0.2)
        time.sleep(1.0)  # room for a duplicate to arrive, were one sent

        [request] = receiver.at("/dagy")
        body = request.json()
        assert (body["type"], body["event"]["run_id"], body["event"]["error"]) == (
            "on_failure", "run_e2e_1", "KeyError: 'customer_id'",
        )  # fmt: skip
        key = base64.b64decode(channel["signing_secret"].removeprefix("whsec_"))
        signed = (
            f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
        )
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert request.headers["webhook-signature"] == expected
    finally:
        receiver.close()


def test_a_failure_triggers_a_pagerduty_incident_and_the_next_success_resolves_it(local_stack, stand_in):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    channel = call(
        local_stack, token, "POST", "/notifications/channels",
        {"channel_type": "pagerduty", "name": "pd-oncall", "config": {"routing_key": "P" * 32}},
    )  # fmt: skip
    call(
        local_stack, token, "POST", "/notifications/rules",
        {"name": "Page on failure", "trigger": "on_failure", "flow_name": "billing", "channel_ids": [channel["channel_id"]]},
    )  # fmt: skip
    run = {"flow_name": "billing", "run_id": "run_pd_1", "deployment": "prod"}
    call(local_stack, token, "POST", "/events",
         {**run, "event_id": "evt_pd_failed", "type": "flow_run.failed", "occurred_at": "2026-01-15T10:30:00Z"})  # fmt: skip
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and not stand_in.at("/pagerduty"):
        time.sleep(0.2)
    call(local_stack, token, "POST", "/events",
         {**run, "event_id": "evt_pd_ok", "type": "flow_run.succeeded", "occurred_at": "2026-01-15T11:00:00Z",
          "run_id": "run_pd_2"})  # fmt: skip
    while time.monotonic() < deadline and len(stand_in.at("/pagerduty")) < 2:
        time.sleep(0.2)

    events = [r.json() for r in stand_in.at("/pagerduty")]
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    assert {e["dedup_key"] for e in events} == {"dagy/org_local/billing/on_failure"}
