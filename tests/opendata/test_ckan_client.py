"""The real Python client, ckanapi.RemoteCKAN, against the real server (uvicorn on a free loopback port), on
SQLite and on PostgreSQL: what scripts and harvesters written for CKAN do, unchanged."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import httpx
import pytest

from praca.core import auth
from praca.core.db import make_engine, make_sessionmaker
from praca.core.migrate import upgrade
from praca.settings import Settings
from tests.conftest import POSTGRES_URL, _postgres_schema
from tests.factories import make_user
from tests.opendata.test_ckan_world import make_world

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Live:
    url: str
    token: str
    viewer_token: str
    settings: Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(kind: str, data_dir: Path) -> tuple[str, str | None]:
    """A database of the live server's own: its commits must never reach the other tests' schema."""
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'live.db'}", None
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL: set PRACA_TEST_POSTGRES_URL to run against it")
    schema = f"praca_ckan_live_{os.getpid()}"
    return _postgres_schema(POSTGRES_URL, schema), schema


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp(f"ckan-live-{request.param}")
    url, schema = _database(request.param, data_dir)
    upgrade(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=data_dir, database_url=url, base_url=base, secret_key="ckan-live-tests",
                        _env_file=None)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        make_world(session)
        steward = auth.issue_api_token(session, make_user(session, "steward"), "ckanapi")
        viewer = auth.issue_api_token(session, make_user(session, "viewer"), "ckanapi")
        session.commit()
    engine.dispose()
    env = {**os.environ, "PRACA_DATA_DIR": str(data_dir), "PRACA_DATABASE_URL": url, "PRACA_BASE_URL": base,
           "PRACA_SECRET_KEY": "ckan-live-tests", "PRACA_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "praca.asgi:build", "--factory", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield Live(base, steward, viewer, settings)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if schema and POSTGRES_URL:
            _postgres_schema(POSTGRES_URL, schema, drop_only=True)


def test_reads_through_ckanapi(live: Live) -> None:
    with ckanapi.RemoteCKAN(live.url) as ckan:
        assert ckan.action.status_show()["ckan_version"].startswith("2.10.")
        found = ckan.action.package_search(q="quality", fq="organization:ambiente", rows=5, sort="name asc",
                                           **{"facet.field": ["groups", "tags"]})
        assert found["count"] == 1 and found["results"][0]["name"] == "qualidade-do-ar"
        assert found["search_facets"]["groups"]["items"][0]["name"] == "envi"
        pkg = ckan.action.package_show(id="contentores")
        assert pkg["organization"]["name"] == "ambiente" and {g["name"] for g in pkg["groups"]} == {"envi", "regi"}
        assert ckan.action.organization_list() == ["mobilidade", "ambiente"]
        assert "envi" in ckan.action.group_list()
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="estacionamento")  # a draft
        with pytest.raises(ckanapi.CKANAPIError):
            ckan.call_action("no_such_action")
    with ckanapi.RemoteCKAN(live.url, get_only=True) as ckan:  # GET with query parameters
        assert ckan.action.package_list() == ["contentores", "qualidade-do-ar"]


def test_writes_through_ckanapi(live: Live) -> None:
    with ckanapi.RemoteCKAN(live.url, apikey=live.viewer_token) as viewer, pytest.raises(ckanapi.NotAuthorized):
        viewer.action.package_create(name="ruido", title="Ruído", owner_org="ambiente")
    with ckanapi.RemoteCKAN(live.url, apikey=live.token) as ckan:
        with pytest.raises(ckanapi.ValidationError) as refused:
            ckan.action.package_create(name="Ruído!", title="Ruído", owner_org="ambiente")
        assert "name" in refused.value.error_dict
        created = ckan.action.package_create(name="ruido", title="Ruído urbano", owner_org="ambiente",
                                             tags=[{"name": "som"}], groups=[{"name": "envi"}])
        assert created["state"] == "draft" and created["private"] is True
        published = ckan.action.package_patch(id=created["id"], private=False)
        assert published["state"] == "active"
        csv_file = live.settings.data_dir / "leituras.csv"
        csv_file.write_text("estacao,db\nAliados,61.5\nBolhão,58.0\nAliados,64.0\n", encoding="utf-8")
        with csv_file.open("rb") as fh:
            resource = ckan.action.resource_create(package_id="ruido", name="Leituras", upload=fh)
        assert resource["datastore_active"] is True and resource["url_type"] == "upload"
    with ckanapi.RemoteCKAN(live.url) as anonymous:
        assert anonymous.action.package_show(id="ruido")["tags"][0]["name"] == "som"
        found = anonymous.action.datastore_search(resource_id=resource["id"], filters={"estacao": "Aliados"},
                                                  sort="db desc")
        assert found["total"] == 2 and [r["db"] for r in found["records"]] == [64.0, 61.5]
        worst = anonymous.action.datastore_search_sql(sql=f'SELECT max(db) AS m FROM "{resource["id"]}"')
        assert worst["records"] == [{"m": 64.0}]
        with pytest.raises(ckanapi.ValidationError) as refused:
            anonymous.action.datastore_search_sql(sql=f'DELETE FROM "{resource["id"]}"')
        assert "sql" in refused.value.error_dict
        downloaded = httpx.get(resource["url"])
        assert downloaded.status_code == 200 and downloaded.content == csv_file.read_bytes()
