"""Citizens' participation in the portal: comments and questions, dataset requests and their supporters, reuses.

Plain functions taking a Session; they flush and audit, the caller commits. Everything a citizen sends
waits for a moderator (a data steward, an admin or the DPO), as on uData and FixMyStreet: pending is
never shown, rejected stays hidden. No account and no e-mail, ever: a request's supporters are known
only by the SHA-256 of a random browser token, salted with the request's id so one browser's supports
cannot be linked across requests in the database; the raw token lives in the browser's cookie alone.
The audit log names citizens "citizen" and holds ids and reason codes, never their words.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from praca.core import audit
from praca.core.db import utcnow
from praca.core.errors import Conflict, InvalidInput, NotFound
from praca.opendata import service
from praca.opendata.models import (
    Comment,
    Dataset,
    DatasetRequest,
    Organization,
    RequestSupport,
    Reuse,
    ReuseDataset,
)
from praca.opendata.participation_schemas import CommentIn, Decision, RequestIn, RequestUpdate, ReuseIn

CITIZEN = "citizen"  # the audit log's actor for anything a citizen does
LISTED_REQUESTS = ("open", "planned", "fulfilled")  # the public list, by default
PUBLIC_REQUESTS = (*LISTED_REQUESTS, "declined")  # each has a public page
SUPPORTABLE = ("open", "planned")
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "open": ("planned", "fulfilled", "declined"),
    "planned": ("fulfilled", "declined"),
    "declined": ("open",),  # reconsidered
    "fulfilled": (),
}
SUPPORTER_TOKEN_BYTES = 24


# --- moderation, shared ---------------------------------------------------------------------------------------

def _decide(session: Session, item: Comment | DatasetRequest | Reuse, decision: Decision, actor: str,
            kind: str, approved_status: str) -> None:
    if item.status != "pending":
        raise Conflict("This contribution was already moderated.", details={"status": item.status})
    if decision.action == "reject" and decision.reason is None:
        raise InvalidInput("Choose why it is rejected.", field="reason")
    item.status = approved_status if decision.action == "approve" else "rejected"
    details = {"reason": decision.reason} if decision.action == "reject" else {}
    session.flush()
    audit.record(session, actor, f"opendata.{kind}.{item.status if item.status == 'rejected' else 'approved'}",
                 f"{kind}:{item.public_id}", details)


# --- comments and questions ---------------------------------------------------------------------------------

@dataclass
class CommentView:
    comment: Comment
    dataset: Dataset


def submit_comment(session: Session, dataset: Dataset, data: CommentIn) -> Comment:
    """A comment or question on a public dataset, pending until a moderator approves it."""
    if dataset.state != service.PUBLIC:
        raise NotFound(f"No dataset '{dataset.name}'.", field="id")
    comment = Comment(dataset_id=dataset.id, kind=data.kind, author=data.author, body=data.body)
    session.add(comment)
    session.flush()
    audit.record(session, CITIZEN, "opendata.comment.submitted", f"comment:{comment.public_id}",
                 {"dataset": dataset.public_id, "kind": data.kind})
    return comment


def public_comments(session: Session, dataset: Dataset) -> list[Comment]:
    """Approved comments and questions of a dataset, oldest first; each answer is on its comment."""
    return list(session.scalars(select(Comment).where(Comment.dataset_id == dataset.id, Comment.status == "approved")
                                .order_by(Comment.created_at, Comment.id)))


def get_comment(session: Session, public_id: str) -> Comment:
    comment = session.scalar(select(Comment).where(Comment.public_id == public_id))
    if comment is None:
        raise NotFound("No such comment.", field="comment")
    return comment


def _comment_views(session: Session, *conditions) -> list[CommentView]:
    rows = session.execute(select(Comment, Dataset).join(Dataset, Dataset.id == Comment.dataset_id)
                           .where(*conditions).order_by(Comment.created_at, Comment.id)).tuples()
    return [CommentView(c, d) for c, d in rows]


def pending_comments(session: Session) -> list[CommentView]:
    return _comment_views(session, Comment.status == "pending")


def unanswered_questions(session: Session) -> list[CommentView]:
    return _comment_views(session, Comment.status == "approved", Comment.kind == "question",
                          Comment.answer.is_(None))


def moderate_comment(session: Session, comment: Comment, decision: Decision, actor: str) -> Comment:
    _decide(session, comment, decision, actor, "comment", "approved")
    return comment


def answer_comment(session: Session, comment: Comment, answer: str, actor: str) -> Comment:
    """The city's public answer under an approved comment or question (a second answer replaces the first)."""
    if comment.status != "approved":
        raise Conflict("Approve the comment before answering it.", details={"status": comment.status})
    replaced = comment.answer is not None
    comment.answer, comment.answered_at = answer, utcnow()
    session.flush()
    audit.record(session, actor, "opendata.comment.answered", f"comment:{comment.public_id}", {"replaced": replaced})
    return comment


# --- dataset requests and their supporters -----------------------------------------------------------------

@dataclass
class RequestView:
    request: DatasetRequest
    organization: Organization | None
    dataset: Dataset | None  # the public dataset that fulfils it


def new_supporter_token() -> str:
    return secrets.token_urlsafe(SUPPORTER_TOKEN_BYTES)


def supporter_hash(token: str, request: DatasetRequest) -> str:
    """What is stored of a supporter: unlinkable across requests, and no way back to the token."""
    return hashlib.sha256(f"{request.public_id}:{token}".encode()).hexdigest()


def _add_support(session: Session, request: DatasetRequest, token: str) -> bool:
    digest = supporter_hash(token, request)
    if session.scalar(select(RequestSupport.id).where(RequestSupport.request_id == request.id,
                                                      RequestSupport.supporter_hash == digest)) is not None:
        return False
    try:
        with session.begin_nested():  # a concurrent twin hits the unique constraint; only this savepoint is lost
            session.add(RequestSupport(request_id=request.id, supporter_hash=digest))
    except IntegrityError:
        return False
    # Counted in SQL, not read-modify-write: concurrent supporters each add one.
    count = session.execute(update(DatasetRequest).where(DatasetRequest.id == request.id)
                            .values(supporters=DatasetRequest.supporters + 1).returning(DatasetRequest.supporters)
                            .execution_options(synchronize_session=False)).scalar_one()
    set_committed_value(request, "supporters", count)
    return True


def submit_request(session: Session, data: RequestIn, supporter_token: str) -> DatasetRequest:
    """A pending request; its author is its first supporter, which is also how their browser alone can see it
    while it waits for moderation."""
    organization_id = None
    if data.organization:
        try:
            organization_id = service.get_organization(session, data.organization).id
        except NotFound:
            raise InvalidInput(f"No publisher '{data.organization}'.", field="organization") from None
    request = DatasetRequest(title=data.title, description=data.description, organization_id=organization_id)
    session.add(request)
    session.flush()
    audit.record(session, CITIZEN, "opendata.request.submitted", f"request:{request.public_id}")
    _add_support(session, request, supporter_token)
    return request


def supports(session: Session, request: DatasetRequest, token: str | None) -> bool:
    """Whether the browser holding this token supports the request (its author does)."""
    if not token:
        return False
    return session.scalar(select(RequestSupport.id).where(
        RequestSupport.request_id == request.id, RequestSupport.supporter_hash == supporter_hash(token, request))) \
        is not None


def get_request(session: Session, public_id: str, *, supporter_token: str | None = None,
                include_hidden: bool = False) -> DatasetRequest:
    """A request with a public page; a pending or rejected one only for staff and for its author's browser."""
    request = session.scalar(select(DatasetRequest).where(DatasetRequest.public_id == public_id))
    if request is None or not (include_hidden or request.status in PUBLIC_REQUESTS
                               or supports(session, request, supporter_token)):
        raise NotFound("No such dataset request.", field="request")
    return request


def request_view(session: Session, request: DatasetRequest) -> RequestView:
    return _request_views(session, [request])[0]


def _request_views(session: Session, requests: list[DatasetRequest]) -> list[RequestView]:
    org_ids = {r.organization_id for r in requests if r.organization_id}
    dataset_ids = {r.dataset_id for r in requests if r.dataset_id}
    orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))} \
        if org_ids else {}
    datasets = {d.id: d for d in session.scalars(select(Dataset).where(
        Dataset.id.in_(dataset_ids), Dataset.state == service.PUBLIC))} if dataset_ids else {}
    return [RequestView(r, orgs.get(r.organization_id or 0), datasets.get(r.dataset_id or 0)) for r in requests]


def list_requests(session: Session, *, statuses: tuple[str, ...] = LISTED_REQUESTS, sort: str = "support",
                  limit: int = 50, offset: int = 0) -> tuple[int, list[RequestView]]:
    """Requests with the given statuses, most supported first (or newest first), and their total."""
    if not set(statuses) <= set(PUBLIC_REQUESTS) | {"pending", "rejected"}:
        raise InvalidInput("Unknown request status.", field="status")
    where = DatasetRequest.status.in_(statuses)
    total = session.scalar(select(func.count(DatasetRequest.id)).where(where)) or 0
    order = ((DatasetRequest.supporters.desc(), DatasetRequest.created_at.desc()) if sort == "support"
             else (DatasetRequest.created_at.desc(),))
    requests = list(session.scalars(select(DatasetRequest).where(where).order_by(*order, DatasetRequest.id.desc())
                                    .limit(limit).offset(offset)))
    return total, _request_views(session, requests)


def support(session: Session, request: DatasetRequest, token: str) -> bool:
    """Count this browser once; False if it had already supported the request."""
    if request.status not in SUPPORTABLE:
        raise Conflict("This request is not open for support.", details={"status": request.status})
    counted = _add_support(session, request, token)
    if counted:
        audit.record(session, CITIZEN, "opendata.request.supported", f"request:{request.public_id}")
    return counted


def moderate_request(session: Session, request: DatasetRequest, decision: Decision, actor: str) -> DatasetRequest:
    """Approve (the request opens for support) or reject; a rejection's note is read by the author's browser only."""
    _decide(session, request, decision, actor, "request", "open")
    if decision.action == "reject" and decision.note:
        request.answer, request.answered_at = decision.note, utcnow()
    return request


def update_request(session: Session, request: DatasetRequest, change: RequestUpdate, actor: str) -> DatasetRequest:
    """Move an approved request on (open → planned → fulfilled, or declined), answering it on the way."""
    old = request.status
    if old in ("pending", "rejected"):
        raise Conflict("Moderate the request first.", details={"status": old})
    if change.status != old and change.status not in NEXT_STATUSES[old]:
        raise Conflict("This request cannot move to that status.", field="status",
                       details={"from": old, "to": change.status})
    if change.status == "declined" and not (change.answer or (old == "declined" and request.answer)):
        raise InvalidInput("Say why the request is declined.", field="answer")
    dataset = None
    if change.status == "fulfilled":
        if not change.dataset:
            raise InvalidInput("Choose the published dataset that fulfils the request.", field="dataset")
        try:
            dataset = service.get_dataset(session, change.dataset)
        except NotFound:
            raise InvalidInput("Choose the published dataset that fulfils the request.", field="dataset") from None
    elif change.dataset:
        raise InvalidInput("Only a fulfilled request links to a dataset.", field="dataset")
    if change.status == old and not change.answer and dataset is None:
        raise InvalidInput("Nothing to change: choose another status or write an answer.", field="answer")
    request.status = change.status
    if dataset is not None:
        request.dataset_id = dataset.id
    if change.answer:
        request.answer, request.answered_at = change.answer, utcnow()
    session.flush()
    audit.record(session, actor, "opendata.request.updated", f"request:{request.public_id}",
                 {"from": old, "to": change.status, "answered": bool(change.answer),
                  **({"dataset": dataset.public_id} if dataset else {})})
    return request


# --- reuses ---------------------------------------------------------------------------------------------------

@dataclass
class ReuseView:
    reuse: Reuse
    datasets: list[Dataset] = field(default_factory=list)  # the public ones it uses


def submit_reuse(session: Session, data: ReuseIn) -> Reuse:
    """A pending reuse of one or more public datasets."""
    datasets = []
    for name in dict.fromkeys(data.datasets):
        try:
            datasets.append(service.get_dataset(session, name))
        except NotFound:
            raise InvalidInput(f"No public dataset '{name}'.", field="datasets") from None
    reuse = Reuse(title=data.title, url=data.url, kind=data.kind, description=data.description, author=data.author)
    session.add(reuse)
    session.flush()
    session.add_all(ReuseDataset(reuse_id=reuse.id, dataset_id=d.id) for d in datasets)
    session.flush()
    audit.record(session, CITIZEN, "opendata.reuse.submitted", f"reuse:{reuse.public_id}",
                 {"kind": data.kind, "datasets": [d.public_id for d in datasets]})
    return reuse


def get_reuse(session: Session, public_id: str) -> Reuse:
    reuse = session.scalar(select(Reuse).where(Reuse.public_id == public_id))
    if reuse is None:
        raise NotFound("No such reuse.", field="reuse")
    return reuse


def _reuse_views(session: Session, reuses: list[Reuse]) -> list[ReuseView]:
    views = {r.id: ReuseView(r) for r in reuses}
    if views:
        rows = session.execute(select(ReuseDataset.reuse_id, Dataset)
                               .join(Dataset, Dataset.id == ReuseDataset.dataset_id)
                               .where(ReuseDataset.reuse_id.in_(views), Dataset.state == service.PUBLIC)
                               .order_by(Dataset.name)).tuples()
        for reuse_id, dataset in rows:
            views[reuse_id].datasets.append(dataset)
    return list(views.values())


def list_reuses(session: Session, *, kind: str | None = None, dataset: Dataset | None = None,
                status: str = "approved", limit: int = 50, offset: int = 0) -> tuple[int, list[ReuseView]]:
    """Reuses, newest first, with their total; by kind, or of one dataset."""
    conditions = [Reuse.status == status]
    if kind:
        conditions.append(Reuse.kind == kind)
    if dataset is not None:
        conditions.append(Reuse.id.in_(select(ReuseDataset.reuse_id).where(ReuseDataset.dataset_id == dataset.id)))
    total = session.scalar(select(func.count(Reuse.id)).where(*conditions)) or 0
    reuses = list(session.scalars(select(Reuse).where(*conditions).order_by(Reuse.created_at.desc(), Reuse.id.desc())
                                  .limit(limit).offset(offset)))
    return total, _reuse_views(session, reuses)


def public_reuses(session: Session, dataset: Dataset) -> list[ReuseView]:
    """Approved reuses of a dataset, newest first, each with the public datasets it uses."""
    return list_reuses(session, dataset=dataset, limit=100)[1]


def pending_reuses(session: Session) -> list[ReuseView]:
    return list_reuses(session, status="pending", limit=500)[1]


def moderate_reuse(session: Session, reuse: Reuse, decision: Decision, actor: str) -> Reuse:
    _decide(session, reuse, decision, actor, "reuse", "approved")
    return reuse
