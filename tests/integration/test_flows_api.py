"""/flows on moto: deploy, implicit flows, filters, search, pages, orgs kept apart, suspend muting alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import slack_channel, table_items, walk_pages
from tests.pipeline import T0, retry_event, run_events


def deploy(api, token, name="daily_etl", **fields):
    body = {"version": "3", "deployment": "prod", **fields}
    return api.put(f"/flows/{name}", body, token=token)


def test_put_registers_then_redeploys_a_flow(api, token):
    created = deploy(api, token, description="Nightly orders", tags=["etl", "prod"], schedule="30 2 * * *")
    assert created.status == 201, created.body
    assert created.json() | {"created_at": None, "updated_at": None} == {
        "flow_name": "daily_etl", "version": "3", "deployment": "prod", "description": "Nightly orders",
        "tags": ["etl", "prod"], "schedule": "30 2 * * *", "suspended": False, "latest_run": None,
        "created_at": None, "updated_at": None, "updated_by": "alice@example.com",
    }  # fmt: skip

    redeployed = deploy(api, token, version=4)  # a number is taken as the version's text
    assert redeployed.status == 200 and redeployed.headers["ETag"] == '"2"'
    assert redeployed.json()["version"] == "4"
    assert redeployed.json()["tags"] == [] and redeployed.json()["schedule"] is None  # PUT replaces


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/flows/daily_etl", {"version": "3", "schedule": "61 * * * *"}, "schedule"),
        ("/flows/daily_etl", {"version": "3", "schedule": "every day"}, "schedule"),
        ("/flows/daily_etl", {"version": "3", "tags": ["etl", "etl"]}, "tags"),
        ("/flows/daily_etl", {"version": "3", "tags": ["no spaces"]}, "tags.0"),
        ("/flows/daily_etl", {"deployment": "prod"}, "version"),
        ("/flows/daily_etl", {"version": "3", "owner": "me"}, "owner"),
        ("/flows/bad%20name", {"version": "3"}, "path.flow_name"),
    ],
)
def test_invalid_deploys_name_the_field_and_write_nothing(api, token, aws, path, body, field):
    before = table_items(aws["FLOWS_TABLE"])
    response = api.put(path, body, token=token)
    assert response.status == 422, response.body
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]
    assert table_items(aws["FLOWS_TABLE"]) == before


def test_if_match_guards_redeploys(api, token):
    deploy(api, token)
    stale = api.put("/flows/daily_etl", {"version": "4"}, headers={"If-Match": '"7"'}, token=token)
    assert stale.status == 412
    missing = api.put("/flows/new_flow", {"version": "1"}, headers={"If-Match": '"1"'}, token=token)
    assert missing.status == 412
    fresh = api.put("/flows/daily_etl", {"version": "4"}, headers={"If-Match": '"1"'}, token=token)
    assert fresh.status == 200


def test_permissions(api, mint):
    reader = mint(permissions=["flows.read"])
    assert api.put("/flows/daily_etl", {"version": "1"}, token=reader).status == 403
    assert api.get("/flows", token=reader).status == 200
    alerts_only = mint(permissions=["notifications.read"])
    assert api.get("/flows", token=alerts_only).status == 403
    assert api.get("/metrics", token=alerts_only).status == 403


def test_a_flow_first_seen_through_a_run_is_listed_without_a_version(api, token, pipeline):
    pipeline.report(token, *run_events("hourly_sync", "run_1", status="failed"))

    (flow,) = api.get("/flows", token=token).json()["items"]
    assert flow["flow_name"] == "hourly_sync" and flow["version"] is None
    assert flow["latest_run"] == {
        "run_id": "run_1",
        "status": "failed",
        "started_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert deploy(api, token, name="hourly_sync").status == 200  # deploying it later is a redeploy


def test_latest_run_is_the_newest_started_whatever_the_order_events_arrive(api, token, pipeline):
    newer = run_events("daily_etl", "run_2", started=T0 + timedelta(minutes=30), status=None)
    older = run_events("daily_etl", "run_1", started=T0, status="failed")
    pipeline.report(token, *newer)
    pipeline.report(token, *older)  # reported late: must not take over as latest

    latest = api.get("/flows/daily_etl", token=token).json()["latest_run"]
    assert latest["run_id"] == "run_2" and latest["status"] == "running"


def test_filters_search_and_pages(api, token):
    deploy(api, token, "daily_etl", tags=["etl", "prod"], description="Loads ORDERS into the warehouse")
    deploy(api, token, "daily_report", tags=["reporting"])
    deploy(api, token, "hourly_sync", tags=["etl"], description="Mirrors the CRM")
    deploy(api, token, "weekly_backup", tags=["ops"])

    def names(query):
        response = api.get(f"/flows?{query}", token=token)
        assert response.status == 200, response.body
        return [flow["flow_name"] for flow in response.json()["items"]]

    assert names("") == ["daily_etl", "daily_report", "hourly_sync", "weekly_backup"]
    assert names("name=daily") == ["daily_etl", "daily_report"]
    assert names("tag=etl") == ["daily_etl", "hourly_sync"]
    assert names("name=daily&tag=etl") == ["daily_etl"]
    assert names("q=orders") == ["daily_etl"]  # description, any case
    assert names("q=REPORTING") == ["daily_report"]  # a tag
    assert names("q=sync") == ["hourly_sync"]  # the name
    assert names("q=nothing-like-this") == []

    seen = [flow["flow_name"] for flow in walk_pages(api, "/flows?limit=1", token)]
    assert seen == ["daily_etl", "daily_report", "hourly_sync", "weekly_backup"]
    assert api.get("/flows?limit=0", token=token).status == 422
    other_listing = api.get("/flows?limit=1", token=token).json()["next_token"]
    assert api.get(f"/flows?tag=etl&next_token={other_listing}", token=token).status == 400


def test_orgs_never_see_each_other(api, token, mint, pipeline):
    deploy(api, token)
    pipeline.report(token, *run_events("daily_etl", "run_1"))
    other = mint(org="org_b", email="bob@example.com")

    assert api.get("/flows", token=other).json()["items"] == []
    assert api.get("/flows/daily_etl", token=other).status == 404
    assert api.post("/flows/daily_etl/suspend", {"suspend": True}, token=other).status == 404
    assert api.get("/runs", token=other).json()["items"] == []
    assert api.get("/runs/run_1", token=other).status == 404
    assert deploy(api, other).status == 201  # the same name in another org is another flow
    assert api.get("/flows/daily_etl", token=token).json()["version"] == "3"


def test_flow_detail_counts_its_rules_and_shows_the_last_ten_runs(api, token, pipeline):
    channel_id = api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]
    for flow, trigger in (("daily_etl", "on_failure"), ("*", "on_success"), ("other", "on_failure")):
        rule = {
            "name": f"{flow} {trigger}",
            "trigger": trigger,
            "flow_name": flow,
            "channel_ids": [channel_id],
        }
        assert api.post("/notifications/rules", rule, token=token).status == 201
    events = [
        e
        for i in range(12)
        for e in run_events("daily_etl", f"run_{i:02}", started=T0 + timedelta(minutes=i))
    ]
    pipeline.report(token, *events)

    detail = api.get("/flows/daily_etl", token=token)
    assert detail.status == 200 and detail.headers["ETag"] == '"1"'
    body = detail.json()
    assert body["rules_count"] == 2
    assert [run["run_id"] for run in body["runs"]] == [f"run_{i:02}" for i in range(11, 1, -1)]
    assert body["runs"][0] | {"started_at": None, "ended_at": None} == {
        "run_id": "run_11", "flow_name": "daily_etl", "deployment": "prod", "status": "succeeded",
        "started_at": None, "ended_at": None, "duration_seconds": 300.0, "error": None,
    }  # fmt: skip
    assert api.get("/flows/nope", token=token).status == 404


@pytest.mark.parametrize("trigger", ["on_failure", "on_success", "on_retry", "on_sla_breach"])
def test_suspend_mutes_each_trigger_until_resumed(api, token, pipeline, trigger):
    channel_id = api.post("/notifications/channels", slack_channel(), token=token).json()["channel_id"]
    rule = {"name": "r", "trigger": trigger, "flow_name": "daily_etl", "channel_ids": [channel_id]}
    if trigger == "on_sla_breach":
        rule["sla_seconds"] = 60
    assert api.post("/notifications/rules", rule, token=token).status == 201
    pipeline.report(
        token, *run_events("daily_etl", "run_0", status="succeeded", minutes=0.5)
    )  # registers the flow
    pipeline.notifications()

    suspended = api.post("/flows/daily_etl/suspend", {"suspend": True}, token=token)
    assert suspended.status == 200 and suspended.json()["suspended"] is True

    def alerts_for(run_id: str) -> list[dict]:
        status = "failed" if trigger == "on_failure" else "succeeded"
        events = run_events("daily_etl", run_id, status=status, minutes=10)
        if trigger == "on_retry":
            events.insert(1, retry_event("daily_etl", run_id, T0 + timedelta(minutes=1), "extract", 2))
        if trigger == "on_sla_breach":  # the sweep's breach, then the late one at the run's end
            pipeline.report(token, events[0])
            pipeline.sweep(T0 + timedelta(minutes=5))
            events = events[1:]
        pipeline.report(token, *events)
        return [m for m in pipeline.notifications() if m["event"]["run_id"] == run_id]

    assert alerts_for("run_1") == []
    muted_run = api.get("/runs/run_1", token=token).json()
    assert muted_run["status"] in ("failed", "succeeded")  # runs are still recorded while muted
    assert len(api.get("/notifications/rules", token=token).json()["items"]) == 1  # rules untouched

    assert api.post("/flows/daily_etl/suspend", {"suspend": False}, token=token).json()["suspended"] is False
    assert [m["trigger"] for m in alerts_for("run_2")] == [trigger]


def test_suspend_errors(api, token, aws):
    deploy(api, token)
    before = table_items(aws["FLOWS_TABLE"])
    assert api.post("/flows/nope/suspend", {"suspend": True}, token=token).status == 404
    assert api.post("/flows/daily_etl/suspend", {"suspend": "yes"}, token=token).status == 422
    assert api.post("/flows/daily_etl/suspend", {}, token=token).status == 422
    assert (
        api.post("/flows/daily_etl/suspend", {"suspend": True}, headers={"If-Match": "9"}, token=token).status
        == 412
    )
    assert table_items(aws["FLOWS_TABLE"]) == before
    again = api.post("/flows/daily_etl/suspend", {"suspend": False}, token=token)  # already so: no change
    assert again.status == 200 and again.headers["ETag"] == '"1"'
