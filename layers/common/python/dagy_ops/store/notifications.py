"""Channels and rules: one table, `ORG#<org>` partitions, versioned items with soft delete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from dagy_ops.errors import Conflict, PreconditionFailed
from dagy_ops.models.channels import ChannelRecord
from dagy_ops.models.common import format_time
from dagy_ops.models.rules import RuleRecord
from dagy_ops.store.items import (
    batch_get,
    cancellation_codes,
    from_item,
    is_condition_failure,
    model_attributes,
    query_pages,
    to_item,
)

RecordT = TypeVar("RecordT", ChannelRecord, RuleRecord)
Page = tuple[list[RecordT], dict[str, Any] | None]

LIVE_AND_AT_VERSION = "version = :expected AND attribute_not_exists(deleted_at)"


def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


class Facet(NamedTuple):
    """A filtered listing: which index, which key attribute, which value."""

    index_name: str
    attribute: str
    value: str


class Deletion(BaseModel):
    actor_email: str
    source_ip: str
    at: datetime
    expires_at: datetime
    """When TTL removes the tombstone; until then the stream and the audit trail know who deleted."""


class _VersionedRepository(Generic[RecordT]):
    kind: str  # CHANNEL | RULE
    id_field: str
    model: type[RecordT]

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    # Index attributes per record; soft delete removes them all, so lists only see live items.
    def index_attributes(self, record: RecordT) -> dict[str, str]:
        return {"kind_key": f"{org_key(self._org(record))}#{self.kind}"}

    def _org(self, record: RecordT) -> str:
        return str(record.org_id)

    def key(self, org_id: str, item_id: str) -> dict[str, Any]:
        return to_item({"pk": org_key(org_id), "sk": f"{self.kind}#{item_id}"})

    def _item(self, record: RecordT) -> dict[str, Any]:
        item_id = str(getattr(record, self.id_field))
        return {
            **self.key(self._org(record), item_id),
            **to_item({**model_attributes(record), **self.index_attributes(record)}),
        }

    def get(self, org_id: str, item_id: str) -> RecordT | None:
        """The live item, read consistently; soft-deleted items read as absent."""
        found = self.client.get_item(TableName=self.table, Key=self.key(org_id, item_id), ConsistentRead=True)
        item = from_item(found.get("Item") or {})
        if not item or "deleted_at" in item:
            return None
        return self.model.model_validate(item)

    def page(
        self, org_id: str, limit: int, start_key: dict[str, Any] | None, facet: Facet | None = None
    ) -> Page[RecordT]:
        """Live items through the sparse listing index, or the items of one facet: reads what it returns."""
        index, attribute, value = facet or Facet("by_kind", "kind_key", f"{org_key(org_id)}#{self.kind}")
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": attribute},
            "ExpressionAttributeValues": to_item({":v": value}),
            "Limit": limit,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        return [self.model.model_validate(from_item(item)) for item in page["Items"]], page.get(
            "LastEvaluatedKey"
        )

    def create(self, record: RecordT, also: Sequence[dict[str, Any]] = ()) -> None:
        """Write a new item, atomically with `also` (uniqueness guards); never overwrites."""
        put = {
            "Put": {
                "TableName": self.table,
                "Item": self._item(record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        self._write([put, *also])

    def replace(self, record: RecordT, expected_version: int, also: Sequence[dict[str, Any]] = ()) -> None:
        """Write the next version, only if the stored one is still `expected_version` and live."""
        put = {
            "Put": {
                "TableName": self.table,
                "Item": self._item(record),
                "ConditionExpression": LIVE_AND_AT_VERSION,
                "ExpressionAttributeValues": to_item({":expected": expected_version}),
            }
        }
        self._write([put, *also])

    def soft_delete(
        self,
        org_id: str,
        item_id: str,
        expected_version: int,
        deletion: Deletion,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        update = {
            "Update": {
                "TableName": self.table,
                "Key": self.key(org_id, item_id),
                "UpdateExpression": (
                    "SET deleted_at = :at, deleted_by = :by, deleted_ip = :ip, updated_at = :at, updated_by = :by,"
                    " updated_ip = :ip, #ttl = :ttl, version = version + :one"
                    " REMOVE kind_key, facet_key, flow_key"
                ),
                "ConditionExpression": LIVE_AND_AT_VERSION,
                "ExpressionAttributeNames": {"#ttl": "ttl"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":at": format_time(deletion.at),
                        ":by": deletion.actor_email,
                        ":ip": deletion.source_ip,
                        ":ttl": int(deletion.expires_at.timestamp()),
                        ":one": 1,
                        ":expected": expected_version,
                    }
                ),
            }
        }
        self._write([update, *also])

    def _write(self, operations: list[dict[str, Any]]) -> None:
        try:
            if len(operations) == 1:
                self._write_one(operations[0])
            else:
                self.client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            raise self._conflict(error, operations) from None

    def _write_one(self, operation: dict[str, Any]) -> None:
        ((kind, request),) = operation.items()
        call = {
            "Put": self.client.put_item,
            "Update": self.client.update_item,
            "Delete": self.client.delete_item,
        }
        call[kind](**request)

    def _conflict(self, error: ClientError, operations: list[dict[str, Any]]) -> Exception:
        codes = cancellation_codes(error) or ["ConditionalCheckFailed"]
        if codes[0] == "ConditionalCheckFailed":
            return PreconditionFailed(
                f"The {self.kind.lower()} changed or was deleted since you read it; read it again and retry"
            )
        return Conflict("A resource with this name already exists", {"field": "name"})


class ChannelRepository(_VersionedRepository[ChannelRecord]):
    kind, id_field, model = "CHANNEL", "channel_id", ChannelRecord

    def index_attributes(self, record: ChannelRecord) -> dict[str, str]:
        org = org_key(record.org_id)
        return {"kind_key": f"{org}#CHANNEL", "facet_key": f"{org}#CHANNEL_TYPE#{record.channel_type}"}

    def type_facet(self, org_id: str, channel_type: str) -> Facet:
        return Facet("by_facet", "facet_key", f"{org_key(org_id)}#CHANNEL_TYPE#{channel_type}")

    def name_guard(self, org_id: str, name: str, channel_id: str) -> dict[str, Any]:
        """Put that claims `name` in the org; fails the transaction when another channel has it."""
        item = to_item(
            {"pk": org_key(org_id), "sk": f"CHANNEL_NAME#{name.casefold()}", "channel_id": channel_id}
        )
        return {
            "Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def release_name(self, org_id: str, name: str) -> dict[str, Any]:
        key = to_item({"pk": org_key(org_id), "sk": f"CHANNEL_NAME#{name.casefold()}"})
        return {"Delete": {"TableName": self.table, "Key": key}}

    def live(self, org_id: str, channel_ids: Sequence[str]) -> dict[str, ChannelRecord]:
        """The live channels of the org among `channel_ids`: one BatchGetItem (per 100 ids)."""
        keys = [self.key(org_id, channel_id) for channel_id in dict.fromkeys(channel_ids)]
        items = batch_get(self.client, self.table, keys, consistent=True)
        return {
            str(item["channel_id"]): ChannelRecord.model_validate(item)
            for item in items
            if "deleted_at" not in item
        }

    def live_ids(self, org_id: str, channel_ids: Sequence[str]) -> set[str]:
        return set(self.live(org_id, channel_ids))


class RuleRepository(_VersionedRepository[RuleRecord]):
    kind, id_field, model = "RULE", "rule_id", RuleRecord

    def index_attributes(self, record: RuleRecord) -> dict[str, str]:
        org = org_key(record.org_id)
        return {
            "kind_key": f"{org}#RULE",
            "facet_key": f"{org}#RULE_TRIGGER#{record.trigger}",
            "flow_key": f"{org}#RULE_FLOW#{record.flow_name}",
        }

    def trigger_facet(self, org_id: str, trigger: str) -> Facet:
        return Facet("by_facet", "facet_key", f"{org_key(org_id)}#RULE_TRIGGER#{trigger}")

    def flow_facet(self, org_id: str, flow_name: str) -> Facet:
        return Facet("by_flow", "flow_key", f"{org_key(org_id)}#RULE_FLOW#{flow_name}")

    def all_live(self, org_id: str) -> list[RuleRecord]:
        """Every live rule of the org, through the sparse listing index."""
        rules: list[RuleRecord] = []
        start: dict[str, Any] | None = None
        while True:
            page, start = self.page(org_id, 1000, start)
            rules += page
            if not start:
                return rules

    def using_channel(self, org_id: str, channel_id: str) -> list[str]:
        """Ids of live rules that send to `channel_id`."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_kind",
            "KeyConditionExpression": "kind_key = :k",
            "FilterExpression": "contains(channel_ids, :c)",
            "ProjectionExpression": "rule_id",
            "ExpressionAttributeValues": to_item({":k": f"{org_key(org_id)}#RULE", ":c": channel_id}),
        }
        return [
            str(from_item(item)["rule_id"])
            for page in query_pages(self.client, request)
            for item in page["Items"]
        ]

    def count_for_flow(self, org_id: str, flow_name: str) -> int:
        """Live rules that apply to the flow: those naming it and those for every flow (`*`)."""
        total = 0
        for pattern in (flow_name, "*"):
            request = {
                "TableName": self.table,
                "IndexName": "by_flow",
                "KeyConditionExpression": "flow_key = :k",
                "ExpressionAttributeValues": to_item({":k": self.flow_facet(org_id, pattern).value}),
                "Select": "COUNT",
            }
            total += sum(int(page["Count"]) for page in query_pages(self.client, request))
        return total
