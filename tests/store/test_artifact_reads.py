"""The artifact part of the store contract on every backend: listings, sizes and
byte ranges of artifacts logged by the real mlflow client, MLflow 3 logged
models' files, and the failures a reader meets (missing, no permission, a
symlink loop, a 2 GB file, a hostile server listing, 404 and 500 answers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mltui.store import artifacts as artifacts_module
from mltui.store import open_store
from mltui.store.artifacts import LocalArtifacts, clean_artifact_path, reader_for
from mltui.store.errors import InvalidValue, ResourceNotFound, StoreError
from mltui.store.rest import artifacts as rest_artifacts
from mltui.store.rest import client as rest_client
from support.artifact_world import BIG_LOG_LINES, big_log_line, server_world, world
from support.hostile_server import serving


@pytest.fixture(scope="module")
def sqlite_world():
    return world("sqlite")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    return server_world(tmp_path_factory.mktemp("aw-server"))


@pytest.fixture(scope="module", params=["sqlite", "file", "rest"])
def backend(request):
    """(store, ids, MlflowClient) on each backend, the same world logged to each."""
    from mlflow import MlflowClient

    if request.param == "rest":
        server, ids = request.getfixturevalue("served")
        uri = server.uri
    else:
        uri, ids = world(request.param)
    store = open_store(uri)
    yield store, ids, MlflowClient(uri)
    store.close()


def _local_bytes(client, run_id: str, path: str, tmp_path: Path) -> bytes:
    return Path(client.download_artifacts(run_id, path, str(tmp_path))).read_bytes()


def test_listings_match_mlflow(backend):
    store, ids, client = backend
    run = ids["run_a"]
    for folder in ("", "data", "images", "classic_model"):
        ours = [(e.path, e.is_dir, e.size) for e in store.list_artifacts(run, folder)]
        theirs = sorted(((f.path, f.is_dir, f.file_size) for f in
                         client.list_artifacts(run, folder or None)),
                        key=lambda e: (not e[1], e[0].lower()))
        assert ours == theirs


def test_sizes_and_ranges_match_the_files(backend, tmp_path):
    store, ids, client = backend
    run = ids["run_a"]
    data = _local_bytes(client, run, "big/train-big.log", tmp_path)
    assert store.artifact_size(run, "big/train-big.log") == len(data)
    for offset, length in ((0, 100), (1000, 4096), (len(data) - 50, 50), (len(data) - 10, 100),
                           (len(data), 10), (len(data) + 5, 10), (7, 0)):
        assert store.read_artifact_range(run, "big/train-big.log", offset, length) == \
            data[offset:offset + length]
    tail = store.read_artifact_range(run, "big/train-big.log", len(data) - 40, 40)
    assert tail.decode().endswith(big_log_line(BIG_LOG_LINES - 1))
    assert store.read_artifact(run, "big/train-big.log", 10) == data[:10]


def test_bad_ranges_and_paths_are_refused(backend):
    store, ids, _client = backend
    run = ids["run_a"]
    with pytest.raises(InvalidValue):
        store.read_artifact_range(run, "train.log", -1, 10)
    with pytest.raises(ResourceNotFound):
        store.artifact_size(run, "nope.txt")
    with pytest.raises(ResourceNotFound):
        store.read_artifact_range(run, "nope.txt", 0, 10)
    with pytest.raises(ResourceNotFound):
        store.artifact_size(run, "data")  # a folder is not a file
    with pytest.raises(StoreError, match="Invalid artifact path"):
        store.read_artifact_range(run, "../../etc/passwd", 0, 10)
    with pytest.raises(ResourceNotFound):
        store.list_artifacts(run, "no-such-folder")


def test_logged_model_files_match_mlflow(backend, tmp_path):
    store, ids, client = backend
    run = store.get_run(ids["run_a"])
    assert ids["model_id"] in [out.model_id for out in run.outputs]
    model = next(m for m in store.list_logged_models(ids["experiment_id"])
                 if m.model_id == ids["model_id"])
    names = [e.path for e in store.list_model_artifacts(model)]
    assert "MLmodel" in names and "requirements.txt" in names
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        local = Path(mlflow.artifacts.download_artifacts(f"models:/{model.model_id}",
                                                         dst_path=str(tmp_path)))
    finally:
        mlflow.set_tracking_uri(previous)
    data = (local / "MLmodel").read_bytes()
    assert store.model_artifact_size(model, "MLmodel") == len(data)
    assert store.read_model_artifact_range(model, "MLmodel", 5, 40) == data[5:45]
    assert b"python_function" in store.read_model_artifact_range(model, "MLmodel", 0, 1 << 20)


def test_the_server_honours_ranges(served, monkeypatch):
    """MLflow 3.11+ serves Range: the bytes before a tail are never sent."""
    server, ids = served
    store = open_store(server.uri)
    skipped = []
    original = rest_client.RestClient._collect

    def spy(self, response, path, skip, length):
        skipped.append((response.status_code, skip))
        return original(self, response, path, skip, length)

    monkeypatch.setattr(rest_client.RestClient, "_collect", spy)
    size = store.artifact_size(ids["run_a"], "big/train-big.log")
    store.read_artifact_range(ids["run_a"], "big/train-big.log", size - 100, 100)
    assert skipped == [(206, 0)]
    store.close()


@pytest.mark.slow
def test_an_older_server_without_ranges_is_read_from_the_start(tmp_path, monkeypatch):
    """MLflow 3.10's proxy ignores Range: a range is read by skipping, up to MAX_SKIP."""
    from mlflow import MlflowClient

    from support.old_mlflow import venv_python
    from support.servers import MlflowServer

    server = MlflowServer(tmp_path, python=str(venv_python("3.10.1")))
    server.start()
    try:
        server.wait_ready()
        client = MlflowClient(server.uri)
        run = client.create_run(client.create_experiment("old")).info.run_id
        log = tmp_path / "train.log"
        log.write_text("".join(big_log_line(i) for i in range(3000)))
        client.log_artifact(run, str(log))
        data = log.read_bytes()
        store = open_store(server.uri)
        assert store.artifact_size(run, "train.log") == len(data)
        assert store.read_artifact_range(run, "train.log", 1000, 50) == data[1000:1050]
        monkeypatch.setattr(rest_artifacts, "MAX_SKIP", 10_000)
        with pytest.raises(StoreError, match="does not serve byte ranges"):
            store.read_artifact_range(run, "train.log", 50_000, 10)
        store.close()
    finally:
        server.stop()


# -- local failures -------------------------------------------------------------------------


def test_local_failures_are_one_line(tmp_path):
    root = tmp_path / "artifacts"
    (root / "sub").mkdir(parents=True)
    (root / "loop").symlink_to(root / "loop")
    (root / "sub" / "f.txt").write_text("x")
    reader = LocalArtifacts(root)
    assert [e.path for e in reader.entries("")] == ["sub", "loop"]
    with pytest.raises(StoreError, match="symbolic link loop"):
        reader.read("loop", 0, 10)
    with pytest.raises(StoreError, match="is a file, not a folder"):
        reader.entries("sub/f.txt")
    with pytest.raises(ResourceNotFound):
        reader.entries("gone")
    assert LocalArtifacts(tmp_path / "never-made").entries("") == []
    with pytest.raises(StoreError):
        clean_artifact_path("a/\x00b")


def test_permission_denied_is_one_line(tmp_path, monkeypatch):
    root = tmp_path / "artifacts"
    (root / "locked").mkdir(parents=True)
    (root / "secret.txt").write_text("x")
    if os.geteuid() == 0:  # root reads everything: the OS answers as it would for others
        def refuse(*_args, **_kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(artifacts_module, "open", refuse, raising=False)
        monkeypatch.setattr(artifacts_module.os, "scandir", refuse)
    else:
        os.chmod(root / "secret.txt", 0)
        os.chmod(root / "locked", 0)
    try:
        with pytest.raises(StoreError, match=r"Permission denied reading secret\.txt"):
            LocalArtifacts(root).read("secret.txt", 0, 10)
        with pytest.raises(StoreError, match="Permission denied reading locked"):
            LocalArtifacts(root).entries("locked")
    finally:
        os.chmod(root / "locked", 0o755)


def test_a_2gb_sparse_file_costs_its_ends(tmp_path):
    path = tmp_path / "huge.log"
    with open(path, "wb") as fh:
        fh.write(b"first line\n")
        fh.seek((2 << 30) - 10)
        fh.write(b"last line\n")
    reader = LocalArtifacts(tmp_path)
    assert reader.size("huge.log") == 2 << 30
    assert reader.read("huge.log", (2 << 30) - 10, 1 << 20) == b"last line\n"


def test_cloud_uris_name_the_extra_they_need(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if not installed
    with pytest.raises(StoreError, match=r"pip install 'mltui\[s3\]'"):
        reader_for("s3://bucket/1/abc/artifacts")
    with pytest.raises(StoreError, match=r"mltui\[gcs\]"):
        reader_for("gs://bucket/x")
    with pytest.raises(StoreError, match="--serve-artifacts"):
        reader_for("hdfs://nn/x")


# -- a hostile or failing server --------------------------------------------------------------


@pytest.fixture
def hostile_server(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with serving() as url:
        yield url


def test_a_hostile_listing_and_failing_downloads(hostile_server):
    store = open_store(hostile_server)
    paths = [e.path for e in store.list_artifacts("r1")]
    assert "../../etc/passwd" in paths  # listed as the server said, never read
    with pytest.raises(StoreError, match="Invalid artifact path"):
        store.read_artifact_range("r1", "../../etc/passwd", 0, 10)
    assert store.read_artifact_range("r1", "ok.txt", 1, 3) == b"ell"
    with pytest.raises(StoreError, match="HTTP 500") as failed:
        store.read_artifact_range("r1", "boom.txt", 0, 10)
    assert "\n" not in str(failed.value)
    with pytest.raises(ResourceNotFound):
        store.read_artifact_range("r1", "gone.txt", 0, 10)
    store.close()


# -- s3:// through fsspec, against moto's S3 server ---------------------------------------------


def test_s3_artifacts_through_fsspec(tmp_path, monkeypatch):
    """Artifacts MLflow logged to S3 (moto's server, as MinIO would be), read
    directly through the s3 extra with MLflow's own MLFLOW_S3_ENDPOINT_URL."""
    import boto3
    import moto.server as moto_server  # test dependencies: a missing one fails, never skips
    from mlflow import MlflowClient

    from mltui.views.artifacts import load_children, load_root
    from mltui.views.preview_types import TextPreview
    from mltui.views.previews import load_preview

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                            ("AWS_DEFAULT_REGION", "us-east-1"),
                            ("MLFLOW_S3_ENDPOINT_URL", endpoint)):
            monkeypatch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="mlflow")
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        client = MlflowClient(uri)
        exp = client.create_experiment("s3", artifact_location="s3://mlflow/exp")
        run = client.create_run(exp).info.run_id
        log = tmp_path / "train.log"
        log.write_text("".join(big_log_line(i) for i in range(50_000)))
        client.log_artifact(run, str(log), "logs")
        client.log_text(run, "hello", "notes/hi.txt")
        data = log.read_bytes()
        store = open_store(uri)
        assert [(e.path, e.is_dir) for e in store.list_artifacts(run)] == \
            [("logs", True), ("notes", True)]
        assert store.list_artifacts(run, "logs")[0].size == len(data)
        assert store.artifact_size(run, "logs/train.log") == len(data)
        assert store.read_artifact_range(run, "logs/train.log", len(data) - 30, 100) == \
            data[-30:]
        with pytest.raises(ResourceNotFound):
            store.read_artifact_range(run, "logs/nope.log", 0, 10)
        listing = load_root(store, run)
        logs = next(i for i in listing.items if i.path == "logs")
        preview = load_preview(load_children(logs)[0])
        assert isinstance(preview, TextPreview)
        assert preview.tail[-1] == big_log_line(49_999).rstrip("\n")
        store.close()
    finally:
        server.stop()
