"""next_token: opaque, signed, bound to an org and a listing."""

from __future__ import annotations

import pytest

from dagy_ops.errors import BadRequest
from dagy_ops.pagination import CursorCodec

KEY = {"pk": {"S": "ORG#org_a"}, "sk": {"S": "CHANNEL#ch_1"}}


@pytest.fixture
def codec():
    return CursorCodec(b"k" * 32)


def test_round_trip(codec):
    token = codec.encode("org_a", "channels:*", KEY)

    assert codec.decode(token, "org_a", "channels:*") == KEY
    assert "ORG#org_a" not in token  # opaque: base64, not readable at a glance


def test_no_last_key_means_no_token(codec):
    assert codec.encode("org_a", "channels:*", None) is None


@pytest.mark.parametrize(
    ("org", "scope"), [("org_b", "channels:*"), ("org_a", "channels:slack"), ("org_a", "rules:*:*")]
)
def test_token_is_refused_for_another_org_or_listing(codec, org, scope):
    token = codec.encode("org_a", "channels:*", KEY)

    with pytest.raises(BadRequest):
        codec.decode(token, org, scope)


@pytest.mark.parametrize(
    "mutate", [lambda t: "x" + t, lambda t: t[:-2] + "AA", lambda t: t.split(".")[0], lambda t: "garbage"]
)
def test_tampered_tokens_are_refused(codec, mutate):
    token = codec.encode("org_a", "channels:*", KEY)

    with pytest.raises(BadRequest):
        codec.decode(mutate(token), "org_a", "channels:*")


def test_token_signed_with_another_key_is_refused(codec):
    token = CursorCodec(b"z" * 32).encode("org_a", "channels:*", KEY)

    with pytest.raises(BadRequest):
        codec.decode(token, "org_a", "channels:*")
