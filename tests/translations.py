"""What each module's translation tests share: the message ids its templates and code use, and its
Portuguese catalogues merged (an id translated in two of them is an error)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

SRC = Path(__file__).resolve().parents[1] / "src" / "praca"
CATALOGUES = SRC / "locale" / "pt" / "LC_MESSAGES"


def template_ids(path: Path) -> set[str]:
    return {message if isinstance(message, str) else message[0]  # plurals: by their singular
            for _, message, _, _ in extract_from_file(babel_extract, str(path),
                                                      options={"extensions": "jinja2.ext.i18n"})}


def used_msgids(module: str) -> set[str]:
    """Ids in templates/<module>/ and in src/praca/<module>/*.py (`_` and `N_`)."""
    ids: set[str] = set()
    for path in sorted((SRC / "templates" / module).rglob("*.html")):
        ids |= template_ids(path)
    for path in sorted((SRC / module).glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="pt")


def merged_catalog(module: str) -> Catalog:
    """The module's catalogues (<module>*.po) as one; an id in two of them fails the test."""
    merged = None
    for path in sorted(CATALOGUES.glob(f"{module}*.po")):
        part = read(path)
        if merged is None:
            merged = part
            continue
        for message in part:
            if message.id:
                assert message.id not in merged, f"{message.id!r} is translated twice ({path.name})"
                merged[message.id] = message
    assert merged is not None, f"no {module}*.po catalogue"
    return merged


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _singular(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def untranslated(catalog: Catalog, used: set[str]) -> list[str]:
    """Used ids with no (or only a fuzzy) translation."""
    return sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy))


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Ids whose translation drops or adds a %(name)s or {name} placeholder."""
    bad = []
    for message in catalog:
        if not message.id:
            continue
        msgid = _singular(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        bad += [msgid for s in strings if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(s))]
    return bad


def unused(catalog: Catalog, used: set[str]) -> list[str]:
    return sorted(_singular(m.id) for m in catalog if m.id and _singular(m.id) not in used)
