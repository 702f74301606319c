"""One sender per channel type behind one interface: `send(message, channel) -> Attempt`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from dagy_ops.models.channels import ChannelRecord
from dagy_ops.models.events import NotificationMessage
from dagy_ops.notify import render
from dagy_ops.notify.http import HttpResult, TargetClient
from dagy_ops.notify.signing import webhook_headers

# SES errors that trying again can fix; anything else (MessageRejected, bad address...) will not.
_SES_RETRYABLE = {
    "TooManyRequestsException",
    "LimitExceededException",
    "ThrottlingException",
    "InternalFailure",
}


@dataclass(frozen=True)
class Attempt:
    outcome: str
    """sent | retry | failed"""
    http_status: int | None = None
    latency_ms: int = 0
    error: str | None = None
    retry_after_seconds: float | None = None


def classify(result: HttpResult) -> Attempt:
    """2xx sent; 408, 429, 5xx, timeouts and refused connections retried; other 3xx/4xx failed."""
    status = result.status
    if status is None:
        outcome = "retry" if result.retryable else "failed"
    elif 200 <= status < 300:
        outcome = "sent"
    elif status in (408, 429) or status >= 500:
        outcome = "retry"
    else:
        outcome = "failed"
    return Attempt(outcome, status, result.latency_ms, result.error, result.retry_after_seconds)


class Sender(Protocol):
    def send(self, message: NotificationMessage, channel: ChannelRecord) -> Attempt: ...


class SlackSender:
    def __init__(self, http: TargetClient, run_url_base: str | None) -> None:
        self.http = http
        self.run_url_base = run_url_base

    def send(self, message: NotificationMessage, channel: ChannelRecord) -> Attempt:
        body = json.dumps(render.slack_payload(message, self.run_url_base)).encode()
        return classify(self.http.post(channel.config["webhook_url"], body, {}))


class WebhookSender:
    def __init__(self, http: TargetClient, clock: Any = time.time) -> None:
        self.http = http
        self.clock = clock

    def send(self, message: NotificationMessage, channel: ChannelRecord) -> Attempt:
        body = json.dumps(render.webhook_payload(message), separators=(",", ":")).encode()
        signed = webhook_headers(str(channel.signing_secret), delivery_id(message), int(self.clock()), body)
        headers = {**channel.config.get("headers", {}), **signed}
        return classify(self.http.post(channel.config["url"], body, headers))


class PagerDutySender:
    def __init__(self, http: TargetClient, events_url: str) -> None:
        self.http = http
        self.events_url = events_url

    def send(self, message: NotificationMessage, channel: ChannelRecord) -> Attempt:
        event = render.pagerduty_event(
            message, channel.config["routing_key"], channel.config.get("severity", "error")
        )
        return classify(self.http.post(self.events_url, json.dumps(event).encode(), {}))


class EmailSender:
    """SESv2 `SendEmail`; the client is made on the first email, not at cold start."""

    def __init__(self, sesv2: Callable[[], Any], sender: str | None, run_url_base: str | None) -> None:
        self._client = sesv2
        self.sender = sender
        self.run_url_base = run_url_base

    def send(self, message: NotificationMessage, channel: ChannelRecord) -> Attempt:
        if not self.sender:
            return Attempt("failed", error="no sender address configured (DAGY_EMAIL_SENDER)")
        subject, text, html = render.email_content(message, self.run_url_base)
        started = time.monotonic()
        try:
            self._client().send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": channel.config["to"]},
                Content={
                    "Simple": {
                        "Subject": {"Data": subject, "Charset": "UTF-8"},
                        "Body": {
                            "Text": {"Data": text, "Charset": "UTF-8"},
                            "Html": {"Data": html, "Charset": "UTF-8"},
                        },
                    }
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            latency = int((time.monotonic() - started) * 1000)
            return Attempt(
                "retry" if code in _SES_RETRYABLE else "failed", latency_ms=latency, error=f"SES {code}"
            )
        except BotoCoreError as error:
            return Attempt("retry", error=f"SES unreachable: {type(error).__name__}")
        return Attempt("sent", latency_ms=int((time.monotonic() - started) * 1000))


def delivery_id(message: NotificationMessage) -> str:
    """Stable across retries of one notification: the `webhook-id` receivers deduplicate on."""
    return f"dlv_{message.notification_id[:24]}"


def build_senders(
    http: TargetClient, sesv2: Any, email_sender: str | None, pagerduty_url: str, run_url_base: str | None
) -> dict[str, Sender]:
    """The sender of every channel type, as the dispatcher and the channel test endpoint use them."""
    return {
        "slack": SlackSender(http, run_url_base),
        "webhook": WebhookSender(http),
        "pagerduty": PagerDutySender(http, pagerduty_url),
        "email": EmailSender(sesv2, email_sender, run_url_base),
    }
