"""Commands that read no store: ``mltui concepts`` and ``mltui config``.

They work where no store opens (no ``mlflow.db`` here, a server that is down),
print plain text that pipes cleanly, and never import Textual.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys

from .concepts import CONCEPTS, concept_text, find_concepts
from .config import DEFAULT_CONFIG, config_path, load_settings
from .store.errors import InvalidValue, StoreError


def cmd_concepts(args: argparse.Namespace) -> int:
    if args.list:
        width = max(len(c.name) for c in CONCEPTS)
        for c in CONCEPTS:
            print(f"{c.name.ljust(width)}  {c.title}")
        return 0
    query = " ".join(args.name)
    found = find_concepts(query)
    if not found:
        raise InvalidValue(f"no concept matches '{query}' (mltui concepts --list names them)")
    # a terminal's width up to 100 columns; a pipe gets 78, the same every time
    width = min(shutil.get_terminal_size((78, 24)).columns, 100) if sys.stdout.isatty() else 78
    print("\n\n".join(concept_text(c, max(width - 1, 40)) for c in found))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    path = config_path()
    if args.action == "path":
        print(path)
        return 0
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise InvalidValue(f"no editor: set $EDITOR (or $VISUAL), or edit {path} yourself")
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(DEFAULT_CONFIG, encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"Cannot write {path}: {exc.strerror or exc}") from None
    try:
        code = subprocess.call([*shlex.split(editor), str(path)])
    except (OSError, ValueError) as exc:
        raise InvalidValue(f"cannot run the editor {editor!r}: "
                           f"{getattr(exc, 'strerror', None) or exc}") from None
    if code != 0:
        raise InvalidValue(f"the editor {editor!r} exited with {code}")
    # what mltui will say at the next start, said now while the file is in mind
    for problem in load_settings(path).problems:
        print(f"mltui: warning: {problem}", file=sys.stderr)
    return 0
