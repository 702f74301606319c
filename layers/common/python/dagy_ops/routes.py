"""The route table: every API method, the function that serves it and the permission it needs.

The CDK API stack builds API Gateway resources from it and the local gateway dispatches with it,
so a route exists in both or in neither. `permission=None` marks a public route (no authorizer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

Permission = Literal[
    "notifications.read",
    "notifications.write",
    "flows.read",
    "flows.write",
    "events.write",
    "admin.audit",
    "admin.tokens",
]
PERMISSIONS: tuple[str, ...] = get_args(Permission)


@dataclass(frozen=True)
class Route:
    method: Method
    path: str
    """API Gateway path template, e.g. `/notifications/channels/{channel_id}`."""
    function: str
    """The folder under `lambdas/` whose `handler.handler` serves the route."""
    permission: str | None

    @property
    def public(self) -> bool:
        return self.permission is None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when `method` and a concrete `path` hit this route, else None."""
        if method != self.method:
            return None
        found = _pattern(self.path).fullmatch(path)
        return found.groupdict() if found else None


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(regex)


_CHANNEL = "/notifications/channels/{channel_id}"
_RULE = "/notifications/rules/{rule_id}"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "health", None),
    Route("GET", "/openapi.json", "docs", None),
    Route("GET", "/docs", "docs", None),
    Route("POST", "/tokens", "tokens", "admin.tokens"),
    Route("GET", "/tokens", "tokens", "admin.tokens"),
    Route("DELETE", "/tokens/{token_id}", "tokens", "admin.tokens"),
    Route("POST", "/notifications/channels", "channels", "notifications.write"),
    Route("GET", "/notifications/channels", "channels", "notifications.read"),
    Route("GET", _CHANNEL, "channels", "notifications.read"),
    Route("PATCH", _CHANNEL, "channels", "notifications.write"),
    Route("DELETE", _CHANNEL, "channels", "notifications.write"),
    Route("POST", f"{_CHANNEL}/test", "channels", "notifications.write"),
    Route("GET", "/notifications/deliveries", "channels", "notifications.read"),
    Route("POST", "/notifications/rules", "rules", "notifications.write"),
    Route("GET", "/notifications/rules", "rules", "notifications.read"),
    Route("GET", _RULE, "rules", "notifications.read"),
    Route("PATCH", _RULE, "rules", "notifications.write"),
    Route("DELETE", _RULE, "rules", "notifications.write"),
    Route("GET", "/audit-logs", "audit", "admin.audit"),
    Route("POST", "/events", "events", "events.write"),
    Route("GET", "/flows", "flows", "flows.read"),
    Route("GET", "/flows/{flow_name}", "flows", "flows.read"),
    Route("PUT", "/flows/{flow_name}", "flows", "flows.write"),
    Route("POST", "/flows/{flow_name}/suspend", "flows", "flows.write"),
    Route("GET", "/runs", "runs", "flows.read"),
    Route("GET", "/runs/{run_id}", "runs", "flows.read"),
    Route("GET", "/metrics", "metrics", "flows.read"),
)

# The REQUEST authorizer's function folder; every route with a permission goes through it.
AUTHORIZER_FUNCTION = "authorizer"


def functions() -> tuple[str, ...]:
    """API function names in route-table order, each once."""
    return tuple(dict.fromkeys(route.function for route in ROUTES))


def route_for(method: str, template: str) -> Route | None:
    """The route of a method and path template (API Gateway's `resource`)."""
    return next((r for r in ROUTES if r.method == method and r.path == template), None)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        params = route.match(method, path)
        if params is not None:
            return route, params
    return None


def path_exists(path: str) -> bool:
    """True when some route serves `path` with another method (405 rather than 404)."""
    return any(_pattern(route.path).fullmatch(path) for route in ROUTES)
