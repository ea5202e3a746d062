"""Cases and their message threads. Built so the full desk (legal clock, liaisons, KPIs) can grow here."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praca.core.db import Base, UTCDateTime, new_public_id, utcnow


class CaseKind(enum.StrEnum):
    QUESTION = "question"
    UNLISTED_DEVICE = "unlisted_device"


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting_citizen"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"


class Channel(enum.StrEnum):
    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    IN_PERSON = "in_person"


class ReportOutcome(enum.StrEnum):
    ALREADY_REGISTERED = "already_registered"
    REGISTERED_NOW = "registered_now"
    NOT_A_DEVICE = "not_a_device"


class Case(Base):
    __tablename__ = "dpo_case"
    __table_args__ = (Index("ix_dpo_case_status_received", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. P-2026-000123, quoted by phone
    kind: Mapped[str] = mapped_column(String(30), index=True)
    topic: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.RECEIVED)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.WEB)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(5), default="pt")
    contact_email: Mapped[str | None] = mapped_column(String(320))  # optional; erased by retention
    device_public_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the device asked about
    lat: Mapped[float | None] = mapped_column(Float)  # where an unlisted device was seen
    lon: Mapped[float | None] = mapped_column(Float)
    suspected_type: Mapped[str | None] = mapped_column(String(40))
    photo: Mapped[str | None] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_device_public_id: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", lazy="raise", order_by="CaseMessage.id", cascade="all, delete-orphan")


class CaseMessage(Base):
    __tablename__ = "dpo_case_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dpo_case.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(10))  # citizen | staff | system
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # staff notes, never shown to the citizen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="messages", lazy="raise")
