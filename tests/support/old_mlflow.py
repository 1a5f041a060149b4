"""Older MLflow releases in their own virtualenvs, for the compatibility tests.

Teams run tracking servers older than the ``mlflow`` the tests install: a
server rejects what its release does not know (``IS NULL`` before 3.11, for
one). ``tests/store/test_old_servers.py`` runs mltui against the real thing:

- :func:`venv_python` makes (once) a virtualenv holding one of
  :data:`OLD_MLFLOWS` under ``.cache/mlflow-venvs/<version>`` in the repo
  root, with the pins of that release's era (MLflow 2.9 breaks with today's
  SQLAlchemy). A stamp records what it was made with; other pins rebuild it.
  It is made from PyPI by ``pip``: about two minutes each on a fresh machine,
  nothing afterwards. A failed build raises (the tests fail, never skip).
- :func:`populated_store` runs this file with that venv's python: the old
  ``MlflowClient`` fills a sqlite store (:func:`fill`) and reads everything
  back (:func:`dump`) into ``dump.json``, cached beside the venvs per release
  and per content of this file.
- :func:`old_client` runs this file in the venv to read a model back after
  mltui wrote to it (:func:`read_registry`).
- :func:`prepare` starts all of that for several releases at once.

Everything below "inside the old venv" runs under the old MLflow with only the
standard library and that MLflow: this module imports nothing else at the top.

``python tests/old_mlflow.py build OUTDIR`` / ``registry URI NAME OUTFILE`` are
the commands the venv's python runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_ROOT = ROOT / ".cache" / "mlflow-venvs"
STORE_ROOT = Path(os.environ.get("MLTUI_TEST_CACHE", ROOT / ".cache" / "test-stores"))
"""Where the filled stores go: beside ``builders.py``'s."""

OLD_MLFLOWS: dict[str, tuple[str, ...]] = {
    # Dec 2023; pip's picks of today break it (SQLAlchemy 2.1 dropped a pool class
    # its server imports): see scripts/make_legacy_fixture.py PERIOD_PINS
    "2.9.2": ("sqlalchemy<2.1", "alembic<1.14", "numpy<2", "pandas<2.2"),
    # the last 3.x before IS NULL in run filters (3.11); held at what it was
    # tested with, so that a later SQLAlchemy or pandas cannot break it the same way
    "3.10.1": ("sqlalchemy<2.2", "alembic<1.21", "numpy<2.5", "pandas<2.4"),
}
"""MLflow releases (and their dependency pins) the compatibility tests run."""

BUILD_TIMEOUT = 1800
"""Seconds one ``pip install`` may take (a cold cache on a slow mirror)."""

T0 = 1_700_000_000_000
"""Start time of the first run (ms); every run starts a second after the previous,
so the server's default order (start_time DESC) has no ties."""
LONG_STEPS = 3000
"""Points of the long history: more than one ``get-history-bulk-interval`` answer."""
SPIKES = {700: 50.0, 701: -50.0, 2222: 1e6}


def _env() -> dict[str, str]:
    """Our environment without MLflow settings or this venv's paths."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {k: v for k, v in os.environ.items()
            if not k.startswith("MLFLOW_") and k not in drop}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time (pytest-xdist workers, parallel sessions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _run(command: list[str], what: str, **kwargs) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=_env(),
                              timeout=BUILD_TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-4000:]
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{output}")


# -- the virtualenvs ------------------------------------------------------------------


def _stamp(version: str) -> dict:
    return {
        "mlflow": version,
        "pins": list(OLD_MLFLOWS[version]),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "base": sys.base_prefix,
    }


def venv_python(version: str) -> Path:
    """The python of a virtualenv holding ``mlflow==version`` and its pins (made
    now if missing or made with other pins). Raises RuntimeError with pip's output
    when it cannot be made."""
    venv = VENV_ROOT / version
    python = venv / "bin" / "python"
    stamp_file = venv / "mltui-stamp.json"
    stamp = _stamp(version)
    with _locked(VENV_ROOT / f"{version}.lock"):
        try:
            if json.loads(stamp_file.read_text()) == stamp and python.exists():
                return python
        except (OSError, ValueError):
            pass
        # half made, or made for other pins: start over
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], f"python -m venv {venv}")
        _run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
              f"mlflow=={version}", *stamp["pins"]], f"pip install mlflow=={version}")
        _run([str(python), "-c", f"import mlflow; assert mlflow.__version__ == {version!r}"],
             f"import mlflow {version}")
        stamp_file.write_text(json.dumps(stamp))
    return python


# -- the stores its client makes --------------------------------------------------------


def _fingerprint(version: str) -> str:
    text = Path(__file__).read_bytes() + json.dumps(_stamp(version)).encode()
    return hashlib.sha1(text).hexdigest()[:12]


def populated_store(version: str) -> Path:
    """A folder with ``mlflow.db`` filled by MLflow ``version``'s own client and
    ``dump.json``, what that client reads back. Made once; never modify it."""
    python = venv_python(version)
    target = STORE_ROOT / f"old-mlflow-{version}-{_fingerprint(version)}"
    with _locked(STORE_ROOT / f"old-mlflow-{version}.lock"):
        if (target / "done").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f"old-mlflow-{version}-", dir=STORE_ROOT))
        try:
            _run([str(python), __file__, "build", str(work)],
                 f"filling a store with MLflow {version}", cwd=work)
            (work / "done").write_text("ok")
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


_background: dict[str, threading.Thread] = {}


def prepare(versions: Iterable[str]) -> None:
    """Start making the venvs and stores of ``versions`` in background threads, so
    that a session needing several builds them side by side (about the time of the
    slowest, not the sum). Each build still holds its lock: whoever asks for it
    next waits for it. Errors are left for that caller, who builds again and
    raises. The threads are not daemons: the interpreter waits for a build rather
    than leave pip half done."""

    def build(version: str) -> None:
        with contextlib.suppress(Exception):
            populated_store(version)

    for version in versions:
        if version not in _background:
            _background[version] = threading.Thread(
                target=build, args=(version,), name=f"mlflow-{version}")
            _background[version].start()


def old_client(version: str, *args: str) -> dict:
    """Run a command of this file (``registry URI NAME``) with MLflow ``version``'s
    client; its JSON answer."""
    python = venv_python(version)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        _run([str(python), __file__, *args, str(out)], f"MLflow {version}: {args[0]}", cwd=tmp)
        return json.loads(out.read_text())


# -- inside the old venv -----------------------------------------------------------------


def fill(uri: str) -> None:
    """Two experiments and a deleted one; a sweep parent with nested children (one
    RUNNING), an orphan whose parent was deleted, a deleted run, a RUNNING run, a
    long history with spikes; three registered models (one to write to, one with no
    versions) with stages and aliases. Only API that MLflow 2.9 and 3.x share."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient(uri)
    clock = iter(range(T0, T0 + 10**9, 1000))

    def experiment(name: str, **tags: str) -> str:
        return client.create_experiment(
            name, artifact_location=f"file:///old-mlflow-artifacts/{name}", tags=tags or None
        )

    def run(exp: str, name: str, parent: str | None = None, **tags: str) -> str:
        if parent:
            tags["mlflow.parentRunId"] = parent
        return client.create_run(exp, start_time=next(clock), tags=tags,
                                 run_name=name).info.run_id

    def end(run_id: str, status: str = "FINISHED") -> None:
        client.set_terminated(run_id, status, end_time=next(clock))

    sweep = experiment("sweep", team="ml", **{"mlflow.note.content": "An LR sweep"})
    parent = run(sweep, "sweep-parent", kind="parent")
    client.log_param(parent, "search", "grid")
    end(parent)
    statuses = ["FINISHED", "FINISHED", "FAILED", "KILLED", "RUNNING"]
    for i, (lr, opt) in enumerate(
        [("0.1", "adam"), ("0.01", "adam"), ("0.001", "sgd"), ("0.01", "sgd"), ("0.0001", "adam")]
    ):
        child = run(sweep, f"child-{i}", parent, kind="child")
        ts = T0 + i * 100_000
        metrics = [Metric("loss", 1.0 / (s + 1) + i * 0.01, ts + s * 10, s) for s in range(30)]
        metrics += [Metric("acc", 0.5 + i * 0.1, ts, 0), Metric("val/loss", 0.3 - i * 0.02, ts, 0)]
        client.log_batch(child, metrics=metrics,
                         params=[Param("lr", lr), Param("optimizer", opt)],
                         tags=[RunTag("owner", "alice" if i % 2 else "bob")])
        if statuses[i] != "RUNNING":
            end(child, statuses[i])
    solo = run(sweep, "solo-run")
    client.log_batch(solo, metrics=[Metric("acc", 0.65, T0, 0)], params=[Param("lr", "0.01")])
    end(solo)
    gone_parent = run(sweep, "deleted-parent")
    end(gone_parent)
    orphan = run(sweep, "orphan", gone_parent)
    client.log_metric(orphan, "acc", 0.4, timestamp=T0, step=0)
    end(orphan)
    client.delete_run(gone_parent)
    gone = run(sweep, "deleted-run")
    client.log_metric(gone, "acc", 0.99, timestamp=T0, step=0)
    end(gone)
    client.delete_run(gone)
    long_run = run(sweep, "long-history")
    values = [math.sin(s / 50) for s in range(LONG_STEPS)]
    for step, value in SPIKES.items():
        values[step] = value
    points = [Metric("loss", v, T0 + s, s) for s, v in enumerate(values)]
    for start in range(0, len(points), 1000):  # log_batch takes 1000 metrics at most
        client.log_batch(long_run, metrics=points[start : start + 1000])
    end(long_run)
    live = run(sweep, "live-run")
    for s in range(3):
        client.log_metric(live, "loss", 1.0 - s * 0.1, timestamp=T0 + s, step=s)

    other = experiment("other")
    for name in ("other-a", "other-b"):
        rid = run(other, name)
        client.log_metric(rid, "acc", 0.5, timestamp=T0, step=0)
        end(rid)
    old = experiment("old-experiment")
    end(run(old, "old-run"))
    client.delete_experiment(old)

    children = client.search_runs([sweep], "tags.kind = 'child'",
                                  order_by=["attributes.run_name"])
    client.create_registered_model("old-model", tags={"team": "risk"},
                                   description="Made by an older MLflow")
    for i, stage in enumerate(["Archived", "Production", "Staging", "None"]):
        child = children[i]
        mv = client.create_model_version(
            "old-model", f"{child.info.artifact_uri}/model", run_id=child.info.run_id,
            tags={"validated": str(i % 2 == 0).lower()}, description=f"version {i + 1}",
        )
        if stage != "None":
            client.transition_model_version_stage("old-model", mv.version, stage)
    client.set_registered_model_alias("old-model", "champion", "2")
    client.set_registered_model_alias("old-model", "challenger", "3")
    client.create_registered_model("write-model")
    for i in range(3):
        mv = client.create_model_version("write-model", f"s3://bucket/write/{i}", run_id=None)
        if i == 0:
            client.transition_model_version_stage("write-model", mv.version, "Production")
    client.set_registered_model_alias("write-model", "champion", "1")
    client.create_registered_model("empty-model")


def _num(value: float):
    """JSON has no NaN or infinities: spelled as MLflow's REST API spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _version_record(client, name: str, version) -> dict:
    mv = client.get_model_version(name, str(version))
    return {
        "name": mv.name,
        "version": int(mv.version),
        "current_stage": mv.current_stage,
        "description": mv.description or "",
        "source": mv.source,
        "run_id": mv.run_id or "",
        "status": mv.status,
        "tags": dict(mv.tags),
        "aliases": sorted(getattr(mv, "aliases", None) or []),
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
    }


def read_registry(uri: str, name: str) -> dict:
    """One registered model and its versions, as this client reads them."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    model = client.get_registered_model(name)
    versions = client.search_model_versions(f"name = '{name}'")
    return {
        "name": model.name,
        "description": model.description or "",
        "tags": dict(model.tags),
        "aliases": {a: int(v) for a, v in (model.aliases or {}).items()},
        "latest_versions": sorted(int(mv.version) for mv in model.latest_versions),
        "versions": sorted((_version_record(client, name, mv.version) for mv in versions),
                           key=lambda v: v["version"]),
    }


def dump(uri: str) -> dict:
    """What this MLflow's client reads from the store: experiments, every run, every
    metric history, a few searches, the registry."""
    import importlib.metadata

    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri)
    out: dict = {
        "mlflow": mlflow.__version__,
        "made_by": {p: importlib.metadata.version(p) for p in ("mlflow", "sqlalchemy", "alembic")},
        "experiments": [],
        "runs": [],
        "histories": {},
        "searches": {},
        "registered_models": [],
    }
    exps = sorted(client.search_experiments(view_type=ViewType.ALL),
                  key=lambda e: int(e.experiment_id))
    for e in exps:
        out["experiments"].append({
            "experiment_id": e.experiment_id,
            "name": e.name,
            "artifact_location": e.artifact_location,
            "lifecycle_stage": e.lifecycle_stage,
            "tags": dict(e.tags),
        })
    ids = [e.experiment_id for e in exps]
    for r in client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000):
        info, data = r.info, r.data
        out["runs"].append({
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "user_id": info.user_id,
            "lifecycle_stage": info.lifecycle_stage,
            "artifact_uri": info.artifact_uri,
            "metrics": {m.key: {"value": _num(m.value), "timestamp": m.timestamp, "step": m.step}
                        for m in data._metric_objs},
            "params": dict(data.params),
            "tags": dict(data.tags),
        })
        for key in data.metrics:
            history = client.get_metric_history(info.run_id, key)
            out["histories"][f"{info.run_id}/{key}"] = [
                [m.step, m.timestamp, _num(m.value)]
                for m in sorted(history, key=lambda m: (m.step, m.timestamp))
            ]
    sweep = client.get_experiment_by_name("sweep").experiment_id
    parent = client.search_runs([sweep], "attributes.run_name = 'sweep-parent'")[0].info.run_id
    searches = {
        "active": ("", None, ViewType.ACTIVE_ONLY),
        "all": ("", None, ViewType.ALL),
        "deleted": ("", None, ViewType.DELETED_ONLY),
        "lr": ("params.lr = '0.01'", None, ViewType.ACTIVE_ONLY),
        "acc": ("metrics.acc > 0.6", ["metrics.acc DESC"], ViewType.ACTIVE_ONLY),
        "children": (f"tags.`mlflow.parentRunId` = '{parent}'", None, ViewType.ACTIVE_ONLY),
        "nested": ("tags.`mlflow.parentRunId` LIKE '%'", None, ViewType.ALL),
        "owner": ("tags.owner ILIKE 'ALICE'", ["attributes.run_name"], ViewType.ACTIVE_ONLY),
    }
    for label, (text, order_by, view) in searches.items():
        found = client.search_runs([sweep], text, run_view_type=view, max_results=1000,
                                   order_by=order_by)
        out["searches"][label] = {
            "filter": text,
            "order_by": order_by or [],
            "view": {ViewType.ACTIVE_ONLY: "active", ViewType.ALL: "all",
                     ViewType.DELETED_ONLY: "deleted"}[view],
            "run_ids": [r.info.run_id for r in found],
        }
    for model in sorted(client.search_registered_models(), key=lambda m: m.name):
        out["registered_models"].append(read_registry(uri, model.name))
    return out


def build(outdir: str) -> None:
    """Fill ``OUTDIR/mlflow.db`` and write ``OUTDIR/dump.json``."""
    os.chdir(outdir)  # the Default experiment's artifact root is ./mlruns
    uri = f"sqlite:///{Path(outdir).resolve() / 'mlflow.db'}"
    fill(uri)
    Path(outdir, "dump.json").write_text(json.dumps(dump(uri), indent=1, sort_keys=True))


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "build":
        build(*rest)
    elif command == "registry":
        uri, name, out_file = rest
        Path(out_file).write_text(json.dumps(read_registry(uri, name)))
    else:
        raise SystemExit(f"unknown command {command!r}")
