"""Fixtures of the integration suites that report run events through the API and the evaluator."""

from __future__ import annotations

import pytest

from tests.pipeline import Pipeline


@pytest.fixture
def token(mint):
    return mint()


@pytest.fixture
def pipeline(aws, api, monkeypatch):
    """Events through `POST /events` and the evaluator, with rules read fresh on every event."""
    monkeypatch.setenv("DAGY_RULES_CACHE_SECONDS", "0")
    return Pipeline(aws, api)
