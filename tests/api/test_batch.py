"""POST /jobs/batch (all or nothing, errors by index) and Idempotency-Key on the creating routes."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from chronos.extensions import db
from chronos.models import IdempotentRequest, Job

from .support import API, SEED


def _count_jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(Job)) or 0


def _item(n: int, **overrides):
    return {**SEED, "name": f"job {n}", **overrides}


def test_a_batch_creates_every_job_in_order_with_its_secret(client, alice):
    jobs = [_item(n) for n in range(250)]
    response = client.post(f"{API}/jobs/batch", json={"jobs": jobs}, headers=alice)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["count"] == 250
    assert [item["name"] for item in body["items"]] == [f"job {n}" for n in range(250)]
    assert all(item["signing_secret"] and item["next_run_at"] for item in body["items"])
    assert _count_jobs() == 250
    listed = client.get(f"{API}/jobs?per_page=1", headers=alice).get_json()
    assert listed["total"] == 250
    # The secret is shown once: a read masks nothing new and never returns it.
    assert (
        "signing_secret" not in client.get(f"{API}/jobs/{body['items'][0]['id']}", headers=alice).get_json()
    )


def test_one_bad_item_stores_nothing_and_names_the_item_and_field(client, alice):
    jobs = [_item(n) for n in range(10)]
    jobs[3]["cron_expression"] = "0 25 * * *"
    jobs[7]["timezone"] = "Mars/Olympus"
    response = client.post(f"{API}/jobs/batch", json={"jobs": jobs}, headers=alice)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["jobs"]
    assert set(errors) == {"3", "7"}
    assert "cron_expression" in errors["3"]
    assert "timezone" in errors["7"]
    assert _count_jobs() == 0


def test_batch_limits_are_named(client, alice):
    empty = client.post(f"{API}/jobs/batch", json={"jobs": []}, headers=alice)
    assert empty.status_code == 422 and "jobs" in empty.get_json()["errors"]
    too_many = client.post(f"{API}/jobs/batch", json={"jobs": [{"name": "x"}] * 1001}, headers=alice)
    assert too_many.status_code == 422
    assert "1001" in str(too_many.get_json()["errors"]["jobs"])
    not_a_list = client.post(f"{API}/jobs/batch", json={"jobs": {"name": "x"}}, headers=alice)
    assert not_a_list.status_code == 422 and "jobs" in not_a_list.get_json()["errors"]
    unknown = client.post(f"{API}/jobs/batch", json={"jobs": [_item(1)], "extra": 1}, headers=alice)
    assert unknown.status_code == 422 and "extra" in unknown.get_json()["errors"]
    assert _count_jobs() == 0


def test_a_full_batch_fits_the_batch_body_limit_but_not_the_plain_one(client, alice):
    jobs = [_item(n, description="d" * 200) for n in range(1000)]
    assert client.post(
        f"{API}/jobs", json={**jobs[0], "description": "d" * 300_000}, headers=alice
    ).status_code in (
        413,
        422,
    )
    response = client.post(f"{API}/jobs/batch", json={"jobs": jobs}, headers=alice)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["count"] == 1000


def test_batch_jobs_are_the_callers(client, alice, bob):
    made = client.post(f"{API}/jobs/batch", json={"jobs": [_item(1)]}, headers=alice).get_json()["items"][0]
    assert client.get(f"{API}/jobs/{made['id']}", headers=bob).status_code == 404
    assert client.get(f"{API}/jobs", headers=bob).get_json()["total"] == 0


def test_a_retried_create_with_the_same_key_makes_one_job(client, alice):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(f"{API}/jobs", json=_item(1), headers={**alice, **key})
    again = client.post(f"{API}/jobs", json=_item(1), headers={**alice, **key})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count_jobs() == 1
    # Another key, or none, creates another job.
    assert (
        client.post(f"{API}/jobs", json=_item(1), headers={**alice, "Idempotency-Key": "k2"}).status_code
        == 201
    )
    assert client.post(f"{API}/jobs", json=_item(1), headers=alice).status_code == 201
    assert _count_jobs() == 3


def test_the_same_key_with_another_body_is_refused(client, alice):
    key = {"Idempotency-Key": "order-42"}
    assert client.post(f"{API}/jobs", json=_item(1), headers={**alice, **key}).status_code == 201
    other = client.post(f"{API}/jobs", json=_item(2), headers={**alice, **key})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]
    on_batch = client.post(f"{API}/jobs/batch", json={"jobs": [_item(1)]}, headers={**alice, **key})
    assert on_batch.status_code == 422
    assert _count_jobs() == 1


def test_keys_belong_to_their_caller(client, alice, bob):
    key = {"Idempotency-Key": "shared-looking-key"}
    mine = client.post(f"{API}/jobs", json=_item(1), headers={**alice, **key}).get_json()
    theirs = client.post(f"{API}/jobs", json=_item(1), headers={**bob, **key})
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != mine["id"]


def test_a_failed_request_does_not_use_up_its_key(client, alice):
    key = {"Idempotency-Key": "retry-after-fix"}
    bad = client.post(f"{API}/jobs", json=_item(1, cron_expression="nope"), headers={**alice, **key})
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0
    assert client.post(f"{API}/jobs", json=_item(1), headers={**alice, **key}).status_code == 201


def test_malformed_keys_are_named(client, alice):
    for value in ("", "x" * 256, "has space", "é"):
        response = client.post(
            f"{API}/jobs",
            json=_item(1),
            headers={**alice, "Idempotency-Key": value.encode().decode("latin-1")},
        )
        assert response.status_code == 422, (value, response.get_json())
        assert "Idempotency-Key" in response.get_json()["errors"]
    assert _count_jobs() == 0


def test_a_batch_replays_too_and_a_deleted_job_is_a_conflict(client, alice):
    key = {"Idempotency-Key": "batch-1"}
    body = {"jobs": [_item(1), _item(2)]}
    first = client.post(f"{API}/jobs/batch", json=body, headers={**alice, **key}).get_json()
    again = client.post(f"{API}/jobs/batch", json=body, headers={**alice, **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert [j["id"] for j in again.get_json()["items"]] == [j["id"] for j in first["items"]]
    assert _count_jobs() == 2
    client.delete(f"{API}/jobs/{first['items'][0]['id']}", headers=alice)
    gone = client.post(f"{API}/jobs/batch", json=body, headers={**alice, **key})
    assert gone.status_code == 409 and str(first["items"][0]["id"]) in gone.get_json()["message"]


def test_concurrent_requests_with_one_key_make_one_job(pg_app, redis):
    """Racing on PostgreSQL: the unique key lets one commit; every other answers the same job."""
    from tests.conftest import Auth, _clean

    _clean(pg_app)
    with pg_app.app_context():
        headers = Auth(pg_app.test_client()).headers("racer@example.com")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    results: list[tuple[int, int]] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        client = pg_app.test_client()
        barrier.wait()
        response = client.post(f"{API}/jobs", json=_item(1), headers={**headers, **key})
        results.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in results} == {201}
    assert len({job_id for _, job_id in results}) == 1
    with pg_app.app_context():
        assert _count_jobs() == 1
        db.session.remove()


def test_a_batch_records_each_jobs_first_version_and_audit_event_masked(client, alice):
    jobs = [
        _item(n, target={"url": "http://127.0.0.1:9/hook", "headers": {"X-Api-Key": f"k-{n}-secret"}})
        for n in range(3)
    ]
    for job in jobs:
        job["handler"] = "http"
    body = client.post(f"{API}/jobs/batch", json={"jobs": jobs}, headers=alice).get_json()
    assert all(item["triggers"] == [] for item in body["items"])
    for item in body["items"]:
        versions = client.get(f"{API}/jobs/{item['id']}/versions", headers=alice).get_json()["items"]
        assert [v["version"] for v in versions] == [1]
        first = client.get(f"{API}/jobs/{item['id']}/versions/1", headers=alice).get_json()
        assert first["definition"]["target"]["headers"]["X-Api-Key"] == "****"
        assert first["changes"]["name"] == [None, item["name"]]
        assert first["changes"]["target"][0] is None and "secret" not in str(first)
    workspace = client.get(f"{API}/workspaces", headers=alice).get_json()["items"][0]["id"]
    events = client.get(f"{API}/workspaces/{workspace}/audit?action=job.created", headers=alice).get_json()[
        "items"
    ]
    assert sorted(e["target"]["id"] for e in events) == sorted(item["id"] for item in body["items"])
    names = {item["id"]: item["name"] for item in body["items"]}
    assert all(e["changes"] == {"name": [None, names[e["target"]["id"]]]} for e in events)
    assert all(e["actor"] and e["request_id"] for e in events)


def test_triggers_of_many_jobs_load_in_one_query(any_app, client, alice):
    up = client.post(f"{API}/jobs", json=_item(1), headers=alice).get_json()
    lone = client.post(f"{API}/jobs", json=_item(2), headers=alice).get_json()
    down = client.post(
        f"{API}/jobs",
        json={"name": "after", "schedule_type": "after", "run_after": {"jobs": [up["id"]]}},
        headers=alice,
    ).get_json()
    with any_app.app_context():
        loaded = Job.with_triggers(
            list(db.session.scalars(select(Job).where(Job.id.in_([up["id"], lone["id"]]))))
        )
        by_id = {job.id: [t.id for t in job.triggers] for job in loaded}
    assert by_id == {up["id"]: [down["id"]], lone["id"]: []}
