"""/notifications/rules: when to alert (trigger, flow, SLA) and through which channels."""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
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
    no_content,
    versioned,
)
from dagy_ops.clients import aws_client
from dagy_ops.models.rules import FlowPattern, Rule, RuleCreate, RuleList, RuleUpdate, Trigger
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.services.rules import RuleService, public_view
from dagy_ops.settings import get_settings
from dagy_ops.store.notifications import ChannelRepository, RuleRepository

settings = get_settings()
dynamodb = aws_client("dynamodb")
table = settings.notifications_table or ""
service = RuleService(
    RuleRepository(dynamodb, table), ChannelRepository(dynamodb, table), settings.soft_delete_retention_days
)
paginator = make_paginator()
app = create_resolver()


@app.post("/notifications/rules", summary="Create an alert rule", tags=["rules"])
def create_rule(request: Annotated[RuleCreate, Body()]) -> Response[Rule]:
    return created(service.create(request, current_principal(app), datetime.now(UTC)))


@app.get("/notifications/rules", summary="List alert rules", tags=["rules"])
def list_rules(
    flow_name: Annotated[FlowPattern | None, Query()] = None,
    trigger: Annotated[Trigger | None, Query()] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> RuleList:
    principal = current_principal(app)
    scope = f"rules:{flow_name or '*'}:{trigger or '*'}"
    items, last_key = service.page(
        principal, flow_name, trigger, limit, paginator.start(principal.org_id, scope, next_token)
    )
    return RuleList(items=items, next_token=paginator.next_token(principal.org_id, scope, last_key))


@app.get("/notifications/rules/<rule_id>", summary="Get an alert rule", tags=["rules"])
def get_rule(rule_id: str) -> Response[Rule]:
    record = service.get(current_principal(app), rule_id)
    return versioned(public_view(record), record.version)


@app.patch("/notifications/rules/<rule_id>", summary="Change an alert rule", tags=["rules"])
def update_rule(rule_id: str, patch: Annotated[RuleUpdate, Body()]) -> Response[Rule]:
    rule = service.update(current_principal(app), rule_id, patch, if_match_version(app), datetime.now(UTC))
    return versioned(rule, rule.version)


@app.delete("/notifications/rules/<rule_id>", summary="Delete an alert rule", tags=["rules"])
def delete_rule(rule_id: str) -> Response[Any]:
    service.delete(current_principal(app), rule_id, if_match_version(app), datetime.now(UTC))
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
