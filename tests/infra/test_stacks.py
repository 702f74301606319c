"""CDK assertions: what the stacks create, from the same specs the local stack uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from dagy_ops.audit import STREAM_FILTERS
from dagy_ops.routes import ROUTES, functions
from dagy_ops.schema import AUDITED_TABLES, QUEUES, TABLES
from stacks.constructs.layers import build_deps_layer


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


@pytest.mark.parametrize("spec", QUEUES, ids=lambda s: s.logical_id)
def test_each_queue_has_an_encrypted_dead_letter_queue_of_its_kind(templates, spec):
    queues = resources(templates["processing"], "AWS::SQS::Queue")
    (queue,) = [
        q["Properties"]
        for rid, q in queues.items()
        if rid.startswith(spec.logical_id) and "RedrivePolicy" in q["Properties"]
    ]
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_seconds
    assert queue["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count
    (dlq_id, _) = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"]
    dlq = queues[dlq_id]["Properties"]
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    for props in (queue, dlq):
        assert "KmsMasterKeyId" in props
        assert props.get("FifoQueue", False) is spec.fifo  # a FIFO queue's DLQ must be FIFO too


def test_every_queue_is_encrypted_and_tls_only(templates):
    processing = templates["processing"]
    queues = resources(processing, "AWS::SQS::Queue")
    assert all("KmsMasterKeyId" in q["Properties"] for q in queues.values())
    policies = resources(processing, "AWS::SQS::QueuePolicy").values()
    tls_only = [
        queue["Ref"]
        for p in policies
        if '"aws:SecureTransport": "false"' in json.dumps(p["Properties"]["PolicyDocument"])
        for queue in p["Properties"]["Queues"]
    ]
    assert sorted(tls_only) == sorted(queues)


def test_an_alarm_on_every_dead_letter_queue_and_on_every_functions_errors(synthesized, templates):
    dagy, _ = synthesized
    alarms = resources(templates["monitoring"], "AWS::CloudWatch::Alarm").values()
    dlq_alarms = [a for a in alarms if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    error_alarms = [a for a in alarms if a["Properties"]["MetricName"] == "Errors"]
    assert len(dlq_alarms) == len(dagy.processing.dead_letter_queues) == len(QUEUES) + 1
    assert len(error_alarms) == len(dagy.api.functions) + len(dagy.processing.functions)
    topic = next(iter(resources(templates["monitoring"], "AWS::SNS::Topic")))
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms)


def test_alarm_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(templates):
    monitoring = templates["monitoring"]
    (key_id, key), *others = resources(monitoring, "AWS::KMS::Key").items()
    assert others == []
    assert key["Properties"]["EnableKeyRotation"] is True
    assert {
        "Sid": "CloudWatchAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    } in key["Properties"]["KeyPolicy"]["Statement"]
    monitoring.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}})
    policies = json.dumps(resources(monitoring, "AWS::SNS::TopicPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_every_table_name_and_queue_url_is_a_stack_output(templates):
    data_outputs = templates["data"].to_json()["Outputs"]
    assert {f"{spec.logical_id}TableName" for spec in TABLES} <= set(data_outputs)
    assert "ArtifactBucketName" in data_outputs
    processing_outputs = templates["processing"].to_json()["Outputs"]
    queues = [spec.logical_id for spec in QUEUES]
    expected = {f"{q}Url" for q in queues} | {f"{q}DlqUrl" for q in queues} | {"AuditFailuresQueueUrl"}
    assert expected <= set(processing_outputs)
    assert "ApiUrl" in templates["api"].to_json()["Outputs"]
    assert "AlarmTopicArn" in templates["monitoring"].to_json()["Outputs"]


def all_functions(templates) -> list[dict[str, Any]]:
    return [
        f
        for stack in ("api", "processing")
        for f in resources(templates[stack], "AWS::Lambda::Function").values()
    ]


def test_every_function_is_arm64_newest_python_traced_with_both_layers(templates):
    lambdas = all_functions(templates)
    assert len(lambdas) == len(functions()) + 4  # + authorizer, audit writer, evaluator, dispatcher
    for fn in lambdas:
        props = fn["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.14"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 2


@pytest.mark.parametrize("stack", ["api", "processing"])
def test_each_stack_uses_its_own_layers_targeting_the_functions_runtime(templates, stack):
    template = templates[stack]
    template.resource_count_is("AWS::Lambda::LayerVersion", 2)
    template.has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {
            "CompatibleRuntimes": ["python3.14"],
            "CompatibleArchitectures": ["arm64"],
            "Description": Match.string_like_regexp("Powertools"),
        },
    )
    # A layer imported from another stack would pin its ARN in an export and block the next deploy.
    local_layers = set(resources(template, "AWS::Lambda::LayerVersion"))
    for fn in resources(template, "AWS::Lambda::Function").values():
        assert {layer["Ref"] for layer in fn["Properties"]["Layers"]} == local_layers


def test_deps_layer_is_built_for_arm64_without_the_runtimes_own_sdk():
    site = build_deps_layer() / "python"  # the cached build the stacks use
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "aws_xray_sdk").is_dir()
    assert any("aarch64" in p.name for p in (site / "pydantic_core").glob("*.so"))
    assert not [name for name in ("boto3", "botocore", "s3transfer", "urllib3") if (site / name).exists()]


def test_every_route_is_a_method_public_ones_without_authorizer(templates):
    api = templates["api"]
    methods = resources(api, "AWS::ApiGateway::Method").values()
    assert len(methods) == len(ROUTES)
    public = [m for m in methods if m["Properties"]["AuthorizationType"] == "NONE"]
    assert len(public) == sum(route.public for route in ROUTES)
    assert all(m["Properties"]["AuthorizationType"] == "CUSTOM" for m in methods if m not in public)
    assert all("AuthorizerId" in m["Properties"] for m in methods if m not in public)
    assert all(m["Properties"]["Integration"]["Type"] == "AWS_PROXY" for m in methods)


def test_get_health_is_public_and_proxied_to_the_health_function(templates):
    api = templates["api"]
    (health_resource,) = [
        rid
        for rid, r in resources(api, "AWS::ApiGateway::Resource").items()
        if r["Properties"]["PathPart"] == "health"
    ]
    (method,) = [
        m["Properties"]
        for m in resources(api, "AWS::ApiGateway::Method").values()
        if m["Properties"]["ResourceId"] == {"Ref": health_resource}
    ]
    assert method["HttpMethod"] == "GET"
    assert method["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in method
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert method["Integration"]["IntegrationHttpMethod"] == "POST"
    assert "HealthFunction" in json.dumps(method["Integration"]["Uri"])


def test_request_authorizer_caches_per_token_for_a_minute(templates):
    templates["api"].has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "REQUEST",
            "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 60,
        },
    )


def test_stage_is_throttled_traced_metered_and_access_logged_as_json(templates):
    api = templates["api"]
    api.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100, "MetricsEnabled": True}
                    )
                ]
            ),
        },
    )
    (stage,) = resources(api, "AWS::ApiGateway::Stage").values()
    access_log = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "status", "httpMethod", "resourcePath"} <= set(access_log)
    api.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": Match.any_value()})
    api.resource_count_is("AWS::ApiGateway::Account", 1)  # the role API Gateway logs with


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
        ("UNAUTHORIZED", "401", "unauthorized"),
        ("ACCESS_DENIED", "403", "forbidden"),
        ("THROTTLED", "429", "rate_limited"),
        ("REQUEST_TOO_LARGE", "413", "payload_too_large"),
        ("DEFAULT_4XX", None, "bad_request"),  # keeps API Gateway's own 4xx status
        ("DEFAULT_5XX", None, "internal_error"),
    ],
)
def test_gateway_responses_answer_in_the_error_format(templates, response_type, status, code):
    responses = resources(templates["api"], "AWS::ApiGateway::GatewayResponse").values()
    props = next(r["Properties"] for r in responses if r["Properties"]["ResponseType"] == response_type)
    assert props.get("StatusCode") == status
    assert props["ResponseParameters"] == {"gatewayresponse.header.Content-Type": "'application/json'"}
    # As API Gateway renders it: $context.error.messageString is the message, JSON-quoted.
    body = props["ResponseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps('Invalid "body"')
    )
    rendered = json.loads(body)
    assert rendered["code"] == code
    assert set(rendered) == {"code", "message", "details"}
    assert rendered["details"] == {}


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


def test_health_may_only_describe_the_flows_table_list_the_bucket_and_read_the_events_queue(templates):
    statements = policy_statements(templates["api"], "HealthRole")
    by_service: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        for action in actions_of(statement):
            by_service.setdefault(action.split(":")[0], []).append(statement)
    assert set(by_service) == {"logs", "xray", "dynamodb", "s3", "sqs"}  # no kms, no secretsmanager
    data = {
        a: s["Resource"]
        for s in statements
        for a in actions_of(s)
        if a.split(":")[0] in ("dynamodb", "s3", "sqs")
    }
    assert sorted(data) == ["dynamodb:DescribeTable", "s3:ListBucket", "sqs:GetQueueAttributes"]
    for resource in data.values():
        assert isinstance(resource, dict)  # one named resource: a reference, never "*" or a list
    assert "FlowsTable" in json.dumps(data["dynamodb:DescribeTable"])
    assert "Artifacts" in json.dumps(data["s3:ListBucket"])
    assert "EventsQueue" in json.dumps(data["sqs:GetQueueAttributes"])
    assert "EventsQueueDlq" not in json.dumps(data["sqs:GetQueueAttributes"])


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
    assert audit_table_actions(templates["processing"], "DispatcherRole") == []
    assert audit_table_actions(templates["api"], "AuditRole") == ["dynamodb:Query"]
    for role in ("HealthRole", "TokensRole", "ChannelsRole", "RulesRole", "AuthorizerRole", "DocsRole"):
        assert audit_table_actions(templates["api"], role) == []


def test_audit_writer_reads_each_audited_stream_with_filters_bisect_retries_and_a_failure_queue(templates):
    mappings = [
        m
        for m in resources(templates["processing"], "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    assert len(mappings) == len(AUDITED_TABLES)
    for mapping in mappings:
        props = mapping["Properties"]
        assert props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRetryAttempts"] == 3
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "OnFailure" in props["DestinationConfig"]
        patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
        assert patterns in list(STREAM_FILTERS.values())


def test_evaluator_consumes_the_events_queue_in_batches_with_partial_failures(templates):
    templates["processing"].has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": Match.object_like(
                {"Fn::GetAtt": Match.array_with([Match.string_like_regexp("^EventsQueue")])}
            ),
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def test_sla_sweep_schedule_puts_the_sweep_message_on_the_events_queue(templates):
    templates["processing"].has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [Match.object_like({"Input": Match.serialized_json({"type": "sla.sweep"})})],
        },
    )
    (key,) = resources(templates["data"], "AWS::KMS::Key").values()
    # EventBridge may encrypt with the data key to write to the queue, for this account's rules only.
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_notifications_queue_is_fifo_with_a_fifo_dead_letter_queue(templates):
    fifo = [
        q
        for q in resources(templates["processing"], "AWS::SQS::Queue").values()
        if q["Properties"].get("FifoQueue")
    ]
    assert len(fifo) == 2


def test_evaluator_reads_rules_and_writes_runs_but_never_touches_tokens_or_audit(templates):
    statements = policy_statements(templates["processing"], "EvaluatorRole")
    text = json.dumps(statements)
    assert "TokensTable" not in text and "AuditTable" not in text
    assert audit_table_actions(templates["processing"], "EvaluatorRole") == []
