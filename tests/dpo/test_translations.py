"""Every message the DPO desk shows or e-mails has a European Portuguese translation in one of its
catalogues (dpo.po, dpo_<part>.po), with the same placeholders, so a citizen reading in Portuguese
never meets a stray English line."""

from __future__ import annotations

import pytest

from tests.translations import merged_catalog, placeholder_mismatches, untranslated, unused, used_msgids


def _used_msgids() -> set[str]:
    return used_msgids("dpo")


@pytest.fixture(scope="module")
def catalog():
    return merged_catalog("dpo")


def test_every_message_is_translated(catalog):
    used = _used_msgids()
    assert len(used) > 100
    assert untranslated(catalog, used) == []


def test_translations_keep_their_placeholders(catalog):
    assert placeholder_mismatches(catalog) == []


def test_no_unused_messages(catalog):
    assert unused(catalog, _used_msgids()) == []
