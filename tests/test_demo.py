"""The demo city loads on both engines, and loading it again changes nothing."""

from sqlalchemy import func, select

from praca import demo
from praca.core import audit
from praca.core.audit import AuditEntry
from praca.core.auth import User
from praca.dpo import service
from praca.registry.models import Device


def test_demo_city_is_idempotent(session, settings):
    demo.seed(session, settings)
    session.commit()
    devices = session.scalar(select(func.count(Device.id)))
    users = session.scalar(select(func.count(User.id)))
    entries = session.scalar(select(func.count(AuditEntry.seq)))
    assert devices == 1500
    assert users == len(demo.DEMO_STAFF)
    demo.seed(session, settings)
    session.commit()
    assert session.scalar(select(func.count(Device.id))) == devices
    assert session.scalar(select(func.count(AuditEntry.seq))) == entries
    assert audit.verify(session).ok


def test_demo_register_is_searchable(client, session, settings):
    demo.seed(session, settings)
    session.commit()
    near = client.get("/api/v1/devices?lat=41.1496&lon=-8.6109&radius_m=300").json()
    assert near["total"] > 5
    assert client.get("/api/v1/devices?type=bus_wifi").json()["total"] > 50
    assert client.get("/api/v1/devices?personal_data=true&type=wifi_access_point").json()["total"] > 100


def test_the_demo_year_makes_the_desks_figures_mean_something(client, session, settings):
    """A year of cases in every month, answered in 2.4 days on average with a long tail; a handful
    overdue; ~85% of the staff trained; and the DPO's pages show it."""
    from collections import Counter

    from praca.core.db import utcnow
    from praca.dpo import clock, training
    from praca.dpo.models import Case, Trainee, TrainingSession
    from tests.dpo.pages import login

    demo.seed(session, settings)
    session.commit()
    today = clock.local_date(utcnow())
    cases = session.execute(select(Case.received_at, Case.first_answer_at, Case.due_date, Case.status,
                                   Case.kind, Case.channel, Case.extension_months, Case.extension_reason)).all()
    assert 650 <= len(cases) <= 800
    months = Counter(clock.local_date(c.received_at).strftime("%Y-%m") for c in cases)
    for back in range(12):
        assert months[clock.add_months(today.replace(day=1), -back).strftime("%Y-%m")] > 0
    days = sorted((c.first_answer_at - c.received_at).total_seconds() / 86_400 for c in cases if c.first_answer_at)
    assert abs(sum(days) / len(days) - 2.4) <= 0.5
    assert days[len(days) // 2] < 2.4 and sum(d > 30 for d in days) >= 3  # a long tail
    overdue = [c for c in cases if c.first_answer_at is None and c.status not in ("closed", "rejected")
               and c.due_date is not None and c.due_date < today]
    assert 1 <= len(overdue) <= 10
    assert any(c.extension_months and c.extension_reason for c in cases)
    assert {c.kind for c in cases} == {"question", "unlisted_device", "rights_request", "complaint"}
    assert {c.channel for c in cases} == {"web", "email", "phone", "letter", "in_person"}
    assert all(c.due_date is not None for c in cases)
    for case in session.scalars(select(Case)):  # each due one month (plus extension) after its clock started
        start = clock.local_date(service.clock_start(case))
        assert case.due_date == clock.due_date(start, settings.holiday_subdivision, case.extension_months)

    dpo = session.scalar(select(User).where(User.email == "dpo@cm-porto.example"))
    rows = training.completion(session, dpo, today)
    total = training.overall(rows)
    assert 250 <= session.scalar(select(func.count(Trainee.id))) <= 350
    assert session.scalar(select(func.count(TrainingSession.id))) == 12
    assert 78 <= total.percent <= 92 and total.new_untrained > 0
    assert len({r.percent for r in rows}) > 3 and all(r.active for r in rows)  # departments differ

    login(client, "dpo@cm-porto.example", demo.DEMO_PASSWORD)
    for url in ("/staff/dashboard", "/staff/training", "/staff/cases", "/staff/training/trainees"):
        assert client.get(url).status_code == 200, url

