"""cdk-nag findings that were reviewed and accepted, each with its reason, on the narrowest construct.

Anything not acknowledged fails the synth (see app.py); tests/infra proves that it does. Findings
that every function has (X-Ray, KMS grants) are acknowledged by `DagyFunction` where it causes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from stacks.app_builder import DagyOps

XRAY = "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions: they need Resource '*'."
KMS_ACTIONS = (
    "The standard action set CDK grants on a table's or queue's KMS key for reading and writing data "
    "encrypted with it, on that one key only."
)


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_reviewed_findings(dagy: DagyOps) -> None:
    api = dagy.api.api
    acknowledge(
        api,
        "AwsSolutions-APIG2",
        "Bodies and parameters are validated in each function by Powertools against the pydantic models that "
        "also generate the OpenAPI document; a second validator in API Gateway would answer in another format.",
    )
    acknowledge(
        api.deployment_stage,
        "AwsSolutions-APIG3",
        "WAF is priced per web ACL and left to the deploying account; the stage is throttled and every route but "
        "the public ones needs a token.",
    )
    acknowledge(
        api,
        "AwsSolutions-COG4",
        "Callers are pipelines and operators with org-scoped API tokens, checked by a Lambda REQUEST authorizer; "
        "there are no end users to put in a Cognito user pool.",
    )
    for method in dagy.api.public_methods:
        acknowledge(
            method,
            "AwsSolutions-APIG4",
            "Public by design (the route table gives it no permission): /health, /openapi.json and /docs "
            "return no org data.",
        )
    acknowledge(
        api,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        "The account-level role API Gateway needs to write access and execution logs; AWS documents this policy for it.",
    )
    acknowledge(
        dagy.data.cursor_secret,
        "AwsSolutions-SMG4",
        "An HMAC key for pagination tokens, not a credential: rotating it would only invalidate open next_tokens.",
    )
    acknowledge(
        dagy.processing.audit_failures,
        "AwsSolutions-SQS3",
        "It is itself a dead-letter destination: the audit writer's stream mappings send exhausted records here.",
    )
