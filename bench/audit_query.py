"""Items read per item returned by `GET /audit-logs?resource_type=...`, on moto.

Writes 50,000 entries for one org spread over the resource types, then pages through one type
with the index the API uses, and once more the way a filter on the org partition would, for
contrast. Goal for the index: at most 1.1 items read per item returned. Run with `make bench`.
"""

from __future__ import annotations

import os
from typing import Any, get_args

import boto3
from moto import mock_aws
from moto_env import ROOT  # noqa: F401 - sets up the environment before the project is imported

from dagy_ops.models.audit import AuditEntry, ResourceType
from dagy_ops.store.audit import AuditQuery, AuditRepository, resource_key
from dagy_ops.store.items import model_attributes, to_item
from local.resources import create_resources

ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "50000"))
GOAL = 1.1


def write_entries(client: Any, table: str, org: str) -> None:
    kinds = get_args(ResourceType)
    batch: list[dict[str, Any]] = []
    for n in range(ENTRIES):
        kind = kinds[n % len(kinds)]
        entry = AuditEntry(
            org_id=org,
            event_time=f"2026-01-15T10:{n // 6000:02d}:{(n // 100) % 60:02d}Z#{n:08d}",
            resource_type=kind,
            resource_id=f"{kind}_{n % 97}",
            action="update",
            actor_email="bench@example.com",
            before_json=None,
            after_json={"n": n},
            ip_address="203.0.113.1",
        )
        item = {
            **model_attributes(entry),
            "org_resource_type": resource_key(org, kind),
            "org_resource": resource_key(org, kind, entry.resource_id),
        }
        batch.append({"PutRequest": {"Item": to_item(item)}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def count_reads(client: Any, request: dict[str, Any]) -> tuple[int, int]:
    """(items read, items returned) over every page of a query."""
    read = returned = 0
    while True:
        page = client.query(**request)
        read += page["ScannedCount"]
        returned += page["Count"]
        if "LastEvaluatedKey" not in page:
            return read, returned
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def main() -> None:
    with mock_aws():
        env = create_resources(prefix="bench")
        client = boto3.client("dynamodb")
        table = env["AUDIT_TABLE"]
        print(f"writing {ENTRIES} audit entries for one org (moto, in process)...", flush=True)
        write_entries(client, table, "org_bench")

        # The API's path: the repository queries the resource-type index, a page at a time.
        repository = AuditRepository(client, table)
        read_calls: list[int] = []
        original = client.query

        def counting_query(**request: Any) -> Any:
            page = original(**request)
            read_calls.append(page["ScannedCount"])
            return page

        client.query = counting_query  # type: ignore[method-assign]
        returned, start = 0, None
        while True:
            items, start = repository.query(AuditQuery(org_id="org_bench", resource_type="flow"), 200, start)
            returned += len(items)
            if not start:
                break
        client.query = original  # type: ignore[method-assign]
        index_ratio = sum(read_calls) / returned

        partition_read, partition_returned = count_reads(
            client,
            {
                "TableName": table,
                "KeyConditionExpression": "org_id = :o",
                "FilterExpression": "resource_type = :t",
                "ExpressionAttributeValues": {":o": {"S": "org_bench"}, ":t": {"S": "flow"}},
            },
        )
        print(f"{'path':<44}{'read':>8}{'returned':>10}{'ratio':>8}")
        print(
            f"{'by_resource_type index (the API)':<44}{sum(read_calls):>8}{returned:>10}{index_ratio:>8.2f}  goal <= {GOAL}"
        )
        print(
            f"{'org partition + filter (no index)':<44}{partition_read:>8}{partition_returned:>10}"
            f"{partition_read / partition_returned:>8.2f}"
        )


if __name__ == "__main__":
    main()
