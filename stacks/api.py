"""ApiStack: the REST API built from `dagy_ops.routes.ROUTES`, its token authorizer, one function
per route group with least-privilege grants, gateway responses in the error format."""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from dagy_ops.routes import AUTHORIZER_FUNCTION, ROUTES, functions
from dagy_ops.schema import EVENTS_QUEUE, TABLES
from stacks.constructs.function import DagyFunction, grant_table
from stacks.data import DataStack
from stacks.processing import ProcessingStack

TABLES_BY_ID = {spec.logical_id: spec for spec in TABLES}

# Table actions each function needs, per table; nothing else of DynamoDB is granted.
TABLE_ACCESS: dict[str, dict[str, list[str]]] = {
    "health": {"Flows": ["dynamodb:DescribeTable"]},
    "authorizer": {"Tokens": ["dynamodb:GetItem", "dynamodb:UpdateItem"]},
    "tokens": {"Tokens": ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]},
    "channels": {
        "Notifications": [
            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
        ]
    },
    "rules": {
        "Notifications": [
            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        ]
    },
    "audit": {"Audit": ["dynamodb:Query"]},
    "docs": {},
}  # fmt: skip
READ_ONLY = {"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
PAGINATED = {"tokens", "channels", "rules", "audit"}

# API Gateway's own answers, in the project's error format (unknown paths come back as
# MISSING_AUTHENTICATION_TOKEN, which is a 404 here, as the local gateway answers).
GATEWAY_RESPONSES: dict[str, tuple[str, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", "No such route"),
    "UNAUTHORIZED": ("401", "unauthorized", "Missing or invalid bearer token"),
    "ACCESS_DENIED": ("403", "forbidden", "This token may not call this route"),
    "THROTTLED": ("429", "rate_limited", "Too many requests"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", "Request body too large"),
    "DEFAULT_4_XX": ("400", "bad_request", "$context.error.message"),
    "DEFAULT_5_XX": ("500", "internal_error", "Internal server error"),
}


class ApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: DataStack,
        processing: ProcessingStack,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        environment = {**data.function_environment(), **processing.function_environment()}
        self.functions: dict[str, lambda_.Function] = {}
        for name in (*functions(), AUTHORIZER_FUNCTION):
            fn = DagyFunction(
                self, name.title(), name=name, layers=processing.layers, environment=environment
            ).function
            self._grant(name, fn, data, processing)
            self.functions[name] = fn

        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS)
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="dagy-ops",
            description="Dagy Ops: health, notifications, tokens and audit",
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
        authorizer = apigw.RequestAuthorizer(
            self,
            "TokenAuthorizer",
            handler=self.functions[AUTHORIZER_FUNCTION],
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=Duration.seconds(60),
        )
        integrations = {name: apigw.LambdaIntegration(fn) for name, fn in self.functions.items()}
        self.public_methods: list[apigw.Method] = []
        for route in ROUTES:
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method,
                integrations[route.function],
                authorizer=None if route.public else authorizer,
                authorization_type=apigw.AuthorizationType.NONE
                if route.public
                else apigw.AuthorizationType.CUSTOM,
            )
            if route.public:
                self.public_methods.append(method)
        for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
            self.api.add_gateway_response(
                f"{response_type.title().replace('_', '')}Response",
                type=getattr(apigw.ResponseType, response_type),
                status_code=status,
                response_headers={"Content-Type": "'application/json'"},
                templates={"application/json": json.dumps({"code": code, "message": message, "details": {}})},
            )
        CfnOutput(self, "ApiUrl", value=self.api.url)

    def _grant(self, name: str, fn: lambda_.Function, data: DataStack, processing: ProcessingStack) -> None:
        for table_id, actions in TABLE_ACCESS[name].items():
            grant_table(fn, data.tables[table_id], TABLES_BY_ID[table_id], actions)
            if set(actions) - {"dynamodb:DescribeTable"}:
                (data.key.grant_decrypt if set(actions) <= READ_ONLY else data.key.grant_encrypt_decrypt)(fn)
        if name in PAGINATED:
            data.cursor_secret.grant_read(fn)
        if name == "health":
            fn.add_to_role_policy(
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[data.artifact_bucket.bucket_arn])
            )
            processing.queues[EVENTS_QUEUE.logical_id].grant(fn, "sqs:GetQueueAttributes")
