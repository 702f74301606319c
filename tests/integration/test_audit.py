"""The audit writer on moto (idempotent, partial failures) and GET /audit-logs (filters, paging, isolation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from dagy_ops.models.audit import AuditEntry
from dagy_ops.store.audit import AuditRepository
from local.functions import FunctionRegistry
from tests.conftest import table_items
from tests.records import CHANNEL, CHANNEL_KEYS, stream_record


@pytest.fixture
def writer(aws):
    functions = FunctionRegistry()
    return lambda records: functions.invoke("audit_writer", {"Records": records})


def test_a_batch_delivered_twice_writes_each_entry_once(aws, writer):
    batch = [
        stream_record("INSERT", CHANNEL_KEYS, CHANNEL),
        stream_record("MODIFY", CHANNEL_KEYS, {**CHANNEL, "name": "Renamed"}, CHANNEL),
    ]

    first, second = writer(batch), writer(batch)

    assert first == second == {"batchItemFailures": []}
    entries = table_items(aws["AUDIT_TABLE"])
    assert sorted(e["action"]["S"] for e in entries) == ["create", "update"]
    assert all(int(e["ttl"]["N"]) > 0 for e in entries)


def test_a_malformed_record_fails_alone_and_the_rest_are_written(aws, writer):
    bad = stream_record("INSERT", CHANNEL_KEYS, CHANNEL)
    del bad["dynamodb"]["NewImage"]
    good = stream_record(
        "INSERT",
        {"pk": "ORG#org_123", "sk": "RULE#rule_1"},
        {"org_id": "org_123", "rule_id": "rule_1", "updated_by": "a@x.io"},
    )

    result = writer([bad, good])

    assert result == {"batchItemFailures": [{"itemIdentifier": bad["dynamodb"]["SequenceNumber"]}]}
    [entry] = table_items(aws["AUDIT_TABLE"])
    assert entry["resource_id"]["S"] == "rule_1"


def test_records_that_are_not_audited_write_nothing(aws, writer):
    assert writer([stream_record("REMOVE", CHANNEL_KEYS, None, CHANNEL, ttl_expiry=True)]) == {
        "batchItemFailures": []
    }
    assert table_items(aws["AUDIT_TABLE"]) == []


def seed_entries(aws, org="org_a", count=3, kinds=("channel", "rule", "flow", "token")):
    repository = AuditRepository(boto3.client("dynamodb"), aws["AUDIT_TABLE"])
    start = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    n = 0
    for kind in kinds:
        for i in range(count):
            at = start + timedelta(minutes=n)
            repository.put(
                AuditEntry(
                    org_id=org,
                    event_time=f"{at.strftime('%Y-%m-%dT%H:%M:%SZ')}#{n:04d}",
                    resource_type=kind,
                    resource_id=f"{kind}_{i % 2}",
                    action="create" if i == 0 else "update",
                    actor_email="alice@example.com" if i % 2 == 0 else "bob@example.com",
                    before_json=None,
                    after_json={"n": n},
                    ip_address="203.0.113.1",
                    ttl=2_000_000_000,
                )
            )
            n += 1


@pytest.fixture
def auditor(api, aws, mint):
    seed_entries(aws)
    return mint(permissions=["admin.audit"])


def entries(api, token, query=""):
    response = api.get(f"/audit-logs?{query}", token=token)
    assert response.status == 200, response.body
    return response.json()["items"]


def test_lists_the_orgs_entries_newest_first_in_the_seeds_shape(api, auditor):
    items = entries(api, auditor)

    assert len(items) == 12
    assert [i["event_time"] for i in items] == sorted((i["event_time"] for i in items), reverse=True)
    assert set(items[0]) == {
        "org_id", "event_time", "resource_type", "resource_id", "action",
        "actor_email", "before_json", "after_json", "ip_address",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("resource_type=flow", 3),
        ("resource_type=rule&resource_id=rule_1", 1),
        ("resource_id=rule_0", 2),
        ("action=create", 4),
        ("actor_email=bob@example.com", 4),
        ("resource_type=channel&action=update", 2),
        ("since=2026-01-15T10:06:00Z", 6),
        ("until=2026-01-15T10:01:00Z", 2),
        ("since=2026-01-15T10:03:00Z&until=2026-01-15T10:05:00Z", 3),
    ],
)
def test_each_filter(api, auditor, query, expected):
    assert len(entries(api, auditor, query)) == expected


def test_pages_with_next_token_in_order(api, auditor):
    seen, next_token = [], ""
    while True:
        page = api.get(f"/audit-logs?limit=5{next_token}", token=auditor).json()
        seen += [item["event_time"] for item in page["items"]]
        if not page["next_token"]:
            break
        next_token = f"&next_token={page['next_token']}"

    assert len(seen) == 12 and seen == sorted(seen, reverse=True)


def test_limit_defaults_to_50_and_is_bounded(api, auditor):
    assert api.get("/audit-logs?limit=0", token=auditor).status == 422
    assert api.get("/audit-logs?limit=201", token=auditor).status == 422
    assert api.get("/audit-logs?limit=200", token=auditor).status == 200


def test_another_orgs_entries_are_invisible(api, aws, mint, auditor):
    seed_entries(aws, org="org_b", count=1)

    theirs = entries(api, mint(org="org_b", permissions=["admin.audit"]))
    ours = entries(api, auditor)

    assert {i["org_id"] for i in theirs} == {"org_b"} and len(theirs) == 4
    assert {i["org_id"] for i in ours} == {"org_a"}


def test_needs_admin_audit(api, mint, auditor):
    response = api.get("/audit-logs", token=mint(permissions=["notifications.read", "admin.tokens"]))

    assert response.status == 403


def test_api_changes_become_entries_through_the_stream(api, aws, mint, writer):
    """The API writes no audit row itself: the entry comes from the table's stream."""
    token = mint()
    api.post(
        "/notifications/channels",
        {"channel_type": "email", "name": "m", "config": {"to": ["a@x.io"]}},
        token=token,
    )

    assert table_items(aws["AUDIT_TABLE"]) == []
