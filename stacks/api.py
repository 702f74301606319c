"""ApiStack: the REST API built from `dagy_ops.routes.ROUTES`, its token authorizer, one function
per route group with least-privilege grants, gateway responses in the error format."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from dagy_ops.routes import AUTHORIZER_FUNCTION, ROUTES, Route
from dagy_ops.schema import EVENTS_QUEUE, TABLES, QueueSpec
from stacks.constructs.email import EMAIL_SENDER_ENV
from stacks.constructs.function import LAMBDAS_DIR, DagyFunction
from stacks.constructs.layers import Layers
from stacks.data import DataStack
from stacks.processing import ProcessingStack

TABLES_BY_ID = {spec.logical_id: spec for spec in TABLES}

# Table actions each function needs, per table; nothing else of DynamoDB is granted. A new function
# must be listed here, even with {}: IAM is the one thing the local stack cannot check.
TABLE_ACCESS: dict[str, dict[str, list[str]]] = {
    "health": {"Flows": ["dynamodb:DescribeTable"]},
    "authorizer": {"Tokens": ["dynamodb:GetItem", "dynamodb:UpdateItem"]},
    "tokens": {"Tokens": ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]},
    "channels": {
        "Notifications": [
            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
        ],
        # Lists delivery records; the channel test records the delivery it makes.
        "Deliveries": ["dynamodb:Query", "dynamodb:PutItem"],
    },
    "rules": {
        "Notifications": [
            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        ]
    },
    "audit": {"Audit": ["dynamodb:Query"]},
    "docs": {},
    "events": {},
    # Flows and their counters (a BatchGetItem per page); rule counts through the by_flow index.
    "flows": {
        "Flows": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem"],
        "Notifications": ["dynamodb:Query"],
    },
    "runs": {"Flows": ["dynamodb:Query"]},
    "metrics": {"Flows": ["dynamodb:Query"]},
}  # fmt: skip
# Queues a function sends to (SendMessage and SendMessageBatch).
QUEUE_SENDS: dict[str, tuple[QueueSpec, ...]] = {"events": (EVENTS_QUEUE,)}
# Functions that sign and check pagination tokens with the cursor secret.
PAGINATED = {"tokens", "channels", "rules", "audit", "flows", "runs"}
# Functions that send email from the sender address (the channel test), with it in their environment.
SENDS_EMAIL = {"channels"}

# API Gateway's own answers, in the project's error format: (status, code, message). Unknown paths
# come back as MISSING_AUTHENTICATION_TOKEN, a 404 here as in the local gateway. The defaults keep
# API Gateway's status (None) and pass its message through, JSON-quoted.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str, str | None]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", "No such route"),
    "UNAUTHORIZED": ("401", "unauthorized", "Missing or invalid bearer token"),
    "ACCESS_DENIED": ("403", "forbidden", "This token may not call this route"),
    "THROTTLED": ("429", "rate_limited", "Too many requests"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", "Request body too large"),
    "DEFAULT_4_XX": (None, "bad_request", None),
    "DEFAULT_5_XX": (None, "internal_error", None),
}


def error_template(code: str, message: str | None) -> str:
    """A gateway response body; `$context.error.messageString` is API Gateway's message, already quoted."""
    quoted = json.dumps(message) if message is not None else "$context.error.messageString"
    return f'{{"code": {json.dumps(code)}, "message": {quoted}, "details": {{}}}}'


class ApiStack(Stack):
    """Exposes `api` (the RestApi), `functions` (by name, the authorizer included), `public_methods`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: DataStack,
        processing: ProcessingStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data = data
        self.processing = processing
        self.layers = Layers(self, "Layers")
        self.function_env = {**data.function_environment(), **processing.function_environment()}
        # The processing stack's EmailSender, as it last wrote it to SSM; read again at every deploy.
        self.email_sender = CfnParameter(
            self,
            "EmailSenderSetting",
            type="AWS::SSM::Parameter::Value<String>",
            default=processing.email_sender_setting,
            description=f"The SSM parameter holding the sender address; set EmailSender on {processing.stack_name}",
        )
        self.add_stack_dependency(processing, "the email sender setting is written by the processing stack")
        self.functions: dict[str, lambda_.Function] = {}
        self.public_methods: list[apigw.Method] = []
        self._authorizer: apigw.RequestAuthorizer | None = None

        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS)
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="dagy-ops",
            description="Dagy Ops: health, notifications, tokens and audit",
            # Callers are pipelines and operators in or near the region, not browsers worldwide.
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name="prod",
                throttling_rate_limit=50,
                throttling_burst_limit=100,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
            ),
        )  # fmt: skip
        for route in ROUTES:
            self.add_route(route)
        for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
            self.api.add_gateway_response(
                f"{response_type.title().replace('_', '')}Response",
                type=getattr(apigw.ResponseType, response_type),
                status_code=status,
                response_headers={"Content-Type": "'application/json'"},
                templates={"application/json": error_template(code, message)},
            )
        CfnOutput(self, "ApiUrl", value=self.api.url)

    def add_route(self, route: Route) -> apigw.Method:
        """The route's method, proxied to its function; a route with a permission goes through the authorizer."""
        method = self.api.root.resource_for_path(route.path).add_method(
            route.method,
            apigw.LambdaIntegration(self.add_function(route.function)),
            authorizer=None if route.public else self._token_authorizer(route),
            authorization_type=apigw.AuthorizationType.NONE
            if route.public
            else apigw.AuthorizationType.CUSTOM,
        )
        if route.public:
            self.public_methods.append(method)
        return method

    def add_function(self, name: str) -> lambda_.Function:
        """The function `lambdas/<name>`, created once, with the grants of TABLE_ACCESS and its extras."""
        if name not in self.functions:
            if name not in TABLE_ACCESS:
                raise KeyError(
                    f"function {name!r}: say which tables it may use in stacks/api.py TABLE_ACCESS"
                )
            fn = DagyFunction(
                self,
                name.title().replace("_", ""),
                name=name,
                layers=self.layers,
                environment={
                    **self.function_env,
                    **({EMAIL_SENDER_ENV: self.email_sender.value_as_string} if name in SENDS_EMAIL else {}),
                },
            )
            self._grant(fn)
            self.functions[name] = fn.function
        return self.functions[name]

    def _token_authorizer(self, route: Route) -> apigw.RequestAuthorizer:
        if self._authorizer is None:
            if not (LAMBDAS_DIR / AUTHORIZER_FUNCTION / "handler.py").is_file():
                raise FileNotFoundError(
                    f"{route.method} {route.path} needs the permission {route.permission!r}, so a token "
                    f"authorizer, and lambdas/{AUTHORIZER_FUNCTION}/handler.py does not exist"
                )
            # Cached per Authorization header: the authorizer's policy lists every route the token may call.
            self._authorizer = apigw.RequestAuthorizer(
                self,
                "TokenAuthorizer",
                handler=self.add_function(AUTHORIZER_FUNCTION),
                identity_sources=[apigw.IdentitySource.header("Authorization")],
                results_cache_ttl=Duration.seconds(60),
            )
        return self._authorizer

    def _grant(self, fn: DagyFunction) -> None:
        data = self.data
        for table_id, actions in TABLE_ACCESS[fn.name].items():
            fn.grant_table(data.tables[table_id], TABLES_BY_ID[table_id], actions, data.key)
        for queue in QUEUE_SENDS.get(fn.name, ()):
            fn.grant_send(self.processing.queues[queue.logical_id])
        if fn.name in PAGINATED:
            data.cursor_secret.grant_read(fn.role)
        if fn.name in SENDS_EMAIL:
            fn.grant_send_email(self.email_sender.value_as_string)
        if fn.name == "health":  # HeadBucket and GetQueueAttributes need no access to the data
            fn.role.add_to_policy(
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[data.artifact_bucket.bucket_arn])
            )
            self.processing.queues[EVENTS_QUEUE.logical_id].grant(fn.role, "sqs:GetQueueAttributes")
