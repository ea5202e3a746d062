"""The Wi-Fi analytics' JSON routes under /api/v1 (staff): pressure areas.

Thin: parse → pressure → schema. Staff sign in with a personal API token (or the page's session);
every role may read the figures, which are aggregates with small cells already left out.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from praca.core.auth import AnyStaff
from praca.core.db import DbSession, utcnow
from praca.wifi import pressure
from praca.wifi.schemas import PressureReport

router = APIRouter(tags=["Wi-Fi analytics"])

FIRST_DAY = date(2000, 1, 1)  # wide, but bounded: every day in it has a well-defined Lisbon calendar
LAST_DAY = date(2100, 12, 31)
Day = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                   description="A Lisbon day, YYYY-MM-DD (default: the latest day with footfall).")]


@router.get("/wifi/pressure", response_model=PressureReport)
def pressure_areas(request: Request, session: DbSession, user: AnyStaff, day: Day = None) -> PressureReport:
    """Each zone's footfall on a day against its own baseline (the same hours of the same weekday in the 4
    previous weeks), highest pressure index first, zones without a baseline yet last. A day without
    visible footfall gives an empty list, not an error."""
    settings = request.app.state.settings
    day = day or pressure.latest_day(session, settings) or pressure.local_date(utcnow())
    return PressureReport.of(day, pressure.pressure(session, settings, day), settings.wifi_k)
