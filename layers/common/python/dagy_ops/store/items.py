"""Conversions between models and DynamoDB items, shared by the repositories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(attributes: dict[str, Any]) -> dict[str, Any]:
    """Typed attribute values; None values are left out (a missing attribute reads as None)."""
    return {key: serialize(value) for key, value in attributes.items() if value is not None}


def _numbers(value: Any) -> Any:
    """Floats as Decimals, which is all boto3's serializer takes (str() keeps 0.1 as 0.1)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Plain Python values: numbers as int or float, sets as sorted lists, so they serialise as JSON."""
    return {key: plain(_deserializer.deserialize(value)) for key, value in item.items()}


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def model_attributes(model: BaseModel) -> dict[str, Any]:
    """A model as plain attributes: times become ISO-8601 strings, nested models become maps."""
    return model.model_dump(mode="json")


def serialize(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_numbers(value))


def is_condition_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def cancellation_codes(error: Exception) -> list[str]:
    """Per-item reasons of a cancelled transaction, in the order of its items."""
    reasons = getattr(error, "response", {}).get("CancellationReasons") or []
    return [reason.get("Code", "None") for reason in reasons]


def batch_get(
    client: Any, table: str, keys: Sequence[dict[str, Any]], consistent: bool = False
) -> list[dict[str, Any]]:
    """The items found under `keys`, as plain attributes: one BatchGetItem per 100 keys, with
    unprocessed keys asked for again."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            table: {"Keys": list(keys[start : start + 100]), "ConsistentRead": consistent}
        }
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += [from_item(item) for item in response["Responses"].get(table, [])]
            request = response.get("UnprocessedKeys") or {}
    return found


def query_pages(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a Query, following LastEvaluatedKey to the end."""
    request = dict(request)
    while True:
        page = client.query(**request)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
