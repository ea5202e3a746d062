"""Append-only, hash-chained audit log of every privacy-relevant action.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or
reordering any entry breaks the chain from that point on; `praca audit verify` finds where.
Entries hold ids and codes, never personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from praca.core.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
SYSTEM = "system"


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(100), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def _digest(seq: int, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any],
            prev_hash: str) -> str:
    payload = json.dumps(
        [seq, at.isoformat(timespec="microseconds"), actor, action, subject, details, prev_hash],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(session: Session, actor: str, action: str, subject: str,
           details: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction: it lands with the change it describes, or not at all."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders so the chain never forks; released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(7461626)"))
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = utcnow()
    clean = json.loads(json.dumps(details or {}, default=str))
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, subject=subject, details=clean,
                       prev_hash=prev, hash=_digest(seq, at, actor, action, subject, clean, prev))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the whole chain in order and recompute every hash."""
    prev, expected_seq, count, last_seq = GENESIS, 1, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return Verification(True, count)
        for e in rows:
            if e.seq != expected_seq:
                return Verification(False, count, expected_seq, "an entry is missing")
            if e.prev_hash != prev:
                return Verification(False, count, e.seq, "the link to the previous entry is broken")
            if _digest(e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash) != e.hash:
                return Verification(False, count, e.seq, "the entry's content was changed")
            prev, expected_seq, last_seq, count = e.hash, e.seq + 1, e.seq, count + 1


def entries_for(session: Session, subject: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.seq)))
