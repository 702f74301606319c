"""Secret masking for answers, logs and audit snapshots: a secret is never shown in full."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "****"
# Attributes that hold a secret wherever they appear (channel items, token items, snapshots).
SECRET_ATTRIBUTES = frozenset({"signing_secret", "token_hash", "routing_key"})


def mask_tail(secret: str, visible: int = 4) -> str:
    """`****abcd`: enough to recognise a secret, never enough to use it."""
    return MASK + secret[-visible:] if len(secret) > 3 * visible else MASK


def mask_url(url: str, keep_path: bool) -> str:
    """Scheme and host stay; the path (when it is the secret) and any query are masked."""
    parts = urlsplit(url)
    if keep_path:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, MASK if parts.query else "", ""))
    return f"{parts.scheme}://{parts.netloc}/{mask_tail(parts.path)}"


def mask_channel_config(channel_type: str, config: dict[str, Any]) -> dict[str, Any]:
    masked = dict(config)
    if channel_type == "slack" and "webhook_url" in masked:
        masked["webhook_url"] = mask_url(str(masked["webhook_url"]), keep_path=False)
    elif channel_type == "webhook":
        if "url" in masked:
            masked["url"] = mask_url(str(masked["url"]), keep_path=True)
        # Custom headers usually carry credentials (Authorization, API keys): names only.
        masked["headers"] = {name: MASK for name in masked.get("headers") or {}}
    elif channel_type == "pagerduty" and "routing_key" in masked:
        masked["routing_key"] = mask_tail(str(masked["routing_key"]))
    return masked
