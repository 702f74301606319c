"""Resource identifiers: a kind prefix and 96 random bits, e.g. `ch_3f9a0c...`."""

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"
