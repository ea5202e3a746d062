"""/api/v1/opendata over HTTP: the catalogue's search and dataset pages, requests and their supporters, reuses
and comments; bad input is a 4xx in the one error body with nothing written; public writes are rate-limited
and refused from other sites."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from praca.core.audit import AuditEntry
from praca.opendata import participation as p
from praca.opendata import service
from praca.opendata.models import Comment, DatasetRequest, RequestSupport, Reuse
from praca.opendata.participation_schemas import CommentIn, Decision, RequestIn, RequestUpdate, ReuseIn
from praca.opendata.schemas import ResourceIn
from tests.dpo.helpers import columns_containing
from tests.opendata.factories import ACTOR, make_dataset, make_organization
from tests.opendata.test_participation import STAFF, public_dataset

API = "/api/v1/opendata"
APPROVE = Decision(action="approve")
REQUEST = {"title": "Árvores plantadas por rua", "description": "Espécie, data de plantação e rua de cada árvore."}


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id))) or 0


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


# --- the catalogue ------------------------------------------------------------------------------------------------

def test_the_catalogue_lists_public_datasets_with_facets(client, session, settings):
    air = public_dataset(session, settings)
    make_organization(session, "mobilidade")
    noise = make_dataset(session, name="ruido", title_pt="Ruído urbano", title_en="Urban noise",
                         themes=["ENVI", "HEAL"], keywords=["ruído"], organization="mobilidade", license_id="CC0-1.0")
    service.publish(session, settings, noise, ACTOR)
    make_dataset(session, name="rascunho", title_pt="Rascunho", title_en="Draft")  # never listed
    session.commit()

    body = client.get(f"{API}/datasets").json()
    assert body["total"] == 2 and [d["name"] for d in body["items"]] == ["qualidade-do-ar", "ruido"]
    assert body["facets"]["theme"] == {"ENVI": 2, "HEAL": 1}
    assert body["facets"]["organization"] == {"ambiente": 1, "mobilidade": 1}
    assert body["facets"]["license"] == {"CC-BY-4.0": 1, "CC0-1.0": 1}
    first = body["items"][0]
    assert first["id"] == air.public_id and first["organization"]["name"] == "ambiente"
    assert first["page_url"] == "/data/qualidade-do-ar" and first["themes"] == ["ENVI"]

    assert [d["name"] for d in client.get(f"{API}/datasets", params={"q": "RUIDO"}).json()["items"]] == ["ruido"]
    assert client.get(f"{API}/datasets", params={"theme": "HEAL"}).json()["total"] == 1
    assert client.get(f"{API}/datasets", params={"license": "CC0-1.0", "organization": "ambiente"}).json()["total"] == 0
    assert client.get(f"{API}/datasets", params={"keyword": "poluição"}).json()["total"] == 1
    page = client.get(f"{API}/datasets", params={"limit": 1, "offset": 1, "sort": "name"}).json()
    assert page["total"] == 2 and [d["name"] for d in page["items"]] == ["ruido"]


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"offset": -1}, {"theme": "WEATHER"},
                                    {"format": "DOCX"}, {"q": "a\x00b"}, {"sort": "random"}, {"q": "x" * 201}])
def test_bad_search_parameters_are_422(client, params):
    error = error_of(client.get(f"{API}/datasets", params=params), 422)
    assert error["code"] == "invalid_input"


def test_a_dataset_shows_resources_approved_comments_and_reuses(client, session, settings):
    dataset = public_dataset(session, settings)
    service.add_resource(session, settings, dataset, ResourceIn(
        name_pt="Portal", name_en="Portal", url="https://dados.example.org/ar.html"), ACTOR)
    shown = p.submit_comment(session, dataset, CommentIn(kind="question", body="Há dados de 2020?"))
    p.moderate_comment(session, shown, APPROVE, STAFF)
    p.answer_comment(session, shown, "Ainda não.", STAFF)
    p.submit_comment(session, dataset, CommentIn(body="Ainda à espera de moderação."))
    reuse = p.submit_reuse(session, ReuseIn(title="Ar hoje", url="https://ar.example.org", kind="application",
                                              datasets=["qualidade-do-ar"]))
    p.moderate_reuse(session, reuse, APPROVE, STAFF)
    session.commit()
    session.expire_all()  # the app shares this session: let it load the dataset afresh, as a request would

    body = client.get(f"{API}/datasets/qualidade-do-ar").json()
    assert body["id"] == dataset.public_id and body["frequency"] == "HOURLY"
    [resource] = body["resources"]
    assert resource["format"] == "HTML" and resource["url"] == "https://dados.example.org/ar.html"
    assert resource["datastore"] is False and resource["datastore_dump_url"] is None
    assert [(c["body"], c["answer"], c["status"]) for c in body["comments"]] == [
        ("Há dados de 2020?", "Ainda não.", "approved")]
    assert [(r["title"], r["datasets"]) for r in body["reuses"]] == [("Ar hoje", ["qualidade-do-ar"])]
    assert client.get(f"{API}/datasets/{dataset.public_id}").json()["name"] == "qualidade-do-ar"


def test_unknown_and_unpublished_datasets_are_404(client, session):
    make_dataset(session)
    session.commit()
    for name in ("qualidade-do-ar", "nao-existe"):
        assert error_of(client.get(f"{API}/datasets/{name}"), 404)["code"] == "not_found"
        error_of(client.post(f"{API}/datasets/{name}/comments", json={"body": "Olá a todos"}), 404)
    assert error_of(client.get(f"{API}/datasets/bad%20name"), 422)["details"]["field"] == "name"


# --- comments -----------------------------------------------------------------------------------------------------

def test_a_comment_is_accepted_pending_and_not_shown(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    response = client.post(f"{API}/datasets/qualidade-do-ar/comments",
                           json={"kind": "question", "body": "  Qual é a unidade do NO2?  ", "author": ""})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["body"] == "Qual é a unidade do NO2?" and body["author"] is None
    assert client.get(f"{API}/datasets/qualidade-do-ar").json()["comments"] == []
    entry = session.scalar(select(AuditEntry).where(AuditEntry.subject == f"comment:{body['id']}"))
    assert entry.actor == "citizen" and entry.action == "opendata.comment.submitted"


@pytest.mark.parametrize("body", [
    {"body": ""}, {"body": "x" * 2001}, {"body": "nul \x00 here"}, {"body": "ok ok", "email": "a@b.pt"},
    {"body": "ok ok", "kind": "complaint"}, {"body": "ok ok", "author": "a" * 81}, {},
])
def test_bad_comments_are_422_and_write_nothing(client, session, settings, body):
    public_dataset(session, settings)
    session.commit()
    before = session.scalar(select(func.count(AuditEntry.seq)))
    assert error_of(client.post(f"{API}/datasets/qualidade-do-ar/comments", json=body), 422)["code"] == "invalid_input"
    assert count(session, Comment) == 0 and session.scalar(select(func.count(AuditEntry.seq))) == before


def test_a_comment_sent_as_a_form_is_refused(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    error_of(client.post(f"{API}/datasets/qualidade-do-ar/comments", data={"body": "Olá a todos"}), 422)
    assert count(session, Comment) == 0


# --- requests and supporters ------------------------------------------------------------------------------------

def test_a_request_is_pending_seen_by_its_author_then_supported_once_per_browser(client, app, session):
    response = client.post(f"{API}/requests", json=REQUEST)
    assert response.status_code == 201, response.text
    created = response.json()
    token = client.cookies.get("praca_supporter")
    assert token and created["status"] == "pending" and created["supporters"] == 1
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=lax" in response.headers["set-cookie"]
    assert client.get(f"{API}/requests").json() == {"total": 0, "items": []}
    assert client.get(f"{API}/requests/{created['id']}").json()["status"] == "pending"  # the author's browser

    with TestClient(app, base_url="http://testserver") as neighbour:
        error_of(neighbour.get(f"{API}/requests/{created['id']}"), 404)
        error_of(neighbour.post(f"{API}/requests/{created['id']}/support"), 404)
        p.moderate_request(session, session.scalar(select(DatasetRequest)), APPROVE, STAFF)
        session.commit()
        first = neighbour.post(f"{API}/requests/{created['id']}/support")
        assert first.json() == {"request_id": created["id"], "supporters": 2, "counted": True}
        again = neighbour.post(f"{API}/requests/{created['id']}/support")
        assert again.json() == {"request_id": created["id"], "supporters": 2, "counted": False}
        assert "set-cookie" not in again.headers
        other_token = neighbour.cookies.get("praca_supporter")
    assert client.post(f"{API}/requests/{created['id']}/support").json()["counted"] is False  # the author

    listed = client.get(f"{API}/requests").json()
    assert listed["total"] == 1 and listed["items"][0]["supporters"] == 2
    assert count(session, RequestSupport) == 2
    for secret in (token, other_token):
        assert columns_containing(session, secret) == []


def test_a_request_naming_a_publisher(client, session):
    make_organization(session, "mobilidade")
    session.commit()
    created = client.post(f"{API}/requests", json={**REQUEST, "organization": "mobilidade"}).json()
    assert created["organization"] == "mobilidade"
    error = error_of(client.post(f"{API}/requests", json={**REQUEST, "organization": "nao-existe"}), 422)
    assert error["details"]["field"] == "organization"
    assert count(session, DatasetRequest) == 1


@pytest.mark.parametrize("body", [
    {**REQUEST, "title": ""}, {**REQUEST, "title": "x" * 201}, {**REQUEST, "description": "curta"},
    {**REQUEST, "description": "\x00" * 20}, {**REQUEST, "email": "a@b.pt"}, {"title": REQUEST["title"]},
])
def test_bad_requests_are_422_and_write_nothing(client, session, body):
    error_of(client.post(f"{API}/requests", json=body), 422)
    assert count(session, DatasetRequest) == 0 and "praca_supporter" not in client.cookies


def test_requests_are_listed_by_status_and_support(client, session):
    views = []
    for title in ("Pedido de dados um", "Pedido de dados dois", "Pedido de dados três"):
        request = p.submit_request(session, RequestIn(title=title, description=REQUEST["description"]),
                                   p.new_supporter_token())
        p.moderate_request(session, request, APPROVE, STAFF)
        views.append(request)
    p.support(session, views[2], p.new_supporter_token())
    p.update_request(session, views[0], RequestUpdate(status="declined", answer="Não temos estes dados."), STAFF)
    session.commit()
    body = client.get(f"{API}/requests").json()
    assert [r["title"] for r in body["items"]] == ["Pedido de dados três", "Pedido de dados dois"]
    declined = client.get(f"{API}/requests", params={"status": "declined"}).json()["items"]
    assert [(r["status"], r["answer"]) for r in declined] == [("declined", "Não temos estes dados.")]
    error_of(client.get(f"{API}/requests", params={"status": "pending"}), 422)
    error_of(client.post(f"{API}/requests/{views[0].public_id}/support"), 409)
    error_of(client.get(f"{API}/requests/not-a-uuid"), 422)
    error_of(client.get(f"{API}/requests/00000000-0000-4000-8000-000000000000"), 404)


# --- reuses -------------------------------------------------------------------------------------------------------

def test_a_reuse_is_submitted_pending_and_listed_once_approved(client, session, settings):
    public_dataset(session, settings)
    session.commit()
    response = client.post(f"{API}/reuses", json={"title": "Respira Porto", "url": "https://respira.example.org",
                                                  "kind": "application", "datasets": ["qualidade-do-ar"]})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending" and response.json()["datasets"] == ["qualidade-do-ar"]
    assert client.get(f"{API}/reuses").json() == {"total": 0, "items": []}
    p.moderate_reuse(session, session.scalar(select(Reuse)), APPROVE, STAFF)
    session.commit()
    assert client.get(f"{API}/reuses").json()["total"] == 1
    of_air = client.get(f"{API}/reuses", params={"dataset": "qualidade-do-ar", "kind": "application"}).json()
    assert of_air["total"] == 1
    assert client.get(f"{API}/reuses", params={"kind": "article"}).json()["total"] == 0
    error_of(client.get(f"{API}/reuses", params={"dataset": "nao-existe"}), 404)
    error_of(client.post(f"{API}/reuses", json={"title": "Outra", "url": "javascript:alert(1)", "kind": "idea",
                                                "datasets": ["qualidade-do-ar"]}), 422)
    error_of(client.post(f"{API}/reuses", json={"title": "Outra", "url": "https://x.example.org", "kind": "idea",
                                                "datasets": ["nao-existe"]}), 422)
    assert count(session, Reuse) == 1


# --- abuse ----------------------------------------------------------------------------------------------------------

def test_public_posts_are_rate_limited(client, session, settings):
    settings.public_post_rate = 3
    for _ in range(3):
        assert client.post(f"{API}/requests", json=REQUEST).status_code == 201
    error = error_of(client.post(f"{API}/requests", json=REQUEST), 429)
    assert error["code"] == "rate_limited" and error["details"]["retry_after_s"] > 0
    error_of(client.post(f"{API}/datasets/qualidade-do-ar/comments", json={"body": "Olá a todos"}), 429)
    assert count(session, DatasetRequest) == 3
    # Supporting has a budget of its own: a busy commenter can still support.
    first = session.scalar(select(DatasetRequest))
    p.moderate_request(session, first, APPROVE, STAFF)
    session.commit()
    assert client.post(f"{API}/requests/{first.public_id}/support").status_code == 200


def test_posts_from_another_site_are_refused(client, session):
    p.moderate_request(session, p.submit_request(session, RequestIn(**REQUEST), p.new_supporter_token()),
                       APPROVE, STAFF)
    session.commit()
    request = session.scalar(select(DatasetRequest))
    for origin in ("https://evil.example", "null"):
        error = error_of(client.post(f"{API}/requests/{request.public_id}/support", headers={"Origin": origin}), 403)
        assert error["details"]["reason"] == "origin"
        error_of(client.post(f"{API}/requests", json=REQUEST, headers={"Origin": origin}), 403)
    ours = client.post(f"{API}/requests/{request.public_id}/support", headers={"Origin": "http://testserver"})
    assert ours.json()["counted"] is True
    assert count(session, DatasetRequest) == 1 and count(session, RequestSupport) == 2


def test_the_routes_are_documented(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/datasets", "/datasets/{name}", "/datasets/{name}/comments", "/requests", "/requests/{request_id}",
                 "/requests/{request_id}/support", "/reuses"):
        assert f"{API}{path}" in paths
    assert set(paths[f"{API}/requests"]) == {"get", "post"}
    assert "429" in paths[f"{API}/requests"]["post"]["responses"]
