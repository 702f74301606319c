"""Flows, runs and Prometheus metrics over HTTP on the local stack, as a Dagu user would use them."""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_audit_trail import call

DEADLINE_SECONDS = 20


def test_deploy_report_runs_find_them_and_scrape_metrics(local_stack):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    flow = call(
        local_stack, token, "PUT", "/flows/e2e_etl", {"version": "3", "deployment": "prod", "tags": ["e2e"]}
    )
    assert flow["version"] == "3" and flow["latest_run"] is None

    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    at = lambda minutes: (started + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    events = [
        {"event_id": "evt_e2e_flow_s1", "type": "flow_run.started", "flow_name": "e2e_etl", "run_id": "e2e_r1", "occurred_at": at(0)},
        {"event_id": "evt_e2e_flow_f1", "type": "flow_run.failed", "flow_name": "e2e_etl", "run_id": "e2e_r1", "occurred_at": at(2)},
        {"event_id": "evt_e2e_flow_s2", "type": "flow_run.started", "flow_name": "e2e_etl", "run_id": "e2e_r2", "occurred_at": at(5)},
    ]  # fmt: skip
    call(local_stack, token, "POST", "/events", {"events": events})

    deadline = time.monotonic() + DEADLINE_SECONDS
    runs: list[dict] = []
    while time.monotonic() < deadline and len(runs) < 2:
        runs = call(local_stack, token, "GET", "/runs?flow_name=e2e_etl")["items"]
        time.sleep(0.2)
    assert [(r["run_id"], r["status"]) for r in runs] == [("e2e_r2", "running"), ("e2e_r1", "failed")]
    assert [
        r["run_id"] for r in call(local_stack, token, "GET", "/runs?flow_name=e2e_etl&status=failed")["items"]
    ] == ["e2e_r1"]
    assert call(local_stack, token, "GET", "/flows?tag=e2e")["items"][0]["latest_run"]["run_id"] == "e2e_r2"

    muted = call(local_stack, token, "POST", "/flows/e2e_etl/suspend", {"suspend": True})
    assert muted["suspended"] is True

    request = urllib.request.Request(
        f"{local_stack.base_url}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("dagy_flow_runs_total", (("flow", "e2e_etl"), ("status", "failed")))] == 1
    assert samples[("dagy_flow_last_run_status", (("flow", "e2e_etl"), ("status", "running")))] == 1
    assert samples[("dagy_flow_run_duration_seconds", (("flow", "e2e_etl"),))] == 120
