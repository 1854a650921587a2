"""POST /cron/preview: valid expressions with their next runs, invalid ones explained, no sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


# --- DST policy, jitter and the runs list -------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")


def _first_sunday_at(month: int, nth: int, hour: int, minute: int) -> datetime:
    """The next nth Sunday of `month` whose hour:minute (New York wall time) is still ahead."""
    now = datetime.now(UTC)
    for year in range(now.year, now.year + 3):
        first = datetime(year, month, 1)
        sunday = first.replace(day=1 + (6 - first.weekday()) % 7 + 7 * (nth - 1), hour=hour, minute=minute)
        if sunday.replace(tzinfo=NEW_YORK).astimezone(UTC) > now:
            return sunday
    raise AssertionError("no such Sunday")


def _local(wall: datetime, fold: int) -> datetime:
    # The instant of a wall time in New York, computed with zoneinfo alone.
    return wall.replace(tzinfo=NEW_YORK, fold=fold).astimezone(UTC)


def test_plain_runs_carry_no_markers(client):
    body = preview(client, cron_expression="0 12 * * *", timezone="Asia/Kolkata", count=3).get_json()
    assert [run["at"] for run in body["runs"]] == body["next_runs"]
    assert [run["at_utc"] for run in body["runs"]] == body["next_runs_utc"]
    for run in body["runs"]:
        assert {
            key: run[key] for key in ("dst", "offset_before", "offset_after", "skipped", "note")
        } == dict.fromkeys(("dst", "offset_before", "offset_after", "skipped", "note"))


@pytest.mark.parametrize(
    "fold,instants",
    [
        ("first", [0]),
        ("last", [1]),
        ("both", [0, 1]),
    ],
)
def test_fall_back_runs_follow_the_fold_policy(client, fold, instants):
    # Sundays of November at 01:30: the first Sunday is New York's fall-back night.
    night = _first_sunday_at(11, 1, 1, 30)
    body = preview(
        client, cron_expression="30 1 * 11 0", timezone="America/New_York", count=7, dst_policy={"fold": fold}
    ).get_json()
    marked = [
        run
        for run in body["runs"]
        if run["dst"] == "fold" and datetime.fromisoformat(run["at"]).date() == night.date()
    ]
    assert [datetime.fromisoformat(run["at_utc"]) for run in marked] == [_local(night, f) for f in instants]
    for run in marked:
        assert (run["offset_before"], run["offset_after"], run["skipped"]) == ("-04:00", "-05:00", None)
        assert run["at"] in body["next_runs"] and datetime.fromisoformat(run["at"]).hour == 1
    notes = {run["note"] for run in marked}
    assert notes == {
        {
            "first": "clocks go back that night: runs once, at the first 01:30",
            "last": "clocks go back that night: runs once, at the second 01:30",
            "both": "runs twice: at 01:30 EDT and 01:30 EST",
        }[fold]
    }
    assert len(body["next_runs"]) == 7 and body["next_runs"] == [run["at"] for run in body["runs"]]


@pytest.mark.parametrize("gap", ["shift", "skip"])
def test_spring_forward_runs_follow_the_gap_policy(client, gap):
    # Sundays of March at 02:30: on the second, 02:30 does not exist in New York.
    night = _first_sunday_at(3, 2, 2, 30)
    body = preview(
        client, cron_expression="30 2 * 3 0", timezone="America/New_York", count=8, dst_policy={"gap": gap}
    ).get_json()
    (marked,) = [
        run
        for run in body["runs"]
        if run["dst"] == "gap" and datetime.fromisoformat(run["at"]).date() == night.date()
    ]
    end_of_gap = _local(night.replace(hour=3, minute=0), 0)
    assert datetime.fromisoformat(marked["at_utc"]) == end_of_gap
    assert marked["at"] == end_of_gap.astimezone(NEW_YORK).isoformat()
    assert (marked["offset_before"], marked["offset_after"]) == ("-05:00", "-04:00")
    assert len(body["next_runs"]) == 8
    if gap == "shift":
        assert marked["skipped"] is None and marked["at"] in body["next_runs"]
        assert marked["note"] == "02:30 does not exist that night: runs at 03:00"
    else:
        assert marked["skipped"] == "dst_gap" and marked["at"] not in body["next_runs"]
        assert marked["note"] == "02:30 does not exist that night: skipped"
        assert len(body["runs"]) == 8 + sum(run["skipped"] is not None for run in body["runs"])


def test_jitter_delays_each_run_by_its_own_offset(client):
    from chronos.scheduling.cron import jitter_offset

    body = preview(client, cron_expression="0 * * * *", count=10, jitter_seconds=900, job_id=77).get_json()
    fired = [datetime.fromisoformat(value) for value in body["next_runs_utc"]]
    slots = [at.replace(minute=0, second=0) for at in fired]
    assert fired == [slot + timedelta(seconds=jitter_offset(77, slot, 900)) for slot in slots]
    assert len({at - slot for at, slot in zip(fired, slots, strict=True)}) > 3
    assert [run["at_utc"] for run in body["runs"]] == body["next_runs_utc"]
    # Another job gets other offsets; the same job the same ones on every call.
    other = preview(client, cron_expression="0 * * * *", count=10, jitter_seconds=900, job_id=78).get_json()
    again = preview(client, cron_expression="0 * * * *", count=10, jitter_seconds=900, job_id=77).get_json()
    assert other["next_runs_utc"] != body["next_runs_utc"]
    by_slot = {at[:13]: at for at in body["next_runs_utc"]}
    same = [at for at in again["next_runs_utc"] if at[:13] in by_slot]
    assert len(same) >= 9 and all(by_slot[at[:13]] == at for at in same)  # an hour may have passed


@pytest.mark.parametrize(
    "body,field",
    [
        ({"dst_policy": {"fold": "middle"}}, "dst_policy"),
        ({"dst_policy": {"gap": "jump"}}, "dst_policy"),
        ({"dst_policy": {"fold": 1}}, "dst_policy"),
        ({"dst_policy": {"fold": "first", "extra": True}}, "dst_policy"),
        ({"dst_policy": "first"}, "dst_policy"),
        ({"dst_policy": None}, "dst_policy"),
        ({"jitter_seconds": -1}, "jitter_seconds"),
        ({"jitter_seconds": 86401}, "jitter_seconds"),
        ({"jitter_seconds": "60"}, "jitter_seconds"),
        ({"jitter_seconds": 1.5}, "jitter_seconds"),
        ({"job_id": 0}, "job_id"),
        ({"job_id": "7"}, "job_id"),
        ({"job_id": 2**63}, "job_id"),
    ],
)
def test_bad_policy_jitter_or_job_id_is_422_naming_the_field(client, body, field):
    response = preview(client, cron_expression="0 * * * *", **body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors


def test_policy_and_jitter_fields_are_optional_and_nullable_job_id_is_accepted(client):
    body = preview(
        client, cron_expression="0 * * * *", dst_policy={}, jitter_seconds=0, job_id=None
    ).get_json()
    assert body["valid"] is True and len(body["runs"]) == 5


def test_openapi_declares_the_runs_with_their_nullable_fields(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    run = schemas["CronRun"]
    assert set(run["required"]) == {"at", "at_utc", "dst", "offset_before", "offset_after", "skipped", "note"}
    for name in ("dst", "offset_before", "offset_after", "skipped", "note"):
        assert run["properties"][name]["nullable"] is True, name
    assert run["properties"]["dst"]["enum"] == ["fold", "gap", None]
    assert "runs" in schemas["CronPreviewResult"]["properties"]
    request = schemas["CronPreview"]["properties"]
    assert {"dst_policy", "jitter_seconds", "job_id"} <= set(request)
    assert request["job_id"]["nullable"] is True
    assert schemas["DstPolicy"]["properties"]["fold"]["enum"] == ["first", "last", "both"]
