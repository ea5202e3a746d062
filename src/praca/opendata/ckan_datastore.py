"""CKAN's DataStore over the portal's Parquet files: datastore_search, datastore_search_sql, datastore_info and
the dump endpoint (/datastore/dump/<id>).

The queries themselves (filters, text search, sorting, the read-only SQL sandbox with its time and row
limits) are datastore.py's; this file only speaks CKAN. A resource whose dataset is not published does not
exist for anyone here but the data stewards (and, through SQL, not even for them: only public tables resolve).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from praca.core.errors import InvalidInput
from praca.core.errors import NotFound as PracaNotFound
from praca.opendata import datastore, service
from praca.opendata.ckan_base import (
    Context,
    Invalid,
    NotFound,
    action,
    boolean,
    json_object,
    natural,
    required,
    string_list,
    text,
)
from praca.opendata.ckan_files import public_resource
from praca.opendata.models import Resource

router = APIRouter(include_in_schema=False)

ROWS_DEFAULT, ROWS_MAX = 100, 32000  # CKAN's ckan.datastore.search.rows_default and rows_max
SQL_TIMEOUT_S = 5.0
DUMP_FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "json": ("application/json", "json"),
                "parquet": ("application/vnd.apache.parquet", "parquet")}
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")


def _resource(ctx: Context, resource_id: str) -> Resource:
    """A datastore resource the caller may read, or CKAN's 'Resource "…" was not found.'"""
    try:
        resource = service.get_resource(ctx.session, resource_id, include_unpublished=ctx.can_write)
    except PracaNotFound:
        resource = None
    if resource is None or not resource.parquet:
        raise NotFound(f'Resource "{resource_id}" was not found.')
    return resource


def _q(data: dict[str, Any]) -> str | dict[str, str] | None:
    value = data.get("q") if "q" in data else data.get("full_text")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return json_object({"q": value}, "q")
    if isinstance(value, dict):
        return value
    return text(data, "q" if "q" in data else "full_text")


def _sort(data: dict[str, Any]) -> str | None:
    value = data.get("sort")
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise Invalid({"sort": ["Must be a string or a list of strings"]})
        return ", ".join(value)
    return text(data, "sort") or None


def _records(result: dict[str, Any], records_format: str) -> None:
    """CKAN's records_format: objects as they come; lists, csv or tsv in the fields' order."""
    if records_format == "objects":
        return
    ids = [f["id"] for f in result.get("fields", [])]
    rows = [[r.get(i) for i in ids] for r in result.get("records", [])]
    if records_format == "lists":
        result["records"] = rows
        return
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if records_format == "tsv" else ",", lineterminator="\n")
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    result["records"] = out.getvalue()


@action("datastore_search")
def datastore_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search a DataStore resource (a published tabular resource).

    :param resource_id: :param filters: {"column": value or [values]} (a JSON object or its text)
    :param q: full text: a string over every column, or {"column": "text"} :param fields: list or
    comma-separated :param sort: "column, other desc" :param limit: default 100, at most 32000
    :param offset: :param include_total: default true :param records_format: objects (default), lists,
    csv, tsv. ``distinct``, ``plain`` and ``language`` are accepted and ignored.
    Returns fields (with types), records, total, limit, offset, filters, _links."""
    resource_id = (text(data, "resource_id") or text(data, "id")).strip()
    if not resource_id:
        raise Invalid({"resource_id": ["Missing value"]})
    records_format = text(data, "records_format", "objects") or "objects"
    if records_format not in RECORDS_FORMATS:
        raise Invalid({"records_format": [f"Value must be one of {', '.join(RECORDS_FORMATS)}"]})
    filters = json_object(data, "filters") or {}
    limit = natural(data, "limit", ROWS_DEFAULT, maximum=ROWS_MAX)
    offset = natural(data, "offset", 0)
    include_total = boolean(data, "include_total", True)
    boolean(data, "distinct")
    boolean(data, "plain", True)
    fields, q, sort = string_list(data, "fields"), _q(data), _sort(data)
    resource = _resource(ctx, resource_id)
    result = datastore.search(ctx.settings.data_dir / str(resource.parquet), resource_id=resource_id,
                              filters=filters, q=q, fields=fields, sort=sort, limit=limit, offset=offset,
                              include_total=include_total)
    _records(result, records_format)
    result["records_format"] = records_format
    return result


@action("datastore_search_sql")
def datastore_search_sql(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Run one read-only SQL SELECT over published datastore resources, named by their ids in double quotes
    (SELECT * FROM "<resource id>"). No files, no other tables, no writes; at most 32000 rows and 5 s.

    :param sql: a single SQL select statement"""
    sql = required(data, "sql")

    def resolve(resource_id: str) -> Path | None:
        try:
            resource = service.get_resource(ctx.session, resource_id)
        except PracaNotFound:
            return None
        return ctx.settings.data_dir / resource.parquet if resource.parquet else None

    return datastore.search_sql(sql, resolve, timeout_s=SQL_TIMEOUT_S, max_rows=ROWS_MAX)


@action("datastore_info")
def datastore_info(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a datastore resource's metadata (meta: id, count, size, table_type, aliases) and its fields,
    each with a schema (native_type…).

    :param id: the resource id"""
    resource_id = (text(data, "id") or text(data, "resource_id")).strip()
    if not resource_id:
        raise Invalid({"id": ["Missing value"]})
    resource = _resource(ctx, resource_id)
    path = ctx.settings.data_dir / str(resource.parquet)
    meta = {"id": resource.public_id, "count": resource.rows, "table_type": "BASE TABLE", "aliases": [],
            "size": path.stat().st_size if path.exists() else None, "db_size": None, "idx_size": 0}
    fields = [{"id": f["id"], "type": f["type"],
               "schema": {"native_type": f["type"], "notnull": False, "index_name": None, "is_index": False,
                          "uniquekey": False}} for f in resource.fields]
    return {"meta": meta, "fields": fields}


# --- downloads ------------------------------------------------------------------------------------------------

def _dump_to_file(path: Path, fmt: str, data_dir: Path) -> Path:
    scratch = data_dir / "opendata" / "incoming"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="dump-", dir=scratch)
    os.close(fd)
    try:
        datastore.export(path, fmt, Path(name))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


@router.get("/datastore/dump/{resource_id}")
async def dump(request: Request, resource_id: str,
               format: str = Query("csv", max_length=10)) -> Response:
    """CKAN's dump: the whole resource as CSV (default), JSON or Parquet, written to disk then streamed."""
    if format.lower() not in DUMP_FORMATS:
        raise InvalidInput(f"No dump format '{format}'; use csv, json or parquet.", field="format")
    resource, data_dir = await run_in_threadpool(public_resource, request, resource_id)
    if not resource.parquet:
        raise PracaNotFound(f"Resource '{resource_id}' is not in the datastore.")
    fmt = format.lower()
    out = await run_in_threadpool(_dump_to_file, data_dir / resource.parquet, fmt, data_dir)
    media_type, extension = DUMP_FORMATS[fmt]
    return FileResponse(out, media_type=media_type, filename=f"{resource.public_id}.{extension}",
                        background=BackgroundTask(out.unlink, missing_ok=True))
