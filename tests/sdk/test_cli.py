"""`dagy run / runs list / runs show / logs` on the example flow, and the errors a user meets."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from dagy.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = f"{ROOT / 'examples' / 'daily_etl.py'}:daily_etl"


def dagy(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_run_shows_progress_and_list_show_logs_find_it(home):
    code, output = dagy("run", EXAMPLE, "--param", "day=2026-01-16")
    assert code == 0, output
    assert "[1/5] succeeded extract" in output and "[5/5] succeeded report" in output
    assert "succeeded in" in output and f"recorded in {home / 'runs'}" in output
    run_id = output.splitlines()[0].split()[1]

    code, failed = dagy("run", EXAMPLE, "--param", "fail=true")
    assert code == 1
    assert "retrying  load" in failed and "failed    load" in failed and "skipped   report" in failed

    code, listing = dagy("runs", "list")
    lines = listing.splitlines()
    assert lines[0].split()[:3] == ["RUN_ID", "FLOW_NAME", "STATUS"] and len(lines) == 3
    assert lines[1].split()[2] == "failed" and lines[2].split()[:3] == [run_id, "daily_etl", "succeeded"]
    assert dagy("runs", "list", "--status", "succeeded", "--limit", "5")[1].count("daily_etl") == 1
    assert dagy("runs", "list", "--flow", "other")[1].splitlines()[1:] == []

    code, shown = dagy("runs", "show", run_id)
    assert code == 0 and f"run {run_id} of daily_etl: succeeded" in shown and '"day": "2026-01-16"' in shown
    assert all(task in shown for task in ("extract", "transform", "count_customers", "load", "report"))

    code, log = dagy("logs", run_id)
    assert code == 0 and "flow succeeded" in log
    code, task_log = dagy("logs", run_id, "--task", "count_customers")
    assert "--- attempt_1.stdout\ncounted 5 customers\n" in task_log  # from the task's subprocess


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "examples/nope.py:daily_etl"], "no such file"),
        (
            ["run", f"{ROOT / 'examples' / 'daily_etl.py'}:nope"],
            "no flow named 'nope'; flows there: daily_etl",
        ),
        (["run", "daily_etl"], "expected path/to/file.py:flow_name"),
        (["run", EXAMPLE, "--param", "region=eu"], "has no parameter(s) region"),
        (["run", EXAMPLE, "--param", "oops"], "--param takes key=value"),
        (["runs", "show", "no_such_run"], "no run no_such_run"),
        (["logs", "no_such_run"], "no run no_such_run"),
    ],
)
def test_errors_are_one_clear_line_and_exit_2(home, capsys, args, message):
    code, _ = dagy(*args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_the_dagy_command_is_installed_with_the_project():
    dagy_command = Path(sys.executable).parent / "dagy"
    result = subprocess.run([str(dagy_command), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "runs" in result.stdout and "logs" in result.stdout
