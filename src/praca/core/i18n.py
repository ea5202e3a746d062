"""Locale negotiation (pt, en) and gettext from the Babel catalogs in `praca/locale`.

Message ids are English; every `locale/pt/LC_MESSAGES/*.po` file (one per module) translates them.
The catalogs are merged and compiled in memory on first use, so no build step can be forgotten.
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Annotated

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Depends, Request

LOCALES = ("pt", "en")
DEFAULT_LOCALE = "pt"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_current: ContextVar[str] = ContextVar("praca_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    files = sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))
    if not files:
        return gettext.NullTranslations()
    merged = Catalog(locale=locale)
    for po in files:
        with po.open("rb") as f:
            for message in read_po(f, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, merged)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LOCALES:
            return candidate  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


def get_locale(request: Request) -> str:
    locale = negotiate(request.query_params.get("lang"), request.cookies.get("praca_lang"),
                       request.headers.get("accept-language"))
    _current.set(locale)
    request.state.locale = locale
    return locale


Locale = Annotated[str, Depends(get_locale)]


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def current_locale() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def translate(message: str, locale: str) -> str:
    return translations(locale).gettext(message)


_ = gettext_
