"""The DPO desk's figures as JSON under /api/v1: public aggregates for anyone, full KPIs for staff.

Thin, as every API module: parse → kpis → schema. The public answer is the statistics page's (small
cells withheld, cached for a few minutes); the staff answer is the KPI page's, scoped to a liaison's
department, for a staff member's personal API token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from praca.core.auth import AnyStaff
from praca.core.db import DbSession
from praca.core.i18n import Locale
from praca.dpo import kpis
from praca.dpo.kpi_pages import cached_public_statistics
from praca.dpo.kpis import KpiQuery, KpiReport, PublicStatistics

router = APIRouter(tags=["DPO desk statistics"])


@router.get("/statistics/dpo", response_model=PublicStatistics)
def public_statistics(request: Request, session: DbSession, locale: Locale) -> PublicStatistics:
    """How fast the city's Data Protection Officer answers: this year and the last 12 months, per kind,
    department and month. A figure resting on fewer than `min_cell` cases is null (`withheld`)."""
    return cached_public_statistics(request, session, locale)


@router.get("/dpo/kpis", response_model=KpiReport)
def staff_kpis(session: DbSession, locale: Locale, user: AnyStaff,
               q: Annotated[KpiQuery, Query()]) -> KpiReport:
    """The DPO desk's KPIs for a period (default: this year to date), kind and department; a liaison
    gets their own department's figures only."""
    return kpis.compute(session, q, user=user, locale=locale)
