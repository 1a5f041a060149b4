"""The builder object the scenarios fill in, and ``build_demo_store`` which runs them.

Scenarios create experiments and runs through ``DemoBuilder`` (which records them
as ``mlflow.create_experiment`` and ``mlflow.start_run`` would), log metric points on
the ``DemoRun`` records, add other rows directly to ``DemoBuilder.rows`` and write
artifact files into the build folder. Run rows are derived from the records at the
end, when every metric has been logged (``latest_metrics`` needs the last point).

The database is written with the stdlib ``sqlite3`` from the shipped schema; the
rows are laid out as MLflow's SQL store writes them, so ``MlflowClient`` opens the
result too (the tests check that). The scenarios are imported only when a build
runs: opening an existing demo must not pay for them.
"""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .curves import DAY, HOUR, Point
from .rows import Rows, sanitize
from .schema import MARKER, SCHEMA_FILE, marker_text, schema_mlflow_version


def random_hex(rng: random.Random, bits: int = 128) -> str:
    """``bits`` random bits as lowercase hex (ids, digests, git commits)."""
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID in hex, as MLflow makes run ids, drawn from ``rng``."""
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


@dataclass
class DemoExperiment:
    """An experiment of the demo, with what its runs inherit."""

    experiment_id: int
    name: str
    artifact_location: str
    """Where the artifacts are once the demo is in place (stored in the database)."""
    folder: Path
    """Where this experiment's artifacts are written during the build."""
    user: str
    """Who runs its experiments (``mlflow.user`` and the runs' ``user_id``)."""
    source: str
    """The script (or notebook) its runs come from."""
    source_type: str = "LOCAL"
    git: bool = True
    """Whether runs record a git commit (scripts in a repository do)."""


@dataclass
class DemoRun:
    """A run of the demo: its row, params, tags and the metric points logged so far."""

    run_id: str
    experiment: DemoExperiment
    name: str
    start: int
    end: int | None
    """None while the run is RUNNING."""
    status: str
    params: dict[str, str]
    tags: dict[str, str]
    histories: dict[str, list[Point]] = field(default_factory=dict)
    """key -> (step, timestamp, value) as logged."""
    deleted_time: int | None = None
    """When the run was deleted (``mlflow.delete_run``); None while it is active."""

    @property
    def artifact_uri(self) -> str:
        """The run's artifact URI as MLflow records it."""
        # MLflow's append_to_uri_path(experiment.artifact_location, run_id, "artifacts")
        return f"{self.experiment.artifact_location}/{self.run_id}/artifacts"

    @property
    def artifact_dir(self) -> Path:
        """Where the run's artifacts are written during the build."""
        return self.experiment.folder / self.run_id / "artifacts"

    def last(self, key: str) -> float:
        """The last logged value of metric ``key``."""
        return self.histories[key][-1][2]

    def log(self, key: str, points: Sequence[Point]) -> None:
        """Log metric points, as ``mlflow.log_metric`` calls in this order would."""
        self.histories.setdefault(key, []).extend(points)


class DemoBuilder:
    """Everything one build records: rows, runs, where files go and the build moment."""

    def __init__(self, folder: Path, location: Path, now: int) -> None:
        self.folder = folder
        """The build folder: artifacts are written under ``folder / "artifacts"``."""
        self.location = location
        """Where ``folder`` will live when used: paths in the database point there."""
        self.now = now
        """The build moment (ms); every time in the demo is relative to it."""
        self.rows = Rows()
        """Rows of every table but ``runs`` and their metrics, tags and params."""
        self.runs: dict[str, DemoRun] = {}
        """run id -> run, turned into rows by ``write``."""
        self.default_created = now - 16 * DAY - 3 * HOUR
        """When the Default experiment (created by the schema script) was made."""
        self.mlflow_version = schema_mlflow_version()
        """The mlflow version the demo claims to be written by (MLmodel files)."""
        self._next_experiment_id = 1

    def experiment(
        self,
        name: str,
        created: int,
        tags: dict[str, str],
        *,
        user: str,
        source: str,
        deleted_at: int | None = None,
        notebook: bool = False,
    ) -> DemoExperiment:
        """An experiment as ``mlflow.create_experiment`` records it (then deleted at
        ``deleted_at`` if given); ids count up from 1 in creation order."""
        eid = self._next_experiment_id
        self._next_experiment_id += 1
        exp = DemoExperiment(
            experiment_id=eid,
            name=name,
            artifact_location=f"{self.location}/artifacts/{eid}",
            folder=self.folder / "artifacts" / str(eid),
            user=user,
            source=source,
            source_type="NOTEBOOK" if notebook else "LOCAL",
            git=not notebook,
        )
        self.rows.add(
            "experiments",
            experiment_id=eid,
            name=name,
            artifact_location=exp.artifact_location,
            lifecycle_stage="deleted" if deleted_at else "active",
            creation_time=created,
            # MLflow bumps it on rename, delete and restore only.
            last_update_time=deleted_at or created,
        )
        self.rows.extend("experiment_tags", [(k, v, eid) for k, v in tags.items()])
        return exp

    def run(
        self,
        exp: DemoExperiment,
        name: str,
        rng: random.Random,
        span: tuple[int, int | None],
        status: str,
        params: Mapping[str, object],
        tags: dict[str, str] | None = None,
        parent: DemoRun | None = None,
    ) -> DemoRun:
        """A run as ``mlflow.start_run`` records it, over ``span`` = (start, end)."""
        start, end = span
        run_tags = {
            "mlflow.user": exp.user,
            "mlflow.source.name": exp.source,
            "mlflow.source.type": exp.source_type,
        }
        if exp.git:
            run_tags["mlflow.source.git.commit"] = random_hex(rng, 160)
        if parent is not None:
            run_tags["mlflow.parentRunId"] = parent.run_id
        run_tags.update(tags or {})
        run_tags["mlflow.runName"] = name
        run = DemoRun(
            run_id=random_uuid(rng),
            experiment=exp,
            name=name,
            start=start,
            end=end,
            status=status,
            # mlflow.log_param stores str(value)
            params={k: str(v) for k, v in params.items()},
            tags=run_tags,
        )
        self.runs[run.run_id] = run
        return run

    def _flush_runs(self) -> None:
        for run in self.runs.values():
            self.rows.add(
                "runs",
                run_uuid=run.run_id,
                name=run.name,
                # create_run always writes these; the real source lives in the tags.
                source_type="UNKNOWN",
                source_name="",
                entry_point_name="",
                user_id=run.experiment.user,
                status=run.status,
                start_time=run.start,
                end_time=run.end,
                source_version="",
                lifecycle_stage="deleted" if run.deleted_time else "active",
                artifact_uri=run.artifact_uri,
                experiment_id=run.experiment.experiment_id,
                deleted_time=run.deleted_time,
            )
            self.rows.extend("tags", [(k, v, run.run_id) for k, v in run.tags.items()])
            self.rows.extend("params", [(k, v, run.run_id) for k, v in run.params.items()])
            rid = run.run_id
            for key, pts in run.histories.items():
                logged = [(step, ts, *sanitize(raw)) for step, ts, raw in pts]
                self.rows.extend("metrics", [(key, v, ts, rid, s, nan) for s, ts, v, nan in logged])
                # _update_latest_metrics_if_necessary keeps the newest by (step, timestamp,
                # stored value): NaN compares as its stored 0.
                step, ts, value, is_nan = max(logged, key=lambda m: m[:3])
                self.rows.extend("latest_metrics", [(key, value, ts, step, is_nan, rid)])

    def write(self, conn: sqlite3.Connection) -> None:
        """Insert everything recorded into ``conn`` (which holds the empty schema)."""
        self._flush_runs()
        # The Default experiment is in the schema script with a placeholder location.
        conn.execute(
            "UPDATE experiments SET artifact_location = ?, creation_time = ?, "
            "last_update_time = ? WHERE experiment_id = 0",
            (f"{self.location}/artifacts/0", self.default_created, self.default_created),
        )
        self.rows.insert(conn)


def build_demo_store(
    folder: Path, now_ms: int | None = None, *, location: Path | None = None
) -> Path:
    """Write ``mlflow.db`` and ``artifacts/`` into ``folder``; return the database path.

    ``now_ms`` is the build moment (default: now); the content is the same for the
    same moment. ``location`` is where the folder will live when used (paths stored
    in the database point there); it defaults to ``folder``.
    """
    from .scenarios import generate

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "mlflow.db"
    if db.exists():
        raise FileExistsError(f"{db} already exists")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    demo = DemoBuilder(folder, Path(location or folder).absolute(), now)
    generate(demo)
    conn = sqlite3.connect(db)
    try:
        # A build is thrown away if it fails (it is renamed into place only when done),
        # so durability during the build buys nothing.
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.executescript(SCHEMA_FILE.read_text())
        demo.write(conn)
        conn.commit()
    finally:
        conn.close()
    (folder / MARKER).write_text(marker_text())
    return db
