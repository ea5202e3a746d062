"""Every message the participation pages show has a European Portuguese translation in
opendata_participation.po, with the same placeholders; no id is written twice or left unused; and an id that
another catalogue also translates reads the same in both, so the merged catalogue does not depend on which
file is read last."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_file

from tests.translations import (
    CATALOGUES,
    SRC,
    placeholder_mismatches,
    read,
    template_ids,
    untranslated,
    unused,
)

CATALOGUE = CATALOGUES / "opendata_participation.po"
PYTHON = ("participation.py", "participation_pages.py", "api.py")


def used_msgids() -> set[str]:
    """Ids in templates/opendata/participation_*.html and in this part's Python (`_` and `N_`)."""
    ids: set[str] = set()
    for path in sorted((SRC / "templates" / "opendata").glob("participation_*.html")):
        ids |= template_ids(path)
    for name in PYTHON:
        for _, message, _, _ in extract_from_file("python", str(SRC / "opendata" / name),
                                                  keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.fixture(scope="module")
def catalog():
    return read(CATALOGUE)


def test_every_message_is_translated(catalog):
    used = used_msgids()
    assert len(used) > 150
    assert untranslated(catalog, used) == []


def test_no_id_is_written_twice():
    ids = re.findall(r'^msgid "(.+)"$', CATALOGUE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_translations_keep_their_placeholders(catalog):
    assert placeholder_mismatches(catalog) == []


def test_no_unused_messages(catalog):
    assert unused(catalog, used_msgids()) == []


def test_shared_ids_read_the_same_as_in_other_catalogues(catalog):
    for path in sorted(set(CATALOGUES.glob("*.po")) - {CATALOGUE}):
        for other in read(path):
            mine = catalog.get(other.id) if other.id else None
            if mine is not None:
                assert mine.string == other.string, f"{other.id!r}: {path.name} says {other.string!r}"
