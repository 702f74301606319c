"""GET /audit-logs: the org's audit trail, newest first, filtered through indexes (admin.audit)."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import Limit, NextToken, create_resolver, current_principal, make_paginator
from dagy_ops.clients import aws_client
from dagy_ops.models.audit import Action, AuditLogList, ResourceType
from dagy_ops.models.common import format_time
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.settings import get_settings
from dagy_ops.store.audit import AuditQuery, AuditRepository

settings = get_settings()
audit = AuditRepository(aws_client("dynamodb"), settings.audit_table or "")
paginator = make_paginator()
app = create_resolver()


@app.get("/audit-logs", summary="Query the audit trail", tags=["audit"])
def list_audit_logs(
    resource_type: Annotated[ResourceType | None, Query()] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[Action | None, Query()] = None,
    actor_email: Annotated[str | None, Query(max_length=254)] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601; entries at or after")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601; entries at or before")] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> AuditLogList:
    principal = current_principal(app)
    query = AuditQuery(
        org_id=principal.org_id,
        resource_type=resource_type or _type_of(resource_id),
        resource_id=resource_id,
        action=action,
        actor_email=actor_email.lower() if actor_email else None,
        since=format_time(since) if since else None,
        # event_time is "<second>#<id>": "~" sorts after every id, so `until` includes its second.
        until=f"{format_time(until)}#~" if until else None,
    )
    scope = f"audit:{query}"
    entries, last_key = audit.query(query, limit, paginator.start(principal.org_id, scope, next_token))
    return AuditLogList(items=entries, next_token=paginator.next_token(principal.org_id, scope, last_key))


def _type_of(resource_id: str | None) -> str | None:
    """Ids carry their kind (ch_, rule_, tok_); anything else is a flow name."""
    if resource_id is None:
        return None
    prefixes = {"ch_": "channel", "rule_": "rule", "tok_": "token"}
    return next((kind for prefix, kind in prefixes.items() if resource_id.startswith(prefix)), "flow")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
