"""CDK assertions: what the stacks create, from the same specs the local stack uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from dagy_ops.audit import STREAM_FILTERS
from dagy_ops.routes import ROUTES, functions
from dagy_ops.schema import AUDITED_TABLES, QUEUES, TABLES


def resources(template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.logical_id)
def test_every_table_of_the_spec_with_its_keys_indexes_stream_ttl_pitr_and_cmk(templates, spec):
    expected_keys = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
    if spec.sort_key:
        expected_keys.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
    props: dict[str, Any] = {
        "KeySchema": expected_keys,
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()},
    }
    if spec.ttl_attribute:
        props["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute, "Enabled": True}
    if spec.stream:
        props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    if spec.indexes:
        props["GlobalSecondaryIndexes"] = Match.array_with(
            [Match.object_like({"IndexName": index.name}) for index in spec.indexes]
        )
    templates["data"].has_resource_properties("AWS::DynamoDB::Table", props)
    templates["data"].has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})


def test_tables_without_a_stream_have_none(templates):
    tables = resources(templates["data"], "AWS::DynamoDB::Table").values()
    assert sum("StreamSpecification" in t["Properties"] for t in tables) == sum(s.stream for s in TABLES)


def test_data_key_rotates(templates):
    templates["data"].has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_artifact_bucket_is_private_versioned_encrypted_and_tls_only(templates):
    data = templates["data"]
    data.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like({"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": Match.any_value()}})
                ]
            },
            "LoggingConfiguration": Match.any_value(),
        },
    )  # fmt: skip
    policies = json.dumps(resources(data, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_each_queue_has_an_encrypted_dead_letter_queue_with_the_specs_receive_count(templates):
    processing = templates["processing"]
    for spec in QUEUES:
        processing.has_resource_properties(
            "AWS::SQS::Queue",
            {
                "KmsMasterKeyId": Match.any_value(),
                "VisibilityTimeout": spec.visibility_timeout_seconds,
                "RedrivePolicy": {
                    "deadLetterTargetArn": Match.any_value(),
                    "maxReceiveCount": spec.max_receive_count,
                },
            },
        )
    queues = resources(processing, "AWS::SQS::Queue").values()
    assert all("KmsMasterKeyId" in q["Properties"] for q in queues)


def test_an_alarm_on_every_dead_letter_queue_and_on_every_functions_errors(synthesized, templates):
    dagy, _ = synthesized
    alarms = resources(templates["monitoring"], "AWS::CloudWatch::Alarm").values()
    dlq_alarms = [a for a in alarms if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    error_alarms = [a for a in alarms if a["Properties"]["MetricName"] == "Errors"]
    assert len(dlq_alarms) == len(dagy.processing.dead_letter_queues) == len(QUEUES) + 1
    assert len(error_alarms) == len(dagy.api.functions) + 1
    assert all(a["Properties"]["AlarmActions"] for a in alarms)


def all_functions(templates) -> list[dict[str, Any]]:
    return [
        f
        for stack in ("api", "processing")
        for f in resources(templates[stack], "AWS::Lambda::Function").values()
    ]


def test_every_function_is_arm64_newest_python_traced_with_both_layers(templates):
    lambdas = all_functions(templates)
    assert len(lambdas) == len(functions()) + 2  # + authorizer + audit writer
    for fn in lambdas:
        props = fn["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.14"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 2


def test_deps_layer_targets_the_functions_runtime_and_architecture(templates):
    templates["processing"].has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {
            "CompatibleRuntimes": ["python3.14"],
            "CompatibleArchitectures": ["arm64"],
            "Description": Match.string_like_regexp("Powertools"),
        },
    )


def test_every_route_is_a_method_public_ones_without_authorizer(templates):
    api = templates["api"]
    methods = resources(api, "AWS::ApiGateway::Method").values()
    assert len(methods) == len(ROUTES)
    public = [m for m in methods if m["Properties"]["AuthorizationType"] == "NONE"]
    assert len(public) == sum(route.public for route in ROUTES)
    assert all(m["Properties"]["AuthorizationType"] == "CUSTOM" for m in methods if m not in public)
    assert all(m["Properties"]["Integration"]["Type"] == "AWS_PROXY" for m in methods)
    api.has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "GET", "AuthorizationType": "NONE"})


def test_request_authorizer_caches_per_token_for_a_minute(templates):
    templates["api"].has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "REQUEST",
            "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 60,
        },
    )


def test_stage_is_throttled_traced_and_access_logged(templates):
    templates["api"].has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [Match.object_like({"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100})]
            ),
        },
    )


def test_gateway_responses_answer_in_the_error_format(templates):
    responses = resources(templates["api"], "AWS::ApiGateway::GatewayResponse").values()
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses}
    assert by_type["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert (
        json.loads(by_type["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])["code"] == "unauthorized"
    )
    assert (
        json.loads(by_type["ACCESS_DENIED"]["ResponseTemplates"]["application/json"])["code"] == "forbidden"
    )


def policy_statements(template, role_prefix: str) -> list[dict[str, Any]]:
    policies = resources(template, "AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def test_health_reads_only_the_three_named_resources(templates):
    statements = policy_statements(templates["api"], "HealthRole")
    data_statements = [
        s for s in statements if any(a.split(":")[0] in ("dynamodb", "s3", "sqs") for a in actions_of(s))
    ]
    assert sorted(a for s in data_statements for a in actions_of(s)) == [
        "dynamodb:DescribeTable", "s3:ListBucket", "sqs:GetQueueAttributes",
    ]  # fmt: skip
    assert all(s["Resource"] != "*" for s in data_statements)


def test_no_function_may_scan_or_use_index_wildcards(templates):
    text = json.dumps([resources(templates[s], "AWS::IAM::Policy") for s in ("api", "processing")])
    assert "dynamodb:Scan" not in text
    assert "/index/*" not in text


def audit_table_actions(template, role_prefix: str) -> list[str]:
    """Actions a role has on the audit table (statements whose resources name it)."""
    return sorted(
        action
        for statement in policy_statements(template, role_prefix)
        if "AuditTable" in json.dumps(statement["Resource"])
        for action in actions_of(statement)
    )


def test_audit_table_is_only_written_by_the_writer_and_only_queried_by_the_api(templates):
    assert audit_table_actions(templates["processing"], "AuditWriterRole") == ["dynamodb:PutItem"]
    assert audit_table_actions(templates["api"], "AuditRole") == ["dynamodb:Query"]
    for role in ("HealthRole", "TokensRole", "ChannelsRole", "RulesRole", "AuthorizerRole", "DocsRole"):
        assert audit_table_actions(templates["api"], role) == []


def test_audit_writer_reads_each_audited_stream_with_filters_bisect_retries_and_a_failure_queue(templates):
    mappings = resources(templates["processing"], "AWS::Lambda::EventSourceMapping").values()
    assert len(mappings) == len(AUDITED_TABLES)
    for mapping in mappings:
        props = mapping["Properties"]
        assert props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRetryAttempts"] == 3
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "OnFailure" in props["DestinationConfig"]
        patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
        assert patterns in list(STREAM_FILTERS.values())
