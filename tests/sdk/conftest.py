"""The dagy SDK's tests record into a temporary $DAGY_HOME and never reach an API unless told to."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGY_HOME", str(tmp_path / "dagy"))
    monkeypatch.delenv("DAGY_API_URL", raising=False)
    monkeypatch.delenv("DAGY_API_TOKEN", raising=False)
    return tmp_path / "dagy"
