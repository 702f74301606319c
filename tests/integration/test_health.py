"""GET /health through the route table and the real handler, on moto."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import boto3
import pytest

from tests.conftest import ApiClient

SEED_COMPONENTS = [
    {"name": "dynamodb", "status": "healthy", "message": "Connected"},
    {"name": "s3", "status": "healthy", "message": "Bucket configured"},
    {"name": "sqs", "status": "healthy", "message": "Queue configured"},
]


def component(body: dict, name: str) -> dict:
    return next(c for c in body["components"] if c["name"] == name)


def test_healthy_platform_answers_the_seed_document(api):
    response = api.get("/health")

    assert response.status == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"] == "1.0.0"
    assert body["components"] == SEED_COMPONENTS
    assert body["timestamp"].endswith("Z")
    assert isinstance(body["uptime"], int)


def test_health_needs_no_token(api):
    assert api.get("/health", headers={"Authorization": "Bearer nonsense"}).status == 200


@pytest.mark.parametrize(
    ("setting", "name", "message"),
    [
        ("FLOWS_TABLE", "dynamodb", "Flows table not configured"),
        ("ARTIFACT_BUCKET", "s3", "Artifact bucket not configured"),
        ("EVENTS_QUEUE_URL", "sqs", "Events queue URL not configured"),
    ],
)
def test_missing_setting_makes_its_component_and_the_platform_degraded(
    aws, monkeypatch, setting, name, message
):
    monkeypatch.delenv(setting)

    response = ApiClient().get("/health")

    assert response.status == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert component(body, name) == {"name": name, "status": "degraded", "message": message}
    assert [c["status"] for c in body["components"] if c["name"] != name] == ["healthy", "healthy"]


def break_table(env):
    boto3.client("dynamodb").delete_table(TableName=env["FLOWS_TABLE"])


def break_bucket(env):
    boto3.client("s3").delete_bucket(Bucket=env["ARTIFACT_BUCKET"])


def break_queue(env):
    boto3.client("sqs").delete_queue(QueueUrl=env["EVENTS_QUEUE_URL"])


@pytest.mark.parametrize(
    ("break_it", "name"),
    [(break_table, "dynamodb"), (break_bucket, "s3"), (break_queue, "sqs")],
)
def test_failing_service_makes_its_component_unhealthy_and_answers_503(api, aws, break_it, name):
    break_it(aws)

    response = api.get("/health")

    assert response.status == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert component(body, name)["status"] == "unhealthy"
    assert component(body, name)["message"].startswith("Error: ")
    assert sum(c["status"] == "healthy" for c in body["components"]) == 2


class HangingServer:
    """Accepts connections and never answers, counting how many requests hang at the same time."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.most_at_once = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections.append(conn)
                self.most_at_once = max(self.most_at_once, len(self.connections))

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def test_one_hanging_service_is_unhealthy_and_the_rest_still_answer(aws, monkeypatch, hanging_server):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", hanging_server.url)
    monkeypatch.setenv("DAGY_HEALTH_TIMEOUT_SECONDS", "0.5")

    response = ApiClient().get("/health")

    assert response.status == 503
    body = response.json()
    assert component(body, "dynamodb") == {"name": "dynamodb", "status": "unhealthy", "message": "Timed out"}
    assert [component(body, n)["status"] for n in ("s3", "sqs")] == ["healthy", "healthy"]


def test_hanging_services_are_probed_at_once_so_they_cost_one_timeout(aws, monkeypatch, hanging_server):
    for service in ("DYNAMODB", "S3", "SQS"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", hanging_server.url)
    monkeypatch.setenv("DAGY_HEALTH_TIMEOUT_SECONDS", "0.5")

    body = ApiClient().get("/health").json()

    assert [c["message"] for c in body["components"]] == ["Timed out"] * 3
    # All three requests were in flight together: the wait is one timeout, not three in a row.
    assert hanging_server.most_at_once >= 3  # (a botocore retry of one may overlap too)


def test_unknown_route_is_404_in_the_error_format(api):
    response = api.get("/nowhere")

    assert response.status == 404
    assert response.json() == {"code": "not_found", "message": "No route for GET /nowhere", "details": {}}


def test_wrong_method_on_a_known_path_is_404_as_api_gateway_answers(api):
    assert api.request("DELETE", "/health").json()["code"] == "not_found"


def test_uptime_is_seconds_since_the_function_instance_started(api, monkeypatch):
    first = api.get("/health").json()["uptime"]
    module = api.gateway.functions.module("health")
    monkeypatch.setattr(module, "STARTED", module.STARTED - 3600)  # as if started an hour ago
    assert first < 3600 <= api.get("/health").json()["uptime"] < 3600 + 60
