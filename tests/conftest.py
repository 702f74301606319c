"""Fixtures shared by every suite: AWS on in-process moto, and the API reached through the local gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from dagy_ops.settings import get_settings
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
    ) -> ApiResponse:
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        status, response_headers, response_body = self.gateway.handle(
            method, path, headers or {}, raw, source_ip
        )
        return ApiResponse(status, response_headers, response_body)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)


@pytest.fixture
def api(aws: dict[str, str]) -> ApiClient:
    """A fresh set of function instances (cold starts) on top of the moto resources."""
    return ApiClient()
