"""core/notify: the e-mail outbox, delivered to a real SMTP server on a loopback port.

send_pending commits per message, so these tests use `fresh_sm` (a database of their own).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from praca.core import jobs, notify
from praca.core import tasks as core_tasks
from praca.core.notify import OutboxEmail
from praca.settings import Settings
from tests.smtp import refused_port, smtp_server

SUBJECT = "Confirmação do seu pedido"
BODY = "Olá,\n\nrecebemos o seu pedido de acesso aos dados.\nAcompanhe-o em https://praca.example/f/abc\n"


def settings_for(tmp_path, port: int) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port,
                    smtp_from="Praça <no-reply@cm-porto.example>", _env_file=None)


def queue(sm, to: str = "cidada@example.org", subject: str = SUBJECT, body: str = BODY) -> int:
    with sm() as s:
        msg = notify.queue_email(s, to, subject, body)
        s.commit()
        return msg.id


def outbox(sm, msg_id: int) -> OutboxEmail:
    with sm() as s:
        return s.get(OutboxEmail, msg_id)


def send(sm, settings: Settings, **kw) -> int:
    with sm() as s:
        return notify.send_pending(s, settings, **kw)


def test_queued_email_is_delivered_and_the_address_erased(fresh_sm, smtp, tmp_path):
    msg_id = queue(fresh_sm)

    assert send(fresh_sm, settings_for(tmp_path, smtp.port)) == 1

    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["cidada@example.org"]
    assert envelope.mail_from == "no-reply@cm-porto.example"
    [message] = smtp.messages
    assert message["To"] == "cidada@example.org"
    assert message["From"] == "Praça <no-reply@cm-porto.example>"
    assert message["Subject"] == SUBJECT
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == BODY

    row = outbox(fresh_sm, msg_id)
    assert row.sent_at is not None
    assert row.to_address is None
    assert row.attempts == 1 and row.last_error is None


def test_delivered_email_is_not_sent_again(fresh_sm, smtp, tmp_path):
    queue(fresh_sm)
    settings = settings_for(tmp_path, smtp.port)
    assert send(fresh_sm, settings) == 1
    assert send(fresh_sm, settings) == 0
    assert len(smtp.messages) == 1


def test_rolled_back_request_sends_nothing(fresh_sm, smtp, tmp_path):
    with fresh_sm() as s:
        notify.queue_email(s, "cidada@example.org", SUBJECT, BODY)
        s.rollback()
    assert send(fresh_sm, settings_for(tmp_path, smtp.port)) == 0
    assert smtp.messages == []


def test_several_messages_go_out_in_order(fresh_sm, smtp, tmp_path):
    for i in range(3):
        queue(fresh_sm, to=f"p{i}@example.org", subject=f"Mensagem {i}")
    assert send(fresh_sm, settings_for(tmp_path, smtp.port)) == 3
    assert [m["Subject"] for m in smtp.messages] == ["Mensagem 0", "Mensagem 1", "Mensagem 2"]
    assert [e.rcpt_tos for e in smtp.envelopes] == [["p0@example.org"], ["p1@example.org"], ["p2@example.org"]]


def test_unreachable_server_is_recorded_then_delivered_later(fresh_sm, tmp_path):
    msg_id = queue(fresh_sm)

    with refused_port() as closed:
        assert send(fresh_sm, settings_for(tmp_path, closed)) == 0
    row = outbox(fresh_sm, msg_id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == "ConnectionRefusedError"
    assert row.to_address == "cidada@example.org"  # still needed for the next attempt

    with smtp_server() as server:
        assert send(fresh_sm, settings_for(tmp_path, server.port)) == 1
        [message] = server.messages
    assert message["Subject"] == SUBJECT
    row = outbox(fresh_sm, msg_id)
    assert row.sent_at is not None and row.to_address is None and row.attempts == 2


def test_gives_up_after_max_attempts(fresh_sm, smtp, tmp_path):
    msg_id = queue(fresh_sm)
    with refused_port() as closed:
        for _ in range(3):
            assert send(fresh_sm, settings_for(tmp_path, closed), max_attempts=3) == 0
    assert outbox(fresh_sm, msg_id).attempts == 3

    assert send(fresh_sm, settings_for(tmp_path, smtp.port), max_attempts=3) == 0
    assert smtp.messages == []
    assert outbox(fresh_sm, msg_id).attempts == 3


def test_a_refused_recipient_does_not_hold_up_the_others(fresh_sm, smtp, tmp_path):
    smtp.rejected_recipients.add("gone@example.org")
    bad = queue(fresh_sm, to="gone@example.org")
    good = queue(fresh_sm, to="cidada@example.org")

    assert send(fresh_sm, settings_for(tmp_path, smtp.port)) == 1

    assert [e.rcpt_tos for e in smtp.envelopes] == [["cidada@example.org"]]
    assert outbox(fresh_sm, good).sent_at is not None
    failed = outbox(fresh_sm, bad)
    assert failed.sent_at is None and failed.attempts == 1
    assert failed.last_error == "SMTPRecipientsRefused"


@pytest.mark.parametrize("to, subject", [
    ("cidada@example.org", "Pedido recebido\r\nBcc: everyone@example.org"),
    ("cidada@example.org\nBcc: everyone@example.org", SUBJECT),
], ids=["subject", "address"])
def test_a_message_that_cannot_be_built_does_not_block_the_outbox(fresh_sm, smtp, tmp_path, to, subject):
    """A line break in a header is refused by the email package; that message fails on its own,
    without header injection and without stopping every message queued after it."""
    bad = queue(fresh_sm, to=to, subject=subject)
    good = queue(fresh_sm, to="vizinho@example.org")

    assert send(fresh_sm, settings_for(tmp_path, smtp.port)) == 1

    assert [e.rcpt_tos for e in smtp.envelopes] == [["vizinho@example.org"]]
    assert "everyone@example.org" not in str(smtp.messages[0])
    assert outbox(fresh_sm, good).sent_at is not None
    failed = outbox(fresh_sm, bad)
    assert failed.sent_at is None and failed.attempts == 1 and failed.last_error == "ValueError"


def test_the_worker_job_sends_the_outbox(fresh_sm, smtp, tmp_path):
    job = jobs.REGISTRY["core.send_email"]
    assert job.fn is core_tasks.send_email and job.every == timedelta(seconds=30)
    queue(fresh_sm)

    assert jobs.run_job(fresh_sm, settings_for(tmp_path, smtp.port), job) == {"sent": 1}

    assert len(smtp.messages) == 1
    with fresh_sm() as s:
        assert s.scalars(select(OutboxEmail.to_address)).all() == [None]
