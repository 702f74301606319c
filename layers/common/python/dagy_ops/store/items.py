"""Conversions between models and DynamoDB items, shared by the repositories."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(attributes: dict[str, Any]) -> dict[str, Any]:
    """Typed attribute values; None values are left out (a missing attribute reads as None)."""
    return {key: _serializer.serialize(value) for key, value in attributes.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def model_attributes(model: BaseModel) -> dict[str, Any]:
    """A model as plain attributes: times become ISO-8601 strings, nested models become maps."""
    return model.model_dump(mode="json")


def serialize(value: Any) -> dict[str, Any]:
    return _serializer.serialize(value)


def is_condition_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def cancellation_codes(error: Exception) -> list[str]:
    """Per-item reasons of a cancelled transaction, in the order of its items."""
    reasons = getattr(error, "response", {}).get("CancellationReasons") or []
    return [reason.get("Code", "None") for reason in reasons]
