"""Create every table, the bucket and the queues from the schema spec, in whatever AWS boto3 reaches.

Used by the local stack (against moto's server) and by the test fixtures (against in-process moto),
so both see exactly the resources the CDK data and processing stacks define.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3

from dagy_ops.schema import (
    ARTIFACT_BUCKET_ENV,
    AUDIT_FAILURES_QUEUE,
    CURSOR_SECRET_ENV,
    QUEUES,
    TABLES,
    QueueSpec,
)


def create_resources(prefix: str = "dagy-local", session: boto3.Session | None = None) -> dict[str, str]:
    """Create everything and answer the environment the functions need to find it."""
    session = session or boto3.Session()
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")
    s3 = session.client("s3")
    env: dict[str, str] = {}

    for spec in TABLES:
        name = f"{prefix}-{spec.logical_id.lower()}"
        dynamodb.create_table(**spec.create_table_request(name))
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
        env[spec.env_var] = name

    for queue in QUEUES:
        env[queue.env_var], env[queue.dlq_env_var] = _create_queue_with_dlq(
            sqs, f"{prefix}-{queue.logical_id.lower()}", queue
        )

    failures = f"{prefix}-{AUDIT_FAILURES_QUEUE.logical_id.lower()}"
    env[AUDIT_FAILURES_QUEUE.env_var] = sqs.create_queue(QueueName=failures)["QueueUrl"]

    bucket = f"{prefix}-artifacts"
    s3.create_bucket(Bucket=bucket)
    env[ARTIFACT_BUCKET_ENV] = bucket

    secret = session.client("secretsmanager").create_secret(
        Name=f"{prefix}-cursor-key", SecretString=secrets.token_urlsafe(48)
    )
    env[CURSOR_SECRET_ENV] = secret["ARN"]
    return env


def _create_queue_with_dlq(sqs: Any, name: str, queue: QueueSpec) -> tuple[str, str]:
    suffix, fifo = (".fifo", {"FifoQueue": "true"}) if queue.fifo else ("", {})
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=fifo)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
    url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={
            **fifo,
            "VisibilityTimeout": str(queue.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return str(url), str(dlq_url)
