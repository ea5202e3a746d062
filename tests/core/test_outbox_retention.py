from datetime import timedelta

from sqlalchemy import update

from praca.core import notify
from praca.core.db import utcnow
from praca.core.notify import OutboxEmail


def test_undeliverable_messages_forget_their_recipient(session):
    old = notify.queue_email(session, "maria@example.org", "Resposta", "…")
    fresh = notify.queue_email(session, "joao@example.org", "Resposta", "…")
    session.execute(update(OutboxEmail).where(OutboxEmail.id == old.id)
                    .values(created_at=utcnow() - timedelta(days=8), attempts=5))
    assert notify.erase_undeliverable(session, older_than=timedelta(days=7)) == 1
    session.expire_all()
    assert session.get(OutboxEmail, old.id).to_address is None
    assert session.get(OutboxEmail, old.id).body == ""
    assert session.get(OutboxEmail, fresh.id).to_address == "joao@example.org"
