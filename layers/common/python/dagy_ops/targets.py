"""Where the service may send HTTP requests: no private, loopback, link-local or metadata targets.

Checked when a URL is saved and again before every send, because a name that resolved to a
public address at save time can resolve to an internal one later (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str], list[str]]

# Cloud metadata endpoints that are not covered by the private / link-local ranges.
_METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


class UnsafeTarget(ValueError):
    """The URL may not be called; the message says why without echoing secrets in it."""


def resolve_host(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and ip not in _METADATA


def _is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def check_target(
    url: str,
    *,
    allow_private: bool = False,
    require_resolution: bool = True,
    resolve: Resolver = resolve_host,
) -> list[str]:
    """The addresses `url` may be called at; UnsafeTarget unless it is https to public addresses only.

    `allow_private` (the local stack only) additionally admits loopback targets, over http too.
    With `require_resolution=False` (on save) a name that does not resolve yet is accepted; the
    check before each send requires it to resolve, and the sender connects to exactly the
    addresses answered here, so a second lookup cannot be steered elsewhere.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise UnsafeTarget("URL has no host")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolve(host)
        except OSError:
            if require_resolution:
                raise UnsafeTarget(f"Host {host} does not resolve") from None
            addresses = []
    loopback_allowed = allow_private and bool(addresses) and all(_is_loopback(a) for a in addresses)
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback_allowed):
        raise UnsafeTarget("URL must use https")
    if not loopback_allowed and not all(_is_public(a) for a in addresses):
        raise UnsafeTarget(f"Host {host} resolves to a private, loopback, link-local or metadata address")
    return addresses
