"""Flows and tasks: a DAG of Python functions, declared with decorators.

    etl = Flow("daily_etl", params={"day": "2026-01-15"}, max_workers=4)

    @etl.task(retries=2, retry_delay_seconds=1)
    def extract(day: str) -> list[dict]: ...

    @etl.task(depends_on=[extract])
    def transform(extract: list[dict]) -> list[dict]: ...

A task's parameters are filled by name: the result of a dependency with that name, else the
flow parameter with that name, else the function's default.
"""

from __future__ import annotations

import graphlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class FlowError(ValueError):
    """A flow that cannot run as declared; the message says what to change."""


class CycleError(FlowError):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(f"tasks depend on each other in a cycle: {' -> '.join(cycle)}")


@dataclass(eq=False)
class Task:
    fn: Callable[..., Any]
    name: str
    depends_on: tuple[str, ...] = ()
    retries: int = 0
    retry_delay_seconds: float = 0.0
    timeout_seconds: float | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calling a task calls its function: tasks stay testable as plain functions."""
        return self.fn(*args, **kwargs)

    def arguments(self, results: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        for name, parameter in inspect.signature(self.fn).parameters.items():
            if name in self.depends_on:
                bound[name] = results[name]
            elif name in params:
                bound[name] = params[name]
            elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            ):
                raise FlowError(f"task {self.name}: no dependency or flow parameter named {name!r}")
        return bound


@dataclass(eq=False)
class Flow:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    max_workers: int = 4
    tasks: dict[str, Task] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise FlowError(f"flow name {self.name!r} must match {NAME.pattern}")
        if self.max_workers < 1:
            raise FlowError("max_workers must be at least 1")

    def task(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        depends_on: Iterable[Task | str] = (),
        retries: int = 0,
        retry_delay_seconds: float = 0.0,
        timeout_seconds: float | None = None,
    ) -> Any:
        """Add a function as a task: `@flow.task` or `@flow.task(depends_on=[...], retries=2)`."""

        def add(fn: Callable[..., Any]) -> Task:
            task = Task(
                fn=fn,
                name=name or fn.__name__,
                depends_on=tuple(d.name if isinstance(d, Task) else d for d in depends_on),
                retries=retries,
                retry_delay_seconds=retry_delay_seconds,
                timeout_seconds=timeout_seconds,
            )
            if not NAME.fullmatch(task.name):
                raise FlowError(f"task name {task.name!r} must match {NAME.pattern}")
            if task.name in self.tasks:
                raise FlowError(f"flow {self.name} already has a task named {task.name}")
            if task.retries < 0 or task.retry_delay_seconds < 0 or (task.timeout_seconds or 1) <= 0:
                raise FlowError(f"task {task.name}: retries and delays must be >= 0, timeouts > 0")
            self.tasks[task.name] = task
            return task

        return add(fn) if fn is not None else add

    def order(self) -> list[str]:
        """Tasks in an order that runs every dependency first; refuses unknown names and cycles."""
        for task in self.tasks.values():
            unknown = [d for d in task.depends_on if d not in self.tasks]
            if unknown:
                raise FlowError(f"task {task.name} depends on unknown task(s): {', '.join(unknown)}")
        sorter = graphlib.TopologicalSorter({t.name: t.depends_on for t in self.tasks.values()})
        try:
            return list(sorter.static_order())
        except graphlib.CycleError as error:
            raise CycleError(list(reversed(error.args[1]))) from None

    def dependants(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {name: [] for name in self.tasks}
        for task in self.tasks.values():
            for dependency in task.depends_on:
                found[dependency].append(task.name)
        return found
