"""The one way this project defines a Lambda function: arm64, newest Python, both layers, X-Ray,
its own log group with retention, and Powertools settings."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

import dagy_ops
from dagy_ops.schema import TableSpec
from stacks import nag
from stacks.constructs.email import send_email_statement
from stacks.constructs.layers import ARCHITECTURE, ROOT, RUNTIME, Layers

LAMBDAS_DIR = ROOT / "lambdas"
READ_ONLY_TABLE_ACTIONS = frozenset(
    {"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
)


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
        code_dir = LAMBDAS_DIR / name
        if not (code_dir / "handler.py").is_file():
            raise FileNotFoundError(f"function {name!r} needs {code_dir.relative_to(ROOT)}/handler.py")
        self.name = name
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
            code=lambda_.Code.from_asset(str(code_dir), exclude=["**/__pycache__", "**/*.pyc"]),
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
        # Tracing.ACTIVE adds the X-Ray statement, which cannot name a resource.
        nag.acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]", nag.XRAY)

    def grant_table(
        self, table: dynamodb.ITable, spec: TableSpec, actions: list[str], key: kms.IKey | None = None
    ) -> None:
        """`actions` on the table and, for queries, on its named indexes (no `index/*` wildcard);
        with `key`, what the actions need of the table's KMS key and nothing more."""
        resources = [table.table_arn]
        if "dynamodb:Query" in actions:
            resources += [f"{table.table_arn}/index/{index.name}" for index in spec.indexes]
        self.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))
        if key is None or set(actions) <= {"dynamodb:DescribeTable"}:  # metadata only: no data key
            return
        if set(actions) <= READ_ONLY_TABLE_ACTIONS:
            key.grant_decrypt(self.role)
        else:
            self.grant_key_encrypt_decrypt(key)

    def grant_send(self, queue: sqs.IQueue) -> None:
        """SendMessage (and batches) to one queue, with the use of its key that encrypting needs."""
        queue.grant_send_messages(self.role)
        if queue.encryption_master_key:
            self._acknowledge_key_actions()

    def grant_send_email(self, sender: str) -> None:
        """SES SendEmail from the address `sender` only (see `stacks.constructs.email`)."""
        self.role.add_to_policy(send_email_statement(self, sender))

    def grant_key_encrypt_decrypt(self, key: kms.IKey) -> None:
        key.grant_encrypt_decrypt(self.role)
        self._acknowledge_key_actions()

    def _acknowledge_key_actions(self) -> None:
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            nag.acknowledge(self.role, f"AwsSolutions-IAM5[Action::{action}]", nag.KMS_ACTIONS)
