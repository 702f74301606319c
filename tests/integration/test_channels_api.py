"""/notifications/channels on moto: every route, every type's validation and every error."""

from __future__ import annotations

import pytest

from tests.conftest import SLACK_URL, slack_channel, table_items

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


@pytest.fixture
def token(mint):
    return mint()


def create(api, token, body):
    return api.post("/notifications/channels", body, token=token)


def test_create_slack_channel_as_the_seed_shows_answers_201_with_the_secret_masked(api, token):
    response = create(api, token, slack_channel())

    assert response.status == 201
    body = response.json()
    assert body["channel_id"].startswith("ch_")
    assert body["channel_type"] == "slack"
    assert body["name"] == "Pipeline Alerts"
    assert body["version"] == 1
    assert body["created_by"] == body["updated_by"] == "alice@example.com"
    assert body["config"]["webhook_url"] == "https://hooks.slack.com/****uvwx"
    assert SLACK_URL not in response.body.decode()


@pytest.mark.parametrize(
    ("body", "masked"),
    [
        ({"channel_type": "email", "config": {"to": ["Ops@Example.com"]}}, {"to": ["ops@example.com"]}),
        (
            {"channel_type": "pagerduty", "config": {"routing_key": ROUTING_KEY}},
            {"routing_key": "****CDEF", "severity": "error"},
        ),
        (
            {
                "channel_type": "webhook",
                "config": {
                    "url": "https://example.com/hook?key=s3cret",
                    "headers": {"Authorization": "Bearer x"},
                },
            },
            {"url": "https://example.com/hook?****", "headers": {"Authorization": "****"}},
        ),
    ],
)
def test_every_channel_type_is_created_with_its_secrets_masked(api, token, body, masked):
    response = create(api, token, {**body, "name": "n"})

    assert response.status == 201
    assert response.json()["config"] == masked


def test_webhook_channel_shows_its_signing_secret_once(api, token):
    created = create(
        api, token, {"channel_type": "webhook", "name": "w", "config": {"url": "https://example.com/h"}}
    )

    secret = created.json()["signing_secret"]
    assert secret.startswith("whsec_")
    fetched = api.get(f"/notifications/channels/{created.json()['channel_id']}", token=token)
    assert "signing_secret" not in fetched.json()
    assert secret not in fetched.body.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"channel_type": "slack", "config": {"webhook_url": "https://evil.example.com/services/x"}},
            "config.webhook_url",
        ),
        (
            {"channel_type": "slack", "config": {"webhook_url": "http://hooks.slack.com/services/x"}},
            "config.webhook_url",
        ),
        ({"channel_type": "slack", "config": {}}, "slack.config.webhook_url"),
        ({"channel_type": "email", "config": {"to": []}}, "email.config.to"),
        ({"channel_type": "email", "config": {"to": ["not-an-address"]}}, "email.config.to.0"),
        (
            {"channel_type": "email", "config": {"to": [f"u{i}@example.com" for i in range(51)]}},
            "email.config.to",
        ),
        (
            {"channel_type": "webhook", "config": {"url": "https://169.254.169.254/latest/meta-data"}},
            "config.url",
        ),
        ({"channel_type": "webhook", "config": {"url": "https://10.0.0.5/hook"}}, "config.url"),
        ({"channel_type": "webhook", "config": {"url": "https://127.0.0.1/hook"}}, "config.url"),
        ({"channel_type": "webhook", "config": {"url": "https://[::1]/hook"}}, "config.url"),
        ({"channel_type": "webhook", "config": {"url": "https://localhost/hook"}}, "config.url"),
        ({"channel_type": "webhook", "config": {"url": "ftp://example.com/hook"}}, "config.url"),
        (
            {
                "channel_type": "webhook",
                "config": {"url": "https://example.com", "headers": {"webhook-signature": "x"}},
            },
            "webhook.config.headers",
        ),
        ({"channel_type": "pagerduty", "config": {"routing_key": "short"}}, "pagerduty.config.routing_key"),
        (
            {"channel_type": "pagerduty", "config": {"routing_key": ROUTING_KEY, "severity": "meh"}},
            "pagerduty.config.severity",
        ),
        ({"channel_type": "sms", "config": {}}, ""),
        ({"channel_type": "slack", "config": {"webhook_url": SLACK_URL}, "extra": 1}, "slack.extra"),
    ],
)
def test_invalid_channel_is_422_naming_the_field_and_writes_nothing(api, aws, token, body, field):
    response = create(api, token, {"name": "n", **body})

    assert response.status == 422, response.body
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == []


def test_malformed_json_is_400_bad_request(api, aws, token):
    response = api.post("/notifications/channels", b'{"channel_type": "slack",', token=token)

    assert response.status == 400
    assert response.json()["code"] == "bad_request"
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == []


def test_body_over_64_kib_is_413(api, aws, token):
    body = slack_channel() | {"padding": "x" * 70_000}

    response = create(api, token, body)

    assert response.status == 413
    assert response.json()["code"] == "payload_too_large"
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == []


def test_duplicate_name_in_the_org_is_409_case_insensitively(api, aws, token):
    create(api, token, slack_channel("Pipeline Alerts"))
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = create(api, token, slack_channel("pipeline alerts"))

    assert response.status == 409
    assert response.json()["code"] == "conflict"
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_same_name_in_another_org_is_fine(api, mint):
    assert create(api, mint(org="org_a"), slack_channel()).status == 201
    assert create(api, mint(org="org_b"), slack_channel()).status == 201


def test_get_answers_the_channel_with_its_version_as_etag(api, token):
    channel = create(api, token, slack_channel()).json()

    response = api.get(f"/notifications/channels/{channel['channel_id']}", token=token)

    assert response.status == 200
    assert response.json() == {k: v for k, v in channel.items() if k != "signing_secret"}
    assert response.headers["ETag"] == '"1"'


def test_unknown_channel_is_404(api, token):
    response = api.get("/notifications/channels/ch_doesnotexist", token=token)

    assert response.status == 404
    assert response.json()["code"] == "not_found"


def test_patch_with_current_version_updates_and_records_who_and_from_where(api, aws, token):
    channel = create(api, token, slack_channel()).json()

    response = api.patch(
        f"/notifications/channels/{channel['channel_id']}",
        {"name": "Renamed", "enabled": False},
        headers={"If-Match": '"1"'},
        token=token,
        source_ip="198.51.100.7",
    )

    assert response.status == 200
    assert (response.json()["name"], response.json()["enabled"], response.json()["version"]) == (
        "Renamed",
        False,
        2,
    )
    [item] = [i for i in table_items(aws["NOTIFICATIONS_TABLE"]) if i["sk"]["S"].startswith("CHANNEL#")]
    assert item["updated_ip"]["S"] == "198.51.100.7"
    assert item["updated_by"]["S"] == "alice@example.com"
    # The old name is free again, the new one is taken.
    assert create(api, token, slack_channel("Pipeline Alerts")).status == 201
    assert create(api, token, slack_channel("Renamed")).status == 409


def test_patch_with_a_stale_version_is_412_and_changes_nothing(api, aws, token):
    channel = create(api, token, slack_channel()).json()
    path = f"/notifications/channels/{channel['channel_id']}"
    api.patch(path, {"name": "First"}, headers={"If-Match": "1"}, token=token)
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = api.patch(path, {"name": "Second"}, headers={"If-Match": "1"}, token=token)

    assert response.status == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["details"] == {"version": 2}
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_patch_with_garbage_if_match_is_400(api, token):
    channel = create(api, token, slack_channel()).json()

    response = api.patch(
        f"/notifications/channels/{channel['channel_id']}",
        {"name": "x"},
        headers={"If-Match": "yesterday"},
        token=token,
    )

    assert response.status == 400


def test_patch_config_is_validated_for_the_channel_type(api, aws, token):
    channel = create(api, token, slack_channel()).json()
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = api.patch(
        f"/notifications/channels/{channel['channel_id']}", {"config": {"to": ["a@example.com"]}}, token=token
    )

    assert response.status == 422
    assert "config.webhook_url" in response.json()["details"]["fields"]
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_patch_to_a_taken_name_is_409(api, token):
    create(api, token, slack_channel("A"))
    b = create(api, token, slack_channel("B")).json()

    response = api.patch(f"/notifications/channels/{b['channel_id']}", {"name": "a"}, token=token)

    assert response.status == 409


def test_delete_is_soft_records_who_and_frees_the_name(api, aws, token):
    channel = create(api, token, slack_channel()).json()
    path = f"/notifications/channels/{channel['channel_id']}"

    response = api.delete(path, token=token, source_ip="198.51.100.9")

    assert response.status == 204
    assert api.get(path, token=token).status == 404
    assert api.get("/notifications/channels", token=token).json()["items"] == []
    [tombstone] = table_items(aws["NOTIFICATIONS_TABLE"])
    assert tombstone["deleted_by"]["S"] == "alice@example.com"
    assert tombstone["deleted_ip"]["S"] == "198.51.100.9"
    assert "ttl" in tombstone
    assert create(api, token, slack_channel()).status == 201
    assert api.delete(path, token=token).status == 404


def test_delete_of_a_channel_rules_use_is_409_with_the_rule_ids(api, aws, token):
    channel = create(api, token, slack_channel()).json()
    rule = api.post(
        "/notifications/rules",
        {
            "name": "r",
            "trigger": "on_failure",
            "flow_name": "daily_etl",
            "channel_ids": [channel["channel_id"]],
        },
        token=token,
    ).json()
    before = table_items(aws["NOTIFICATIONS_TABLE"])

    response = api.delete(f"/notifications/channels/{channel['channel_id']}", token=token)

    assert response.status == 409
    assert response.json()["details"] == {"rule_ids": [rule["rule_id"]]}
    assert table_items(aws["NOTIFICATIONS_TABLE"]) == before


def test_list_filters_by_type_and_pages_with_next_token(api, token):
    for i in range(5):
        create(api, token, slack_channel(f"slack-{i}"))
    create(api, token, {"channel_type": "email", "name": "mail", "config": {"to": ["a@example.com"]}})

    seen, next_token, pages = [], None, 0
    while True:
        query = "?channel_type=slack&limit=2" + (f"&next_token={next_token}" if next_token else "")
        page = api.get(f"/notifications/channels{query}", token=token).json()
        seen += [item["name"] for item in page["items"]]
        pages += 1
        next_token = page["next_token"]
        if not next_token:
            break

    assert sorted(seen) == [f"slack-{i}" for i in range(5)]
    assert pages == 3
    emails = api.get("/notifications/channels?channel_type=email", token=token).json()["items"]
    assert [c["name"] for c in emails] == ["mail"]
    assert len(api.get("/notifications/channels", token=token).json()["items"]) == 6


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "channel_type=sms", "next_token=forged.token"])
def test_bad_list_parameters_are_refused(api, token, query):
    response = api.get(f"/notifications/channels?{query}", token=token)

    assert response.status in (400, 422)
    assert response.json()["code"] in ("bad_request", "validation_error")


def test_next_token_from_another_listing_is_refused(api, token):
    for i in range(3):
        create(api, token, slack_channel(f"s{i}"))
    next_token = api.get("/notifications/channels?limit=1", token=token).json()["next_token"]

    response = api.get(f"/notifications/channels?channel_type=slack&next_token={next_token}", token=token)

    assert response.status == 400


def test_test_endpoint_sends_through_the_real_sender_and_answers_the_delivery(api, token):
    channel = create(api, token, slack_channel()).json()

    response = api.post(f"/notifications/channels/{channel['channel_id']}/test", token=token)

    assert response.status == 200
    body = response.json()
    # No network here: hooks.slack.com does not resolve, so the real attempt is recorded as failed.
    assert (body["channel_id"], body["outcome"], body["attempt"]) == (channel["channel_id"], "failed", 1)
    assert "does not resolve" in body["error"]
