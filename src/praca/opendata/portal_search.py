"""The search page's query string and what it shows: words, facets that narrow and can be removed, sort, pages.

The address is the whole state (`/data?q=ar&theme=envi&format=CSV&page=2`), so every result list can be
bookmarked, shared and used without JavaScript; each facet value is a link that adds or removes itself.
Parameters have the portal's plain names; `service.search` gets CKAN's facet names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from praca.core.i18n import _
from praca.opendata import service
from praca.opendata.models import Dataset
from praca.opendata.portal_view import license_label, localized, theme_label
from praca.registry.service import normalise

N_ = str  # marks a message for extraction; translated where it is shown

PAGE_SIZE = 20
MAX_Q = 200
MAX_VALUES = 20  # values of one facet in one search
MAX_VALUE_LENGTH = 100
FACETS_SHOWN = 10  # per facet before "show more"

# URL parameter → (service facet, heading)
FACETS: dict[str, tuple[str, str]] = {
    "organization": ("organization", N_("Publisher")),
    "theme": ("groups", N_("Theme")),
    "format": ("res_format", N_("Format")),
    "license": ("license_id", N_("Licence")),
    "keyword": ("tags", N_("Keyword")),
}
SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "relevance": (N_("Relevance"), [("score", True), ("metadata_modified", True)]),
    "name": (N_("Name"), [("title_string", False)]),  # re-sorted by the page's language below
    "modified": (N_("Last modified"), [("metadata_modified", True), ("name", False)]),
}


def _clean(text: str, limit: int) -> str:
    """Printable text only (PostgreSQL refuses NUL), within a length."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(kept.split())[:limit]


@dataclass(frozen=True)
class SearchQuery:
    q: str
    filters: dict[str, list[str]]  # URL parameter → values
    sort: str
    page: int
    lang: str | None  # a language chosen in the address, kept by every link

    @classmethod
    def parse(cls, params: QueryParams, lang: str | None) -> SearchQuery:
        filters: dict[str, list[str]] = {}
        for param in FACETS:
            values = [_clean(v, MAX_VALUE_LENGTH) for v in params.getlist(param)]
            values = list(dict.fromkeys(v for v in values if v))[:MAX_VALUES]
            if values:
                filters[param] = values
        sort = params.get("sort", "")
        page = params.get("page", "1")
        return cls(q=_clean(params.get("q", ""), MAX_Q), filters=filters,
                   sort=sort if sort in SORTS else "relevance",
                   page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1, lang=lang)

    def url(self, *, toggle: tuple[str, str] | None = None, clear_filters: bool = False,
            page: int = 1) -> str:
        """This search's address, with one facet value added or removed, or the filters cleared, at a page."""
        filters = {} if clear_filters else {k: list(v) for k, v in self.filters.items()}
        if toggle:
            param, value = toggle
            values = filters.setdefault(param, [])
            values.remove(value) if value in values else values.append(value)
        items: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        items += [(param, v) for param in FACETS for v in filters.get(param, [])]
        if self.sort != "relevance":
            items.append(("sort", self.sort))
        if page > 1:
            items.append(("page", str(page)))
        if self.lang:
            items.append(("lang", self.lang))
        return "/data" + ("?" + urlencode(items) if items else "")


@dataclass(frozen=True)
class FacetItem:
    value: str
    label: str
    count: int
    selected: bool
    url: str  # adds the value, or removes it when selected
    id: str


@dataclass(frozen=True)
class Facet:
    param: str
    heading: str
    items: list[FacetItem]

    @property
    def shown(self) -> list[FacetItem]:
        return self.items[:FACETS_SHOWN]

    @property
    def more(self) -> list[FacetItem]:
        return self.items[FACETS_SHOWN:]


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    first: int
    last: int
    prev_url: str | None
    next_url: str | None


@dataclass(frozen=True)
class Results:
    count: int
    datasets: list[Dataset]
    facets: list[Facet]
    active: list[FacetItem]  # the chosen filters, each with its removal link
    pager: Pager


def run(session: Session, query: SearchQuery, locale: str) -> Results:
    filters = {FACETS[param][0]: values for param, values in query.filters.items()}
    start = (query.page - 1) * PAGE_SIZE
    if query.sort == "name":
        # The service sorts titles by their Portuguese form; the reader's language decides here. A city's
        # catalogue is loaded whole by the service anyway, so sorting the match costs nothing more.
        found = service.search(session, q=query.q, filters=filters, sort=SORTS["name"][1], rows=1_000_000)
        ordered = sorted(found.datasets, key=lambda d: (normalise(localized(d, "title", locale)), d.name))
        found.datasets = ordered[start:start + PAGE_SIZE]
    else:
        found = service.search(session, q=query.q, filters=filters, sort=SORTS[query.sort][1], rows=PAGE_SIZE,
                               start=start)
    labels = _labels(session, locale)
    facets = [_facet(query, param, found.facets.get(FACETS[param][0], {}), labels) for param in FACETS]
    active = [item for facet in facets for item in facet.items if item.selected]
    return Results(count=found.count, datasets=found.datasets, facets=facets, active=active,
                   pager=_pager(query, found.count))


def _labels(session: Session, locale: str) -> dict[str, dict[str, str]]:
    """How each facet's values read on the page: publishers' and themes' names, licences' titles."""
    orgs = {org.name: localized(org, "title", locale) for org, _count in service.list_organizations(session)}
    return {"organization": orgs}


def _label(param: str, value: str, labels: dict[str, dict[str, str]]) -> str:
    if param == "organization":
        return labels["organization"].get(value, value)
    if param == "theme":
        return theme_label(value)
    if param == "license":
        return license_label(value)
    return value


def _facet(query: SearchQuery, param: str, counts: dict[str, int], labels: dict[str, dict[str, str]]) -> Facet:
    chosen = query.filters.get(param, [])
    # A value is chosen as typed in the address; the service matches facets without regard to case.
    folded = {c.lower(): c for c in chosen}
    items = []
    for value, count in counts.items():
        selected = value.lower() in folded
        shown = folded.get(value.lower(), value)
        items.append(FacetItem(shown, _label(param, value, labels), count, selected,
                               query.url(toggle=(param, shown)), _item_id(param, value)))
    seen = {i.value.lower() for i in items}
    items += [FacetItem(v, _label(param, v, labels), 0, True, query.url(toggle=(param, v)), _item_id(param, v))
              for v in chosen if v.lower() not in seen]
    items.sort(key=lambda i: (not i.selected, -i.count, normalise(i.label)))
    ids: set[str] = set()
    for n, item in enumerate(items):  # "a b" and "a-b" would share an id: the second gets a number
        if item.id in ids:
            items[n] = item = FacetItem(item.value, item.label, item.count, item.selected, item.url, f"{item.id}-{n}")
        ids.add(item.id)
    return Facet(param, _(FACETS[param][1]), items)


def _item_id(param: str, value: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in normalise(value))
    return f"facet-{param}-{slug}"


def _pager(query: SearchQuery, count: int) -> Pager:
    pages = max(1, -(-count // PAGE_SIZE))
    first = (query.page - 1) * PAGE_SIZE + 1
    return Pager(page=query.page, pages=pages, first=min(first, count), last=min(count, query.page * PAGE_SIZE),
                 prev_url=query.url(page=min(query.page, pages + 1) - 1) if query.page > 1 else None,
                 next_url=query.url(page=query.page + 1) if query.page < pages else None)


def sort_choices() -> list[tuple[str, str]]:
    return [(key, _(label)) for key, (label, _sort) in SORTS.items()]
