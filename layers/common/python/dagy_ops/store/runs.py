"""Flow runs in the flows table: `ORG#<org>#FLOW#<flow>` / `RUN#<run_id>`, with listing and SLA indexes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from dagy_ops.models.common import format_time
from dagy_ops.models.runs import RunRecord
from dagy_ops.sla import sla_shard
from dagy_ops.store.items import from_item, is_condition_failure, model_attributes, to_item


class StaleRun(Exception):
    """Another writer changed the run since it was read; read again and re-apply."""


def run_key(org_id: str, flow_name: str, run_id: str) -> dict[str, Any]:
    return to_item({"pk": f"ORG#{org_id}#FLOW#{flow_name}", "sk": f"RUN#{run_id}"})


class RunRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def get(self, org_id: str, flow_name: str, run_id: str) -> RunRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key=run_key(org_id, flow_name, run_id), ConsistentRead=True
        ).get("Item")
        return RunRecord.model_validate(from_item(item)) if item else None

    def item(self, run: RunRecord) -> dict[str, Any]:
        """The stored item of a run: its fields, its key, and the attributes of the indexes it is in."""
        org = f"ORG#{run.org_id}"
        started_key = f"{format_time(run.started_at) if run.started_at else '~'}#{run.run_id}"
        item = {
            **model_attributes(run),
            "run_org": org,
            "run_org_status": f"{org}#STATUS#{run.status}",
            "run_flow": f"{org}#FLOW#{run.flow_name}",
            "started_key": started_key,
        }
        if run.sla_due_at is not None:  # sparse: only runs with a pending deadline are in the SLA index
            item["sla_shard"] = sla_shard(run.run_id)
            item["sla_due_at"] = format_time(run.sla_due_at)
        return {**run_key(run.org_id, run.flow_name, run.run_id), **to_item(item)}

    def save(self, run: RunRecord) -> RunRecord:
        """Write `run` as the next version, only over the version it was read at."""
        saved = run.model_copy(update={"version": run.version + 1})
        condition = "attribute_not_exists(pk)" if run.version == 0 else "version = :read"
        request: dict[str, Any] = {
            "TableName": self.table,
            "Item": self.item(saved),
            "ConditionExpression": condition,
        }
        if run.version:
            request["ExpressionAttributeValues"] = to_item({":read": run.version})
        try:
            self.client.put_item(**request)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleRun(run.run_id) from None
            raise
        return saved

    def due(self, shard: str, now: datetime) -> list[RunRecord]:
        """Running runs of one SLA shard whose next deadline has passed: reads only those."""
        runs: list[RunRecord] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "sla_due",
            "KeyConditionExpression": "sla_shard = :s AND sla_due_at <= :now",
            "ExpressionAttributeValues": to_item({":s": shard, ":now": format_time(now)}),
        }
        while True:
            page = self.client.query(**request)
            runs += [RunRecord.model_validate(from_item(item)) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return runs
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
