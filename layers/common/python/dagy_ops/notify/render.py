"""What each channel receives for a notification. Pure: the message (and settings) in, payload out."""

from __future__ import annotations

import html
from typing import Any

from dagy_ops.models.events import NotificationMessage

TITLES = {
    "on_failure": "failed",
    "on_success": "succeeded",
    "on_retry": "is retrying a task",
    "on_sla_breach": "breached its SLA",
}
EMOJI = {"on_failure": ":red_circle:", "on_success": ":large_green_circle:", "on_retry": ":arrows_counterclockwise:",
         "on_sla_breach": ":hourglass:"}  # fmt: skip


def summary(message: NotificationMessage) -> str:
    event = message.event
    return f"Flow {event.get('flow_name')} {TITLES[message.trigger]} (run {event.get('run_id')})"


def facts(message: NotificationMessage) -> list[tuple[str, str]]:
    """The labelled facts every channel shows, in order, without empty ones."""
    event = message.event
    rows = [
        ("Flow", event.get("flow_name")),
        ("Status", event.get("status")),
        ("Run", event.get("run_id")),
        ("Deployment", event.get("deployment")),
        (
            "Duration",
            f"{event['duration_seconds']:.0f}s" if event.get("duration_seconds") is not None else None,
        ),
        ("Task", f"{event['task_id']} (attempt {event.get('attempt')})" if event.get("task_id") else None),
        (
            "SLA",
            f"{event['sla_seconds']}s, running {event.get('elapsed_seconds', 0):.0f}s"
            if event.get("sla_seconds")
            else None,
        ),
        ("Error", event.get("error")),
        ("Rule", message.rule_name),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "")]


def run_link(message: NotificationMessage, run_url_base: str | None) -> str | None:
    if not run_url_base:
        return None
    return f"{run_url_base.rstrip('/')}/{message.event.get('flow_name')}/{message.event.get('run_id')}"


def slack_payload(message: NotificationMessage, run_url_base: str | None = None) -> dict[str, Any]:
    """Incoming-webhook body: `text` for notifications and fallbacks, Block Kit `blocks` for the message."""
    text = f"{EMOJI[message.trigger]} {summary(message)}"
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{value[:500]}"}
        for label, value in facts(message)
        if label != "Error"
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
        {"type": "section", "fields": fields[:10]},
    ]
    if message.event.get("error"):
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"```{str(message.event['error'])[:500]}```"},
            }
        )
    link = run_link(message, run_url_base)
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open run"}, "url": link}
                ],
            }
        )
    return {"text": text, "blocks": blocks}


def webhook_payload(message: NotificationMessage) -> dict[str, Any]:
    """The versioned JSON body of a webhook delivery."""
    return {
        "version": "1",
        "type": message.trigger,
        "notification_id": message.notification_id,
        "org_id": message.org_id,
        "rule": {"rule_id": message.rule_id, "name": message.rule_name, "trigger": message.trigger},
        "channel_id": message.channel_id,
        "event": message.event,
    }


def email_content(message: NotificationMessage, run_url_base: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html)."""
    subject = f"[Dagy] {summary(message)}"
    rows = facts(message)
    text = "\n".join([summary(message), "", *(f"{label}: {value}" for label, value in rows)])
    cells = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    link = run_link(message, run_url_base)
    anchor = f"<p><a href='{html.escape(link)}'>Open run</a></p>" if link else ""
    body = f"<h2>{html.escape(summary(message))}</h2><table>{cells}</table>{anchor}"
    if link:
        text += f"\n\nOpen run: {link}"
    return subject, text, body


def pagerduty_dedup_key(message: NotificationMessage) -> str:
    """Stable per (org, flow, trigger): a later success of the flow resolves the same incident."""
    return f"dagy/{message.org_id}/{message.event.get('flow_name')}/{message.trigger}"


def pagerduty_event(message: NotificationMessage, routing_key: str, severity: str) -> dict[str, Any]:
    """Events API v2 body: `trigger` with a payload, or `resolve` of the same dedup key."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": message.action,
        "dedup_key": pagerduty_dedup_key(message),
    }
    if message.action == "trigger":
        body["payload"] = {
            "summary": summary(message)[:1024],
            "source": f"dagy/{message.event.get('deployment') or 'default'}/{message.event.get('flow_name')}",
            "severity": severity,
            "custom_details": dict(facts(message)),
        }
    return body
