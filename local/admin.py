"""Mint an all-permissions token through `dagy-ops token create`, as an operator would in AWS."""

from __future__ import annotations

import contextlib
import io

from dagy_ops.cli import main as cli


def admin_token(org: str = "org_local", secret: str | None = None, email: str = "admin@local") -> str:
    """The secret of a new token with every permission in `org` (or of `secret`, when given)."""
    args = ["token", "create", "--org", org, "--email", email, "--permissions", "all", "--name", "admin"]
    args += ["--secret", secret] if secret else []
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
        cli(args)
    return output.getvalue().strip()
