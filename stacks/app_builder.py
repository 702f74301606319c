"""Build every stack into an app, with cdk-nag's AwsSolutions checks and the reviewed exceptions."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.api import ApiStack
from stacks.data import DataStack
from stacks.monitoring import MonitoringStack
from stacks.nag import acknowledge_reviewed_findings
from stacks.processing import ProcessingStack


class DagyOps:
    """The four stacks, wired together: each takes the constructs it uses from the ones before it."""

    def __init__(self, app: cdk.App, env: cdk.Environment | None = None) -> None:
        self.data = DataStack(app, "DagyOps-Data", env=env, description="Dagy Ops: tables, bucket, keys")
        self.processing = ProcessingStack(
            app,
            "DagyOps-Processing",
            data=self.data,
            env=env,
            description="Dagy Ops: queues and async functions",
        )
        self.api = ApiStack(
            app,
            "DagyOps-Api",
            data=self.data,
            processing=self.processing,
            env=env,
            description="Dagy Ops: REST API",
        )
        self.monitoring = MonitoringStack(
            app,
            "DagyOps-Monitoring",
            dead_letter_queues=dict(self.processing.dead_letter_queues),
            functions={**self.api.functions, **self.processing.functions},
            env=env,
            description="Dagy Ops: alarms",
        )
        self.stacks = (self.data, self.processing, self.api, self.monitoring)


def app_context() -> dict[str, object]:
    """The feature flags of cdk.json, for apps built outside the CDK CLI (tests)."""
    return dict(json.loads((Path(__file__).resolve().parent.parent / "cdk.json").read_text())["context"])


def build_app(app: cdk.App) -> DagyOps:
    dagy = DagyOps(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    acknowledge_reviewed_findings(dagy)
    return dagy
