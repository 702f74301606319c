#!/usr/bin/env python3
"""The CDK app: every Dagy Ops stack, checked by cdk-nag's AwsSolutions pack during synth.

A finding that is not acknowledged fails the synth: cdk-nag makes `app.synth()` raise and this
script then exits 1 (a Python synth would otherwise exit 0 with findings in a report).
"""

import sys

import aws_cdk as cdk

from stacks.app_builder import build_app


def synth(app: cdk.App) -> int:
    try:
        app.synth()
    except RuntimeError as error:  # jsii surfaces cdk-nag's "ValidationFailed" as a RuntimeError
        print(f"cdk synth failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    app = cdk.App()
    build_app(app)
    sys.exit(synth(app))
