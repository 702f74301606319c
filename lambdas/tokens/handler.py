"""/tokens: mint, list and revoke the org's API tokens (admin.tokens)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.api import (
    Limit,
    NextToken,
    create_resolver,
    created,
    current_principal,
    make_paginator,
    no_content,
)
from dagy_ops.clients import aws_client
from dagy_ops.models.tokens import TokenCreate, TokenCreated, TokenList
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.services.tokens import TokenService, public_view
from dagy_ops.settings import get_settings
from dagy_ops.store.tokens import TokenRepository

settings = get_settings()
tokens = TokenRepository(aws_client("dynamodb"), settings.tokens_table or "")
service = TokenService(tokens, settings.soft_delete_retention_days)
paginator = make_paginator()
app = create_resolver()


@app.post("/tokens", summary="Create a token (its secret is shown once)", tags=["tokens"])
def create_token(request: Annotated[TokenCreate, Body()]) -> Response[TokenCreated]:
    return created(service.create(request, current_principal(app), datetime.now(UTC)))


@app.get("/tokens", summary="List the org's tokens", tags=["tokens"])
def list_tokens(
    limit: Limit = 50,
    next_token: NextToken = None,
) -> TokenList:
    principal = current_principal(app)
    records, last_key = tokens.page(
        principal.org_id, limit, paginator.start(principal.org_id, "tokens", next_token)
    )
    return TokenList(
        items=[public_view(record) for record in records],
        next_token=paginator.next_token(principal.org_id, "tokens", last_key),
    )


@app.delete("/tokens/<token_id>", summary="Revoke a token", tags=["tokens"])
def revoke_token(token_id: str) -> Response[Any]:
    service.revoke(current_principal(app), token_id, datetime.now(UTC))
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
