"""Start the local stack (`python -m local`, what `make dev` runs) once per session, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    process: subprocess.Popen[str]
    base_url: str
    aws_endpoint_url: str
    banner: list[str]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


def start_local_stack(extra_env: dict[str, str] | None = None) -> LocalStack:
    env = {
        **os.environ,
        "DAGY_PORT": str(free_port()),
        "DAGY_AWS_PORT": str(free_port()),
        **(extra_env or {}),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner: list[str] = []
    values: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    assert process.stdout is not None
    while time.monotonic() < deadline and "Ctrl-C" not in "".join(banner[-1:]):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"local stack exited early:\n{''.join(banner)}")
        banner.append(line)
        if "=" in line and line.split("=", 1)[0].isupper():
            key, value = line.strip().split("=", 1)
            values[key] = value
    if "DAGY_API_URL" not in values:
        process.kill()
        raise RuntimeError(f"local stack did not start within the deadline:\n{''.join(banner)}")
    return LocalStack(process, values["DAGY_API_URL"], values["AWS_ENDPOINT_URL"], banner)


@pytest.fixture(scope="session")
def stand_in() -> Iterator[Receiver]:
    """One local HTTP server standing in for PagerDuty's Events API (and any webhook) all session."""
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def local_stack(stand_in: Receiver) -> Iterator[LocalStack]:
    stack = start_local_stack({"DAGY_PAGERDUTY_EVENTS_URL": f"{stand_in.url}/pagerduty"})
    yield stack
    stack.stop()
