"""What each API resource does: validation beyond shape, org scoping, and calls into the store."""
