"""API Gateway REQUEST authorizer: bearer token -> org, actor and the routes its permissions open.

Raising "Unauthorized" makes API Gateway answer 401; a policy without the called route makes
it answer 403. The result is cached by API Gateway per Authorization header.
"""

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from dagy_ops.auth import Principal, bearer_secret, permitted_routes
from dagy_ops.clients import aws_client
from dagy_ops.observability import logger, metrics, tracer
from dagy_ops.services.tokens import TokenService
from dagy_ops.settings import get_settings
from dagy_ops.store.tokens import TokenRepository

settings = get_settings()
service = TokenService(TokenRepository(aws_client("dynamodb"), settings.tokens_table or ""), 0)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict:
    secret = bearer_secret(event.headers.get("Authorization") or event.headers.get("authorization"))
    token = service.resolve(secret, datetime.now(UTC)) if secret else None
    if token is None:
        logger.info("Refused a missing, malformed, unknown, expired or revoked token")
        raise Exception("Unauthorized")
    principal = Principal(
        org_id=token.org_id,
        actor_email=token.actor_email,
        permissions=frozenset(token.permissions),
        token_id=token.token_id,
        source_ip=event.request_context.identity.source_ip,
    )
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=token.token_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context=principal.context(),
    )
    routes = permitted_routes(principal.permissions)
    for method, resource in routes:
        policy.allow_route(http_method=method, resource=resource)
    if not routes:
        policy.deny_all_routes()
    logger.append_keys(org_id=token.org_id, token_id=token.token_id)
    return policy.asdict()
