"""cdk-nag runs during synth and fails it on any unacknowledged finding; cfn-lint passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

UNACKNOWLEDGED_QUEUE = """
import sys
import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from app import synth
from stacks.app_builder import app_context, build_app

app = cdk.App(outdir=sys.argv[1], context=app_context())
dagy = build_app(app)
sqs.Queue(dagy.processing, "PlainQueue")  # no DLQ, no SSL policy: AwsSolutions-SQS3 and SQS4
sys.exit(synth(app))
"""


def test_the_app_synthesizes_with_no_unacknowledged_finding(synthesized):
    _, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r.get("violations")] == []
    assert sorted(p.name for p in outdir.glob("*.template.json")) == [
        "DagyOps-Api.template.json", "DagyOps-Data.template.json",
        "DagyOps-Monitoring.template.json", "DagyOps-Processing.template.json",
    ]  # fmt: skip


def test_an_unacknowledged_finding_fails_the_build(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}

    result = subprocess.run(
        [sys.executable, "-c", UNACKNOWLEDGED_QUEUE, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1, result.stderr[-2000:]
    assert "ValidationFailed" in result.stderr
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions-SQS4" in report
    assert "PlainQueue" in report


def test_cfn_lint_passes_on_every_template(synthesized):
    _, outdir = synthesized
    templates = sorted(str(p) for p in outdir.glob("*.template.json"))

    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), *templates], cwd=ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr
