"""Opaque `next_token`s: a DynamoDB LastEvaluatedKey, bound to one org and one listing, signed.

A token cannot be forged (HMAC-SHA256 over its content), replayed against another org, or
used to continue a different listing (the scope names the endpoint and its filters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from dagy_ops.errors import BadRequest


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("cursor signing key must be at least 32 bytes")
        self._key = key

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, payload, hashlib.sha256).digest())

    def encode(self, org_id: str, scope: str, last_key: dict[str, Any] | None) -> str | None:
        if not last_key:
            return None
        payload = json.dumps({"o": org_id, "s": scope, "k": last_key}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{self._sign(payload)}"

    def decode(self, token: str | None, org_id: str, scope: str) -> dict[str, Any] | None:
        if not token:
            return None
        try:
            body, signature = token.split(".")
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            valid = hmac.compare_digest(signature, self._sign(payload))
            content = json.loads(payload) if valid else {}
        except (ValueError, UnicodeDecodeError):
            content = {}
        if content.get("o") != org_id or content.get("s") != scope or not isinstance(content.get("k"), dict):
            raise BadRequest("Invalid next_token", {"field": "next_token"})
        return dict(content["k"])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Paginator:
    """Cursors keyed by the deployment's secret, fetched on first use and kept for the instance.

    The Secrets Manager client is made on first use too: most requests never page, and a client
    costs tens of milliseconds of cold start.
    """

    def __init__(self, secret_arn: str | None, secretsmanager: Callable[[], Any]) -> None:
        self._secret_arn = secret_arn
        self._client = secretsmanager
        self._codec: CursorCodec | None = None

    @property
    def codec(self) -> CursorCodec:
        if self._codec is None:
            if not self._secret_arn:
                raise RuntimeError("CURSOR_SECRET_ARN is not configured")
            value = self._client().get_secret_value(SecretId=self._secret_arn)["SecretString"]
            self._codec = CursorCodec(hashlib.sha256(value.encode()).digest())
        return self._codec

    def start(self, org_id: str, scope: str, next_token: str | None) -> dict[str, Any] | None:
        return self.codec.decode(next_token, org_id, scope) if next_token else None

    def next_token(self, org_id: str, scope: str, last_key: dict[str, Any] | None) -> str | None:
        return self.codec.encode(org_id, scope, last_key) if last_key else None
