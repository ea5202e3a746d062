"""Citizens' participation, as domain logic: moderation of comments, requests and reuses, supporters counted
once per browser without their token ever being stored, request statuses, and the audit trail."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from praca.core.audit import AuditEntry
from praca.core.errors import Conflict, InvalidInput, NotFound
from praca.opendata import participation as p
from praca.opendata import service
from praca.opendata.models import Comment, DatasetRequest, RequestSupport, Reuse
from praca.opendata.participation_schemas import CommentIn, Decision, RequestIn, RequestUpdate, ReuseIn
from tests.dpo.helpers import columns_containing
from tests.opendata.factories import ACTOR, make_dataset, make_organization

STAFF = "user:moderator-test"
APPROVE = Decision(action="approve")
SPAM = Decision(action="reject", reason="spam")
QUESTION = "Os dados incluem as estações de Campanhã?"


def public_dataset(session: Session, settings, name: str = "qualidade-do-ar"):
    """A published dataset (no tabular resource yet, so the gate has nothing to refuse)."""
    dataset = make_dataset(session, name=name) if name != "qualidade-do-ar" else make_dataset(session)
    service.publish(session, settings, dataset, ACTOR)
    assert dataset.state == service.PUBLIC
    return dataset


def audit_actions(session: Session, subject: str) -> list[tuple[str, str, dict]]:
    return [(e.actor, e.action, e.details) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.seq))]


# --- comments and questions ---------------------------------------------------------------------------------

def test_a_comment_is_shown_only_once_approved_and_its_answer_under_it(session, settings):
    dataset = public_dataset(session, settings)
    question = p.submit_comment(session, dataset, CommentIn(kind="question", body=QUESTION, author="Rita"))
    spam = p.submit_comment(session, dataset, CommentIn(body="Compre já em example.com"))
    assert question.status == spam.status == "pending"
    assert p.public_comments(session, dataset) == []
    assert [v.comment for v in p.pending_comments(session)] == [question, spam]

    p.moderate_comment(session, question, APPROVE, STAFF)
    p.moderate_comment(session, spam, SPAM, STAFF)
    assert p.public_comments(session, dataset) == [question]
    assert [v.comment for v in p.unanswered_questions(session)] == [question]

    p.answer_comment(session, question, "Sim, desde março.", STAFF)
    [shown] = p.public_comments(session, dataset)
    assert shown.answer == "Sim, desde março." and shown.answered_at is not None
    assert p.unanswered_questions(session) == [] and p.pending_comments(session) == []

    assert audit_actions(session, f"comment:{question.public_id}") == [
        ("citizen", "opendata.comment.submitted", {"dataset": dataset.public_id, "kind": "question"}),
        (STAFF, "opendata.comment.approved", {}),
        (STAFF, "opendata.comment.answered", {"replaced": False}),
    ]
    assert audit_actions(session, f"comment:{spam.public_id}")[-1] == (STAFF, "opendata.comment.rejected",
                                                                        {"reason": "spam"})
    assert columns_containing(session, QUESTION) == ["opendata_comment.body"]  # the audit log keeps no words


def test_moderation_is_once_with_a_reason_and_answers_follow_approval(session, settings):
    dataset = public_dataset(session, settings)
    comment = p.submit_comment(session, dataset, CommentIn(body="Faltam os dados de fevereiro."))
    with pytest.raises(Conflict):
        p.answer_comment(session, comment, "Obrigado.", STAFF)
    with pytest.raises(InvalidInput):
        p.moderate_comment(session, comment, Decision(action="reject"), STAFF)
    assert comment.status == "pending"
    p.moderate_comment(session, comment, SPAM, STAFF)
    with pytest.raises(Conflict):
        p.moderate_comment(session, comment, APPROVE, STAFF)
    with pytest.raises(Conflict):
        p.answer_comment(session, comment, "Obrigado.", STAFF)
    assert p.public_comments(session, dataset) == []


def test_only_public_datasets_take_comments(session, settings):
    draft = make_dataset(session)
    with pytest.raises(NotFound):
        p.submit_comment(session, draft, CommentIn(body="Quando sai?"))
    assert session.scalar(select(func.count(Comment.id))) == 0


@pytest.mark.parametrize("data", [
    {"body": ""}, {"body": "  \n "}, {"body": "x" * 2001}, {"body": "a\x00b"}, {"body": "ok ok", "kind": "rant"},
    {"body": "ok ok", "author": "n" * 81}, {"body": "ok ok", "email": "a@example.org"}, {"body": "bad \ud800 text"},
])
def test_bad_comments_are_refused(data):
    with pytest.raises(ValidationError):
        CommentIn.model_validate(data)


def test_a_blank_name_is_no_name():
    assert CommentIn(body="Muito útil.", author="   ").author is None


# --- dataset requests -----------------------------------------------------------------------------------------

def request_in(**overrides) -> RequestIn:
    return RequestIn.model_validate({"title": "Horários dos elevadores públicos",
                                     "description": "Quando funciona cada elevador e as paragens por avaria.",
                                     **overrides})


def test_a_request_waits_for_moderation_seen_only_by_its_authors_browser(session):
    make_organization(session, "mobilidade")
    author = p.new_supporter_token()
    request = p.submit_request(session, request_in(organization="mobilidade"), author)
    assert request.status == "pending" and request.supporters == 1
    assert p.list_requests(session) == (0, [])
    assert p.get_request(session, request.public_id, supporter_token=author) is request
    for stranger in (None, p.new_supporter_token()):
        with pytest.raises(NotFound):
            p.get_request(session, request.public_id, supporter_token=stranger)
    with pytest.raises(Conflict):
        p.support(session, request, p.new_supporter_token())

    p.moderate_request(session, request, APPROVE, STAFF)
    assert request.status == "open"
    total, [view] = p.list_requests(session)
    assert total == 1 and view.request is request and view.organization.name == "mobilidade"
    assert p.get_request(session, request.public_id).id == request.id
    assert [a for _, a, _ in audit_actions(session, f"request:{request.public_id}")] == [
        "opendata.request.submitted", "opendata.request.approved"]


def test_a_rejected_request_is_hidden_and_its_note_is_for_the_author(session):
    author = p.new_supporter_token()
    request = p.submit_request(session, request_in(), author)
    p.moderate_request(session, request, Decision(action="reject", reason="duplicate",
                                                  note="Já existe: veja o pedido dos horários."), STAFF)
    assert request.status == "rejected" and request.answer.startswith("Já existe")
    assert p.list_requests(session, statuses=p.PUBLIC_REQUESTS) == (0, [])
    assert p.get_request(session, request.public_id, supporter_token=author) is request
    with pytest.raises(NotFound):
        p.get_request(session, request.public_id)


def test_a_browser_supports_once_and_its_token_is_never_stored(session):
    author, neighbour = p.new_supporter_token(), p.new_supporter_token()
    first = p.submit_request(session, request_in(), author)
    second = p.submit_request(session, request_in(title="Consumo de água por freguesia"), author)
    for request in (first, second):
        p.moderate_request(session, request, APPROVE, STAFF)

    assert p.support(session, first, neighbour) is True
    assert p.support(session, first, neighbour) is False
    assert p.support(session, first, author) is False  # the author already supports it
    assert p.support(session, second, neighbour) is True
    session.expire_all()
    assert session.get(DatasetRequest, first.id).supporters == 2
    assert session.scalar(select(func.count(RequestSupport.id)).where(RequestSupport.request_id == first.id)) == 2
    assert p.supports(session, first, neighbour) and not p.supports(session, first, p.new_supporter_token())

    for token in (author, neighbour):
        assert columns_containing(session, token) == []
        assert columns_containing(session, hashlib.sha256(token.encode()).hexdigest()) == []
    hashes = set(session.scalars(select(RequestSupport.supporter_hash)))
    assert len(hashes) == 4  # the same browser is a different hash on each request: supports are not linkable
    assert p.supporter_hash(neighbour, first) in hashes and p.supporter_hash(neighbour, second) in hashes
    supported = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "opendata.request.supported")))
    assert len(supported) == 2 and all(e.details == {} and e.actor == "citizen" for e in supported)


def test_the_list_puts_the_most_supported_first(session):
    requests = [p.submit_request(session, request_in(title=f"Pedido de dados número {i}"), p.new_supporter_token())
                for i in range(3)]
    for request in requests:
        p.moderate_request(session, request, APPROVE, STAFF)
    for _ in range(2):
        p.support(session, requests[1], p.new_supporter_token())
    p.support(session, requests[2], p.new_supporter_token())
    total, views = p.list_requests(session)
    assert total == 3 and [v.request.supporters for v in views] == [3, 2, 1]
    assert [v.request for v in views] == [requests[1], requests[2], requests[0]]
    assert [v.request for v in p.list_requests(session, limit=1, offset=1)[1]] == [requests[2]]
    assert p.list_requests(session, sort="newest")[1][0].request is requests[2]


def test_a_request_moves_from_open_to_planned_to_fulfilled_by_a_public_dataset(session, settings):
    request = p.submit_request(session, request_in(), p.new_supporter_token())
    with pytest.raises(Conflict):
        p.update_request(session, request, RequestUpdate(status="planned"), STAFF)  # not moderated yet
    p.moderate_request(session, request, APPROVE, STAFF)
    p.update_request(session, request, RequestUpdate(status="planned", answer="Previsto para junho."), STAFF)
    assert request.status == "planned" and request.answer == "Previsto para junho."

    draft = make_dataset(session, name="elevadores")
    with pytest.raises(InvalidInput):
        p.update_request(session, request, RequestUpdate(status="fulfilled"), STAFF)
    with pytest.raises(InvalidInput):  # a draft is no answer
        p.update_request(session, request, RequestUpdate(status="fulfilled", dataset="elevadores"), STAFF)
    service.publish(session, settings, draft, ACTOR)
    p.update_request(session, request, RequestUpdate(status="fulfilled", dataset="elevadores"), STAFF)
    assert request.status == "fulfilled" and p.request_view(session, request).dataset.name == "elevadores"
    with pytest.raises(Conflict):
        p.update_request(session, request, RequestUpdate(status="open"), STAFF)
    assert audit_actions(session, f"request:{request.public_id}")[-1] == (
        STAFF, "opendata.request.updated",
        {"from": "planned", "to": "fulfilled", "answered": False, "dataset": draft.public_id})
    with pytest.raises(Conflict):
        p.support(session, request, p.new_supporter_token())


def test_declining_needs_an_answer(session):
    request = p.submit_request(session, request_in(), p.new_supporter_token())
    p.moderate_request(session, request, APPROVE, STAFF)
    with pytest.raises(InvalidInput):
        p.update_request(session, request, RequestUpdate(status="declined"), STAFF)
    with pytest.raises(InvalidInput):
        p.update_request(session, request, RequestUpdate(status="open"), STAFF)  # nothing changes
    p.update_request(session, request, RequestUpdate(status="declined", answer="Estes dados são da Metro."), STAFF)
    assert request.status == "declined"
    assert p.list_requests(session) == (0, [])
    assert p.list_requests(session, statuses=("declined",))[0] == 1
    p.update_request(session, request, RequestUpdate(status="open"), STAFF)  # reconsidered
    assert request.status == "open"


def test_an_unknown_publisher_is_refused():
    with pytest.raises(ValidationError):
        request_in(organization="Não Existe!")


def test_a_request_naming_an_unknown_publisher_writes_nothing(session):
    with pytest.raises(InvalidInput):
        p.submit_request(session, request_in(organization="nao-existe"), p.new_supporter_token())
    assert session.scalar(select(func.count(DatasetRequest.id))) == 0


# --- reuses --------------------------------------------------------------------------------------------------

def reuse_in(**overrides) -> ReuseIn:
    return ReuseIn.model_validate({"title": "Mapa do ar que respiro", "url": "https://ar.example.org/mapa",
                                   "kind": "visualization", "description": "Um mapa das leituras de hoje.",
                                   "author": "Coletivo Ar Limpo", "datasets": ["qualidade-do-ar"], **overrides})


def test_a_reuse_is_listed_with_its_datasets_once_approved(session, settings):
    dataset = public_dataset(session, settings)
    other = public_dataset(session, settings, "ruido")
    reuse = p.submit_reuse(session, reuse_in(datasets=["qualidade-do-ar", "ruido", "ruido"]))
    spam = p.submit_reuse(session, reuse_in(title="Casino online", url="https://casino.example.com"))
    assert p.list_reuses(session) == (0, []) and p.public_reuses(session, dataset) == []
    assert [v.reuse for v in p.pending_reuses(session)] == [spam, reuse]

    p.moderate_reuse(session, reuse, APPROVE, STAFF)
    p.moderate_reuse(session, spam, SPAM, STAFF)
    [view] = p.public_reuses(session, dataset)
    assert view.reuse is reuse and [d.name for d in view.datasets] == ["qualidade-do-ar", "ruido"]
    assert p.list_reuses(session, kind="application") == (0, [])
    assert p.list_reuses(session, kind="visualization", dataset=other)[0] == 1

    service.withdraw(session, other, "Dados em revisão.", ACTOR)
    [view] = p.public_reuses(session, dataset)
    assert [d.name for d in view.datasets] == ["qualidade-do-ar"]  # a withdrawn dataset is not shown
    assert [a for _, a, _ in audit_actions(session, f"reuse:{reuse.public_id}")] == [
        "opendata.reuse.submitted", "opendata.reuse.approved"]


def test_a_reuse_must_use_public_datasets(session, settings):
    make_dataset(session)  # a draft
    with pytest.raises(InvalidInput):
        p.submit_reuse(session, reuse_in())
    assert session.scalar(select(func.count(Reuse.id))) == 0


@pytest.mark.parametrize("overrides", [
    {"url": "javascript:alert(1)"}, {"url": "ftp://example.org/x"}, {"url": "https://"}, {"url": "https://a b.org"},
    {"kind": "game"}, {"datasets": []}, {"title": ""}, {"title": "t\x00t"}, {"description": "d" * 2001},
    {"datasets": ["Bad Name"]},
])
def test_bad_reuses_are_refused(overrides):
    with pytest.raises(ValidationError):
        reuse_in(**overrides)


def test_concurrent_supporters_are_each_counted_once(engine):
    """Ten browsers press "support" at the same moment, two of them the same browser: nine are counted.
    Real transactions on separate connections (committed, then removed), so PostgreSQL only: SQLite has a
    single writer, and the embedded engine is not for concurrent writers."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's")
    maker = sessionmaker(engine, expire_on_commit=False)
    with maker() as session:
        first_seq = session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0)))
        request = p.submit_request(session, request_in(), p.new_supporter_token())
        p.moderate_request(session, request, APPROVE, STAFF)
        session.commit()
    twin = p.new_supporter_token()
    tokens = [p.new_supporter_token() for _ in range(8)] + [twin, twin]
    barrier = threading.Barrier(len(tokens))

    def press(token: str) -> bool:
        with maker() as session:
            found = session.get(DatasetRequest, request.id)
            barrier.wait(timeout=10)
            counted = p.support(session, found, token)
            session.commit()
            return counted

    try:
        with ThreadPoolExecutor(len(tokens)) as pool:
            counted = list(pool.map(press, tokens))
        assert sum(counted) == 9
        with maker() as session:
            assert session.get(DatasetRequest, request.id).supporters == 10  # the author and nine
            assert session.scalar(select(func.count(RequestSupport.id))
                                  .where(RequestSupport.request_id == request.id)) == 10
    finally:
        with maker() as session:
            session.execute(delete(RequestSupport).where(RequestSupport.request_id == request.id))
            session.execute(delete(DatasetRequest).where(DatasetRequest.id == request.id))
            session.execute(delete(AuditEntry).where(AuditEntry.seq > first_seq))  # this test's tail of the chain
            session.commit()
