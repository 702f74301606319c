"""Dagy Ops: the shared library every Lambda function imports (the "common" layer)."""

__version__ = "1.0.0"
