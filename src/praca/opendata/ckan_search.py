"""package_search: the part of Solr's query language CKAN's clients and harvesters send, over the catalogue.

`q` and `fq` are Lucene queries: `field:value`, `field:"quoted value"`, `field:(a OR b)`, ranges
`metadata_modified:[2026-01-01T00:00:00Z TO *]` (ckanext-harvest asks for changes since its last run this
way), `+`/`-`/`NOT`, `AND`/`OR` and parentheses; terms side by side must all match, as in CKAN's schema.
Plain words go to the catalogue's own search (accent- and case-forgiving, ranked); the rest is matched
here on the datasets that search returns.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from praca.opendata import service
from praca.opendata.ckan_base import (
    Context,
    Invalid,
    SearchError,
    SearchQueryError,
    boolean,
    natural,
    string_list,
    text,
)
from praca.opendata.ckan_dicts import package_dict
from praca.opendata.models import Dataset
from praca.opendata.vocab import LICENSES, THEMES
from praca.registry.service import normalise

DEFAULT_SORT = "score desc, metadata_modified desc"
ROWS_MAX = 1000
FACET_LIMIT = 50
SORT_KEYS = {
    "score": None,  # relevance: the order the catalogue's search returns
    "name": lambda d: d.name,
    "id": lambda d: d.public_id,
    "title_string": lambda d: normalise(d.title_pt),
    "metadata_modified": lambda d: d.modified_at,
    "metadata_created": lambda d: d.created_at,
}
FACET_FIELDS = service.FACETS  # organization, groups, tags, res_format, license_id


# --- parsing -------------------------------------------------------------------------------------------------

TOKEN = re.compile(r'\s*(?:(?P<op>\(|\)|&&|\|\|)|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<range>[\[{][^\]}]*[\]}])'
                   r'|(?P<word>(?:[^\s()"\\\[\]{}]|\\.)+))')


@dataclass
class Node:
    kind: str  # and, or, not, term, all
    children: list[Node] | None = None
    field: str | None = None
    value: str | None = None
    low: datetime | None = None
    high: datetime | None = None


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(query):
        if query[pos:].strip() == "":
            break
        m = TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            raise SearchError(f"cannot parse the query at: {query[pos:pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup or "word"
        tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise SearchError("the query ends too soon")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise SearchError(f"unexpected {self.peek()[1]!r} in the query")
        return node

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.peek() in (("word", "OR"), ("op", "||")):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Node("or", parts)

    def conjunction(self) -> Node:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token not in (("op", ")"), ("word", "OR"), ("op", "||")):
            if token in (("word", "AND"), ("op", "&&")):
                self.take()
                continue
            parts.append(self.clause())
        if not parts:
            raise SearchError("an empty clause in the query")
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def clause(self) -> Node:
        kind, value = self.take()
        if kind == "word" and value == "NOT":
            return Node("not", [self.clause()])
        if kind == "word" and value[0] in "+-" and len(value) > 1:
            self.tokens[self.i - 1] = ("word", value[1:])
            self.i -= 1
            inner = self.clause()
            return Node("not", [inner]) if value[0] == "-" else inner
        if kind == "word" and value in ("+", "-") and self.peek() == ("op", "("):
            inner = self.clause()
            return Node("not", [inner]) if value == "-" else inner
        if (kind, value) == ("op", "("):
            inner = self.disjunction()
            if self.peek() != ("op", ")"):
                raise SearchError("a parenthesis is not closed")
            self.take()
            return inner
        if kind == "word" and re.fullmatch(r"(?:[A-Za-z_][\w.]*|\*):(?:.|\\.)*", value):
            field, _, rest = value.partition(":")
            return self.field_value(field, rest)
        if kind in ("word", "quoted"):
            return Node("term", field="text", value=_unquote(kind, value))
        raise SearchError(f"unexpected {value!r} in the query")

    def field_value(self, field: str, rest: str) -> Node:
        if field == "*" and rest == "*":
            return Node("all")
        if rest:
            return _term(field, "word", rest)
        token = self.peek()
        if token is None:
            raise SearchError(f"no value for {field}")
        if token == ("op", "("):
            self.take()
            values = []
            while (t := self.peek()) is not None and t != ("op", ")"):
                kind, value = self.take()
                if (kind, value) not in (("word", "OR"), ("op", "||")):
                    values.append(_term(field, kind, value))
            if self.peek() != ("op", ")"):
                raise SearchError("a parenthesis is not closed")
            self.take()
            if not values:
                raise SearchError(f"no value for {field}")
            return values[0] if len(values) == 1 else Node("or", values)
        kind, value = self.take()
        return _term(field, kind, value)


def _unquote(kind: str, value: str) -> str:
    if kind == "quoted":
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def _term(field: str, kind: str, value: str) -> Node:
    if field not in FIELDS:
        raise SearchError(f"undefined field {field}")
    if kind == "range":
        low, high = _range(value)
        if field not in ("metadata_modified", "metadata_created"):
            raise SearchError(f"ranges are only understood on metadata_modified and metadata_created, not {field}")
        return Node("term", field=field, low=low, high=high)
    if kind not in ("word", "quoted"):
        raise SearchError(f"unexpected {value!r} after {field}:")
    return Node("term", field=field, value=_unquote(kind, value))


def _instant(value: str) -> datetime | None:
    value = value.strip()
    if value == "*":
        return None
    m = re.fullmatch(r"NOW(?:([+-])(\d{1,6})(DAYS?|HOURS?|MINUTES?))?(?:/DAY)?", value)
    if m:
        now = datetime.now(UTC)
        if m.group(1):
            unit = {"D": "days", "H": "hours", "M": "minutes"}[m.group(3)[0]]
            step = timedelta(**{unit: int(m.group(2))})
            now = now + step if m.group(1) == "+" else now - step
        return now
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"not a date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _range(value: str) -> tuple[datetime | None, datetime | None]:
    parts = value[1:-1].split(" TO ")
    if len(parts) != 2:
        raise SearchError(f"a range is [from TO to], not {value!r}")
    return _instant(parts[0]), _instant(parts[1])


def parse(query: str) -> Node:
    return _Parser(query).parse()


# --- matching ------------------------------------------------------------------------------------------------

def _ckan_state(d: Dataset) -> str:
    return "active" if d.state == "withdrawn" else d.state


def _facet(name: str):
    return lambda d: service.facet_values(d)[name]


FIELDS: dict[str, Any] = {
    **{f: _facet(f) for f in FACET_FIELDS},
    "owner_org": lambda d: [d.organization.public_id, d.organization.name],
    "name": lambda d: [d.name], "id": lambda d: [d.public_id], "state": lambda d: [_ckan_state(d)],
    "capacity": lambda d: ["public" if d.state == service.PUBLIC else "private"],
    "dataset_type": lambda d: ["dataset"], "type": lambda d: ["dataset"], "entity_type": lambda d: ["package"],
    "license": lambda d: [d.license_id], "text": lambda d: [d.search_text],
    "title": lambda d: [normalise(f"{d.title_pt} {d.title_en}")],
    "notes": lambda d: [normalise(f"{d.notes_pt} {d.notes_en}")],
    "metadata_modified": lambda d: [d.modified_at], "metadata_created": lambda d: [d.created_at],
}
WORDS_FIELDS = ("text", "title", "notes")


def matches(node: Node, d: Dataset) -> bool:
    if node.kind == "all":
        return True
    if node.kind == "and":
        return all(matches(c, d) for c in node.children or [])
    if node.kind == "or":
        return any(matches(c, d) for c in node.children or [])
    if node.kind == "not":
        return not matches((node.children or [])[0], d)
    values = FIELDS[node.field or "text"](d)
    if node.value is None:  # a range
        return any((node.low is None or v >= node.low) and (node.high is None or v <= node.high) for v in values)
    if node.field in ("metadata_modified", "metadata_created"):
        moment = _instant(node.value)
        return moment is None or any(v == moment for v in values)
    if node.value == "*":
        return bool(values)
    if node.field in WORDS_FIELDS:
        return all(w in v for w in normalise(node.value).split() for v in values)
    wanted = node.value.casefold()
    if wanted.endswith("*"):
        return any(str(v).casefold().startswith(wanted[:-1]) for v in values)
    return any(str(v).casefold() == wanted for v in values)


def _plain_words(node: Node) -> list[str] | None:
    """The words of a q that is nothing but words (the catalogue's own ranked search takes those)."""
    if node.kind == "term" and node.field == "text" and node.value is not None:
        return [node.value]
    if node.kind == "and":
        words = [_plain_words(c) for c in node.children or []]
        return None if any(w is None for w in words) else [x for w in words for x in w or []]
    return None


# --- the action ------------------------------------------------------------------------------------------------

def _sort(value: str) -> list[tuple[str, bool]]:
    keys = []
    for part in value.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or words[0] not in SORT_KEYS or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise SearchQueryError(f'Invalid "sort" parameter: {part.strip()!r}; sort on '
                                   f'{", ".join(SORT_KEYS)} with asc or desc')
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return keys


def _display_name(field: str, name: str, titles: dict[str, str]) -> str:
    if field == "organization":
        return titles.get(name, name)
    if field == "groups" and name.upper() in THEMES:
        return THEMES[name.upper()][0]
    if field == "license_id" and name in LICENSES:
        return LICENSES[name].title
    return name


def search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    rows = natural(data, "rows", 10, maximum=ROWS_MAX)
    start = natural(data, "start", 0)
    facet_limit_raw = data.get("facet.limit")
    facet_limit = FACET_LIMIT if facet_limit_raw in (None, "") else _signed(facet_limit_raw)
    facet_fields = string_list(data, "facet.field") or []
    if not boolean(data, "facet", True):
        facet_fields = []
    unknown = [f for f in facet_fields if f not in FACET_FIELDS]
    if unknown:
        raise SearchError(f"cannot facet on {', '.join(unknown)}; use {', '.join(FACET_FIELDS)}")
    sort_text = text(data, "sort").strip() or DEFAULT_SORT
    sort = _sort(sort_text)
    q = text(data, "q").strip()
    fq = " ".join([text(data, "fq"), *(string_list(data, "fq_list") or [])]).strip()
    private = ctx.can_write and (boolean(data, "include_private") or boolean(data, "include_drafts"))

    q_node = parse(q) if q and q != "*:*" else Node("all")
    words = _plain_words(q_node)
    found = service.search(ctx.session, q=" ".join(words or []), rows=10**9, facet_fields=(),
                           include_unpublished=private).datasets
    filters = [n for n in (None if words is not None else q_node, parse(fq) if fq else None) if n is not None]
    matched = [d for d in found if all(matches(n, d) for n in filters)]

    rank = {d.id: i for i, d in enumerate(matched)}
    for key, descending in reversed(sort):
        value = SORT_KEYS[key]
        if value is None:
            matched.sort(key=lambda d: rank[d.id], reverse=not descending)
        else:
            matched.sort(key=value, reverse=descending)

    facets = {f: Counter(v for d in matched for v in service.facet_values(d)[f]) for f in facet_fields}
    titles = {d.organization.name: d.organization.title_pt for d in matched}
    facets_out = {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:facet_limit if facet_limit >= 0 else None])
                  for f, c in facets.items()}
    search_facets = {
        f: {"title": f, "items": sorted(({"name": n, "display_name": _display_name(f, n, titles), "count": c}
                                         for n, c in counts.items()), key=lambda i: i["display_name"], reverse=True)}
        for f, counts in facets_out.items()}
    page = matched[start:start + rows] if rows else []
    results = [package_dict(d, ctx.base_url) for d in page]
    fl = string_list(data, "fl")
    if fl:
        fields = [f for name in fl for f in name.split()]
        results = [{k: r[k] for k in fields if k in r} for r in results]
    return {"count": len(matched), "facets": facets_out, "results": results, "sort": sort_text,
            "search_facets": search_facets}


def _signed(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise Invalid({"facet.limit": ["Invalid integer"]}) from None
    return max(min(number, 10**6), -1)
