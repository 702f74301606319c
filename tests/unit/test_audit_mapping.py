"""Stream record -> audit entry, as the seed's Audit Logging section shows entries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dagy_ops.audit import STREAM_FILTERS, audit_entry, matches_filter
from tests.records import CHANNEL, CHANNEL_KEYS, SEEN_AT, stream_record

YEAR = timedelta(days=365)


def test_flow_deploy_is_exactly_the_seeds_entry():
    record = stream_record(
        "INSERT",
        {"pk": "ORG#org_123", "sk": "FLOW#daily_etl"},
        {"version": "3", "deployment": "prod", "updated_by": "user@example.com", "updated_ip": "203.0.113.1"},
    )

    entry = audit_entry(record, YEAR)

    assert entry is not None
    shown = entry.model_dump(mode="json")
    assert shown["event_time"].startswith("2026-01-15T10:30:00Z#")
    assert {k: v for k, v in shown.items() if k != "event_time"} == {
        "org_id": "org_123",
        "resource_type": "flow",
        "resource_id": "daily_etl",
        "action": "deploy",
        "actor_email": "user@example.com",
        "before_json": None,
        "after_json": {"version": "3", "deployment": "prod"},
        "ip_address": "203.0.113.1",
    }
    assert entry.ttl == SEEN_AT + int(YEAR.total_seconds())


def test_redeploy_records_before_and_after():
    keys = {"pk": "ORG#org_123", "sk": "FLOW#daily_etl"}
    old = {"version": "2", "deployment": "prod", "updated_by": "a@x.io"}
    new = {"version": "3", "deployment": "prod", "updated_by": "b@x.io", "updated_ip": "198.51.100.1"}

    entry = audit_entry(stream_record("MODIFY", keys, new, old), YEAR)

    assert entry and entry.action == "deploy"
    assert (entry.before_json, entry.after_json) == (
        {"version": "2", "deployment": "prod"},
        {"version": "3", "deployment": "prod"},
    )


def test_channel_create_masks_the_webhook_and_drops_internal_attributes():
    entry = audit_entry(stream_record("INSERT", CHANNEL_KEYS, CHANNEL), YEAR)

    assert entry and (entry.resource_type, entry.resource_id, entry.action) == (
        "channel",
        "ch_abc123",
        "create",
    )
    assert entry.after_json is not None
    assert entry.after_json["config"]["webhook_url"] == "https://hooks.slack.com/****CRET"
    assert not {"pk", "sk", "kind_key", "version", "org_id", "updated_ip"} & entry.after_json.keys()
    assert "SECRETSECRET" not in entry.model_dump_json()


def test_update_has_both_snapshots():
    new = {**CHANNEL, "name": "Renamed", "version": 2}

    entry = audit_entry(stream_record("MODIFY", CHANNEL_KEYS, new, CHANNEL), YEAR)

    assert entry and entry.action == "update"
    assert entry.before_json and entry.before_json["name"] == "Pipeline Alerts"
    assert entry.after_json and entry.after_json["name"] == "Renamed"


def test_soft_delete_is_a_delete_by_whoever_deleted():
    new = {
        **CHANNEL,
        "deleted_at": "2026-01-15T10:30:00Z",
        "deleted_by": "mallory@example.com",
        "deleted_ip": "198.51.100.9",
    }

    entry = audit_entry(stream_record("MODIFY", CHANNEL_KEYS, new, CHANNEL), YEAR)

    assert entry and entry.action == "delete"
    assert (entry.actor_email, entry.ip_address, entry.after_json) == (
        "mallory@example.com",
        "198.51.100.9",
        None,
    )
    assert entry.before_json and entry.before_json["name"] == "Pipeline Alerts"


def test_token_snapshots_mask_the_hash_and_ignore_recorded_use():
    keys = {"token_hash": "ab" * 32}
    token = {
        "token_id": "tok_1",
        "org_id": "org_123",
        "permissions": ["flows.read"],
        "updated_by": "a@x.io",
        "version": 1,
    }

    created = audit_entry(stream_record("INSERT", keys, token), YEAR)
    used = audit_entry(
        stream_record("MODIFY", keys, {**token, "last_used_at": "2026-01-15T10:35:00Z"}, token), YEAR
    )

    assert created and created.after_json and created.after_json["token_hash"] == "****"
    assert used is None


@pytest.mark.parametrize(
    "record",
    [
        stream_record("REMOVE", CHANNEL_KEYS, None, CHANNEL, ttl_expiry=True),
        stream_record(
            "INSERT", {"pk": "ORG#org_123", "sk": "CHANNEL_NAME#pipeline alerts"}, {"channel_id": "ch_1"}
        ),
        stream_record(
            "INSERT", {"pk": "ORG#org_123#FLOW#daily_etl", "sk": "RUN#run_1"}, {"status": "running"}
        ),
        stream_record("MODIFY", CHANNEL_KEYS, CHANNEL, CHANNEL),
    ],
    ids=["ttl-expiry", "name-guard", "run-record", "no-visible-change"],
)
def test_records_that_are_not_audited_map_to_nothing(record):
    assert audit_entry(record, YEAR) is None


def test_malformed_record_raises():
    with pytest.raises((KeyError, ValueError, TypeError)):
        audit_entry({"eventName": "INSERT", "dynamodb": {"Keys": {}}}, YEAR)


def test_same_record_maps_to_the_same_entry():
    record = stream_record("INSERT", CHANNEL_KEYS, CHANNEL)

    assert audit_entry(record, YEAR) == audit_entry(record, YEAR)


def test_stream_filters_admit_audited_writes_only():
    def admitted(table, record):
        return any(matches_filter(pattern, record) for pattern in STREAM_FILTERS[table])

    assert admitted("Notifications", stream_record("INSERT", CHANNEL_KEYS, CHANNEL))
    assert admitted(
        "Notifications", stream_record("MODIFY", {"pk": "ORG#o", "sk": "RULE#rule_1"}, {"x": 1}, {"x": 0})
    )
    assert not admitted(
        "Notifications", stream_record("REMOVE", CHANNEL_KEYS, None, CHANNEL, ttl_expiry=True)
    )
    assert not admitted(
        "Notifications", stream_record("INSERT", {"pk": "ORG#o", "sk": "CHANNEL_NAME#x"}, {"a": 1})
    )
    assert admitted("Flows", stream_record("INSERT", {"pk": "ORG#o", "sk": "FLOW#etl"}, {"version": "1"}))
    assert not admitted(
        "Flows", stream_record("INSERT", {"pk": "ORG#o#FLOW#etl", "sk": "RUN#run_1"}, {"a": 1})
    )
    assert admitted("Tokens", stream_record("INSERT", {"token_hash": "x"}, {"token_id": "tok_1"}))


def _stored_flow(**fields):
    """A flow as `PUT /flows/{name}` stores it, as plain attributes."""
    from dagy_ops.models.flows import FlowRecord
    from dagy_ops.store.flows import FlowRepository
    from dagy_ops.store.items import from_item

    record = FlowRecord(
        org_id="org_123", flow_name="daily_etl", created_at="2026-01-15T10:30:00Z", created_by="user@example.com",
        updated_at="2026-01-15T10:30:00Z", updated_by="user@example.com", updated_ip="203.0.113.1", **fields,
    )  # fmt: skip
    item = from_item(FlowRepository(None, "flows").item(record))
    return {"pk": item.pop("pk"), "sk": item.pop("sk")}, item


def test_a_deployed_flow_as_stored_gives_the_seeds_after_json():
    keys, item = _stored_flow(version="3", deployment="prod")
    entry = audit_entry(stream_record("INSERT", keys, item), YEAR)
    assert entry and entry.action == "deploy" and entry.after_json == {"version": "3", "deployment": "prod"}
    assert entry.actor_email == "user@example.com" and entry.ip_address == "203.0.113.1"


def test_suspend_and_resume_are_their_own_actions():
    keys, live = _stored_flow(version="3", deployment="prod")
    _, muted = _stored_flow(version="3", deployment="prod", suspended=True, item_version=2)
    suspend = audit_entry(stream_record("MODIFY", keys, muted, live), YEAR)
    resume = audit_entry(stream_record("MODIFY", keys, live, muted), YEAR)
    assert (
        suspend
        and suspend.action == "suspend"
        and suspend.after_json == {"version": "3", "deployment": "prod", "suspended": True}
    )
    assert resume and resume.action == "resume" and resume.before_json == suspend.after_json


def test_a_flow_first_seen_through_a_run_is_created_by_dagy_ops():
    keys, item = _stored_flow()
    item |= {"created_by": "dagy-ops", "updated_by": "dagy-ops"}
    item.pop("updated_ip")
    entry = audit_entry(stream_record("INSERT", keys, item), YEAR)
    assert entry and (entry.action, entry.actor_email, entry.after_json) == ("create", "dagy-ops", {})


def test_flow_counters_never_reach_the_audit_writer():
    keys = {"pk": "ORG#org_123", "sk": "STATS#FLOW#daily_etl"}
    record = stream_record("MODIFY", keys, {"runs_failed": 2}, {"runs_failed": 1})
    assert not any(matches_filter(pattern, record) for pattern in STREAM_FILTERS["Flows"])
    assert audit_entry(record, YEAR) is None
