"""DataStack: the KMS key, every DynamoDB table of `dagy_ops.schema`, the artifact bucket and the
pagination-token secret. Stateful resources are retained when the stack is deleted."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dagy_ops.schema import ARTIFACT_BUCKET_ENV, CURSOR_SECRET_ENV, TABLES, Key, TableSpec

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


class DataStack(Stack):
    """Exposes `key`, `tables` (by TableSpec.logical_id), `artifact_bucket` and `cursor_secret`."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.key = kms.Key(
            self,
            "DataKey",
            description="Dagy Ops: tables, queues, bucket and alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.tables: dict[str, dynamodb.Table] = {spec.logical_id: self._table(spec) for spec in TABLES}

        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 server access logging accepts
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.artifact_bucket = s3.Bucket(
            self,
            "Artifacts",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="artifacts/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.cursor_secret = secretsmanager.Secret(
            self,
            "CursorKey",
            description="Dagy Ops: HMAC key that signs pagination tokens",
            # The AWS managed key: granting functions in other stacks on the CMK through Secrets
            # Manager would write their role ARNs into this stack's key policy (a stack cycle).
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        for spec in TABLES:
            CfnOutput(self, f"{spec.logical_id}TableName", value=self.tables[spec.logical_id].table_name)
        CfnOutput(self, "ArtifactBucketName", value=self.artifact_bucket.bucket_name)

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{spec.logical_id}Table",
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType[index.projection],
            )
        return table

    def function_environment(self) -> dict[str, str]:
        """The variables through which functions find the tables, the bucket and the secret."""
        return {
            **{spec.env_var: self.tables[spec.logical_id].table_name for spec in TABLES},
            ARTIFACT_BUCKET_ENV: self.artifact_bucket.bucket_name,
            CURSOR_SECRET_ENV: self.cursor_secret.secret_arn,
        }
