"""POST /cron/preview: valid expressions with their next runs, invalid ones explained, no sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from .support import API


def preview(client, **body):
    return client.post(f"{API}/cron/preview", json=body)


def test_preview_lists_next_runs_in_the_zone_with_offsets(client):
    response = preview(client, cron_expression="0 9 * * 1", timezone="America/New_York", count=3)
    assert response.status_code == 200
    body = response.get_json()
    assert (
        body["valid"] is True and body["expression"] == "0 9 * * 1" and body["timezone"] == "America/New_York"
    )
    zone = ZoneInfo("America/New_York")
    local = [datetime.fromisoformat(value) for value in body["next_runs"]]
    in_utc = [datetime.fromisoformat(value) for value in body["next_runs_utc"]]
    assert len(local) == len(in_utc) == 3
    now = datetime.now(UTC)
    for shown, utc_value in zip(local, in_utc, strict=False):
        # Each time carries the zone's own offset at that instant (-05:00 or -04:00).
        assert shown.utcoffset() == shown.astimezone(zone).utcoffset()
        assert utc_value.utcoffset().total_seconds() == 0 and shown == utc_value
        assert (shown.weekday(), shown.hour, shown.minute) == (0, 9, 0) and shown > now
    assert local == sorted(local) and len(set(local)) == 3


def test_defaults_are_utc_and_five_runs(client):
    body = preview(client, cron_expression="*/5 * * * *").get_json()
    assert body["valid"] and body["timezone"] == "UTC" and len(body["next_runs"]) == 5
    assert all(value.endswith("+00:00") for value in body["next_runs"])


def test_expression_is_normalised(client):
    assert preview(client, cron_expression=" 0  9 * * 1 ").get_json()["expression"] == "0 9 * * 1"


@pytest.mark.parametrize(
    "body,words",
    [
        ({"cron_expression": "61 * * * *"}, "out of range"),
        ({"cron_expression": "* * *"}, "5 fields"),
        ({"cron_expression": ""}, "required"),
        ({"cron_expression": "0 0 30 2 *"}, "never fires"),
        ({"cron_expression": "0 9 * * 1", "timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ],
)
def test_invalid_expression_or_zone_is_valid_false_with_the_reason(client, body, words):
    response = preview(client, **body)
    assert response.status_code == 200
    result = response.get_json()
    assert result["valid"] is False and words in result["error"]
    assert "next_runs" not in result


def test_the_error_names_the_part_of_the_expression(client):
    body = preview(client, cron_expression="0 25 * * *").get_json()
    assert body == {"valid": False, "error": "hour: 25 is out of range 0–23."}
    body = preview(client, cron_expression="0 9 * * MOX").get_json()
    assert body["error"] == "day-of-week: 'MOX' is not a day name (SUN–SAT)."


def test_job_create_gives_the_same_message_on_the_field(client, alice):
    response = client.post(
        f"{API}/jobs",
        headers=alice,
        json={"name": "Bad hour", "schedule_type": "cron", "cron_expression": "0 25 * * *"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"cron_expression": ["hour: 25 is out of range 0–23."]}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"cron_expression": "* * * * *", "count": 0}, "count"),
        ({"cron_expression": "* * * * *", "count": 51}, "count"),
        ({"cron_expression": "* * * * *", "count": "5"}, "count"),
        ({"timezone": "UTC"}, "cron_expression"),
        ({"cron_expression": 5}, "cron_expression"),
        ({"cron_expression": "* * * * *", "extra": 1}, "extra"),
    ],
)
def test_malformed_request_is_422(client, body, field):
    response = preview(client, **body)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_fifty_runs_are_allowed(client):
    assert len(preview(client, cron_expression="* * * * *", count=50).get_json()["next_runs"]) == 50
