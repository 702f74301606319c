"""pydantic models: the one definition of every request, response and domain shape."""
