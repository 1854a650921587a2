"""Credentials never leave in clear: one masking rule for execution records, their log lines, process
logs, failure e-mails and webhooks (the API's responses are tested in tests/api/test_masking.py).

The job sends real credentials (the receiver gets them); everything Chronos stores or sends about the
run shows them masked — including an error message a handler wrote with a credential inside it.
"""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from chronos import handlers, tasks
from chronos.extensions import db
from chronos.handlers import Call, Outcome, register
from chronos.masking import MASK
from chronos.models import Execution, ExecutionLog, Notification
from tests.factories import make_execution, make_newsletter_job, reload

SECRETS = {"session": "sess-0123456789", "signature": "sig-abcdef123456", "bearer": "tok-zyxw98765",
           "api_key": "key-55667788", "url_password": "pw-hunter2222", "webhook_token": "wh-tok-424242"}


@pytest.fixture
def leaky_handler(monkeypatch):
    """A deployment's handler that quotes its credentials in its log line and its error."""
    monkeypatch.setattr(handlers, "_registry", dict(handlers._registry))

    @register("leaky")
    async def leaky(call: Call) -> Outcome:
        auth = (call.target or {}).get("headers", {}).get("Authorization")
        call.log("info", f"calling with {auth}", {"headers": call.target["headers"], "auth_used": auth})
        return Outcome(ok=False, retryable=False, error=f"upstream refused credentials {auth}",
                       result={"sent": {"Authorization": auth}})


def _job(owner, receiver, *, auth_header: str = "X-Auth-Token", userinfo: bool = True, **fields):
    login = f"bot:{SECRETS['url_password']}@" if userinfo else ""
    url = f"http://{login}127.0.0.1:{receiver.port}/status/500?api_key={SECRETS['api_key']}"
    return make_newsletter_job(
        owner, max_retries=0, notify_emails=["ops@example.com"],
        notify_webhook_url=f"{receiver.url}/hook?token={SECRETS['webhook_token']}",
        target={"url": url, "method": "POST", "headers": {
            "X-Session-Id": SECRETS["session"], "X-Signature": SECRETS["signature"],
            auth_header: f"Bearer {SECRETS['bearer']}", "Accept": "application/json"}},
        **fields)


def _everything_stored_and_sent(execution_id: int, smtp_sink, receiver, caplog) -> dict[str, str]:
    db.session.expire_all()
    execution = db.session.get(Execution, execution_id)
    lines = db.session.scalars(select(ExecutionLog).where(ExecutionLog.execution_id == execution_id)).all()
    notices = db.session.scalars(select(Notification).where(Notification.execution_id == execution_id)).all()
    mails = [m.message.as_string() for m in smtp_sink.received]
    hooks = [r.body.decode() for r in receiver.matching("/hook")]
    return {
        "execution": json.dumps({"error": execution.error, "result": execution.result,
                                 "attempts": execution.attempts}),
        "logs": json.dumps([{"message": line.message, "data": line.data} for line in lines]),
        "notifications": json.dumps([{"recipient": n.recipient, "error": n.error} for n in notices]),
        "e-mail": "\n".join(mails), "webhook": "\n".join(hooks), "process log": caplog.text,
    }


def _assert_no_secret(surfaces: dict[str, str]) -> None:
    for surface, text in surfaces.items():
        for name, value in SECRETS.items():
            if name == "webhook_token" and surface == "notifications":
                continue  # the stored recipient is the URL to call; the API masks it (tests/api)
            assert value not in text, f"{name} appears in clear in the {surface}"


def test_http_job_credentials_are_masked_in_records_logs_email_and_webhook(
        notify_config, smtp_sink, owner, receiver, caplog):
    caplog.set_level(logging.INFO)
    job = _job(owner, receiver)
    execution = make_execution(job)
    tasks.run_executions.call_local([execution.id])
    assert reload(execution).status == "failed", reload(execution).error
    assert reload(execution).result["http_status"] == 500, reload(execution).error
    tasks.deliver_notifications.call_local(execution.id, "failure")

    (request,) = receiver.matching("/status/500")
    assert request.headers["X-Session-Id"] == SECRETS["session"]  # the target did get them
    assert SECRETS["api_key"] in request.path and SECRETS["bearer"] in request.headers["X-Auth-Token"]
    assert smtp_sink.received and receiver.matching("/hook")
    surfaces = _everything_stored_and_sent(execution.id, smtp_sink, receiver, caplog)
    _assert_no_secret(surfaces)
    log_data = json.loads(surfaces["logs"])[0]["data"]
    assert log_data["headers"]["X-Session-Id"] == MASK and log_data["headers"]["X-Signature"] == MASK
    assert log_data["headers"]["X-Chronos-Signature"] == MASK and log_data["headers"]["Accept"] != MASK
    assert f"api_key={MASK}" in reload(execution).result["url"]


def test_a_handler_quoting_its_credentials_is_masked_everywhere(
        notify_config, smtp_sink, owner, receiver, caplog, leaky_handler):
    caplog.set_level(logging.INFO)
    execution = make_execution(_job(owner, receiver, auth_header="Authorization", userinfo=False,
                                    handler="leaky"))
    tasks.run_executions.call_local([execution.id])
    row = reload(execution)
    assert row.status == "failed" and row.error == f"upstream refused credentials {MASK}"
    tasks.deliver_notifications.call_local(execution.id, "failure")
    assert smtp_sink.received
    _assert_no_secret(_everything_stored_and_sent(execution.id, smtp_sink, receiver, caplog))
