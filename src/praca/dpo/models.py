"""The DPO desk's tables: cases with their thread and documents, and staff data-protection training.

A case carries its own legal clock (`due_date`, a calendar date in Lisbon, counted by `clock.py`) so
the inbox can filter and sort on it in SQL; the facts the clock needs (receipt, extension) are kept
next to it. Personal fields (contact, name, free text) are few and named, so retention can erase them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from praca.core.db import Base, UTCDateTime, new_public_id, utcnow


class CaseKind(enum.StrEnum):
    QUESTION = "question"
    UNLISTED_DEVICE = "unlisted_device"
    RIGHTS_REQUEST = "rights_request"  # GDPR Art. 15-22
    COMPLAINT = "complaint"  # to the Inhabitant Ombudsman


class QuestionTopic(enum.StrEnum):
    DEVICE = "device"
    WIFI = "wifi"
    PRIVACY_POLICY = "privacy_policy"
    OTHER = "other"


class DataSubjectRight(enum.StrEnum):
    """The rights of GDPR Articles 15 to 22, one code each."""

    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    PORTABILITY = "portability"  # Art. 20
    OBJECTION = "objection"  # Art. 21
    AUTOMATED_DECISION = "automated_decision"  # Art. 22


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
    __table_args__ = (
        Index("ix_dpo_case_status_received", "status", "received_at"),
        Index("ix_dpo_case_status_due", "status", "due_date"),
        Index("ix_dpo_case_department_status_due", "department_id", "status", "due_date"),
        Index("ix_dpo_case_assignee_status_due", "assignee_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. P-2026-000123, quoted by phone
    kind: Mapped[str] = mapped_column(String(30), index=True)
    topic: Mapped[str | None] = mapped_column(String(30))  # a question's QuestionTopic
    data_right: Mapped[str | None] = mapped_column(String(30))  # a rights request's DataSubjectRight
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.RECEIVED)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.WEB)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(5), default="pt")
    contact_email: Mapped[str | None] = mapped_column(String(320))  # optional; erased by retention
    requester_name: Mapped[str | None] = mapped_column(String(200))  # rights requests; erased by retention
    # A rights request starts only once its e-mail is confirmed: the link's token, hashed, until then.
    verification_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    device_public_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the device asked about
    lat: Mapped[float | None] = mapped_column(Float)  # where an unlisted device was seen
    lon: Mapped[float | None] = mapped_column(Float)
    suspected_type: Mapped[str | None] = mapped_column(String(40))
    photo: Mapped[str | None] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_device_public_id: Mapped[str | None] = mapped_column(String(36))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))  # paper, phone, in person
    # The legal clock (GDPR Art. 12(3)): receipt, then one month, plus up to two with a reason.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_date: Mapped[date | None] = mapped_column(Date)  # None while a rights request awaits confirmation
    extension_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_reason: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first substantive answer
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contact_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", lazy="raise", order_by="CaseMessage.id", cascade="all, delete-orphan")
    attachments: Mapped[list[CaseAttachment]] = relationship(
        back_populates="case", lazy="raise", order_by="CaseAttachment.id", cascade="all, delete-orphan")


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


class CaseAttachment(Base):
    """A document a citizen (or staff) added to a case; the file lives under the upload dir."""

    __tablename__ = "dpo_case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("dpo_case.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("dpo_case_message.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)  # random; never the citizen's name
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(10))  # citizen | staff
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments", lazy="raise")


# --- data-protection training of the city's staff ------------------------------------------------------------

class Trainee(Base):
    """A civil servant who must be trained in data protection (not necessarily a Praça user)."""

    __tablename__ = "dpo_trainee"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_ref: Mapped[str] = mapped_column(String(40), unique=True)  # the HR number, nothing more
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class TrainingSession(Base):
    __tablename__ = "dpo_training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[float] = mapped_column(Float, default=1.0)
    trainer: Mapped[str | None] = mapped_column(String(200))


class TrainingAttendance(Base):
    __tablename__ = "dpo_training_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("dpo_training_session.id", ondelete="CASCADE"),
                                            primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("dpo_trainee.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
