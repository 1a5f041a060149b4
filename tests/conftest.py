"""Shared fixtures: stores made by the real mlflow client, built once and cached."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builders import cached_store, copy_store

# mlflow 3.13+ refuses file stores unless asked; tests make them on purpose.
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep config, data and the tracking URI of the person running tests out."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="session")
def sqlite_store_dir() -> Path:
    """Folder with ``mlflow.db`` made by real mlflow. Read it, never write it."""
    return cached_store("sqlite")


@pytest.fixture(scope="session")
def sql_uri(sqlite_store_dir: Path) -> str:
    return f"sqlite:///{sqlite_store_dir / 'mlflow.db'}"


@pytest.fixture
def writable_sql_uri(tmp_path: Path) -> str:
    """A private copy of the mlflow-made sqlite store, free to modify."""
    return copy_store("sqlite", tmp_path)


@pytest.fixture
def store(sql_uri):
    from mltui.store import open_store

    s = open_store(sql_uri)
    yield s
    s.close()


@pytest.fixture(scope="session")
def mlflow_client(sql_uri):
    from mlflow import MlflowClient

    return MlflowClient(sql_uri)


def experiment_id(store, name: str) -> str:
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id
