"""AWS clients, created once per process and shared across invocations.

One boto3 session means endpoint and retry data are loaded once however many clients a
function needs. `AWS_ENDPOINT_URL` (set by the local stack and tests) points them at moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config


@cache
def _session() -> boto3.Session:
    return boto3.Session()


def aws_client(service: str, timeout: float | None = None) -> Any:
    """A client for `service`; with `timeout`, connect and read give up after it and never retry."""
    config = (
        Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 1, "mode": "standard"},
        )
        if timeout
        else Config(retries={"mode": "standard"})
    )
    return _session().client(service, config=config)
