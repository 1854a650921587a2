"""Any JSON value in any field of a job: a valid job or a 4xx naming what is wrong, never a 500.

Through the Flask test client on PostgreSQL and SQLite (`client`), with JSON no schema expects:
huge and non-finite numbers, NUL characters, lone surrogates, deep nesting, unknown fields.
"""
from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chronos.extensions import db
from chronos.models import Job
from tests.api.support import API

from .conftest import PROPERTY_SETTINGS, Tally

FIELDS = ["name", "description", "job_type", "schedule_type", "cron_expression", "interval_seconds", "run_at",
          "timezone", "handler", "target", "payload", "timeout_seconds", "max_retries", "retry_backoff_seconds",
          "retry_on_client_error", "overlap_policy", "misfire_policy", "notify_on_failure", "notify_on_recovery",
          "notify_emails", "notify_webhook_url", "status"]
SEEDS: list[dict[str, Any]] = [
    {"name": "Weekly", "job_type": "recurring", "schedule_type": "cron", "cron_expression": "0 9 * * 1",
     "timezone": "Europe/Berlin", "payload": {"template": "weekly_digest"}},
    {"name": "Sync", "schedule_type": "interval", "interval_seconds": 300, "handler": "http",
     "target": {"url": "https://example.org/hook", "headers": {"X-Token": "secret"}}},
    {"name": "Once", "job_type": "one_time", "run_at": "2099-01-01T09:00:00+01:00"},
]

# Strings a schema does not expect: NUL, lone surrogates, control and wide characters, long ones.
nasty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFFFF, exclude_categories=())),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "0 9 * * 1", "@daily", "UTC", "http",
                     "log", "one_time", "recurring", "cron", "interval", "once", "paused", "active",
                     "https://example.org/x", "2099-01-01T00:00:00+00:00", "2000-01-01T00:00:00Z", "9" * 400]),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 10, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 1e308, 1.5]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, nasty_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(nasty_text, inner, max_size=5)), max_leaves=20)


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    """Some job fields set to any JSON value, and sometimes a field no schema knows."""
    fields = {name: draw(json_values)
              for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True))}
    if draw(st.booleans()):
        fields[draw(nasty_text)] = draw(json_values)
    return fields


@st.composite
def job_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid job with some of its fields changed by `changes`."""
    return {**draw(st.sampled_from(SEEDS)), **draw(changes())}


def encode(body: Any) -> str:
    # json.dumps writes NaN/Infinity literals and \\ud800 escapes, as a careless or hostile client does.
    return json.dumps(body)


def assert_clean_answer(response, allowed: set[int], errors: frozenset[int] = frozenset({400, 409, 413, 422})
                        ) -> dict[str, Any]:
    """No 5xx; a success in `allowed`, or an error in `errors` in the one error shape, naming fields."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.status_code in errors, (response.status_code, body)
        assert body["code"] == response.status_code and body["message"] and body["status"]
        assert set(body) <= {"code", "status", "message", "errors"}
        if response.status_code in (400, 422):
            assert body.get("errors"), body
    else:
        assert response.status_code in allowed, response.status_code
    return body


def count_jobs() -> int:
    db.session.remove()
    return db.session.query(Job).count()


def test_any_json_in_a_create_body_gives_a_job_or_a_4xx(client, alice, tally: Tally) -> None:
    @PROPERTY_SETTINGS
    @given(body=job_bodies())
    def check(body: dict[str, Any]) -> None:
        tally.count("hypothesis examples")
        before = count_jobs()
        response = client.post(f"{API}/jobs", data=encode(body), content_type="application/json",
                               headers=alice)
        answer = assert_clean_answer(response, {201})
        if response.status_code == 201:
            shown = client.get(f"{API}/jobs/{answer['id']}", headers=alice)
            assert shown.status_code == 200
            assert shown.get_json() == {k: v for k, v in answer.items() if k != "signing_secret"}
            assert count_jobs() == before + 1
        else:
            assert count_jobs() == before

    check()


def test_any_json_in_a_patch_body_gives_the_edited_job_or_a_4xx_and_no_change(client, alice, tally: Tally) -> None:
    ids = []
    for seed in SEEDS:
        response = client.post(f"{API}/jobs", json=seed, headers=alice)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])

    @PROPERTY_SETTINGS
    @given(index=st.sampled_from(range(len(SEEDS))), patch=changes())
    def check(index: int, patch: dict[str, Any]) -> None:
        tally.count("hypothesis examples")
        job_id = ids[index]
        before = client.get(f"{API}/jobs/{job_id}", headers=alice).get_json()
        response = client.patch(f"{API}/jobs/{job_id}", data=encode(patch), content_type="application/json",
                                headers=alice)
        answer = assert_clean_answer(response, {200})
        after = client.get(f"{API}/jobs/{job_id}", headers=alice).get_json()
        if response.status_code == 200:
            assert after == answer
        else:
            assert after == before

    check()


def test_any_json_as_the_whole_body_gives_a_4xx(client, alice, tally: Tally) -> None:
    @PROPERTY_SETTINGS
    @given(body=json_values)
    def check(body: Any) -> None:
        tally.count("hypothesis examples")
        for method, path in (("POST", "/jobs"), ("PATCH", "/jobs/1"), ("POST", "/cron/preview"),
                             ("POST", "/auth/login"), ("POST", "/auth/register")):
            response = client.open(f"{API}{path}", method=method, data=encode(body),
                                   content_type="application/json", headers=alice)
            assert_clean_answer(response, {200, 201}, frozenset({400, 401, 404, 409, 413, 422}))

    check()
