"""Alert rules: when to notify (trigger, flow, SLA) and through which channels."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dagy_ops.models.common import UtcTime

Trigger = Literal["on_failure", "on_success", "on_sla_breach", "on_retry"]
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# An exact flow name, or `*` for every flow of the org.
FlowPattern = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,127})$")]
ChannelId = Annotated[str, StringConstraints(pattern=r"^ch_[a-z0-9]{1,64}$")]
MAX_SLA_SECONDS = 7 * 24 * 3600


class RuleFields(BaseModel):
    """The fields a rule is made of, with the rules that tie them together."""

    model_config = ConfigDict(extra="forbid")
    name: RuleName = Field(examples=["ETL Failure Alert"])
    trigger: Trigger
    flow_name: FlowPattern = Field(examples=["daily_etl"])
    channel_ids: list[ChannelId] = Field(min_length=1, max_length=10, examples=[["ch_abc123"]])
    sla_seconds: int | None = Field(None, examples=[None, 1800])
    enabled: bool = True

    @model_validator(mode="after")
    def _sla_matches_trigger(self) -> Self:
        if self.trigger == "on_sla_breach":
            if self.sla_seconds is None or not 0 < self.sla_seconds <= MAX_SLA_SECONDS:
                raise ValueError(f"sla_seconds must be between 1 and {MAX_SLA_SECONDS} for on_sla_breach")
        elif self.sla_seconds is not None:
            raise ValueError("sla_seconds must be null unless trigger is on_sla_breach")
        if len(set(self.channel_ids)) != len(self.channel_ids):
            raise ValueError("channel_ids must not repeat")
        return self


class RuleCreate(RuleFields):
    pass


class RuleUpdate(BaseModel):
    """PATCH body: any subset of the fields; the merged rule is validated as a whole."""

    model_config = ConfigDict(extra="forbid")
    name: RuleName | None = None
    trigger: Trigger | None = None
    flow_name: FlowPattern | None = None
    channel_ids: list[ChannelId] | None = None
    sla_seconds: int | None = None
    enabled: bool | None = None


class RuleRecord(RuleFields):
    model_config = ConfigDict(extra="ignore")
    org_id: str
    rule_id: str
    version: int = 1
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str
    updated_ip: str


class Rule(RuleFields):
    model_config = ConfigDict(extra="ignore")
    rule_id: str = Field(examples=["rule_abc123"])
    version: int
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str


class RuleList(BaseModel):
    items: list[Rule]
    next_token: str | None = None
