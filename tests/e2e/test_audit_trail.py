"""Changes made over HTTP show up in GET /audit-logs, fed by the local stack's stream poller."""

from __future__ import annotations

import json
import time
import urllib.request

DEADLINE_SECONDS = 15


def call(stack, token, method, path, body=None, headers=None):
    request = urllib.request.Request(
        f"{stack.base_url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def test_create_update_delete_leave_three_entries_with_who_where_and_snapshots(local_stack):
    token = next(
        line.split("=", 1)[1].strip() for line in local_stack.banner if line.startswith("DAGY_TOKEN=")
    )
    body = {"channel_type": "pagerduty", "name": "On call", "config": {"routing_key": "K" * 28 + "WXYZ"}}
    channel = call(local_stack, token, "POST", "/notifications/channels", body)
    path = f"/notifications/channels/{channel['channel_id']}"
    call(local_stack, token, "PATCH", path, {"name": "On call (primary)"}, {"If-Match": "1"})
    call(local_stack, token, "DELETE", path)

    query = f"/audit-logs?resource_type=channel&resource_id={channel['channel_id']}"
    deadline = time.monotonic() + DEADLINE_SECONDS
    entries: list[dict] = []
    while time.monotonic() < deadline and len(entries) < 3:
        entries = call(local_stack, token, "GET", query)["items"]
        time.sleep(0.2)

    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert {e["actor_email"] for e in entries} == {"admin@local"}
    assert {e["ip_address"] for e in entries} == {"127.0.0.1"}
    delete, update, create = entries
    assert create["before_json"] is None and create["after_json"]["name"] == "On call"
    assert (update["before_json"]["name"], update["after_json"]["name"]) == ("On call", "On call (primary)")
    assert delete["before_json"]["name"] == "On call (primary)" and delete["after_json"] is None
    assert "K" * 28 not in json.dumps(entries)
    assert create["after_json"]["config"]["routing_key"] == "****WXYZ"
