"""Run history in DuckDB (`<home>/dagy.duckdb`): flow runs, task runs and attempts.

DuckDB lets one process at a time open the file for writing. A finished run is first written to
`<home>/history/pending/<run_id>.json` (atomically), then every pending run is loaded into the
database and its file removed, in one transaction per run. When another process holds the lock
past the deadline, the run stays pending and the next writer or reader (`dagy runs ...`) loads
it: a run is never lost to a lock.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dagy.engine import Listener
from dagy.files import write_model
from dagy.model import FlowRun

# How long a writer waits for another process's lock before leaving its run pending.
LOCK_DEADLINE_SECONDS = float(os.environ.get("DAGY_HISTORY_LOCK_SECONDS", "15"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS flow_runs (
    run_id VARCHAR PRIMARY KEY, flow_name VARCHAR NOT NULL, status VARCHAR NOT NULL, params JSON,
    started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP, duration_seconds DOUBLE, error VARCHAR,
    run_dir VARCHAR
);  -- times are UTC
CREATE TABLE IF NOT EXISTS task_runs (
    run_id VARCHAR NOT NULL, task_id VARCHAR NOT NULL, status VARCHAR NOT NULL, depends_on VARCHAR[],
    started_at TIMESTAMP, ended_at TIMESTAMP, duration_seconds DOUBLE, attempts INTEGER, error VARCHAR,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE IF NOT EXISTS task_attempts (
    run_id VARCHAR NOT NULL, task_id VARCHAR NOT NULL, attempt INTEGER NOT NULL, status VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP, duration_seconds DOUBLE, error VARCHAR,
    PRIMARY KEY (run_id, task_id, attempt)
);
"""


class HistoryLocked(RuntimeError):
    """Another process held the database past the deadline; the runs stay pending, none is lost."""


class History(Listener):
    """The database, and (as a listener) the pending record of a run from its start, so a run
    shows in `dagy runs list` while it runs, and as `crashed` if its process dies."""

    def __init__(self, home: Path, lock_deadline_seconds: float = LOCK_DEADLINE_SECONDS) -> None:
        self.path = home / "dagy.duckdb"
        self.pending = home / "history" / "pending"
        self.runs_dir = home / "runs"
        self.lock_deadline = lock_deadline_seconds

    def flow_started(self, run: FlowRun) -> None:
        self.pending.mkdir(parents=True, exist_ok=True)
        write_model(self.pending / f"{run.run_id}.json", run)

    def record(self, run: FlowRun) -> bool:
        """Keep the finished run; answers whether it reached the database now (else it is pending)."""
        self.pending.mkdir(parents=True, exist_ok=True)
        write_model(self.pending / f"{run.run_id}.json", run)
        try:
            with self.connect():  # loads every pending run
                return True
        except HistoryLocked:
            return False

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database, waiting for another process's lock up to the deadline, pending runs loaded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_deadline
        delay = 0.01
        while True:
            try:
                connection = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                    raise HistoryLocked(str(error)) from None
                time.sleep(delay * (1 + random.random()))  # noqa: S311 - jitter between processes
                delay = min(delay * 2, 0.5)
        try:
            connection.execute(SCHEMA)
            self._load_pending(connection)
            yield connection
        finally:
            connection.close()

    def _load_pending(self, connection: duckdb.DuckDBPyConnection) -> None:
        if not self.pending.is_dir():
            return
        for path in sorted(self.pending.glob("*.json")):
            run = FlowRun.model_validate_json(path.read_text(encoding="utf-8"))
            still_running = not run.complete and _alive(run.pid)
            if not run.complete and not still_running:
                run.status = "crashed"
                run.error = f"the process that ran it (pid {run.pid}) stopped before the run ended"
            connection.execute("BEGIN TRANSACTION")
            try:
                self._write(connection, run)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            if not still_running:  # a running run's file is replaced by its final record later
                path.unlink(missing_ok=True)

    def _write(self, connection: duckdb.DuckDBPyConnection, run: FlowRun) -> None:
        for table in ("task_attempts", "task_runs", "flow_runs"):
            connection.execute(f"DELETE FROM {table} WHERE run_id = ?", [run.run_id])  # noqa: S608 - fixed names
        connection.execute(
            "INSERT INTO flow_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.flow_name, run.status, json.dumps(run.params, default=str), utc(run.started_at),
             utc(run.ended_at), run.duration_seconds, run.error, str(self.runs_dir / run.run_id)],
        )  # fmt: skip
        tasks = [
            [run.run_id, t.task_id, t.status, t.depends_on, utc(t.started_at), utc(t.ended_at), t.duration_seconds,
             len(t.attempts), t.error]
            for t in run.tasks.values()
        ]  # fmt: skip
        if tasks:
            connection.executemany("INSERT INTO task_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tasks)
        attempts = [
            [
                run.run_id,
                t.task_id,
                a.attempt,
                a.status,
                utc(a.started_at),
                utc(a.ended_at),
                a.duration_seconds,
                a.error,
            ]
            for t in run.tasks.values()
            for a in t.attempts
        ]
        if attempts:
            connection.executemany("INSERT INTO task_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", attempts)

    def runs(
        self, flow: str | None = None, status: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        conditions, values = ["TRUE"], []
        if flow:
            conditions.append("flow_name = ?")
            values.append(flow)
        if status:
            conditions.append("status = ?")
            values.append(status)
        with self.connect() as connection:
            cursor = connection.execute(
                "SELECT run_id, flow_name, status, started_at, ended_at, duration_seconds, error FROM flow_runs"  # noqa: S608 - fixed conditions, bound values
                f" WHERE {' AND '.join(conditions)} ORDER BY started_at DESC, run_id DESC LIMIT ?",
                [*values, limit],
            )
            return _rows(cursor)

    def tasks(self, run_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """(the run, its tasks, their attempts); the run is None when unknown."""
        with self.connect() as connection:
            run = _rows(connection.execute("SELECT * FROM flow_runs WHERE run_id = ?", [run_id]))
            tasks = _rows(
                connection.execute(
                    "SELECT * FROM task_runs WHERE run_id = ? ORDER BY started_at NULLS LAST, task_id",
                    [run_id],
                )
            )
            attempts = _rows(
                connection.execute(
                    "SELECT * FROM task_attempts WHERE run_id = ? ORDER BY task_id, attempt", [run_id]
                )
            )
        return (run[0] if run else None), tasks, attempts


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def utc(moment: datetime | None) -> datetime | None:
    """Naive UTC, as the TIMESTAMP columns hold it (TIMESTAMPTZ would need pytz to read back)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    columns = [column[0] for column in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
