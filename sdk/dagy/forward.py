"""Run events of local runs to Dagy Ops (`POST /events`), so local runs alert like deployed ones.

Events are written to an outbox on disk first (`<home>/outbox/`), then a background thread
sends them in batches and removes what the API accepted. When the API is down or slow nothing
waits on it: the flow goes on, the events stay in the outbox, and the next run sends them
(event ids are stable, so the API drops any it already has).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from dagy.engine import Listener
from dagy.files import write_atomic
from dagy.model import Attempt, FlowRun, TaskRun

BATCH = 100  # POST /events takes up to 100 events
ERROR_CHARS = 4000


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_id(*parts: object) -> str:
    return "evt_" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


class EventForwarder(Listener):
    def __init__(self, api_url: str, token: str, home: Path, timeout_seconds: float = 2.0) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"DAGY_API_URL must be an http(s) URL, not {api_url!r}")
        self.url = api_url.rstrip("/") + "/events"
        self.token = token
        self.outbox = home / "outbox"
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sending = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="dagy-events", daemon=True)
        self._thread.start()

    @classmethod
    def from_environment(cls, home: Path) -> EventForwarder | None:
        url, token = os.environ.get("DAGY_API_URL"), os.environ.get("DAGY_API_TOKEN")
        return cls(url, token, home) if url and token else None

    # Listener: the events the evaluator understands.
    def flow_started(self, run: FlowRun) -> None:
        self._queue(run, "flow_run.started", run.started_at)

    def task_retrying(self, run: FlowRun, task: TaskRun, attempt: Attempt, delay: float) -> None:
        assert attempt.ended_at is not None
        self._queue(
            run,
            "task_run.retrying",
            attempt.ended_at,
            task_id=task.task_id,
            attempt=attempt.attempt + 1,
            error=attempt.error,
        )

    def flow_ended(self, run: FlowRun) -> None:
        assert run.ended_at is not None
        error = run.error if run.status != "succeeded" else None
        self._queue(run, f"flow_run.{run.status}", run.ended_at, error=error)

    def _queue(self, run: FlowRun, kind: str, at: datetime, **extra: Any) -> None:
        event = {
            "event_id": event_id(run.run_id, kind, extra.get("task_id"), extra.get("attempt")),
            "type": kind,
            "flow_name": run.flow_name,
            "run_id": run.run_id,
            "deployment": "local",
            "occurred_at": _time(at),
            **{key: value for key, value in extra.items() if value is not None},
        }
        if event.get("error"):
            event["error"] = str(event["error"])[:ERROR_CHARS]
        # Named so the outbox sorts oldest first.
        write_atomic(
            self.outbox / f"{at.strftime('%Y%m%dT%H%M%S%f')}_{event['event_id']}.json", json.dumps(event)
        )
        self._wake.set()

    def _loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            backoff = 0.5 if self.send_pending() else min(backoff * 2, 30)

    def send_pending(self) -> bool:
        """Send what the outbox holds, oldest first; answers False when the API could not be reached."""
        with self._sending:
            while files := sorted(self.outbox.glob("*.json"))[:BATCH]:
                events = []
                for path in files:
                    try:
                        events.append(json.loads(path.read_text(encoding="utf-8")))
                    except (OSError, ValueError):
                        path.unlink(missing_ok=True)  # unreadable: nothing could ever send it
                if events and not self._post(events):
                    return False
                for path in files:
                    path.unlink(missing_ok=True)
            return True

    def _post(self, events: list[dict[str, Any]]) -> bool:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in __init__
            self.url,
            data=json.dumps({"events": events}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return 200 <= response.status < 300
        except urllib.error.HTTPError as error:
            # An event the API refuses as invalid never will be accepted: drop it rather than hold
            # every later event behind it. Anything else (a bad token, a 5xx, 429) is kept.
            return error.code in (400, 413, 422)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        """One last send, bounded by the timeout; what is left stays in the outbox for the next run."""
        self._stop.set()
        self._wake.set()
        self._thread.join(self.timeout)
        self.send_pending()
