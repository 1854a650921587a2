"""Calendars of excluded days, a job's time fields, and the calendar view — on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .support import API, add_execution, create_job

BAVARIA = {"name": "Bavaria", "country": "de", "subdivision": "by", "weekends": True}


def make_calendar(client, headers, **body) -> dict:
    response = client.post(f"{API}/calendars", json=body or BAVARIA, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def closed_days(days: int, start: date | None = None) -> list[str]:
    """The next `days` days (from tomorrow, UTC), ISO."""
    first = start or datetime.now(UTC).date() + timedelta(days=1)
    return [(first + timedelta(days=n)).isoformat() for n in range(days)]


def test_a_calendar_is_created_listed_read_with_its_days_edited_and_deleted(client, alice):
    created = make_calendar(client, alice)
    assert (created["country"], created["subdivision"], created["weekends"]) == ("DE", "BY", True)
    listed = client.get(f"{API}/calendars", headers=alice).get_json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]
    one = client.get(f"{API}/calendars/{created['id']}?year=2026", headers=alice).get_json()
    days = {d["date"]: d["reasons"] for d in one["days"]}
    assert one["year"] == 2026
    assert days["2026-01-06"] == ["Epiphany"]  # Bavarian, not national
    assert days["2026-12-26"] == ["Second Day of Christmas", "Saturday"]
    assert "2026-12-23" not in days
    patched = client.patch(
        f"{API}/calendars/{created['id']}", json={"dates": ["2026-12-23"], "weekends": False}, headers=alice
    )
    assert patched.status_code == 200 and patched.get_json()["dates"] == ["2026-12-23"]
    again = client.get(f"{API}/calendars/{created['id']}?year=2026", headers=alice).get_json()
    assert {d["date"]: d["reasons"] for d in again["days"]}["2026-12-23"] == ["excluded date"]
    assert client.delete(f"{API}/calendars/{created['id']}", headers=alice).status_code == 204
    assert client.get(f"{API}/calendars", headers=alice).get_json()["items"] == []


def test_bad_calendars_are_refused_naming_the_field(client, alice):
    cases = [
        ({"name": "X", "country": "XX"}, "country"),
        ({"name": "X", "country": "DE", "subdivision": "ZZ"}, "subdivision"),
        ({"name": "X", "subdivision": "BY"}, "subdivision"),
        ({"name": "X", "dates": ["2026-02-30"]}, "dates"),
        ({"name": "X", "dates": ["tomorrow"]}, "dates"),
        ({"name": "X" * 101}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = client.post(f"{API}/calendars", json=body, headers=alice)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], (body, response.get_json())
    assert client.get(f"{API}/calendars", headers=alice).get_json()["items"] == []
    created = make_calendar(client, alice)
    response = client.patch(f"{API}/calendars/{created['id']}", json={"country": "QQ"}, headers=alice)
    assert response.status_code == 422 and "country" in response.get_json()["errors"]
    assert client.get(f"{API}/calendars/{created['id']}", headers=alice).get_json()["country"] == "DE"


def test_another_users_calendar_is_not_found_and_not_usable(client, alice, bob):
    theirs = make_calendar(client, bob)
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"{API}/calendars/{theirs['id']}", json={}, headers=alice)
        assert response.status_code == 404, method
    for ids in ([theirs["id"]], [999_999]):
        response = client.post(
            f"{API}/jobs",
            json={
                "name": "x",
                "schedule_type": "cron",
                "cron_expression": "0 9 * * *",
                "exclude_calendars": ids,
            },
            headers=alice,
        )
        assert response.status_code == 422 and "exclude_calendars" in response.get_json()["errors"]
    assert client.get(f"{API}/calendars", headers=alice).get_json()["items"] == []


def test_job_time_fields_are_stored_shown_and_checked(client, alice):
    calendar = make_calendar(client, alice)
    job = create_job(
        client,
        alice,
        cron_expression="30 1 * * *",
        timezone="America/New_York",
        dst_policy={"fold": "both", "gap": "skip"},
        exclude_calendars=[calendar["id"]],
        on_excluded="next_business_day",
        jitter_seconds=120,
    )
    shown = client.get(f"{API}/jobs/{job['id']}", headers=alice).get_json()
    assert shown["dst_policy"] == {"fold": "both", "gap": "skip"}
    assert (shown["exclude_calendars"], shown["on_excluded"], shown["jitter_seconds"]) == (
        [calendar["id"]],
        "next_business_day",
        120,
    )
    plain = create_job(client, alice)
    assert plain["dst_policy"] == {"fold": "first", "gap": "shift"}
    assert (plain["exclude_calendars"], plain["on_excluded"], plain["jitter_seconds"]) == ([], "skip", 0)
    bad = [
        ({"dst_policy": {"fold": "middle"}}, "dst_policy"),
        ({"dst_policy": {"gap": "jump", "fold": "first"}}, "dst_policy"),
        ({"on_excluded": "later"}, "on_excluded"),
        ({"jitter_seconds": -1}, "jitter_seconds"),
        ({"jitter_seconds": 86_401}, "jitter_seconds"),
        ({"exclude_calendars": [calendar["id"], calendar["id"]]}, "exclude_calendars"),
        ({"exclude_calendars": "1"}, "exclude_calendars"),
    ]
    for body, field in bad:
        response = client.patch(f"{API}/jobs/{plain['id']}", json=body, headers=alice)
        assert response.status_code == 422 and field in response.get_json()["errors"], (
            body,
            response.get_json(),
        )
    # A PATCH of the policy replaces it; a missing key takes its default.
    patched = client.patch(f"{API}/jobs/{job['id']}", json={"dst_policy": {"fold": "last"}}, headers=alice)
    assert patched.get_json()["dst_policy"] == {"fold": "last", "gap": "shift"}
    assert patched.get_json()["version"] == job["version"] + 1


def test_next_run_at_skips_excluded_days_and_carries_the_jitter(client, alice):
    closed = make_calendar(client, alice, name="Closed", dates=closed_days(10))
    job = create_job(
        client, alice, cron_expression="0 9 * * *", timezone="UTC", exclude_calendars=[closed["id"]]
    )
    first = datetime.fromisoformat(job["next_run_at"])
    assert first.date() == datetime.now(UTC).date() + timedelta(days=11) or (
        first.date() == datetime.now(UTC).date() and first > datetime.now(UTC)
    )
    assert (first.hour, first.minute, first.second) == (9, 0, 0)
    jittered = client.patch(
        f"{API}/jobs/{job['id']}", json={"jitter_seconds": 3000}, headers=alice
    ).get_json()
    at = datetime.fromisoformat(jittered["next_run_at"])
    assert at.date() == first.date() and at.hour == 9 and 0 < (at - first).total_seconds() <= 3000
    # The same job, read again: the same offset (it is drawn from the job and the slot).
    again = client.patch(f"{API}/jobs/{job['id']}", json={"description": "x"}, headers=alice).get_json()
    assert again["next_run_at"] == jittered["next_run_at"]


def test_a_calendar_in_use_cannot_be_deleted_and_its_edit_replans_the_jobs(client, alice):
    calendar = make_calendar(client, alice, name="Closed", dates=closed_days(3))
    job = create_job(
        client, alice, name="Nightly report", cron_expression="0 9 * * *", exclude_calendars=[calendar["id"]]
    )
    response = client.delete(f"{API}/calendars/{calendar['id']}", headers=alice)
    assert response.status_code == 409
    assert (
        "Nightly report" in response.get_json()["message"]
        and str(job["id"]) in response.get_json()["message"]
    )
    client.patch(f"{API}/calendars/{calendar['id']}", json={"dates": closed_days(20)}, headers=alice)
    moved = client.get(f"{API}/jobs/{job['id']}", headers=alice).get_json()
    assert (
        datetime.fromisoformat(moved["next_run_at"]).date()
        > datetime.fromisoformat(job["next_run_at"]).date()
    )
    assert moved["version"] == job["version"] + 1
    client.patch(f"{API}/jobs/{job['id']}", json={"exclude_calendars": []}, headers=alice)
    assert client.delete(f"{API}/calendars/{calendar['id']}", headers=alice).status_code == 204


def test_preview_takes_calendars_when_signed_in(client, alice):
    calendar = make_calendar(client, alice, name="Germany", country="DE")
    body = {
        "cron_expression": "0 9 * * *",
        "timezone": "Europe/Berlin",
        "count": 50,
        "exclude_calendars": [calendar["id"]],
    }
    runs = client.post(f"{API}/cron/preview", json=body, headers=alice).get_json()["runs"]
    years = {datetime.fromisoformat(run["at"]).year for run in runs}
    holidays = {
        day["date"]
        for year in years
        for day in client.get(f"{API}/calendars/{calendar['id']}?year={year}", headers=alice).get_json()[
            "days"
        ]
    }
    for run in runs:
        day = datetime.fromisoformat(run["at"]).date().isoformat()
        assert (run["skipped"] == "calendar: Germany") == (day in holidays), run
        if run["skipped"]:
            assert run["note"].endswith("(Germany): skipped")
    assert len([run for run in runs if not run["skipped"]]) == 50
    # Without a token the preview still works, but not with calendars.
    response = client.post(f"{API}/cron/preview", json=body)
    assert response.status_code == 422 and "exclude_calendars" in response.get_json()["errors"]


def test_preview_marks_a_known_holiday_skipped(client, alice):
    # The next three days are custom excluded days.
    calendar = make_calendar(client, alice, name="Shutdown", dates=closed_days(3))
    body = {"cron_expression": "0 12 * * *", "count": 2, "exclude_calendars": [calendar["id"]]}
    runs = client.post(f"{API}/cron/preview", json=body, headers=alice).get_json()["runs"]
    skipped = [r for r in runs if r["skipped"]]
    assert [r["skipped"] for r in skipped] == ["calendar: Shutdown"] * 3
    assert all(r["note"] == "excluded date (Shutdown): skipped" for r in skipped)
    moved = client.post(
        f"{API}/cron/preview", json={**body, "on_excluded": "next_business_day"}, headers=alice
    ).get_json()["runs"]
    assert [r["skipped"] for r in moved].count("calendar: Shutdown") == 3  # each lands on the same 12:00


def test_calendar_view_shows_past_counts_future_runs_and_skips(client, alice):
    now = datetime.now(UTC)
    tomorrow = now.date() + timedelta(days=1)
    calendar = make_calendar(
        client, alice, name="Shutdown", dates=[(tomorrow + timedelta(days=1)).isoformat()]
    )
    job = create_job(client, alice, cron_expression="0 12 * * *", exclude_calendars=[calendar["id"]])
    yesterday = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
    add_execution(job["id"], status="succeeded", scheduled_for=yesterday)
    add_execution(
        job["id"], status="failed", scheduled_for=yesterday + timedelta(minutes=1), trigger="manual"
    )
    add_execution(job["id"], status="skipped", scheduled_for=yesterday - timedelta(days=1), reason="dst_gap")
    start, end = now.date() - timedelta(days=2), now.date() + timedelta(days=3)
    response = client.get(f"{API}/calendar?from={start}&to={end}&job_id={job['id']}", headers=alice)
    assert response.status_code == 200, response.get_json()
    days = {d["date"]: d for d in response.get_json()["days"]}
    assert len(days) == 6
    entry = days[str(now.date() - timedelta(days=1))]["jobs"][0]
    assert entry["counts"] == {"succeeded": 1, "failed": 1} and entry["job_id"] == job["id"]
    assert days[str(start)]["jobs"][0]["skipped"][0]["reason"] == "dst_gap"
    assert [datetime.fromisoformat(t).hour for t in days[str(tomorrow)]["jobs"][0]["planned"]] == [12]
    closed = days[str(tomorrow + timedelta(days=1))]
    assert closed["jobs"][0]["planned"] == []
    assert closed["jobs"][0]["skipped"][0]["reason"] == "calendar: Shutdown"
    assert closed["excluded"] == [{"calendar": "Shutdown", "reasons": ["excluded date"]}]
    # The workspace view (no job_id) holds the same job.
    every = client.get(f"{API}/calendar?from={start}&to={end}", headers=alice).get_json()
    assert {j["job_id"] for d in every["days"] for j in d["jobs"]} == {job["id"]}


def test_calendar_view_marks_dst_days_and_bounds_its_range(client, alice, bob):
    job = create_job(client, alice, cron_expression="30 2 * * *", timezone="America/New_York")
    body = client.get(
        f"{API}/calendar?from=2027-03-13&to=2027-03-15&job_id={job['id']}", headers=alice
    ).get_json()
    marks = {d["date"]: d["dst"] for d in body["days"]}
    assert marks["2027-03-14"] == [
        {"timezone": "America/New_York", "offset_before": "-05:00", "offset_after": "-04:00"}
    ]
    assert marks["2027-03-13"] == marks["2027-03-15"] == []
    # The gap night's 02:30 runs at 03:00 EDT (the default policy).
    planned = {d["date"]: d["jobs"][0]["planned"] for d in body["days"]}
    assert planned["2027-03-14"] == ["2027-03-14T03:00:00-04:00"]
    for query, field in (
        ("from=2027-01-01&to=2027-03-05", "to"),
        ("from=2027-01-05&to=2027-01-01", "to"),
        ("from=yesterday&to=2027-01-01", "from"),
        ("to=2027-01-01", "from"),
        ("from=0001-01-01&to=0001-01-01", "from"),
        ("from=9999-12-31&to=9999-12-31", "to"),
    ):
        response = client.get(f"{API}/calendar?{query}", headers=alice)
        assert response.status_code == 422 and field in response.get_json()["errors"], query
    response = client.get(f"{API}/calendar?from=2027-01-01&to=2027-01-02&job_id={job['id']}", headers=bob)
    assert response.status_code == 404
    assert client.get(f"{API}/calendar?from=2027-01-01&to=2027-01-02").status_code == 401


def test_calendar_view_of_a_gap_skip_job(client, alice):
    job = create_job(
        client, alice, cron_expression="30 2 * * *", timezone="America/New_York", dst_policy={"gap": "skip"}
    )
    body = client.get(
        f"{API}/calendar?from=2027-03-14&to=2027-03-14&job_id={job['id']}", headers=alice
    ).get_json()
    entry = body["days"][0]["jobs"][0]
    assert entry["planned"] == [] and entry["skipped"] == [
        {"at": "2027-03-14T03:00:00-04:00", "reason": "dst_gap"}
    ]


def test_schedules_at_the_ends_of_time_answer_without_failing(client, alice):
    """A run moved or jittered past 9999-12-31 ends the schedule; nothing answers 500."""
    cal = client.post(
        f"{API}/calendars",
        json={"name": "W", "weekends": True, "dates": ["9999-12-31", "9999-12-30"]},
        headers=alice,
    ).get_json()
    for body in [
        {
            "schedule_type": "once",
            "job_type": "one_time",
            "run_at": "9999-12-31T23:59:59+00:00",
            "exclude_calendars": [cal["id"]],
            "on_excluded": "next_business_day",
            "jitter_seconds": 86400,
        },
        {
            "schedule_type": "once",
            "job_type": "one_time",
            "run_at": "9999-12-30T23:59:59-12:00",
            "exclude_calendars": [cal["id"]],
            "on_excluded": "next_business_day",
        },
        {
            "schedule_type": "interval",
            "interval_seconds": 315360000,
            "exclude_calendars": [cal["id"]],
            "on_excluded": "next_business_day",
            "jitter_seconds": 86400,
        },
        {
            "schedule_type": "cron",
            "cron_expression": "0 0 29 2 *",
            "exclude_calendars": [cal["id"]],
            "on_excluded": "next_business_day",
            "jitter_seconds": 86400,
            "timezone": "Pacific/Kiritimati",
        },
    ]:
        r = client.post(f"{API}/jobs", json={"name": "x", **body}, headers=alice)
        assert r.status_code in (201, 422), (body, r.status_code, r.get_json())
        if r.status_code == 201:
            j = r.get_json()
            for q in ["from=2100-12-01&to=2100-12-31", "from=1970-01-01&to=1970-01-31"]:
                v = client.get(f"{API}/calendar?{q}&job_id={j['id']}", headers=alice)
                assert v.status_code == 200, v.get_json()
    r = client.post(
        f"{API}/cron/preview",
        json={
            "cron_expression": "0 0 29 2 *",
            "count": 50,
            "jitter_seconds": 86400,
            "exclude_calendars": [cal["id"]],
            "on_excluded": "next_business_day",
        },
        headers=alice,
    )
    assert r.status_code == 200
