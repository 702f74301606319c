"""Secrets are never shown in full."""

from dagy_ops.masking import mask_channel_config

SLACK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"


def test_slack_webhook_keeps_only_host_and_last_characters():
    masked = mask_channel_config("slack", {"webhook_url": SLACK})["webhook_url"]

    assert masked == "https://hooks.slack.com/****XXXX"


def test_webhook_query_and_header_values_are_masked():
    masked = mask_channel_config(
        "webhook", {"url": "https://x.io/h?token=abc", "headers": {"X-Api-Key": "k"}}
    )

    assert masked == {"url": "https://x.io/h?****", "headers": {"X-Api-Key": "****"}}


def test_short_secrets_are_masked_entirely():
    assert mask_channel_config("pagerduty", {"routing_key": "abc"})["routing_key"] == "****"


def test_email_recipients_are_not_secret():
    assert mask_channel_config("email", {"to": ["a@x.io"]}) == {"to": ["a@x.io"]}
