"""E-mails to citizens who left an address, queued in the caller's transaction (core.notify's outbox).

The follow-up link is only e-mailed once, in the acknowledgement: that is the only moment we hold
the token (afterwards only its hash exists). Later notices repeat the reference and point back to
that link. No e-mail carries the text of the case, so the outbox never holds what the citizen wrote.
A rights request is the exception to "acknowledgement first": its first e-mail asks to confirm the
address and carries both links (confirm, follow), since after that only hashes exist.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
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


def _queue(session: Session, settings: Settings, case: Case, subject: str, body: str, **values: object) -> None:
    """One e-mail to the case's contact, if it left one, in its language; every text may name the
    reference and the city."""
    if not case.contact_email:
        return
    values |= {"reference": case.reference, "city": settings.city_name}
    notify.queue_email(session, case.contact_email, translate(subject, case.locale).format(**values),
                       translate(body, case.locale).format(**values))


def queue_acknowledgement(session: Session, settings: Settings, case: Case, token: str) -> None:
    _queue(session, settings, case, ACK_SUBJECT, ACK_BODY, link=follow_url(settings, token, case.locale))


def queue_reply_notice(session: Session, settings: Settings, case: Case) -> None:
    _queue(session, settings, case, REPLY_SUBJECT, REPLY_BODY)


CONFIRM_SUBJECT = N_("Confirm your request {reference}")
CONFIRM_BODY = N_(
    "Hello,\n\n"
    "We received your request to exercise a data-protection right, with the reference {reference}. "
    "Before we can start, please confirm that this e-mail address is yours: open this link within "
    "{hours} hours and press the button on the page.\n\n"
    "{confirm_link}\n\n"
    "The month we have to answer starts on the day you confirm. If you did not send this request, ignore "
    "this e-mail: without confirmation the request is deleted.\n\n"
    "You can follow your request, add messages or documents and read our replies at this address. Keep "
    "it to yourself: anyone who has it can read your request.\n\n"
    "{follow_link}\n\n"
    "Praça {city}")
CONFIRMED_SUBJECT = N_("Your request {reference} is confirmed")
CONFIRMED_BODY = N_(
    "Hello,\n\n"
    "Thank you for confirming your e-mail address. Your request {reference} is now with the Data "
    "Protection Officer of {city}.\n\n"
    "We must answer by {due_date}. If the request is complex or one of many, the law lets us extend this "
    "by up to two more months; we would tell you why before that date.\n\n"
    "To follow your request, open the follow-up link from our first e-mail.\n\n"
    "Praça {city}")


def format_day(day: date, locale: str) -> str:
    """A date as people write it in their language ("24 de julho de 2026", "July 24, 2026")."""
    return format_date(day, "long", locale=locale)


def queue_confirmation_request(session: Session, settings: Settings, case: Case, verification_token: str,
                               token: str) -> None:
    """The rights request's first e-mail: confirm the address, and keep the follow-up link."""
    base = settings.base_url.rstrip("/")
    _queue(session, settings, case, CONFIRM_SUBJECT, CONFIRM_BODY, hours=settings.dpo_verification_hours,
           confirm_link=f"{base}/verify/{verification_token}?lang={case.locale}",
           follow_link=follow_url(settings, token, case.locale))


def queue_confirmed_notice(session: Session, settings: Settings, case: Case) -> None:
    """Once confirmed: the request is received, and this is the day we must answer by."""
    if case.due_date is not None:
        _queue(session, settings, case, CONFIRMED_SUBJECT, CONFIRMED_BODY,
               due_date=format_day(case.due_date, case.locale))


EXTENSION_SUBJECT = N_("New date for our answer to your request {reference}")
EXTENSION_BODY = N_(
    "Hello,\n\n"
    "We need more time to answer your request {reference}. As the General Data Protection Regulation "
    "allows (Article 12(3)), we have extended the deadline: we will answer by {due_date}.\n\n"
    "Our reason is in a message on your request's follow-up page: open the follow-up link from our "
    "first e-mail to read it.\n\n"
    "Praça {city}")


def queue_extension_notice(session: Session, settings: Settings, case: Case) -> None:
    """The deadline was extended: the new date here, the reason on the follow-up page (no case text
    goes into an e-mail)."""
    if case.due_date is not None:
        _queue(session, settings, case, EXTENSION_SUBJECT, EXTENSION_BODY,
               due_date=format_day(case.due_date, case.locale))
