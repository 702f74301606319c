"""SSRF guard: which URLs the service may call."""

from __future__ import annotations

import pytest

from dagy_ops.targets import UnsafeTarget, check_target


def resolver(*addresses):
    return lambda host: list(addresses)


def unresolvable(host):
    raise OSError("no such host")


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "0.0.0.0",
        "::ffff:10.0.0.1",
        "fe80::1",
        "100.64.0.1",
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(address):
    with pytest.raises(UnsafeTarget, match="private"):
        check_target("https://hooks.example.com/x", resolve=resolver(address))


def test_one_internal_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(UnsafeTarget):
        check_target("https://hooks.example.com/x", resolve=resolver("93.184.216.34", "10.0.0.1"))


def test_public_https_target_is_allowed():
    check_target("https://hooks.example.com/x", resolve=resolver("93.184.216.34"))


def test_plain_http_is_refused_even_to_public_hosts():
    with pytest.raises(UnsafeTarget, match="https"):
        check_target("http://hooks.example.com/x", resolve=resolver("93.184.216.34"))


def test_unresolvable_names_pass_on_save_and_fail_on_send():
    check_target("https://not-yet.example.com/x", require_resolution=False, resolve=unresolvable)
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        check_target("https://not-yet.example.com/x", resolve=unresolvable)


def test_local_stack_setting_admits_loopback_only_over_http_too():
    check_target("http://127.0.0.1:9999/slack", allow_private=True)
    with pytest.raises(UnsafeTarget):
        check_target("http://10.0.0.1:9999/slack", allow_private=True)
    with pytest.raises(UnsafeTarget):
        check_target("http://127.0.0.1:9999/slack")
