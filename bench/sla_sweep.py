"""Items read per due run by an SLA sweep, on moto.

Writes finished runs and running runs (a few of them past their deadline) for one org with SLA
rules, then runs one sweep and counts the items its index queries read. Goal: at most 2 items
read per due run, however many runs the table holds.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws
from moto_env import ROOT  # noqa: F401 - sets up the environment before the project is imported

os.environ["DAGY_RULES_CACHE_SECONDS"] = "0"  # rules read fresh by the sweep
FINISHED = int(os.environ.get("BENCH_SWEEP_FINISHED", "100000"))
RUNNING = int(os.environ.get("BENCH_SWEEP_RUNNING", "1000"))
DUE = int(os.environ.get("BENCH_SWEEP_DUE", "10"))
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def main() -> None:
    with mock_aws():
        from local.resources import create_resources

        env = create_resources(prefix="bench")
        os.environ.update(env)
        from dagy_ops.models.runs import RunRecord
        from dagy_ops.settings import get_settings
        from dagy_ops.store.runs import RunRepository
        from local.functions import FunctionRegistry
        from tests.conftest import ApiClient, slack_channel

        get_settings.cache_clear()
        client = boto3.client("dynamodb")
        runs = RunRepository(client, env["FLOWS_TABLE"])

        from local.admin import admin_token

        token = admin_token("org_bench")
        api = ApiClient()
        channel = api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]
        api.post(
            "/notifications/rules",
            {
                "name": "sla",
                "trigger": "on_sla_breach",
                "flow_name": "*",
                "channel_ids": [channel],
                "sla_seconds": 1800,
            },
            token=token,
        )

        print(f"writing {FINISHED} finished and {RUNNING} running runs ({DUE} past their SLA)...", flush=True)
        batch: list[dict[str, Any]] = []

        def put(run: RunRecord) -> None:
            batch.append({"PutRequest": {"Item": runs.item(run)}})
            if len(batch) == 25:
                client.batch_write_item(RequestItems={env["FLOWS_TABLE"]: batch})
                batch.clear()

        for n in range(FINISHED):
            started = NOW - timedelta(days=1, minutes=n % 1000)
            put(RunRecord(org_id="org_bench", flow_name=f"flow_{n % 50}", run_id=f"done_{n}", status="succeeded",
                          started_at=started, ended_at=started + timedelta(minutes=5), version=1))  # fmt: skip
        for n in range(RUNNING):
            started = NOW - timedelta(minutes=31 if n < DUE else 5)
            put(RunRecord(org_id="org_bench", flow_name=f"flow_{n % 50}", run_id=f"live_{n}", started_at=started,
                          sla_due_at=started + timedelta(minutes=30), version=1))  # fmt: skip
        if batch:
            client.batch_write_item(RequestItems={env["FLOWS_TABLE"]: batch})

        evaluator = FunctionRegistry().module("evaluator").evaluator
        read: list[int] = []
        original = evaluator.runs.client.query

        def counting_query(**request: Any) -> Any:
            page = original(**request)
            if request.get("IndexName") == "sla_due":
                read.append(page["ScannedCount"])
            return page

        original_get = evaluator.runs.client.get_item

        def counting_get(**request: Any) -> Any:  # the flow of a due run: is it suspended?
            read.append(1)
            return original_get(**request)

        evaluator.runs.client.query = counting_query
        evaluator.runs.client.get_item = counting_get
        fired = evaluator.sweep(NOW)
        print(f"sweep fired {fired} breaches; read {sum(read)} items (SLA index and the due runs' flows) for {DUE} "
              f"due runs: {sum(read) / DUE:.2f} items per due run (goal <= 2)")  # fmt: skip


if __name__ == "__main__":
    main()
