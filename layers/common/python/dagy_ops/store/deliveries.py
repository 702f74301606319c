"""Delivery records, by org newest first (`<time>#<delivery_id>#<attempt>`), expiring by TTL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dagy_ops.models.common import format_time
from dagy_ops.models.deliveries import Delivery
from dagy_ops.store.items import from_item, model_attributes, to_item


class DeliveryRepository:
    def __init__(self, client: Any, table_name: str, retention: timedelta) -> None:
        self.client = client
        self.table = table_name
        self.retention = retention

    def record(self, delivery: Delivery) -> None:
        sort_key = f"{format_time(delivery.delivered_at)}#{delivery.delivery_id}#{delivery.attempt:03d}"
        ttl = int((delivery.delivered_at + self.retention).timestamp())
        # `delivered_at` is the table's sort key (time first, so newest first); the time itself
        # is kept as `delivered_time`.
        item = {
            **model_attributes(delivery),
            "delivered_at": sort_key,
            "delivered_time": format_time(delivery.delivered_at),
            "ttl": ttl,
        }
        self.client.put_item(TableName=self.table, Item=to_item(item))

    def page(
        self, org_id: str, filters: dict[str, str], limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Delivery], dict[str, Any] | None]:
        """Newest first; channel, rule and outcome filters apply to the items each page reads."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "org_id = :o",
            "ExpressionAttributeValues": to_item({":o": org_id, **{f":{k}": v for k, v in filters.items()}}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(f"#{k} = :{k}" for k in filters)
            request["ExpressionAttributeNames"] = {f"#{k}": k for k in filters}
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        items = []
        for item in page["Items"]:
            attributes = from_item(item)
            attributes["delivered_at"] = attributes.pop("delivered_time")
            items.append(Delivery.model_validate(attributes))
        return items, page.get("LastEvaluatedKey")
