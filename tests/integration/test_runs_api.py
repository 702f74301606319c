"""/runs on moto: every filter through its index, newest first, pages, run detail, stale runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dagy_ops.models.common import format_time
from tests.conftest import slack_channel, walk_pages
from tests.pipeline import NOW, T0, retry_event, run_events


@pytest.fixture
def history(pipeline, token):
    """Six runs, a minute apart: (run id, flow, final status)."""
    runs = [
        ("r0", "daily_etl", "succeeded"),
        ("r1", "daily_etl", "failed"),
        ("r2", "hourly_sync", "succeeded"),
        ("r3", "daily_etl", "cancelled"),
        ("r4", "hourly_sync", "failed"),
        ("r5", "daily_etl", None),  # still running
    ]
    events = [
        e
        for i, (run_id, flow, status) in enumerate(runs)
        for e in run_events(flow, run_id, started=T0 + timedelta(minutes=i), status=status, minutes=0.5)
    ]
    pipeline.report(token, *events)
    return runs


def ids(api, token, query=""):
    response = api.get(f"/runs?{query}", token=token)
    assert response.status == 200, response.body
    return [run["run_id"] for run in response.json()["items"]]


def test_every_filter_newest_first(api, token, history):
    at = lambda minute: format_time(T0 + timedelta(minutes=minute)).replace(":", "%3A")  # noqa: E731
    assert ids(api, token) == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert ids(api, token, "flow_name=daily_etl") == ["r5", "r3", "r1", "r0"]
    assert ids(api, token, "status=failed") == ["r4", "r1"]
    assert ids(api, token, "status=running") == ["r5"]
    assert ids(api, token, "status=succeeded&flow_name=hourly_sync") == ["r2"]
    assert ids(api, token, f"since={at(2)}") == ["r5", "r4", "r3", "r2"]
    assert ids(api, token, f"until={at(2)}") == ["r2", "r1", "r0"]
    assert ids(api, token, f"since={at(1)}&until={at(3)}&flow_name=daily_etl") == ["r3", "r1"]
    assert ids(api, token, f"since={at(1)}&until={at(4)}&status=failed") == ["r4", "r1"]


def test_each_filter_is_a_query_of_an_index_never_a_scan(api, token, history, monkeypatch):
    calls: list[tuple[str, str]] = []

    def record(params, **_):
        calls.append((params.get("IndexName", "-"), params.get("FilterExpression", "")))

    runs_function = api.gateway.functions.module("runs")
    runs_function.runs.client.meta.events.register("provide-client-params.dynamodb.*", record)
    for query in ("", "flow_name=daily_etl", "status=failed", "flow_name=daily_etl&status=failed"):
        ids(api, token, query)
    assert calls == [
        ("runs_by_org", ""),
        ("runs_by_flow", ""),
        ("runs_by_status", ""),
        ("runs_by_flow_status", ""),
    ]


def test_pages_walk_every_run_once(api, token, history):
    seen = [run["run_id"] for run in walk_pages(api, "/runs?limit=4&flow_name=daily_etl", token)]
    assert seen == ["r5", "r3", "r1", "r0"]
    first = api.get("/runs?limit=2", token=token).json()["next_token"]
    assert api.get(f"/runs?status=failed&next_token={first}", token=token).status == 400  # another listing


@pytest.mark.parametrize(
    "query",
    ["status=done", "since=yesterday", "limit=500", "flow_name=bad%20name"],
)
def test_bad_filters_are_422(api, token, query):
    response = api.get(f"/runs?{query}", token=token)
    assert response.status == 422 and response.json()["code"] == "validation_error"


def test_since_after_until_is_400(api, token):
    response = api.get("/runs?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", token=token)
    assert response.status == 400 and "since" in response.json()["message"]


def test_run_detail_has_retries_and_sla_breaches(api, token, pipeline):
    channel_id = api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]
    rule = {
        "name": "sla",
        "trigger": "on_sla_breach",
        "flow_name": "daily_etl",
        "channel_ids": [channel_id],
        "sla_seconds": 60,
    }
    rule_id = api.post("/notifications/rules", rule, token=token).json()["rule_id"]
    events = run_events("daily_etl", "run_1", status="failed", minutes=10, error="KeyError: 'id'")
    events.insert(1, retry_event("daily_etl", "run_1", T0 + timedelta(minutes=2), "extract", 2))
    pipeline.report(token, *events)

    run = api.get("/runs/run_1", token=token)
    assert run.status == 200, run.body
    assert run.json() == {
        "run_id": "run_1", "flow_name": "daily_etl", "deployment": "prod", "status": "failed",
        "started_at": format_time(T0), "ended_at": format_time(T0 + timedelta(minutes=10)),
        "duration_seconds": 600.0, "error": "KeyError: 'id'",
        "retries": [{"task_id": "extract", "attempt": 2, "occurred_at": format_time(T0 + timedelta(minutes=2)), "error": None}],
        "sla_breaches": [rule_id],
    }  # fmt: skip


def test_a_run_id_used_by_two_flows_needs_the_flow(api, token, pipeline):
    pipeline.report(
        token, *run_events("daily_etl", "20260101_120000"), *run_events("hourly_sync", "20260101_120000")
    )
    ambiguous = api.get("/runs/20260101_120000", token=token)
    assert ambiguous.status == 409
    assert ambiguous.json()["details"]["flow_names"] == ["daily_etl", "hourly_sync"]
    chosen = api.get("/runs/20260101_120000?flow_name=hourly_sync", token=token)
    assert chosen.status == 200 and chosen.json()["flow_name"] == "hourly_sync"
    assert api.get("/runs/nope", token=token).status == 404


def test_runs_running_past_the_limit_are_stale_not_running_forever(api, token, pipeline, monkeypatch):
    pipeline.report(token, *run_events("daily_etl", "old", started=NOW - timedelta(hours=30), status=None))
    pipeline.report(token, *run_events("daily_etl", "young", started=NOW - timedelta(hours=1), status=None))

    assert ids(api, token, "status=running") == ["young"]
    assert ids(api, token, "status=stale") == ["old"]
    assert api.get("/runs/old", token=token).json()["status"] == "stale"
    assert (
        api.get("/flows/daily_etl", token=token).json()["latest_run"]["status"] == "running"
    )  # young is newest

    # The sweep writes the stale run off the running gauge, once.
    assert gauge(api, token, "dagy_flow_runs_running") == 2
    pipeline.sweep(NOW)
    pipeline.sweep(NOW + timedelta(minutes=1))
    assert gauge(api, token, "dagy_flow_runs_running") == 1
    # An end reported after all counts that run once, and does not take the gauge below zero.
    pipeline.report(
        token, *run_events("daily_etl", "old", started=NOW - timedelta(hours=30), status="failed")
    )
    assert api.get("/runs/old", token=token).json()["status"] == "failed"
    assert gauge(api, token, "dagy_flow_runs_running") == 1
    assert gauge(api, token, "dagy_flow_runs_total", flow="daily_etl", status="failed") == 1


def test_the_stale_limit_is_configurable(api, token, pipeline, monkeypatch):
    monkeypatch.setenv("DAGY_STALE_RUN_SECONDS", "600")
    from dagy_ops.settings import get_settings

    get_settings.cache_clear()
    fresh_api = type(api)()
    pipeline.report(
        token, *run_events("daily_etl", "run_1", started=NOW - timedelta(minutes=11), status=None)
    )
    assert fresh_api.get("/runs/run_1", token=token).json()["status"] == "stale"


def gauge(api, token, name, **labels):
    from prometheus_client.parser import text_string_to_metric_families

    text = api.get("/metrics", token=token).body.decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name}{labels} not in {text}")


def test_runs_are_not_readable_without_flows_read(api, mint):
    assert api.get("/runs", token=mint(permissions=["events.write"])).status == 403
    assert api.get("/runs/run_1", token=mint(permissions=["notifications.read"])).status == 403
