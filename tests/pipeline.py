"""Run events as a Dagy worker reports them: `POST /events`, then the evaluator drains the queue."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from dagy_ops.models.common import format_time
from local.functions import FunctionRegistry
from local.queues import QueuePoller
from tests.conftest import ApiClient

# Recent enough that runs are not stale (the default limit is a day), to the second.
NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(hours=2)


def run_events(
    flow: str,
    run_id: str,
    started: datetime = T0,
    status: str | None = "succeeded",
    minutes: float = 5,
    deployment: str = "prod",
    error: str | None = None,
) -> list[dict[str, Any]]:
    """A run's events: started, then its end (`status=None`: still running)."""
    events = [_event("flow_run.started", flow, run_id, started, deployment)]
    if status is not None:
        end = _event(f"flow_run.{status}", flow, run_id, started + timedelta(minutes=minutes), deployment)
        events.append({**end, "error": error} if error else end)
    return events


def retry_event(flow: str, run_id: str, at: datetime, task_id: str, attempt: int) -> dict[str, Any]:
    return {**_event("task_run.retrying", flow, run_id, at), "task_id": task_id, "attempt": attempt}


def _event(kind: str, flow: str, run_id: str, at: datetime, deployment: str = "prod") -> dict[str, Any]:
    return {
        "event_id": f"evt_{kind.split('.')[1]}_{flow}_{run_id}",
        "type": kind,
        "flow_name": flow,
        "run_id": run_id,
        "deployment": deployment,
        "occurred_at": format_time(at),
    }


class Pipeline:
    def __init__(self, aws: dict[str, str], api: ApiClient) -> None:
        self.api = api
        self.sqs = boto3.client("sqs")
        self.functions = FunctionRegistry()
        self.poller = QueuePoller(self.sqs, aws["EVENTS_QUEUE_URL"], self.functions, "evaluator")
        self.notifications_url = aws["NOTIFICATIONS_QUEUE_URL"]

    @property
    def evaluator(self) -> Any:
        return self.functions.module("evaluator").evaluator

    def report(self, token: str, *events: dict[str, Any]) -> None:
        """Post the events (in batches of 100) and let the evaluator process every one."""
        for start in range(0, len(events), 100):
            response = self.api.post("/events", {"events": list(events[start : start + 100])}, token=token)
            assert response.status == 202, response.body
        while self.poller.poll_once():
            pass

    def deliver(self, deadline_seconds: float = 30) -> None:
        """Let the dispatcher send everything the evaluator queued, retries (after their backoff) included."""
        dispatcher = QueuePoller(self.sqs, self.notifications_url, self.functions, "dispatcher")
        deadline = time.monotonic() + deadline_seconds
        while self._queued(self.notifications_url):
            assert time.monotonic() < deadline, "notifications still queued at the deadline"
            dispatcher.poll_once(wait_seconds=1)

    def _queued(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def sweep(self, now: datetime) -> int:
        return int(self.evaluator.sweep(now))

    def notifications(self) -> list[dict[str, Any]]:
        """What the evaluator queued for the dispatcher (and removes it from the queue)."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.notifications_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.notifications_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return messages
