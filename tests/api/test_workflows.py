"""Workflows through the API on both backends: jobs that run after others (validation, cycles,
isolation, delete), the runs they cause, run now with a payload override, and re-runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from chronos import executor
from chronos.extensions import db
from chronos.models import DependencyTrigger, Execution, Job, JobDependency

from .support import API, create_job


def after(client, headers, jobs: list[int], **overrides: Any) -> dict[str, Any]:
    run_after = {"jobs": jobs, **overrides.pop("run_after", {})}
    return create_job(client, headers, schedule_type="after", run_after=run_after, **overrides)


def run(execution_id: int) -> list[int]:
    """Run an execution in-process, as a consumer would; the ids it left to queue."""
    followups = executor.run_executions([execution_id])
    return [i for i, _ in followups.runs]


def run_now(client, headers, job_id: int, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/jobs/{job_id}/execute", headers=headers, json=body or None)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def detail(client, headers, execution_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/executions/{execution_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


# --- the graph ---------------------------------------------------------------------------------


def test_a_job_runs_after_another_and_both_show_it(client, alice, bob):
    upstream = create_job(client, alice, name="Extract")
    downstream = after(client, alice, [upstream["id"]], name="Load", run_after={"on": "completion"})
    assert downstream["schedule_type"] == "after" and downstream["job_type"] == "recurring"
    assert downstream["run_after"] == {"jobs": [upstream["id"]], "on": "completion", "within_seconds": None}
    assert downstream["next_run_at"] is None
    shown = client.get(f"{API}/jobs/{upstream['id']}", headers=alice).get_json()
    assert shown["triggers"] == [{"id": downstream["id"], "name": "Load", "status": "active"}]
    assert client.get(f"{API}/jobs/{downstream['id']}", headers=alice).get_json()["triggers"] == []
    assert client.get(f"{API}/jobs/graph", headers=bob).get_json() == {"nodes": [], "edges": []}
    graph = client.get(f"{API}/jobs/graph", headers=alice).get_json()
    assert [n["name"] for n in graph["nodes"]] == ["Extract", "Load"]
    assert graph["edges"] == [{"upstream": upstream["id"], "downstream": downstream["id"]}]


def test_run_after_is_validated_field_by_field(client, alice):
    upstream = create_job(client, alice)
    cases = [
        ({"schedule_type": "after"}, "run_after"),
        ({"schedule_type": "after", "run_after": {"jobs": []}}, "run_after"),
        ({"schedule_type": "after", "run_after": {"jobs": [upstream["id"]], "on": "maybe"}}, "run_after"),
        ({"schedule_type": "after", "run_after": {"jobs": [upstream["id"], upstream["id"]]}}, "run_after"),
        ({"schedule_type": "after", "run_after": {"jobs": ["1"]}}, "run_after"),
        (
            {"schedule_type": "after", "run_after": {"jobs": [upstream["id"]], "within_seconds": 0}},
            "run_after",
        ),
    ]
    for body, field in cases:
        response = client.post(f"{API}/jobs", json={"name": "x", **body}, headers=alice)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()
    errors = client.post(
        f"{API}/jobs",
        json={"name": "x", "schedule_type": "after", "run_after": {"jobs": [upstream["id"]], "on": "maybe"}},
        headers=alice,
    ).get_json()["errors"]
    assert "on" in errors["run_after"]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_another_users_job_cannot_be_named(client, alice, bob):
    theirs = create_job(client, bob, name="Bob's")
    response = client.post(
        f"{API}/jobs",
        json={"name": "x", "schedule_type": "after", "run_after": {"jobs": [theirs["id"]]}},
        headers=alice,
    )
    assert response.status_code == 422
    assert str(theirs["id"]) in response.get_json()["errors"]["run_after"]["jobs"][0]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert db.session.scalar(select(func.count()).select_from(JobDependency)) == 0


def test_a_cycle_is_refused_naming_it(client, alice):
    a = create_job(client, alice, name="a")
    b = after(client, alice, [a["id"]], name="b")
    c = after(client, alice, [b["id"]], name="c")
    response = client.patch(
        f"{API}/jobs/{a['id']}",
        json={"schedule_type": "after", "run_after": {"jobs": [c["id"]]}},
        headers=alice,
    )
    assert response.status_code == 422
    assert "a → b → c → a" in response.get_json()["errors"]["run_after"]["jobs"][0]
    itself = client.patch(f"{API}/jobs/{b['id']}", json={"run_after": {"jobs": [b["id"]]}}, headers=alice)
    assert itself.status_code == 422 and "b → b" in itself.get_json()["errors"]["run_after"]["jobs"][0]
    db.session.expire_all()
    assert db.session.get(Job, a["id"]).schedule_type == "cron"
    assert db.session.get(Job, b["id"]).run_after["jobs"] == [a["id"]]


def test_editing_run_after_moves_the_edges(client, alice):
    a = create_job(client, alice, name="a")
    b = create_job(client, alice, name="b")
    c = after(client, alice, [a["id"]], name="c")
    response = client.patch(f"{API}/jobs/{c['id']}", json={"run_after": {"jobs": [b["id"]]}}, headers=alice)
    assert response.status_code == 200 and response.get_json()["run_after"]["jobs"] == [b["id"]]
    assert client.get(f"{API}/jobs/{a['id']}", headers=alice).get_json()["triggers"] == []
    to_cron = client.patch(
        f"{API}/jobs/{c['id']}", json={"schedule_type": "cron", "cron_expression": "0 9 * * *"}, headers=alice
    )
    assert to_cron.status_code == 200 and to_cron.get_json()["run_after"] is None
    assert db.session.scalar(select(func.count()).select_from(JobDependency)) == 0


def test_deleting_an_upstream_is_refused_unless_forced(client, alice):
    a = create_job(client, alice, name="a")
    b = create_job(client, alice, name="b")
    only_a = after(client, alice, [a["id"]], name="only a")
    both = after(client, alice, [a["id"], b["id"]], name="a and b")
    refused = client.delete(f"{API}/jobs/{a['id']}", headers=alice)
    assert refused.status_code == 409
    assert refused.get_json()["errors"]["dependants"] == [
        f"only a (#{only_a['id']})",
        f"a and b (#{both['id']})",
    ]
    assert client.get(f"{API}/jobs/{a['id']}", headers=alice).status_code == 200
    assert client.delete(f"{API}/jobs/{a['id']}?force=true", headers=alice).status_code == 204
    left = client.get(f"{API}/jobs/{only_a['id']}", headers=alice).get_json()
    assert left["status"] == "paused" and left["run_after"]["jobs"] == []
    assert client.post(f"{API}/jobs/{only_a['id']}/resume", headers=alice).status_code == 409
    kept = client.get(f"{API}/jobs/{both['id']}", headers=alice).get_json()
    assert kept["status"] == "active" and kept["run_after"]["jobs"] == [b["id"]]


# --- the runs they cause -----------------------------------------------------------------------------


def test_a_finished_upstream_run_creates_one_downstream_run(client, alice):
    upstream = create_job(client, alice, name="Extract", payload={"day": 1})
    downstream = after(client, alice, [upstream["id"]], name="Load", payload={"table": "t"})
    first = run_now(client, alice, upstream["id"])
    (caused,) = run(first["id"])
    shown = detail(client, alice, caused)
    assert shown["trigger"] == "dependency" and shown["job_id"] == downstream["id"]
    assert shown["upstream_execution_ids"] == [first["id"]]
    assert shown["payload"] == {
        "table": "t",
        "upstream": [
            {
                "execution_id": first["id"],
                "job_id": upstream["id"],
                "status": "succeeded",
                "result": {"logged": True},
            }
        ],
    }
    assert detail(client, alice, first["id"])["downstream_execution_ids"] == [caused]
    # Recording the same upstream run again (a repeated delivery) causes nothing more.
    assert run(first["id"]) == []
    assert db.session.scalar(select(func.count()).select_from(DependencyTrigger)) == 1
    assert run(caused) == []
    assert detail(client, alice, caused)["status"] == "succeeded"


def test_on_failure_runs_only_after_a_failure(client, alice):
    upstream = create_job(
        client, alice, name="Fragile", handler="http", target={"url": "http://127.0.0.1:9/x"}
    )
    upstream_ok = create_job(client, alice, name="Fine")
    cleanup = after(client, alice, [upstream["id"]], name="Cleanup", run_after={"on": "failure"})
    after(client, alice, [upstream_ok["id"]], name="Never", run_after={"on": "failure"})
    db.session.execute(db.update(Job).where(Job.id == upstream["id"]).values(max_retries=0))
    db.session.commit()
    failing = run_now(client, alice, upstream["id"])
    (caused,) = run(failing["id"])
    assert detail(client, alice, failing["id"])["status"] == "failed"
    assert detail(client, alice, caused)["job_id"] == cleanup["id"]
    assert run(run_now(client, alice, upstream_ok["id"])["id"]) == []


def test_a_fan_in_runs_once_both_upstreams_ran(client, alice):
    a = create_job(client, alice, name="a")
    b = create_job(client, alice, name="b")
    both = after(client, alice, [a["id"], b["id"]], name="both")
    first_a = run_now(client, alice, a["id"])
    assert run(first_a["id"]) == []
    second_a = run_now(client, alice, a["id"])
    assert run(second_a["id"]) == []
    first_b = run_now(client, alice, b["id"])
    (caused,) = run(first_b["id"])
    shown = detail(client, alice, caused)
    assert shown["job_id"] == both["id"]
    assert shown["upstream_execution_ids"] == [first_a["id"], second_a["id"], first_b["id"]]
    # What it used is used: b alone again is not enough; a fresh a completes the set again.
    second_b = run_now(client, alice, b["id"])
    assert run(second_b["id"]) == []
    third_a = run_now(client, alice, a["id"])
    (again,) = run(third_a["id"])
    assert detail(client, alice, again)["upstream_execution_ids"] == [second_b["id"], third_a["id"]]


def test_a_fan_in_window_leaves_out_old_upstream_runs(client, alice):
    a = create_job(client, alice, name="a")
    b = create_job(client, alice, name="b")
    after(client, alice, [a["id"], b["id"]], name="both", run_after={"within_seconds": 60})
    old_a = run_now(client, alice, a["id"])
    assert run(old_a["id"]) == []
    db.session.execute(
        db.update(DependencyTrigger).values(created_at=datetime.now(UTC) - timedelta(seconds=61))
    )
    db.session.commit()
    assert run(run_now(client, alice, b["id"])["id"]) == []
    new_a = run_now(client, alice, a["id"])
    (caused,) = run(new_a["id"])
    assert old_a["id"] not in detail(client, alice, caused)["upstream_execution_ids"]


def test_a_chain_runs_once_per_upstream_run_recorded_together(client, alice):
    a = create_job(client, alice, name="a")
    after(client, alice, [a["id"]], name="next")
    ids = [run_now(client, alice, a["id"])["id"] for _ in range(3)]
    followups = executor.run_executions(ids)
    caused = [detail(client, alice, i)["upstream_execution_ids"] for i, _ in followups.runs]
    assert sorted(caused) == [[i] for i in ids]


def test_a_paused_downstream_runs_nothing_and_keeps_nothing(client, alice):
    a = create_job(client, alice, name="a")
    b = create_job(client, alice, name="b")
    both = after(client, alice, [a["id"], b["id"]], name="both")
    assert run(run_now(client, alice, a["id"])["id"]) == []
    assert client.post(f"{API}/jobs/{both['id']}/pause", headers=alice).status_code == 200
    assert run(run_now(client, alice, b["id"])["id"]) == []
    assert client.post(f"{API}/jobs/{both['id']}/resume", headers=alice).status_code == 200
    # a's run before the pause was dropped with it: b alone does not complete the fan-in.
    assert run(run_now(client, alice, b["id"])["id"]) == []
    statuses = db.session.scalars(select(DependencyTrigger.status).order_by(DependencyTrigger.id)).all()
    assert statuses == ["dropped", "dropped", "waiting"]


# --- run now with a payload, re-run -----------------------------------------------------------------


def test_run_now_takes_a_payload_for_this_run_only(client, alice):
    job = create_job(client, alice, payload={"mode": "normal"})
    plain = run_now(client, alice, job["id"])
    special = run_now(client, alice, job["id"], payload={"mode": "special"})
    run(plain["id"])
    run(special["id"])
    assert detail(client, alice, plain["id"])["payload"] is None
    assert detail(client, alice, special["id"])["payload"] == {"mode": "special"}
    logged = client.get(f"{API}/executions/{special['id']}/logs", headers=alice).get_json()["items"]
    assert logged[0]["data"] == {"payload": {"mode": "special"}}
    assert client.get(f"{API}/jobs/{job['id']}", headers=alice).get_json()["payload"] == {"mode": "normal"}
    bad = client.post(f"{API}/jobs/{job['id']}/execute", headers=alice, json={"payload": 1, "extra": 2})
    assert bad.status_code == 422 and "extra" in bad.get_json()["errors"]


def test_rerun_makes_a_new_execution_with_the_same_payload(client, alice, bob):
    job = create_job(client, alice)
    original = run_now(client, alice, job["id"], payload={"day": "2026-11-20"})
    run(original["id"])
    response = client.post(f"{API}/executions/{original['id']}/rerun", headers=alice)
    assert response.status_code == 202
    again = response.get_json()
    assert (
        again["trigger"] == "rerun" and again["rerun_of"] == original["id"] and again["status"] == "pending"
    )
    run(again["id"])
    shown = detail(client, alice, again["id"])
    assert shown["status"] == "succeeded" and shown["payload"] == {"day": "2026-11-20"}
    assert client.post(f"{API}/executions/{original['id']}/rerun", headers=bob).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Execution)) == 2
