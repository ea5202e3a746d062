"""Every message the DPO desk shows or e-mails has a European Portuguese translation in one of its
catalogues (dpo.po, dpo_<part>.po), with the same placeholders, so a citizen reading in Portuguese
never meets a stray English line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

SRC = Path(__file__).resolve().parents[2] / "src" / "praca"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _used_msgids() -> set[str]:
    ids: set[str] = set()
    for path in sorted((SRC / "templates" / "dpo").rglob("*.html")):
        for _, message, _, _ in extract_from_file(babel_extract, str(path),
                                                  options={"extensions": "jinja2.ext.i18n"}):
            ids.add(message if isinstance(message, str) else message[0])  # plurals: by their singular
    for path in sorted((SRC / "dpo").glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.fixture(scope="module")
def catalog():
    merged = None
    for path in sorted((SRC / "locale" / "pt" / "LC_MESSAGES").glob("dpo*.po")):
        with path.open("rb") as f:
            part = read_po(f, locale="pt")
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
    assert len(used) > 100
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy))
    assert missing == []


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
