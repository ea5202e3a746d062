"""The two other sides of bench/datastore.py: the same queries through Praça's real HTTP API, and against
PostgreSQL holding the resource as CKAN's DataStore does.

CKAN's layout (ckanext/datastore/backend/postgres.py): one table per resource named by its id, `_id`
serial primary key, `_full_text tsvector` kept from every text value with a GIN index, one column per
field in its datastore type; `q` is `_full_text @@ plainto_tsquery(lang, q)` ranked by `ts_rank`, `total`
a separate `count(*)` with the same WHERE. We add b-tree indexes on every field the queries filter or
sort on, as a publisher would with `datastore_create(indexes=…)`: PostgreSQL at its best. It is queried
directly with psycopg, without CKAN's own HTTP and Python layers — a lower bound for a CKAN portal.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx

from praca.opendata import rowindex

ROOT = Path(__file__).resolve().parents[1]
TABLE = "porto-ar"  # CKAN names the table after the resource id
TEXT = ["estacao_id", "estacao", "freguesia", "poluente", "unidade", "descricao"]
COLUMNS = {"data_hora": "timestamp", "estacao_id": "text", "estacao": "text", "freguesia": "text",
           "poluente": "text", "valor": "numeric", "unidade": "text", "validado": "boolean", "descricao": "text"}
INDEXED = ["estacao", "poluente", "data_hora", "valor"]
FTS_LANG = "portuguese"


# --- Praça over HTTP ---------------------------------------------------------------------------------------

def _link_index(parquet: Path, data_dir: Path) -> None:
    """The file's row index beside the site's link to it (built with it by tabular.to_parquet)."""
    index = rowindex.path_for(parquet)
    linked = rowindex.path_for(data_dir / "opendata" / "datastore" / "porto-ar.parquet")
    if index.exists() and not linked.exists():
        os.link(index, linked)


def site(workdir: Path, parquet: Path) -> tuple[Path, str]:
    """A data dir with a migrated SQLite city holding one public dataset whose resource is the bench file
    (linked in place: the 10 M rows are not copied). Built once, reused."""
    data_dir = workdir / f"site-{parquet.stem}"
    marker = data_dir / "resource_id"
    if marker.exists():
        _link_index(parquet, data_dir)
        return data_dir, marker.read_text()
    env = {**os.environ, "PRACA_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "praca", "migrate"], check=True, env=env, cwd=ROOT)
    script = f"""
import os
from pathlib import Path
from praca.core.db import make_engine, make_sessionmaker
from praca.opendata import service
from praca.opendata.models import Resource
from praca.opendata.schemas import DatasetIn
from praca.settings import Settings
settings = Settings(data_dir=Path({str(data_dir)!r}), _env_file=None)
target = settings.data_dir / "opendata" / "datastore" / "porto-ar.parquet"
target.parent.mkdir(parents=True, exist_ok=True)
if not target.exists():
    os.link({str(parquet)!r}, target)
import duckdb
fields = [{{"id": n, "type": t}} for n, t, *_ in duckdb.sql(f"DESCRIBE SELECT * FROM '{{target}}'").fetchall()
          if n != "_search"]
rows = duckdb.sql(f"SELECT count(*) FROM '{{target}}'").fetchall()[0][0]
with make_sessionmaker(make_engine(settings.sqlalchemy_url))() as session:
    service.ensure_organization(session, name="ambiente", title_pt="Ambiente", title_en="Environment",
                                kind="department")
    d = service.create_dataset(session, DatasetIn(name="qualidade-do-ar", title_pt="Qualidade do ar",
                               title_en="Air quality", organization="ambiente"), "bench")
    r = Resource(dataset_id=d.id, name_pt="Leituras", name_en="Readings", format="PARQUET",
                 parquet="opendata/datastore/porto-ar.parquet", fields=fields, rows=rows)
    session.add(r)
    session.flush()
    d.state = service.PUBLIC
    session.commit()
    print(r.public_id)
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         text=True).stdout.strip().splitlines()[-1]
    marker.write_text(out)
    _link_index(parquet, data_dir)
    return data_dir, out


def serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`praca serve` on a free loopback port, one worker (as the DuckDB figures are one process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PRACA_DATA_DIR": str(data_dir), "PRACA_ACCESS_LOG": "false", "PRACA_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "praca", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def timed(call: Callable[[dict[str, Any]], object], kinds: list[tuple[str, list[dict[str, Any]]]],
          repeat: int) -> dict[str, list[float]]:
    """Milliseconds per call, per kind, after one warm-up call; parameter sets are used in turn."""
    out: dict[str, list[float]] = {}
    for name, variants in kinds:
        call(variants[-1])
        times = []
        for i in range(repeat):
            t = time.perf_counter()
            call(variants[i % len(variants)])
            times.append((time.perf_counter() - t) * 1000)
        out[name] = times
    return out


def time_http(base: str, resource_id: str, kinds: list[tuple[str, list[dict[str, Any]]]],
              repeat: int) -> dict[str, list[float]]:
    """POST /api/3/action/datastore_search, as ckanapi sends it."""
    with httpx.Client(base_url=base, timeout=60) as client:
        def call(params: dict[str, Any]) -> None:
            response = client.post("/api/3/action/datastore_search",
                                   json={"resource_id": resource_id, "limit": 100, **params})
            if response.status_code != 200 or not response.json()["success"]:
                raise RuntimeError(f"{params}: {response.status_code} {response.text[:300]}")

        return timed(call, kinds, repeat)


# --- CKAN's DataStore in PostgreSQL ---------------------------------------------------------------------------

def load_postgres(url: str, parquet: Path, rows: int) -> str:
    """The resource in its own schema, laid out and indexed as CKAN's DataStore; reused when complete."""
    import psycopg

    schema = f"bench_datastore_{rows}"
    with psycopg.connect(url, autocommit=True) as con:
        done = con.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'ready'",
                           (schema,)).fetchone()
        if done:
            print(f"PostgreSQL: reusing schema {schema}")
            return schema
        t = time.perf_counter()
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        con.execute(f'CREATE SCHEMA "{schema}"')
        cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
        con.execute(f'CREATE UNLOGGED TABLE "{schema}".staging ({cols})')
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "rows.csv"
            duckdb.sql(f"COPY (SELECT {', '.join(COLUMNS)} FROM '{parquet}') TO '{csv}' (FORMAT csv, HEADER false)")
            with con.cursor().copy(f'COPY "{schema}".staging FROM STDIN (FORMAT csv)') as copy, csv.open("rb") as f:
                while block := f.read(1 << 20):
                    copy.write(block)
        full_text = " || ' ' || ".join(f"coalesce(\"{c}\", '')" for c in TEXT)
        con.execute(f'CREATE TABLE "{schema}"."{TABLE}" ("_id" serial PRIMARY KEY, "_full_text" tsvector, {cols})')
        con.execute(f'INSERT INTO "{schema}"."{TABLE}" ("_full_text", {", ".join(COLUMNS)}) '
                    f"SELECT to_tsvector('{FTS_LANG}', {full_text}), {', '.join(COLUMNS)} FROM \"{schema}\".staging")
        con.execute(f'DROP TABLE "{schema}".staging')
        con.execute(f'CREATE INDEX ON "{schema}"."{TABLE}" USING gin ("_full_text")')
        for c in INDEXED:
            con.execute(f'CREATE INDEX ON "{schema}"."{TABLE}" ("{c}")')
        con.execute(f'VACUUM ANALYZE "{schema}"."{TABLE}"')
        con.execute(f'CREATE TABLE "{schema}".ready ()')
        print(f"PostgreSQL: {rows:,} rows loaded and indexed as CKAN's DataStore in {time.perf_counter() - t:.0f} s")
    return schema


def ckan_sql(schema: str, params: dict[str, Any]) -> tuple[str, str, list[Any]]:
    """The page and count statements CKAN's datastore_search runs for these parameters."""
    where, args = [], []
    for field, value in (params.get("filters") or {}).items():
        where.append(f'"{field}" = %s')
        args.append(value)
    rank = ""
    if params.get("q"):
        where.append(f"_full_text @@ plainto_tsquery('{FTS_LANG}', %s)")
        args.append(params["q"])
        rank = f", ts_rank(_full_text, plainto_tsquery('{FTS_LANG}', %s)) AS rank"
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    order = ""
    if params.get("sort"):
        order = " ORDER BY " + ", ".join(f'"{p.split()[0]}" {p.split()[1] if " " in p else "asc"}'
                                         for p in params["sort"].split(","))
    elif rank:
        order = " ORDER BY rank DESC"
    table = f'"{schema}"."{TABLE}"'
    page = (f"SELECT _id, {', '.join(COLUMNS)}{rank} FROM {table}{clause}{order} "
            f"LIMIT 100 OFFSET {int(params.get('offset', 0))}")
    return page, f"SELECT count(*) FROM {table}{clause}", ([params["q"]] if rank else []) + args


def time_postgres(url: str, schema: str, kinds: list[tuple[str, list[dict[str, Any]]]],
                  repeat: int) -> dict[str, list[float]]:
    """CKAN's page and count statements, straight to PostgreSQL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        def call(params: dict[str, Any]) -> None:
            page, count, args = ckan_sql(schema, params)
            con.execute(page, args).fetchall()
            con.execute(count, args[1:] if "rank" in page else args).fetchone()

        return timed(call, kinds, repeat)
