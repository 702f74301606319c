"""Tokens and the authorizer, through the local gateway on moto: 401s, 403s, mint, list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from dagy_ops.auth import hash_token
from dagy_ops.cli import main as cli
from tests.conftest import table_items


def test_minted_token_opens_its_routes_and_names_its_org(api, mint):
    token = mint(permissions=["admin.tokens"])

    response = api.get("/tokens", token=token)

    assert response.status == 200
    [listed] = response.json()["items"]
    assert listed["org_id"] == "org_a"
    assert "token" not in listed and "token_hash" not in listed


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-dagy-token",
        "Bearer dgy_" + "A" * 43,  # well formed, unknown
    ],
)
def test_missing_malformed_or_unknown_token_is_401(api, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = api.get("/notifications/channels", headers=headers)

    assert response.status == 401
    assert response.json()["code"] == "unauthorized"


def test_expired_token_is_401(api, mint):
    token = mint(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert api.get("/notifications/channels", token=token).status == 401


def test_token_lacking_the_permission_is_403(api, mint):
    token = mint(permissions=["notifications.read"])

    response = api.get("/tokens", token=token)

    assert response.status == 403
    assert response.json()["code"] == "forbidden"


def test_created_token_secret_is_shown_once_and_stored_only_as_its_hash(api, aws, mint):
    admin = mint()

    created = api.post(
        "/tokens", {"actor_email": "Bob@Example.com", "permissions": ["notifications.read"]}, token=admin
    )

    assert created.status == 201
    body = created.json()
    assert body["token"].startswith("dgy_")
    assert body["token_id"].startswith("tok_")
    assert body["actor_email"] == "bob@example.com"
    assert body["expires_at"] is not None
    stored = [item for item in table_items(aws["TOKENS_TABLE"]) if item["token_id"]["S"] == body["token_id"]]
    assert stored[0]["token_hash"]["S"] == hash_token(body["token"])
    assert body["token"] not in str(table_items(aws["TOKENS_TABLE"]))
    assert api.get("/notifications/channels", token=body["token"]).status == 200
    assert all("token" not in item for item in api.get("/tokens", token=admin).json()["items"])


def test_a_token_cannot_grant_more_than_its_holder_has(api, aws, mint):
    admin = mint(permissions=["admin.tokens", "notifications.read"])
    before = table_items(aws["TOKENS_TABLE"])

    response = api.post(
        "/tokens", {"actor_email": "x@example.com", "permissions": ["admin.audit"]}, token=admin
    )

    assert response.status == 403
    assert response.json()["details"] == {"permissions": ["admin.audit"]}
    assert table_items(aws["TOKENS_TABLE"]) == before


def test_bad_token_request_is_422_naming_the_field_and_writes_nothing(api, aws, mint):
    admin = mint()
    before = table_items(aws["TOKENS_TABLE"])

    response = api.post("/tokens", {"actor_email": "x@example.com", "permissions": ["root"]}, token=admin)

    assert response.status == 422
    assert response.json()["code"] == "validation_error"
    assert "permissions.0" in response.json()["details"]["fields"]
    assert table_items(aws["TOKENS_TABLE"]) == before


def test_revoked_token_stops_working_and_leaves_a_tombstone_with_who(api, aws, mint):
    admin = mint()
    other = api.post(
        "/tokens", {"actor_email": "x@example.com", "permissions": ["flows.read"]}, token=admin
    ).json()

    assert api.delete(f"/tokens/{other['token_id']}", token=admin).status == 204

    assert api.get("/tokens", token=other["token"]).status == 401
    assert other["token_id"] not in {t["token_id"] for t in api.get("/tokens", token=admin).json()["items"]}
    [tombstone] = [i for i in table_items(aws["TOKENS_TABLE"]) if i["token_id"]["S"] == other["token_id"]]
    assert tombstone["deleted_by"]["S"] == "alice@example.com"
    assert "ttl" in tombstone
    assert api.delete(f"/tokens/{other['token_id']}", token=admin).status == 404


def test_another_orgs_token_is_not_found(api, mint):
    theirs = api.post(
        "/tokens",
        {"actor_email": "x@example.com", "permissions": ["notifications.read"]},
        token=mint(org="org_b"),
    ).json()

    response = api.delete(f"/tokens/{theirs['token_id']}", token=mint(org="org_a"))

    assert response.status == 404
    assert api.get("/notifications/channels", token=theirs["token"]).status == 200


def test_cli_mints_a_working_token_into_the_table_named_by_the_environment(api, capsys):
    assert (
        cli(["token", "create", "--org", "org_cli", "--email", "ops@example.com", "--permissions", "all"])
        == 0
    )

    secret = capsys.readouterr().out.strip()
    assert secret.startswith("dgy_")
    listed = api.get("/tokens", token=secret).json()["items"]
    assert [(t["org_id"], t["actor_email"]) for t in listed] == [("org_cli", "ops@example.com")]


def test_cli_finds_the_table_in_the_stack_outputs(aws, capsys):
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TokensTableName": {"Value": aws["TOKENS_TABLE"]}},
    }
    import json

    boto3.client("cloudformation").create_stack(StackName="DagyOps-Data", TemplateBody=json.dumps(template))

    code = cli(
        [
            "token",
            "create",
            "--org",
            "o",
            "--email",
            "a@b.io",
            "--permissions",
            "flows.read",
            "--stack",
            "DagyOps-Data",
        ]
    )

    assert code == 0
    assert len(table_items(aws["TOKENS_TABLE"])) == 1


def test_cli_refuses_unknown_permissions(aws):
    with pytest.raises(SystemExit, match="unknown permissions: root"):
        cli(["token", "create", "--org", "o", "--email", "a@b.io", "--permissions", "root"])
    assert table_items(aws["TOKENS_TABLE"]) == []
