"""The DPO's dashboard at /staff/dashboard: the desk's workload on the legal clock, and training.

One page to start the day from: open cases, those overdue, those due within the reminder window,
those nobody holds, and each department's training completion. Every staff role may open it; a
liaison sees their own department's figures only (the same scope as the inbox).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from praca.core import web
from praca.core.auth import AnyStaff
from praca.core.db import DbSession, utcnow
from praca.core.i18n import Locale
from praca.dpo import clock, reminders, training

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/dashboard")
def dashboard(request: Request, session: DbSession, locale: Locale, user: AnyStaff) -> Response:
    settings = request.app.state.settings
    today = clock.local_date(utcnow())
    rows = training.completion(session, user, today)
    return web.render(request, "dpo/staff/dashboard.html", {
        "load": reminders.workload(session, user, today, settings.dpo_reminder_days),
        "reminder_days": settings.dpo_reminder_days, "rows": rows, "total": training.overall(rows),
        "name_of": lambda d: d.name_pt if locale == "pt" else d.name_en, "today": today,
        "new_staff_days": training.NEW_STAFF_DAYS,
    })
