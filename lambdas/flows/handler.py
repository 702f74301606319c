"""/flows: deployed flows with their latest run, search, and suspend (mute) / resume."""

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import (
    Limit,
    NextToken,
    create_resolver,
    created,
    current_principal,
    if_match_version,
    make_paginator,
    versioned,
)
from dagy_ops.clients import aws_client
from dagy_ops.models.events import Name
from dagy_ops.models.flows import Flow, FlowDeploy, FlowDetail, FlowList, SuspendRequest, Tag
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.services.flows import FlowService
from dagy_ops.settings import get_settings
from dagy_ops.store.notifications import RuleRepository
from dagy_ops.store.runs import RunRepository

settings = get_settings()
dynamodb = aws_client("dynamodb")
service = FlowService(
    RunRepository(dynamodb, settings.flows_table or ""),
    RuleRepository(dynamodb, settings.notifications_table or ""),
    settings.stale_after,
)
paginator = make_paginator()
app = create_resolver()
FlowName = Annotated[Name, Path(description="The flow's name", examples=["daily_etl"])]


@app.put("/flows/<flow_name>", summary="Register or redeploy a flow", tags=["flows"])
def deploy_flow(flow_name: FlowName, request: Annotated[FlowDeploy, Body()]) -> Response[Flow]:
    now = datetime.now(UTC)
    record, new = service.deploy(current_principal(app), flow_name, request, if_match_version(app), now)
    view = service.view(record, now)
    return created(view) if new else versioned(view, record.item_version)


@app.get("/flows", summary="List and search flows", tags=["flows"])
def list_flows(
    name: Annotated[str | None, Query(max_length=128, description="Flow name prefix")] = None,
    tag: Annotated[Tag | None, Query(description="Only flows with this tag")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=128, description="Search name, description and tags")
    ] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> FlowList:
    principal = current_principal(app)
    scope = f"flows:{name or ''}:{tag or ''}:{q or ''}"
    start = paginator.start(principal.org_id, scope, next_token)
    items, last_key = service.page(principal, name, tag, q, limit, start, datetime.now(UTC))
    return FlowList(items=items, next_token=paginator.next_token(principal.org_id, scope, last_key))


@app.get("/flows/<flow_name>", summary="A flow with its rules count and last 10 runs", tags=["flows"])
def get_flow(flow_name: FlowName) -> Response[FlowDetail]:
    detail, version = service.detail(current_principal(app), flow_name, datetime.now(UTC))
    return versioned(detail, version)


@app.post("/flows/<flow_name>/suspend", summary="Mute or unmute every alert of a flow", tags=["flows"])
def suspend_flow(flow_name: FlowName, request: Annotated[SuspendRequest, Body()]) -> Response[Flow]:
    now = datetime.now(UTC)
    record = service.suspend(current_principal(app), flow_name, request.suspend, if_match_version(app), now)
    return versioned(service.view(record, now), record.item_version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
