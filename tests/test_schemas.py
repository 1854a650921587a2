"""Unit tests of the schemas: masking, URL rules, the whole-job rules and input normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from chronos.masking import MASK, MaskedCredentialError, is_credential, mask_target, unmask_target
from chronos.models import DEFINITION_FIELDS
from chronos.schemas.auth import RegisterSchema
from chronos.schemas.common import check_url, json_size
from chronos.schemas.jobs import JobCreateSchema, JobInputSchema, JobPatchSchema, TargetSchema, validate_job


@pytest.mark.parametrize(
    "name,secret",
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("X-Api-Key", True),
        ("X-Auth-Token", True),
        ("X-Client-Secret", True),
        ("x-signing-key", True),
        ("DB-Password", True),
        ("X-Signature", True),
        ("X-Session-Id", True),
        ("Set-Cookie", True),
        ("X-CSRF-Token", True),
        ("X-Hub-Signature-256", True),
        ("passwd", True),
        ("X-Credentials", True),
        ("Content-Type", False),
        ("Accept", False),
        ("X-Request-Id", False),
        ("User-Agent", False),
    ],
)
def test_credential_names(name, secret):
    assert is_credential(name) is secret


def test_mask_and_unmask_round_trip():
    stored = {"url": "https://example.com", "headers": {"Authorization": "Bearer a", "Accept": "*/*"}}
    masked = mask_target(stored)
    assert masked["headers"] == {"Authorization": MASK, "Accept": "*/*"}
    assert stored["headers"]["Authorization"] == "Bearer a"  # the stored copy is untouched
    sent_back = {**masked, "headers": {**masked["headers"], "authorization": MASK}}
    assert unmask_target(sent_back, stored)["headers"]["authorization"] == "Bearer a"
    assert unmask_target({"url": "x", "headers": {"X-New": MASK}}, stored)["headers"] == {"X-New": MASK}
    assert mask_target(None) is None and unmask_target(None, stored) is None


def test_url_credentials_are_masked_and_restored_only_for_the_same_origin():
    stored = {"url": "https://bot:hunter22@example.com/hook?token=s3cret&page=2"}
    masked = mask_target(stored)
    assert masked["url"] == "https://bot:****@example.com/hook?token=****&page=2"
    assert (
        unmask_target({"url": masked["url"].replace("page=2", "page=3")}, stored)["url"]
        == "https://bot:hunter22@example.com/hook?token=s3cret&page=3"
    )
    with pytest.raises(MaskedCredentialError):
        unmask_target({"url": masked["url"].replace("example.com", "attacker.test")}, stored)
    plain = {"url": "https://Example.com/a b?x=1"}  # shown exactly as saved when nothing is secret
    assert mask_target(plain)["url"] == plain["url"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com:8443/a?b=c",
        "HTTPS://EXAMPLE.com",
        "http://127.0.0.1:5000/hook",
        "http://[::1]:80/",
    ],
)
def test_good_urls(url):
    check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "example.com",
        "http://",
        "https:///path",
        "http://exa mple.com",
        "http://example.com:notaport/",
        "javascript:alert(1)",
        "http://example.com:70000/",
        "file:///etc/passwd",
        "http://a\nb.com",
    ],
)
def test_bad_urls(url):
    with pytest.raises(ValidationError):
        check_url(url)


def test_json_size_counts_utf8_bytes_of_compact_json():
    assert json_size({"a": [1, 2]}) == len('{"a":[1,2]}')
    assert json_size("é") == len('"é"'.encode())


def test_target_method_is_upper_cased_and_defaults_to_post():
    assert TargetSchema().load({"url": "https://x.example", "method": "get"})["method"] == "GET"
    assert TargetSchema().load({"url": "https://x.example"}) == {
        "url": "https://x.example",
        "method": "POST",
        "headers": {},
    }


def test_register_schema_normalises_email():
    data = RegisterSchema().load({"email": "  Someone@Example.ORG ", "password": "12345678"})
    assert data["email"] == "someone@example.org"


def test_create_schema_fills_defaults(app):
    data = JobCreateSchema().load({"name": "n", "schedule_type": "cron", "cron_expression": "@Daily"})
    assert data["job_type"] == "recurring" and data["cron_expression"] == "@daily"
    assert (
        data["timezone"] == "UTC"
        and data["handler"] == "log"
        and data["retry_backoff_seconds"] == [60, 300, 900]
    )
    assert data["interval_seconds"] is None and data["run_at"] is None


def test_patch_schema_has_no_defaults(app):
    assert JobPatchSchema().load({"name": "x"}) == {"name": "x"}


def test_validate_job_checks_time_rules_only_on_incoming_fields(app):
    past = datetime.now(UTC) - timedelta(days=1)
    values = {"name": "n", "job_type": "one_time", "schedule_type": "once", "run_at": past, "handler": "log"}
    assert validate_job(values, incoming={"name"})["run_at"] == past
    with pytest.raises(ValidationError) as err:
        validate_job(values, incoming={"run_at"})
    assert "run_at" in err.value.messages
    small = {"name": "n", "schedule_type": "interval", "interval_seconds": 1, "handler": "log"}
    assert validate_job(small, incoming={"name"})["interval_seconds"] == 1
    with pytest.raises(ValidationError):
        validate_job(small, incoming={"interval_seconds"})


def test_validate_job_collects_every_cross_field_error(app):
    with pytest.raises(ValidationError) as err:
        validate_job({"schedule_type": "cron", "handler": "http", "target": None}, incoming=())
    assert set(err.value.messages) == {"cron_expression", "target"}


def test_a_jobs_definition_is_one_list_the_input_schema_declares_exactly():
    """A version records DEFINITION_FIELDS; a field the API accepts but the list lacks would never be
    recorded or restored (and one the list has but the API lacks could never be set)."""
    assert set(JobInputSchema().fields) == {*DEFINITION_FIELDS, "status"}
    assert len(set(DEFINITION_FIELDS)) == len(DEFINITION_FIELDS)
