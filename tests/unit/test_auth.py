"""Bearer parsing, permissions and the authorizer's policy, without AWS."""

from __future__ import annotations

import pytest

from dagy_ops.auth import (
    bearer_secret,
    hash_token,
    new_token_secret,
    parse_permissions,
    permitted_routes,
    principal_from_request,
)
from dagy_ops.errors import Forbidden, Unauthorized
from dagy_ops.routes import PERMISSIONS, ROUTES
from local.gateway import METHOD_ARN, policy_allows


def test_new_tokens_are_prefixed_random_and_parse_back():
    first, second = new_token_secret(), new_token_secret()

    assert first.startswith("dgy_") and first != second
    assert bearer_secret(f"Bearer {first}") == first
    assert bearer_secret(f"bearer   {first}") == first
    assert len(hash_token(first)) == 64 and first not in hash_token(first)


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Token dgy_x", "Bearer dgy_short", "Bearer dgy_" + "a" * 44]
)
def test_malformed_headers_have_no_secret(header):
    assert bearer_secret(header) is None


def test_permissions_parse_all_lists_and_refuse_unknown_names():
    assert parse_permissions("all") == frozenset(PERMISSIONS)
    assert parse_permissions("flows.read, events.write") == {"flows.read", "events.write"}
    with pytest.raises(ValueError, match="unknown permissions: root"):
        parse_permissions("flows.read,root")


def test_permitted_routes_follow_the_route_table():
    routes = permitted_routes(frozenset({"notifications.read"}))

    assert ("GET", "/notifications/channels/*") in routes
    assert all(method == "GET" for method, _ in routes)
    assert len(routes) == sum(route.permission == "notifications.read" for route in ROUTES)


def policy(resources, effect="Allow"):
    return {"Statement": [{"Effect": effect, "Action": "execute-api:Invoke", "Resource": resources}]}


def arn(method, path):
    return METHOD_ARN.format(method=method, path=path)


def test_policy_allows_only_listed_methods_and_paths_and_deny_wins():
    allowed = [arn("GET", "/notifications/channels/*")]

    assert policy_allows(policy(allowed), arn("GET", "/notifications/channels/ch_1"))
    assert not policy_allows(policy(allowed), arn("DELETE", "/notifications/channels/ch_1"))
    assert not policy_allows(policy([]), arn("GET", "/tokens"))
    both = {"Statement": policy(allowed)["Statement"] + policy(allowed, "Deny")["Statement"]}
    assert not policy_allows(both, arn("GET", "/notifications/channels/ch_1"))


def test_principal_comes_only_from_the_authorizer_context():
    principal = principal_from_request(
        {
            "org_id": "org_a",
            "token_id": "tok_1",
            "actor_email": "a@x.io",
            "permissions": "flows.read admin.audit",
        },
        "203.0.113.1",
    )

    assert principal.permissions == {"flows.read", "admin.audit"}
    principal.require("flows.read")
    with pytest.raises(Forbidden):
        principal.require("admin.tokens")
    with pytest.raises(Unauthorized):
        principal_from_request({}, "203.0.113.1")
