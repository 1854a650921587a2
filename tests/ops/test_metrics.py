"""/metrics: Prometheus text with the engine's counters and the scrape-time state."""

from datetime import timedelta

from chronos.extensions import db
from chronos.models import Execution, Job, User, utcnow


def _job_with_executions(statuses: list[str]) -> None:
    user = User(email="ops@example.com")
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.flush()
    job = Job(owner_id=user.id, name="n", job_type="recurring", schedule_type="interval", interval_seconds=60)
    db.session.add(job)
    db.session.flush()
    now = utcnow()
    for i, status in enumerate(statuses):
        db.session.add(
            Execution(
                job_id=job.id,
                owner_id=user.id,
                job_version=1,
                trigger="schedule",
                scheduled_for=now - timedelta(minutes=10 + i),
                status=status,
            )
        )
    db.session.commit()


def test_metrics_report_executions_in_flight_by_status_and_unclaimed_ones(app):
    _job_with_executions(["succeeded", "succeeded", "failed", "pending", "retrying", "retrying"])
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'chronos_executions_by_status{status="pending"} 1.0' in body
    assert 'chronos_executions_by_status{status="retrying"} 2.0' in body
    # Ended ones are counted as they end (chronos_executions_total), not by scanning history.
    assert 'chronos_executions_by_status{status="succeeded"}' not in body
    assert "chronos_unclaimed_executions 1.0" in body
    assert "chronos_queue_depth" in body


def test_metrics_report_workers_alive_and_runs_past_their_timeout(app):
    from chronos.models import WorkerHeartbeat

    _job_with_executions(["running"])
    db.session.query(Execution).update({"started_at": utcnow() - timedelta(minutes=5)})
    db.session.add_all(
        [
            WorkerHeartbeat(worker="a:1", last_seen=utcnow()),
            WorkerHeartbeat(worker="b:2", last_seen=utcnow() - timedelta(minutes=5)),
        ]
    )
    db.session.commit()
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert "chronos_workers_alive 1.0" in body
    assert "chronos_executions_over_timeout 1.0" in body


def test_metrics_time_api_requests_by_route(app):
    client = app.test_client()
    client.get("/api/v1/nope")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'chronos_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}' in body


def test_metrics_token_protects_the_endpoint(app):
    app.config["METRICS_TOKEN"] = "s3cret"
    try:
        client = app.test_client()
        denied = client.get("/metrics")
        assert denied.status_code == 401 and denied.get_json()["code"] == 401
        allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200 and b"chronos_executions_by_status" in allowed.data
    finally:
        app.config["METRICS_TOKEN"] = None


def test_request_id_is_echoed_or_made(app):
    client = app.test_client()
    assert client.get("/api/v1/nope", headers={"X-Request-Id": "abc123"}).headers["X-Request-Id"] == "abc123"
    assert len(client.get("/api/v1/nope").headers["X-Request-Id"]) == 32
