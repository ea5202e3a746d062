"""A small catalogue the CKAN API tests share (no tests here): two publishers, two published datasets and a
draft, staff with API tokens, and a helper that calls an action the way a client does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from praca.core import auth
from praca.core.db import utcnow
from praca.opendata import service
from praca.opendata.models import Dataset
from tests.factories import make_user
from tests.opendata.factories import make_dataset, make_organization

HELP = "http://127.0.0.1:8000/api/3/action/help_show?name="


@dataclass
class World:
    air: Dataset
    bins: Dataset
    parking: Dataset  # a draft


def publish(session: Session, dataset: Dataset) -> Dataset:
    """Published as the gate would leave a dataset without tabular files (the gate itself is tested elsewhere)."""
    dataset.state = service.PUBLIC
    dataset.issued_at = utcnow()
    session.flush()
    return dataset


def make_world(session: Session) -> World:
    make_organization(session)
    service.ensure_organization(session, name="mobilidade", title_pt="Direção Municipal da Mobilidade",
                                title_en="Municipal Directorate of Mobility", kind="department")
    air = publish(session, make_dataset(session))
    bins = publish(session, make_dataset(
        session, name="contentores", title_pt="Contentores de resíduos", title_en="Waste bins",
        notes_pt="Onde estão os contentores.", notes_en="Where the bins are.", keywords=["resíduos", "lixo"],
        themes=["ENVI", "REGI"], license_id="CC0-1.0", frequency="WEEKLY"))
    parking = make_dataset(session, name="estacionamento", title_pt="Parques de estacionamento",
                           title_en="Car parks", organization="mobilidade", themes=["TRAN"], keywords=["carro"])
    session.commit()  # what a request sees is committed; a refused one rolls back to here
    return World(air, bins, parking)


def token(session: Session, role: str = "steward") -> str:
    """A raw personal API token, as ckanapi sends it in Authorization."""
    raw = auth.issue_api_token(session, make_user(session, role), "ckan")
    session.commit()
    return raw


def call(client: TestClient, name: str, data: dict[str, Any] | None = None, *, method: str = "POST",
         token: str | None = None, prefix: str = "/api/3/action", status: int = 200) -> dict[str, Any]:
    """An action called by POST with a JSON body or by GET with query parameters; returns the whole envelope."""
    headers = {"Authorization": token} if token else {}
    if method == "GET":
        response = client.get(f"{prefix}/{name}", params=data or {}, headers=headers)
    else:
        response = client.post(f"{prefix}/{name}", json=data or {}, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()
