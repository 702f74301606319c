"""/notifications/rules on moto: the seed's fields, SLA rules, channel references, filters, errors."""

from __future__ import annotations

import pytest

from tests.conftest import slack_channel, table_items


@pytest.fixture
def token(mint):
    return mint()


@pytest.fixture
def channel_id(api, token):
    return api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]


def rule(channel_id, **overrides):
    return {
        "name": "ETL Failure Alert",
        "trigger": "on_failure",
        "flow_name": "daily_etl",
        "channel_ids": [channel_id],
        "sla_seconds": None,
        **overrides,
    }


def test_create_rule_as_the_seed_shows(api, token, channel_id):
    response = api.post("/notifications/rules", rule(channel_id), token=token)

    assert response.status == 201
    body = response.json()
    assert body["rule_id"].startswith("rule_")
    assert {
        k: body[k] for k in ("name", "trigger", "flow_name", "channel_ids", "sla_seconds", "enabled")
    } == {
        "name": "ETL Failure Alert",
        "trigger": "on_failure",
        "flow_name": "daily_etl",
        "channel_ids": [channel_id],
        "sla_seconds": None,
        "enabled": True,
    }
    assert body["version"] == 1


def test_sla_rule_as_the_seed_shows(api, token, channel_id):
    body = rule(channel_id, name="ETL SLA Breach", trigger="on_sla_breach", sla_seconds=1800)

    response = api.post("/notifications/rules", body, token=token)

    assert response.status == 201
    assert response.json()["sla_seconds"] == 1800


@pytest.mark.parametrize(
    "overrides",
    [
        {"trigger": "on_sla_breach", "sla_seconds": None},
        {"trigger": "on_sla_breach", "sla_seconds": 0},
        {"trigger": "on_sla_breach", "sla_seconds": -5},
        {"trigger": "on_failure", "sla_seconds": 60},
        {"trigger": "on_fire"},
        {"flow_name": "bad name!"},
        {"flow_name": ""},
        {"channel_ids": []},
        {"channel_ids": [f"ch_{i}" for i in range(11)]},
        {"channel_ids": ["not-a-channel"]},
        {"name": ""},
        {"surprise": True},
    ],
)
def test_invalid_rule_is_422_and_writes_nothing(api, aws, token, channel_id, overrides):
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = api.post("/notifications/rules", rule(channel_id, **overrides), token=token)

    assert response.status == 422, response.body
    assert response.json()["code"] == "validation_error"
    assert response.json()["details"]["fields"]
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_unknown_channel_ids_are_400_naming_each_missing_one(api, aws, token, channel_id):
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = api.post(
        "/notifications/rules", rule(channel_id, channel_ids=[channel_id, "ch_abc123", "ch_zzz"]), token=token
    )

    assert response.status == 400
    assert response.json()["details"] == {"missing_channel_ids": ["ch_abc123", "ch_zzz"]}
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_deleted_channel_cannot_be_referenced(api, token, channel_id):
    api.delete(f"/notifications/channels/{channel_id}", token=token)

    response = api.post("/notifications/rules", rule(channel_id), token=token)

    assert response.status == 400


def test_flow_wildcard_is_accepted(api, token, channel_id):
    assert api.post("/notifications/rules", rule(channel_id, flow_name="*"), token=token).status == 201


def test_list_filters_by_flow_and_trigger_and_pages(api, token, channel_id):
    for flow, trigger in [("a", "on_failure"), ("a", "on_success"), ("b", "on_failure"), ("b", "on_retry")]:
        api.post("/notifications/rules", rule(channel_id, flow_name=flow, trigger=trigger), token=token)

    def names(query):
        items = api.get(f"/notifications/rules?{query}", token=token).json()["items"]
        return sorted((item["flow_name"], item["trigger"]) for item in items)

    assert names("flow_name=a") == [("a", "on_failure"), ("a", "on_success")]
    assert names("trigger=on_failure") == [("a", "on_failure"), ("b", "on_failure")]
    assert names("flow_name=b&trigger=on_retry") == [("b", "on_retry")]
    assert len(names("")) == 4
    first = api.get("/notifications/rules?limit=3", token=token).json()
    second = api.get(f"/notifications/rules?limit=3&next_token={first['next_token']}", token=token).json()
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert second["next_token"] is None


def test_patch_merges_and_validates_the_whole_rule(api, token, channel_id):
    created = api.post("/notifications/rules", rule(channel_id), token=token).json()
    path = f"/notifications/rules/{created['rule_id']}"

    bad = api.patch(path, {"trigger": "on_sla_breach"}, token=token)
    good = api.patch(
        path, {"trigger": "on_sla_breach", "sla_seconds": 600}, headers={"If-Match": "1"}, token=token
    )
    back = api.patch(path, {"trigger": "on_failure"}, token=token)

    assert bad.status == 422
    assert good.status == 200
    assert (good.json()["sla_seconds"], good.json()["version"]) == (600, 2)
    assert back.status == 200
    assert back.json()["sla_seconds"] is None


def test_patch_with_stale_version_is_412(api, token, channel_id):
    created = api.post("/notifications/rules", rule(channel_id), token=token).json()
    path = f"/notifications/rules/{created['rule_id']}"
    api.patch(path, {"enabled": False}, token=token)

    response = api.patch(path, {"enabled": True}, headers={"If-Match": "1"}, token=token)

    assert response.status == 412
    assert api.get(path, token=token).json()["enabled"] is False


def test_patch_to_unknown_channels_is_400(api, token, channel_id):
    created = api.post("/notifications/rules", rule(channel_id), token=token).json()

    response = api.patch(
        f"/notifications/rules/{created['rule_id']}", {"channel_ids": ["ch_nope"]}, token=token
    )

    assert response.status == 400
    assert response.json()["details"] == {"missing_channel_ids": ["ch_nope"]}


def test_delete_rule_then_its_channel_can_go(api, token, channel_id):
    created = api.post("/notifications/rules", rule(channel_id), token=token).json()

    assert api.delete(f"/notifications/rules/{created['rule_id']}", token=token).status == 204
    assert api.get(f"/notifications/rules/{created['rule_id']}", token=token).status == 404
    assert api.delete(f"/notifications/channels/{channel_id}", token=token).status == 204
