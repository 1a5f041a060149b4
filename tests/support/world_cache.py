"""Worlds built once and shared: by both xdist workers and by later test runs.

:func:`cached_dir` is :func:`support.builders.cached_store` for worlds built by
a function of a support module (``artifact_world``, ``genai_world``), directly
or logged through a real ``mlflow server`` (whose database and artifact folder
are kept, then served again by a new server over a copy: see :func:`serve_copy`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from support.builders import CACHE_ROOT


def cached_dir(name: str, sources: Sequence[Path], builder: str, *args: str) -> Path:
    """A folder filled by ``builder`` (``"module:function"``, importable with the
    tests folder on the path, called as ``function(folder, *args)`` in a process of
    its own, so that no MLflow state of the build stays in the test process), built
    once per mlflow version and per content of ``sources`` (the modules that decide
    what it holds); a process that finds another one building it waits for it.
    Built where it stays, since stores hold absolute paths: read it, never write
    it; copy what a test changes."""
    import importlib.metadata

    digest = hashlib.sha1(importlib.metadata.version("mlflow").encode())
    for source in sources:
        digest.update(Path(source).read_bytes())
    digest.update(repr((builder, args)).encode())
    target = CACHE_ROOT / f"{name}-{digest.hexdigest()[:12]}"
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not (target / "done").exists():
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            try:
                _run_builder(target, builder, args)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            (target / "done").write_text("ok")
    return target


def _run_builder(folder: Path, builder: str, args: Sequence[str]) -> None:
    module, _, function = builder.partition(":")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    code = (f"import sys; from pathlib import Path; from {module} import {function}; "
            f"{function}(Path(sys.argv[1]), *sys.argv[2:])")
    done = subprocess.run([sys.executable, "-c", code, str(folder), *args], cwd=folder, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building {folder.name} with {builder} failed "
                           f"({done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")


def save_ids(folder: Path, ids: dict[str, Any]) -> None:
    (folder / "ids.json").write_text(json.dumps(ids))


def load_ids(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "ids.json").read_text())


TESTS = Path(__file__).resolve().parents[1]


def build_through_server(folder: Path, fill: Callable[[str], dict[str, Any]]) -> None:
    """Start ``mlflow server`` on ``folder`` (its ``mlflow.db`` and ``artifacts``),
    log a world through it with ``fill(url)``, keep the ids, stop the server."""
    from support.servers import MlflowServer

    server = MlflowServer(folder)
    server.start()
    try:
        server.wait_ready()
        save_ids(folder, fill(server.uri))
    finally:
        server.stop()


def copy_served(built: Path, root: Path) -> None:
    """Copy a world built by :func:`build_through_server` (its database and proxied
    artifacts) into ``root``, for an ``MlflowServer(root)`` to serve."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built / "mlflow.db", root / "mlflow.db")
    if (built / "artifacts").is_dir():
        shutil.copytree(built / "artifacts", root / "artifacts")


def serve_copy(built: Path, root: Path):
    """A started, ready ``mlflow server`` over a copy of a world built by
    :func:`build_through_server`, in ``root``."""
    from support.servers import MlflowServer

    copy_served(built, root)
    server = MlflowServer(root)
    server.start()
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server
