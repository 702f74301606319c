"""The one specification of every DynamoDB table: keys, indexes, streams and TTL.

The CDK data stack, the local stack's bootstrap and the test fixtures all build their tables
from `TABLES`, so a key or index exists everywhere or nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    """A global secondary index; `projection` ALL unless the readers need only keys."""

    name: str
    partition_key: Key
    sort_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    """CDK construct id, and the table name prefix in the local stack."""
    env_var: str
    """The environment variable through which functions learn the table's name."""
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    stream: bool = False
    """NEW_AND_OLD_IMAGES stream, read by the audit writer."""
    ttl_attribute: str | None = None

    @property
    def key_attributes(self) -> tuple[Key, ...]:
        """Every attribute that appears in a key of the table or of one of its indexes."""
        keys: dict[str, Key] = {}
        for key in (self.partition_key, self.sort_key):
            if key:
                keys[key.name] = key
        for index in self.indexes:
            for key in (index.partition_key, index.sort_key):
                if key:
                    keys[key.name] = key
        return tuple(keys.values())

    def create_table_request(self, table_name: str) -> dict[str, Any]:
        """The boto3 `create_table` arguments for this spec (local stack and test fixtures)."""
        request: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": key.name, "AttributeType": key.type} for key in self.key_attributes
            ],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
        }
        if self.indexes:
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": {"ProjectionType": index.projection},
                }
                for index in self.indexes
            ]
        if self.stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        return request


def _key_schema(partition_key: Key, sort_key: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key.name, "KeyType": "HASH"}]
    if sort_key:
        schema.append({"AttributeName": sort_key.name, "KeyType": "RANGE"})
    return schema


PK = Key("pk")
SK = Key("sk")

FLOWS = TableSpec(
    logical_id="Flows",
    env_var="FLOWS_TABLE",
    partition_key=PK,  # ORG#<org> | ORG#<org>#FLOW#<name>
    sort_key=SK,  # FLOW#<name> | STATS#FLOW#<name> | STATS#ORG | RUN#<run_id>
    indexes=(
        # Sparse: only running runs the sweep must look at (an SLA or the stale limit ahead).
        Index("sla_due", Key("sla_shard"), Key("sla_due_at")),
        # Runs of an org newest first, one index per `GET /runs` filter combination.
        Index("runs_by_org", Key("run_org"), Key("started_key")),
        Index("runs_by_status", Key("run_org_status"), Key("started_key")),
        Index("runs_by_flow", Key("run_flow"), Key("started_key")),
        Index("runs_by_flow_status", Key("run_flow_status"), Key("started_key")),
        # `GET /runs/{run_id}`: the run key needs the flow, which the caller may not give.
        Index("runs_by_id", Key("run_ref")),
    ),
    stream=True,
    ttl_attribute="ttl",
)

NOTIFICATIONS = TableSpec(
    logical_id="Notifications",
    env_var="NOTIFICATIONS_TABLE",
    partition_key=PK,  # ORG#<org>
    sort_key=SK,  # CHANNEL#<id> | RULE#<id> | CHANNEL_NAME#<name> (uniqueness guard)
    indexes=(
        # Sparse listing of live items: ORG#<org>#CHANNEL | ORG#<org>#RULE; removed on soft delete.
        Index("by_kind", Key("kind_key"), SK),
        # Channels by type, rules by trigger: ORG#<org>#CHANNEL_TYPE#<type> | ORG#<org>#RULE_TRIGGER#<t>.
        Index("by_facet", Key("facet_key"), SK),
        # Rules by flow: ORG#<org>#RULE_FLOW#<flow_name>.
        Index("by_flow", Key("flow_key"), SK),
    ),
    stream=True,
    ttl_attribute="ttl",
)

TOKENS = TableSpec(
    logical_id="Tokens",
    env_var="TOKENS_TABLE",
    partition_key=Key("token_hash"),  # sha256 hex of the bearer secret; the secret is never stored
    indexes=(Index("by_org", Key("org_id"), Key("token_id")),),
    stream=True,
    ttl_attribute="ttl",
)

AUDIT = TableSpec(
    logical_id="Audit",
    env_var="AUDIT_TABLE",
    partition_key=Key("org_id"),
    sort_key=Key("event_time"),  # <ISO-8601 UTC>#<id>, as in the seed
    indexes=(
        Index("by_resource_type", Key("org_resource_type"), Key("event_time")),
        Index("by_resource", Key("org_resource"), Key("event_time")),
    ),
    ttl_attribute="ttl",
)

DELIVERIES = TableSpec(
    logical_id="Deliveries",
    env_var="DELIVERIES_TABLE",
    partition_key=Key("org_id"),
    sort_key=Key("delivered_at"),  # <ISO-8601 UTC>#<delivery_id>: newest first with ScanIndexForward=False
    ttl_attribute="ttl",
)

IDEMPOTENCY = TableSpec(
    logical_id="Idempotency",
    env_var="IDEMPOTENCY_TABLE",
    partition_key=Key("id"),  # Powertools' DynamoDBPersistenceLayer default schema
    ttl_attribute="expiration",
)

TABLES: tuple[TableSpec, ...] = (FLOWS, NOTIFICATIONS, TOKENS, AUDIT, DELIVERIES, IDEMPOTENCY)


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    env_var: str
    visibility_timeout_seconds: int
    max_receive_count: int
    fifo: bool = False
    """FIFO queues take a message group and a deduplication id per message (and so does their DLQ)."""

    @property
    def dlq_env_var(self) -> str:
        return self.env_var.replace("_QUEUE_URL", "_DLQ_URL")


EVENTS_QUEUE = QueueSpec(
    "EventsQueue", "EVENTS_QUEUE_URL", visibility_timeout_seconds=60, max_receive_count=5
)
# FIFO: one message group per channel (a failing channel holds back only its own messages) and
# deduplication by notification id (a redelivered event never queues the same alert twice).
NOTIFICATIONS_QUEUE = QueueSpec(
    "NotificationsQueue",
    "NOTIFICATIONS_QUEUE_URL",
    visibility_timeout_seconds=60,
    max_receive_count=8,
    fifo=True,
)
QUEUES: tuple[QueueSpec, ...] = (EVENTS_QUEUE, NOTIFICATIONS_QUEUE)

# Where stream records the audit writer could not process end up (the mappings' on-failure destination).
AUDIT_FAILURES_QUEUE = QueueSpec("AuditFailuresQueue", "AUDIT_FAILURES_QUEUE_URL", 60, max_receive_count=0)
# The tables whose streams feed the audit writer.
AUDITED_TABLES: tuple[TableSpec, ...] = (FLOWS, NOTIFICATIONS, TOKENS)

ARTIFACT_BUCKET_ENV = "ARTIFACT_BUCKET"
# A Secrets Manager secret whose value keys the HMAC of pagination tokens.
CURSOR_SECRET_ENV = "CURSOR_SECRET_ARN"  # noqa: S105 - an environment variable name
