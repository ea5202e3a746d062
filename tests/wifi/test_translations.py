"""Every message the Wi-Fi pages show has a European Portuguese translation in one of the wifi*.po
catalogues, with the same placeholders; no id is translated twice or left unused; and an id that another
module's catalogue also translates reads the same in both, so the merged catalogue does not depend on
which file is read last."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

SRC = Path(__file__).resolve().parents[2] / "src" / "praca"
CATALOGUES = SRC / "locale" / "pt" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
NAV = "Wi-Fi"  # the staff navigation's link, in templates/staff/base.html


def _template_ids(path: Path) -> set[str]:
    return {message if isinstance(message, str) else message[0]  # plurals: by their singular
            for _, message, _, _ in extract_from_file(babel_extract, str(path),
                                                      options={"extensions": "jinja2.ext.i18n"})}


def _used_msgids() -> set[str]:
    ids: set[str] = set()
    for path in sorted((SRC / "templates" / "wifi").rglob("*.html")):
        ids |= _template_ids(path)
    for path in sorted((SRC / "wifi").glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    assert NAV in _template_ids(SRC / "templates" / "staff" / "base.html")
    return ids | {NAV}


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="pt")


@pytest.fixture(scope="module")
def catalog():
    merged = None
    for path in sorted(CATALOGUES.glob("wifi*.po")):
        part = _read(path)
        if merged is None:
            merged = part
            continue
        for message in part:
            if message.id:
                assert message.id not in merged, f"{message.id!r} is translated twice ({path.name})"
                merged[message.id] = message
    return merged


def test_every_message_is_translated(catalog):
    used = _used_msgids()
    assert len(used) > 40
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy))
    assert missing == []


def test_no_id_is_written_twice_in_a_catalogue():
    for path in sorted(CATALOGUES.glob("wifi*.po")):
        ids = re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], path.name


def test_translations_keep_their_placeholders(catalog):
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for msgstr in strings:
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_no_unused_messages(catalog):
    used = _used_msgids()
    singular = [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id]
    assert sorted(m for m in singular if m not in used) == []


def test_shared_ids_read_the_same_as_in_other_catalogues(catalog):
    for path in sorted(set(CATALOGUES.glob("*.po")) - set(CATALOGUES.glob("wifi*.po"))):
        for other in _read(path):
            mine = catalog.get(other.id) if other.id else None
            if mine is not None:
                assert mine.string == other.string, f"{other.id!r}: {path.name} says {other.string!r}"
