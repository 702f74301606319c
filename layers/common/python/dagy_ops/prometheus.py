"""An org's counters in the Prometheus text exposition format, through prometheus_client.

Built per scrape from the counter items the evaluator and dispatcher keep (see `dagy_ops.stats`),
so a scrape reads one item per flow and never a run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import get_args

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from dagy_ops.models.runs import RunStatusView
from dagy_ops.stats import TERMINAL, FlowStats, OrgStats, latest_run_status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class OrgCollector(Collector):
    def __init__(
        self,
        org: OrgStats,
        flows: Sequence[FlowStats],
        version: str,
        now: datetime,
        stale_after: timedelta,
    ) -> None:
        self.org = org
        self.flows = sorted(flows, key=lambda stats: stats.flow_name)
        self.version = version
        self.now = now
        self.stale_after = stale_after

    def collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "dagy_flow_runs",
            "Flow runs by the terminal status they reached, all time",
            labels=["flow", "status"],
        )
        last_status = GaugeMetricFamily(
            "dagy_flow_last_run_status",
            "Status of each flow's latest run: 1 for its status, 0 for the others",
            labels=["flow", "status"],
        )
        duration = GaugeMetricFamily(
            "dagy_flow_run_duration_seconds", "Duration of each flow's last finished run", labels=["flow"]
        )
        breaches = CounterMetricFamily(
            "dagy_sla_breaches", "SLA breaches detected, all time", labels=["flow"]
        )
        for stats in self.flows:
            for status in TERMINAL:
                runs.add_metric([stats.flow_name, status], stats.runs_total(status))
            current = latest_run_status(stats, self.now, self.stale_after)
            if current is not None:
                for status in get_args(RunStatusView):
                    last_status.add_metric([stats.flow_name, status], int(status == current))
            if stats.last_duration_seconds is not None:
                duration.add_metric([stats.flow_name], stats.last_duration_seconds)
            breaches.add_metric([stats.flow_name], stats.sla_breaches)
        yield runs
        yield GaugeMetricFamily(
            "dagy_flow_runs_running",
            "Runs started and not finished, not counting stale ones",
            value=sum(max(stats.running, 0) for stats in self.flows),
        )
        yield last_status
        yield duration
        yield breaches
        notifications = CounterMetricFamily(
            "dagy_notifications",
            "Notification delivery attempts by outcome",
            labels=["channel_type", "outcome"],
        )
        for key, value in sorted(self.org.notifications.items()):
            channel_type, _, outcome = key.partition(".")
            notifications.add_metric([channel_type, outcome], value)
        yield notifications
        yield CounterMetricFamily(
            "dagy_events_dead_lettered",
            "Run events moved to the dead-letter queue because they can never be processed",
            value=self.org.events_dead_lettered,
        )
        yield InfoMetricFamily("dagy_build", "Dagy Ops build", value={"version": self.version})


def exposition(
    org: OrgStats, flows: Sequence[FlowStats], version: str, now: datetime, stale_after: timedelta
) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OrgCollector(org, flows, version, now, stale_after))
    return generate_latest(registry).decode()
