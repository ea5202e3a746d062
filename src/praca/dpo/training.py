"""Staff data-protection training: the roster of civil servants, the sessions held, who attended.

Porto trains every new civil servant in data protection; the DPO must show that it happens. A
trainee is *active* on a day if they had started and not yet left; a department's completion is the
share of its active trainees who attended at least one session. "New staff not yet trained" are
active trainees who started within the last `NEW_STAFF_DAYS` days and attended nothing yet: the
people the next session is for.

The DPO and admins keep the records; viewers read them; a liaison sees only their own department's
completion, not the roster (names of colleagues are not theirs to browse). Trainees are staff, but
their names are still personal data: the audit log names them by id only. Like service.py, these
functions flush and never commit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.auth import Department, Role, User
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.dpo.labels import N_
from praca.dpo.models import Trainee, TrainingAttendance, TrainingSession

NEW_STAFF_DAYS = 90
RECORD_ROLES = frozenset({Role.ADMIN, Role.DPO})
ROSTER_ROLES = frozenset({Role.ADMIN, Role.DPO, Role.VIEWER})
CSV_COLUMNS = ("employee_ref", "name", "department_slug", "started_on")
MAX_CSV_ROWS = 20_000

# What a CSV row can be told, in plain words (translated on the page).
ROW_MESSAGES: dict[str, str] = {
    "employee_ref": N_("Give the employee number: 1 to 40 characters."),
    "duplicate_ref": N_("This employee number appears twice in the file."),
    "existing_ref": N_("A trainee with this employee number is already on the roster."),
    "name": N_("Give the name: 1 to 200 characters."),
    "department_slug": N_("Unknown department: use one of the department codes listed below."),
    "started_on": N_("Give the start date as YYYY-MM-DD."),
    "columns": N_("The row does not have the four columns."),
}


def _subject(trainee: Trainee) -> str:
    return f"trainee:{trainee.id}"


# --- who may do what -------------------------------------------------------------------------------------------

def can_record(user: User) -> bool:
    return user.role in RECORD_ROLES


def can_see_roster(user: User) -> bool:
    return user.role in ROSTER_ROLES


def check_can_record(user: User) -> None:
    if not can_record(user):
        raise Forbidden("Only the DPO and admins keep the training records.")


def check_can_see_roster(user: User) -> None:
    if not can_see_roster(user):
        raise Forbidden("Your role shows your department's training completion only.")


def visible_departments(session: Session, user: User) -> list[Department]:
    """Every department, or a liaison's own."""
    stmt = select(Department).order_by(Department.name_pt)
    if user.role == Role.LIAISON:
        stmt = stmt.where(Department.id == user.department_id)
    return list(session.scalars(stmt))


def department_by_slug(session: Session, slug: str | None) -> Department | None:
    if not slug:
        return None
    return session.scalar(select(Department).where(Department.slug == slug))


# --- the roster --------------------------------------------------------------------------------------------------

def active_on(day: date) -> object:
    """SQL condition: started on or before `day`, and not left by then."""
    return (Trainee.started_on <= day) & (Trainee.left_on.is_(None) | (Trainee.left_on > day))


def _attended() -> object:
    return exists().where(TrainingAttendance.trainee_id == Trainee.id)


def list_trainees(session: Session, user: User, *, department_id: int | None = None, today: date,
                  include_left: bool = False) -> list[tuple[Trainee, int]]:
    """The roster (optionally one department's), each trainee with the number of sessions attended."""
    check_can_see_roster(user)
    sessions = (select(func.count()).select_from(TrainingAttendance)
                .where(TrainingAttendance.trainee_id == Trainee.id).scalar_subquery())
    stmt: Select[tuple[Trainee, int]] = select(Trainee, sessions).order_by(Trainee.name, Trainee.id)
    if department_id is not None:
        stmt = stmt.where(Trainee.department_id == department_id)
    if not include_left:
        stmt = stmt.where(Trainee.left_on.is_(None) | (Trainee.left_on > today))
    return [(t, int(n)) for t, n in session.execute(stmt).tuples()]


def _check_trainee_fields(employee_ref: str, name: str, started_on: date | None) -> tuple[str, str]:
    employee_ref, name = employee_ref.strip(), " ".join(name.split())
    if not 1 <= len(employee_ref) <= 40:
        raise InvalidInput("Give the employee number: 1 to 40 characters.", field="employee_ref")
    if not 1 <= len(name) <= 200:
        raise InvalidInput("Give the name: 1 to 200 characters.", field="name")
    if started_on is None:
        raise InvalidInput("Give the start date.", field="started_on")
    return employee_ref, name


def add_trainee(session: Session, user: User, *, employee_ref: str, name: str, department_slug: str,
                started_on: date | None) -> Trainee:
    check_can_record(user)
    employee_ref, name = _check_trainee_fields(employee_ref, name, started_on)
    department = department_by_slug(session, department_slug)
    if department is None:
        raise InvalidInput("Choose a department.", field="department")
    if session.scalar(select(Trainee.id).where(Trainee.employee_ref == employee_ref)) is not None:
        raise Conflict("A trainee with this employee number is already on the roster.", field="employee_ref")
    assert started_on is not None
    trainee = Trainee(employee_ref=employee_ref, name=name, department_id=department.id, started_on=started_on)
    session.add(trainee)
    session.flush()
    audit.record(session, user.actor, "dpo.trainee.added", _subject(trainee), {"department_id": department.id})
    return trainee


def mark_left(session: Session, user: User, trainee_id: int, left_on: date) -> Trainee:
    """The trainee left the city's service: they no longer count, and their attendance stays on record."""
    check_can_record(user)
    trainee = session.get(Trainee, trainee_id)
    if trainee is None:
        raise NotFound("No such trainee.")
    if left_on < trainee.started_on:
        raise InvalidInput("The leaving date is before the start date.", field="left_on")
    trainee.left_on = left_on
    session.flush()
    audit.record(session, user.actor, "dpo.trainee.left", _subject(trainee), {"left_on": left_on.isoformat()})
    return trainee


# --- CSV import of the roster ------------------------------------------------------------------------------------

@dataclass
class RowReport:
    line: int
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message id of ROW_MESSAGES)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class TraineeImport:
    rows: list[RowReport]
    imported: int = 0

    @property
    def invalid(self) -> int:
        return sum(not r.ok for r in self.rows)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def import_trainees(session: Session, user: User, raw: bytes) -> TraineeImport:
    """Add trainees from CSV (`employee_ref,name,department_slug,started_on`), all or nothing.

    Every row is checked first and reported by its line number; if any row is wrong, nothing is
    added. A header row is recognised by its first cell and skipped."""
    check_can_record(user)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.", field="file") from None
    departments = dict(session.execute(select(Department.slug, Department.id)).tuples().all())
    existing = set(session.scalars(select(Trainee.employee_ref)))
    seen: set[str] = set()
    reports: list[RowReport] = []
    valid: list[Trainee] = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(cell.strip() for cell in row):
            continue
        if line == 1 and row and row[0].strip().lower() == "employee_ref":
            continue
        if len(reports) >= MAX_CSV_ROWS:
            raise InvalidInput(f"At most {MAX_CSV_ROWS} rows at a time.", field="file")
        report = RowReport(line)
        reports.append(report)
        if len(row) != len(CSV_COLUMNS):
            report.errors.append(("", "columns"))
            continue
        ref, name, slug, started = (cell.strip() for cell in row)
        name = " ".join(name.split())
        if not 1 <= len(ref) <= 40:
            report.errors.append(("employee_ref", "employee_ref"))
        elif ref in seen:
            report.errors.append(("employee_ref", "duplicate_ref"))
        elif ref in existing:
            report.errors.append(("employee_ref", "existing_ref"))
        seen.add(ref)
        if not 1 <= len(name) <= 200:
            report.errors.append(("name", "name"))
        if slug not in departments:
            report.errors.append(("department_slug", "department_slug"))
        started_on = _parse_date(started)
        if started_on is None:
            report.errors.append(("started_on", "started_on"))
        if report.ok:
            assert started_on is not None
            valid.append(Trainee(employee_ref=ref, name=name, department_id=departments[slug],
                                 started_on=started_on))
    result = TraineeImport(reports)
    if result.invalid or not valid:
        return result
    session.add_all(valid)
    session.flush()
    audit.record(session, user.actor, "dpo.trainees.imported", "dpo:trainees",
                 {"trainees": [t.id for t in valid]})
    result.imported = len(valid)
    return result


# --- sessions and attendance --------------------------------------------------------------------------------------

def list_sessions(session: Session) -> list[tuple[TrainingSession, int]]:
    """Every session, newest first, with how many attended."""
    attended = (select(func.count()).select_from(TrainingAttendance)
                .where(TrainingAttendance.session_id == TrainingSession.id).scalar_subquery())
    stmt = select(TrainingSession, attended).order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
    return [(s, int(n)) for s, n in session.execute(stmt).tuples()]


def get_session(session: Session, public_id: str) -> TrainingSession:
    found = session.scalar(select(TrainingSession).where(TrainingSession.public_id == public_id))
    if found is None:
        raise NotFound("No such training session.")
    return found


def attendee_ids(session: Session, training: TrainingSession) -> set[int]:
    return set(session.scalars(select(TrainingAttendance.trainee_id)
                               .where(TrainingAttendance.session_id == training.id)))


def record_session(session: Session, user: User, *, title: str, held_on: date | None, hours: float | None,
                   trainer: str | None, trainee_ids: list[int]) -> TrainingSession:
    """A session that was held, with the trainees who attended it."""
    check_can_record(user)
    title = " ".join(title.split())
    if not 1 <= len(title) <= 200:
        raise InvalidInput("Give the session a title of 1 to 200 characters.", field="title")
    if held_on is None:
        raise InvalidInput("Give the date the session was held.", field="held_on")
    if hours is None or not 0 < hours <= 40:
        raise InvalidInput("Give the length in hours, more than 0 and at most 40.", field="hours")
    trainer = " ".join((trainer or "").split())[:200] or None
    training = TrainingSession(title=title, held_on=held_on, hours=hours, trainer=trainer)
    session.add(training)
    session.flush()
    audit.record(session, user.actor, "dpo.training.session_recorded", f"training:{training.public_id}",
                 {"held_on": held_on.isoformat(), "hours": hours})
    set_attendance(session, user, training.public_id, shown_ids=trainee_ids, attended_ids=trainee_ids)
    return training


def set_attendance(session: Session, user: User, public_id: str, *, shown_ids: list[int],
                   attended_ids: list[int]) -> tuple[list[int], list[int]]:
    """Mark who attended among the trainees shown on the form (a department's, when filtered).

    Trainees not shown keep their attendance as it was, so filtering the form by department never
    unmarks anyone. Returns the ids added and removed."""
    check_can_record(user)
    training = get_session(session, public_id)
    attended = set(attended_ids) & set(shown_ids)
    known = set(session.scalars(select(Trainee.id).where(Trainee.id.in_(set(shown_ids))))) if shown_ids else set()
    if attended - known:
        raise InvalidInput("Some of the trainees marked are not on the roster.", field="trainees")
    before = attendee_ids(session, training) & set(shown_ids)
    added, removed = sorted(attended - before), sorted(before - attended)
    for trainee_id in added:
        session.add(TrainingAttendance(session_id=training.id, trainee_id=trainee_id))
    if removed:
        session.execute(TrainingAttendance.__table__.delete().where(
            TrainingAttendance.session_id == training.id, TrainingAttendance.trainee_id.in_(removed)))
    session.flush()
    if added or removed:
        audit.record(session, user.actor, "dpo.training.attendance_changed", f"training:{training.public_id}",
                     {"added": added, "removed": removed})
    return added, removed


# --- completion --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    department: Department | None  # None: the total over several departments
    active: int
    trained: int
    new_untrained: int

    @property
    def percent(self) -> int | None:
        """Whole percent trained, or None for a department with nobody to train."""
        return round(100 * self.trained / self.active) if self.active else None


def completion(session: Session, user: User, today: date) -> list[Completion]:
    """Per department the user may see: active trainees, how many attended a session, new ones untrained."""
    departments = visible_departments(session, user)
    active = active_on(today)
    attended = _attended()
    new = Trainee.started_on > today - timedelta(days=NEW_STAFF_DAYS)
    rows = session.execute(
        select(Trainee.department_id, func.count(),
               func.count().filter(attended),
               func.count().filter(new & ~attended))
        .where(active, Trainee.department_id.in_([d.id for d in departments]))
        .group_by(Trainee.department_id)).all()
    counts = {dep_id: (int(a), int(t), int(n)) for dep_id, a, t, n in rows}
    return [Completion(d, *counts.get(d.id, (0, 0, 0))) for d in departments]


def overall(rows: list[Completion]) -> Completion | None:
    """The total of several departments' figures (for the table's last line)."""
    if not rows:
        return None
    return Completion(None, sum(r.active for r in rows), sum(r.trained for r in rows),
                      sum(r.new_untrained for r in rows))
