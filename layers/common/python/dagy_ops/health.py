"""Platform health: probe each component concurrently under one deadline, report the worst status."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from dagy_ops.models.health import ComponentHealth, ComponentStatus, HealthReport
from dagy_ops.settings import Settings

_SEVERITY: dict[ComponentStatus, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def worst_status(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The overall status: healthy only when every component is; no components is healthy."""
    return max(statuses, key=_SEVERITY.__getitem__, default="healthy")


@dataclass(frozen=True)
class ComponentCheck:
    """One component: `probe` raises when the resource is unreachable; None means not configured."""

    name: str
    probe: Callable[[], Any] | None
    healthy_message: str
    missing_message: str


def describe_failure(exc: BaseException) -> str:
    """A short, secret-free reason: the AWS error code or the kind of transport failure."""
    if isinstance(exc, ClientError):
        return f"Error: {exc.response.get('Error', {}).get('Code', 'Unknown')}"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "Timed out"
    if isinstance(exc, BotoCoreError):
        return f"Unreachable: {type(exc).__name__}"
    return f"Error: {type(exc).__name__}"


def run_checks(checks: Sequence[ComponentCheck], executor: Executor, timeout: float) -> list[ComponentHealth]:
    """Run every configured probe at once and wait at most `timeout` for all of them together."""
    futures: dict[str, Future[Any]] = {
        check.name: executor.submit(check.probe) for check in checks if check.probe is not None
    }
    wait(futures.values(), timeout=timeout)
    results = []
    for check in checks:
        future = futures.get(check.name)
        if future is None:
            results.append(ComponentHealth(name=check.name, status="degraded", message=check.missing_message))
        elif not future.done():
            future.cancel()
            results.append(ComponentHealth(name=check.name, status="unhealthy", message="Timed out"))
        elif (error := future.exception()) is not None:
            results.append(
                ComponentHealth(name=check.name, status="unhealthy", message=describe_failure(error))
            )
        else:
            results.append(ComponentHealth(name=check.name, status="healthy", message=check.healthy_message))
    return results


def build_report(components: list[ComponentHealth], version: str, uptime: int, now: datetime) -> HealthReport:
    return HealthReport(
        status=worst_status(component.status for component in components),
        version=version,
        uptime=uptime,
        components=components,
        timestamp=now,
    )


def aws_checks(settings: Settings, dynamodb: Any, s3: Any, sqs: Any) -> list[ComponentCheck]:
    """The seed's three components: flows table, artifact bucket, events queue."""

    def probe(configured: str | None, call: Callable[[str], Any]) -> Callable[[], Any] | None:
        return (lambda: call(configured)) if configured else None

    return [
        ComponentCheck(
            name="dynamodb",
            probe=probe(settings.flows_table, lambda name: dynamodb.describe_table(TableName=name)),
            healthy_message="Connected",
            missing_message="Flows table not configured",
        ),
        ComponentCheck(
            name="s3",
            probe=probe(settings.artifact_bucket, lambda name: s3.head_bucket(Bucket=name)),
            healthy_message="Bucket configured",
            missing_message="Artifact bucket not configured",
        ),
        ComponentCheck(
            name="sqs",
            probe=probe(
                settings.events_queue_url,
                lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]),
            ),
            healthy_message="Queue configured",
            missing_message="Events queue URL not configured",
        ),
    ]
