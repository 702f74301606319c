"""Event to webhook latency on the local stack, against the floor of one queue hop.

Starts `python -m local`, points an `on_failure` rule for every flow at a local webhook receiver,
posts 200 failure events over 10 flows through `POST /events`, and prints p50/p95 of the time
from posting an event to the signed webhook arriving. The floor is the same measurement for a
no-op path: a message sent to a queue on the same emulator and received by a poller waiting the
way the local event source mappings wait. Goal: p50 ratio at most 2.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from tests.e2e.conftest import start_local_stack  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

EVENTS, FLOWS = 200, 10


def call(base: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def floor(endpoint: str) -> list[float]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    url = sqs.create_queue(QueueName="bench-floor")["QueueUrl"]
    arrived: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            ):
                arrived[m["Body"]] = time.monotonic()
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    threading.Thread(target=poll, daemon=True).start()
    sent: dict[str, float] = {}
    for n in range(EVENTS):
        sent[str(n)] = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
        time.sleep(0.01)
    deadline = time.monotonic() + 30
    while len(arrived) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    return [arrived[k] - sent[k] for k in arrived]


def main() -> None:
    receiver = Receiver()
    stack = start_local_stack()
    try:
        token = next(line.split("=", 1)[1].strip() for line in stack.banner if line.startswith("DAGY_TOKEN="))
        channel = call(stack.base_url, token, "/notifications/channels",
                       {"channel_type": "webhook", "name": "bench", "config": {"url": f"{receiver.url}/hook"}})  # fmt: skip
        call(stack.base_url, token, "/notifications/rules",
             {"name": "all", "trigger": "on_failure", "flow_name": "*", "channel_ids": [channel["channel_id"]]})  # fmt: skip
        sent: dict[str, float] = {}
        for n in range(EVENTS):
            run_id = f"run_{n}"
            sent[run_id] = time.monotonic()
            call(stack.base_url, token, "/events", {
                "event_id": f"evt_{n}", "type": "flow_run.failed", "flow_name": f"flow_{n % FLOWS}",
                "run_id": run_id, "occurred_at": "2026-01-15T10:30:00Z",
            })  # fmt: skip
            time.sleep(0.01)
        deadline = time.monotonic() + 120
        while len(receiver.at("/hook")) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        latencies = [r.at - sent[r.json()["event"]["run_id"]] for r in receiver.at("/hook")]
        base = floor(stack.aws_endpoint_url)
    finally:
        stack.stop()
        receiver.close()
    p50, p95 = percentiles(latencies)
    f50, f95 = percentiles(base)
    print(f"{len(latencies)}/{EVENTS} webhooks received over {FLOWS} flows")
    print(f"event -> webhook   p50 {p50 * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms")
    print(f"one queue hop      p50 {f50 * 1000:7.0f} ms   p95 {f95 * 1000:7.0f} ms")
    print(f"ratio              p50 {p50 / f50:7.2f}      p95 {p95 / f95:7.2f}   (goal p50 <= 2)")


if __name__ == "__main__":
    main()
