"""Fixtures shared by every suite: AWS on in-process moto, and the API reached through the local gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dagy_ops.auth import parse_permissions
from dagy_ops.services.tokens import mint_token
from dagy_ops.settings import get_settings
from dagy_ops.store.tokens import TokenRepository
from local.functions import FunctionRegistry
from local.gateway import Gateway
from local.resources import create_resources

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "dagy-ops",
    "POWERTOOLS_METRICS_NAMESPACE": "DagyOps",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees a real AWS endpoint or another test's settings."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """In-process moto with every table, queue and the bucket from the schema spec; answers their names."""
    with mock_aws():
        env = create_resources(prefix="test")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield env


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ApiClient:
    """Calls the API the way API Gateway would, through the shared route table, without HTTP."""

    def __init__(self) -> None:
        self.gateway = Gateway(FunctionRegistry())

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        source_ip: str = "203.0.113.1",
        token: str | None = None,
    ) -> ApiResponse:
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, response_headers, response_body = self.gateway.handle(method, path, headers, raw, source_ip)
        return ApiResponse(status, response_headers, response_body)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)


def walk_pages(api: ApiClient, path: str, token: str) -> list[dict[str, Any]]:
    """Every item of a listing, following `next_token` from page to page (`path` has a query)."""
    items: list[dict[str, Any]] = []
    next_token = None
    while True:
        response = api.get(path + (f"&next_token={next_token}" if next_token else ""), token=token)
        assert response.status == 200, response.body
        items += response.json()["items"]
        next_token = response.json()["next_token"]
        if not next_token:
            return items


@pytest.fixture
def api(aws: dict[str, str]) -> ApiClient:
    """A fresh set of function instances (cold starts) on top of the moto resources."""
    return ApiClient()


Mint = Callable[..., str]


@pytest.fixture
def mint(aws: dict[str, str]) -> Mint:
    """Mint a token straight into the tokens table (as `dagy-ops token create` does); answers the secret."""

    def _mint(
        org: str = "org_a",
        permissions: str | list[str] = "all",
        email: str = "alice@example.com",
        expires_at: datetime | None = None,
    ) -> str:
        secret, record = mint_token(
            org, email, sorted(parse_permissions(permissions)), expires_at, email, "test", datetime.now(UTC)
        )
        TokenRepository(boto3.client("dynamodb"), aws["TOKENS_TABLE"]).create(record)
        return secret

    return _mint


def table_items(table: str) -> list[dict[str, Any]]:
    """Every item of a table, to prove what a refused request did not write.

    `last_used_at` is left out: the authorizer records a token's use even when the call it
    authorised is then refused, and that is bookkeeping, not the request's effect.
    """
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [{key: value for key, value in item.items() if key != "last_used_at"} for item in items]


SLACK_URL = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstuvwx"


def slack_channel(name: str = "Pipeline Alerts") -> dict[str, Any]:
    return {"channel_type": "slack", "name": name, "config": {"webhook_url": SLACK_URL}}
