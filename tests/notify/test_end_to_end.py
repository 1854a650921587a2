"""End to end with the engine: a job whose target always fails, run by a real consumer, e-mails once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from chronos.extensions import db
from chronos.models import Execution, Notification
from tests.factories import make_newsletter_job, make_user
from tests.live import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def consumer(app, smtp_sink, tmp_path):
    """A real `python -m chronos.worker` pointed at the test SMTP server."""
    env = {**os.environ, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_sink.port),
           "SMTP_FROM": "chronos@chronos.test", "MAIL_CONSOLE": "false", "HTTP_ALLOWLIST": "127.0.0.1",
           "NOTIFY_RETRY_BACKOFF_SECONDS": "1", "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
           "CHRONOS_WORKERS": "2", "LOG_LEVEL": "INFO"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "chronos.worker", "-w", "2"], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)  # graceful: running tasks finish
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.returncode not in (0, -signal.SIGINT):
            print(log_path.read_text(errors="replace")[-5000:])


def test_always_failing_job_emails_exactly_once_after_the_last_attempt(app, smtp_sink, receiver, consumer):
    from chronos import tasks

    receiver.status = 500
    owner = make_user("alice@example.com")
    job = make_newsletter_job(owner, name="Always failing",
                              target={"url": f"{receiver.url}/hook", "method": "POST"},
                              max_retries=1, retry_backoff_seconds=[1], notify_emails=["ops@example.com"],
                              timeout_seconds=5)
    execution_id = tasks.trigger_manual(job).id

    def finished() -> Execution | None:
        db.session.expire_all()
        execution = db.session.get(Execution, execution_id)
        return execution if execution.status in ("failed", "succeeded") else None

    execution = wait_for(finished, timeout=30)
    assert execution.status == "failed" and execution.attempt == 2
    assert len(receiver.requests) == 2  # the first attempt and its one retry
    wait_for(lambda: smtp_sink.received, timeout=15)
    time.sleep(1.5)  # room for a wrong second e-mail (per attempt, or a duplicate) to arrive

    assert len(smtp_sink.received) == 1
    [received] = smtp_sink.received
    assert received.rcpt_tos == ["ops@example.com"]
    assert received.message["Subject"] == '[Chronos] Job "Always failing" failed'
    plain = received.message.get_body(("plain",)).get_content()
    assert "HTTP 500" in plain and "Attempts:     2" in plain
    assert f"http://127.0.0.1:8000/executions/{execution_id}" in plain
    db.session.expire_all()
    rows = db.session.scalars(select(Notification).where(Notification.execution_id == execution_id)).all()
    assert [(r.channel, r.recipient, r.status, r.tries) for r in rows] == [
        ("email", "ops@example.com", "sent", 1)]
