"""Flows and their counters, in the flows table beside the runs.

- `ORG#<org>` / `FLOW#<name>`: the flow as deployed; the audit writer sees its changes (the stream
  filter admits `FLOW#` keys only).
- `ORG#<org>` / `STATS#FLOW#<name>`: counters and last-run gauges the evaluator keeps.
- `ORG#<org>` / `STATS#ORG`: the org's notification and dead-letter counters.

A metrics scrape is one Query over the `STATS#` range: an item per flow and one for the org.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from dagy_ops.errors import PreconditionFailed
from dagy_ops.models.flows import FlowRecord
from dagy_ops.stats import FlowStats, OrgStats, StatsChange
from dagy_ops.store.items import (
    batch_get,
    from_item,
    is_condition_failure,
    model_attributes,
    query_pages,
    to_item,
)
from dagy_ops.store.notifications import org_key

STATS_PREFIX = "STATS#"
ORG_STATS = "STATS#ORG"
_NOTIFY = "notify#"  # `notify#<channel_type>#<outcome>` counters on the org's stats item


def search_text(record: FlowRecord) -> str:
    """What `q` searches: name, description and tags, case-folded."""
    return " ".join([record.flow_name, record.description or "", *record.tags]).casefold()


class FlowRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def key(self, org_id: str, flow_name: str) -> dict[str, Any]:
        return to_item({"pk": org_key(org_id), "sk": f"FLOW#{flow_name}"})

    def stats_key(self, org_id: str, flow_name: str) -> dict[str, Any]:
        return to_item({"pk": org_key(org_id), "sk": f"{STATS_PREFIX}FLOW#{flow_name}"})

    def item(self, record: FlowRecord) -> dict[str, Any]:
        attributes = {**model_attributes(record), "search_text": search_text(record)}
        return {**self.key(record.org_id, record.flow_name), **to_item(attributes)}

    def get(self, org_id: str, flow_name: str) -> FlowRecord | None:
        found = self.client.get_item(
            TableName=self.table, Key=self.key(org_id, flow_name), ConsistentRead=True
        )
        return FlowRecord.model_validate(from_item(found["Item"])) if "Item" in found else None

    def put(self, record: FlowRecord, read_version: int | None) -> None:
        """Write the flow over the version it was read at (`None`: only if there is none yet)."""
        request: dict[str, Any] = {"TableName": self.table, "Item": self.item(record)}
        if read_version is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "item_version = :read"
            request["ExpressionAttributeValues"] = to_item({":read": read_version})
        try:
            self.client.put_item(**request)
        except ClientError as error:
            if is_condition_failure(error):
                raise PreconditionFailed(
                    f"Flow {record.flow_name} changed since you read it; read it again and retry"
                ) from None
            raise

    def implicit_put(self, record: FlowRecord) -> dict[str, Any]:
        """A transaction Put that registers a flow first seen through a run, unless it exists."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": self.item(record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def page(
        self,
        org_id: str,
        name_prefix: str | None,
        tag: str | None,
        q: str | None,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[FlowRecord], dict[str, Any] | None]:
        """Flows by name; `name` is a key condition, `tag` and `q` filter what the page read."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": org_key(org_id), ":prefix": f"FLOW#{name_prefix or ''}"},
            "Limit": limit,
        }
        filters = []
        if tag:
            filters.append("contains(tags, :tag)")
            request["ExpressionAttributeValues"][":tag"] = tag
        if q:
            filters.append("contains(search_text, :q)")
            request["ExpressionAttributeValues"][":q"] = q.casefold()
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        request["ExpressionAttributeValues"] = to_item(request["ExpressionAttributeValues"])
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        records = [FlowRecord.model_validate(from_item(item)) for item in page["Items"]]
        return records, page.get("LastEvaluatedKey")

    def stats_of(self, org_id: str, flow_names: Sequence[str]) -> dict[str, FlowStats]:
        """The counters of some flows of the org: one BatchGetItem per 100."""
        keys = [self.stats_key(org_id, name) for name in dict.fromkeys(flow_names)]
        stats = [FlowStats.model_validate(item) for item in batch_get(self.client, self.table, keys)]
        return {flow.flow_name: flow for flow in stats}

    def scrape(self, org_id: str) -> tuple[OrgStats, list[FlowStats]]:
        """Every counter of the org: one item per flow and one for the org, never a run."""
        org = OrgStats()
        flows: list[FlowStats] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": org_key(org_id), ":prefix": STATS_PREFIX}),
        }
        for page in query_pages(self.client, request):
            for item in map(from_item, page["Items"]):
                if item["sk"] == ORG_STATS:
                    org = org_stats(item)
                else:
                    flows.append(FlowStats.model_validate(item))
        return org, flows

    def stats_update(self, org_id: str, flow_name: str, change: StatsChange) -> dict[str, Any]:
        """A transaction Update that applies `change`: atomic ADDs, newest-wins SETs."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":flow": flow_name}

        def name(attribute: str) -> str:
            return names.setdefault(attribute, f"#n{len(names)}")

        sets = ["flow_name = :flow"]
        adds = []
        conditions = []
        for i, (attribute, amount) in enumerate(change.add.items()):
            values[f":a{i}"] = amount
            adds.append(f"{name(attribute)} :a{i}")
        for i, guarded in enumerate(change.guarded):
            values[f":g{i}"] = guarded.value
            placeholder = name(guarded.attribute)
            conditions.append(f"(attribute_not_exists({placeholder}) OR {placeholder} <= :g{i})")
            for j, (attribute, value) in enumerate(guarded.attributes.items()):
                values[f":g{i}v{j}"] = value
                sets.append(f"{name(attribute)} = :g{i}v{j}")
        update = {
            "TableName": self.table,
            "Key": self.stats_key(org_id, flow_name),
            "UpdateExpression": "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else ""),
            "ExpressionAttributeNames": {placeholder: attribute for attribute, placeholder in names.items()},
            "ExpressionAttributeValues": to_item(values),
        }
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
        return {"Update": update}

    def count(self, org_id: str, attribute: str) -> None:
        """One atomic increment of an org counter."""
        self.client.update_item(
            TableName=self.table,
            Key=to_item({"pk": org_key(org_id), "sk": ORG_STATS}),
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": attribute},
            ExpressionAttributeValues=to_item({":one": 1}),
        )

    def count_notification(self, org_id: str, channel_type: str, outcome: str) -> None:
        self.count(org_id, f"{_NOTIFY}{channel_type}#{outcome}")

    def count_dead_letter(self, org_id: str) -> None:
        self.count(org_id, "events_dead_lettered")


def org_stats(item: dict[str, Any]) -> OrgStats:
    notifications = {
        key.removeprefix(_NOTIFY).replace("#", "."): int(value)
        for key, value in item.items()
        if key.startswith(_NOTIFY)
    }
    return OrgStats(
        notifications=notifications, events_dead_lettered=int(item.get("events_dead_lettered", 0))
    )
