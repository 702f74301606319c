"""The evaluator on moto: AWS calls per event, and events per second against the queue's raw rate.

1. A batch of 10 failed-run events of one org, each matching one rule with one channel: the AWS
   calls the evaluator makes, per event (goal: at most 1 once the org's rules are cached... see
   the printed breakdown).
2. Throughput: the same number of events through the local SQS event source mapping and the
   evaluator, against receiving and deleting them with nothing in between (goal: ratio >= 0.5).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter

import boto3
from moto import mock_aws
from moto_env import ROOT  # noqa: F401 - sets up the environment before the project is imported

EVENTS = int(os.environ.get("BENCH_EVALUATOR_EVENTS", "300"))


def failed_event(n: int) -> str:
    return json.dumps(
        {
            "event_id": f"evt_bench_{n}", "type": "flow_run.failed", "org_id": "org_bench", "flow_name": "daily_etl",
            "run_id": f"run_{n}", "deployment": "prod", "occurred_at": "2026-01-15T10:30:00Z", "error": "boom",
        }
    )  # fmt: skip


def main() -> None:
    with mock_aws():
        from local.resources import create_resources

        env = create_resources(prefix="bench")
        os.environ.update(env)
        from dagy_ops.clients import _session
        from dagy_ops.settings import get_settings
        from local.functions import FunctionRegistry
        from local.queues import QueuePoller
        from tests.conftest import ApiClient, slack_channel

        get_settings.cache_clear()
        calls: Counter[str] = Counter()
        _session().events.register(
            "before-parameter-build.*.*",
            lambda model, **_: calls.update([f"{model.service_model.service_name}.{model.name}"]),
        )

        from local.admin import admin_token

        token = admin_token("org_bench")
        api = ApiClient()
        channel = api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]
        api.post(
            "/notifications/rules",
            {"name": "r", "trigger": "on_failure", "flow_name": "daily_etl", "channel_ids": [channel]},
            token=token,
        )
        sqs = boto3.client("sqs")
        queue = env["EVENTS_QUEUE_URL"]
        poller = QueuePoller(sqs, queue, FunctionRegistry(), "evaluator")

        for n in range(10):
            sqs.send_message(QueueUrl=queue, MessageBody=failed_event(n))
        calls.clear()
        poller.poll_once()
        per_event = sum(calls.values()) / 10
        print("batch of 10 failed-run events, one org, one matching rule and channel:")
        for name, count in sorted(calls.items()):
            print(f"  {name:<34}{count:>4}  ({count / 10:.1f} per event)")
        print(f"  AWS calls per event: {per_event:.1f}")

        def fill(offset: int) -> None:
            for start in range(0, EVENTS, 10):
                entries = [{"Id": str(i), "MessageBody": failed_event(offset + start + i)} for i in range(10)]
                sqs.send_message_batch(QueueUrl=queue, Entries=entries)

        fill(1000)
        began = time.perf_counter()
        while poller.poll_once():
            pass
        handled = EVENTS / (time.perf_counter() - began)

        fill(100_000)
        began = time.perf_counter()
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        raw = EVENTS / (time.perf_counter() - began)
        print(f"throughput over {EVENTS} events: evaluator {handled:.0f}/s, raw receive+delete {raw:.0f}/s, "
              f"ratio {handled / raw:.2f} (goal >= 0.5)")  # fmt: skip


if __name__ == "__main__":
    main()
