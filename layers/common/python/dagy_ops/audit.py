"""Stream record -> audit entry: who changed what, from where, with before/after snapshots. Pure.

The audit writer feeds every change of the audited tables through `audit_entry`; records that
are not audited (run records, name guards, TTL expiry, a token's use being recorded) map to None.
`STREAM_FILTERS` keeps most of those from ever invoking the writer (Lambda event filtering); the
local stack's poller applies the same patterns.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from dagy_ops.masking import MASK, SECRET_ATTRIBUTES, mask_channel_config
from dagy_ops.models.audit import AuditEntry
from dagy_ops.store.items import from_item

# Lambda event source mapping filters per audited table (any pattern matching admits a record).
# Only INSERT and MODIFY: soft deletes are MODIFYs, and REMOVEs are TTL expiry or name guards.
_WRITES = {"eventName": ["INSERT", "MODIFY"]}
STREAM_FILTERS: dict[str, list[dict[str, Any]]] = {
    "Notifications": [
        {**_WRITES, "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "CHANNEL#"}]}}}},
        {**_WRITES, "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "RULE#"}]}}}},
    ],
    "Flows": [{**_WRITES, "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "FLOW#"}]}}}}],
    "Tokens": [_WRITES],
}

# Bookkeeping, not part of what a user changed: keys, counters, TTL, and who/when/where, which
# the entry itself carries as actor_email, event_time and ip_address.
INTERNAL_ATTRIBUTES = frozenset(
    {
        "pk", "sk", "kind_key", "facet_key", "flow_key", "ttl", "org_id",
        "created_at", "created_by", "updated_at", "updated_by", "updated_ip",
        "deleted_at", "deleted_by", "deleted_ip", "revoked_at", "last_used_at", "item_version", "search_text",
    }
)  # fmt: skip
# `version` is the optimistic-lock counter on channels, rules and tokens, but a flow's own field.
_LOCK_VERSION_KINDS = {"channel", "rule", "token"}


def _image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    return from_item(raw) if raw else None


def resource_of(keys: dict[str, Any], image: dict[str, Any]) -> tuple[str, str, str] | None:
    """(resource_type, resource_id, org_id) of an item, or None when it is not audited."""
    if "token_hash" in keys:
        return "token", str(image["token_id"]), str(image["org_id"])
    sk, pk = str(keys.get("sk", "")), str(keys.get("pk", ""))
    for prefix, kind, id_field in (("CHANNEL#", "channel", "channel_id"), ("RULE#", "rule", "rule_id")):
        if sk.startswith(prefix):
            return kind, str(image.get(id_field) or sk.removeprefix(prefix)), str(image["org_id"])
    if sk.startswith("FLOW#") and pk.startswith("ORG#") and "#" not in pk.removeprefix("ORG#"):
        return "flow", sk.removeprefix("FLOW#"), pk.removeprefix("ORG#")
    return None


def snapshot(kind: str, image: dict[str, Any] | None) -> dict[str, Any] | None:
    """The user-visible state: no keys, counters or TTLs, and every secret masked."""
    if image is None:
        return None
    state = {key: value for key, value in image.items() if key not in INTERNAL_ATTRIBUTES}
    if kind in _LOCK_VERSION_KINDS:
        state.pop("version", None)
    for key in SECRET_ATTRIBUTES & state.keys():
        state[key] = MASK
    if kind == "channel" and isinstance(state.get("config"), dict):
        state["config"] = mask_channel_config(str(state.get("channel_type")), state["config"])
    if kind == "flow":  # what was deployed, as the seed shows it: {"version": "3", "deployment": "prod"}
        state.pop("flow_name", None)  # the entry's resource_id
        state = {key: value for key, value in state.items() if value not in (None, [], "", False)}
    return state


def _action(kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> str | None:
    if new.get("deleted_at") and not (old or {}).get("deleted_at"):
        return "delete"
    if kind == "flow" and old is not None and bool(old.get("suspended")) != bool(new.get("suspended")):
        return "suspend" if new.get("suspended") else "resume"
    if kind == "flow":
        deployed = any((old or {}).get(key) != new.get(key) for key in ("version", "deployment"))
        if deployed and new.get("version") is not None:
            return "deploy"
    if old is None:
        return "create"
    if snapshot(kind, old) == snapshot(kind, new):
        return None  # bookkeeping only, e.g. a token's last use being recorded
    return "update"


def entry_id(sequence_number: str, event_id: str) -> str:
    """Stable per stream record, so a redelivered batch finds its entry already written.

    The stream's sequence number (increasing within a shard) comes first, so changes made in
    the same second still list newest first; a hash of the record id keeps tables apart.
    """
    return f"{sequence_number:0>24}{hashlib.sha256(event_id.encode()).hexdigest()[:4]}"


def audit_entry(record: dict[str, Any], retention: timedelta) -> AuditEntry | None:
    """The audit entry for one DynamoDB stream record (NEW_AND_OLD_IMAGES), or None if not audited.

    Raises KeyError/ValueError on a record that is not a well-formed stream record.
    """
    if record["eventName"] not in ("INSERT", "MODIFY"):
        return None
    change = record["dynamodb"]
    keys = _image(change["Keys"]) or {}
    new = _image(change.get("NewImage"))
    if new is None:
        raise ValueError("stream record without NewImage: the stream must be NEW_AND_OLD_IMAGES")
    old = _image(change.get("OldImage"))
    resource = resource_of(keys, new)
    if resource is None:
        return None
    kind, resource_id, org_id = resource
    action = _action(kind, old, new)
    if action is None:
        return None
    at = datetime.fromtimestamp(float(change["ApproximateCreationDateTime"]), UTC)
    deleting = action == "delete"
    return AuditEntry(
        org_id=org_id,
        event_time=f"{at.strftime('%Y-%m-%dT%H:%M:%SZ')}#{entry_id(change['SequenceNumber'], record['eventID'])}",
        resource_type=kind,  # type: ignore[arg-type]
        resource_id=resource_id,
        action=action,  # type: ignore[arg-type]
        actor_email=str(
            new.get("deleted_by" if deleting else "updated_by") or new.get("created_by") or "unknown"
        ),
        before_json=snapshot(kind, old),
        after_json=None if deleting else snapshot(kind, new),
        ip_address=str(new.get("deleted_ip" if deleting else "updated_ip") or "") or None,
        ttl=int((at + retention).timestamp()),
    )


def matches_filter(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Lambda event-filter matching for the pattern forms used here: value lists and `prefix`."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        actual = event[key]
        if isinstance(expected, dict):
            if not isinstance(actual, dict) or not matches_filter(expected, actual):
                return False
        elif not any(
            (isinstance(option, dict) and str(actual).startswith(option["prefix"])) or option == actual
            for option in expected
        ):
            return False
    return True
