"""API examples for a resource: curl lines and a ckanapi snippet a reader can paste and run as they are.

They use the site's public address, the resource's real id, and for the filter a real column with a
value that occurs in it, so the first thing a developer tries returns rows. Shell words are quoted with
shlex, so a value with an apostrophe ("Rua d'Alegria") still pastes correctly.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Example:
    key: str  # package_show | datastore_search | datastore_search_q | datastore_search_sql | python
    code: str


def _curl_get(url: str, params: list[tuple[str, str]]) -> str:
    lines = [f"curl -G {shlex.quote(url)}"] + [f"  --data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in params]
    return " \\\n".join(lines)


def _words(value: Any) -> str:
    """A word of the example value to search for with `q`."""
    text = str(value)
    return max(text.split(), key=len) if text.split() else text


def examples(base_url: str, dataset_name: str, resource_id: str | None,
             sample: tuple[str, Any] | None) -> list[Example]:
    """package_show always; for a datastore resource also datastore_search (filters, q), SQL and Python."""
    base = base_url.rstrip("/")
    action = f"{base}/api/3/action"
    out = [Example("package_show", f"curl {shlex.quote(f'{action}/package_show?id={dataset_name}')}")]
    if resource_id is None:
        return out
    search: list[tuple[str, str]] = [("resource_id", resource_id)]
    python_filter = ""
    if sample is not None:
        column, value = sample
        filters = json.dumps({column: value}, ensure_ascii=False)
        out.append(Example("datastore_search", _curl_get(f"{action}/datastore_search",
                                                         [*search, ("filters", filters), ("limit", "5")])))
        out.append(Example("datastore_search_q", _curl_get(f"{action}/datastore_search",
                                                           [*search, ("q", _words(value)), ("limit", "5")])))
        python_filter = f", filters={{{column!r}: {value!r}}}"
        quoted = '"' + column.replace('"', '""') + '"'
        # An example shown to the reader, never run here.
        sql = f'SELECT {quoted}, COUNT(*) AS rows FROM "{resource_id}" GROUP BY {quoted} ORDER BY rows DESC LIMIT 10'  # noqa: S608
    else:
        out.append(Example("datastore_search", _curl_get(f"{action}/datastore_search", [*search, ("limit", "5")])))
        sql = f'SELECT * FROM "{resource_id}" LIMIT 10'  # noqa: S608 -- an example shown, never run
    out.append(Example("datastore_search_sql", _curl_get(f"{action}/datastore_search_sql", [("sql", sql)])))
    out.append(Example("python", "\n".join([
        "from ckanapi import RemoteCKAN",
        "",
        f"portal = RemoteCKAN({base!r})",
        f"dataset = portal.action.package_show(id={dataset_name!r})",
        f"result = portal.action.datastore_search(resource_id={resource_id!r}{python_filter}, limit=5)",
        'print(result["total"])',
        'for record in result["records"]:',
        "    print(record)",
    ])))
    return out
