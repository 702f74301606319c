"""Dagy: write a flow as Python functions, run it on your laptop with `run_local()`, and get run
logs, metadata, DuckDB history and the platform's alerts."""

from dagy.engine import Listener
from dagy.flow import CycleError, Flow, FlowError, Task
from dagy.local import LocalRun, run_local

__all__ = ["CycleError", "Flow", "FlowError", "Listener", "LocalRun", "Task", "run_local"]
__version__ = "0.1.0"
