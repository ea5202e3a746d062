"""How the portal pages write the catalogue for people: in the page's language, numbers and dates the
reader's way (Portugal's decimal comma, "3 de março de 2026"), vocabulary codes as names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from praca.core.i18n import _, current_locale
from praca.core.web import CITY_TZ
from praca.opendata.models import DatasetVersion
from praca.opendata.vocab import FREQUENCIES, LICENSES, THEMES

N_ = str  # marks a message for extraction; translated where it is shown

# Babel's plain "en" is American; a European city writes "15 March 2021".
_BABEL = {"en": "en_GB", "pt": "pt_PT"}

# Licence titles as people read them; the URL is the licence's own (vocab.LICENSES).
LICENSE_TITLES = {
    "CC-BY-4.0": N_("Creative Commons Attribution 4.0"),
    "CC-BY-SA-4.0": N_("Creative Commons Attribution-ShareAlike 4.0"),
    "CC0-1.0": N_("Creative Commons Zero (public domain)"),
    "ODbL-1.0": N_("Open Database License (ODbL) 1.0"),
}

CHANGES = {
    "created": N_("Created"),
    "updated": N_("Description updated"),
    "resource_added": N_("Resource added"),
    "resource_replaced": N_("Resource file replaced"),
    "resource_updated": N_("Resource updated"),
    "resource_removed": N_("Resource removed"),
    "published": N_("Published"),
    "published_by_override": N_("Published after the Data Protection Officer's review"),
    "gate_refused": N_("Publication held back by the privacy check"),
    "withdrawn": N_("Withdrawn"),
    "deleted": N_("Deleted"),
}

CHANGED = N_("Changed")  # a change this page does not know by name

FIELD_NAMES = {
    "title_pt": N_("title"), "title_en": N_("title"), "notes_pt": N_("description"),
    "notes_en": N_("description"), "organization": N_("publisher"), "themes": N_("themes"),
    "keywords": N_("keywords"), "license_id": N_("licence"), "temporal_start": N_("temporal coverage"),
    "temporal_end": N_("temporal coverage"), "spatial": N_("spatial coverage"),
    "spatial_bbox": N_("spatial coverage"), "frequency": N_("update frequency"),
    "contact_name": N_("contact point"), "contact_email": N_("contact point"), "name": N_("address"),
}


def babel_locale(locale: str | None = None) -> str:
    locale = locale or current_locale()
    return _BABEL.get(locale, locale)


def localized(obj: Any, field: str, locale: str | None = None) -> str:
    """`obj.<field>_<locale>`, or the other language's when this one is empty."""
    locale = locale or current_locale()
    other = "en" if locale == "pt" else "pt"
    return getattr(obj, f"{field}_{locale}", "") or getattr(obj, f"{field}_{other}", "") or ""


def theme_label(code: str) -> str:
    names = THEMES.get(code.upper())
    if names is None:
        return code
    return names[1] if current_locale() == "en" else names[0]


def frequency_label(code: str | None) -> str:
    names = FREQUENCIES.get(code or "")
    if names is None:
        return code or ""
    return names[1] if current_locale() == "en" else names[0]


def license_label(license_id: str) -> str:
    if license_id in LICENSE_TITLES:
        return _(LICENSE_TITLES[license_id])
    lic = LICENSES.get(license_id)
    return lic.title if lic else license_id


def license_url(license_id: str) -> str | None:
    lic = LICENSES.get(license_id)
    return lic.url if lic else None


# --- numbers and dates --------------------------------------------------------------------------------------

def fmt_int(value: float | int | None) -> str:
    return "—" if value is None else format_decimal(round(value), "#,##0", locale=babel_locale())


def fmt_num(value: float | int | None) -> str:
    """Up to two decimals, as many as the number needs."""
    return "—" if value is None else format_decimal(value, "#,##0.##", locale=babel_locale())


def fmt_size(size: int | None) -> str:
    if size is None:
        return "—"
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= factor:
            return f"{format_decimal(size / factor, '#,##0.#', locale=babel_locale())} {unit}"
    return _("%(n)s bytes") % {"n": fmt_int(size)}


def fmt_date(value: date | None, fmt: str = "long") -> str:
    return format_date(value, fmt, locale=babel_locale()) if value else ""


def fmt_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """Stored in UTC, shown in Lisbon time."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(CITY_TZ), fmt, tzinfo=CITY_TZ, locale=babel_locale())


# --- text -----------------------------------------------------------------------------------------------------

def excerpt(text: str, limit: int = 220) -> str:
    """The start of a description, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def paragraphs(text: str) -> list[str]:
    """A description's paragraphs (blank-line separated); shown as text, never as HTML."""
    return [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


# --- the change history -----------------------------------------------------------------------------------------

def change_label(version: DatasetVersion) -> str:
    """One line of the public history: what changed, in words; a staff-only detail never appears."""
    label = _(CHANGES.get(version.change, CHANGED))
    if version.change == "updated":
        names = list(dict.fromkeys(_(FIELD_NAMES[f]) for f in version.changed_fields if f in FIELD_NAMES))
        if names:
            return _("%(change)s: %(fields)s") % {"change": label, "fields": ", ".join(names)}
    return label


def local_date(value: datetime | None) -> str:
    """The day an instant fell on in Lisbon."""
    return fmt_date(value.astimezone(CITY_TZ).date()) if value else ""
