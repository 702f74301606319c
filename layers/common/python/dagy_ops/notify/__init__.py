"""Notification delivery: payload rendering, Standard Webhooks signing, and one sender per channel type."""
