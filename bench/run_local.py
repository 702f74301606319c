"""Recording overhead of run_local() per task: a flow of 1,000 no-op tasks.

Three timings of the same functions: called in a plain loop; run by the engine with nothing
recorded; and run by run_local(), which writes the run log, metadata, per-task files and output
captures, and the DuckDB history. Prints the recording overhead per task (goal: below 5 ms).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sdk"))

from dagy import Flow, run_local  # noqa: E402
from dagy.engine import Engine  # noqa: E402
from dagy.model import FlowRun  # noqa: E402

TASKS = int(os.environ.get("BENCH_RUN_LOCAL_TASKS", "1000"))


def noop() -> None:
    return None


def build() -> Flow:
    flow = Flow("bench", max_workers=4)
    for n in range(TASKS):
        flow.task(noop, name=f"task_{n:04}")
    return flow


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    plain = timed(lambda: [noop() for _ in range(TASKS)])
    flow = build()
    engine_only = timed(
        lambda: Engine(flow, FlowRun(run_id="bench", flow_name="bench"), [], lambda *_: None).execute()
    )
    with tempfile.TemporaryDirectory() as home:
        os.environ.pop("DAGY_API_URL", None)
        recorded = timed(lambda: run_local(build(), home=home))
    per_task = (recorded - engine_only) / TASKS * 1000
    print(f"{TASKS} no-op tasks: plain calls {plain * 1000:.1f} ms, engine without recording {engine_only:.2f} s, "
          f"run_local {recorded:.2f} s")  # fmt: skip
    print(f"recording overhead per task: {per_task:.2f} ms (goal < 5 ms); "
          f"scheduling overhead per task: {(engine_only - plain) / TASKS * 1000:.2f} ms; "
          f"run_local / engine: {recorded / engine_only:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
