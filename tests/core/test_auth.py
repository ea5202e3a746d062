"""core/auth: staff accounts, passwords, database sessions and API tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from praca.core import audit, auth
from praca.core.auth import ApiToken, Department, Role, StaffSession, User
from praca.core.db import utcnow
from praca.core.errors import Conflict, InvalidInput, NotFound

PASSWORD = "correct horse battery"


@pytest.fixture
def department(session) -> Department:
    dept = Department(slug="urbanismo", name_pt="Urbanismo", name_en="Urban planning")
    session.add(dept)
    session.flush()
    return dept


@pytest.fixture
def user(session) -> User:
    return auth.create_user(session, email="ana@cm-porto.example", name="Ana Lopes", role=Role.DPO,
                            password=PASSWORD)


def audit_actions(session, subject: str) -> list[str]:
    return [e.action for e in audit.entries_for(session, subject)]


# --- create_user ---------------------------------------------------------------------------------------

def test_create_user_stores_an_argon2_hash_not_the_password(session):
    user = auth.create_user(session, email="  Rui@CM-Porto.example ", name="Rui", role="admin",
                            password=PASSWORD)
    stored = session.scalar(select(User).where(User.id == user.id))
    assert stored.email == "rui@cm-porto.example"
    assert stored.role == Role.ADMIN and stored.active
    assert stored.department_id is None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)
    assert stored.created_at.tzinfo is not None


def test_create_user_records_who_did_it_without_personal_data(session):
    user = auth.create_user(session, email="rui@cm-porto.example", name="Rui Costa", role=Role.VIEWER,
                            password=PASSWORD, actor="user:7")
    [entry] = audit.entries_for(session, user.actor)
    assert entry.action == "auth.user.created"
    assert entry.actor == "user:7"
    assert entry.subject == f"user:{user.id}"
    assert entry.details == {"role": "viewer"}
    flat = f"{entry.actor} {entry.subject} {entry.details}"
    assert "rui@" not in flat and "Rui" not in flat and "@" not in flat


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_short_password_is_refused(session, password):
    with pytest.raises(InvalidInput) as err:
        auth.create_user(session, email="a@b.example", name="A", role=Role.VIEWER, password=password)
    assert err.value.details["field"] == "password"
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_ten_character_password_is_enough(session):
    assert auth.create_user(session, email="a@b.example", name="A", role=Role.VIEWER, password="0123456789").id


def test_liaison_needs_a_department(session):
    with pytest.raises(InvalidInput) as err:
        auth.create_user(session, email="l@b.example", name="L", role=Role.LIAISON, password=PASSWORD)
    assert err.value.details["field"] == "department"


def test_liaison_belongs_to_its_department(session, department):
    liaison = auth.create_user(session, email="l@b.example", name="L", role="liaison", password=PASSWORD,
                               department_slug="urbanismo")
    assert liaison.department_id == department.id
    session.expire_all()
    assert session.get(User, liaison.id).department.slug == "urbanismo"


def test_unknown_department_is_refused(session, department):
    with pytest.raises(InvalidInput) as err:
        auth.create_user(session, email="l@b.example", name="L", role=Role.LIAISON, password=PASSWORD,
                         department_slug="finance")
    assert err.value.details["field"] == "department"
    assert "finance" in err.value.message


def test_unknown_role_is_invalid_input(session):
    with pytest.raises(InvalidInput) as err:
        auth.create_user(session, email="x@b.example", name="X", role="superuser", password=PASSWORD)
    assert err.value.details["field"] == "role"
    assert err.value.details["allowed"] == ["admin", "dpo", "liaison", "steward", "viewer"]


def test_duplicate_email_is_a_conflict(session, user):
    with pytest.raises(Conflict) as err:
        auth.create_user(session, email=" ANA@cm-porto.example", name="Other Ana", role=Role.VIEWER,
                         password="another password")
    assert err.value.status == 409
    assert err.value.details["field"] == "email"
    assert session.scalar(select(func.count()).select_from(User)) == 1


# --- authenticate --------------------------------------------------------------------------------------

def test_authenticate_with_the_right_password(session, user):
    assert auth.authenticate(session, "ana@cm-porto.example", PASSWORD) is user
    assert auth.authenticate(session, "  Ana@CM-Porto.Example ", PASSWORD) is user
    assert "auth.login.failed" not in audit_actions(session, user.actor)


def test_wrong_password_fails_and_is_audited(session, user):
    assert auth.authenticate(session, "ana@cm-porto.example", PASSWORD + "!") is None
    assert auth.authenticate(session, "ana@cm-porto.example", "") is None
    failures = [e for e in audit.entries_for(session, user.actor) if e.action == "auth.login.failed"]
    assert len(failures) == 2
    assert all(e.actor == audit.SYSTEM and e.details == {} for e in failures)


def test_unknown_user_fails_without_an_audit_entry(session, user):
    before = session.scalar(select(func.count()).select_from(audit.AuditEntry))
    assert auth.authenticate(session, "nobody@cm-porto.example", PASSWORD) is None
    assert session.scalar(select(func.count()).select_from(audit.AuditEntry)) == before


def test_inactive_user_cannot_sign_in(session, user):
    user.active = False
    session.flush()
    assert auth.authenticate(session, "ana@cm-porto.example", PASSWORD) is None


def test_outdated_hash_is_upgraded_on_sign_in(session, user):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    user.password_hash = weak.hash(PASSWORD)
    session.flush()
    assert auth.authenticate(session, "ana@cm-porto.example", PASSWORD) is user
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert PasswordHasher().verify(user.password_hash, PASSWORD)


# --- sessions ------------------------------------------------------------------------------------------

def test_session_round_trip_stores_only_the_hash(session, user):
    token = auth.start_session(session, user, hours=12)
    assert len(token) >= 40

    [row] = session.scalars(select(StaffSession)).all()
    assert row.token_hash == auth.sha256(token) and len(row.token_hash) == 64
    assert token not in (row.token_hash, str(row.user_id))
    assert row.user_id == user.id
    assert timedelta(hours=11, minutes=59) < row.expires_at - utcnow() <= timedelta(hours=12)
    assert auth.user_for_session(session, token) is user
    assert "auth.login" in audit_actions(session, user.actor)


def test_each_sign_in_gets_its_own_token(session, user):
    assert auth.start_session(session, user, hours=1) != auth.start_session(session, user, hours=1)
    assert session.scalar(select(func.count()).select_from(StaffSession)) == 2


def test_unknown_or_forged_session_token_is_none(session, user):
    token = auth.start_session(session, user, hours=1)
    assert auth.user_for_session(session, "not-a-token") is None
    assert auth.user_for_session(session, auth.sha256(token)) is None  # the stored hash is not a key
    assert auth.user_for_session(session, token[:-1]) is None


def test_expired_session_is_none(session, user):
    token = auth.start_session(session, user, hours=1)
    session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.expire_all()
    assert auth.user_for_session(session, token) is None


def test_session_of_a_deactivated_user_is_none(session, user):
    token = auth.start_session(session, user, hours=1)
    user.active = False
    session.flush()
    assert auth.user_for_session(session, token) is None


def test_end_session_signs_out(session, user):
    token = auth.start_session(session, user, hours=1)
    other = auth.start_session(session, user, hours=1)
    auth.end_session(session, token)
    assert auth.user_for_session(session, token) is None
    assert auth.user_for_session(session, other) is user  # other browsers stay signed in
    assert session.get(StaffSession, auth.sha256(token)) is None
    assert audit_actions(session, user.actor).count("auth.logout") == 1
    auth.end_session(session, token)  # twice is harmless
    auth.end_session(session, "never-issued")
    assert audit_actions(session, user.actor).count("auth.logout") == 1


# --- API tokens ----------------------------------------------------------------------------------------

def test_api_token_round_trip_stores_only_the_hash(session, user):
    token = auth.issue_api_token(session, user, "reporting script")
    assert token.startswith(auth.TOKEN_PREFIX) and len(token) > 40

    [row] = session.scalars(select(ApiToken)).all()
    assert row.token_hash == auth.sha256(token)
    assert token not in (row.token_hash, row.name)
    assert row.name == "reporting script" and row.revoked_at is None
    assert auth.user_for_api_token(session, token) is user
    assert auth.user_for_api_token(session, token + "x") is None
    assert auth.user_for_api_token(session, row.token_hash) is None
    issued = [e for e in audit.entries_for(session, user.actor) if e.action == "auth.token.issued"]
    assert [e.details for e in issued] == [{"token_id": row.id}]


def test_long_token_name_is_cut(session, user):
    auth.issue_api_token(session, user, "n" * 300)
    assert session.scalar(select(ApiToken.name)) == "n" * 100


def test_revoked_api_token_no_longer_works(session, user):
    keep = auth.issue_api_token(session, user, "keep")
    token = auth.issue_api_token(session, user, "revoke me")
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == auth.sha256(token)))

    auth.revoke_api_token(session, user, token_id)

    assert auth.user_for_api_token(session, token) is None
    assert auth.user_for_api_token(session, keep) is user
    assert session.get(ApiToken, token_id).revoked_at is not None
    revoked = [e for e in audit.entries_for(session, user.actor) if e.action == "auth.token.revoked"]
    assert [e.details for e in revoked] == [{"token_id": token_id}]


def test_cannot_revoke_someone_elses_token(session, user):
    other = auth.create_user(session, email="rui@cm-porto.example", name="Rui", role=Role.VIEWER,
                             password=PASSWORD)
    token = auth.issue_api_token(session, other, "mine")
    token_id = session.scalar(select(ApiToken.id))
    with pytest.raises(NotFound):
        auth.revoke_api_token(session, user, token_id)
    with pytest.raises(NotFound):
        auth.revoke_api_token(session, user, token_id + 1000)
    assert auth.user_for_api_token(session, token) is other


def test_api_token_of_a_deactivated_user_is_none(session, user):
    token = auth.issue_api_token(session, user, "script")
    user.active = False
    session.flush()
    assert auth.user_for_api_token(session, token) is None


def test_audit_chain_stays_valid(session, department, user):
    auth.authenticate(session, "ana@cm-porto.example", "wrong password")
    token = auth.start_session(session, user, hours=1)
    auth.end_session(session, token)
    auth.issue_api_token(session, user, "t")
    result = audit.verify(session)
    assert result.ok and result.entries >= 5
