"""The README's key tables are the bindings: a key documented that does not work,
or one that works undocumented, fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "keys_table.py"


def _keys_table():
    spec = importlib.util.spec_from_file_location("keys_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_keys_match_the_bindings():
    keys = _keys_table()
    documented = keys.readme_block(keys.README.read_text())
    assert documented == keys.keys_markdown(), (
        "README.md's key tables differ from the bindings: run python scripts/keys_table.py "
        "--write")


def test_every_documented_key_has_a_binding_id():
    keys = _keys_table()
    for title, bindings in keys._screens():
        for binding in bindings:
            assert binding.id, f"{title}: {binding.key} -> {binding.action} has no id"
