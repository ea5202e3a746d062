"""The participation pages driven as a browser would (GET for the CSRF token, POST it back, follow the
redirect): comments and questions, dataset requests and their supporters, reuses, and the moderators' page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request

from praca.core import i18n
from praca.core.audit import AuditEntry
from praca.opendata import participation as p
from praca.opendata import participation_pages
from praca.opendata.models import Comment, DatasetRequest, RequestSupport, Reuse
from praca.opendata.participation_schemas import COMMENT_LIMITS, CommentIn, Decision, RequestIn, ReuseIn
from tests.dpo.pages import csrf_from, error_fields, login, post_form, text_of
from tests.factories import make_user
from tests.opendata.test_participation import STAFF, public_dataset

APPROVE = Decision(action="approve")
REQUEST = {"title": "Horários dos elevadores públicos",
           "description": "Quando funciona cada elevador e as paragens por avaria."}
BODY = "Os valores de PM10 estão em microgramas por metro cúbico?"


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id))) or 0


def moderator(client, session, role: str = "steward") -> None:
    user = make_user(session, role)
    session.commit()
    login(client, user.email)


def second_browser(app) -> TestClient:
    return TestClient(app, base_url="http://testserver")


# --- comments and questions ---------------------------------------------------------------------------------

def test_the_discussion_shows_approved_comments_and_answers_only(client, session, settings):
    dataset = public_dataset(session, settings)
    shown = p.submit_comment(session, dataset, CommentIn(kind="question", body=BODY, author="Rita"))
    p.moderate_comment(session, shown, APPROVE, STAFF)
    p.answer_comment(session, shown, "Sim: µg/m³, média horária.", STAFF)
    hidden = p.submit_comment(session, dataset, CommentIn(body="Visite o meu sítio de apostas"))
    p.moderate_comment(session, hidden, Decision(action="reject", reason="spam"), STAFF)
    p.submit_comment(session, dataset, CommentIn(body="Ainda por moderar, não aparece."))
    session.commit()

    pt = client.get("/data/qualidade-do-ar/discussion?lang=pt")
    assert pt.status_code == 200
    text = text_of(pt.text)
    assert BODY in text and "Sim: µg/m³, média horária." in text and "Rita" in text
    assert "apostas" not in text and "Ainda por moderar" not in text
    assert "Pergunta" in text and "Resposta da Câmara" in text and "Comentar ou fazer uma pergunta" in text
    for control in ("comment-kind", "comment-body", "comment-author"):
        assert f'<label class="inline" for="{control}"' in pt.text or f'<label for="{control}">' in pt.text
    en = text_of(client.get("/data/qualidade-do-ar/discussion?lang=en").text)
    assert "Answer from the city" in en and "Comment or ask a question" in en and "e-mail" in en


def test_a_comment_is_sent_for_moderation_and_not_shown(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    response = post_form(client, "/data/qualidade-do-ar/discussion?lang=en",
                         {"kind": "question", "body": BODY, "author": "", "return_to": "discussion"},
                         action="/data/qualidade-do-ar/comments?lang=en")
    assert response.status_code == 303
    assert response.headers["location"] == "/data/qualidade-do-ar/discussion?sent=comment&lang=en#discussion"
    page = text_of(client.get(response.headers["location"]).text)
    assert "once a moderator has read it" in page and BODY not in page
    comment = session.scalar(select(Comment))
    assert comment.status == "pending" and comment.kind == "question" and comment.author is None
    # From the dataset page's form (no return_to), back to the dataset page.
    response = post_form(client, "/data/qualidade-do-ar/discussion", {"body": "Muito útil, obrigado."},
                         action="/data/qualidade-do-ar/comments")
    assert response.headers["location"] == "/data/qualidade-do-ar?sent=comment#discussion"


@pytest.mark.parametrize(("values", "fields"), [
    ({"body": ""}, ["comment-body"]),
    ({"body": "x" * (COMMENT_LIMITS[1] + 1)}, ["comment-body"]),
    ({"body": "nul \x00 inside"}, ["comment-body"]),
    ({"body": "ok ok", "kind": "complaint", "author": "n" * 81}, ["comment-kind", "comment-author"]),
])
def test_a_bad_comment_comes_back_with_what_to_fix_and_nothing_written(client, session, settings, values, fields):
    public_dataset(session, settings)
    session.commit()
    audit_before = session.scalar(select(func.count(AuditEntry.seq)))
    response = post_form(client, "/data/qualidade-do-ar/discussion?lang=en", {"kind": "comment", **values},
                         action="/data/qualidade-do-ar/comments?lang=en")
    assert response.status_code == 422
    assert error_fields(response.text) == fields
    assert 'aria-invalid="true"' in response.text
    assert count(session, Comment) == 0 and session.scalar(select(func.count(AuditEntry.seq))) == audit_before


def test_a_comment_without_the_forms_token_is_refused(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    client.get("/data/qualidade-do-ar/discussion")
    response = client.post("/data/qualidade-do-ar/comments", data={"body": BODY, "csrf_token": "forged"})
    assert response.status_code == 403 and count(session, Comment) == 0


def test_comment_forms_are_rate_limited(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    settings.public_post_rate = 2
    statuses = [post_form(client, "/data/qualidade-do-ar/discussion", {"body": f"Comentário número {i}"},
                          action="/data/qualidade-do-ar/comments").status_code for i in range(3)]
    assert statuses == [303, 303, 429] and count(session, Comment) == 2


def test_drafts_have_no_discussion(client, session, settings):
    from tests.opendata.factories import make_dataset

    make_dataset(session)
    session.commit()
    assert client.get("/data/qualidade-do-ar/discussion").status_code == 404
    assert client.get("/data/nao-existe/discussion").status_code == 404


def test_the_partials_render_with_only_the_dataset_and_its_lists(app, session, settings):
    """What pages.py passes when it includes them on the dataset page."""
    dataset = public_dataset(session, settings)
    comment = p.submit_comment(session, dataset, CommentIn(body=BODY))
    p.moderate_comment(session, comment, APPROVE, STAFF)
    reuse = p.submit_reuse(session, ReuseIn(title="Ar do Porto", url="https://ar.example.org", kind="application",
                                            datasets=["qualidade-do-ar"]))
    p.moderate_reuse(session, reuse, APPROVE, STAFF)
    env = app.state.templates.env
    request = Request({"type": "http", "method": "GET", "path": "/data/qualidade-do-ar", "query_string": b"",
                       "headers": []})
    i18n.set_locale("en")
    context = {"dataset": dataset, "comments": p.public_comments(session, dataset), "locale": "en",
               "csrf_token": "t", "request": request}
    html = env.get_template("opendata/participation_comments.html").render(**context)
    assert BODY in html and f'maxlength="{COMMENT_LIMITS[1]}"' in html
    assert 'action="/data/qualidade-do-ar/comments"' in html and 'name="return_to" value="dataset"' in html
    html = env.get_template("opendata/participation_reuses.html").render(
        **{**context, "reuses": p.public_reuses(session, dataset)})
    assert 'href="https://ar.example.org" rel="nofollow ugc noopener"' in html and "Application" in html


# --- dataset requests -----------------------------------------------------------------------------------------

def test_a_request_from_form_to_answer(client, app, session, settings):
    response = post_form(client, "/data/requests/new?lang=pt", REQUEST, action="/data/requests/new?lang=pt")
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/data/requests/[0-9a-f-]{36}\?sent=new&lang=pt", location)
    assert client.cookies.get("praca_supporter")
    page = client.get(location)
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page.text)
    assert "A aguardar moderação" in text and "só este navegador pode ver esta página" in text
    public_id = location.split("/")[3].split("?")[0]
    assert REQUEST["title"] not in text_of(client.get("/data/requests").text)

    with second_browser(app) as neighbour:
        assert neighbour.get(f"/data/requests/{public_id}").status_code == 404
        moderator(neighbour, session)
        form = neighbour.get("/staff/data/moderation")
        assert REQUEST["title"] in form.text
        approved = neighbour.post(f"/staff/data/moderation/requests/{public_id}",
                                  data={"csrf_token": csrf_from(form.text), "action": "approve", "reason": ""},
                                  follow_redirects=False)
        assert approved.status_code == 303 and approved.headers["location"] == "/staff/data/moderation?done=1"

    assert REQUEST["title"] in text_of(client.get("/data/requests").text)
    with second_browser(app) as supporter:
        detail = supporter.get(f"/data/requests/{public_id}?lang=en")
        assert "Support this request" in detail.text and "cache-control" not in detail.headers
        supported = supporter.post(f"/data/requests/{public_id}/support?lang=en",
                                   data={"csrf_token": csrf_from(detail.text)}, follow_redirects=False)
        assert supported.headers["location"] == f"/data/requests/{public_id}?supported=1&lang=en"
        after = supporter.get(supported.headers["location"]).text
        assert "Thank you for your support." in after and 'id="request-supporters">2<' in after
        assert "You support this request." in after and 'id="support"' not in after
        again = supporter.post(f"/data/requests/{public_id}/support", data={"csrf_token": csrf_from(detail.text)},
                               follow_redirects=False)
        assert again.headers["location"] == f"/data/requests/{public_id}?supported=0"
    assert count(session, RequestSupport) == 2
    assert session.scalar(select(DatasetRequest.supporters)) == 2
    # The author's own browser supports it already.
    assert "Apoia este pedido." in text_of(client.get(f"/data/requests/{public_id}").text)


def test_a_request_list_sorted_by_support_and_a_tab_for_declined(client, session):
    titles = ["Pedido com um apoio", "Pedido com três apoios", "Pedido recusado pela Câmara"]
    requests = []
    for title in titles:
        request = p.submit_request(session, RequestIn(title=title, description=REQUEST["description"]),
                                   p.new_supporter_token())
        p.moderate_request(session, request, APPROVE, STAFF)
        requests.append(request)
    for _ in range(2):
        p.support(session, requests[1], p.new_supporter_token())
    p.update_request(session, requests[2], p.RequestUpdate(status="declined", answer="Não são dados municipais."),
                     STAFF)
    session.commit()
    page = client.get("/data/requests?lang=en").text
    assert re.findall(r'<h2><a href="/data/requests/[^"]+">([^<]+)</a>', page) == titles[1::-1]
    assert "2 requests" in text_of(page) and "3 supporters" in text_of(page)
    declined = client.get("/data/requests?status=declined&lang=pt").text
    assert re.findall(r'<h2><a href="/data/requests/[^"]+">([^<]+)</a>', declined) == [titles[2]]
    assert "Recusado" in text_of(declined)
    answer = text_of(client.get(f"/data/requests/{requests[2].public_id}?lang=en").text)
    assert "Não são dados municipais." in answer and "Declined" in answer and "Support this request" not in answer


@pytest.mark.parametrize(("values", "fields"), [
    ({"title": "", "description": ""}, ["title", "description"]),
    ({"title": "Dados", "description": "x" * 4001}, ["description"]),
    ({**REQUEST, "organization": "nao-existe"}, ["organization"]),
    ({**REQUEST, "title": "\x00" * 10}, ["title"]),
])
def test_a_bad_request_comes_back_with_what_to_fix(client, session, values, fields):
    response = post_form(client, "/data/requests/new?lang=en", values, action="/data/requests/new?lang=en")
    assert response.status_code == 422 and error_fields(response.text) == fields
    assert count(session, DatasetRequest) == 0 and "praca_supporter" not in client.cookies


def test_unknown_request_ids_are_404(client):
    assert client.get("/data/requests/not-a-uuid").status_code == 404
    assert client.get("/data/requests/00000000-0000-4000-8000-000000000000").status_code == 404


# --- reuses -------------------------------------------------------------------------------------------------------

def test_a_reuse_is_listed_once_a_moderator_approves_it(client, app, session, settings):
    public_dataset(session, settings)
    session.commit()
    form = client.get("/data/reuses/new?dataset=qualidade-do-ar&lang=en").text
    assert 'id="datasets" name="datasets" value="qualidade-do-ar" checked' in form
    response = post_form(client, "/data/reuses/new?lang=en",
                         {"title": "Respira Porto", "url": "https://respira.example.org", "kind": "application",
                          "author": "Coletivo Ar", "datasets": "qualidade-do-ar"}, action="/data/reuses/new?lang=en")
    assert response.headers["location"] == "/data/reuses?sent=reuse&lang=en"
    listed = text_of(client.get(response.headers["location"]).text)
    assert "once a moderator has checked it" in listed and "Respira Porto" not in listed

    with second_browser(app) as staff:
        moderator(staff, session, "dpo")
        page = staff.get("/staff/data/moderation")
        reuse = session.scalar(select(Reuse))
        staff.post(f"/staff/data/moderation/reuses/{reuse.public_id}",
                   data={"csrf_token": csrf_from(page.text), "action": "approve"}, follow_redirects=False)
    listed = text_of(client.get("/data/reuses?lang=pt").text)
    assert "Respira Porto" in listed and "Aplicação" in listed and "por Coletivo Ar" in listed
    assert "Respira Porto" in client.get("/data/qualidade-do-ar/discussion").text
    assert "Respira Porto" not in client.get("/data/reuses?kind=article").text


def test_a_bad_reuse_comes_back_with_what_to_fix(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    response = post_form(client, "/data/reuses/new?lang=en",
                         {"title": "Ok título", "url": "javascript:alert(1)", "datasets": "nao-existe"},
                         action="/data/reuses/new?lang=en")
    assert response.status_code == 422 and error_fields(response.text) == ["url", "kind"]
    response = post_form(client, "/data/reuses/new", {"title": "Ok título", "url": "https://ok.example.org",
                                                      "kind": "idea", "datasets": "nao-existe"},
                         action="/data/reuses/new")
    assert response.status_code == 422 and error_fields(response.text) == ["datasets"]
    assert count(session, Reuse) == 0


# --- the moderators' page -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "status"), [("steward", 200), ("admin", 200), ("dpo", 200), ("viewer", 403),
                                              ("liaison", 403)])
def test_moderation_is_for_stewards_admins_and_the_dpo(client, session, role, status):
    user = make_user(session, role, department="ambiente" if role == "liaison" else None)
    session.commit()
    login(client, user.email)
    assert client.get("/staff/data/moderation").status_code == status


def test_moderation_needs_a_sign_in(client):
    response = client.get("/staff/data/moderation", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert client.post("/staff/data/moderation/comments/x", data={"action": "approve"}).status_code in (401, 403)


def test_moderators_approve_answer_reject_and_change_statuses(client, session, settings):
    dataset = public_dataset(session, settings)
    question = p.submit_comment(session, dataset, CommentIn(kind="question", body=BODY))
    spam = p.submit_comment(session, dataset, CommentIn(body="Promoção imperdível!!!"))
    request = p.submit_request(session, RequestIn(**REQUEST), p.new_supporter_token())
    session.commit()
    moderator(client, session)

    def act(url: str, data: dict[str, str]):
        token = csrf_from(client.get("/staff/data/moderation").text)
        return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)

    base = "/staff/data/moderation"
    assert act(f"{base}/comments/{question.public_id}", {"action": "approve"}).status_code == 303
    refused = act(f"{base}/comments/{spam.public_id}?lang=en", {"action": "reject", "reason": ""})
    assert refused.status_code == 422 and "Choose why it is rejected." in refused.text
    assert act(f"{base}/comments/{spam.public_id}", {"action": "reject", "reason": "spam"}).status_code == 303
    assert act(f"{base}/comments/{question.public_id}/answer", {"answer": "Sim."}).status_code == 303
    assert act(f"{base}/requests/{request.public_id}", {"action": "approve"}).status_code == 303
    declined = act(f"{base}/requests/{request.public_id}/status", {"status": "declined", "answer": ""})
    assert declined.status_code == 422 and "Diga porque é que o pedido é recusado." in text_of(declined.text)
    assert act(f"{base}/requests/{request.public_id}/status",
               {"status": "planned", "answer": "Em preparação.", "dataset": ""}).status_code == 303
    again = act(f"{base}/comments/{question.public_id}", {"action": "approve"})
    assert again.status_code == 409 and "Este contributo já foi moderado." in text_of(again.text)
    assert act(f"{base}/comments/00000000-0000-4000-8000-000000000000", {"action": "approve"}).status_code == 404

    session.expire_all()
    assert (question.status, question.answer, spam.status) == ("approved", "Sim.", "rejected")
    assert (request.status, request.answer) == ("planned", "Em preparação.")
    user_actor = session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "opendata.comment.answered"))
    assert user_actor.startswith("user:")
    page = text_of(client.get("/staff/data/moderation?lang=en").text)
    assert "Nothing to moderate." in page and "No question is waiting." in page and REQUEST["title"] in page


# --- housekeeping ---------------------------------------------------------------------------------------------------

def test_every_refusal_the_domain_words_is_marked_for_translation():
    source = Path(p.__file__).read_text()
    worded = {node.args[0].value for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("InvalidInput", "NotFound", "Conflict")
              and node.args and isinstance(node.args[0], ast.Constant)}
    assert worded and worded <= set(participation_pages.REFUSALS)


def test_the_request_pages_are_not_shadowed_by_dataset_pages(client):
    """pages.py serves /data/{name}; these fixed paths must reach this module first (app.py's router order)."""
    for path in ("/data/requests", "/data/requests/new", "/data/reuses", "/data/reuses/new"):
        response = client.get(path + "?lang=en")
        assert response.status_code == 200, path
        assert 'aria-label="Open data"' in response.text, path


def test_participation_leaves_no_words_names_or_tokens_in_the_logs(engine, session, settings, capsys, caplog):
    import logging
    from contextlib import nullcontext

    from praca.app import create_app
    from praca.core.observability import configure_logging

    settings.access_log = True  # the most a city might log
    app = create_app(settings, engine=engine)
    app.state.open_session = lambda: nullcontext(session)
    public_dataset(session, settings)
    session.commit()
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="httpx")  # the test client's own log of the URLs it fetched
    secret = "A minha vizinha Dona Rosa mede o ar na varanda"
    with TestClient(app, base_url="http://testserver") as client:
        post_form(client, "/data/qualidade-do-ar/discussion", {"body": secret, "author": "Rosa Lima"},
                  action="/data/qualidade-do-ar/comments")
        created = post_form(client, "/data/requests/new", {**REQUEST, "description": secret},
                            action="/data/requests/new")
        client.get(created.headers["location"])
        token = client.cookies.get("praca_supporter")
    logs = capsys.readouterr().err + caplog.text
    assert "/data/requests" in logs  # the access log did run
    for needle in ("Dona Rosa", "Rosa Lima", token):
        assert needle not in logs, f"{needle!r} leaked into the logs"


def test_addresses_that_cannot_name_anything_are_404_on_both_engines(client, session, settings):
    """A NUL or a space in a path is no name PostgreSQL can even be asked about: not found, never a 500."""
    public_dataset(session, settings)
    moderator(client, session)
    token = csrf_from(client.get("/staff/data/moderation").text)
    for path in ("/data/a%00b/discussion", "/data/a%20b/discussion", "/data/requests/a%00b"):
        assert client.get(path).status_code == 404, path
    for path in ("/data/a%00b/comments", "/staff/data/moderation/comments/a%00b",
                 "/staff/data/moderation/requests/a%00b/status", "/staff/data/moderation/reuses/x"):
        assert client.post(path, data={"csrf_token": token, "action": "approve"}).status_code == 404, path
    assert client.get("/data/reuses?dataset=a%00b").status_code == 200
    assert count(session, Comment) == 0
