"""Tests that keep the codebase honest: documented settings, module boundaries, complete translations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from praca.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "praca"
DOMAIN_MODULES = ("registry", "dpo", "wifi", "opendata")


def test_every_setting_is_in_the_operators_guide():
    readme = (ROOT / "README.md").read_text()
    missing = [f"PRACA_{name.upper()}" for name in Settings.model_fields if f"PRACA_{name.upper()}" not in readme]
    assert not missing, f"document these in README.md's settings table: {missing}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_core_imports_no_domain_module():
    for path in (SRC / "core").rglob("*.py"):
        bad = {m for m in _imports(path) if any(m.startswith(f"praca.{d}") for d in DOMAIN_MODULES)}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}: core must know no domain"


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_modules_reach_each_other_only_through_service(module):
    for path in (SRC / module).rglob("*.py"):
        for imported in _imports(path):
            for other in DOMAIN_MODULES:
                prefix = f"praca.{other}"
                if other == module or not imported.startswith(prefix + "."):
                    continue
                allowed = (f"{prefix}.service", f"{prefix}.schemas", f"{prefix}.taxonomy")
                assert imported.startswith(allowed) or imported in (f"{prefix}", ), (
                    f"{path.relative_to(ROOT)} imports {imported}: use {prefix}.service")


def _catalog_ids() -> set[str]:
    ids: set[str] = set()
    for po in (SRC / "locale" / "pt" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string):
                    ids.add(m.id[0] if isinstance(m.id, tuple) else m.id)
    return ids


def test_every_message_has_a_portuguese_translation():
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                        "lstrip_blocks": "true"}}
    translated = _catalog_ids()
    missing = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(SRC), method_map, options_map=options, keywords={"_": None, "gettext": None,
                                                                 "ngettext": (1, 2)}):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and msgid not in translated:
            missing.add((filename, msgid))
    assert not missing, "translate into src/praca/locale/pt/LC_MESSAGES/<module>.po:\n" + "\n".join(
        f"  {f}: {m!r}" for f, m in sorted(missing))
