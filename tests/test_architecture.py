"""The layers of ARCHITECTURE.md, checked: the import contracts of pyproject.toml
(import-linter) and a clean type check of src/ (mypy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_import_contracts_hold():
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    done = _run(tool, "--no-cache")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 4


def test_src_type_checks():
    done = _run(sys.executable, "-m", "mypy", "--no-error-summary")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
