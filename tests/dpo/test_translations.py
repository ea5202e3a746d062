"""Every message the DPO desk shows or e-mails has a European Portuguese translation in one of its
catalogues (dpo.po, dpo_<part>.po), with the same placeholders, so a citizen reading in Portuguese
never meets a stray English line."""

from __future__ import annotations

import re

import pytest

from tests.translations import merged_catalog, used_msgids

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _used_msgids() -> set[str]:
    return used_msgids("dpo")


@pytest.fixture(scope="module")
def catalog():
    return merged_catalog("dpo")


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
