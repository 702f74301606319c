"""DynamoDB items read per `GET /metrics` scrape, divided by the number of flows, on moto.

Writes 200 flows with 100,000 runs between them, and each flow's counters as the evaluator keeps
them (the same `stats_change` folded over its runs), then scrapes through the API and counts the
items every DynamoDB call of the metrics function read. Goal: at most 1.1 items per flow, however
many runs there are.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws
from moto_env import ROOT  # noqa: F401 - sets up the environment before the project is imported

FLOWS = int(os.environ.get("BENCH_METRICS_FLOWS", "200"))
RUNS = int(os.environ.get("BENCH_METRICS_RUNS", "100000"))
NOW = datetime.now(UTC).replace(microsecond=0)
STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "cancelled")


def main() -> None:
    with mock_aws():
        from local.resources import create_resources

        env = create_resources(prefix="bench")
        os.environ.update(env)
        from dagy_ops.models.runs import RunRecord
        from dagy_ops.settings import get_settings
        from dagy_ops.stats import FlowStats, stats_change
        from dagy_ops.store.flows import FlowRepository
        from dagy_ops.store.items import to_item
        from dagy_ops.store.runs import RunRepository
        from local.admin import admin_token
        from tests.conftest import ApiClient

        get_settings.cache_clear()
        client = boto3.client("dynamodb")
        table = env["FLOWS_TABLE"]
        runs, flows = RunRepository(client, table), FlowRepository(client, table)
        batch: list[dict[str, Any]] = []

        def put(item: dict[str, Any]) -> None:
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == 25:
                client.batch_write_item(RequestItems={table: batch})
                batch.clear()

        print(f"writing {RUNS} runs over {FLOWS} flows and their counters...", flush=True)
        stats = {f"flow_{n:03}": FlowStats(flow_name=f"flow_{n:03}") for n in range(FLOWS)}
        for n in range(RUNS):
            flow = f"flow_{n % FLOWS:03}"
            started = NOW - timedelta(minutes=RUNS - n)
            run = RunRecord(org_id="org_bench", flow_name=flow, run_id=f"run_{n}", status=STATUSES[n % 5],
                            started_at=started, ended_at=started + timedelta(seconds=30 + n % 90), version=1)  # fmt: skip
            put(runs.item(run))
            stats[flow] = apply(stats[flow], stats_change(None, run, stats[flow]))
        for flow_stats in stats.values():
            attributes = {**flow_stats.model_dump(exclude_none=True), "pk": "ORG#org_bench"}
            put({**flows.stats_key("org_bench", flow_stats.flow_name), **to_item(attributes)})
        if batch:
            client.batch_write_item(RequestItems={table: batch})
        flows.count_notification("org_bench", "slack", "sent")  # the org's own counters item

        api = ApiClient()
        token = admin_token("org_bench")
        metrics_function = api.gateway.functions.module("metrics")
        read: list[int] = []

        def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "Query":
                read.append(int(parsed.get("ScannedCount", 0)))
            elif model.name == "GetItem":
                read.append(int("Item" in parsed))
            elif model.name == "BatchGetItem":
                read.append(sum(len(items) for items in parsed.get("Responses", {}).values()))

        metrics_function.flows.client.meta.events.register("after-call.dynamodb", count)
        response = api.get("/metrics", token=token)
        assert response.status == 200, response.body
        series = sum(1 for line in response.body.decode().splitlines() if line and not line.startswith("#"))
        print(
            f"scrape: {response.status}, {series} series, {len(read)} DynamoDB call(s) reading {sum(read)} items"
        )
        print(f"items read per flow: {sum(read) / FLOWS:.3f} (goal <= 1.1); runs in the table: {RUNS}")


def apply(stats: Any, change: Any) -> Any:
    """What DynamoDB does with the evaluator's update: ADD the counters, SET the newest-wins fields."""
    updated = stats.model_dump()
    for attribute, amount in change.add.items():
        updated[attribute] = updated.get(attribute, 0) + amount
    for guarded in change.guarded:
        current = updated.get(guarded.attribute)
        if current is None or current <= guarded.value:
            updated.update(guarded.attributes)
    return type(stats).model_validate(updated)


if __name__ == "__main__":
    main()
