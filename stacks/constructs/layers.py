"""The two Lambda layers: `deps` (Powertools, pydantic) built at synth time without Docker, and `common`.

The deps layer is built by pip for the Lambda platform (arm64, the runtime's Python) into
`.build/layers/deps-<hash>` and reused while the requirements and the recipe do not change; a build
goes to a temporary folder first, so an interrupted one is never reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "requirements.txt"
COMMON_DIR = ROOT / "layers" / "common"
BUILD_DIR = ROOT / ".build" / "layers"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.14"
# The runtime ships boto3 and its dependencies. aws-xray-sdk (Powertools' tracer) pulls botocore in;
# a copy in the layer would shadow the runtime's (layers come first on sys.path) and pair it with a
# boto3 of another release, so the build drops them.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# Part of the cache key: changing how the layer is built must not reuse an older build.
RECIPE = f"{PLATFORM} cp{PYTHON_VERSION} without {','.join(RUNTIME_PROVIDED)}"


def build_deps_layer(requirements: Path = REQUIREMENTS, build_dir: Path = BUILD_DIR) -> Path:
    """The folder holding `python/` with every dependency, built once per requirements content."""
    digest = hashlib.sha256(requirements.read_bytes() + RECIPE.encode()).hexdigest()[:12]
    target = build_dir / f"deps-{digest}"
    if target.exists():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-deps-", dir=build_dir))
    subprocess.run(  # noqa: S603 - fixed arguments, our own requirements file
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--platform", PLATFORM, "--only-binary=:all:", "--python-version", PYTHON_VERSION,
            "--implementation", "cp", "--target", str(staging / "python"), "-r", str(requirements),
        ],
        check=True,
        env={key: value for key, value in os.environ.items() if key != "PIP_FIND_LINKS"},
    )  # fmt: skip
    _remove_runtime_provided(staging / "python")
    for leftover in [*(staging / "python").rglob("__pycache__"), staging / "python" / "bin"]:
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # another synth (e.g. tests next to `make synth`) finished the same build first
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():
            raise
    return target


def _remove_runtime_provided(site: Path) -> None:
    for dist in metadata.distributions(path=[str(site)]):
        if dist.metadata["Name"].lower().replace("_", "-") not in RUNTIME_PROVIDED:
            continue
        for file in dist.files or ():
            path = (site / file).resolve()
            if path.is_relative_to(site.resolve()):  # RECORD may list scripts outside the target
                path.unlink(missing_ok=True)
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


class Layers(Construct):
    """`deps` and `common` for the functions of one stack.

    Every stack with functions has its own: a layer version's ARN changes with its content, and
    CloudFormation refuses to change an export another stack imports, so a shared layer would
    block the next deploy of a library change. The assets are the same, so they upload once.
    """

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
            code=lambda_.Code.from_asset(str(COMMON_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="dagy_ops: the shared library of every Dagy Ops function",
        )
