"""Notification channels: the request shapes per channel type and the masked resource."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from dagy_ops.models.common import EmailAddress, UtcTime

ChannelType = Literal["slack", "email", "webhook", "pagerduty"]
ChannelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048)]

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
# Headers the service sets itself; a channel may not override them.
RESERVED_HEADERS = {
    "host",
    "content-length",
    "content-type",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
}


def _headers(value: dict[str, str]) -> dict[str, str]:
    for name, header_value in value.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is set by the service")
        if len(header_value) > 1024 or "\n" in header_value or "\r" in header_value:
            raise ValueError(f"invalid value for header {name!r}")
    return value


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlackConfig(_Config):
    webhook_url: Url = Field(
        description="Incoming webhook URL on hooks.slack.com (a secret: masked in answers)"
    )


class EmailConfig(_Config):
    to: list[EmailAddress] = Field(min_length=1, max_length=50)


class WebhookConfig(_Config):
    url: Url = Field(description="https URL that receives signed POSTs")
    headers: Annotated[dict[str, str], AfterValidator(_headers)] = Field(default_factory=dict, max_length=20)


class PagerDutyConfig(_Config):
    routing_key: str = Field(
        pattern=r"^[A-Za-z0-9]{32}$", description="Events API v2 integration key (a secret: masked)"
    )
    severity: Literal["critical", "error", "warning", "info"] = "error"


CONFIG_MODELS: dict[str, type[_Config]] = {
    "slack": SlackConfig,
    "email": EmailConfig,
    "webhook": WebhookConfig,
    "pagerduty": PagerDutyConfig,
}


class _ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ChannelName
    enabled: bool = True


class SlackChannelCreate(_ChannelCreate):
    channel_type: Literal["slack"]
    config: SlackConfig


class EmailChannelCreate(_ChannelCreate):
    channel_type: Literal["email"]
    config: EmailConfig


class WebhookChannelCreate(_ChannelCreate):
    channel_type: Literal["webhook"]
    config: WebhookConfig


class PagerDutyChannelCreate(_ChannelCreate):
    channel_type: Literal["pagerduty"]
    config: PagerDutyConfig


ChannelCreate = Annotated[
    SlackChannelCreate | EmailChannelCreate | WebhookChannelCreate | PagerDutyChannelCreate,
    Field(discriminator="channel_type"),
]


class ChannelUpdate(BaseModel):
    """PATCH body: any subset; `config` replaces the whole config and is validated for the type."""

    model_config = ConfigDict(extra="forbid")
    name: ChannelName | None = None
    config: dict[str, Any] | None = None
    enabled: bool | None = None


class ChannelRecord(BaseModel):
    """A channel as stored: full config and secret. Never returned as is."""

    org_id: str
    channel_id: str
    channel_type: ChannelType
    name: str
    config: dict[str, Any]
    signing_secret: str | None = None
    enabled: bool = True
    status: Literal["active", "disabled"] = "active"
    disabled_reason: str | None = None
    version: int = 1
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str
    updated_ip: str


class Channel(BaseModel):
    """A channel as the API shows it, secrets masked."""

    channel_id: str = Field(examples=["ch_abc123"])
    channel_type: ChannelType
    name: str = Field(examples=["Pipeline Alerts"])
    config: dict[str, Any] = Field(examples=[{"webhook_url": "https://hooks.slack.com/services/****abcd"}])
    enabled: bool
    status: Literal["active", "disabled"]
    disabled_reason: str | None = None
    version: int
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str


class ChannelCreated(Channel):
    signing_secret: str | None = Field(
        None, description="Webhook channels only: the Standard Webhooks secret, shown this once"
    )


class ChannelList(BaseModel):
    items: list[Channel]
    next_token: str | None = None
