"""The Dagy operations page's curl examples, run as written against `make dev`'s stack.

Only the host and the placeholders are substituted: `https://api.dagy.io` by the local URL,
`<token>` by the admin token the stack prints, and `ch_abc123` by the channel the first
example created.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_3bdfbd7e97bb2ca3.txt"


def seed_curl_commands() -> list[str]:
    """Each shell command that starts with `curl`, with its continuation lines and quoted body."""
    commands, current = [], []
    for line in SEED.read_text().splitlines():
        if not current and not line.startswith("curl "):
            continue
        current.append(line)
        text = "\n".join(current)
        if not line.endswith("\\") and text.count("'") % 2 == 0:
            commands.append(text)
            current = []
    return commands


def run(command: str, base_url: str, token: str, channel_id: str = "ch_abc123") -> tuple[int, dict]:
    command = command.replace("https://api.dagy.io", base_url).replace("<token>", token)
    command = command.replace("ch_abc123", channel_id)
    out = subprocess.run(
        ["bash", "-c", command + ' -s -w "\\n%{http_code}"'],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    body, status = out.rsplit("\n", 1)
    return int(status), json.loads(body) if body else {}


@pytest.fixture(scope="module")
def token(local_stack) -> str:
    return next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )


@pytest.mark.skipif(not SEED.exists(), reason="the seed pages sit beside the checkout in ../shared")
def test_the_seeds_examples_work_as_written(local_stack, token):
    health, create_channel, list_channels, create_rule, create_sla_rule, audit = seed_curl_commands()

    status, body = run(health, local_stack.base_url, token)
    assert (status, body["status"]) == (200, "healthy")

    status, channel = run(create_channel, local_stack.base_url, token)
    assert status == 201, channel
    assert (channel["channel_type"], channel["name"]) == ("slack", "Pipeline Alerts")
    assert channel["config"]["webhook_url"].startswith("https://hooks.slack.com/****")

    status, listing = run(list_channels, local_stack.base_url, token)
    assert status == 200
    assert channel["channel_id"] in [c["channel_id"] for c in listing["items"]]

    for command, trigger in ((create_rule, "on_failure"), (create_sla_rule, "on_sla_breach")):
        status, rule = run(command, local_stack.base_url, token, channel["channel_id"])
        assert status == 201, rule
        assert (rule["trigger"], rule["channel_ids"]) == (trigger, [channel["channel_id"]])
    assert rule["sla_seconds"] == 1800
    assert "audit-logs" in audit  # served once the audit trail exists (issue 4)


def test_swagger_ui_and_openapi_document_are_public(local_stack):
    import urllib.request

    with urllib.request.urlopen(f"{local_stack.base_url}/openapi.json", timeout=10) as response:
        document = json.loads(response.read())
    with urllib.request.urlopen(f"{local_stack.base_url}/docs", timeout=10) as response:
        page = response.read().decode()

    assert "/notifications/rules" in document["paths"]
    assert "swagger" in page.lower()
