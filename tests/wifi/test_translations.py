"""Every message the Wi-Fi pages show has a European Portuguese translation in one of the wifi*.po
catalogues, with the same placeholders; no id is translated twice or left unused; and an id that another
module's catalogue also translates reads the same in both, so the merged catalogue does not depend on
which file is read last."""

from __future__ import annotations

import re

import pytest

from tests.translations import (
    CATALOGUES,
    SRC,
    merged_catalog,
    placeholder_mismatches,
    read,
    template_ids,
    untranslated,
    unused,
    used_msgids,
)

NAV = "Wi-Fi"  # the staff navigation's link, in templates/staff/base.html


def _used_msgids() -> set[str]:
    assert NAV in template_ids(SRC / "templates" / "staff" / "base.html")
    return used_msgids("wifi") | {NAV}


@pytest.fixture(scope="module")
def catalog():
    return merged_catalog("wifi")


def test_every_message_is_translated(catalog):
    used = _used_msgids()
    assert len(used) > 40
    assert untranslated(catalog, used) == []


def test_no_id_is_written_twice_in_a_catalogue():
    for path in sorted(CATALOGUES.glob("wifi*.po")):
        ids = re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], path.name


def test_translations_keep_their_placeholders(catalog):
    assert placeholder_mismatches(catalog) == []


def test_no_unused_messages(catalog):
    assert unused(catalog, _used_msgids()) == []


def test_shared_ids_read_the_same_as_in_other_catalogues(catalog):
    for path in sorted(set(CATALOGUES.glob("*.po")) - set(CATALOGUES.glob("wifi*.po"))):
        for other in read(path):
            mine = catalog.get(other.id) if other.id else None
            if mine is not None:
                assert mine.string == other.string, f"{other.id!r}: {path.name} says {other.string!r}"
