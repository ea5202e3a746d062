"""Every message of the open data portal's three parts — the citizens' portal, their participation and the
data stewards' pages — has a European Portuguese translation in that part's catalogue, with the same
placeholders; no id is written twice or left unused; and an id another catalogue also translates reads the
same in both, so the merged catalogue does not depend on which file is read last. Each part counts only
its own files: they share templates/opendata and src/praca/opendata."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from babel.messages.extract import extract_from_file

from tests.translations import CATALOGUES, SRC, placeholder_mismatches, read, template_ids, untranslated, unused


@dataclass(frozen=True)
class Part:
    catalogue: str
    templates: tuple[str, ...]  # globs under templates/opendata
    python: tuple[str, ...]  # files under src/praca/opendata
    at_least: int  # a floor on the ids found, so a broken extraction cannot pass as "nothing untranslated"
    nav: str | None = None  # the staff navigation's link, in templates/staff/base.html


PARTS = {
    "portal": Part("opendata_portal.po", ("portal_*.html", "_portal_*.html"),
                   ("pages.py", "portal_search.py", "portal_view.py", "portal_chart.py", "portal_examples.py",
                    "preview.py"), 100),
    "participation": Part("opendata_participation.po", ("participation_*.html",),
                          ("participation.py", "participation_pages.py", "api.py"), 150),
    "staff": Part("opendata_staff.po", ("staff_*.html",), ("staff_pages.py", "staff_forms.py"), 200, nav="Open data"),
}


def used_msgids(part: Part) -> set[str]:
    ids: set[str] = set()
    if part.nav:
        assert part.nav in template_ids(SRC / "templates" / "staff" / "base.html")
        ids.add(part.nav)
    for pattern in part.templates:
        for path in sorted((SRC / "templates" / "opendata").glob(pattern)):
            ids |= template_ids(path)
    for name in part.python:
        for _, message, _, _ in extract_from_file("python", str(SRC / "opendata" / name),
                                                  keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.fixture(params=list(PARTS), scope="module")
def part(request: pytest.FixtureRequest) -> Part:
    return PARTS[request.param]


def test_every_message_is_translated(part: Part) -> None:
    used = used_msgids(part)
    assert len(used) > part.at_least
    assert untranslated(read(CATALOGUES / part.catalogue), used) == []


def test_no_id_is_written_twice(part: Part) -> None:
    ids = re.findall(r'^msgid "(.+)"$', (CATALOGUES / part.catalogue).read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_translations_keep_their_placeholders(part: Part) -> None:
    assert placeholder_mismatches(read(CATALOGUES / part.catalogue)) == []


def test_no_unused_messages(part: Part) -> None:
    assert unused(read(CATALOGUES / part.catalogue), used_msgids(part)) == []


def test_shared_ids_read_the_same_as_in_other_catalogues(part: Part) -> None:
    catalog = read(CATALOGUES / part.catalogue)
    for path in sorted(set(CATALOGUES.glob("*.po")) - {CATALOGUES / part.catalogue}):
        for other in read(path):
            mine = catalog.get(other.id) if other.id else None
            if mine is not None:
                assert mine.string == other.string, f"{other.id!r}: {path.name} says {other.string!r}"
