"""Notification channels of an org: create, read, change, delete, and a test message."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from dagy_ops.auth import Principal
from dagy_ops.errors import Conflict, NotFound, ValidationFailed
from dagy_ops.ids import new_id
from dagy_ops.masking import mask_channel_config
from dagy_ops.models.channels import (
    CONFIG_MODELS,
    Channel,
    ChannelCreate,
    ChannelCreated,
    ChannelRecord,
    ChannelUpdate,
)
from dagy_ops.services.changes import deletion_by, require_version
from dagy_ops.store.notifications import ChannelRepository, RuleRepository
from dagy_ops.targets import UnsafeTarget, check_target

SLACK_HOST = "hooks.slack.com"


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def public_view(record: ChannelRecord) -> Channel:
    data = record.model_dump(exclude={"signing_secret", "org_id", "updated_ip", "config"})
    return Channel(**data, config=mask_channel_config(record.channel_type, record.config))


def check_channel_targets(channel_type: str, config: dict[str, Any], allow_private: bool) -> None:
    """Refuse targets the service must never call, naming the offending field (422)."""
    field, url = {
        "slack": ("webhook_url", config.get("webhook_url")),
        "webhook": ("url", config.get("url")),
    }.get(channel_type, ("", None))
    if not url:
        return
    try:
        check_target(str(url), allow_private=allow_private, require_resolution=False)
        if channel_type == "slack":
            _check_slack_url(str(url), allow_private)
    except UnsafeTarget as error:
        raise ValidationFailed(str(error), {"fields": {f"config.{field}": str(error)}}) from None


def _check_slack_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.hostname == SLACK_HOST and parts.scheme == "https":
        return
    if allow_private and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return  # the local stack's Slack stand-in
    raise UnsafeTarget(f"Slack webhook URLs are https://{SLACK_HOST}/services/...")


class ChannelService:
    def __init__(
        self,
        channels: ChannelRepository,
        rules: RuleRepository,
        allow_private_targets: bool,
        retention_days: int,
    ) -> None:
        self.channels = channels
        self.rules = rules
        self.allow_private = allow_private_targets
        self.retention = timedelta(days=retention_days)

    def create(self, request: ChannelCreate, principal: Principal, now: datetime) -> ChannelCreated:
        config = request.config.model_dump()
        check_channel_targets(request.channel_type, config, self.allow_private)
        record = ChannelRecord(
            org_id=principal.org_id,
            channel_id=new_id("ch"),
            channel_type=request.channel_type,
            name=request.name,
            config=config,
            signing_secret=new_signing_secret() if request.channel_type == "webhook" else None,
            enabled=request.enabled,
            created_at=now,
            created_by=principal.actor_email,
            updated_at=now,
            updated_by=principal.actor_email,
            updated_ip=principal.source_ip,
        )
        self.channels.create(
            record, also=[self.channels.name_guard(record.org_id, record.name, record.channel_id)]
        )
        return ChannelCreated(**public_view(record).model_dump(), signing_secret=record.signing_secret)

    def get(self, principal: Principal, channel_id: str) -> ChannelRecord:
        record = self.channels.get(principal.org_id, channel_id)
        if record is None:
            raise NotFound(f"Channel {channel_id} not found", {"channel_id": channel_id})
        return record

    def update(
        self, principal: Principal, channel_id: str, patch: ChannelUpdate, if_match: int | None, now: datetime
    ) -> Channel:
        current = self.get(principal, channel_id)
        require_version("Channel", current.version, if_match)
        changes: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude_none=True)
        if "config" in changes:
            try:
                changes["config"] = (
                    CONFIG_MODELS[current.channel_type].model_validate(changes["config"]).model_dump()
                )
            except ValidationError as error:
                fields = {"config." + ".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}
                raise ValidationFailed(
                    "Invalid config for a " + current.channel_type + " channel", {"fields": fields}
                ) from None
            check_channel_targets(current.channel_type, changes["config"], self.allow_private)
        updated = current.model_copy(
            update={
                **changes,
                # Any change is the owner's answer to a channel the dispatcher disabled: try it again.
                "status": "active",
                "disabled_reason": None,
                "version": current.version + 1,
                "updated_at": now,
                "updated_by": principal.actor_email,
                "updated_ip": principal.source_ip,
            }
        )
        also = []
        if updated.name.casefold() != current.name.casefold():
            also = [
                self.channels.release_name(current.org_id, current.name),
                self.channels.name_guard(current.org_id, updated.name, channel_id),
            ]
        self.channels.replace(updated, expected_version=current.version, also=also)
        return public_view(updated)

    def delete(self, principal: Principal, channel_id: str, if_match: int | None, now: datetime) -> None:
        current = self.get(principal, channel_id)
        require_version("Channel", current.version, if_match)
        in_use = self.rules.using_channel(principal.org_id, channel_id)
        if in_use:
            raise Conflict(
                f"Channel {channel_id} is used by {len(in_use)} rule(s); change or delete them first",
                {"rule_ids": sorted(in_use)},
            )
        deletion = deletion_by(principal, now, self.retention)
        self.channels.soft_delete(
            principal.org_id,
            channel_id,
            current.version,
            deletion,
            also=[self.channels.release_name(current.org_id, current.name)],
        )
