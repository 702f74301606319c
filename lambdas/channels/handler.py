"""/notifications/channels: the org's Slack, email, webhook and PagerDuty channels."""

from datetime import UTC, datetime, timedelta
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
from dagy_ops.models.channels import (
    Channel,
    ChannelCreate,
    ChannelCreated,
    ChannelList,
    ChannelType,
    ChannelUpdate,
)
from dagy_ops.models.deliveries import Delivery, DeliveryList, Outcome
from dagy_ops.notify.http import TargetClient
from dagy_ops.notify.senders import build_senders
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.schema import NOTIFICATIONS_QUEUE
from dagy_ops.services.channels import ChannelService, public_view
from dagy_ops.services.dispatcher import Dispatcher
from dagy_ops.settings import get_settings
from dagy_ops.store.deliveries import DeliveryRepository
from dagy_ops.store.markers import Markers
from dagy_ops.store.notifications import ChannelRepository, RuleRepository

settings = get_settings()
dynamodb = aws_client("dynamodb")
channels = ChannelRepository(dynamodb, settings.notifications_table or "")
service = ChannelService(
    channels,
    RuleRepository(dynamodb, settings.notifications_table or ""),
    allow_private_targets=settings.allow_private_targets,
    retention_days=settings.soft_delete_retention_days,
)
deliveries = DeliveryRepository(
    dynamodb, settings.deliveries_table or "", timedelta(days=settings.delivery_retention_days)
)
# The channel test sends through the same senders as the dispatcher (markers are never consulted).
tester = Dispatcher(
    channels,
    deliveries,
    Markers(dynamodb, settings.idempotency_table or "", "delivered"),
    Markers(dynamodb, settings.idempotency_table or "", "incident"),
    build_senders(
        TargetClient(settings.delivery_timeout_seconds, settings.allow_private_targets),
        lambda: aws_client("sesv2"),
        settings.email_sender,
        settings.pagerduty_events_url,
        settings.run_url_base,
    ),
    max_attempts=NOTIFICATIONS_QUEUE.max_receive_count,
)
paginator = make_paginator()
app = create_resolver()


@app.post("/notifications/channels", summary="Create a channel", tags=["channels"])
def create_channel(request: Annotated[ChannelCreate, Body()]) -> Response[ChannelCreated]:
    return created(service.create(request, current_principal(app), datetime.now(UTC)))


@app.get("/notifications/channels", summary="List channels", tags=["channels"])
def list_channels(
    channel_type: Annotated[ChannelType | None, Query()] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> ChannelList:
    principal = current_principal(app)
    scope = f"channels:{channel_type or '*'}"
    facet = channels.type_facet(principal.org_id, channel_type) if channel_type else None
    records, last_key = channels.page(
        principal.org_id, limit, paginator.start(principal.org_id, scope, next_token), facet
    )
    return ChannelList(
        items=[public_view(record) for record in records],
        next_token=paginator.next_token(principal.org_id, scope, last_key),
    )


@app.get("/notifications/channels/<channel_id>", summary="Get a channel", tags=["channels"])
def get_channel(channel_id: str) -> Response[Channel]:
    record = service.get(current_principal(app), channel_id)
    return versioned(public_view(record), record.version)


@app.patch("/notifications/channels/<channel_id>", summary="Change a channel", tags=["channels"])
def update_channel(channel_id: str, patch: Annotated[ChannelUpdate, Body()]) -> Response[Channel]:
    channel = service.update(
        current_principal(app), channel_id, patch, if_match_version(app), datetime.now(UTC)
    )
    return versioned(channel, channel.version)


@app.delete("/notifications/channels/<channel_id>", summary="Delete a channel", tags=["channels"])
def delete_channel(channel_id: str) -> Response[Any]:
    service.delete(current_principal(app), channel_id, if_match_version(app), datetime.now(UTC))
    return no_content()


@app.post("/notifications/channels/<channel_id>/test", summary="Send a test message", tags=["channels"])
def test_channel(channel_id: str) -> Delivery:
    return tester.send_test(service.get(current_principal(app), channel_id), datetime.now(UTC))


@app.get("/notifications/deliveries", summary="List delivery attempts", tags=["channels"])
def list_deliveries(
    channel_id: Annotated[str | None, Query(max_length=100)] = None,
    rule_id: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> DeliveryList:
    principal = current_principal(app)
    filters = {
        k: v for k, v in {"channel_id": channel_id, "rule_id": rule_id, "outcome": outcome}.items() if v
    }
    scope = "deliveries:" + ",".join(f"{k}={v}" for k, v in sorted(filters.items()))
    items, last_key = deliveries.page(
        principal.org_id, filters, limit, paginator.start(principal.org_id, scope, next_token)
    )
    return DeliveryList(items=items, next_token=paginator.next_token(principal.org_id, scope, last_key))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
