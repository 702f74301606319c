"""Which notifications were already put on the queue: markers in the idempotency table.

A marker is written after its message is sent; a redelivered event skips what is marked, and the
FIFO queue's deduplication (same notification_id) covers a crash between the send and the mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dagy_ops.store.items import from_item, to_item

MARKER_LIFETIME = timedelta(days=7)


class NotifiedMarkers:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def _key(self, notification_id: str) -> dict[str, Any]:
        return to_item({"id": f"notified#{notification_id}"})

    def already_sent(self, notification_ids: Sequence[str]) -> set[str]:
        if not notification_ids:
            return set()
        found: set[str] = set()
        request: dict[str, Any] = {
            self.table: {"Keys": [self._key(n) for n in dict.fromkeys(notification_ids)]}
        }
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            found |= {
                str(from_item(i)["id"]).removeprefix("notified#") for i in response["Responses"][self.table]
            }
            request = response.get("UnprocessedKeys") or {}
        return found

    def mark_sent(self, notification_ids: Sequence[str], now: datetime) -> None:
        expiration = int((now + MARKER_LIFETIME).timestamp())
        items = [
            {"PutRequest": {"Item": {**self._key(n), **to_item({"expiration": expiration})}}}
            for n in notification_ids
        ]
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {self.table: items[start : start + 25]}
            while request:
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
