"""Per-task capture of stdout and stderr, when tasks run concurrently in threads of one process.

`sys.stdout` and `sys.stderr` become routers that write to the files of the attempt running on
the current thread (or to the real stream elsewhere), and a subprocess started from a task
without its own `stdout`/`stderr` inherits the attempt's files, so its output lands there too.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_current = threading.local()
_lock = threading.Lock()
_installed = 0
_originals: dict[str, Any] = {}


class _Router:
    def __init__(self, name: str, fallback: IO[str]) -> None:
        self._name = name
        self._fallback = fallback

    def _target(self) -> IO[str]:
        return getattr(_current, self._name, None) or self._fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, attribute: str) -> Any:  # encoding, isatty, fileno...: the real stream's
        return getattr(self._fallback, attribute)


def _popen_init(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
    for name in ("stdout", "stderr"):
        if kwargs.get(name) is None and getattr(_current, name, None) is not None:
            kwargs[name] = getattr(_current, name)
    _originals["popen_init"](self, *args, **kwargs)


@contextmanager
def installed() -> Iterator[None]:
    """Route output per thread while a run is going on (nested and concurrent runs included)."""
    global _installed
    with _lock:
        if _installed == 0:
            _originals.update(stdout=sys.stdout, stderr=sys.stderr, popen_init=subprocess.Popen.__init__)
            sys.stdout = _Router("stdout", sys.stdout)
            sys.stderr = _Router("stderr", sys.stderr)
            subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]
        _installed += 1
    try:
        yield
    finally:
        with _lock:
            _installed -= 1
            if _installed == 0:
                sys.stdout, sys.stderr = _originals["stdout"], _originals["stderr"]
                subprocess.Popen.__init__ = _originals["popen_init"]  # type: ignore[method-assign]


@contextmanager
def captured(stdout_path: Path, stderr_path: Path) -> Iterator[None]:
    """Send this thread's output (and its subprocesses') to the two files."""
    with open(stdout_path, "w", buffering=1) as out, open(stderr_path, "w", buffering=1) as err:
        _current.stdout, _current.stderr = out, err
        try:
            yield
        finally:
            _current.stdout = _current.stderr = None
