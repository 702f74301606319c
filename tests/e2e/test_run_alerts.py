"""A failed run reported over HTTP becomes one notification message, on the local stack."""

from __future__ import annotations

import json
import time

import boto3

from tests.e2e.test_audit_trail import call

DEADLINE_SECONDS = 20


def test_a_failed_run_event_queues_one_notification_for_the_rules_channel(local_stack):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    channel = call(
        local_stack, token, "POST", "/notifications/channels",
        {"channel_type": "email", "name": "etl-oncall", "config": {"to": ["oncall@example.com"]}},
    )  # fmt: skip
    rule = call(
        local_stack, token, "POST", "/notifications/rules",
        {"name": "ETL Failure Alert", "trigger": "on_failure", "flow_name": "daily_etl", "channel_ids": [channel["channel_id"]]},
    )  # fmt: skip
    failed = {
        "event_id": "evt_e2e_failed_1", "type": "flow_run.failed", "flow_name": "daily_etl", "run_id": "run_e2e_1",
        "deployment": "prod", "occurred_at": "2026-01-15T10:30:00Z", "error": "KeyError: 'customer_id'",
    }  # fmt: skip
    accepted = call(local_stack, token, "POST", "/events", failed)
    call(local_stack, token, "POST", "/events", failed)  # a duplicate: processed once
    assert accepted == {"accepted": ["evt_e2e_failed_1"]}

    sqs = boto3.client(
        "sqs", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    queue_url = next(u for u in sqs.list_queues()["QueueUrls"] if u.endswith("notificationsqueue.fifo"))
    messages: list[dict] = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        messages += [json.loads(m["Body"]) for m in batch]
        if messages and not batch:
            break

    assert [(m["rule_id"], m["channel_id"], m["trigger"]) for m in messages] == [
        (rule["rule_id"], channel["channel_id"], "on_failure")
    ]
    assert messages[0]["event"]["error"] == "KeyError: 'customer_id'"
