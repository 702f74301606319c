"""What run_local leaves on disk: the seed's files, atomic JSON, DuckDB rows, crashes, Ctrl-C, two processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from dagy import Flow, run_local
from dagy.history import History

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30

# A flow file the subprocess tests run: `wait` blocks until told to stop (or is interrupted).
FLOW_FILE = """
import time
from pathlib import Path
from dagy import Flow

waiting = Flow("waiting", params={"gate": ""})

@waiting.task
def first():
    return 1

@waiting.task(depends_on=[first])
def wait(first, gate):
    while not Path(gate).exists():
        time.sleep(0.05)
    return first

many = Flow("many", max_workers=8)
for n in range(40):
    many.task(lambda: None, name=f"t{n:02}")
"""


def test_the_seeds_files(home):
    flow = Flow("daily_etl", params={"day": "2026-01-15"})

    @flow.task
    def extract(day):
        print(f"rows for {day}")
        subprocess.run(
            [sys.executable, "-c", "import sys; print('from a subprocess'); print('oops', file=sys.stderr)"],
            check=True,
        )
        return 3

    result = run_local(flow)
    root = home / "runs" / result.run_id
    assert result.path == root
    log = (root / "run.log").read_text().splitlines()
    assert log[0].endswith(f"flow daily_etl run {result.run_id} started with params {{'day': '2026-01-15'}}")
    assert all(line[:4].isdigit() and line[23] == "Z" for line in log)  # each line timestamped
    assert "flow succeeded" in log[-1]

    metadata = json.loads((root / "metadata.json").read_text())
    assert (metadata["run_id"], metadata["flow_name"], metadata["status"], metadata["complete"]) == (
        result.run_id, "daily_etl", "succeeded", True,
    )  # fmt: skip
    assert metadata["tasks"]["extract"]["attempts"][0]["status"] == "succeeded"

    task_dir = root / "task_runs" / "extract"
    assert json.loads((task_dir / "metadata.json").read_text())["status"] == "succeeded"
    assert "succeeded" in (task_dir / "task.log").read_text()
    assert (task_dir / "attempt_1.stdout").read_text() == "rows for 2026-01-15\nfrom a subprocess\n"
    assert (task_dir / "attempt_1.stderr").read_text() == "oops\n"
    assert not list(root.rglob("*.tmp"))  # every JSON file was renamed into place


def test_duckdb_holds_runs_tasks_and_attempts(home):
    flow = Flow("hist")
    calls = [0]

    @flow.task(retries=1)
    def flaky():
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("first try fails")

    @flow.task(depends_on=[flaky])
    def after(flaky):
        raise ValueError("then this")

    result = run_local(flow)
    assert result.in_history
    with duckdb.connect(str(home / "dagy.duckdb"), read_only=True) as db:
        run = db.execute(
            "SELECT flow_name, status, error, duration_seconds > 0, ended_at >= started_at FROM flow_runs"
        ).fetchall()
        tasks = db.execute(
            "SELECT task_id, status, attempts, error FROM task_runs ORDER BY task_id"
        ).fetchall()
        attempts = db.execute(
            "SELECT task_id, attempt, status, error FROM task_attempts ORDER BY task_id, attempt"
        ).fetchall()
    assert run == [("hist", "failed", "task(s) failed: after", True, True)]
    assert tasks == [("after", "failed", 1, "ValueError: then this"), ("flaky", "succeeded", 2, None)]
    assert attempts == [
        ("after", 1, "failed", "ValueError: then this"),
        ("flaky", 1, "failed", "RuntimeError: first try fails"),
        ("flaky", 2, "succeeded", None),
    ]


def _flow_process(
    home: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    (tmp_path / "flows.py").write_text(FLOW_FILE)
    return subprocess.Popen(
        [sys.executable, "-m", "dagy.cli", "--home", str(home), "run", f"{tmp_path / 'flows.py'}:{args[0]}", *args[1:]],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _wait_for_running_task(home: Path, task: str) -> Path:
    """The metadata of the run once `task` is running in it (polled, with a deadline)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for metadata in (home / "runs").glob(f"*/task_runs/{task}/metadata.json"):
            if json.loads(metadata.read_text())["status"] == "running":
                return metadata.parents[2] / "metadata.json"
        time.sleep(0.05)
    raise AssertionError(f"{task} never started")


def test_ctrl_c_cancels_the_run_and_records_it(home, tmp_path):
    process = _flow_process(home, tmp_path, "waiting", "--param", f"gate={tmp_path / 'never'}")
    metadata = _wait_for_running_task(home, "wait")
    assert History(home).runs(status="running")[0]["run_id"] == metadata.parent.name  # listed while it runs
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=DEADLINE_SECONDS)

    assert process.returncode == 130, output
    run = json.loads(metadata.read_text())
    assert (run["status"], run["complete"]) == ("cancelled", True)
    assert run["tasks"]["first"]["status"] == "succeeded"
    assert run["tasks"]["wait"]["status"] == "cancelled"
    assert run["tasks"]["wait"]["attempts"][0]["status"] == "cancelled"
    assert History(home).runs(status="cancelled")[0]["run_id"] == metadata.parent.name


def test_a_crash_mid_run_leaves_a_readable_record_marked_incomplete(home, tmp_path):
    process = _flow_process(home, tmp_path, "waiting", "--param", f"gate={tmp_path / 'never'}")
    metadata = _wait_for_running_task(home, "wait")
    process.kill()
    process.wait(timeout=DEADLINE_SECONDS)

    run = json.loads(metadata.read_text())  # parses: never a half-written file
    assert (run["status"], run["complete"]) == ("running", False)
    assert run["pid"] == process.pid
    assert "task first: succeeded" in (metadata.parent / "run.log").read_text()
    (listed,) = History(home).runs()  # the history says so too, rather than "running" forever
    assert (listed["run_id"], listed["status"]) == (metadata.parent.name, "crashed")
    assert f"pid {process.pid}" in listed["error"]


def test_two_processes_at_once_are_both_recorded(home, tmp_path):
    processes = [_flow_process(home, tmp_path, "many") for _ in range(2)]
    for process in processes:
        output, _ = process.communicate(timeout=DEADLINE_SECONDS * 2)
        assert process.returncode == 0, output
    runs = History(home).runs(flow="many")
    assert len(runs) == 2 and {run["status"] for run in runs} == {"succeeded"}


def test_a_run_finishing_while_another_process_holds_the_database_is_kept_and_loaded_later(home, tmp_path):
    History(home).runs()  # creates the database
    with duckdb.connect(str(home / "dagy.duckdb")):  # holds the write lock, as a long query would
        process = _flow_process(home, tmp_path, "many", env={"DAGY_HISTORY_LOCK_SECONDS": "0.2"})
        output, _ = process.communicate(timeout=DEADLINE_SECONDS)
        assert process.returncode == 0, output
        assert len(list((home / "history" / "pending").glob("*.json"))) == 1
    (run,) = History(home).runs(flow="many")  # the next reader loads it
    assert run["status"] == "succeeded"
    assert not list((home / "history" / "pending").glob("*.json"))
