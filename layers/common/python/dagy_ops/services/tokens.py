"""API tokens of an org: mint (the secret is shown once), list, revoke, and resolve a bearer secret."""

from __future__ import annotations

from datetime import datetime, timedelta

from dagy_ops.auth import Principal, hash_token, new_token_secret
from dagy_ops.errors import Forbidden, NotFound
from dagy_ops.ids import new_id
from dagy_ops.models.tokens import Token, TokenCreate, TokenCreated, TokenRecord
from dagy_ops.services.changes import deletion_by
from dagy_ops.store.tokens import TokenRepository

# last_used_at is written at most this often per token, so busy tokens do not write on every call.
TOUCH_INTERVAL = timedelta(minutes=5)


def public_view(record: TokenRecord) -> Token:
    return Token.model_validate(record.model_dump(exclude={"token_hash", "revoked_at", "updated_ip"}))


def mint_token(
    org_id: str,
    actor_email: str,
    permissions: list[str],
    expires_at: datetime | None,
    created_by: str,
    source_ip: str,
    now: datetime,
    name: str | None = None,
    secret: str | None = None,
) -> tuple[str, TokenRecord]:
    """A new secret and the record that stores only its hash (the API and the CLI both mint here)."""
    secret = secret or new_token_secret()
    record = TokenRecord(
        token_hash=hash_token(secret),
        token_id=new_id("tok"),
        org_id=org_id,
        actor_email=actor_email,
        permissions=sorted(set(permissions)),  # type: ignore[arg-type]
        name=name,
        expires_at=expires_at,
        created_at=now,
        created_by=created_by,
        updated_at=now,
        updated_by=created_by,
        updated_ip=source_ip,
    )
    return secret, record


class TokenService:
    def __init__(self, tokens: TokenRepository, retention_days: int) -> None:
        self.tokens = tokens
        self.retention = timedelta(days=retention_days)

    def create(self, request: TokenCreate, principal: Principal, now: datetime) -> TokenCreated:
        # A token can hand out only what its holder has: admin.tokens is not a way to escalate.
        beyond = sorted(set(request.permissions) - principal.permissions)
        if beyond:
            raise Forbidden("A token cannot grant permissions its creator lacks", {"permissions": beyond})
        expires_at = now + timedelta(days=request.expires_in_days) if request.expires_in_days else None
        secret, record = mint_token(
            principal.org_id,
            request.actor_email,
            list(request.permissions),
            expires_at,
            principal.actor_email,
            principal.source_ip,
            now,
            request.name,
        )
        self.tokens.create(record)
        return TokenCreated(**public_view(record).model_dump(), token=secret)

    def revoke(self, principal: Principal, token_id: str, now: datetime) -> None:
        record = self.tokens.by_id(principal.org_id, token_id)
        if record is None:
            raise NotFound(f"Token {token_id} not found", {"token_id": token_id})
        self.tokens.revoke(
            record,
            deletion_by(principal, now, self.retention),
        )

    def resolve(self, secret: str, now: datetime) -> TokenRecord | None:
        """The live, unexpired token behind `secret`; records its use now and then."""
        record = self.tokens.by_hash(hash_token(secret))
        if record is None or record.revoked_at is not None:
            return None
        if record.expires_at is not None and record.expires_at <= now:
            return None
        if record.last_used_at is None or now - record.last_used_at >= TOUCH_INTERVAL:
            self.tokens.touch(record.token_hash, now)
        return record
