"""`make dev`: moto as the AWS endpoint, every resource from the schema spec, the API on 127.0.0.1.

Stays in the foreground until Ctrl-C (or SIGTERM) and then stops every server it started.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import warnings

import boto3
from moto.server import ThreadedMotoServer

from dagy_ops.audit import STREAM_FILTERS
from dagy_ops.schema import AUDIT_FAILURES_QUEUE, AUDITED_TABLES, EVENTS_QUEUE, NOTIFICATIONS_QUEUE
from local.admin import admin_token
from local.functions import FunctionRegistry
from local.gateway import Gateway, make_server
from local.queues import QueuePoller, SweepSchedule
from local.resources import create_resources
from local.streams import StreamPoller, StreamSource

HOST = "127.0.0.1"


def local_environment(aws_port: int) -> dict[str, str]:
    """What the handlers see locally instead of Lambda's environment."""
    return {
        "AWS_ENDPOINT_URL": f"http://{HOST}:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "POWERTOOLS_SERVICE_NAME": "dagy-ops",
        "POWERTOOLS_METRICS_NAMESPACE": "DagyOps",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        "DAGY_ALLOW_PRIVATE_TARGETS": "true",
        "DAGY_EMAIL_SENDER": os.environ.get("DAGY_EMAIL_SENDER", "alerts@dagy.local"),
        # Rules are cached per org between evaluations (30 s deployed); locally a new rule applies at once.
        "DAGY_RULES_CACHE_SECONDS": os.environ.get("DAGY_RULES_CACHE_SECONDS", "0"),
    }


def audit_stream_poller(functions: FunctionRegistry) -> StreamPoller:
    """The audited tables' streams feed the audit writer, as the CDK event source mappings do."""
    sources = [
        StreamSource(
            table_name=os.environ[spec.env_var],
            filters=STREAM_FILTERS[spec.logical_id],
            function="audit_writer",
            on_failure_queue_url=os.environ[AUDIT_FAILURES_QUEUE.env_var],
        )
        for spec in AUDITED_TABLES
    ]
    return StreamPoller(
        sources, functions, boto3.client("dynamodb"), boto3.client("dynamodbstreams"), boto3.client("sqs")
    )


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def main() -> int:
    aws_port = int(os.environ.get("DAGY_AWS_PORT", "4566"))
    api_port = int(os.environ.get("DAGY_PORT", "8080"))
    busy = [
        f"{name}={port}"
        for name, port in (("DAGY_AWS_PORT", aws_port), ("DAGY_PORT", api_port))
        if port_in_use(port)
    ]
    if busy:
        print(
            f"Port already in use: {', '.join(busy)}. Stop the other program or set another port.",
            file=sys.stderr,
        )
        return 1
    os.environ.update(local_environment(aws_port))

    # Powertools warns on every invocation that publishes no metric; Lambda logs would show it once.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every AWS call
    emulator = ThreadedMotoServer(ip_address=HOST, port=aws_port, verbose=False)
    emulator.start()

    os.environ.update(create_resources())
    boto3.client("sesv2").create_email_identity(EmailIdentity=os.environ["DAGY_EMAIL_SENDER"])
    token = admin_token(secret=os.environ.get("DAGY_ADMIN_TOKEN"))
    functions = FunctionRegistry()
    server = make_server(HOST, api_port, Gateway(functions))
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
    sqs = boto3.client("sqs")
    pollers: list[QueuePoller | SweepSchedule | StreamPoller] = [
        audit_stream_poller(functions),
        QueuePoller(sqs, os.environ[EVENTS_QUEUE.env_var], functions, "evaluator"),
        QueuePoller(sqs, os.environ[NOTIFICATIONS_QUEUE.env_var], functions, "dispatcher"),
        SweepSchedule(
            sqs, os.environ[EVENTS_QUEUE.env_var], float(os.environ.get("DAGY_SLA_SWEEP_SECONDS", "60"))
        ),
    ]
    for poller in pollers:
        poller.start()

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    base = f"http://{HOST}:{api_port}"
    print(
        f"Dagy Ops local stack is up.\n"
        f"DAGY_API_URL={base}\n"
        f"DAGY_TOKEN={token}\n"
        f"AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']}\n"
        f"\n  curl {base}/health\n"
        f'  curl {base}/notifications/channels -H "Authorization: Bearer {token}"\n'
        f'  curl {base}/metrics -H "Authorization: Bearer {token}"\n'
        f"  .venv/bin/dagy run examples/daily_etl.py:daily_etl   (alerts here with DAGY_API_URL and DAGY_API_TOKEN set)\n"
        f"  open {base}/docs for the API reference\n\n"
        f"Ctrl-C stops it.",
        flush=True,
    )
    stop.wait()
    print("Stopping the local stack...", flush=True)
    server.shutdown()
    server.server_close()
    for poller in pollers:
        poller.stop()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
