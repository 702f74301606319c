"""Who is calling and what they may do: bearer tokens, principals and the authorizer's policy."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dagy_ops.errors import Forbidden, Unauthorized
from dagy_ops.routes import PERMISSIONS, ROUTES

TOKEN_PREFIX = "dgy_"  # noqa: S105 - a prefix, not a secret
_TOKEN_FORMAT = re.compile(r"dgy_[A-Za-z0-9_-]{43}")
_BEARER = re.compile(r"Bearer +(\S+)", re.IGNORECASE)


def new_token_secret() -> str:
    """`dgy_` and 256 random bits; shown to its owner once, stored only as its hash."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_secret(header: str | None) -> str | None:
    """The token in an `Authorization: Bearer dgy_...` header, or None when absent or malformed."""
    found = _BEARER.fullmatch((header or "").strip())
    if found and _TOKEN_FORMAT.fullmatch(found.group(1)):
        return found.group(1)
    return None


def parse_permissions(value: str | Iterable[str]) -> frozenset[str]:
    """`all`, a comma-separated string or a list; unknown names raise ValueError naming them."""
    names = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(value)
    if names == ["all"]:
        return frozenset(PERMISSIONS)
    unknown = sorted(set(names) - set(PERMISSIONS))
    if unknown or not names:
        raise ValueError(f"unknown permissions: {', '.join(unknown) or '(none given)'}")
    return frozenset(names)


@dataclass(frozen=True)
class Principal:
    """The caller, as the authorizer resolved their token."""

    org_id: str
    actor_email: str
    permissions: frozenset[str]
    token_id: str
    source_ip: str

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"This token lacks the '{permission}' permission", {"permission": permission})

    def context(self) -> dict[str, str]:
        """The authorizer context API Gateway hands to the function (string values only)."""
        return {
            "org_id": self.org_id,
            "actor_email": self.actor_email,
            "permissions": " ".join(sorted(self.permissions)),
            "token_id": self.token_id,
        }


def principal_from_request(authorizer: Mapping[str, Any] | None, source_ip: str) -> Principal:
    """The principal the authorizer put in the request context; without one the call is refused."""
    context = authorizer or {}
    if not context.get("org_id") or not context.get("token_id"):
        raise Unauthorized("Missing or invalid bearer token")
    return Principal(
        org_id=str(context["org_id"]),
        actor_email=str(context.get("actor_email", "")),
        permissions=frozenset(str(context.get("permissions", "")).split()),
        token_id=str(context["token_id"]),
        source_ip=source_ip,
    )


def permitted_routes(permissions: frozenset[str]) -> list[tuple[str, str]]:
    """(method, resource pattern) of every route the permissions open, path parameters as `*`.

    The authorizer's policy lists them all, not only the called route, because API Gateway caches
    the policy per token and applies it to the token's next calls on any route.
    """
    return [
        (route.method, re.sub(r"{[^/]+}", "*", route.path))
        for route in ROUTES
        if route.permission is not None and route.permission in permissions
    ]
