"""The DPO desk's figures against a fixture computed by hand: mean, median, share within the deadline,
backlog bands, months, departments and kinds; a liaison's scope, the filters, the CSV, the JSON, and a
public page that shows aggregates only, with small cells withheld."""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from praca.core.db import utcnow
from praca.core.errors import InvalidInput
from praca.dpo import kpis
from praca.dpo.kpis import KpiQuery
from praca.dpo.models import Case, CaseMessage
from tests.dpo.pages import login, text_of
from tests.factories import api_headers, make_department, make_user

_seq = itertools.count(1)
SECRET = "Rua-Secreta-123 rosa.citizen@example.org"
TODAY = date(2026, 4, 15)
Q1 = KpiQuery(from_=date(2026, 1, 1), to=date(2026, 3, 31))
Q1_PARAMS = "from=2026-01-01&to=2026-03-31"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_case(session, *, received: datetime, due: date | None, answered: datetime | None = None,
             department=None, kind: str = "question", status: str | None = None, email: str | None = None,
             body: str = "A question.") -> Case:
    """A case as the desk would have left it, with the dates chosen by the test."""
    n = next(_seq)
    status = status or ("answered" if answered else "received")
    case = Case(reference=f"P-{received.year}-{900000 + n:06d}", kind=kind, status=status, token_hash=f"{n:064d}",
                received_at=received, updated_at=received, due_date=due, first_answer_at=answered,
                closed_at=answered if status in ("closed", "rejected") else None, contact_email=email,
                department_id=department.id if department else None)
    case.messages = [CaseMessage(author="citizen", body=body, created_at=received)]
    session.add(case)
    return case


@dataclass
class Fixture:
    ambiente: object
    cultura: object


@pytest.fixture
def q1(session) -> Fixture:
    """Ten cases received in January-March 2026 (Lisbon), and four that are not part of that period.

    Lisbon is UTC+0 until 29 March 2026, UTC+1 after. Days to the first answer, by hand:
      A  5 Jan 10:00 →  7 Jan 10:00   2.0     ambiente  question         due  5 Feb  on time
      B 12 Jan 09:00 → 13 Jan 21:00   1.5     ambiente  unlisted_device  due 12 Feb  on time
      C 20 Jan 08:00 → 25 Feb 08:00  36.0     cultura   question         due 20 Feb  late
      D  2 Feb 12:00 →  2 Feb 18:00   0.25    cultura   rights_request   due  2 Mar  on time
      E 10 Feb 10:00 → 14 Feb 22:00   4.5     ambiente  complaint        due 10 Mar  on time
      F 16 Feb 10:00 → (none)                 cultura   question         due 16 Mar  overdue, unanswered
      G  3 Mar 10:00 → 10 Mar 10:00   7.0     (none)    question         due  3 Apr  on time
      H 20 Mar 10:00 → (none)                 ambiente  question         due 20 Apr
      I 25 Mar 10:00 →  2 Apr 10:00   8.0     cultura   unlisted_device  due 27 Apr  on time (answered after March)
      J 30 Mar 22:30Z → 30 Apr 23:30Z 31.0417 ambiente  question         due 30 Apr  late: 1 May 00:30 in Lisbon
    Not in the period: K (31 Mar 23:30Z is 1 April in Lisbon), L (a rights request awaiting confirmation:
    no due date), M (received 20 Dec 2025, unanswered: in the backlog), N (December, answered in January).
    """
    amb, cul = make_department(session, "ambiente"), make_department(session, "cultura")
    add_case(session, received=utc(2026, 1, 5, 10), answered=utc(2026, 1, 7, 10), due=date(2026, 2, 5),
             department=amb, status="closed")
    add_case(session, received=utc(2026, 1, 12, 9), answered=utc(2026, 1, 13, 21), due=date(2026, 2, 12),
             department=amb, kind="unlisted_device", status="closed")
    add_case(session, received=utc(2026, 1, 20, 8), answered=utc(2026, 2, 25, 8), due=date(2026, 2, 20),
             department=cul)
    add_case(session, received=utc(2026, 2, 2, 12), answered=utc(2026, 2, 2, 18), due=date(2026, 3, 2),
             department=cul, kind="rights_request", status="rejected")
    add_case(session, received=utc(2026, 2, 10, 10), answered=utc(2026, 2, 14, 22), due=date(2026, 3, 10),
             department=amb, kind="complaint", status="closed")
    add_case(session, received=utc(2026, 2, 16, 10), due=date(2026, 3, 16), department=cul, status="in_progress")
    add_case(session, received=utc(2026, 3, 3, 10), answered=utc(2026, 3, 10, 10), due=date(2026, 4, 3))
    add_case(session, received=utc(2026, 3, 20, 10), due=date(2026, 4, 20), department=amb)
    add_case(session, received=utc(2026, 3, 25, 10), answered=utc(2026, 4, 2, 10), due=date(2026, 4, 27),
             department=cul, kind="unlisted_device", status="closed")
    add_case(session, received=utc(2026, 3, 30, 22, 30), answered=utc(2026, 4, 30, 23, 30), due=date(2026, 4, 30),
             department=amb)
    add_case(session, received=utc(2026, 3, 31, 23, 30), due=date(2026, 5, 1), department=amb)  # K
    add_case(session, received=utc(2026, 2, 20, 10), due=None, kind="rights_request")  # L
    add_case(session, received=utc(2025, 12, 20, 10), due=date(2026, 1, 20), department=cul,
             status="waiting_citizen")  # M
    add_case(session, received=utc(2025, 12, 28, 10), answered=utc(2026, 1, 2, 10), due=date(2026, 1, 28),
             department=amb)  # N
    session.commit()
    return Fixture(amb, cul)


J_DAYS = 31 + 1 / 24  # 30 Mar 22:30Z → 30 Apr 23:30Z


def figures(report_row) -> tuple:
    r = report_row
    return (r.received, r.answered, r.mean_days, r.median_days, r.within_deadline, r.within_deadline_pct,
            r.overdue_unanswered)


def approx(received, answered, mean, median, within, pct, overdue) -> tuple:
    return (received, answered, pytest.approx(mean, abs=1e-3) if mean is not None else None,
            pytest.approx(median, abs=1e-3) if median is not None else None, within, pct, overdue)


def test_the_figures_match_the_hand_computed_fixture(session, q1):
    report = kpis.compute(session, Q1, today=TODAY, locale="en")
    assert (report.period_from, report.period_to, report.as_of) == (date(2026, 1, 1), date(2026, 3, 31),
                                                                    date(2026, 3, 31))
    # Answered: A B C D E G I J. Days sorted: 0.25 1.5 2 4.5 | 7 8 31.04 36 → median (4.5 + 7) / 2 = 5.75;
    # sum 0.25 + 1.5 + 2 + 4.5 + 7 + 8 + 36 + 31.0417 = 90.2917 → mean 11.2865. On time: A B D E G I = 6 of 8.
    # Overdue and unanswered on 15 April: F (due 16 March); H is due 20 April.
    assert figures(report.totals) == approx(10, 8, (0.25 + 1.5 + 2 + 4.5 + 7 + 8 + 36 + J_DAYS) / 8, 5.75, 6, 75.0, 1)

    # January A B C: 2 1.5 36 → mean 39.5 / 3, median 2, on time 2 of 3.
    # February D E F: 0.25 4.5 → mean = median 2.375, both on time; F overdue.
    # March G H I J: 7 8 31.04 → mean 46.0417 / 3, median 8, on time G I: 2 of 3.
    assert [m.month for m in report.months] == ["2026-01", "2026-02", "2026-03"]
    assert figures(report.months[0]) == approx(3, 3, 39.5 / 3, 2.0, 2, 66.7, 0)
    assert figures(report.months[1]) == approx(3, 2, 2.375, 2.375, 2, 100.0, 1)
    assert figures(report.months[2]) == approx(4, 3, (7 + 8 + J_DAYS) / 3, 8.0, 2, 66.7, 0)

    # ambiente A B E H J: 2 1.5 4.5 31.04 → median (2 + 4.5) / 2; on time A B E.
    # cultura C D F I: 36 0.25 8 → median 8; on time D I; F overdue. No department: G, 7 days.
    assert [(d.key, d.label) for d in report.departments] == [
        ("ambiente", "Department ambiente"), ("cultura", "Department cultura"), ("none", "No department")]
    assert figures(report.departments[0]) == approx(5, 4, (2 + 1.5 + 4.5 + J_DAYS) / 4, 3.25, 3, 75.0, 0)
    assert figures(report.departments[1]) == approx(4, 3, 44.25 / 3, 8.0, 2, 66.7, 1)
    assert figures(report.departments[2]) == approx(1, 1, 7.0, 7.0, 1, 100.0, 0)

    # question A C F G H J: 2 36 7 31.04 → median (7 + 31.04) / 2; on time A G.
    assert [k.key for k in report.kinds] == ["question", "unlisted_device", "rights_request", "complaint"]
    assert figures(report.kinds[0]) == approx(6, 4, (2 + 36 + 7 + J_DAYS) / 4, (7 + J_DAYS) / 2, 2, 50.0, 1)
    assert figures(report.kinds[1]) == approx(2, 2, 4.75, 4.75, 2, 100.0, 0)
    assert figures(report.kinds[2]) == approx(1, 1, 0.25, 0.25, 1, 100.0, 0)
    assert figures(report.kinds[3]) == approx(1, 1, 4.5, 4.5, 1, 100.0, 0)

    # The backlog at the end of 31 March (Lisbon): unanswered then, whenever received.
    # I (6 days; answered only on 2 April), J (1 day), H (11 days), F (43 days, past due), M (101 days, past due).
    assert [(b.band, b.open, b.overdue) for b in report.backlog] == [
        ("0-7", 2, 0), ("8-14", 1, 0), ("15-30", 0, 0), ("31+", 2, 2)]
    assert (report.backlog_open, report.backlog_overdue) == (5, 2)


def test_a_shorter_period_moves_the_backlog_snapshot(session, q1):
    february = kpis.compute(session, KpiQuery(from_=date(2026, 2, 1), to=date(2026, 2, 28)), today=TODAY)
    assert figures(february.totals) == approx(3, 2, 2.375, 2.375, 2, 100.0, 1)  # D E F
    # On 28 February: F (12 days) and M (70 days, past due); C was answered on 25 February.
    assert [(b.open, b.overdue) for b in february.backlog] == [(0, 0), (1, 0), (0, 0), (1, 1)]
    assert [m.month for m in february.months] == ["2026-02"]


def test_todays_backlog_is_the_open_cases(session, q1):
    """A period up to today takes the backlog from the pending statuses (the index's way); same answer."""
    add_case(session, received=utc(2026, 5, 8, 10), due=date(2026, 6, 8), status="acknowledged")
    add_case(session, received=utc(2026, 5, 9, 10), answered=utc(2026, 5, 9, 12), due=date(2026, 6, 9))
    session.commit()
    today = date(2026, 5, 10)
    report = kpis.compute(session, KpiQuery(from_=date(2026, 5, 1), to=today), today=today)
    # Open on 10 May: the new one (2 days), F (83), H (51, due 20 April), K (39, due 1 May), M (141).
    assert [(b.open, b.overdue) for b in report.backlog] == [(1, 0), (0, 0), (0, 0), (4, 4)]
    assert figures(report.totals) == approx(2, 1, 2 / 24, 2 / 24, 1, 100.0, 0)


def test_kind_and_department_filters(session, q1):
    questions = kpis.compute(session, KpiQuery(from_=Q1.from_, to=Q1.to, kind="question"), today=TODAY)
    assert figures(questions.totals) == approx(6, 4, (2 + 36 + 7 + J_DAYS) / 4, (7 + J_DAYS) / 2, 2, 50.0, 1)
    assert [k.key for k in questions.kinds] == ["question"]
    # Backlog questions on 31 March: J, H, F, M.
    assert questions.backlog_open == 4

    nobody = kpis.compute(session, Q1.model_copy(update={"department": "none"}), today=TODAY)
    assert figures(nobody.totals) == approx(1, 1, 7.0, 7.0, 1, 100.0, 0)
    cultura = kpis.compute(session, Q1.model_copy(update={"department": "cultura"}), today=TODAY)
    assert cultura.totals.received == 4 and cultura.backlog_open == 3  # F I M
    with pytest.raises(InvalidInput):
        kpis.compute(session, Q1.model_copy(update={"department": "nowhere"}), today=TODAY)


def test_a_liaison_gets_their_department_only_whatever_they_ask(session, q1):
    liaison = make_user(session, "liaison", department="cultura")
    mine = kpis.compute(session, Q1, user=liaison, today=TODAY)
    assert figures(mine.totals) == approx(4, 3, 44.25 / 3, 8.0, 2, 66.7, 1)
    assert [d.key for d in mine.departments] == ["cultura"]
    assert [(b.open, b.overdue) for b in mine.backlog] == [(1, 0), (0, 0), (0, 0), (2, 2)]  # I; F M
    other = kpis.compute(session, Q1.model_copy(update={"department": "ambiente"}), user=liaison, today=TODAY)
    assert other.totals.received == 0 and other.backlog_open == 0
    viewer = kpis.compute(session, Q1, user=make_user(session, "viewer"), today=TODAY)
    assert viewer.totals.received == 10


def test_the_period_defaults_to_this_year_and_is_checked():
    assert KpiQuery().period(TODAY) == (date(2026, 1, 1), TODAY)
    assert KpiQuery(to=date(2025, 6, 30)).period(TODAY) == (date(2025, 1, 1), date(2025, 6, 30))
    assert KpiQuery(from_=date(2026, 5, 1)).period(TODAY) == (date(2026, 5, 1), date(2026, 5, 1))
    for bad in ({"from": "2026-04-01", "to": "2026-03-01"}, {"from": "1999-12-31"}, {"to": "2026-02-30"},
                {"kind": "gossip"}):
        with pytest.raises(ValueError):
            KpiQuery.model_validate(bad)
    assert KpiQuery.model_validate({"from": "", "to": " ", "kind": "", "department": ""}) == KpiQuery()


def test_no_cases_no_figures(session):
    report = kpis.compute(session, Q1, today=TODAY)
    assert figures(report.totals) == (0, 0, None, None, 0, None, 0)
    assert len(report.months) == 3 and report.departments == [] and report.backlog_open == 0


# --- the staff page, its CSV and its JSON ----------------------------------------------------------------------

def test_the_staff_page_shows_the_figures_in_both_languages(client, session, q1):
    login(client, make_user(session, "dpo").email)
    html = client.get(f"/staff/kpis?{Q1_PARAMS}&lang=en").text
    headline = text_of(html.split('id="headline"')[1].split("</ul>")[0])
    # Overdue, unanswered: F, and H too once 20 April has passed (the page counts to the real today).
    assert "10 cases received" in headline and "11.3 days mean time" in headline
    assert "5.8 days median time" in headline and "75.0% answered within the legal deadline" in headline
    assert "5 open without an answer on 31 March 2026" in headline
    assert 'role="img"' in html and ">Figures per month of receipt</caption>" in html
    months = text_of(html.split('id="months"')[1].split("</table>")[0])
    assert "January 2026 3 3 13.2 2.0 66.7%" in months
    assert 'href="/staff/kpis"' in html  # the navigation link
    assert 'href="/staff/kpis.csv?from=2026-01-01' in html

    pt = text_of(client.get(f"/staff/kpis?{Q1_PARAMS}&lang=pt").text)
    assert "11,3 dias" in pt and "75,0%" in pt and "janeiro de 2026" in pt


def test_the_staff_page_refuses_bad_filters_politely(client, session, q1):
    login(client, make_user(session, "viewer").email)
    response = client.get("/staff/kpis?from=2026-04-01&to=2026-03-01&lang=en")
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text and 'href="#to"' in response.text
    assert "Enter the last day as a date" in response.text
    unknown = client.get("/staff/kpis?department=nowhere&lang=en")
    assert unknown.status_code == 422 and 'href="#department"' in unknown.text
    assert client.get("/staff/kpis.csv?from=not-a-date").status_code == 422


def test_anonymous_visitors_are_sent_to_sign_in(client, q1):
    for url in ("/staff/kpis", "/staff/kpis.csv"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/staff/login?next={url}"


def test_a_liaisons_page_offers_only_their_department(client, session, q1):
    login(client, make_user(session, "liaison", department="cultura").email)
    html = client.get(f"/staff/kpis?{Q1_PARAMS}&lang=en").text
    select = html.split('<select id="department"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["cultura"]
    assert "4 cases received" in text_of(html)
    assert "Department ambiente" not in html


def test_the_csv_has_the_months_and_the_departments(client, session, q1):
    login(client, make_user(session, "dpo").email)
    response = client.get(f"/staff/kpis.csv?{Q1_PARAMS}&lang=en")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="dpo-kpis-2026-01-01-2026-03-31.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["section"], r["key"]) for r in rows] == [
        ("month", "2026-01"), ("month", "2026-02"), ("month", "2026-03"),
        ("department", "ambiente"), ("department", "cultura"), ("department", "none"),
        ("total", "2026-01-01/2026-03-31")]
    january = rows[0]
    assert (january["label"], january["received"], january["answered"], january["median_days"],
            january["within_deadline"], january["within_deadline_pct"]) == ("January 2026", "3", "3", "2.0", "2",
                                                                             "66.7")
    assert float(january["mean_days"]) == pytest.approx(39.5 / 3, abs=1e-3)
    assert rows[-1]["received"] == "10" and rows[-1]["within_deadline_pct"] == "75.0"
    cultura = client.get(f"/staff/kpis.csv?{Q1_PARAMS}&department=cultura").text
    assert [r["key"] for r in csv.DictReader(io.StringIO(cultura))][-2:] == ["cultura", "2026-01-01/2026-03-31"]


def test_the_staff_json_needs_a_token_and_keeps_a_liaison_in_their_department(client, session, q1):
    assert client.get(f"/api/v1/dpo/kpis?{Q1_PARAMS}").status_code == 401
    body = client.get(f"/api/v1/dpo/kpis?{Q1_PARAMS}&lang=en", headers=api_headers(session, make_user(session))).json()
    assert body["totals"]["received"] == 10 and body["totals"]["median_days"] == pytest.approx(5.75)
    assert [b["open"] for b in body["backlog"]] == [2, 1, 0, 2]
    assert body["departments"][-1] == {**body["departments"][-1], "key": "none", "label": "No department"}
    liaison = api_headers(session, make_user(session, "liaison", department="ambiente"))
    mine = client.get(f"/api/v1/dpo/kpis?{Q1_PARAMS}", headers=liaison).json()
    assert mine["totals"]["received"] == 5 and [d["key"] for d in mine["departments"]] == ["ambiente"]


@pytest.mark.parametrize("query", ["from=2026-02-30", "from=2026-04-01&to=2026-03-01", "to=0001-01-01",
                                   "kind=gossip", "department=nowhere", "from=yesterday"])
def test_bad_filters_get_the_error_body(client, session, query):
    response = client.get(f"/api/v1/dpo/kpis?{query}", headers=api_headers(session, make_user(session)))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


# --- the public statistics ---------------------------------------------------------------------------------------

@pytest.fixture
def this_month(session):
    """Cases received minutes ago: 7 questions and 6 reports, all answered; 2 complaints, one answered."""
    now = utcnow()
    dep = make_department(session, "ambiente")
    due = date.today() + timedelta(days=30)
    for i in range(7):
        add_case(session, received=now - timedelta(minutes=30), answered=now - timedelta(minutes=20 - i),
                 due=due, department=dep, email="rosa.citizen@example.org", body=SECRET)
    for _ in range(6):
        add_case(session, received=now - timedelta(minutes=30), answered=now, due=due, kind="unlisted_device",
                 department=dep)
    add_case(session, received=now - timedelta(minutes=30), answered=now, due=due, kind="complaint", body=SECRET)
    add_case(session, received=now - timedelta(minutes=30), due=due, kind="complaint", body=SECRET)
    session.commit()


def test_small_cells_are_withheld_and_their_neighbour_too(session, this_month):
    stats = kpis.public_statistics(session, locale="en")
    year, twelve = stats.periods
    assert (year.key, twelve.key) == ("year", "last_12_months")
    assert twelve.period_from.day == 1 and (twelve.period_to - twelve.period_from).days < 366
    kinds = {k.key: k for k in year.kinds}
    assert kinds["question"].received == 7 and kinds["question"].withheld is None
    # complaints: 2 received, fewer than 5; so the smallest other non-empty row (6 reports) is hidden too,
    # or 15 − 7 − 0 would give the complaints away.
    assert (kinds["complaint"].received, kinds["complaint"].withheld) == (None, "fewer_than_min_cell")
    assert (kinds["unlisted_device"].received, kinds["unlisted_device"].mean_days) == (None, None)
    assert kinds["unlisted_device"].withheld == "protects_another_cell"
    assert (kinds["rights_request"].received, kinds["rights_request"].withheld) == (0, None)
    assert year.totals.received == 15 and year.totals.answered == 14 and year.totals.within_deadline_pct == 100.0
    # Departments: ambiente 13, none 2 (fewer than 5) → ambiente hidden too.
    assert [(d.key, d.received, d.withheld) for d in year.departments] == [
        ("ambiente", None, "protects_another_cell"), ("none", None, "fewer_than_min_cell")]


def test_the_public_page_shows_aggregates_only(client, session, this_month):
    html = client.get("/statistics?lang=en").text
    text = text_of(html)
    assert "How fast the Data Protection Officer answers" in text
    assert "The law allows one month to answer" in text
    assert "fewer than 5" in text and "not shown" in text
    assert 'role="img"' in html and ">The last 12 months, per month of receipt</caption>" in html
    for private in ("Rua-Secreta", "rosa.citizen", "P-20", "/follow/", "/staff/cases/"):
        assert private not in html
    assert 'href="/statistics"' in html  # the footer link
    pt = text_of(client.get("/statistics?lang=pt").text)
    assert "Com que rapidez responde" in pt and "menos de 5" in pt and "Estatísticas" in pt


def test_the_public_json_withholds_the_same_cells(client, session, this_month):
    body = client.get("/api/v1/statistics/dpo?lang=en").json()
    assert body["min_cell"] == 5 and body["legal_limit_months"] == 1
    year = body["periods"][0]
    complaint = next(k for k in year["kinds"] if k["key"] == "complaint")
    assert complaint == {"key": "complaint", "label": "Complaint to the Inhabitant Ombudsman", "received": None,
                         "answered": None, "mean_days": None, "median_days": None, "within_deadline_pct": None,
                         "withheld": "fewer_than_min_cell"}
    assert "Rua-Secreta" not in str(body) and "rosa.citizen" not in str(body)
