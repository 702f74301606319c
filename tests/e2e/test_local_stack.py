"""The local stack over real HTTP, as a new user meets it after `make dev`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3

from tests.e2e.conftest import start_local_stack


def http_get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_banner_tells_how_to_call_the_api_and_reach_the_emulator(local_stack):
    text = "".join(local_stack.banner)
    assert f"curl {local_stack.base_url}/health" in text
    assert f"\nAWS_ENDPOINT_URL={local_stack.aws_endpoint_url}\n" in text


def test_health_answers_the_seed_document_over_http(local_stack):
    status, body = http_get(f"{local_stack.base_url}/health")

    assert status == 200
    assert body["status"] == "healthy"
    assert body["components"] == [
        {"name": "dynamodb", "status": "healthy", "message": "Connected"},
        {"name": "s3", "status": "healthy", "message": "Bucket configured"},
        {"name": "sqs", "status": "healthy", "message": "Queue configured"},
    ]
    assert set(body) == {"status", "version", "uptime", "components", "timestamp"}


def test_unknown_route_answers_404_in_the_error_format(local_stack):
    assert http_get(f"{local_stack.base_url}/dags") == (
        404,
        {"code": "not_found", "message": "No route for GET /dags", "details": {}},
    )


def test_every_table_and_queue_of_the_spec_exists_on_the_emulator(local_stack):
    from dagy_ops.schema import QUEUES, TABLES

    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    tables = session.client("dynamodb", endpoint_url=local_stack.aws_endpoint_url).list_tables()["TableNames"]
    queues = session.client("sqs", endpoint_url=local_stack.aws_endpoint_url).list_queues()["QueueUrls"]
    assert len(tables) == len(TABLES)
    assert len(queues) == 2 * len(QUEUES) + 1  # each with its dead-letter queue, and the audit failures queue


def test_ctrl_c_stops_the_stack_cleanly():
    stack = start_local_stack()
    assert http_get(f"{stack.base_url}/health")[0] == 200

    assert stack.stop() == 0


def test_busy_port_is_refused_with_a_clear_message(local_stack):
    port = local_stack.base_url.rsplit(":", 1)[1]
    try:
        start_local_stack({"DAGY_PORT": port})
    except RuntimeError as error:
        assert f"Port already in use: DAGY_PORT={port}" in str(error)
    else:
        raise AssertionError("a second stack on a busy port must refuse to start")
