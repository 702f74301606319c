"""A local API Gateway: HTTP requests become REST proxy events for the real handlers.

Routing comes from `dagy_ops.routes.ROUTES`, the table the CDK API stack is built from, and
requests no route serves get the answer the deployed API's gateway responses give.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import time
import traceback
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dagy_ops.routes import AUTHORIZER_FUNCTION, Route, find_route
from local.functions import FunctionRegistry

# API Gateway's own limit on a request payload.
MAX_BODY_BYTES = 10 * 1024 * 1024
METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:local/local/{method}{path}"


def gateway_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"code": code, "message": message, "details": {}}).encode()
    return status, {"Content-Type": "application/json"}, body


def proxy_event(
    route: Route,
    path_params: Mapping[str, str],
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    """The event API Gateway's Lambda proxy integration sends for a REST API request."""
    url = urlsplit(raw_path)
    query = parse_qsl(url.query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode()
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    return {
        "resource": route.path,
        "path": url.path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": dict(query) or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_params) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/local{url.path}",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "authorizer": {},
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


class Gateway:
    """Dispatch one HTTP request to the function its route names."""

    def __init__(self, functions: FunctionRegistry) -> None:
        self.functions = functions

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        found = find_route(method, urlsplit(raw_path).path)
        if found is None:
            # What the deployed API answers through its MISSING_AUTHENTICATION_TOKEN gateway response.
            return gateway_error(404, "not_found", f"No route for {method} {urlsplit(raw_path).path}")
        route, params = found
        event = proxy_event(route, params, method, raw_path, headers, body, source_ip)
        if not route.public:
            denied = self.authorize(event, method)
            if denied:
                return denied
        try:
            result = self.functions.invoke(route.function, event)
        except Exception:
            traceback.print_exc()  # Lambda would log the crash; the caller sees only a 502
            return gateway_error(502, "internal_error", "Internal server error")
        return _http_response(result)

    def authorize(self, event: dict[str, Any], method: str) -> tuple[int, dict[str, str], bytes] | None:
        """Run the REQUEST authorizer as API Gateway does; on success fill the request context."""
        method_arn = METHOD_ARN.format(method=method, path=event["path"])
        request = {
            "type": "REQUEST",
            "methodArn": method_arn,
            **{
                key: event[key]
                for key in ("resource", "path", "httpMethod", "headers", "queryStringParameters")
            },
            **{key: event[key] for key in ("pathParameters", "stageVariables", "requestContext")},
        }
        try:
            result = self.functions.invoke(AUTHORIZER_FUNCTION, request)
        except Exception as error:
            if str(error) == "Unauthorized":
                return gateway_error(401, "unauthorized", "Missing or invalid bearer token")
            traceback.print_exc()
            return gateway_error(500, "internal_error", "Authorizer failed")
        if not policy_allows(result.get("policyDocument", {}), method_arn):
            return gateway_error(403, "forbidden", "This token may not call this route")
        event["requestContext"]["authorizer"] = {
            "principalId": result.get("principalId"),
            **result.get("context", {}),
        }
        return None


def policy_allows(policy: Mapping[str, Any], method_arn: str) -> bool:
    """IAM evaluation for execute-api:Invoke: an explicit Deny wins, otherwise some Allow must match."""
    verdicts = set()
    for statement in policy.get("Statement", []):
        resources = statement.get("Resource", [])
        for resource in [resources] if isinstance(resources, str) else resources:
            if fnmatch.fnmatchcase(method_arn, resource):
                verdicts.add(statement.get("Effect"))
    return "Allow" in verdicts and "Deny" not in verdicts


def _http_response(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {key: str(value) for key, value in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(value) for value in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result.get("statusCode", 200)), headers, body


def make_server(host: str, port: int, gateway: Gateway) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._send(*gateway_error(413, "payload_too_large", "Request body too large"))
                return
            body = self.rfile.read(length) if length else b""
            self._send(
                *gateway.handle(self.command, self.path, dict(self.headers), body, self.client_address[0])
            )

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the handlers log every request as structured JSON already

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
