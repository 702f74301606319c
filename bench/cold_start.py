"""Cold start: import and initialise each handler in fresh interpreters, against bare boto3.

Prints, per handler, the median seconds and the ratio handler / baseline, where the baseline is
`import boto3; boto3.client("dynamodb")`. Run with `make bench`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
GOAL = 1.3

BASELINE = 'import boto3; boto3.client("dynamodb")'
LOAD_HANDLER = (
    "import importlib.util, sys; "
    "spec = importlib.util.spec_from_file_location('handler', sys.argv[1]); "
    "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
)
TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"

# What a deployed function sees, minus real resources: tracing on as in Lambda, one region.
ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "dagy-ops",
    "POWERTOOLS_METRICS_NAMESPACE": "DagyOps",
    "FLOWS_TABLE": "flows",
    "ARTIFACT_BUCKET": "artifacts",
    "EVENTS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/events",
}


def measure(code: str, *args: str, env: dict[str, str] = ENV) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", TIMED.format(code=code), *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    baseline = measure(BASELINE)
    print(f"baseline (boto3 + one client): {baseline:.3f} s, median of {RUNS} fresh processes")
    print(f"{'handler':<16}{'seconds':>9}{'ratio':>8}   goal <= {GOAL}")
    for handler in sorted((ROOT / "lambdas").glob("*/handler.py")):
        seconds = measure(LOAD_HANDLER, str(handler))
        name = handler.parent.name
        print(f"{name:<16}{seconds:>9.3f}{seconds / baseline:>8.2f}")


if __name__ == "__main__":
    main()
