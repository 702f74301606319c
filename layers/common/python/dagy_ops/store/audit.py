"""Audit entries: `org_id` + `event_time` (newest first), indexes by resource type and by resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dagy_ops.models.audit import AuditEntry
from dagy_ops.store.items import from_item, is_condition_failure, model_attributes, to_item


@dataclass(frozen=True)
class AuditQuery:
    org_id: str
    resource_type: str | None = None
    resource_id: str | None = None
    action: str | None = None
    actor_email: str | None = None
    since: str | None = None
    until: str | None = None


def resource_key(org_id: str, resource_type: str, resource_id: str | None = None) -> str:
    return f"{org_id}#{resource_type}" + (f"#{resource_id}" if resource_id is not None else "")


class AuditRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def put(self, entry: AuditEntry) -> bool:
        """Write once: a redelivered stream record finds its entry there and changes nothing."""
        item = {
            **model_attributes(entry),
            "ttl": entry.ttl,
            "org_resource_type": resource_key(entry.org_id, entry.resource_type),
            "org_resource": resource_key(entry.org_id, entry.resource_type, entry.resource_id),
        }
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(event_time)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def query(
        self, query: AuditQuery, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        """Newest first through the narrowest index; action and actor filter what that index reads."""
        if query.resource_type and query.resource_id:
            index, key_name, key_value = (
                "by_resource",
                "org_resource",
                resource_key(query.org_id, query.resource_type, query.resource_id),
            )
        elif query.resource_type:
            index, key_name, key_value = (
                "by_resource_type",
                "org_resource_type",
                resource_key(query.org_id, query.resource_type),
            )
        else:
            index, key_name, key_value = None, "org_id", query.org_id
        condition = "#k = :k"
        values: dict[str, Any] = {":k": key_value}
        if query.since and query.until:
            condition += " AND event_time BETWEEN :since AND :until"
            values |= {":since": query.since, ":until": query.until}
        elif query.since:
            condition += " AND event_time >= :since"
            values[":since"] = query.since
        elif query.until:
            condition += " AND event_time <= :until"
            values[":until"] = query.until
        names = {"#k": key_name}
        filters = []
        for attribute in ("action", "actor_email"):  # `action` is a reserved word: always by name
            if getattr(query, attribute):
                filters.append(f"#{attribute} = :{attribute}")
                names[f"#{attribute}"] = attribute
                values[f":{attribute}"] = getattr(query, attribute)
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if index:
            request["IndexName"] = index
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        return [AuditEntry.model_validate(from_item(item)) for item in page["Items"]], page.get(
            "LastEvaluatedKey"
        )
