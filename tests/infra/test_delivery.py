"""Delivery (issue 6): the dispatcher's queue mapping and grants, the EmailSender parameter and the
SES grant it scopes, and what the channels API function gains."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dagy_ops.schema import NOTIFICATIONS_QUEUE, TABLES
from dagy_ops.settings import Settings
from stacks.constructs.email import DEFAULT_EMAIL_SENDER, EMAIL_SENDER_ENV, EMAIL_SENDER_PATTERN

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}


def resolve(value: Any, parameters: dict[str, str]) -> Any:
    """What CloudFormation makes of Ref, Fn::Join, Fn::Select and Fn::Split, given parameter values."""
    if isinstance(value, list):
        return [resolve(v, parameters) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):  # a plain mapping
        return {key: resolve(v, parameters) for key, v in value.items()}
    ((function, argument),) = value.items()
    if function == "Ref":
        return {**PSEUDO, **parameters}[argument]
    if function == "Fn::Join":
        separator, parts = argument
        return separator.join(resolve(parts, parameters))
    if function == "Fn::Split":
        separator, source = argument
        return resolve(source, parameters).split(separator)
    if function == "Fn::Select":
        index, items = argument
        return resolve(items, parameters)[index]
    raise AssertionError(f"unexpected intrinsic {function}")


def resources(template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def role_statements(template, role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_by_service(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in statements if any(a.startswith(f"{service}:") for a in as_list(s["Action"]))]


def table_actions(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """DynamoDB actions per table logical id (index resources count as their table)."""
    found: dict[str, set[str]] = {}
    for statement in actions_by_service(statements, "dynamodb"):
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert "*" not in text, resource
            (table,) = [spec.logical_id for spec in TABLES if f"{spec.logical_id}Table" in text]
            found.setdefault(table, set()).update(as_list(statement["Action"]))
    return found


def function_props(template, prefix: str) -> dict[str, Any]:
    (props,) = [
        f["Properties"]
        for rid, f in resources(template, "AWS::Lambda::Function").items()
        if rid.startswith(f"{prefix}Function")
    ]
    return props


def test_dispatcher_consumes_the_fifo_notifications_queue_ten_at_a_time_with_partial_failures(templates):
    processing = templates["processing"]
    (mapping,) = [
        m["Properties"]
        for m in resources(processing, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"]["Ref"].startswith("DispatcherFunction")
    ]
    queue_id, _ = mapping["EventSourceArn"]["Fn::GetAtt"]
    queue = resources(processing, "AWS::SQS::Queue")[queue_id]["Properties"]
    assert queue_id.startswith(NOTIFICATIONS_QUEUE.logical_id) and "Dlq" not in queue_id
    assert queue["FifoQueue"] is True
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumBatchingWindowInSeconds" not in mapping  # FIFO sources take none
    timeout = function_props(processing, "Dispatcher")["Timeout"]
    assert timeout == 30 <= queue["VisibilityTimeout"]


def test_dispatcher_has_exactly_the_table_actions_it_uses(templates):
    statements = role_statements(templates["processing"], "DispatcherRole")
    assert table_actions(statements) == {
        "Notifications": {"dynamodb:GetItem", "dynamodb:PutItem"},
        "Deliveries": {"dynamodb:PutItem"},
        "Idempotency": {"dynamodb:GetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"},
        "Flows": {"dynamodb:UpdateItem"},  # dagy_notifications_total
    }


def test_dispatcher_may_hold_back_notifications_and_use_the_data_key_and_nothing_else(templates):
    statements = role_statements(templates["processing"], "DispatcherRole")
    services = {a.split(":")[0] for s in statements for a in as_list(s["Action"])}
    assert services == {"logs", "xray", "dynamodb", "kms", "ses", "sqs"}
    (sqs,) = actions_by_service(statements, "sqs")
    assert "sqs:ChangeMessageVisibility" in sqs["Action"]
    assert "sqs:SendMessage" not in sqs["Action"]
    assert sqs["Resource"]["Fn::GetAtt"][0].startswith(NOTIFICATIONS_QUEUE.logical_id)
    (kms,) = actions_by_service(statements, "kms")
    assert "DataKey" in json.dumps(kms["Resource"])


def email_env_and_grant(template, prefix: str) -> tuple[Any, dict[str, Any]]:
    env = function_props(template, prefix)["Environment"]["Variables"][EMAIL_SENDER_ENV]
    (statement,) = actions_by_service(role_statements(template, f"{prefix}Role"), "ses")
    return env, statement


@pytest.mark.parametrize(
    ("address", "domain"),
    [("alerts@acme.io", "acme.io"), ("ops.alerts@mail.example.co.uk", "mail.example.co.uk")],
)
def test_email_sender_parameter_is_the_dispatchers_sender_and_its_only_ses_identity(
    templates, address, domain
):
    processing = templates["processing"]
    parameter = processing.to_json()["Parameters"]["EmailSender"]
    assert parameter["Type"] == "String"
    assert parameter["Default"] == DEFAULT_EMAIL_SENDER
    assert parameter["AllowedPattern"] == EMAIL_SENDER_PATTERN
    assert "verified SES identity" in parameter["Description"]
    env, statement = email_env_and_grant(processing, "Dispatcher")
    assert env == {"Ref": "EmailSender"}
    values = {"EmailSender": address}
    assert statement["Action"] == "ses:SendEmail"
    assert sorted(resolve(statement["Resource"], values)) == sorted(
        [f"arn:aws:ses:eu-west-1:123456789012:identity/{name}" for name in (address, domain)]
    )
    assert resolve(statement["Condition"], values) == {"StringEquals": {"ses:FromAddress": address}}


def test_the_stacks_set_the_variable_the_functions_read():
    assert Settings.model_fields["email_sender"].alias == EMAIL_SENDER_ENV


def test_channels_reads_the_sender_from_the_processing_stack_through_ssm_not_an_export(templates):
    processing, api = templates["processing"], templates["api"]
    (setting,) = [p["Properties"] for p in resources(processing, "AWS::SSM::Parameter").values()]
    assert setting["Value"] == {"Ref": "EmailSender"}
    parameter = api.to_json()["Parameters"]["EmailSenderSetting"]
    assert parameter == {
        **parameter,
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": setting["Name"],
    }
    env, statement = email_env_and_grant(api, "Channels")
    assert env == {"Ref": "EmailSenderSetting"}
    values = {"EmailSenderSetting": "alerts@acme.io"}
    assert sorted(resolve(statement["Resource"], values)) == [
        "arn:aws:ses:eu-west-1:123456789012:identity/acme.io",
        "arn:aws:ses:eu-west-1:123456789012:identity/alerts@acme.io",
    ]
    assert resolve(statement["Condition"], values) == {"StringEquals": {"ses:FromAddress": "alerts@acme.io"}}
    # Processing depends on nothing of the API; the API deploys after it.
    assert "DagyOps-Api" not in json.dumps(processing.to_json())


def test_channels_lists_and_records_deliveries_and_is_the_only_api_function_that_emails(
    synthesized, templates
):
    dagy, _ = synthesized
    api = templates["api"]
    assert table_actions(role_statements(api, "ChannelsRole"))["Deliveries"] == {
        "dynamodb:Query",
        "dynamodb:PutItem",
    }
    for name in dagy.api.functions:
        prefix = name.title().replace("_", "")
        if name == "channels":
            continue
        assert actions_by_service(role_statements(api, f"{prefix}Role"), "ses") == []
        assert EMAIL_SENDER_ENV not in function_props(api, prefix)["Environment"]["Variables"]
        assert "Deliveries" not in table_actions(role_statements(api, f"{prefix}Role"))


def test_the_dispatcher_has_an_errors_alarm_and_the_notifications_dlq_one(templates):
    alarms = [a["Properties"] for a in resources(templates["monitoring"], "AWS::CloudWatch::Alarm").values()]
    descriptions = {a["AlarmDescription"] for a in alarms}
    assert "The dispatcher function failed" in descriptions
    assert any(
        d.startswith(f"Messages in the {NOTIFICATIONS_QUEUE.logical_id} dead-letter") for d in descriptions
    )
