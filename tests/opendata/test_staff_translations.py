"""Every message the data stewards' pages show has a European Portuguese translation in
opendata_staff.po, with the same placeholders; none is written twice or left unused; and an id another
catalogue also translates reads the same in both, so the merged catalogue does not depend on which file
is read last. Only the stewards' own files count: the portal's other pages keep their own catalogues."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_file

from tests.translations import CATALOGUES, SRC, placeholder_mismatches, read, template_ids, untranslated, unused

NAV = "Open data"  # the staff navigation's link, in templates/staff/base.html
CATALOGUE = CATALOGUES / "opendata_staff.po"
PYTHON = ("staff_pages.py", "staff_forms.py")


def _used_msgids() -> set[str]:
    assert NAV in template_ids(SRC / "templates" / "staff" / "base.html")
    ids = {NAV}
    for path in sorted((SRC / "templates" / "opendata").glob("staff_*.html")):
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
    used = _used_msgids()
    assert len(used) > 200
    assert untranslated(catalog, used) == []


def test_no_id_is_written_twice():
    ids = re.findall(r'^msgid "(.+)"$', CATALOGUE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_translations_keep_their_placeholders(catalog):
    assert placeholder_mismatches(catalog) == []


def test_no_unused_messages(catalog):
    assert unused(catalog, _used_msgids()) == []


def test_shared_ids_read_the_same_as_in_other_catalogues(catalog):
    for path in sorted(set(CATALOGUES.glob("*.po")) - {CATALOGUE}):
        for other in read(path):
            mine = catalog.get(other.id) if other.id else None
            if mine is not None:
                assert mine.string == other.string, f"{other.id!r}: {path.name} says {other.string!r}"
