"""Runs a flow's DAG: ready tasks concurrently up to `max_workers`, retries with their delay,
timeouts, dependants of a failed task skipped, Ctrl-C cancelling the run.

One scheduler loop on the calling thread owns all state; each attempt runs on a daemon thread
and reports back through a queue. A timed-out attempt's thread cannot be killed: it is
abandoned (its late answer is ignored) and the task goes on to its next attempt.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dagy import capture
from dagy.flow import Flow
from dagy.model import Attempt, FlowRun, TaskRun

# How long the loop may block, so Ctrl-C is seen promptly on every platform.
_TICK_SECONDS = 0.2


class Listener:
    """What a run reports as it goes; recorders, forwarders and progress views override these."""

    def flow_started(self, run: FlowRun) -> None: ...
    def task_started(self, run: FlowRun, task: TaskRun, attempt: Attempt) -> None: ...
    def task_retrying(self, run: FlowRun, task: TaskRun, attempt: Attempt, delay: float) -> None: ...
    def task_ended(self, run: FlowRun, task: TaskRun) -> None: ...
    def flow_ended(self, run: FlowRun) -> None: ...


CaptureDir = Callable[[str, int], tuple[Path, Path] | None]
"""(task_id, attempt) -> (stdout file, stderr file), or None to leave output alone."""


class Engine:
    def __init__(
        self, flow: Flow, run: FlowRun, listeners: Sequence[Listener], capture_paths: CaptureDir
    ) -> None:
        self.flow = flow
        self.run = run
        self.listeners = listeners
        self.capture_paths = capture_paths
        self.results: dict[str, Any] = {}
        self.reports: queue.Queue[tuple[str, int, bool, Any]] = queue.Queue()
        self.order = flow.order()
        self.waiting_on = {name: set(flow.tasks[name].depends_on) for name in self.order}
        self.dependants = flow.dependants()
        self.ready: list[str] = [name for name in self.order if not self.waiting_on[name]]
        self.delayed: list[tuple[float, int, str]] = []  # (monotonic time, tiebreak, task) to retry
        self.running: dict[str, tuple[int, float | None]] = {}  # task -> (attempt, deadline)
        self._tiebreak = itertools.count()
        for name in self.order:
            run.tasks[name] = TaskRun(task_id=name, depends_on=list(flow.tasks[name].depends_on))

    def _emit(self, event: str, *args: Any) -> None:
        for listener in self.listeners:
            getattr(listener, event)(self.run, *args)

    def execute(self) -> FlowRun:
        self._emit("flow_started")
        try:
            while self.ready or self.delayed or self.running:
                self._step()
        except KeyboardInterrupt:
            self._cancel()
            self.run.end("cancelled", "cancelled by the user (Ctrl-C)")
        else:
            failed = sorted(t.task_id for t in self.run.tasks.values() if t.status == "failed")
            if failed:
                self.run.end("failed", f"task(s) failed: {', '.join(failed)}")
            else:
                self.run.end("succeeded")
        self._emit("flow_ended")
        return self.run

    def _step(self) -> None:
        now = time.monotonic()
        while self.delayed and self.delayed[0][0] <= now:
            self.ready.append(heapq.heappop(self.delayed)[2])
        while self.ready and len(self.running) < self.flow.max_workers:
            self._start(self.ready.pop(0))
        for name, (_, deadline) in list(self.running.items()):
            if deadline is not None and deadline <= now:
                timeout = self.flow.tasks[name].timeout_seconds
                self._attempt_failed(name, "timed_out", f"TimeoutError: no result after {timeout:g}s")
        wakeups = [deadline for _, deadline in self.running.values() if deadline is not None]
        wakeups += [self.delayed[0][0]] if self.delayed else []
        wait = min([_TICK_SECONDS, *(t - now for t in wakeups)])
        try:
            name, attempt, ok, value = self.reports.get(timeout=max(wait, 0))
        except queue.Empty:
            return
        if self.running.get(name, (None,))[0] != attempt:
            return  # an abandoned (timed-out) attempt answering late
        if ok:
            self._succeeded(name, value)
        else:
            self._attempt_failed(name, "failed", value)

    def _start(self, name: str) -> None:
        task, state = self.flow.tasks[name], self.run.tasks[name]
        attempt = Attempt(attempt=len(state.attempts) + 1)
        state.attempts.append(attempt)
        state.status = "running"
        state.started_at = state.started_at or attempt.started_at
        deadline = time.monotonic() + task.timeout_seconds if task.timeout_seconds else None
        self.running[name] = (attempt.attempt, deadline)
        self._emit("task_started", state, attempt)
        try:
            arguments = task.arguments(self.results, self.run.params)
        except Exception as error:
            self.reports.put((name, attempt.attempt, False, f"{type(error).__name__}: {error}"))
            return
        paths = self.capture_paths(name, attempt.attempt)
        threading.Thread(
            target=self._call,
            args=(name, attempt.attempt, task.fn, arguments, paths),
            name=f"dagy-{name}-{attempt.attempt}",
            daemon=True,
        ).start()

    def _call(
        self,
        name: str,
        attempt: int,
        fn: Callable[..., Any],
        arguments: Mapping[str, Any],
        paths: tuple[Path, Path] | None,
    ) -> None:
        if paths is None:
            self._report(name, attempt, fn, arguments)
            return
        with capture.captured(*paths):
            self._report(name, attempt, fn, arguments)

    def _report(self, name: str, attempt: int, fn: Callable[..., Any], arguments: Mapping[str, Any]) -> None:
        try:
            result = fn(**arguments)
        except BaseException as error:
            traceback.print_exc()  # into the attempt's stderr capture
            self.reports.put((name, attempt, False, f"{type(error).__name__}: {error}"))
        else:
            self.reports.put((name, attempt, True, result))

    def _succeeded(self, name: str, result: Any) -> None:
        del self.running[name]
        state = self.run.tasks[name]
        state.attempts[-1].end("succeeded")
        state.end("succeeded")
        self.results[name] = result
        self._emit("task_ended", state)
        for dependant in self.dependants[name]:
            self.waiting_on[dependant].discard(name)
            if not self.waiting_on[dependant]:
                self.ready.append(dependant)

    def _attempt_failed(self, name: str, status: str, error: str) -> None:
        del self.running[name]
        task, state = self.flow.tasks[name], self.run.tasks[name]
        attempt = state.attempts[-1]
        attempt.end(status, error)  # type: ignore[arg-type]
        if len(state.attempts) <= task.retries:
            state.status = "retrying"
            self._emit("task_retrying", state, attempt, task.retry_delay_seconds)
            heapq.heappush(
                self.delayed, (time.monotonic() + task.retry_delay_seconds, next(self._tiebreak), name)
            )
            return
        state.end("failed", error)
        self._emit("task_ended", state)
        self._skip_dependants(name)

    def _skip_dependants(self, failed: str) -> None:
        stack = list(self.dependants[failed])
        while stack:
            state = self.run.tasks[stack.pop()]
            if state.status == "pending":
                state.end("skipped", f"upstream task {failed} did not succeed")
                self._emit("task_ended", state)
                stack += self.dependants[state.task_id]

    def _cancel(self) -> None:
        for name in self.running:
            self.run.tasks[name].attempts[-1].end("cancelled", "cancelled by the user")
        for state in self.run.tasks.values():
            if state.status in ("pending", "running", "retrying"):
                state.end("cancelled", "cancelled by the user (Ctrl-C)")
                self._emit("task_ended", state)
        self.running.clear()
        self.ready.clear()
        self.delayed.clear()
