"""Synthesize the whole app once per session, in process, with the feature flags of cdk.json."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import DagyOps, app_context, build_app

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DagyOps, Path]]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir), context=app_context())
    dagy = build_app(app)
    app.synth()  # raises when cdk-nag has an unacknowledged finding
    yield dagy, outdir


@pytest.fixture(scope="session")
def templates(synthesized: tuple[DagyOps, Path]) -> dict[str, Template]:
    dagy, _ = synthesized
    return {
        stack.stack_name.removeprefix("DagyOps-").lower(): Template.from_stack(stack) for stack in dagy.stacks
    }
