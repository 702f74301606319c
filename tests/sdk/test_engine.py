"""Flows as DAGs: order, results passed on, concurrency, retries, timeouts, skips, cycles."""

from __future__ import annotations

import threading

import pytest

from dagy import CycleError, Flow, FlowError, run_local


def test_dependencies_run_first_and_their_results_are_passed_on(home):
    flow = Flow("etl", params={"day": "2026-01-15"})
    order: list[str] = []

    @flow.task
    def extract(day):
        order.append("extract")
        return [day, day]

    @flow.task(depends_on=[extract])
    def transform(extract):
        order.append("transform")
        return len(extract)

    @flow.task(depends_on=["transform", extract])
    def load(transform, extract, day):
        order.append("load")
        return f"{transform} rows of {day}"

    result = run_local(flow, {"day": "2026-01-16"})
    assert result.status == "succeeded"
    assert order == ["extract", "transform", "load"]
    assert result.results["load"] == "2 rows of 2026-01-16"
    assert extract("x") == ["x", "x"]  # a task is still a plain function


def test_independent_tasks_run_concurrently_up_to_max_workers(home):
    flow = Flow("fan_out", max_workers=3)
    running, peak, lock = [0], [0], threading.Lock()
    all_started = threading.Barrier(3, timeout=10)  # fails unless three run at the same time

    def work():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        all_started.wait()
        with lock:
            running[0] -= 1

    for n in range(6):
        flow.task(work, name=f"t{n}")
    result = run_local(flow)
    assert result.status == "succeeded"
    assert peak[0] == 3


def test_retries_capture_each_attempt(home):
    flow = Flow("flaky")
    calls = [0]

    @flow.task(retries=2, retry_delay_seconds=0.01)
    def fetch():
        calls[0] += 1
        print(f"attempt {calls[0]}")
        if calls[0] < 3:
            raise ConnectionError(f"refused #{calls[0]}")
        return "ok"

    result = run_local(flow)
    task = result.run.tasks["fetch"]
    assert result.status == "succeeded" and task.status == "succeeded"
    assert [(a.attempt, a.status, a.error) for a in task.attempts] == [
        (1, "failed", "ConnectionError: refused #1"),
        (2, "failed", "ConnectionError: refused #2"),
        (3, "succeeded", None),
    ]
    task_dir = result.path / "task_runs" / "fetch"
    assert [(task_dir / f"attempt_{n}.stdout").read_text() for n in (1, 2, 3)] == [
        f"attempt {n}\n" for n in (1, 2, 3)
    ]
    assert "ConnectionError: refused #1" in (task_dir / "attempt_1.stderr").read_text()  # the traceback


def test_a_task_past_its_timeout_fails_and_is_retried(home):
    flow = Flow("slow")
    release = threading.Event()
    calls = [0]

    @flow.task(timeout_seconds=0.2, retries=1)
    def hang():
        calls[0] += 1
        if calls[0] == 1:
            release.wait(30)  # hangs until the test ends
        return "second try"

    result = run_local(flow)
    release.set()
    attempts = result.run.tasks["hang"].attempts
    assert [a.status for a in attempts] == ["timed_out", "succeeded"]
    assert attempts[0].error == "TimeoutError: no result after 0.2s"
    assert result.results["hang"] == "second try"


def test_a_failed_task_skips_its_dependants_and_the_rest_go_on(home):
    flow = Flow("partial")

    @flow.task
    def broken():
        raise ValueError("bad row")

    @flow.task(depends_on=[broken])
    def after():
        return 1

    @flow.task(depends_on=[after])
    def after_after():
        return 2

    @flow.task
    def independent():
        return "done"

    result = run_local(flow)
    statuses = {name: task.status for name, task in result.run.tasks.items()}
    assert statuses == {
        "broken": "failed",
        "after": "skipped",
        "after_after": "skipped",
        "independent": "succeeded",
    }
    assert result.status == "failed" and result.run.error == "task(s) failed: broken"
    assert result.run.tasks["after_after"].error == "upstream task broken did not succeed"  # the cause


def test_cycles_are_refused_naming_them_before_anything_runs(home):
    flow = Flow("loop")
    flow.task(lambda: 1, name="a", depends_on=["c"])
    flow.task(lambda: 1, name="b", depends_on=["a"])
    flow.task(lambda: 1, name="c", depends_on=["b"])
    flow.task(lambda: 1, name="d")

    with pytest.raises(CycleError) as raised:
        run_local(flow)
    assert set(raised.value.cycle) == {"a", "b", "c"} and raised.value.cycle[0] == raised.value.cycle[-1]
    assert "cycle: " in str(raised.value)
    assert not (home / "runs").exists()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda f: f.task(lambda: 1, name="a", depends_on=["missing"]), r"unknown task\(s\): missing"),
        (lambda f: [f.task(lambda: 1, name="a"), f.task(lambda: 1, name="a")], "already has a task named a"),
        (lambda f: f.task(lambda: 1, name="bad name"), "task name 'bad name'"),
        (lambda f: f.task(lambda: 1, name="a", retries=-1), "retries and delays must be >= 0"),
    ],
)
def test_badly_declared_flows_say_what_to_change(home, build, message):
    flow = Flow("bad")
    with pytest.raises(FlowError, match=message):
        build(flow)
        run_local(flow)


def test_unknown_parameters_and_unbound_arguments(home):
    flow = Flow("p", params={"day": "x"})

    @flow.task
    def needs(day, region):
        return day

    with pytest.raises(FlowError, match="no parameter"):
        run_local(flow, {"dya": "typo"})
    result = run_local(flow)  # `region` is neither a dependency nor a parameter: the task fails
    assert (
        result.run.tasks["needs"].error
        == "FlowError: task needs: no dependency or flow parameter named 'region'"
    )
