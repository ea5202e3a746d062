"""E-mail through an outbox: written in the request's transaction, sent by the worker after commit.

A rolled-back request sends nothing; a crash after sending at worst re-sends once. The recipient
address and the text are erased from the outbox row as soon as the message is delivered: a text may
carry a secret (a citizen's follow-up link) that must not outlive its delivery.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from praca.core.db import Base, UTCDateTime, utcnow
from praca.settings import Settings

log = structlog.get_logger(__name__)


class OutboxEmail(Base):
    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


def queue_email(session: Session, to: str, subject: str, body: str) -> OutboxEmail:
    msg = OutboxEmail(to_address=to, subject=subject, body=body)
    session.add(msg)
    session.flush()
    return msg


def send_pending(session: Session, settings: Settings, max_attempts: int = 5) -> int:
    """Deliver queued messages; each is committed on its own so one failure does not block others."""
    sent = 0
    pending = session.scalars(
        select(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.to_address.is_not(None),
                                  OutboxEmail.attempts < max_attempts)
        .order_by(OutboxEmail.id).limit(100)
    ).all()
    for msg in pending:
        msg.attempts += 1
        try:
            # Built inside the try: a header the email package refuses (a line break in a subject or
            # address) fails this message alone instead of stopping the outbox at it for good.
            email = EmailMessage()
            email["From"] = settings.smtp_from
            email["To"] = msg.to_address
            email["Subject"] = msg.subject
            email.set_content(msg.body)
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(email)
        except (OSError, ValueError, smtplib.SMTPException) as exc:
            msg.last_error = type(exc).__name__
            log.warning("email.failed", outbox_id=msg.id, error=type(exc).__name__)
        else:
            msg.sent_at, msg.to_address, msg.body = utcnow(), None, ""
            sent += 1
            log.info("email.sent", outbox_id=msg.id)
        session.commit()
    return sent


def erase_undeliverable(session: Session, older_than: timedelta) -> int:
    """Forget the recipient of messages still unsent after `older_than`; they will not be retried."""
    from sqlalchemy import update

    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.to_address.is_not(None),
               OutboxEmail.created_at < utcnow() - older_than)
        .values(to_address=None, body="", last_error="erased: undeliverable")
    )
    session.flush()
    return result.rowcount
