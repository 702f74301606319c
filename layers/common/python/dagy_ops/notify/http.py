"""HTTP POSTs to user-supplied URLs: vetted addresses only, no redirects, short timeouts, pooled.

The target is resolved and checked (`dagy_ops.targets`) before every send, and the connection is
made to the vetted address itself, with the original host name for TLS verification and the
Host header: a second DNS answer cannot move the request to an internal address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock
from urllib.parse import urlsplit

import urllib3

from dagy_ops.targets import UnsafeTarget, check_target


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    """None when no answer came back (timeout, refused connection, unsafe target)."""
    latency_ms: int
    error: str | None = None
    retry_after_seconds: float | None = None
    retryable: bool = True
    """For `status=None`: whether trying again may help (an unsafe target never does)."""


class TargetClient:
    """One connection pool per (address, port, host), kept for the life of the function instance."""

    def __init__(self, timeout_seconds: float, allow_private: bool) -> None:
        self.timeout = urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds)
        self.allow_private = allow_private
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._lock = Lock()

    def _pool(self, scheme: str, address: str, port: int, host: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, address, port, host)
        with self._lock:
            if key not in self._pools:
                if scheme == "https":
                    self._pools[key] = urllib3.HTTPSConnectionPool(
                        address, port, timeout=self.timeout, retries=False, maxsize=4,
                        server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
                    )  # fmt: skip
                else:
                    self._pools[key] = urllib3.HTTPConnectionPool(
                        address, port, timeout=self.timeout, retries=False, maxsize=4
                    )
            return self._pools[key]

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            addresses = check_target(url, allow_private=self.allow_private)
        except UnsafeTarget as error:
            return HttpResult(None, elapsed(), f"refused target: {error}", retryable=False)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        try:
            response = self._pool(parts.scheme, addresses[0], port, host).urlopen(
                "POST",
                path,
                body=body,
                headers={**headers, "Host": host_header, "Content-Type": "application/json"},
                redirect=False,
                retries=False,
                preload_content=True,
            )
        except urllib3.exceptions.NewConnectionError:  # before TimeoutError: urllib3 derives it from that
            return HttpResult(None, elapsed(), "connection failed: refused or unreachable")
        except urllib3.exceptions.TimeoutError:
            return HttpResult(None, elapsed(), "timed out")
        except urllib3.exceptions.HTTPError as error:
            return HttpResult(None, elapsed(), f"connection failed: {type(error).__name__}")
        return HttpResult(
            response.status,
            elapsed(),
            _error_text(response),
            _retry_after(response.headers.get("Retry-After")),
        )


def _error_text(response: urllib3.BaseHTTPResponse) -> str | None:
    if 200 <= response.status < 300:
        return None
    if 300 <= response.status < 400:
        return f"redirect to {response.headers.get('Location', '?')} not followed"
    return f"HTTP {response.status}: {response.data[:200].decode(errors='replace')}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header given in seconds (HTTP dates are ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
