"""Job history: a version per change to a job's definition; read one; restore one as a new version."""

from __future__ import annotations

from chronos.extensions import db
from chronos.models import Execution, Job
from tests.api.support import add_execution, create_job
from tests.api.teams import API


def test_each_definition_change_is_a_version_and_an_old_one_can_be_restored(client, alice):
    job = create_job(
        client,
        alice,
        handler="http",
        target={"url": "https://example.org/a", "headers": {"X-Api-Key": "k-123456"}},
    )
    client.patch(f"{API}/jobs/{job['id']}", json={"description": "second"}, headers=alice)
    client.patch(
        f"{API}/jobs/{job['id']}", json={"cron_expression": "0 10 * * 1", "name": "Third"}, headers=alice
    )
    client.post(f"{API}/jobs/{job['id']}/pause", headers=alice)  # state, not definition: no version
    versions = client.get(f"{API}/jobs/{job['id']}/versions", headers=alice).get_json()
    assert [v["version"] for v in versions["items"]] == [3, 2, 1]
    assert versions["items"][0]["changes"] == {
        "cron_expression": ["0 9 * * 1", "0 10 * * 1"],
        "name": ["Weekly Newsletter", "Third"],
    }
    assert versions["items"][0]["actor"]["label"] == "alice@example.com"
    first = client.get(f"{API}/jobs/{job['id']}/versions/1", headers=alice).get_json()
    assert first["definition"]["cron_expression"] == "0 9 * * 1"
    assert first["definition"]["target"]["headers"]["X-Api-Key"] == "****" and "k-123456" not in str(first)
    assert client.get(f"{API}/jobs/{job['id']}/versions/9", headers=alice).status_code == 404

    restored = client.post(f"{API}/jobs/{job['id']}/versions/1/restore", headers=alice)
    assert restored.status_code == 200, restored.get_json()
    body = restored.get_json()
    assert (
        body["version"] == 4
        and body["name"] == "Weekly Newsletter"
        and body["cron_expression"] == "0 9 * * 1"
    )
    assert body["description"] == "Send newsletter every Monday" and body["status"] == "paused"
    # The secret header kept its stored value (the version holds only its mask).
    assert db.session.get(Job, job["id"]).target["headers"]["X-Api-Key"] == "k-123456"
    latest = client.get(f"{API}/jobs/{job['id']}/versions", headers=alice).get_json()["items"][0]
    assert latest["version"] == 4
    audit_changes = client.get(f"{API}/jobs/{job['id']}/versions/4", headers=alice).get_json()
    assert audit_changes["definition"]["name"] == "Weekly Newsletter"


def test_a_description_edit_keeps_planned_slots_a_schedule_edit_drops_them(client, alice, job):
    from datetime import UTC, datetime, timedelta

    planned = add_execution(
        job["id"], status="pending", scheduled_for=datetime.now(UTC) + timedelta(minutes=5)
    )
    planned_id = planned.id
    client.patch(f"{API}/jobs/{job['id']}", json={"description": "words"}, headers=alice)
    assert db.session.get(Execution, planned_id) is not None
    client.patch(f"{API}/jobs/{job['id']}", json={"cron_expression": "0 8 * * *"}, headers=alice)
    db.session.expire_all()
    assert db.session.get(Execution, planned_id) is None
    stored = db.session.get(Job, job["id"])
    assert (stored.version, stored.schedule_version) == (3, 3)


def test_execution_keeps_its_job_version(client, alice, job):
    client.patch(f"{API}/jobs/{job['id']}", json={"description": "v2"}, headers=alice)
    execution = client.post(f"{API}/jobs/{job['id']}/execute", headers=alice).get_json()
    detail = client.get(f"{API}/executions/{execution['id']}", headers=alice).get_json()
    assert detail["job_version"] == 2
