"""Status aggregation and the concurrent probe runner, without AWS."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from dagy_ops.health import ComponentCheck, build_report, describe_failure, run_checks, worst_status

statuses = st.sampled_from(["healthy", "degraded", "unhealthy"])


@given(st.lists(statuses))
def test_overall_status_is_the_worst_component(components):
    overall = worst_status(components)
    if "unhealthy" in components:
        assert overall == "unhealthy"
    elif "degraded" in components:
        assert overall == "degraded"
    else:
        assert overall == "healthy"


def test_report_carries_the_seed_fields_and_serializes_time_as_utc_z():
    report = build_report([], version="1.0.0", uptime=5, now=datetime(2026, 1, 15, 10, 30, tzinfo=UTC))
    assert report.model_dump(mode="json") == {
        "status": "healthy",
        "version": "1.0.0",
        "uptime": 5,
        "components": [],
        "timestamp": "2026-01-15T10:30:00Z",
    }


def check(name, probe):
    return ComponentCheck(
        name=name, probe=probe, healthy_message="ok", missing_message=f"{name} not configured"
    )


def test_unconfigured_component_is_degraded_and_never_probed():
    with ThreadPoolExecutor() as pool:
        [result] = run_checks([check("s3", None)], pool, timeout=1)
    assert (result.status, result.message) == ("degraded", "s3 not configured")


def test_failing_probe_is_unhealthy_with_its_reason():
    def fail():
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "x"}}, "DescribeTable")

    with ThreadPoolExecutor() as pool:
        [result] = run_checks([check("dynamodb", fail)], pool, timeout=1)
    assert (result.status, result.message) == ("unhealthy", "Error: ResourceNotFoundException")


def test_hanging_probe_is_unhealthy_while_the_others_still_answer():
    release = threading.Event()
    with ThreadPoolExecutor() as pool:
        results = run_checks(
            [check("dynamodb", lambda: release.wait()), check("s3", lambda: None)], pool, timeout=0.2
        )
        release.set()
    assert [(r.name, r.status, r.message) for r in results] == [
        ("dynamodb", "unhealthy", "Timed out"),
        ("s3", "healthy", "ok"),
    ]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ReadTimeoutError(endpoint_url="http://x"), "Timed out"),
        (EndpointConnectionError(endpoint_url="http://x"), "Unreachable: EndpointConnectionError"),
        (RuntimeError("secret-token-value"), "Error: RuntimeError"),
    ],
)
def test_failure_reasons_name_the_kind_of_failure_never_its_text(error, message):
    assert describe_failure(error) == message
