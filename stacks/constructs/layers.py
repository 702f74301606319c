"""The two Lambda layers: `deps` (Powertools, pydantic) built at synth time without Docker, and `common`.

The deps layer is built by pip for the Lambda platform (arm64, the runtime's Python) into
`.build/layers/deps-<hash of layers/requirements.txt>` and reused while the requirements do not
change; a build goes to a temporary folder first, so an interrupted one is never reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "requirements.txt"
BUILD_DIR = ROOT / ".build" / "layers"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.14"


def build_deps_layer(requirements: Path = REQUIREMENTS, build_dir: Path = BUILD_DIR) -> Path:
    """The folder holding `python/` with every dependency, built once per requirements content."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    target = build_dir / f"deps-{digest}"
    if target.exists():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="deps-", dir=build_dir))
    subprocess.run(  # noqa: S603 - fixed arguments, our own requirements file
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--platform", PLATFORM, "--only-binary=:all:", "--python-version", PYTHON_VERSION,
            "--implementation", "cp", "--target", str(staging / "python"), "-r", str(requirements),
        ],
        check=True,
        env={key: value for key, value in os.environ.items() if key != "PIP_FIND_LINKS"},
    )  # fmt: skip
    for cache in (staging / "python").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    staging.rename(target)
    return target


class Layers(Construct):
    """`deps` and `common`, shared by every function of a stack."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.deps = lambda_.LayerVersion(
            self,
            "Deps",
            code=lambda_.Code.from_asset(str(build_deps_layer())),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Powertools for AWS Lambda and pydantic",
        )
        self.common = lambda_.LayerVersion(
            self,
            "Common",
            code=lambda_.Code.from_asset(str(ROOT / "layers" / "common"), exclude=["**/__pycache__"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="dagy_ops: the shared library of every Dagy Ops function",
        )
