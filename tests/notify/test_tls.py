"""E-mail over TLS to a real SMTP server: STARTTLS and implicit TLS, certificates verified."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import pytest
import trustme

from chronos.notify import DeliveryError, send_email

from .conftest import PASSWORD, SMTPSink


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca, tmp_path) -> str:
    path = tmp_path / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "chronos@chronos.test", "ops@example.com", "TLS"
    message.set_content("over TLS")
    return message


def _config(sink: SMTPSink, **overrides: object) -> dict[str, object]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": sink.port,
        "SMTP_USERNAME": "chronos",
        "SMTP_PASSWORD": PASSWORD,
        "SMTP_TIMEOUT_SECONDS": 5,
        "SMTP_LOCAL_HOSTNAME": "chronos.test",
        **overrides,
    }


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_mail_goes_over_verified_tls_with_the_login_inside_it(mode, server_tls, ca_file):
    sink = SMTPSink(require_auth=True, **{"starttls" if mode == "starttls" else "implicit_tls": server_tls})
    sink.start()
    try:
        flags = {"SMTP_STARTTLS": True} if mode == "starttls" else {"SMTP_SSL": True}
        send_email(_message(), _config(sink, SMTP_CA_FILE=ca_file, **flags))
    finally:
        sink.stop()
    assert [m["Subject"] for m in sink.messages_to("ops@example.com")] == ["TLS"]
    assert sink.tls_sessions == [True]
    assert sink.auth_attempts == [("chronos", PASSWORD)]


def test_an_untrusted_certificate_is_refused_and_the_password_never_sent(server_tls):
    sink = SMTPSink(require_auth=True, starttls=server_tls)
    sink.start()
    try:
        with pytest.raises(DeliveryError) as refused:
            send_email(_message(), _config(sink, SMTP_STARTTLS=True))  # no SMTP_CA_FILE: system CAs only
    finally:
        sink.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert PASSWORD not in str(refused.value)
    assert sink.received == [] and sink.auth_attempts == []
