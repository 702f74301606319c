"""Alert rules of an org: every rule names live channels of the same org."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import ValidationError

from dagy_ops.auth import Principal
from dagy_ops.errors import BadRequest, NotFound, ValidationFailed
from dagy_ops.ids import new_id
from dagy_ops.models.rules import Rule, RuleCreate, RuleFields, RuleRecord, RuleUpdate
from dagy_ops.services.changes import deletion_by, require_version
from dagy_ops.store.notifications import ChannelRepository, Facet, RuleRepository


def public_view(record: RuleRecord) -> Rule:
    return Rule.model_validate(record.model_dump(exclude={"org_id", "updated_ip"}))


class RuleService:
    def __init__(self, rules: RuleRepository, channels: ChannelRepository, retention_days: int) -> None:
        self.rules = rules
        self.channels = channels
        self.retention = timedelta(days=retention_days)

    def _require_channels(self, org_id: str, channel_ids: Sequence[str]) -> None:
        """400 naming every id that is not a live channel of this org (another org's ids included)."""
        missing = sorted(set(channel_ids) - self.channels.live_ids(org_id, channel_ids))
        if missing:
            raise BadRequest(f"Unknown channel_ids: {', '.join(missing)}", {"missing_channel_ids": missing})

    def create(self, request: RuleCreate, principal: Principal, now: datetime) -> Rule:
        self._require_channels(principal.org_id, request.channel_ids)
        record = RuleRecord(
            **request.model_dump(),
            org_id=principal.org_id,
            rule_id=new_id("rule"),
            created_at=now,
            created_by=principal.actor_email,
            updated_at=now,
            updated_by=principal.actor_email,
            updated_ip=principal.source_ip,
        )
        self.rules.create(record)
        return public_view(record)

    def get(self, principal: Principal, rule_id: str) -> RuleRecord:
        record = self.rules.get(principal.org_id, rule_id)
        if record is None:
            raise NotFound(f"Rule {rule_id} not found", {"rule_id": rule_id})
        return record

    def page(
        self,
        principal: Principal,
        flow_name: str | None,
        trigger: str | None,
        limit: int,
        start_key: dict | None,
    ) -> tuple[list[Rule], dict | None]:
        """By flow (index), by trigger (index), or both: the flow index, then the trigger in memory."""
        org = principal.org_id
        facet: Facet | None = None
        if flow_name:
            facet = self.rules.flow_facet(org, flow_name)
        elif trigger:
            facet = self.rules.trigger_facet(org, trigger)
        records, last_key = self.rules.page(org, limit, start_key, facet)
        if flow_name and trigger:
            records = [record for record in records if record.trigger == trigger]
        return [public_view(record) for record in records], last_key

    def update(
        self, principal: Principal, rule_id: str, patch: RuleUpdate, if_match: int | None, now: datetime
    ) -> Rule:
        current = self.get(principal, rule_id)
        require_version("Rule", current.version, if_match)
        changes = patch.model_dump(exclude_unset=True)
        merged = {**current.model_dump(include=set(RuleFields.model_fields)), **changes}
        if changes.get("trigger", current.trigger) != "on_sla_breach" and "sla_seconds" not in changes:
            merged["sla_seconds"] = None  # moving away from SLA drops the threshold with it
        try:
            fields = RuleFields.model_validate(merged)
        except ValidationError as error:
            details = {".".join(map(str, e["loc"])) or "rule": e["msg"] for e in error.errors()}
            raise ValidationFailed("The changed rule is not valid", {"fields": details}) from None
        if "channel_ids" in changes:
            self._require_channels(principal.org_id, fields.channel_ids)
        updated = current.model_copy(
            update={
                **fields.model_dump(),
                "version": current.version + 1,
                "updated_at": now,
                "updated_by": principal.actor_email,
                "updated_ip": principal.source_ip,
            }
        )
        self.rules.replace(updated, expected_version=current.version)
        return public_view(updated)

    def delete(self, principal: Principal, rule_id: str, if_match: int | None, now: datetime) -> None:
        current = self.get(principal, rule_id)
        require_version("Rule", current.version, if_match)
        deletion = deletion_by(principal, now, self.retention)
        self.rules.soft_delete(principal.org_id, rule_id, current.version, deletion)
