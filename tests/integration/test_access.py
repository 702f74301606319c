"""Who may do what: every route against a token lacking its permission, and org isolation."""

from __future__ import annotations

import re

import pytest

from dagy_ops.routes import PERMISSIONS, ROUTES
from tests.conftest import slack_channel, table_items

PROTECTED = [route for route in ROUTES if route.permission]


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r.method} {r.path}")
def test_token_lacking_the_routes_permission_is_403_and_writes_nothing(api, aws, mint, route):
    token = mint(permissions=[p for p in PERMISSIONS if p != route.permission])
    path = re.sub(r"{[^}]+}", "x_123", route.path)
    before = {table: table_items(aws[table]) for table in ("NOTIFICATIONS_TABLE", "TOKENS_TABLE")}

    response = api.request(route.method, path, {"name": "x"}, token=token)

    assert response.status == 403
    assert response.json()["code"] == "forbidden"
    assert {table: table_items(aws[table]) for table in before} == before


@pytest.fixture
def org_a(api, mint):
    """Org A's token, channel and rule."""
    token = mint(org="org_a")
    channel = api.post("/notifications/channels", slack_channel(), token=token).json()
    rule = api.post(
        "/notifications/rules",
        {
            "name": "r",
            "trigger": "on_failure",
            "flow_name": "daily_etl",
            "channel_ids": [channel["channel_id"]],
        },
        token=token,
    ).json()
    return token, channel["channel_id"], rule["rule_id"]


def test_org_b_cannot_see_change_delete_or_test_org_a_channels(api, aws, mint, org_a):
    _, channel_id, _ = org_a
    b = mint(org="org_b", email="mallory@example.com")
    before = table_items(aws["NOTIFICATIONS_TABLE"])
    path = f"/notifications/channels/{channel_id}"

    answers = [
        api.get(path, token=b),
        api.patch(path, {"name": "pwned"}, token=b),
        api.delete(path, token=b),
        api.post(f"{path}/test", token=b),
    ]

    assert [a.status for a in answers] == [404] * 4
    assert api.get("/notifications/channels", token=b).json()["items"] == []
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_org_b_cannot_see_change_or_delete_org_a_rules(api, aws, mint, org_a):
    _, _, rule_id = org_a
    b = mint(org="org_b")
    before = table_items(aws["NOTIFICATIONS_TABLE"])
    path = f"/notifications/rules/{rule_id}"

    answers = [
        api.get(path, token=b),
        api.patch(path, {"enabled": False}, token=b),
        api.delete(path, token=b),
    ]

    assert [a.status for a in answers] == [404] * 3
    assert api.get("/notifications/rules", token=b).json()["items"] == []
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_org_b_cannot_reference_org_a_channels_in_its_rules(api, mint, org_a):
    _, channel_id, _ = org_a

    response = api.post(
        "/notifications/rules",
        {"name": "r", "trigger": "on_failure", "flow_name": "x", "channel_ids": [channel_id]},
        token=mint(org="org_b"),
    )

    assert response.status == 400
    assert response.json()["details"] == {"missing_channel_ids": [channel_id]}


def test_org_b_cannot_continue_org_a_listing_with_its_next_token(api, mint, org_a):
    token_a, _, _ = org_a
    api.post("/notifications/channels", slack_channel("second"), token=token_a)
    next_token = api.get("/notifications/channels?limit=1", token=token_a).json()["next_token"]

    response = api.get(f"/notifications/channels?next_token={next_token}", token=mint(org="org_b"))

    assert response.status == 400


def test_forged_authorizer_context_in_headers_is_ignored(api, mint, org_a):
    b = mint(org="org_b")

    response = api.get("/notifications/channels", headers={"X-Org-Id": "org_a", "org_id": "org_a"}, token=b)

    assert response.json()["items"] == []
