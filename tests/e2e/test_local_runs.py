"""A failing example flow run with `dagy run` on a laptop fires its on_failure rule on the local stack."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.test_audit_trail import call
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 20


def test_a_failing_local_run_alerts_through_its_rule(local_stack, tmp_path):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    receiver = Receiver()
    try:
        hook = {"channel_type": "webhook", "name": "local-runs", "config": {"url": f"{receiver.url}/local"}}
        channel = call(local_stack, token, "POST", "/notifications/channels", hook)
        rule = {
            "name": "Local failures",
            "trigger": "on_failure",
            "flow_name": "daily_etl",
            "channel_ids": [channel["channel_id"]],
        }
        call(local_stack, token, "POST", "/notifications/rules", rule)

        env = {
            **os.environ,
            "DAGY_HOME": str(tmp_path),
            "DAGY_API_URL": local_stack.base_url,
            "DAGY_API_TOKEN": token,
        }
        dagy = Path(sys.executable).parent / "dagy"
        run = subprocess.run(
            [str(dagy), "run", "examples/daily_etl.py:daily_etl", "--param", "fail=true"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert run.returncode == 1, run.stdout + run.stderr
        run_id = run.stdout.splitlines()[0].split()[1]

        deadline = time.monotonic() + DEADLINE_SECONDS
        alerts: list[dict] = []
        while time.monotonic() < deadline and not alerts:
            alerts = [r.json() for r in receiver.at("/local") if r.json()["event"]["run_id"] == run_id]
            time.sleep(0.2)
        assert [(a["type"], a["event"]["flow_name"], a["event"]["deployment"]) for a in alerts] == [
            ("on_failure", "daily_etl", "local")
        ]
        assert alerts[0]["event"]["error"] == "task(s) failed: load"
        assert not list((tmp_path / "outbox").glob("*.json"))  # every event was accepted
        runs = call(local_stack, token, "GET", f"/runs/{run_id}")
        assert runs["status"] == "failed"
    finally:
        receiver.close()
