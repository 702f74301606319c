"""Flow runs in the flows table: `ORG#<org>#FLOW#<flow>` / `RUN#<run_id>`, with listing and SLA indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from dagy_ops.models.common import format_time
from dagy_ops.models.flows import FlowRecord
from dagy_ops.models.runs import RunRecord, RunStatusView
from dagy_ops.runs import started_key
from dagy_ops.sla import sla_shard
from dagy_ops.stats import FlowStats
from dagy_ops.store.flows import FlowRepository
from dagy_ops.store.items import (
    batch_get,
    from_item,
    is_condition_failure,
    model_attributes,
    query_pages,
    to_item,
)

# Bounds of `started_key` (`<ISO time>#<run_id>`; `~#<run_id>` before a start is known).
_LOWEST, _HIGHEST = "0", "~~"


class StaleRun(Exception):
    """Another writer changed the run (or its flow's counters) since it was read; read again."""


def run_key(org_id: str, flow_name: str, run_id: str) -> dict[str, Any]:
    return to_item({"pk": f"ORG#{org_id}#FLOW#{flow_name}", "sk": f"RUN#{run_id}"})


@dataclass(frozen=True)
class RunContext:
    """A run as stored, with its flow and its flow's counters, read together."""

    run: RunRecord | None
    flow: FlowRecord | None
    stats: FlowStats | None


@dataclass(frozen=True)
class RunQuery:
    """`GET /runs` filters; each combination is served by one index's key condition."""

    flow_name: str | None = None
    status: RunStatusView | None = None
    since: datetime | None = None
    until: datetime | None = None

    def scope(self) -> str:
        """What a next_token is bound to: a token of one listing does not page another."""
        bounds = [format_time(t) if t else "" for t in (self.since, self.until)]
        return f"runs:{self.flow_name or '*'}:{self.status or '*'}:{bounds[0]}:{bounds[1]}"

    def key_condition(
        self, org_id: str, now: datetime, stale_after: timedelta
    ) -> tuple[str, str, str, str, str]:
        """(index, key attribute, key value, lowest started_key, highest started_key)."""
        org = f"ORG#{org_id}"
        stored = "running" if self.status == "stale" else self.status
        index: tuple[str, str, str]
        if self.flow_name and stored:
            index = ("runs_by_flow_status", "run_flow_status", f"{org}#FLOW#{self.flow_name}#STATUS#{stored}")
        elif self.flow_name:
            index = ("runs_by_flow", "run_flow", f"{org}#FLOW#{self.flow_name}")
        elif stored:
            index = ("runs_by_status", "run_org_status", f"{org}#STATUS#{stored}")
        else:
            index = ("runs_by_org", "run_org", org)
        low = format_time(self.since) if self.since else _LOWEST
        high = f"{format_time(self.until)}#~" if self.until else _HIGHEST
        # A run is stale once it started at or before `now - stale_after`: the key splits there.
        cutoff = f"{format_time(now - stale_after)}#~"
        if self.status == "running":
            low = max(low, cutoff)
        elif self.status == "stale":
            high = min(high, cutoff)
        return (*index, low, high)


class RunRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name
        self.flows = FlowRepository(client, table_name)

    def get(self, org_id: str, flow_name: str, run_id: str) -> RunRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key=run_key(org_id, flow_name, run_id), ConsistentRead=True
        ).get("Item")
        return RunRecord.model_validate(from_item(item)) if item else None

    def load(self, org_id: str, flow_name: str, run_id: str) -> RunContext:
        """The run, its flow and the flow's counters: one consistent BatchGetItem."""
        keys = [
            run_key(org_id, flow_name, run_id),
            self.flows.key(org_id, flow_name),
            self.flows.stats_key(org_id, flow_name),
        ]
        # Keyed by item kind: the `RUN`, `FLOW` and `STATS` prefixes of the sort keys.
        found = {
            str(item["sk"]).split("#", 1)[0]: item
            for item in batch_get(self.client, self.table, keys, consistent=True)
        }
        return RunContext(
            run=RunRecord.model_validate(found["RUN"]) if "RUN" in found else None,
            flow=FlowRecord.model_validate(found["FLOW"]) if "FLOW" in found else None,
            stats=FlowStats.model_validate(found["STATS"]) if "STATS" in found else None,
        )

    def item(self, run: RunRecord) -> dict[str, Any]:
        """The stored item of a run: its fields, its key, and the attributes of the indexes it is in."""
        org = f"ORG#{run.org_id}"
        item = {
            **model_attributes(run),
            "run_org": org,
            "run_org_status": f"{org}#STATUS#{run.status}",
            "run_flow": f"{org}#FLOW#{run.flow_name}",
            "run_flow_status": f"{org}#FLOW#{run.flow_name}#STATUS#{run.status}",
            "run_ref": f"{org}#RUN#{run.run_id}",
            "started_key": started_key(run),
        }
        if run.sla_due_at is not None:  # sparse: only runs the sweep must look at are in the index
            item["sla_shard"] = sla_shard(run.run_id)
            item["sla_due_at"] = format_time(run.sla_due_at)
        return {**run_key(run.org_id, run.flow_name, run.run_id), **to_item(item)}

    def save(self, run: RunRecord, also: Sequence[dict[str, Any]] = ()) -> RunRecord:
        """Write `run` as the next version, only over the version it was read at; atomically with
        `also` (its flow's counters, the flow itself) when given."""
        saved = run.model_copy(update={"version": run.version + 1})
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": self.item(saved),
            "ConditionExpression": "attribute_not_exists(pk)" if run.version == 0 else "version = :read",
        }
        if run.version:
            put["ExpressionAttributeValues"] = to_item({":read": run.version})
        try:
            if also:
                self.client.transact_write_items(TransactItems=[{"Put": put}, *also])
            else:
                self.client.put_item(**put)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleRun(run.run_id) from None
            raise
        return saved

    def due(self, shard: str, now: datetime) -> list[RunRecord]:
        """Running runs of one SLA shard whose next deadline has passed: reads only those."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "sla_due",
            "KeyConditionExpression": "sla_shard = :s AND sla_due_at <= :now",
            "ExpressionAttributeValues": to_item({":s": shard, ":now": format_time(now)}),
        }
        pages = query_pages(self.client, request)
        return [RunRecord.model_validate(from_item(item)) for page in pages for item in page["Items"]]

    def page(
        self,
        org_id: str,
        query: RunQuery,
        now: datetime,
        stale_after: timedelta,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[RunRecord], dict[str, Any] | None]:
        """Runs newest first, through the one index that serves the filters: reads what it returns."""
        index, attribute, value, low, high = query.key_condition(org_id, now, stale_after)
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v AND started_key BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#k": attribute},
            "ExpressionAttributeValues": to_item({":v": value, ":low": low, ":high": high}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self.client.query(**request)
        return [RunRecord.model_validate(from_item(item)) for item in page["Items"]], page.get(
            "LastEvaluatedKey"
        )

    def with_id(self, org_id: str, run_id: str) -> list[RunRecord]:
        """Runs of the org with this id: one per flow that used it (ids are unique per flow)."""
        page = self.client.query(
            TableName=self.table,
            IndexName="runs_by_id",
            KeyConditionExpression="run_ref = :ref",
            ExpressionAttributeValues=to_item({":ref": f"ORG#{org_id}#RUN#{run_id}"}),
            Limit=20,
        )
        return [RunRecord.model_validate(from_item(item)) for item in page["Items"]]
