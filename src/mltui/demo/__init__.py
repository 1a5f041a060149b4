"""The demo store behind ``mltui --demo``: an MLflow sqlite database plus artifacts.

Not a backend: the demo is data *for* the SQL backend, written with the stdlib
``sqlite3`` from MLflow's own schema because mltui never imports mlflow at run time.
The content is meant to exercise every screen: nested sweeps, every run status,
long metric histories with spikes and plateaus, awkward keys, artifacts of every
previewable kind, a registry with every stage, aliases and a hidden prompt of
three versions, and an LLM agent's MLflow 3 data: logged models, versions
registered from them, and traces with their spans.
Everything is deterministic (seeded per run) except that times are relative to the
moment of the build.

The parts:

- ``folder``: where the demo lives, its marker, the lock, building in place;
- ``schema``: the shipped ``mlflow_schema.sql`` and the demo format;
- ``builder``: the builder object scenarios fill in, and the sqlite write;
- ``rows``: the row buffer, in MLflow's column order;
- ``curves``, ``images``, ``files``, ``models``: helpers the scenarios share
  (``images`` also makes pictures for tests);
- ``scenarios``: one module per experiment (or the registry), imported only when a
  build runs, so that starting mltui on a current demo stays cheap.

This package imports nothing from textual.
"""

from __future__ import annotations

from .builder import build_demo_store
from .folder import demo_folder, ensure_demo_store
from .schema import schema_revision

__all__ = ["build_demo_store", "demo_folder", "ensure_demo_store", "schema_revision"]
