"""The portal's citizen pages: search with facets, dataset pages with preview, chart, map and API examples.

Thin, like every page module: parse the address → `service` (and `datastore`/`preview` for a resource's
rows) → template. Everything works without JavaScript: the preview's pages and the chart's form are plain
links and GET forms to routes of their own; htmx only swaps the table or the chart in place (those routes
answer an `HX-Request` with the fragment alone). No account, ever: these pages only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from praca.core import web
from praca.core.db import DbSession
from praca.core.errors import InvalidInput, NotFound
from praca.core.i18n import LOCALES, Locale, _
from praca.opendata import participation, portal_chart, portal_view, preview, service
from praca.opendata.ckan_dicts import download_name
from praca.opendata.models import Dataset, Resource
from praca.opendata.portal_examples import examples
from praca.opendata.portal_search import SearchQuery, run, sort_choices
from praca.settings import Settings

router = APIRouter(include_in_schema=False)
log = structlog.get_logger(__name__)

N_ = str  # marks a message for extraction; translated where it is shown

PREVIEW_ROWS = 25
CELL_CHARS = 200
HISTORY_SHOWN = 8
DUMP_FORMATS = ("csv", "json", "parquet")


class DatasetName(Convertor):
    """A dataset's name or id, but not the portal's own pages under /data (requests, reuses), which are
    served by the participation router, mounted after this one."""

    regex = r"(?!(?:requests|reuses)(?:/|$))[a-z0-9_-]{2,100}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("dataset_name", DatasetName())


# --- helpers --------------------------------------------------------------------------------------------------

def _lang(request: Request) -> str | None:
    """A language chosen in the address; every link of these pages keeps it."""
    lang = request.query_params.get("lang")
    return lang if lang in LOCALES else None


def _with_lang(url: str, lang: str | None) -> str:
    if not lang:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    helpers = {"lang_param": _lang(request), "v": portal_view, "with_lang": _with_lang,
               "tile_attribution": web.tile_attribution(_settings(request).map_tile_url)}
    response = web.render(request, template, {**helpers, **context}, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"  # fragment or page; the reader's language
    return response


def _not_found(request: Request, message: str) -> HTMLResponse:
    error = {"code": "not_found", "message": message, "details": {}}
    return _page(request, "error.html", {"error": error, "status": 404}, status_code=404)


def _dataset(session: Session, name: str) -> Dataset | None:
    """A published or withdrawn dataset; drafts and deleted ones do not exist for citizens."""
    try:
        dataset = service.get_dataset(session, name, include_unpublished=True)
    except NotFound:
        return None
    return dataset if dataset.state in (service.PUBLIC, "withdrawn") else None


def _resource(session: Session, name: str, resource_id: str) -> Resource | None:
    """A resource of this published dataset that has a datastore copy."""
    try:
        resource = service.get_resource(session, resource_id)
    except NotFound:
        return None
    if resource.dataset.name != name or not resource.parquet:
        return None
    return resource


def _parquet(settings: Settings, resource: Resource) -> Path:
    return service.resource_path(settings, resource.parquet or "")


# --- search ---------------------------------------------------------------------------------------------------

@router.get("/data", name="opendata_search")
def search_page(request: Request, session: DbSession, locale: Locale) -> HTMLResponse:
    """The catalogue: words, facets with counts, sort and pages, all in the address."""
    query = SearchQuery.parse(request.query_params, _lang(request))
    results = run(session, query, locale)
    return _page(request, "opendata/portal_search.html", {
        "query": query, "results": results, "sorts": sort_choices(),
        "clear_url": query.url(clear_filters=True),
    })


# --- the dataset page -------------------------------------------------------------------------------------------

@dataclass
class ResourceView:
    resource: Resource
    name: str
    description: str
    format: str
    download_url: str | None
    external: bool
    dumps: list[tuple[str, str]]
    columns: list[preview.Column]
    preview: dict[str, Any] | None
    chart: dict[str, Any] | None
    map: dict[str, Any] | None
    examples: list[Any]
    unavailable: bool = False  # a table whose preview could not be read just now


def _download_url(dataset: Dataset, resource: Resource) -> tuple[str | None, bool]:
    """An upload's CKAN download address, or the link of a linked resource."""
    if resource.file:  # the file name resource_show's `url` gives, so both addresses are the same
        return f"/dataset/{dataset.name}/resource/{resource.public_id}/download/{download_name(resource)}", False
    return resource.url, True


def _resource_view(request: Request, dataset: Dataset, resource: Resource, lang: str | None) -> ResourceView:
    settings = _settings(request)
    url, external = _download_url(dataset, resource)
    view = ResourceView(resource=resource, name=portal_view.localized(resource, "name"),
                        description=portal_view.localized(resource, "description"), format=resource.format,
                        download_url=url, external=external, dumps=[], columns=[], preview=None, chart=None,
                        map=None, examples=[])
    if not resource.parquet or not _parquet(settings, resource).exists():
        view.examples = examples(settings.base_url, dataset.name, None, None)
        return view
    path = _parquet(settings, resource)
    view.dumps = [(fmt, f"/datastore/dump/{resource.public_id}?format={fmt}") for fmt in DUMP_FORMATS]
    # A file too slow or unreadable costs its preview, chart or example, never the page or its downloads.
    try:
        view.columns = preview.columns(path)
        view.preview = _preview(request, dataset, resource, view.columns, 1, lang)
    except InvalidInput as exc:
        _unavailable(resource, "preview", exc)
        view.columns, view.unavailable = [], True
    try:
        view.chart = _chart(request, dataset, resource, view.columns, None, None, lang) if view.columns else None
    except InvalidInput as exc:
        _unavailable(resource, "chart", exc)
    try:
        sample = preview.example_filter(path, view.columns) if view.columns else None
    except InvalidInput as exc:
        _unavailable(resource, "example", exc)
        sample = None
    where = preview.coordinates(view.columns)
    if where is not None:
        view.map = {"url": _with_lang(f"{_base(dataset, resource)}/map.geojson", lang), "lat": where.lat.id,
                    "lon": where.lon.id}
    view.examples = examples(settings.base_url, dataset.name, resource.public_id, sample)
    return view


def _unavailable(resource: Resource, part: str, exc: InvalidInput) -> None:
    log.warning("opendata.preview_unavailable", resource=resource.public_id, part=part, reason=exc.message)


def _base(dataset: Dataset, resource: Resource) -> str:
    return f"/data/{dataset.name}/resources/{resource.public_id}"


@router.get("/data/{name:dataset_name}", name="opendata_dataset")
def dataset_page(request: Request, session: DbSession, locale: Locale, name: str) -> Response:
    """A dataset: its metadata, history, DCAT-AP records, and each resource with preview, chart, map and API."""
    dataset = _dataset(session, name)
    if dataset is None:
        return _not_found(request, _("No dataset with this name in the catalogue."))
    lang = _lang(request)
    if name != dataset.name:  # found by its id: the address people share is the name
        return RedirectResponse(_with_lang(f"/data/{dataset.name}", lang), status_code=308)
    versions = service.history(session, dataset)
    context: dict[str, Any] = {
        "dataset": dataset, "title": portal_view.localized(dataset, "title"),
        "organization": portal_view.localized(dataset.organization, "title"),
        "history": versions[:HISTORY_SHOWN], "more_history": max(0, len(versions) - HISTORY_SHOWN),
    }
    if dataset.state == "withdrawn":
        # 410 Gone: harvesters and search engines drop it for good, and whoever follows an old link learns
        # that it was withdrawn on purpose, when and why. Its files are not offered: a withdrawal may be
        # about their content.
        withdrawn = next((v for v in versions if v.change == "withdrawn"), None)
        context["withdrawn_at"] = withdrawn.created_at if withdrawn else dataset.modified_at
        return _page(request, "opendata/portal_withdrawn.html", context, status_code=410)
    context.update({
        "notes": portal_view.paragraphs(portal_view.localized(dataset, "notes")),
        "resources": [_resource_view(request, dataset, r, lang) for r in dataset.resources],
        "search_url": lambda param, value: _with_lang("/data?" + urlencode({param: value}), lang),
        "dcat": [("Turtle", f"/dataset/{dataset.name}.ttl", "text/turtle"),
                 ("RDF/XML", f"/dataset/{dataset.name}.rdf", "application/rdf+xml"),
                 ("JSON-LD", f"/dataset/{dataset.name}.jsonld", "application/ld+json")],
        # the participation pages' partials: approved comments with answers and the form, approved reuses
        "comments": participation.public_comments(session, dataset), "comments_return": "dataset",
        "reuses": participation.public_reuses(session, dataset),
    })
    return _page(request, "opendata/portal_dataset.html", context)


# --- the preview table ------------------------------------------------------------------------------------------

def _preview(request: Request, dataset: Dataset, resource: Resource, columns: list[preview.Column], page: int,
             lang: str | None) -> dict[str, Any]:
    """One page of rows (25) with the pager's links; each row numbered as the API's `_id`."""
    table = preview.table_page(_parquet(_settings(request), resource), columns, page=page, size=PREVIEW_ROWS)
    rows = [(table.first + i, [_cell(value) for value in record]) for i, record in enumerate(table.records)]
    base = f"{_base(dataset, resource)}/preview"

    def link(n: int) -> str:
        return _with_lang(f"{base}?page={n}", lang)

    page, pages = table.page, table.pages
    return {"id": resource.public_id, "fields": [c.id for c in columns], "rows": rows, "total": table.total,
            "page": page, "pages": pages, "first_row": table.first if table.total else 0,
            "last_row": table.first + len(rows) - 1 if rows else 0,
            "first_url": link(1) if page > 1 else None, "prev_url": link(page - 1) if page > 1 else None,
            "next_url": link(page + 1) if page < pages else None,
            "last_url": link(pages) if page < pages else None}


def _cell(value: Any) -> str:
    """A value as the preview shows it: long texts (a GeoJSON shape) shortened; the downloads have them whole."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    text = str(value)
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS - 1] + "…"


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 1


@router.get("/data/{name:dataset_name}/resources/{resource_id}/preview", name="opendata_preview")
def preview_page(request: Request, session: DbSession, locale: Locale, name: str, resource_id: str) -> Response:
    """A page of the preview table: the fragment for htmx, a whole page otherwise (the no-JS pager)."""
    resource = _resource(session, name, resource_id)
    if resource is None:
        return _not_found(request, _("No table with this address in the catalogue."))
    dataset = service.get_dataset(session, name)
    columns = preview.columns(_parquet(_settings(request), resource))
    table = _preview(request, dataset, resource, columns, _page_number(request), _lang(request))
    context = {"dataset": dataset, "r": _light_view(dataset, resource), "p": table}
    if _htmx(request):
        return _page(request, "opendata/_portal_preview.html", context)
    return _page(request, "opendata/portal_preview.html", {**context, "title": portal_view.localized(dataset, "title")})


def _light_view(dataset: Dataset, resource: Resource) -> dict[str, Any]:
    return {"id": resource.public_id, "name": portal_view.localized(resource, "name"),
            "dataset_url": f"/data/{dataset.name}"}


# --- the chart ------------------------------------------------------------------------------------------------

def _default_column(columns: list[preview.Column]) -> preview.Column | None:
    """The first number that is not a coordinate or an id, else the first category, else anything chartable."""
    chartable = portal_chart.chartable(columns)
    where = preview.coordinates(columns)
    skip = {where.lat.id, where.lon.id} if where else set()
    numbers = [c for c in chartable
               if c.kind == preview.NUMBER and c.id not in skip and c.id.lower() not in ("id", "_id")]
    texts = [c for c in chartable if c.kind == preview.TEXT]
    return next(iter(numbers or texts or chartable), None)


def _chart(request: Request, dataset: Dataset, resource: Resource, columns: list[preview.Column],
           column: str | None, by: str | None, lang: str | None) -> dict[str, Any] | None:
    chartable = portal_chart.chartable(columns)
    if not chartable:
        return None
    default = _default_column(columns)
    chosen = column or (default.id if default else None)
    chosen_column = next((c for c in chartable if c.id == chosen), None)
    if chosen_column is None or (by and not any(c.id == by for c in portal_chart.group_columns(columns))):
        raise InvalidInput(N_("Choose a column of this resource."), field="column")
    result = preview.chart(_parquet(_settings(request), resource), chosen, by or None)
    return {"id": resource.public_id, "columns": chartable, "groups": portal_chart.group_columns(columns),
            "column": chosen, "column_kind": chosen_column.kind, "by": by or "", "view": portal_chart.view(result),
            "action": f"{_base(dataset, resource)}/chart"}


@router.get("/data/{name:dataset_name}/resources/{resource_id}/chart", name="opendata_chart")
def chart_page(request: Request, session: DbSession, locale: Locale, name: str, resource_id: str,
               column: str | None = None, by: str | None = None) -> Response:
    """The chart of the chosen column: the fragment for htmx, a whole page with its form otherwise."""
    resource = _resource(session, name, resource_id)
    if resource is None:
        return _not_found(request, _("No table with this address in the catalogue."))
    dataset = service.get_dataset(session, name)
    columns = preview.columns(_parquet(_settings(request), resource))
    context: dict[str, Any] = {"dataset": dataset, "r": _light_view(dataset, resource), "error": None}
    status = 200
    try:
        context["c"] = _chart(request, dataset, resource, columns, column, by, _lang(request))
    except InvalidInput as exc:
        context["c"] = _chart(request, dataset, resource, columns, None, None, _lang(request))
        context["error"] = _(exc.message)
        status = 422
    if _htmx(request):  # htmx swaps 2xx answers only; the message goes in the fragment
        return _page(request, "opendata/_portal_chart.html", context)
    return _page(request, "opendata/portal_chart.html",
                 {**context, "title": portal_view.localized(dataset, "title")}, status_code=status)


# --- the map ----------------------------------------------------------------------------------------------------

@router.get("/data/{name:dataset_name}/resources/{resource_id}/map.geojson", name="opendata_map")
def map_geojson(request: Request, session: DbSession, name: str, resource_id: str) -> Response:
    """Up to a few thousand of the resource's rows as GeoJSON points, for the dataset page's map."""
    resource = _resource(session, name, resource_id)
    if resource is None:
        raise NotFound("No table with this address in the catalogue.", field="resource_id")
    path = _parquet(_settings(request), resource)
    columns = preview.columns(path)
    where = preview.coordinates(columns)
    if where is None:
        raise NotFound("This resource has no latitude and longitude columns.", field="resource_id")
    return JSONResponse(preview.points(path, where, columns), media_type="application/geo+json")
