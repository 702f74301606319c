"""What every change of a versioned resource checks and records, whichever the resource."""

from __future__ import annotations

from datetime import datetime, timedelta

from dagy_ops.auth import Principal
from dagy_ops.errors import PreconditionFailed
from dagy_ops.store.notifications import Deletion


def require_version(kind: str, current: int, if_match: int | None) -> None:
    """412 when the caller's `If-Match` names a version other than the stored one."""
    if if_match is not None and if_match != current:
        raise PreconditionFailed(f"{kind} is at version {current}, not {if_match}", {"version": current})


def deletion_by(principal: Principal, now: datetime, retention: timedelta) -> Deletion:
    """Who deletes, from where and when; the tombstone stays `retention` for the audit trail."""
    return Deletion(
        actor_email=principal.actor_email, source_ip=principal.source_ip, at=now, expires_at=now + retention
    )
