"""E-mails to citizens who left an address, queued in the caller's transaction (core.notify's outbox).

The follow-up link is only e-mailed once, in the acknowledgement: that is the only moment we hold
the token (afterwards only its hash exists). Later notices repeat the reference and point back to
that link. No e-mail carries the text of the case, so the outbox never holds what the citizen wrote.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from praca.core import notify
from praca.core.i18n import translate
from praca.dpo.labels import N_
from praca.dpo.models import Case
from praca.settings import Settings

ACK_SUBJECT = N_("We received your request {reference}")
ACK_BODY = N_(
    "Hello,\n\n"
    "Thank you for writing to the Data Protection Officer of {city}. Your reference is {reference}.\n\n"
    "You can follow your request and read our replies at this address. Keep it to yourself: anyone "
    "who has it can read your request.\n\n"
    "{link}\n\n"
    "We will write to you here when there is a reply. Your e-mail address is used only for that, "
    "and it is deleted together with the case.\n\n"
    "Praça {city}")
REPLY_SUBJECT = N_("New reply to your request {reference}")
REPLY_BODY = N_(
    "Hello,\n\n"
    "There is a new reply to your request {reference}.\n\n"
    "To read it, open the follow-up link from our first e-mail. That link is your private key to the "
    "request, so we do not keep a copy we could send again.\n\n"
    "Praça {city}")


def follow_url(settings: Settings, token: str, locale: str) -> str:
    return f"{settings.base_url.rstrip('/')}/follow/{token}?lang={locale}"


def queue_acknowledgement(session: Session, settings: Settings, case: Case, token: str) -> None:
    if not case.contact_email:
        return
    values = {"reference": case.reference, "city": settings.city_name,
              "link": follow_url(settings, token, case.locale)}
    notify.queue_email(session, case.contact_email, translate(ACK_SUBJECT, case.locale).format(**values),
                       translate(ACK_BODY, case.locale).format(**values))


def queue_reply_notice(session: Session, settings: Settings, case: Case) -> None:
    if not case.contact_email:
        return
    values = {"reference": case.reference, "city": settings.city_name}
    notify.queue_email(session, case.contact_email, translate(REPLY_SUBJECT, case.locale).format(**values),
                       translate(REPLY_BODY, case.locale).format(**values))
