"""Runs with every kind of artifact, logged by the real ``mlflow`` client.

:func:`fill` logs them to any tracking URI (a sqlite store with file artifacts,
an mlruns folder, a tracking server with ``--serve-artifacts``): text, dicts,
an image, a table, files of every previewed kind, files meant to break a
preview, an MLflow 3 pyfunc logged model and an old-style model folder among
the run's artifacts. Run B holds some of the same paths with other content, for
``n`` / ``N``. :func:`world` and :func:`server_world` build each once, for
every test module and process (cached on disk).
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import mlflow.pyfunc

from support.world_cache import (
    build_through_server,
    cached_dir,
    load_ids,
    save_ids,
    serve_copy,
)

BIG_LOG_LINES = 120_000
"""Lines of ``big/train-big.log`` (about 4 MB): bigger than a preview reads whole."""
ESCAPES = "before \x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b]0;title\x07 after\n\x1b[31mred\x1b[0m\n"


class Echo(mlflow.pyfunc.PythonModel):
    """The smallest pyfunc model: returns its input."""

    def predict(self, context, model_input, params=None):
        return model_input


def big_log_line(i: int) -> str:
    return f"step {i:06d} loss {1.0 / (i + 1):.6f} lr 0.001\n"


def _files(scratch: Path) -> Path:
    """Files for log_artifacts: one of each previewed kind, and hostile ones."""
    from PIL import Image

    root = scratch / "files"
    (root / "data").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "hostile").mkdir()
    (root / "big").mkdir()
    (root / "data" / "sample.csv").write_text("id,name,score\n1,alpha,0.5\n2,beta,0.75\n"
                                              "3,\"gam,ma\",1.0\n")
    (root / "data" / "sample.tsv").write_text("id\tname\n1\tx\n2\ty\n")
    (root / "README.md").write_text("# Model card\n\nTrained on **fraud** data.\n\n"
                                    "- [link](http://example.com)\n")
    (root / "report.html").write_text("<html><body><h1>Report</h1></body></html>\n")
    (root / "train.py").write_text("def train(lr=0.001):\n    return lr * 2\n")
    (root / "query.sql").write_text("SELECT run_uuid FROM runs WHERE status = 'FINISHED';\n")
    (root / "settings.toml").write_text('[model]\nname = "fraud"\n')
    (root / "MLproject").write_text("name: fraud\nentry_points:\n  main:\n    command: python "
                                    "train.py\n")
    (root / "blob.bin").write_bytes(bytes(range(256)) * 4)
    with open(root / "big" / "train-big.log", "w") as fh:
        fh.writelines(big_log_line(i) for i in range(BIG_LOG_LINES))
    (root / "hostile" / "escapes.log").write_text(ESCAPES)
    (root / "hostile" / "invalid-utf8.txt").write_bytes(b"good line\nbad \xff\xfe bytes\n")
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(png, "PNG")
    (root / "hostile" / "truncated.png").write_bytes(png.getvalue()[:60])
    Image.new("RGB", (40, 30), (10, 200, 10)).save(root / "images" / "photo.jpg", "JPEG")
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(root / "images" / "anim.gif", save_all=True, append_images=frames[1:])
    Image.new("RGB", (16, 8), (0, 0, 255)).save(root / "images" / "icon.bmp", "BMP")
    import pandas as pd

    pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).to_parquet(
        root / "data" / "table.parquet")
    return root


def fill(tracking_uri: str, scratch: Path, artifact_location: str | None = None
         ) -> dict[str, Any]:
    """Log the world to ``tracking_uri``; returns the ids tests need."""
    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    exp = client.create_experiment("artifact-world", artifact_location=artifact_location)
    a = client.create_run(exp, run_name="run-a").info.run_id
    b = client.create_run(exp, run_name="run-b").info.run_id
    client.log_text(a, "epoch 1 loss 0.9\nepoch 2 loss 0.5\n", "train.log")
    client.log_dict(a, {"labels": ["no", "yes"], "matrix": [[50, 2], [3, 45]]},
                    "eval/confusion.json")
    client.log_dict(a, {"lr": 0.001, "layers": [64, 32]}, "config.yaml")
    gradient = np.zeros((48, 64, 3), dtype=np.uint8)
    gradient[:, :, 0] = np.linspace(0, 255, 64, dtype=np.uint8)
    client.log_image(a, gradient, "plots/gradient.png")
    client.log_table(a, {"prediction": [0.1, 0.9, 0.4], "label": ["no", "yes", "no"]},
                     "tables/predictions.json")
    client.log_artifacts(a, str(_files(scratch)))
    classic = scratch / "classic_model"
    mlflow.pyfunc.save_model(str(classic), python_model=Echo())
    client.log_artifacts(a, str(classic), "classic_model")
    client.log_dict(b, {"labels": ["no", "yes"], "matrix": [[40, 12], [13, 35]]},
                    "eval/confusion.json")
    client.log_text(b, "run b log\n", "train.log")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        with mlflow.start_run(run_id=a):
            info = mlflow.pyfunc.log_model(
                name="model", python_model=Echo(),
                input_example=pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}),
            )
    finally:
        mlflow.set_tracking_uri(previous)
    for run in (a, b):
        client.set_terminated(run)
    return {"experiment_id": exp, "run_a": a, "run_b": b, "model_id": info.model_id}


_BUILT: dict[str, tuple[str, dict[str, Any]]] = {}
_LOCK = threading.Lock()


def _local_uri(kind: str, folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}" if kind == "sqlite" else (folder / "mlruns").as_uri()


def build_local(folder: Path, kind: str) -> None:
    """Log the world of ``kind`` ('sqlite' or 'file') into ``folder``, for
    :func:`support.world_cache.cached_dir`."""
    location = (folder / "artifacts").as_uri() if kind == "sqlite" else None
    save_ids(folder, fill(_local_uri(kind, folder), folder / "scratch", location))
    shutil.rmtree(folder / "scratch")


def world(kind: str) -> tuple[str, dict[str, Any]]:
    """(tracking URI, ids) of the world of ``kind`` ('sqlite' or 'file'): built once
    (:func:`support.world_cache.cached_dir`), shared by every module and process.
    Read it only."""
    with _LOCK:
        if kind not in _BUILT:
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            folder = cached_dir(f"artifact-world-{kind}", [Path(__file__)],
                                "support.artifact_world:build_local", kind)
            _BUILT[kind] = (_local_uri(kind, folder), load_ids(folder))
        return _BUILT[kind]


_SERVERS: dict[str, tuple[Any, dict[str, Any]]] = {}


def build_served(folder: Path) -> None:
    """Log the world through a tracking server on ``folder``."""
    build_through_server(folder, lambda url: fill(url, folder / "scratch"))
    shutil.rmtree(folder / "scratch")


def server_world(root: Path) -> tuple[Any, dict[str, Any]]:
    """(a running ``mlflow server --serve-artifacts``, ids) with the world logged
    through it (``mlflow-artifacts:`` roots, read through the proxy). The world is
    logged once (:func:`support.world_cache.cached_dir`); each process serves a
    copy of it from ``root`` (the first caller's), until it exits."""
    with _LOCK:
        if "main" not in _SERVERS:
            built = cached_dir("artifact-world-server", [Path(__file__)],
                               "support.artifact_world:build_served")
            server = serve_copy(built, root)
            atexit.register(stop_servers)
            _SERVERS["main"] = (server, load_ids(built))
        return _SERVERS["main"]


def stop_servers() -> None:
    with _LOCK:
        for server, _ids in _SERVERS.values():
            server.stop()
        _SERVERS.clear()
