"""Staff pages of the Wi-Fi analytics: pressure areas (map, ranked list, CSV).

Thin, like every page module: parse the day → `pressure.pressure` → template. The map is drawn by
static/wifi/pressure.js from the GeoJSON route below; the ranked table under it holds every figure
the map shows (and the bus zone, which has no shape), so it is the map's text alternative. Numbers are
written the reader's way ("2,4×" in Portuguese); the CSV writes them the machine's way ("2.4").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from praca.core import audit, web
from praca.core.auth import AnyStaff
from praca.core.db import DbSession, utcnow
from praca.core.errors import InvalidInput
from praca.core.i18n import LOCALES, Locale, _
from praca.settings import Settings
from praca.wifi import pressure
from praca.wifi.api import FIRST_DAY, LAST_DAY
from praca.wifi.pressure import PeakHour, PressureArea

router = APIRouter(include_in_schema=False)

N_ = str  # marks a message for extraction; translated where it is shown
DAY_MESSAGE = N_("Enter the day as a date from 2000 to 2100, for example 2026-03-24.")
NO_BASELINE_FILL = "#d9d9d9"


# --- numbers and classes the reader's way ---------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    """A colour of the map: indexes from `low` (included) to `high` (excluded)."""

    low: float | None
    high: float | None
    fill: str


# Sequential, colour-blind-safe (ColorBrewer YlOrRd): the darker, the further above the usual footfall.
BANDS = (Band(None, 0.8, "#ffffb2"), Band(0.8, 1.2, "#fecc5c"), Band(1.2, 1.5, "#fd8d3c"),
         Band(1.5, 2.0, "#f03b20"), Band(2.0, None, "#bd0026"))


def band_of(index: float | None) -> Band | None:
    if index is None:
        return None
    return next(b for b in BANDS if b.high is None or index < b.high)


@dataclass(frozen=True)
class Numbers:
    """Figures for one locale: Portugal's decimal comma, England's point; a dash when there is none."""

    locale: str

    @property
    def _babel(self) -> str:
        return "pt_PT" if self.locale == "pt" else "en_GB"

    def count(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(round(value), "#,##0", locale=self._babel)

    def decimal(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, "#,##0.0", locale=self._babel)

    def ratio(self, value: float | None) -> str:
        return "—" if value is None else self.decimal(value) + "×"

    def hour(self, peak: PeakHour | None) -> str:
        """'14:00'; on the day the clocks go back, the repeated hour says which one ('01:00 UTC+01:00')."""
        if peak is None:
            return "—"
        local = peak.local
        text = local.strftime("%H:%M")
        if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():  # this hour happens twice
            offset = local.strftime("%z")
            text += f" UTC{offset[:3]}:{offset[3:]}"
        return text

    def band(self, band: Band | None) -> str:
        if band is None:
            return _("no baseline yet")
        if band.low is None:
            return _("under %(high)s") % {"high": self.ratio(band.high)}
        if band.high is None:
            return _("%(low)s or more") % {"low": self.ratio(band.low)}
        return _("%(low)s to under %(high)s") % {"low": self.ratio(band.low), "high": self.ratio(band.high)}

    def long_day(self, day: date) -> str:
        return format_date(day, "full", locale=self._babel)


# --- the day asked for ------------------------------------------------------------------------------------------

def parse_day(raw: str | None) -> date | None:
    """The `day` parameter, or None when it is absent; a bad one is an InvalidInput."""
    if raw is None or not raw.strip():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(DAY_MESSAGE, field="day") from None
    if not FIRST_DAY <= day <= LAST_DAY or len(raw.strip()) != 10:
        raise InvalidInput(DAY_MESSAGE, field="day")
    return day


def _day(request: Request, session: Session, settings: Settings) -> date:
    day = parse_day(request.query_params.get("day"))
    return day or pressure.latest_day(session, settings) or pressure.local_date(utcnow())


def _settings(request: Request) -> Settings:
    return request.app.state.settings


# --- the page ---------------------------------------------------------------------------------------------------



@router.get("/staff/wifi/pressure")
def pressure_page(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    settings = _settings(request)
    numbers = Numbers(locale)
    # A language chosen in the address (?lang=) stays chosen on the next day, like the registry's forms.
    lang = request.query_params.get("lang") if request.query_params.get("lang") in LOCALES else None
    common = {"n": numbers, "bands": BANDS, "lang_param": lang}
    try:
        day = _day(request, session, settings)
    except InvalidInput as exc:
        return web.no_store(web.render(request, "wifi/pressure.html", {
            **common, "error": _(exc.message), "raw_day": request.query_params.get("day", ""), "day": None,
        }, status_code=422))
    areas = pressure.pressure(session, settings, day)
    query = f"day={day.isoformat()}"
    return web.no_store(web.render(request, "wifi/pressure.html", {
        **common, "error": None, "raw_day": day.isoformat(), "day": day, "long_day": numbers.long_day(day),
        "areas": areas, "band_of": band_of, "no_baseline_fill": NO_BASELINE_FILL, "k": settings.wifi_k,
        "hours": len(pressure.day_hours(day)), "mapped": sum(1 for a in areas if a.boundary),
        "prev_day": day - timedelta(days=1) if day > FIRST_DAY else None,
        "next_day": day + timedelta(days=1) if day < LAST_DAY else None,
        "csv_url": f"/staff/wifi/pressure.csv?{query}",
        "geojson_url": f"/staff/wifi/pressure.geojson?{query}&lang={locale}",  # tooltips in the page's language
        "tile_attribution": web.tile_attribution(settings.map_tile_url),
    }))


@router.get("/staff/wifi/pressure.geojson")
def pressure_geojson(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    """The zones that have a shape, each with its colour and a one-line summary for the map's tooltip."""
    day = _day(request, session, _settings(request))
    numbers = Numbers(locale)
    features = [{"type": "Feature", "geometry": area.boundary, "properties": _feature(area, numbers)}
                for area in pressure.pressure(session, _settings(request), day) if area.boundary]
    return web.no_store(JSONResponse({"type": "FeatureCollection", "features": features},
                                  media_type="application/geo+json"))


def _feature(area: PressureArea, numbers: Numbers) -> dict[str, Any]:
    band = band_of(area.index)
    if area.index is None:
        summary = _("%(zone)s: no baseline yet") % {"zone": area.name}
    elif area.peak is None:
        summary = _("%(zone)s: %(index)s the usual footfall") % {"zone": area.name, "index": numbers.ratio(area.index)}
    else:
        summary = _("%(zone)s: %(index)s the usual footfall; peak at %(hour)s (%(ratio)s)") % {
            "zone": area.name, "index": numbers.ratio(area.index), "hour": numbers.hour(area.peak),
            "ratio": numbers.ratio(area.peak.ratio)}
    return {"zone": area.code, "name": area.name, "fill": band.fill if band else NO_BASELINE_FILL,
            "baseline": band is not None, "summary": summary}


# --- the CSV ----------------------------------------------------------------------------------------------------

CSV_COLUMNS = ("rank", "zone", "name", "kind", "footfall", "baseline", "index", "hours_compared",
               "peak_hour_local", "peak_ratio", "peak_devices", "peak_baseline")


def pressure_csv(areas: list[PressureArea]) -> str:
    """The ranked list, one row per zone. Decimals with a point and times in ISO 8601 with their offset,
    whatever the language, so spreadsheets and scripts read them; empty where there is no baseline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rank, a in enumerate(areas, 1):
        peak = a.peak
        writer.writerow((rank, a.code, a.name, a.kind, a.footfall, _num(a.baseline), _num(a.index),
                         a.hours_compared, peak.local.isoformat() if peak else "", _num(peak and peak.ratio),
                         peak.devices if peak else "", _num(peak and peak.baseline)))
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


@router.get("/staff/wifi/pressure.csv")
def pressure_csv_download(request: Request, session: DbSession, user: AnyStaff) -> Response:
    """The ranked list as CSV; the export is in the audit log (who took which day's figures)."""
    settings = _settings(request)
    day = _day(request, session, settings)
    areas = pressure.pressure(session, settings, day)
    audit.record(session, user.actor, "wifi.pressure.exported", "wifi:pressure",
                 {"day": day.isoformat(), "rows": len(areas)})
    session.commit()  # the export's audit entry
    return web.no_store(Response(pressure_csv(areas), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="wifi-pressure-{day.isoformat()}.csv"'}))
