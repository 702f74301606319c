"""The run's files, as the Dagy operations page lists them:

    <home>/runs/<run_id>/run.log                 timestamped run log
    <home>/runs/<run_id>/metadata.json           run and task metadata
    <home>/runs/<run_id>/task_runs/<task_id>/    task.log, metadata.json, attempt_<n>.stdout/.stderr

JSON files are replaced atomically; log lines are appended whole. The run's metadata.json is
rewritten at most every `METADATA_INTERVAL_SECONDS` while tasks end (and always at the start and
the end), so a flow of thousands of tasks does not rewrite it thousands of times.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from dagy.engine import Listener
from dagy.files import write_model
from dagy.model import Attempt, FlowRun, TaskRun

METADATA_INTERVAL_SECONDS = 0.5


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class RunFiles:
    """Paths of one run's record."""

    def __init__(self, home: Path, run_id: str) -> None:
        self.root = home / "runs" / run_id
        self.log = self.root / "run.log"
        self.metadata = self.root / "metadata.json"

    def task_dir(self, task_id: str) -> Path:
        return self.root / "task_runs" / task_id

    def attempt_output(self, task_id: str, attempt: int) -> tuple[Path, Path]:
        directory = self.task_dir(task_id)
        return directory / f"attempt_{attempt}.stdout", directory / f"attempt_{attempt}.stderr"


class Recorder(Listener):
    def __init__(self, files: RunFiles) -> None:
        self.files = files
        self._metadata_written = 0.0

    def _log(self, path: Path, moment: datetime, message: str) -> None:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{stamp(moment)} {message}\n")

    def _run_log(self, moment: datetime, message: str) -> None:
        self._log(self.files.log, moment, message)

    def _task(self, task: TaskRun, moment: datetime, message: str) -> None:
        directory = self.files.task_dir(task.task_id)
        self._log(directory / "task.log", moment, message)
        write_model(directory / "metadata.json", task)
        self._run_log(moment, f"task {task.task_id}: {message}")

    def _metadata(self, run: FlowRun, force: bool = False) -> None:
        if force or time.monotonic() - self._metadata_written >= METADATA_INTERVAL_SECONDS:
            write_model(self.files.metadata, run)
            self._metadata_written = time.monotonic()

    def flow_started(self, run: FlowRun) -> None:
        (self.files.root / "task_runs").mkdir(parents=True, exist_ok=True)
        for task_id in run.tasks:
            self.files.task_dir(task_id).mkdir(exist_ok=True)
        self._run_log(
            run.started_at, f"flow {run.flow_name} run {run.run_id} started with params {run.params}"
        )
        self._metadata(run, force=True)

    def task_started(self, run: FlowRun, task: TaskRun, attempt: Attempt) -> None:
        self._task(task, attempt.started_at, f"attempt {attempt.attempt} started")

    def task_retrying(self, run: FlowRun, task: TaskRun, attempt: Attempt, delay: float) -> None:
        assert attempt.ended_at is not None
        self._task(
            task,
            attempt.ended_at,
            f"attempt {attempt.attempt} {attempt.status}: {attempt.error}; retrying in {delay:g}s",
        )

    def task_ended(self, run: FlowRun, task: TaskRun) -> None:
        assert task.ended_at is not None
        took = f" in {task.duration_seconds:.3f}s" if task.duration_seconds is not None else ""
        self._task(task, task.ended_at, f"{task.status}{took}" + (f": {task.error}" if task.error else ""))
        self._metadata(run)

    def flow_ended(self, run: FlowRun) -> None:
        assert run.ended_at is not None
        self._run_log(
            run.ended_at,
            f"flow {run.status} in {run.duration_seconds:.3f}s" + (f": {run.error}" if run.error else ""),
        )
        self._metadata(run, force=True)
