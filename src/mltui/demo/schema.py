"""The shipped MLflow schema and the marker that says which schema built a demo.

The demo database is created from ``mlflow_schema.sql`` (dumped from the real mlflow
by ``scripts/dump_mlflow_schema.py``) because mltui never imports mlflow at run time.
Its header line names the mlflow version and alembic revision; the marker written
next to a built demo records them with ``DEMO_FORMAT``, so a demo built by an older
mltui, or from an older schema, is rebuilt rather than opened.

Kept apart from the builder so that checking an existing demo reads one line of a
file and imports nothing else.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("mlflow_schema.sql")
"""MLflow's sqlite schema as plain SQL, with the version in its first line."""
DEMO_FORMAT = 2
"""Bump when the content changes: stores built by an older format are rebuilt."""
MARKER = ".mltui-demo"
"""File in the demo folder saying which format and schema built it."""


def _header() -> str:
    with SCHEMA_FILE.open() as fh:
        return fh.readline()


def schema_revision() -> str:
    """The alembic revision of the shipped schema (from its header line)."""
    return _header().split("alembic revision ", 1)[-1].split(")", 1)[0].strip()


def schema_mlflow_version() -> str:
    """The mlflow version the shipped schema was dumped from (written into MLmodel files)."""
    return _header().split()[2]


def marker_text() -> str:
    """What the marker of a demo built now contains."""
    return f"format {DEMO_FORMAT}\nschema {schema_revision()}\n"
