"""API tokens: org-scoped bearer secrets with a set of permissions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dagy_ops.models.common import EmailAddress, UtcTime
from dagy_ops.routes import Permission


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor_email: EmailAddress = Field(
        description="Who acts with this token; recorded on every change it makes"
    )
    permissions: list[Permission] = Field(min_length=1)
    name: str | None = Field(None, max_length=100)
    expires_in_days: int | None = Field(90, ge=1, le=3650, description="null: never expires")


class TokenRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token_hash: str
    token_id: str
    org_id: str
    actor_email: str
    permissions: list[Permission]
    name: str | None = None
    expires_at: UtcTime | None = None
    last_used_at: UtcTime | None = None
    revoked_at: UtcTime | None = None
    version: int = 1
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str
    updated_ip: str


class Token(BaseModel):
    """A token as listed: never its secret or hash."""

    token_id: str = Field(examples=["tok_abc123"])
    org_id: str
    actor_email: str
    permissions: list[Permission]
    name: str | None = None
    expires_at: UtcTime | None = None
    last_used_at: UtcTime | None = None
    version: int
    created_at: UtcTime
    created_by: str
    updated_at: UtcTime
    updated_by: str


class TokenCreated(Token):
    token: str = Field(description="The bearer secret, shown this once", examples=["dgy_..."])


class TokenList(BaseModel):
    items: list[Token]
    next_token: str | None = None
