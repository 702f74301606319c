"""GET /metrics on moto: Prometheus text parsed back with prometheus_client, counters after a script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dagy_ops import __version__
from tests.pipeline import T0, retry_event, run_events
from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def pipeline(pipeline, monkeypatch):
    monkeypatch.setenv("DAGY_ALLOW_PRIVATE_TARGETS", "true")  # the stand-in listens on 127.0.0.1
    return pipeline


def scrape(api, token) -> dict[tuple[str, frozenset], float]:
    response = api.get("/metrics", token=token)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.body.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_counters_after_a_scripted_sequence(api, mint, pipeline, receiver, aws):
    token = mint()
    hook = {"channel_type": "webhook", "name": "hook", "config": {"url": receiver.url + "/hook"}}
    channel_id = api.post("/notifications/channels", hook, token=token).json()["channel_id"]
    for trigger, extra in (("on_failure", {}), ("on_sla_breach", {"sla_seconds": 120})):
        rule = {
            "name": trigger,
            "trigger": trigger,
            "flow_name": "daily_etl",
            "channel_ids": [channel_id],
            **extra,
        }
        assert api.post("/notifications/rules", rule, token=token).status == 201
    receiver.answer("/hook", (429, {"Retry-After": "1"}))  # the first delivery is retried a second later
    # What the FIFO group held back behind it comes back at once, not after the queue's 60 s.
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=aws["NOTIFICATIONS_QUEUE_URL"], Attributes={"VisibilityTimeout": "0"})

    pipeline.report(
        token,
        *run_events("daily_etl", "r1", started=T0, status="succeeded", minutes=1),
        *run_events("daily_etl", "r2", started=T0 + timedelta(minutes=10), status="failed", minutes=3),
        retry_event("daily_etl", "r2", T0 + timedelta(minutes=11), "extract", 2),
        *run_events("daily_etl", "r3", started=T0 + timedelta(minutes=20), status=None),
        *run_events("hourly_sync", "h1", started=T0 + timedelta(minutes=5), status="cancelled", minutes=2),
        *run_events("daily_etl", "r1", started=T0, status="succeeded", minutes=1),  # a duplicate report
    )
    pipeline.deliver()
    # A message that can never be processed, for org_a: dead-lettered and counted.
    sqs.send_message(
        QueueUrl=aws["EVENTS_QUEUE_URL"], MessageBody=json.dumps({"org_id": "org_a", "type": "bogus"})
    )
    pipeline.report(token)

    samples = scrape(api, token)
    runs = lambda flow, status: value(samples, "dagy_flow_runs_total", flow=flow, status=status)  # noqa: E731
    assert (runs("daily_etl", "succeeded"), runs("daily_etl", "failed"), runs("daily_etl", "cancelled")) == (
        1,
        1,
        0,
    )
    assert runs("hourly_sync", "cancelled") == 1
    assert value(samples, "dagy_flow_runs_running") == 1
    assert value(samples, "dagy_flow_last_run_status", flow="daily_etl", status="running") == 1
    assert value(samples, "dagy_flow_last_run_status", flow="daily_etl", status="failed") == 0
    assert value(samples, "dagy_flow_last_run_status", flow="hourly_sync", status="cancelled") == 1
    assert value(samples, "dagy_flow_run_duration_seconds", flow="daily_etl") == 180  # r2, the last to end
    assert value(samples, "dagy_sla_breaches_total", flow="daily_etl") == 1  # r2 ran 3 minutes against 2
    # r2's failure and r2's breach: one 500 then sent, and sent.
    assert value(samples, "dagy_notifications_total", channel_type="webhook", outcome="retrying") == 1
    assert value(samples, "dagy_notifications_total", channel_type="webhook", outcome="sent") == 2
    assert value(samples, "dagy_events_dead_lettered_total") == 1
    assert value(samples, "dagy_build_info", version=__version__) == 1

    assert scrape(api, mint(org="org_b", email="bob@example.com")) == {
        ("dagy_flow_runs_running", frozenset()): 0,
        ("dagy_events_dead_lettered_total", frozenset()): 0,
        ("dagy_build_info", frozenset({("version", __version__)})): 1,
    }


def test_a_scrape_reads_counters_never_runs(api, mint, pipeline):
    token = mint()
    events = [
        e
        for i in range(30)
        for e in run_events(f"flow_{i % 3}", f"run_{i}", started=T0 + timedelta(minutes=i))
    ]
    pipeline.report(token, *events)
    calls: list[dict] = []
    metrics_function = api.gateway.functions.module("metrics")
    metrics_function.flows.client.meta.events.register(
        "after-call.dynamodb.*", lambda parsed, **_: calls.append(parsed)
    )
    scrape(api, token)
    assert [call["Count"] for call in calls] == [3]  # one query, a counters item per flow, no org item yet
