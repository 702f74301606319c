"""`dagy`: run a flow with a live view of its tasks, list and show past runs, read their logs."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from dagy.engine import Listener
from dagy.files import dagy_home
from dagy.flow import Flow, FlowError
from dagy.history import History, HistoryLocked
from dagy.local import run_local
from dagy.model import Attempt, FlowRun, TaskRun
from dagy.recorder import RunFiles

EXIT = {"succeeded": 0, "failed": 1, "cancelled": 130}


class Progress(Listener):
    """A live line per task change and a running count, on the terminal the user started."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def _line(self, run: FlowRun, text: str) -> None:
        done = sum(t.status in ("succeeded", "failed", "skipped", "cancelled") for t in run.tasks.values())
        print(f"[{done}/{len(run.tasks)}] {text}", file=self.out, flush=True)

    def flow_started(self, run: FlowRun) -> None:
        print(f"run {run.run_id} of {run.flow_name}: {len(run.tasks)} tasks", file=self.out, flush=True)

    def task_started(self, run: FlowRun, task: TaskRun, attempt: Attempt) -> None:
        again = f" (attempt {attempt.attempt})" if attempt.attempt > 1 else ""
        self._line(run, f"running   {task.task_id}{again}")

    def task_retrying(self, run: FlowRun, task: TaskRun, attempt: Attempt, delay: float) -> None:
        self._line(run, f"retrying  {task.task_id} in {delay:g}s: {attempt.error}")

    def task_ended(self, run: FlowRun, task: TaskRun) -> None:
        took = f" {task.duration_seconds:.2f}s" if task.duration_seconds is not None else ""
        why = f": {task.error}" if task.error and task.status != "succeeded" else ""
        self._line(run, f"{task.status:<9} {task.task_id}{took}{why}")

    def flow_ended(self, run: FlowRun) -> None:
        print(
            f"{run.status} in {run.duration_seconds:.2f}s" + (f": {run.error}" if run.error else ""),
            file=self.out,
            flush=True,
        )


def load_flow(target: str) -> Flow:
    """`path/to/file.py:flow_name` -> the Flow object of that name in that file."""
    path_text, _, name = target.rpartition(":")
    if not path_text or not name:
        raise FlowError(f"expected path/to/file.py:flow_name, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise FlowError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))  # the flow's own imports, as `python file.py` would
    spec.loader.exec_module(module)
    flow = getattr(module, name, None)
    if not isinstance(flow, Flow):
        found = sorted(k for k, v in vars(module).items() if isinstance(v, Flow))
        raise FlowError(f"{path} has no flow named {name!r}; flows there: {', '.join(found) or 'none'}")
    return flow


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that reads as JSON (a number, true, a list) is taken as such."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise FlowError(f"--param takes key=value, got {pair!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def table(rows: list[dict[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="dagy", description=__doc__)
    parser.add_argument("--home", help="where runs are recorded (default $DAGY_HOME or ~/.dagy)")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a flow here, with a live view of its tasks")
    run.add_argument("target", help="path/to/file.py:flow_name")
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    runs = commands.add_parser("runs", help="past runs").add_subparsers(dest="runs_command", required=True)
    listing = runs.add_parser("list", help="runs, newest first")
    listing.add_argument("--flow")
    listing.add_argument("--status", choices=["running", "succeeded", "failed", "cancelled", "crashed"])
    listing.add_argument("--limit", type=int, default=20)
    show = runs.add_parser("show", help="one run: its tasks, attempts and durations")
    show.add_argument("run_id")
    logs = commands.add_parser("logs", help="a run's log, or one task's log and output")
    logs.add_argument("run_id")
    logs.add_argument("--task")
    args = parser.parse_args(argv)
    home = dagy_home(args.home)
    try:
        if args.command == "run":
            result = run_local(
                load_flow(args.target), parse_params(args.param), home=home, listeners=[Progress(out)]
            )
            print(f"recorded in {result.path}", file=out)
            return EXIT[result.status]
        if args.command == "logs":
            return show_logs(home, args.run_id, args.task, out)
        history = History(home)
        if args.runs_command == "list":
            rows = history.runs(args.flow, args.status, args.limit)
            table(rows, ["run_id", "flow_name", "status", "started_at", "duration_seconds", "error"], out)
            return 0
        return show_run(history, args.run_id, out)
    except (FlowError, HistoryLocked) as error:
        print(f"dagy: {error}", file=sys.stderr)
        return 2


def show_run(history: History, run_id: str, out: TextIO) -> int:
    run, tasks, attempts = history.tasks(run_id)
    if run is None:
        print(f"dagy: no run {run_id} in the history", file=sys.stderr)
        return 2
    print(
        f"run {run['run_id']} of {run['flow_name']}: {run['status']} in {_cell(run['duration_seconds'])}s",
        file=out,
    )
    print(f"params {run['params']}; files in {run['run_dir']}", file=out)
    if run["error"]:
        print(f"error: {run['error']}", file=out)
    print(file=out)
    table(tasks, ["task_id", "status", "attempts", "started_at", "duration_seconds", "error"], out)
    print(file=out)
    table(attempts, ["task_id", "attempt", "status", "duration_seconds", "error"], out)
    return 0


def show_logs(home: Path, run_id: str, task: str | None, out: TextIO) -> int:
    files = RunFiles(home, run_id)
    if not files.root.is_dir():
        print(f"dagy: no run {run_id} under {home / 'runs'}", file=sys.stderr)
        return 2
    if task is None:
        out.write(files.log.read_text(encoding="utf-8"))
        return 0
    directory = files.task_dir(task)
    if not directory.is_dir():
        print(f"dagy: run {run_id} has no task {task}", file=sys.stderr)
        return 2
    out.write((directory / "task.log").read_text(encoding="utf-8"))
    attempts = sorted(directory.glob("attempt_*.std*"), key=lambda p: (int(p.stem.split("_")[1]), p.suffix))
    for path in attempts:
        text = path.read_text(encoding="utf-8")
        if text:
            print(f"--- {path.name}", file=out)
            out.write(text if text.endswith("\n") else text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
