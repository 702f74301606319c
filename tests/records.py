"""Builders for DynamoDB stream records as Lambda delivers them (NEW_AND_OLD_IMAGES)."""

from __future__ import annotations

import itertools
from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()
_sequence = itertools.count(100)
SEEN_AT = 1768473000  # 2026-01-15T10:30:00Z


def image(attributes: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if attributes is None else {k: _serializer.serialize(v) for k, v in attributes.items()}


def stream_record(
    event_name: str,
    keys: dict[str, Any],
    new: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    *,
    ttl_expiry: bool = False,
    at: float = SEEN_AT,
) -> dict[str, Any]:
    sequence = str(next(_sequence))
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": at,
        "Keys": image(keys),
        "SequenceNumber": sequence,
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = image({**keys, **new})
    if old is not None:
        change["OldImage"] = image({**keys, **old})
    record: dict[str, Any] = {
        "eventID": f"event-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000",
    }
    if ttl_expiry:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return record


CHANNEL_KEYS = {"pk": "ORG#org_123", "sk": "CHANNEL#ch_abc123"}
CHANNEL = {
    "org_id": "org_123",
    "channel_id": "ch_abc123",
    "channel_type": "slack",
    "name": "Pipeline Alerts",
    "config": {"webhook_url": "https://hooks.slack.com/services/T000/B000/SECRETSECRETSECRET"},
    "enabled": True,
    "version": 1,
    "kind_key": "ORG#org_123#CHANNEL",
    "created_by": "user@example.com",
    "updated_by": "user@example.com",
    "updated_ip": "203.0.113.1",
}
