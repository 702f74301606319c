"""API tokens, keyed by the SHA-256 of their secret; listed per org through the `by_org` index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from dagy_ops.errors import PreconditionFailed
from dagy_ops.models.common import format_time
from dagy_ops.models.tokens import TokenRecord
from dagy_ops.store.items import from_item, is_condition_failure, model_attributes, to_item
from dagy_ops.store.notifications import Deletion


class TokenRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def create(self, record: TokenRecord) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_item(model_attributes(record)),
            ConditionExpression="attribute_not_exists(token_hash)",
        )

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        """The token behind a secret's hash, revoked or not (the caller decides)."""
        item = self.client.get_item(TableName=self.table, Key=to_item({"token_hash": token_hash})).get("Item")
        return TokenRecord.model_validate(from_item(item)) if item else None

    def by_id(self, org_id: str, token_id: str) -> TokenRecord | None:
        """A live token of the org: one Query on the org index."""
        page = self.client.query(
            TableName=self.table,
            IndexName="by_org",
            KeyConditionExpression="org_id = :o AND token_id = :t",
            ExpressionAttributeValues=to_item({":o": org_id, ":t": token_id}),
        )
        records = [TokenRecord.model_validate(from_item(item)) for item in page["Items"]]
        return next((record for record in records if record.revoked_at is None), None)

    def page(
        self, org_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[TokenRecord], Any]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_org",
            "KeyConditionExpression": "org_id = :o",
            "FilterExpression": "attribute_not_exists(revoked_at)",
            "ExpressionAttributeValues": to_item({":o": org_id}),
            "Limit": limit,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        return [TokenRecord.model_validate(from_item(item)) for item in page["Items"]], page.get(
            "LastEvaluatedKey"
        )

    def revoke(self, record: TokenRecord, deletion: Deletion) -> None:
        """Soft delete: the token stops working now; TTL removes the tombstone later."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=to_item({"token_hash": record.token_hash}),
                UpdateExpression=(
                    "SET revoked_at = :at, deleted_at = :at, deleted_by = :by, deleted_ip = :ip, updated_at = :at,"
                    " updated_by = :by, updated_ip = :ip, #ttl = :ttl, version = version + :one"
                ),
                ConditionExpression="attribute_not_exists(revoked_at) AND version = :expected",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues=to_item(
                    {
                        ":at": format_time(deletion.at),
                        ":by": deletion.actor_email,
                        ":ip": deletion.source_ip,
                        ":ttl": int(deletion.expires_at.timestamp()),
                        ":one": 1,
                        ":expected": record.version,
                    }
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise PreconditionFailed("The token changed or was revoked since it was read") from None
            raise

    def touch(self, token_hash: str, now: datetime) -> None:
        """Record use, at most once a few minutes (the caller decides), without a version bump."""
        self.client.update_item(
            TableName=self.table,
            Key=to_item({"token_hash": token_hash}),
            UpdateExpression="SET last_used_at = :now",
            ConditionExpression="attribute_exists(token_hash)",
            ExpressionAttributeValues=to_item({":now": format_time(now)}),
        )
