"""Staff data-protection training: completion figures checked by hand, the roster's CSV import (all or
nothing, a report per row), attendance, role scope, the training pages and the DPO dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from praca.core.errors import Conflict, Forbidden, InvalidInput
from praca.dpo import clock, service, training
from praca.dpo.models import Trainee, TrainingAttendance
from tests.dpo.helpers import columns_containing, dpo_audit, question_form
from tests.dpo.pages import csrf_from, login, post_form, text_of
from tests.factories import make_department, make_user

TODAY = date(2026, 5, 20)


def trainee(session, ref: str, dep: str, started: date, left: date | None = None, name: str | None = None):
    row = Trainee(employee_ref=ref, name=name or f"Pessoa {ref}", department_id=make_department(session, dep).id,
                  started_on=started, left_on=left)
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def roster(session, dpo):
    """ambiente: 4 active (2 trained, 1 new untrained, 1 old untrained), 1 left (trained), 1 not started
    yet; cultura: nobody; mobilidade: 1 active, trained."""
    make_department(session, "cultura")
    old = TODAY - timedelta(days=800)
    people = {
        "a1": trainee(session, "A1", "ambiente", old),
        "a2": trainee(session, "A2", "ambiente", TODAY - timedelta(days=30)),  # new, but trained
        "a3": trainee(session, "A3", "ambiente", TODAY - timedelta(days=10)),  # new, untrained
        "a4": trainee(session, "A4", "ambiente", old),  # old, untrained
        "a5": trainee(session, "A5", "ambiente", old, left=TODAY - timedelta(days=1)),  # left, trained
        "a6": trainee(session, "A6", "ambiente", TODAY + timedelta(days=5)),  # not started yet
        "m1": trainee(session, "M1", "mobilidade", old),
    }
    training.record_session(session, dpo, title="Proteção de dados para todos", held_on=TODAY - timedelta(days=20),
                            hours=3, trainer="Encarregada de Proteção de Dados",
                            trainee_ids=[people[k].id for k in ("a1", "a2", "a5", "m1")])
    return people


def by_slug(rows):
    return {r.department.slug: r for r in rows}


def test_completion_per_department_by_hand(session, dpo, roster):
    rows = by_slug(training.completion(session, dpo, TODAY))
    amb, cul, mob = rows["ambiente"], rows["cultura"], rows["mobilidade"]
    assert (amb.active, amb.trained, amb.new_untrained, amb.percent) == (4, 2, 1, 50)
    assert (cul.active, cul.trained, cul.new_untrained, cul.percent) == (0, 0, 0, None)
    assert (mob.active, mob.trained, mob.percent) == (1, 1, 100)
    total = training.overall(list(rows.values()))
    assert (total.active, total.trained, total.new_untrained, total.percent) == (5, 3, 1, 60)
    # On the day before A5 left, they still count; before A3 started, A3 does not.
    earlier = by_slug(training.completion(session, dpo, TODAY - timedelta(days=11)))["ambiente"]
    assert (earlier.active, earlier.trained, earlier.new_untrained) == (4, 3, 0)


def test_marking_someone_as_left(session, dpo, roster):
    training.mark_left(session, dpo, roster["a4"].id, TODAY - timedelta(days=2))
    amb = by_slug(training.completion(session, dpo, TODAY))["ambiente"]
    assert (amb.active, amb.trained, amb.percent) == (3, 2, 67)
    with pytest.raises(InvalidInput):
        training.mark_left(session, dpo, roster["a3"].id, TODAY - timedelta(days=365))
    [entry] = [e for e in dpo_audit(session) if e.action == "dpo.trainee.left"]
    assert entry.subject == f"trainee:{roster['a4'].id}" and entry.actor == dpo.actor


def test_attendance_on_a_filtered_form_only_changes_who_was_shown(session, dpo, roster):
    [(held, attended)] = training.list_sessions(session)
    assert attended == 4
    ambiente = [t.id for t, _ in training.list_trainees(session, dpo, department_id=roster["a1"].department_id,
                                                        today=TODAY, include_left=True)]
    added, removed = training.set_attendance(session, dpo, held.public_id, shown_ids=ambiente,
                                             attended_ids=[roster["a3"].id, roster["a1"].id])
    assert added == [roster["a3"].id]
    assert sorted(removed) == sorted([roster["a2"].id, roster["a5"].id])
    assert training.attendee_ids(session, held) == {roster["a1"].id, roster["a3"].id, roster["m1"].id}
    assert training.set_attendance(session, dpo, held.public_id, shown_ids=ambiente,
                                   attended_ids=[roster["a3"].id, roster["a1"].id]) == ([], [])
    with pytest.raises(InvalidInput):
        training.set_attendance(session, dpo, held.public_id, shown_ids=[999_999], attended_ids=[999_999])
    entries = [e for e in dpo_audit(session) if e.action.startswith("dpo.training.")]
    assert [e.action for e in entries] == ["dpo.training.session_recorded", "dpo.training.attendance_changed",
                                           "dpo.training.attendance_changed"]
    assert entries[1].details == {"added": sorted(t.id for t in roster.values() if t.employee_ref in
                                                  ("A1", "A2", "A5", "M1")), "removed": []}


def test_the_audit_log_names_trainees_by_id_only(session, dpo):
    make_department(session, "cultura")
    person = training.add_trainee(session, dpo, employee_ref="CMP-77", name="Joana Formanda",
                                  department_slug="cultura", started_on=TODAY)
    assert columns_containing(session, "Joana Formanda") == ["dpo_trainee.name"]
    [entry] = [e for e in dpo_audit(session) if e.action == "dpo.trainee.added"]
    assert entry.subject == f"trainee:{person.id}"
    with pytest.raises(Conflict):
        training.add_trainee(session, dpo, employee_ref="CMP-77", name="Outra", department_slug="cultura",
                             started_on=TODAY)
    with pytest.raises(InvalidInput):
        training.add_trainee(session, dpo, employee_ref="CMP-78", name="Outra", department_slug="nope",
                             started_on=TODAY)


CSV_OK = ("employee_ref,name,department_slug,started_on\n"
          "CMP-1,Ana Sousa,ambiente,2026-01-05\n"
          "CMP-2,\"Rui  Pinto\",cultura,2025-11-30\n")


def test_csv_import_adds_everyone_and_audits_once(session, dpo):
    make_department(session, "ambiente"), make_department(session, "cultura")
    report = training.import_trainees(session, dpo, CSV_OK.encode())
    assert (report.imported, report.invalid, [r.line for r in report.rows]) == (2, 0, [2, 3])
    names = session.scalars(select(Trainee.name).order_by(Trainee.employee_ref)).all()
    assert names == ["Ana Sousa", "Rui Pinto"]
    [entry] = [e for e in dpo_audit(session) if e.action == "dpo.trainees.imported"]
    assert len(entry.details["trainees"]) == 2 and "Ana" not in str(entry.details)


def test_csv_import_is_all_or_nothing_with_a_report_per_row(session, dpo):
    make_department(session, "ambiente")
    trainee(session, "CMP-9", "ambiente", TODAY)
    raw = ("CMP-1,Ana Sousa,ambiente,2026-01-05\n"  # fine
           "CMP-2,Rui Pinto,nowhere,2026-01-05\n"  # unknown department
           "CMP-1,Ana Outra,ambiente,05/01/2026\n"  # duplicate in the file, bad date
           "CMP-9,Já Existe,ambiente,2026-01-05\n"  # already on the roster
           "CMP-3,Falta uma coluna\n"
           ",,ambiente,2026-01-05\n")
    report = training.import_trainees(session, dpo, raw.encode())
    assert report.imported == 0 and report.invalid == 5
    problems = {r.line: r.errors for r in report.rows}
    assert problems == {
        1: [],
        2: [("department_slug", "department_slug")],
        3: [("employee_ref", "duplicate_ref"), ("started_on", "started_on")],
        4: [("employee_ref", "existing_ref")],
        5: [("", "columns")],
        6: [("employee_ref", "employee_ref"), ("name", "name")],
    }
    assert session.scalar(select(func.count(Trainee.id))) == 1
    with pytest.raises(InvalidInput):
        training.import_trainees(session, dpo, "CMP-1,Ana,ambiente,2026-01-05\n".encode("utf-16"))


def test_roles(session, dpo, viewer, roster):
    liaison = make_user(session, "liaison", department="mobilidade")
    assert [r.department.slug for r in training.completion(session, liaison, TODAY)] == ["mobilidade"]
    with pytest.raises(Forbidden):
        training.list_trainees(session, liaison, today=TODAY)
    assert len(training.list_trainees(session, viewer, today=TODAY)) == 6  # A5 left, hidden by default
    assert len(training.list_trainees(session, viewer, today=TODAY, include_left=True)) == 7
    for user in (viewer, liaison):
        with pytest.raises(Forbidden):
            training.add_trainee(session, user, employee_ref="X", name="X", department_slug="ambiente",
                                 started_on=TODAY)
        with pytest.raises(Forbidden):
            training.import_trainees(session, user, CSV_OK.encode())
        with pytest.raises(Forbidden):
            training.mark_left(session, user, roster["a1"].id, TODAY)
    admin = make_user(session, "admin")
    training.mark_left(session, admin, roster["a1"].id, TODAY)


# --- pages -----------------------------------------------------------------------------------------------------

def test_the_dpo_lands_on_the_dashboard(client, session, settings, dpo, roster):
    today = clock.local_date(datetime.now(UTC))
    late, _ = service.open_question(session, settings, question_form(), locale="pt")
    late.due_date = today - timedelta(days=2)
    soon, _ = service.open_question(session, settings, question_form(), locale="pt")
    soon.due_date, soon.assignee_id = today + timedelta(days=1), dpo.id
    session.commit()
    login(client, dpo.email)
    response = client.get("/staff", follow_redirects=False)
    assert response.headers["location"] == "/staff/dashboard"
    page = client.get("/staff/dashboard?lang=en")
    assert page.status_code == 200
    assert 'id="count-open">2<' in page.text and 'id="count-overdue">1<' in page.text
    assert 'id="count-due-soon">1<' in page.text and 'id="count-unassigned">1<' in page.text
    text = text_of(page.text)
    assert "Department ambiente" in text and "Department cultura 0 0 nobody to train" in text
    assert 'href="/staff/training"' in page.text and 'href="/staff/dashboard"' in page.text
    assert "Painel" in client.get("/staff/dashboard?lang=pt").text


def test_a_liaison_sees_their_departments_figures_only(client, session, settings, roster):
    liaison = make_user(session, "liaison", department="mobilidade")
    session.commit()
    login(client, liaison.email)
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/cases"
    for url in ("/staff/dashboard?lang=en", "/staff/training?lang=en"):
        text = text_of(client.get(url).text)
        assert "Department mobilidade 1 1 100%" in text and "Department ambiente" not in text
    assert client.get("/staff/training/trainees").status_code == 403
    assert client.get("/staff/training/import").status_code == 403


def test_the_dpo_keeps_the_records_through_the_pages(client, session, dpo):
    make_department(session, "ambiente"), make_department(session, "cultura")
    session.commit()
    login(client, dpo.email)
    added = post_form(client, "/staff/training/trainees", {"employee_ref": "CMP-500", "name": "Inês Nova",
                                                          "department": "ambiente", "started_on": "2026-05-01"})
    assert added.status_code == 303
    refused = post_form(client, "/staff/training/trainees", {"employee_ref": "CMP-500", "name": "Outra",
                                                            "department": "ambiente", "started_on": "2026-05-01"})
    assert refused.status_code == 422 and 'href="#employee_ref"' in refused.text

    page = client.get("/staff/training/import?lang=en")
    bad = client.post("/staff/training/import?lang=en", data={"csrf_token": csrf_from(page.text)},
                      files={"file": ("staff.csv", b"CMP-1,Ana,nowhere,2026-01-01\n", "text/csv")})
    assert bad.status_code == 422 and "Nobody was imported" in text_of(bad.text)
    good = client.post("/staff/training/import?lang=en", data={"csrf_token": csrf_from(page.text)},
                       files={"file": ("staff.csv", CSV_OK.encode(), "text/csv")})
    assert good.status_code == 200 and "Imported: 2." in text_of(good.text)

    ines = session.scalar(select(Trainee).where(Trainee.employee_ref == "CMP-500"))
    ana = session.scalar(select(Trainee).where(Trainee.employee_ref == "CMP-1"))
    form = client.get("/staff/training/sessions/new?department=ambiente")
    assert "Inês Nova" in form.text and "Rui Pinto" not in form.text  # filtered by department
    recorded = client.post("/staff/training/sessions", data={
        "csrf_token": csrf_from(form.text), "title": "Acolhimento: RGPD", "held_on": "2026-05-10", "hours": "2,5",
        "trainer": "DPO", "shown": [ines.id, ana.id], "trainees": [ines.id]}, follow_redirects=False)
    assert recorded.status_code == 303
    detail = client.get(recorded.headers["location"])
    assert 'id="attended-count">1<' in detail.text
    public_id = recorded.headers["location"].split("/")[-1].split("?")[0]
    saved = client.post(f"/staff/training/sessions/{public_id}/attendance?department=ambiente",
                        data={"csrf_token": csrf_from(detail.text), "shown": [ines.id, ana.id],
                              "trainees": [ana.id]}, follow_redirects=False)
    assert saved.status_code == 303 and "department=ambiente" in saved.headers["location"]
    assert set(session.scalars(select(TrainingAttendance.trainee_id))) == {ana.id}

    overview = text_of(client.get("/staff/training?lang=en").text)
    assert "Acolhimento: RGPD" in overview
    left = post_form(client, "/staff/training/trainees", {"left_on": "2026-05-15"},
                     action=f"/staff/training/trainees/{ines.id}/left")
    assert left.status_code == 303
    assert session.get(Trainee, ines.id).left_on == date(2026, 5, 15)


def test_viewers_read_but_cannot_change_the_records(client, session, viewer, roster):
    session.commit()
    login(client, viewer.email)
    roster_page = client.get("/staff/training/trainees?lang=en")
    assert roster_page.status_code == 200 and "Pessoa A1" in roster_page.text
    assert "Mark as left" not in roster_page.text and "Add to the roster" not in roster_page.text
    [(held, _)] = training.list_sessions(session)
    assert "did not attend" in client.get(f"/staff/training/sessions/{held.public_id}?lang=en").text
    refused = client.post("/staff/training/trainees", data={"csrf_token": csrf_from(roster_page.text),
                                                           "employee_ref": "X", "name": "X",
                                                           "department": "ambiente", "started_on": "2026-01-01"})
    assert refused.status_code == 403
    assert client.get("/staff/training/sessions/new").status_code == 403
