"""The dispatcher: send one notification through its channel, record the attempt, decide what next.

Outcomes: `sent`; `retrying` (5xx, 408, 429, timeouts, refused connections: the message comes back
after a backoff); `failed` (other 3xx/4xx, refused targets, deleted channels: never retried);
`dead_lettered` (still failing on the last allowed attempt: SQS moves it to the dead-letter queue).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

from dagy_ops.models.channels import ChannelRecord
from dagy_ops.models.deliveries import Delivery, Outcome
from dagy_ops.models.events import NotificationMessage
from dagy_ops.notify.render import pagerduty_dedup_key
from dagy_ops.notify.senders import Attempt, Sender, delivery_id
from dagy_ops.store.deliveries import DeliveryRepository
from dagy_ops.store.flows import FlowRepository
from dagy_ops.store.markers import Markers
from dagy_ops.store.notifications import ChannelRepository

BASE_DELAY_SECONDS = 10
MAX_DELAY_SECONDS = 900
DISPATCHER = "dagy-ops dispatcher"


class RetryLater(Exception):
    def __init__(self, delay_seconds: int) -> None:
        super().__init__(f"retry in {delay_seconds}s")
        self.delay_seconds = delay_seconds


class GiveUp(Exception):
    """The last allowed attempt failed: let SQS move the message to the dead-letter queue."""


def retry_delay(attempt: int, retry_after: float | None, rng: random.Random) -> int:
    """Exponential backoff with jitter, or the receiver's own `Retry-After`; capped at 15 minutes."""
    if retry_after is not None:
        return int(min(MAX_DELAY_SECONDS, max(1.0, retry_after)))
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return int(rng.uniform(ceiling / 2, ceiling))


def disables_channel(channel_type: str, status: int | None) -> bool:
    """The endpoint is gone for good: a Slack webhook answering 404/410, a webhook answering 410."""
    return (channel_type == "slack" and status in (404, 410)) or (channel_type == "webhook" and status == 410)


class Dispatcher:
    def __init__(
        self,
        channels: ChannelRepository,
        deliveries: DeliveryRepository,
        delivered: Markers,
        incidents: Markers,
        senders: Mapping[str, Sender],
        max_attempts: int,
        rng: random.Random | None = None,
        counters: FlowRepository | None = None,
    ) -> None:
        """`counters` keeps the org's dagy_notifications_total; the channel test sends none."""
        self.channels = channels
        self.deliveries = deliveries
        self.delivered = delivered
        self.incidents = incidents
        self.senders = senders
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.counters = counters

    def dispatch(self, message: NotificationMessage, attempt: int, now: datetime) -> Delivery | None:
        """Deliver once; raises RetryLater or GiveUp when SQS should bring the message back."""
        marker = f"{message.notification_id}:{message.action}"
        if self.delivered.exists(marker):
            return None  # a redelivery of something already sent
        channel = self.channels.get(message.org_id, message.channel_id)
        if message.action == "resolve" and not self.incidents.exists(pagerduty_dedup_key(message)):
            return None  # nothing was triggered for this flow: nothing to resolve
        result = self.attempt(message, channel)
        outcome: Outcome = {"sent": "sent", "retry": "retrying", "failed": "failed", "skipped": "skipped"}[
            result.outcome
        ]  # type: ignore[assignment]
        if outcome == "retrying" and attempt >= self.max_attempts:
            outcome = "dead_lettered"
        delivery = self.deliveries_record(message, attempt, outcome, result, now)
        if self.counters is not None:
            self.counters.count_notification(message.org_id, message.channel_type, outcome)
        if outcome == "sent":
            self.delivered.mark([marker], now)
            if message.channel_type == "pagerduty":
                key = pagerduty_dedup_key(message)
                self.incidents.mark([key], now) if message.action == "trigger" else self.incidents.clear(key)
        elif (
            outcome == "failed"
            and channel is not None
            and disables_channel(channel.channel_type, result.http_status)
        ):
            self.disable(channel, result, now)
        elif outcome == "retrying":
            raise RetryLater(retry_delay(attempt, result.retry_after_seconds, self.rng))
        elif outcome == "dead_lettered":
            raise GiveUp(result.error or "delivery failed")
        return delivery

    def send_test(self, channel: ChannelRecord, now: datetime) -> Delivery:
        """A test message through the real sender, once, recorded like any delivery."""
        message = test_message(channel, now)
        result = self.attempt(message, channel)
        outcome: Outcome = "sent" if result.outcome == "sent" else "failed"
        return self.deliveries_record(message, 1, outcome, result, now)

    def attempt(self, message: NotificationMessage, channel: ChannelRecord | None) -> Attempt:
        if channel is None:
            return Attempt("failed", error="channel was deleted")
        if not channel.enabled:
            return Attempt("skipped", error="channel is turned off")
        if channel.status == "disabled":
            return Attempt("failed", error=f"channel is disabled: {channel.disabled_reason}")
        return self.senders[channel.channel_type].send(message, channel)

    def deliveries_record(
        self, message: NotificationMessage, attempt: int, outcome: Outcome, result: Attempt, now: datetime
    ) -> Delivery:
        delivery = Delivery(
            delivery_id=delivery_id(message),
            notification_id=message.notification_id,
            org_id=message.org_id,
            rule_id=message.rule_id,
            channel_id=message.channel_id,
            channel_type=message.channel_type,
            trigger=message.trigger,
            action=message.action,
            flow_name=message.event.get("flow_name"),
            run_id=message.event.get("run_id"),
            attempt=attempt,
            outcome=outcome,
            http_status=result.http_status,
            latency_ms=result.latency_ms,
            error=result.error,
            delivered_at=now,
        )
        self.deliveries.record(delivery)
        return delivery

    def disable(self, channel: ChannelRecord, result: Attempt, now: datetime) -> None:
        """Turn the channel off with the reason, shown by GET until someone updates the channel."""
        updated = channel.model_copy(
            update={
                "status": "disabled",
                "disabled_reason": f"endpoint answered {result.http_status}; update the channel to re-enable it",
                "version": channel.version + 1,
                "updated_at": now,
                "updated_by": DISPATCHER,
                "updated_ip": "",
            }
        )
        self.channels.replace(updated, expected_version=channel.version)


def test_message(channel: ChannelRecord, now: datetime) -> NotificationMessage:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return NotificationMessage(
        notification_id=f"test{int(now.timestamp() * 1000):x}{channel.channel_id}",
        org_id=channel.org_id,
        rule_id="rule_test",
        rule_name="Channel test",
        trigger="on_success",
        channel_id=channel.channel_id,
        channel_type=channel.channel_type,
        event={"flow_name": "dagy_test", "run_id": f"test_{stamp}", "status": "succeeded", "test": True},
    )
