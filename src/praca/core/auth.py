"""Staff accounts: roles, argon2 passwords, database-backed sessions and personal API tokens.

Citizens never have accounts. Sessions and tokens are random secrets of which only the SHA-256 is
stored, so a database leak does not hand out logins, and logout/revocation take effect everywhere.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Boolean, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from praca.core import audit
from praca.core.db import Base, DbSession, UTCDateTime, utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

SESSION_COOKIE = "praca_staff"
TOKEN_PREFIX = "praca_"  # noqa: S105 — a visible prefix, not a secret
_hasher = PasswordHasher()


class Role(enum.StrEnum):
    ADMIN = "admin"
    DPO = "dpo"
    LIAISON = "liaison"  # scoped to one department
    STEWARD = "steward"  # the open data portal's data stewards
    VIEWER = "viewer"


class Department(Base):
    """A unit of the city administration; liaisons and cases belong to one."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_pt: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def actor(self) -> str:
        """How the audit log names this user: an id, never a name or address."""
        return f"user:{self.id}"


class StaffSession(Base):
    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- accounts ------------------------------------------------------------------------------------------

def create_user(session: Session, *, email: str, name: str, role: Role | str, password: str,
                department_slug: str | None = None, actor: str = audit.SYSTEM) -> User:
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"Unknown role '{role}'.", field="role",
                           details={"allowed": [r.value for r in Role]}) from None
    if len(password) < 10:
        raise InvalidInput("The password must have at least 10 characters.", field="password")
    department = None
    if role is Role.LIAISON and not department_slug:
        raise InvalidInput("A liaison must belong to a department.", field="department")
    if department_slug:
        department = session.scalar(select(Department).where(Department.slug == department_slug))
        if department is None:
            raise InvalidInput(f"Unknown department '{department_slug}'.", field="department")
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("A staff account with this e-mail already exists.", field="email")
    user = User(email=email, name=name, role=role, password_hash=_hasher.hash(password),
                department_id=department.id if department else None)
    session.add(user)
    session.flush()
    audit.record(session, actor, "auth.user.created", user.actor, {"role": role.value})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    if user is None:
        _hasher.hash(password)  # same cost whether or not the account exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        audit.record(session, audit.SYSTEM, "auth.login.failed", user.actor)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(session: Session, user: User, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=sha256(token), user_id=user.id,
                             expires_at=utcnow() + timedelta(hours=hours)))
    audit.record(session, user.actor, "auth.login", user.actor)
    session.flush()
    return token


def end_session(session: Session, token: str) -> None:
    row = session.get(StaffSession, sha256(token))
    if row is not None:
        audit.record(session, f"user:{row.user_id}", "auth.logout", f"user:{row.user_id}")
        session.delete(row)
        session.flush()


def issue_api_token(session: Session, user: User, name: str) -> str:
    """A personal token for the JSON API; shown once, stored only as its hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:100], token_hash=sha256(token))
    session.add(row)
    session.flush()
    audit.record(session, user.actor, "auth.token.issued", user.actor, {"token_id": row.id})
    return token


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    row.revoked_at = utcnow()
    audit.record(session, user.actor, "auth.token.revoked", user.actor, {"token_id": token_id})


def user_for_session(session: Session, token: str) -> User | None:
    row = session.get(StaffSession, sha256(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def user_for_api_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


# --- dependencies ----------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, scheme_name="PersonalApiToken",
                     description="A staff member's personal API token, issued at /staff/tokens")


def current_user(request: Request, session: DbSession,
                 bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User | None:
    """The staff user behind a bearer token (API) or the session cookie (pages), if any."""
    if bearer is not None:
        user = user_for_api_token(session, bearer.credentials)
        if user is None:
            raise Unauthenticated("The API token is invalid or revoked.")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    return user_for_session(session, cookie) if cookie else None


OptionalUser = Annotated[User | None, Depends(current_user)]


def require_role(*roles: Role | str):
    allowed = {Role(r) for r in roles}

    def dependency(request: Request, user: OptionalUser) -> User:
        if user is None:
            raise Unauthenticated("Sign in as staff to do this.")
        if user.role not in allowed:
            raise Forbidden("Your role does not allow this.", details={"required": sorted(r.value for r in allowed)})
        request.state.staff = user
        return user

    return dependency


AnyStaff = Annotated[User, Depends(require_role(*Role))]
EditorStaff = Annotated[User, Depends(require_role(Role.ADMIN, Role.DPO, Role.LIAISON))]
DpoStaff = Annotated[User, Depends(require_role(Role.ADMIN, Role.DPO))]
AdminStaff = Annotated[User, Depends(require_role(Role.ADMIN))]


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))
