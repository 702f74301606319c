"""Local runs' events to POST /events: sent to a real HTTP server, and kept on disk while it is down."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from dagy import Flow, run_local
from tests.receiver import Receiver


@pytest.fixture
def api() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def flaky_flow() -> Flow:
    flow = Flow("local_etl")
    calls = [0]

    @flow.task(retries=1)
    def extract():
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionError("source busy")

    @flow.task(depends_on=[extract])
    def load(extract):
        raise RuntimeError("KeyError: 'customer_id'")

    return flow


def sent_events(receiver: Receiver) -> list[dict]:
    return [event for request in receiver.at("/events") for event in request.json()["events"]]


def test_a_local_run_reports_its_events(home, api, monkeypatch):
    monkeypatch.setenv("DAGY_API_URL", api.url)
    monkeypatch.setenv("DAGY_API_TOKEN", "dgy_test")
    result = run_local(flaky_flow())

    events = sent_events(api)
    assert [e["type"] for e in events] == ["flow_run.started", "task_run.retrying", "flow_run.failed"]
    assert {(e["flow_name"], e["run_id"], e["deployment"]) for e in events} == {
        ("local_etl", result.run_id, "local")
    }
    assert (events[1]["task_id"], events[1]["attempt"], events[1]["error"]) == (
        "extract",
        2,
        "ConnectionError: source busy",
    )
    assert events[2]["error"] == "task(s) failed: load"
    assert all(e["event_id"].startswith("evt_") for e in events)
    assert api.at("/events")[0].headers["authorization"] == "Bearer dgy_test"
    assert not list((home / "outbox").glob("*.json"))


def test_with_the_api_down_the_flow_is_unaffected_and_events_wait_on_disk(home, api, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("DAGY_API_URL", down)
    monkeypatch.setenv("DAGY_API_TOKEN", "dgy_test")
    first = run_local(flaky_flow())
    assert first.status == "failed" and first.run.tasks["extract"].status == "succeeded"  # ran as usual
    waiting = sorted((home / "outbox").glob("*.json"))
    assert [json.loads(p.read_text())["type"] for p in waiting] == [
        "flow_run.started",
        "task_run.retrying",
        "flow_run.failed",
    ]

    monkeypatch.setenv("DAGY_API_URL", api.url)  # back up: the next run sends both runs' events
    second = run_local(flaky_flow())
    runs = [e["run_id"] for e in sent_events(api)]
    assert runs.count(first.run_id) == 3 and runs.count(second.run_id) == 3
    assert not list((home / "outbox").glob("*.json"))


def test_events_the_api_refuses_as_invalid_are_dropped_but_a_bad_token_keeps_them(home, api, monkeypatch):
    monkeypatch.setenv("DAGY_API_URL", api.url)
    monkeypatch.setenv("DAGY_API_TOKEN", "dgy_test")
    api.answer("/events", *[(401, {})] * 10)
    run_local(Flow("quiet"))
    assert len(list((home / "outbox").glob("*.json"))) == 2  # started, succeeded: kept for later
    api.answers["/events"].clear()
    api.answer("/events", (422, {}))
    run_local(Flow("quiet"))
    assert not list((home / "outbox").glob("*.json"))
