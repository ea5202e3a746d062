"""CKAN's catalogue actions over the catalogue's service: reads for everyone, writes for data stewards.

Each function's docstring is what help_show answers for it, as in CKAN. Anonymous callers see only
published datasets; a data steward, the DPO or an admin (API token) also sees drafts and withdrawn ones.
"""

from __future__ import annotations

from typing import Any

from praca import __version__
from praca.opendata import ckan_search, service
from praca.opendata.ckan_base import (
    ACTIONS,
    Context,
    Invalid,
    NotFound,
    action,
    boolean,
    natural,
    string_list,
    text,
)
from praca.opendata.ckan_dicts import (
    derived_id,
    group_show_dict,
    license_dict,
    organization_show_dict,
    package_dict,
    resource_dict,
    tag_dict,
)
from praca.opendata.models import Dataset
from praca.opendata.vocab import LICENSES, THEMES

CKAN_VERSION = "2.10.9"  # the CKAN release whose Action API this one answers as
EXTENSIONS = ["datastore", "dcat", "dcat_json_interface", "structured_data"]
LIST_MAX, LIST_ALL_FIELDS_MAX = 1000, 25  # CKAN's group_and_organization_list(_all_fields)_max


@action("site_read")
def site_read(ctx: Context, data: dict[str, Any]) -> bool:
    """Return ``True``."""
    return True


@action("status_show")
def status_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return a dictionary with information about the site's configuration: ckan_version, site_title,
    site_description, site_url, locale_default and extensions (harvesters look for datastore and dcat)."""
    return {"ckan_version": CKAN_VERSION, "praca_version": __version__,
            "site_title": f"Dados Abertos — {ctx.settings.city_name}",
            "site_description": f"The open data portal of {ctx.settings.city_name}, on Praça: every tabular "
                                "resource passes a personal-data gate before it is published.",
            "site_url": ctx.base_url, "error_emails_to": None, "locale_default": "pt_PT",
            "extensions": EXTENSIONS}


@action("help_show")
def help_show(ctx: Context, data: dict[str, Any]) -> str | None:
    """Return the help string for a particular API action.

    :param name: Action function name (e.g. ``package_search``)"""
    name = text(data, "name")
    if name not in ACTIONS:
        raise NotFound("Action function not found")
    return ACTIONS[name].fn.__doc__


# --- datasets ---------------------------------------------------------------------------------------------------

def get_dataset(ctx: Context, data: dict[str, Any]) -> Dataset:
    name_or_id = text(data, "id") or text(data, "name_or_id") or text(data, "name")
    if not name_or_id.strip():
        raise Invalid({"id": ["Missing value"]})
    return service.get_dataset(ctx.session, name_or_id.strip(), include_unpublished=ctx.can_write)


@action("package_list")
def package_list(ctx: Context, data: dict[str, Any]) -> list[str]:
    """Return a list of the names of the site's published datasets.

    :param limit: page size (optional) :param offset: when limit is given, where the page starts"""
    limit = natural(data, "limit")
    offset = natural(data, "offset", 0) or 0
    names = service.dataset_names(ctx.session)
    return names[offset:offset + limit] if limit else names[offset:]


@action("package_search")
def package_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search for datasets. Parameters as CKAN's: q, fq (field:value terms on organization, owner_org,
    groups, tags, res_format, license_id, name, id, state, metadata_modified/metadata_created ranges; +, -,
    AND, OR), fq_list, sort ("metadata_modified desc, name asc"; score, name, id, title_string,
    metadata_modified, metadata_created), rows (default 10, at most 1000), start, facet, facet.field (JSON
    list), facet.limit (default 50, -1 for all), fl, include_private/include_drafts (staff only).
    Returns count, results, facets, search_facets and sort."""
    return ckan_search.search(ctx, data)


@action("package_show")
def package_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the metadata of a dataset and its resources.

    :param id: the id or name of the dataset"""
    return package_dict(get_dataset(ctx, data), ctx.base_url)


@action("resource_show")
def resource_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the metadata of a resource.

    :param id: the id of the resource"""
    resource_id = text(data, "id").strip()
    if not resource_id:
        raise Invalid({"id": ["Missing value"]})
    resource = service.get_resource(ctx.session, resource_id, include_unpublished=ctx.can_write)
    return resource_dict(resource, resource.dataset, ctx.base_url)


# --- organisations and groups (the EU data themes) ---------------------------------------------------------

def _list_sort(data: dict[str, Any]) -> tuple[str, bool]:
    sort = (text(data, "sort") or text(data, "order_by") or "title").strip()
    if sort in ("packages", "package_count"):
        sort = "package_count desc"
    words = sort.split()
    field, order = words[0], (words[1] if len(words) > 1 else "asc")
    if field == "packages":
        field = "package_count"
    if field not in ("name", "package_count", "title") or order not in ("asc", "desc") or len(words) > 2:
        raise Invalid({"sort": [f"Cannot sort by '{sort}': use name, title or package_count, asc or desc"]})
    return field, order == "desc"


def _page(data: dict[str, Any], items: list[Any], all_fields: bool) -> list[Any]:
    cap = LIST_ALL_FIELDS_MAX if all_fields else LIST_MAX
    limit = natural(data, "limit", cap, maximum=cap) or cap
    offset = natural(data, "offset", 0) or 0
    return items[offset:offset + limit]


def _wanted(data: dict[str, Any], key: str, name: str, title: str, description: str) -> bool:
    names = string_list(data, key)
    q = text(data, "q").strip().casefold()
    return (names is None or name in names) and (not q or any(q in s.casefold() for s in (name, title, description)))


def _packages(ctx: Context, facet: str, value: str, rows: int) -> list[dict[str, Any]]:
    found = service.search(ctx.session, filters={facet: [value]}, rows=rows, facet_fields=(),
                           sort=[("metadata_modified", True)], include_unpublished=ctx.can_write)
    return [package_dict(d, ctx.base_url) for d in found.datasets]


@action("organization_list")
def organization_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Return the names of the site's publishers (departments, municipal companies, partner bodies).

    :param sort: name, title or package_count, asc or desc (default "title asc")
    :param limit: (default and most: 1000, or 25 with all_fields) :param offset:
    :param organizations: only these names :param q: only those whose name, title or description has this
    :param all_fields: return organisation dictionaries instead of names"""
    all_fields = boolean(data, "all_fields")
    field, descending = _list_sort(data)
    orgs = [(o, n) for o, n in service.list_organizations(ctx.session)
            if _wanted(data, "organizations", o.name, o.title_pt, o.description_pt)]
    key = {"name": lambda p: p[0].name, "title": lambda p: p[0].title_pt.casefold(),
           "package_count": lambda p: p[1]}[field]
    orgs.sort(key=key, reverse=descending)
    page = _page(data, orgs, all_fields)
    if all_fields:
        return [organization_show_dict(o, n, full=False) for o, n in page]
    return [o.name for o, _n in page]


@action("organization_show")
def organization_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the details of a publisher.

    :param id: its id or name :param include_datasets: add its first 10 datasets as ``packages``"""
    name_or_id = text(data, "id").strip()
    if not name_or_id:
        raise Invalid({"id": ["Missing value"]})
    org = service.get_organization(ctx.session, name_or_id)
    count = dict((o.id, n) for o, n in service.list_organizations(ctx.session)).get(org.id, 0)
    result = organization_show_dict(org, count, full=True)
    if boolean(data, "include_datasets"):
        result["packages"] = _packages(ctx, "organization", org.name, 10)
    return result


def _theme_counts(ctx: Context) -> dict[str, int]:
    return service.search(ctx.session, rows=0, facet_fields=("groups",)).facets.get("groups", {})


@action("group_list")
def group_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Return the names of the site's groups: the EU data themes (agri, econ, educ, ener, envi, gove, heal,
    intr, just, regi, soci, tech, tran). Parameters as organization_list, with ``groups`` for names."""
    all_fields = boolean(data, "all_fields")
    field, descending = _list_sort(data)
    counts = _theme_counts(ctx)
    themes = [(c, counts.get(c.lower(), 0)) for c, (pt, en) in THEMES.items()
              if _wanted(data, "groups", c.lower(), pt, en)]
    key = {"name": lambda p: p[0].lower(), "title": lambda p: THEMES[p[0]][0].casefold(),
           "package_count": lambda p: p[1]}[field]
    themes.sort(key=key, reverse=descending)
    page = _page(data, themes, all_fields)
    if all_fields:
        return [group_show_dict(c, n, full=False) for c, n in page]
    return [c.lower() for c, _n in page]


def theme_code(ctx: Context, data: dict[str, Any]) -> str:
    name_or_id = text(data, "id").strip()
    if not name_or_id:
        raise Invalid({"id": ["Missing value"]})
    by_id = {derived_id("theme", c): c for c in THEMES}
    code = by_id.get(name_or_id) or name_or_id.upper()
    if code not in THEMES:
        raise NotFound(f"No group '{name_or_id}'.")
    return code


@action("group_show")
def group_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Return the details of a group (an EU data theme).

    :param id: its id or name (a lower-case theme code) :param include_datasets: add its datasets"""
    code = theme_code(ctx, data)
    result = group_show_dict(code, _theme_counts(ctx).get(code.lower(), 0), full=True)
    if boolean(data, "include_datasets"):
        result["packages"] = _packages(ctx, "groups", code.lower(), 1000)
    return result


@action("tag_list")
def tag_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Return the keywords of the published datasets.

    :param query: only tags containing this (optional) :param all_fields: return tag dictionaries"""
    if text(data, "vocabulary_id"):
        raise NotFound("could not find vocabulary; this portal's tags belong to none")
    query = (text(data, "query") or text(data, "q")).strip().casefold()
    tags = service.search(ctx.session, rows=0, facet_fields=("tags",)).facets.get("tags", {})
    names = sorted(t for t in tags if query in t.casefold())
    return [tag_dict(t) for t in names] if boolean(data, "all_fields") else names


@action("license_list")
def license_list(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the list of licences available for datasets on the site."""
    return [license_dict(lic) for lic in LICENSES]

