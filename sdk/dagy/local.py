"""`run_local()`: run a flow on this machine and record it as the platform would."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagy import capture
from dagy.engine import Engine, Listener
from dagy.files import dagy_home
from dagy.flow import Flow, FlowError
from dagy.forward import EventForwarder
from dagy.history import History
from dagy.model import FlowRun
from dagy.recorder import Recorder, RunFiles


def new_run_id() -> str:
    """Sortable and unique across concurrent runs: `20260115_103000_3f9a0c`."""
    return f"{datetime.now(UTC).strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(3)}"


class LocalRun:
    """What `run_local` answers: the run's record, the tasks' results and where the files are."""

    def __init__(self, run: FlowRun, results: dict[str, Any], path: Path, in_history: bool) -> None:
        self.run = run
        self.results = results
        self.path = path
        self.in_history = in_history

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> str:
        return self.run.status

    def __repr__(self) -> str:
        return f"LocalRun(run_id={self.run_id!r}, status={self.status!r}, path='{self.path}')"


def run_local(
    flow: Flow,
    params: Mapping[str, Any] | None = None,
    *,
    home: str | Path | None = None,
    run_id: str | None = None,
    listeners: Sequence[Listener] = (),
) -> LocalRun:
    """Run `flow` here and now; record its log, metadata, task output and history under
    `$DAGY_HOME` (default `~/.dagy`); send its events to Dagy Ops when `DAGY_API_URL` and
    `DAGY_API_TOKEN` are set. Raises FlowError (a cycle, an unknown parameter) before anything runs.
    """
    unknown = sorted(set(params or {}) - set(flow.params))
    if unknown:
        raise FlowError(
            f"flow {flow.name} has no parameter(s) {', '.join(unknown)}; it takes: {', '.join(flow.params) or 'none'}"
        )
    flow.order()  # a cycle or an unknown dependency is refused before anything is recorded
    root = dagy_home(home)
    run = FlowRun(
        run_id=run_id or new_run_id(),
        flow_name=flow.name,
        params={**flow.params, **(params or {})},
        pid=os.getpid(),
    )
    files = RunFiles(root, run.run_id)
    forwarder = EventForwarder.from_environment(root)
    history = History(root)
    engine = Engine(
        flow,
        run,
        [Recorder(files), history, *([forwarder] if forwarder else []), *listeners],
        capture_paths=files.attempt_output,
    )
    try:
        with capture.installed():
            engine.execute()
    finally:
        if forwarder is not None:
            forwarder.close()
    in_history = history.record(run)
    return LocalRun(run, engine.results, files.root, in_history)
