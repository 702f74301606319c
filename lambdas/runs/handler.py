"""/runs: flow runs newest first, each filter served by an index; one run with retries and SLA breaches."""

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import Limit, NextToken, create_resolver, current_principal, make_paginator
from dagy_ops.clients import aws_client
from dagy_ops.errors import BadRequest, Conflict, NotFound
from dagy_ops.models.events import Name, RunId
from dagy_ops.models.runs import RunDetail, RunList, RunStatusView
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.runs import run_detail, run_view
from dagy_ops.settings import get_settings
from dagy_ops.store.runs import RunQuery, RunRepository

settings = get_settings()
runs = RunRepository(aws_client("dynamodb"), settings.flows_table or "")
paginator = make_paginator()
app = create_resolver()


@app.get("/runs", summary="List flow runs, newest first", tags=["runs"])
def list_runs(
    flow_name: Annotated[Name | None, Query(description="Runs of this flow only")] = None,
    status: Annotated[
        RunStatusView | None, Query(description="`stale`: running past the stale limit")
    ] = None,
    since: Annotated[datetime | None, Query(description="Started at or after (ISO-8601)")] = None,
    until: Annotated[datetime | None, Query(description="Started at or before (ISO-8601)")] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> RunList:
    since, until = (aware(t) for t in (since, until))
    if since and until and since > until:
        raise BadRequest(
            "since must not be after until", {"since": since.isoformat(), "until": until.isoformat()}
        )
    principal = current_principal(app)
    query = RunQuery(flow_name=flow_name, status=status, since=since, until=until)
    start = paginator.start(principal.org_id, query.scope(), next_token)
    now = datetime.now(UTC)
    records, last_key = runs.page(principal.org_id, query, now, settings.stale_after, limit, start)
    return RunList(
        items=[run_view(run, now, settings.stale_after) for run in records],
        next_token=paginator.next_token(principal.org_id, query.scope(), last_key),
    )


@app.get("/runs/<run_id>", summary="A run with its task retries and SLA breaches", tags=["runs"])
def get_run(
    run_id: Annotated[RunId, Path(examples=["run_20260115_1030"])],
    flow_name: Annotated[
        Name | None, Query(description="Needed only when two flows used this run id")
    ] = None,
) -> RunDetail:
    found = [
        run
        for run in runs.with_id(current_principal(app).org_id, run_id)
        if flow_name in (None, run.flow_name)
    ]
    if not found:
        raise NotFound(f"Run {run_id} not found", {"run_id": run_id})
    if len(found) > 1:
        flows = sorted(run.flow_name for run in found)
        raise Conflict(f"Run id {run_id} is used by several flows; pass flow_name", {"flow_names": flows})
    return run_detail(found[0], datetime.now(UTC), settings.stale_after)


def aware(moment: datetime | None) -> datetime | None:
    """Times without an offset are UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
