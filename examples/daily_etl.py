"""An example flow: extract, transform and load yesterday's orders, with a report beside them.

dagy run examples/daily_etl.py:daily_etl --param day=2026-01-15
dagy run examples/daily_etl.py:daily_etl --param fail=true     # load fails: alerts fire
"""

from __future__ import annotations

import subprocess
import sys

from dagy import Flow

daily_etl = Flow("daily_etl", params={"day": "2026-01-15", "fail": False}, max_workers=4)


@daily_etl.task(retries=2, retry_delay_seconds=0.2, timeout_seconds=30)
def extract(day: str) -> list[dict]:
    print(f"extracting orders for {day}")
    return [{"order_id": n, "amount": 10.0 * n, "day": day} for n in range(1, 6)]


@daily_etl.task(depends_on=[extract])
def transform(extract: list[dict]) -> list[dict]:
    rows = [row | {"amount_cents": int(row["amount"] * 100)} for row in extract]
    print(f"transformed {len(rows)} rows")
    return rows


@daily_etl.task(depends_on=[extract])
def count_customers(extract: list[dict]) -> int:
    # Output of a subprocess a task starts is captured with the task's.
    subprocess.run([sys.executable, "-c", f"print('counted {len(extract)} customers')"], check=True)  # noqa: S603
    return len(extract)


@daily_etl.task(depends_on=[transform], retries=1)
def load(transform: list[dict], fail: bool) -> int:
    if fail:
        raise RuntimeError("warehouse refused the load: KeyError 'customer_id'")
    print(f"loaded {len(transform)} rows")
    return len(transform)


@daily_etl.task(depends_on=[load, count_customers])
def report(load: int, count_customers: int) -> str:
    summary = f"{load} orders from {count_customers} customers"
    print(summary)
    return summary
