"""GET /dashboard/stats over history rows inserted directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chronos.extensions import db
from chronos.models import Job

from .support import API, add_execution, create_job


def hour_index(now: datetime, when: datetime) -> int:
    floor = lambda value: value.replace(minute=0, second=0, microsecond=0)
    return 23 - int((floor(now) - floor(when)) / timedelta(hours=1))


def test_stats_count_the_last_24_hours(client, alice, bob, job):
    now = datetime.now(UTC)
    ok_at, failed_at = now - timedelta(minutes=90), now - timedelta(hours=5)
    for i in range(19):
        add_execution(
            job["id"],
            status="succeeded",
            scheduled_for=ok_at - timedelta(seconds=i),
            duration_ms=10 * (i + 1),
        )
    failure = add_execution(
        job["id"],
        status="failed",
        scheduled_for=failed_at,
        duration_ms=1000,
        error="HTTP 503 Service Unavailable",
    )
    add_execution(job["id"], status="succeeded", scheduled_for=now - timedelta(hours=30), duration_ms=99999)
    add_execution(job["id"], status="pending", scheduled_for=now + timedelta(minutes=5))
    add_execution(job["id"], status="running", scheduled_for=now - timedelta(seconds=5))
    bobs = create_job(client, bob, name="Bob's")
    add_execution(bobs["id"], status="failed", scheduled_for=now - timedelta(minutes=1), duration_ms=5)

    response = client.get(f"{API}/dashboard/stats", headers=alice)
    assert response.status_code == 200
    stats = response.get_json()
    assert stats["jobs_by_status"] == {"active": 1, "paused": 0, "completed": 0}
    assert stats["executions_24h"]["succeeded"] == 19 and stats["executions_24h"]["failed"] == 1
    assert stats["executions_24h"]["running"] == 1 and stats["executions_24h"]["pending"] == 0
    assert stats["success_rate_24h"] == 0.95
    assert stats["duration_ms_mean_24h"] == (sum(range(10, 200, 10)) + 1000) / 20
    assert stats["duration_ms_p95_24h"] == 190  # nearest rank: the 19th of 20 sorted durations
    buckets = stats["runs_by_hour_24h"]
    assert len(buckets) == 24
    assert [datetime.fromisoformat(b["hour"]) for b in buckets] == sorted(
        datetime.fromisoformat(b["hour"]) for b in buckets
    )
    assert buckets[hour_index(now, ok_at)]["succeeded"] >= 18  # 19 within a few seconds of each other
    assert sum(b["succeeded"] for b in buckets) == 19 and sum(b["failed"] for b in buckets) == 1
    assert buckets[hour_index(now, failed_at)]["failed"] == 1
    assert stats["upcoming"] == [
        {
            "job_id": job["id"],
            "name": job["name"],
            "next_run_at": job["next_run_at"],
            "timezone": job["timezone"],
        }
    ]
    assert stats["recent_failures"] == [
        {
            "execution_id": failure.id,
            "job_id": job["id"],
            "job_name": job["name"],
            "finished_at": failure.finished_at.isoformat(),
            "error": "HTTP 503 Service Unavailable",
        }
    ]


def test_upcoming_is_ordered_and_leaves_out_paused_jobs(client, alice, job):
    soon = create_job(
        client, alice, name="Soon", schedule_type="interval", cron_expression=None, interval_seconds=60
    )
    paused = create_job(client, alice, name="Paused")
    client.post(f"{API}/jobs/{paused['id']}/pause", headers=alice)
    stats = client.get(f"{API}/dashboard/stats", headers=alice).get_json()
    assert [item["job_id"] for item in stats["upcoming"]] == [soon["id"], job["id"]]
    assert stats["jobs_by_status"] == {"active": 2, "paused": 1, "completed": 0}


def test_empty_dashboard(client, alice):
    stats = client.get(f"{API}/dashboard/stats", headers=alice).get_json()
    assert stats["success_rate_24h"] is None and stats["duration_ms_p95_24h"] is None
    assert (
        stats["duration_ms_mean_24h"] is None and stats["upcoming"] == [] and stats["recent_failures"] == []
    )
    assert all(b["succeeded"] == b["failed"] == 0 for b in stats["runs_by_hour_24h"])
    assert db.session.query(Job).count() == 0


def test_dashboard_needs_a_token(client):
    assert client.get(f"{API}/dashboard/stats").status_code == 401
