"""The extension points later functions use, and the clear errors a missing piece gives."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import stacks.api
from dagy_ops.schema import EVENTS_QUEUE, NOTIFICATIONS_QUEUE
from stacks.api import ApiStack
from stacks.app_builder import app_context
from stacks.data import DataStack
from stacks.processing import ProcessingStack


def data_and_processing() -> tuple[cdk.App, DataStack, ProcessingStack]:
    app = cdk.App(context=app_context())
    data = DataStack(app, "Data")
    return app, data, ProcessingStack(app, "Processing", data=data)


def test_a_queue_consumer_is_two_lines_and_reports_partial_batch_failures():
    _, _, processing = data_and_processing()

    consumer = processing.add_function("health")  # any existing function folder stands in
    processing.consume(consumer, EVENTS_QUEUE)

    template = Template.from_stack(processing)
    (queue_id,) = [
        rid
        for rid, r in template.find_resources("AWS::SQS::Queue").items()
        if r["Properties"].get("VisibilityTimeout") == EVENTS_QUEUE.visibility_timeout_seconds
        and "RedrivePolicy" in r["Properties"]
        and rid.startswith("EventsQueue")
    ]
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": Match.array_with(["sqs:ReceiveMessage"])})]
                )
            }
        },
    )
    assert processing.functions["health"] is consumer.function


def test_a_consumer_that_outlives_the_visibility_timeout_is_refused():
    _, _, processing = data_and_processing()
    slow = processing.add_function("health", timeout_seconds=EVENTS_QUEUE.visibility_timeout_seconds + 1)

    with pytest.raises(ValueError, match="visibility timeout"):
        processing.consume(slow, EVENTS_QUEUE)


@pytest.mark.parametrize(
    "options", [{"max_batching_window": cdk.Duration.seconds(1)}, {"batch_size": 11}], ids=["window", "batch"]
)
def test_a_fifo_queue_is_read_without_batching_window_and_ten_at_most(options):
    _, _, processing = data_and_processing()
    consumer = processing.add_function("health")

    with pytest.raises(ValueError, match="FIFO"):
        processing.consume(consumer, NOTIFICATIONS_QUEUE, **options)


def test_a_function_without_its_folder_is_a_clear_error():
    _, _, processing = data_and_processing()

    with pytest.raises(FileNotFoundError, match=r"lambdas/no_such_function/handler\.py"):
        processing.add_function("no_such_function")


def test_a_protected_route_without_the_authorizer_function_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(stacks.api, "LAMBDAS_DIR", tmp_path)  # lambdas/authorizer is "missing"
    app, data, processing = data_and_processing()

    with pytest.raises(FileNotFoundError, match=r"needs the permission .* lambdas/authorizer/handler\.py"):
        ApiStack(app, "Api", data=data, processing=processing)


def test_public_routes_alone_need_no_authorizer(monkeypatch, tmp_path):
    monkeypatch.setattr(stacks.api, "LAMBDAS_DIR", tmp_path)
    public = tuple(route for route in stacks.api.ROUTES if route.public)
    monkeypatch.setattr(stacks.api, "ROUTES", public)
    app, data, processing = data_and_processing()

    api = ApiStack(app, "Api", data=data, processing=processing)

    assert "authorizer" not in api.functions
    Template.from_stack(api).resource_count_is("AWS::ApiGateway::Authorizer", 0)


def test_a_new_api_function_must_declare_its_table_access(synthesized):
    dagy, _ = synthesized

    with pytest.raises(KeyError, match="TABLE_ACCESS"):
        dagy.api.add_function("no_such_function")
