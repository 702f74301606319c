"""The one way this project defines a Lambda function: arm64, newest Python, both layers, X-Ray,
its own log group with retention, and Powertools settings."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

import dagy_ops
from dagy_ops.schema import TableSpec
from stacks.constructs.layers import ARCHITECTURE, ROOT, RUNTIME, Layers

LAMBDAS_DIR = ROOT / "lambdas"


class DagyFunction(Construct):
    """`lambdas/<name>/handler.py` as a function; `.function` is the Lambda itself."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        layers: Layers,
        environment: dict[str, str] | None = None,
        timeout_seconds: int = 10,
        memory_size: int = 512,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        # Its own role: logs only to its own log group (instead of the AWS managed basic role).
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(LAMBDAS_DIR / name), exclude=["**/__pycache__"]),
            layers=[layers.deps, layers.common],
            tracing=lambda_.Tracing.ACTIVE,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            log_group=self.log_group,
            role=self.role,
            environment={
                "POWERTOOLS_SERVICE_NAME": "dagy-ops",
                "POWERTOOLS_METRICS_NAMESPACE": "DagyOps",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "DAGY_VERSION": dagy_ops.__version__,
                **(environment or {}),
            },
            description=f"Dagy Ops {name}",
        )


def grant_table(grantee: iam.IGrantable, table: dynamodb.ITable, spec: TableSpec, actions: list[str]) -> None:
    """`actions` on the table and, for queries, on its named indexes: no `index/*` wildcard."""
    resources = [table.table_arn]
    if "dynamodb:Query" in actions:
        resources += [f"{table.table_arn}/index/{index.name}" for index in spec.indexes]
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
