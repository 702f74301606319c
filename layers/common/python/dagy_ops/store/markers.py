"""Markers in the idempotency table: `<kind>#<key>` items that say something already happened.

The evaluator marks notifications it queued (`notified`), the dispatcher marks deliveries it made
(`delivered`) and PagerDuty incidents it opened (`incident`). A marker is written after the
action succeeds, so a crash in between repeats the action (the FIFO queue's deduplication and
the receivers' `webhook-id` absorb that) rather than losing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dagy_ops.store.items import batch_get, to_item

MARKER_LIFETIME = timedelta(days=7)


class Markers:
    def __init__(
        self, client: Any, table_name: str, kind: str, lifetime: timedelta = MARKER_LIFETIME
    ) -> None:
        self.client = client
        self.table = table_name
        self.prefix = f"{kind}#"
        self.lifetime = lifetime

    def _key(self, key: str) -> dict[str, Any]:
        return to_item({"id": self.prefix + key})

    def exists(self, key: str) -> bool:
        return "Item" in self.client.get_item(TableName=self.table, Key=self._key(key))

    def existing(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` are marked: one BatchGetItem per 100."""
        items = batch_get(self.client, self.table, [self._key(k) for k in dict.fromkeys(keys)])
        return {str(item["id"]).removeprefix(self.prefix) for item in items}

    def mark(self, keys: Sequence[str], now: datetime) -> None:
        expiration = int((now + self.lifetime).timestamp())
        items = [
            {"PutRequest": {"Item": {**self._key(k), **to_item({"expiration": expiration})}}} for k in keys
        ]
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {self.table: items[start : start + 25]}
            while request:
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    def clear(self, key: str) -> None:
        self.client.delete_item(TableName=self.table, Key=self._key(key))
