"""AWS calls per API request, counted with a botocore event hook on moto.

Prints, per route, the calls the route's function makes (the authorizer's token lookup is
listed apart: API Gateway caches it per token). Goal: every GET is one DynamoDB call; creating
or changing a rule is at most two. Run with `make bench`.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from typing import Any

from moto import mock_aws
from moto_env import ROOT  # noqa: F401 - sets up the environment before the project is imported

from tests.conftest import ApiClient, slack_channel


class CallCounter:
    def __init__(self, tokens_table: str) -> None:
        self.tokens_table = tokens_table
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        who = (
            "authorizer"
            if params.get("TableName") == self.tokens_table and model.name != "Query"
            else "route"
        )
        self.calls[f"{who}:{model.service_model.service_name}.{model.name}"] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def main() -> None:
    warnings.filterwarnings("ignore", "No application metrics to publish")
    with mock_aws():
        from local.resources import create_resources

        env = create_resources(prefix="bench")
        os.environ.update(env)
        from dagy_ops.settings import get_settings

        get_settings.cache_clear()
        counter = CallCounter(env["TOKENS_TABLE"])
        # Registered on the shared session before any handler builds its clients, so all inherit it.
        from dagy_ops.clients import _session

        _session().events.register("before-parameter-build.*.*", counter)

        from local.admin import admin_token

        token = admin_token("org_b")
        api = ApiClient()

        def measure(label: str, method: str, path: str, body: Any = None, goal: int | None = None) -> Any:
            counter.take()  # handlers make no AWS call at import, so every counted call is this request's
            response = api.request(method, path, body, token=token)
            calls = counter.take()
            route_calls = sum(n for name, n in calls.items() if name.startswith("route:"))
            detail = ", ".join(
                f"{name.split(':')[1]}x{n}" for name, n in sorted(calls.items()) if name.startswith("route:")
            )
            verdict = "" if goal is None else ("ok" if route_calls <= goal else f"over goal {goal}")
            print(f"{label:<44}{response.status:>5}{route_calls:>7}  {verdict:<12}{detail}")
            return response

        print(f"{'request':<44}{'status':>5}{'calls':>7}  {'goal':<12}detail")
        channel = measure(
            "POST /notifications/channels", "POST", "/notifications/channels", slack_channel("c1")
        )
        channel_id = channel.json()["channel_id"]
        measure("GET /notifications/channels", "GET", "/notifications/channels", goal=1)
        measure(
            "GET /notifications/channels?channel_type=slack",
            "GET",
            "/notifications/channels?channel_type=slack",
            goal=1,
        )
        measure("GET /notifications/channels/{id}", "GET", f"/notifications/channels/{channel_id}", goal=1)
        rule = {"name": "r", "trigger": "on_failure", "flow_name": "etl", "channel_ids": [channel_id]}
        created = measure("POST /notifications/rules", "POST", "/notifications/rules", rule, goal=2)
        rule_id = created.json()["rule_id"]
        measure("GET /notifications/rules", "GET", "/notifications/rules", goal=1)
        measure("GET /notifications/rules?flow_name=etl", "GET", "/notifications/rules?flow_name=etl", goal=1)
        measure("GET /notifications/rules/{id}", "GET", f"/notifications/rules/{rule_id}", goal=1)
        measure(
            "PATCH /notifications/rules/{id} (enabled)",
            "PATCH",
            f"/notifications/rules/{rule_id}",
            {"enabled": False},
            goal=2,
        )
        measure(
            "PATCH /notifications/rules/{id} (channels)",
            "PATCH",
            f"/notifications/rules/{rule_id}",
            {"channel_ids": [channel_id]},
            goal=3,
        )
        measure("GET /tokens", "GET", "/tokens", goal=1)
        measure("PUT /flows/{name}", "PUT", "/flows/etl", {"version": "1", "tags": ["etl"]}, goal=3)
        measure("GET /flows (with latest runs)", "GET", "/flows?tag=etl", goal=2)
        measure("GET /flows/{name} (rules, last runs)", "GET", "/flows/etl", goal=5)
        measure("GET /runs?flow_name=etl&status=failed", "GET", "/runs?flow_name=etl&status=failed", goal=1)
        measure("GET /metrics", "GET", "/metrics", goal=1)
        print("authorizer: one DynamoDB GetItem per token per cache period (API Gateway caches the policy).")


if __name__ == "__main__":
    main()
