"""The demo store behind ``mltui --demo``: an MLflow sqlite database plus artifacts.

It is written with the stdlib ``sqlite3`` module from ``mlflow_schema.sql`` (dumped
from the real mlflow by ``scripts/dump_mlflow_schema.py``), because mltui never
imports mlflow at run time. Rows are laid out as MLflow's SQL store writes them, so
``MlflowClient`` opens the result too (tests check that).

The content is meant to exercise every screen: nested sweeps, every run status,
long metric histories with spikes and plateaus, awkward keys, artifacts of every
previewable kind, and a registry with every stage, aliases and a hidden prompt.
Everything is deterministic (seeded per run) except that times are relative to
the moment of the build.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import random
import shutil
import sqlite3
import struct
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .errors import StoreError

SCHEMA_FILE = Path(__file__).with_name("mlflow_schema.sql")
DEMO_FORMAT = 1
"""Bump when the content changes: stores built by an older format are rebuilt."""
MARKER = ".mltui-demo"
"""File in the demo folder saying which format and schema built it."""

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MAX_FLOAT = 1.7976931348623157e308
"""How MLflow stores +/-inf (SQL has no infinity)."""

# Columns MLflow added over time; dropped when the shipped schema lacks them.
_OPTIONAL_COLUMNS = {"workspace", "storage_location", "deleted_time"}
_WORKSPACE = "default"

# Columns written per table, in MLflow's order.
_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(columns.split())
    for table, columns in {
        "experiments": (
            "experiment_id name artifact_location lifecycle_stage creation_time "
            "last_update_time workspace"
        ),
        "experiment_tags": "key value experiment_id",
        "runs": (
            "run_uuid name source_type source_name entry_point_name user_id status "
            "start_time end_time source_version lifecycle_stage artifact_uri experiment_id "
            "deleted_time"
        ),
        "tags": "key value run_uuid",
        "params": "key value run_uuid",
        "metrics": "key value timestamp run_uuid step is_nan",
        "latest_metrics": "key value timestamp step is_nan run_uuid",
        "logged_models": (
            "model_id experiment_id name artifact_location creation_timestamp_ms "
            "last_updated_timestamp_ms status lifecycle_stage model_type source_run_id "
            "status_message"
        ),
        "logged_model_tags": "model_id experiment_id tag_key tag_value",
        "logged_model_params": "model_id experiment_id param_key param_value",
        "logged_model_metrics": (
            "model_id metric_name metric_timestamp_ms metric_step metric_value "
            "experiment_id run_id dataset_uuid dataset_name dataset_digest"
        ),
        "inputs": "input_uuid source_type source_id destination_type destination_id step",
        "registered_models": "name creation_time last_updated_time description workspace",
        "registered_model_tags": "key value name workspace",
        "model_versions": (
            "name version creation_time last_updated_time description user_id "
            "current_stage source run_id status status_message run_link storage_location "
            "workspace"
        ),
        "model_version_tags": "key value name version workspace",
        "registered_model_aliases": "alias version name workspace",
    }.items()
}


# -- where the demo lives ------------------------------------------------------


def demo_folder() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("mltui")) / "demo"


def _marker_text() -> str:
    return f"format {DEMO_FORMAT}\nschema {schema_revision()}\n"


def _is_current(folder: Path) -> bool:
    try:
        marker = (folder / MARKER).read_text()
    except OSError:
        return False
    return marker == _marker_text() and (folder / "mlflow.db").is_file()


def ensure_demo_store(rebuild: bool = False) -> str:
    """The tracking URI of the demo store, built on first use (or when ``rebuild``).

    The store is built in a temporary folder next to its final place and renamed
    into it, under a lock: a crash leaves no half-built demo, and two processes
    starting at once build it once.
    """
    folder = demo_folder()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    if not rebuild and _is_current(folder):
        return uri
    try:
        _build_in_place(folder, rebuild)
    except OSError as exc:
        raise StoreError(f"Cannot build the demo store in {folder}: {exc}") from exc
    return uri


def _build_in_place(folder: Path, rebuild: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.parent / ".demo.lock"):
        if not rebuild and _is_current(folder):
            return  # another process built it while we waited
        # Leftovers of a build that was killed; nobody else builds while we hold the lock.
        for stale in [*folder.parent.glob(".demo-build-*"), *folder.parent.glob(".demo-old-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".demo-build-", dir=folder.parent))
        retired = folder.parent / f".demo-old-{os.getpid()}"
        try:
            build_demo_store(staging, location=folder)
            if folder.exists():
                folder.rename(retired)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the rename is the only guard
        yield
        return
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def schema_revision() -> str:
    """The alembic revision of the shipped schema (from its header line)."""
    with SCHEMA_FILE.open() as fh:
        header = fh.readline()
    return header.split("alembic revision ", 1)[-1].split(")", 1)[0].strip()


def _schema_mlflow_version() -> str:
    with SCHEMA_FILE.open() as fh:
        return fh.readline().split()[2]


def build_demo_store(
    folder: Path, now_ms: int | None = None, *, location: Path | None = None
) -> Path:
    """Write ``mlflow.db`` and ``artifacts/`` into ``folder``; return the database path.

    ``location`` is where the folder will live when used (paths stored in the
    database point there); it defaults to ``folder``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "mlflow.db"
    if db.exists():
        raise FileExistsError(f"{db} already exists")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    demo = _Demo(folder, Path(location or folder).absolute(), now)
    demo.generate()
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
    (folder / MARKER).write_text(_marker_text())
    return db


# -- the rows --------------------------------------------------------------------


@dataclass
class _Experiment:
    experiment_id: int
    name: str
    artifact_location: str
    folder: Path
    """Where this experiment's artifacts are written during the build."""
    user: str
    source: str
    """The script (or notebook) its runs come from."""
    source_type: str = "LOCAL"
    git: bool = True
    """Whether runs record a git commit (scripts in a repository do)."""


@dataclass
class _Run:
    run_id: str
    experiment: _Experiment
    name: str
    start: int
    end: int | None
    status: str
    params: dict[str, str]
    tags: dict[str, str]
    histories: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)
    """key -> (step, timestamp, value) as logged."""

    @property
    def artifact_uri(self) -> str:
        # MLflow's append_to_uri_path(experiment.artifact_location, run_id, "artifacts")
        return f"{self.experiment.artifact_location}/{self.run_id}/artifacts"

    @property
    def artifact_dir(self) -> Path:
        return self.experiment.folder / self.run_id / "artifacts"

    def last(self, key: str) -> float:
        return self.histories[key][-1][2]

    def log(self, key: str, points: Sequence[tuple[int, int, float]]) -> None:
        self.histories.setdefault(key, []).extend(points)


def _sanitize(value: float) -> tuple[float, int]:
    """(stored value, is_nan) as MLflow's SQL store writes a metric."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (MAX_FLOAT if value > 0 else -MAX_FLOAT), 0
    return value, 0


class _Rows:
    """Rows per table, inserted in one go at the end."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple]] = {name: [] for name in _COLUMNS}

    def add(self, table: str, **values) -> None:
        columns = _COLUMNS[table]
        if "workspace" in columns:
            values.setdefault("workspace", _WORKSPACE)
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"{table} has no column {sorted(unknown)}")
        self.tables[table].append(tuple(values.get(c) for c in columns))

    def extend(self, table: str, rows: Iterable[tuple]) -> None:
        """Rows as tuples in column order; a trailing ``workspace`` may be left out."""
        columns = _COLUMNS[table]
        default = (_WORKSPACE,) if columns[-1] == "workspace" else ()
        for row in rows:
            if len(row) == len(columns) - len(default):
                row = (*row, *default)
            if len(row) != len(columns):
                raise ValueError(f"{table} rows have {len(columns)} columns: {row!r}")
            self.tables[table].append(row)

    def insert(self, conn: sqlite3.Connection) -> None:
        for table, rows in self.tables.items():
            if not rows:
                continue
            present = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            columns = _COLUMNS[table]
            missing = set(columns) - present
            if missing - _OPTIONAL_COLUMNS:
                raise RuntimeError(f"the shipped schema lacks {table}.{sorted(missing)}")
            keep = [i for i, c in enumerate(columns) if c in present]
            if len(keep) != len(columns):
                rows = [tuple(r[i] for i in keep) for r in rows]
            names = ", ".join(f'"{columns[i]}"' for i in keep)
            marks = ", ".join("?" for _ in keep)
            conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


# -- curves ----------------------------------------------------------------------


def _curve(
    rng: random.Random,
    n: int,
    start: float,
    end: float,
    *,
    rate: float = 5.0,
    noise: float = 0.02,
    plateaus: Sequence[tuple[float, float]] = (),
    spikes: Sequence[tuple[int, float]] = (),
) -> list[float]:
    """A training curve from ``start`` towards ``end``: exponential progress with
    multiplicative noise; progress stalls inside ``plateaus`` (fractions of the run);
    ``spikes`` are (step, height) bumps that decay over about 1% of the run."""
    last = max(1, n - 1)
    stalled = [(int(a * last), int(b * last)) for a, b in plateaus]
    clock, t = [], 0.0
    for i in range(n):
        t += 0.08 if any(a <= i < b for a, b in stalled) else 1.0
        clock.append(t)
    total = clock[-1] if clock else 1.0
    width = max(1.0, n / 100)
    gauss, exp, k = rng.gauss, math.exp, -rate / total
    out = [(end + (start - end) * exp(k * c)) * (1 + gauss(0, noise)) for c in clock]
    for step, height in spikes:
        # a bump that has decayed to nothing after 20 widths
        for i in range(step, min(n, step + int(20 * width))):
            out[i] += height * exp(-(i - step) / width)
    return out


def _cosine_lr(n: int, peak: float, warmup: int) -> list[float]:
    out = []
    for i in range(n):
        if i < warmup:
            out.append(peak * (i + 1) / warmup)
        else:
            progress = (i - warmup) / max(1, n - warmup)
            out.append(peak * 0.5 * (1 + math.cos(math.pi * progress)))
    return out


def _points(
    values: Sequence[float], times: Sequence[int], every: int = 1, digits: int = 6
) -> list[tuple[int, int, float]]:
    """(step, timestamp, value) for steps 0, every, 2*every... (value i is step i),
    rounded to ``digits`` significant digits of the largest value (as a logger
    printing a fixed precision would)."""
    finite = [abs(v) for v in values if math.isfinite(v) and v]
    places = digits - 1 - math.floor(math.log10(max(finite))) if finite else digits
    return [
        (step, times[step], round(v, places) if math.isfinite(v) else v)
        for step, v in enumerate(values)
        if step % every == 0 or step == len(values) - 1
    ]


def _step_times(
    rng: random.Random, start: int, n: int, step_ms: int, limit: int | None = None
) -> list[int]:
    """Timestamps of ``n`` steps: roughly ``step_ms`` apart, jittered, increasing,
    squeezed to end before ``limit`` (a running job never logs in the future)."""
    out, t = [], start + rng.randint(2 * SECOND, 20 * SECOND)
    for _ in range(n):
        t += max(1, int(step_ms * rng.uniform(0.85, 1.15)))
        out.append(t)
    if limit is not None and out and out[-1] > limit:
        scale = (limit - start) / (out[-1] - start)
        out = [start + int((t - start) * scale) for t in out]
    return out


def _hex(rng: random.Random, bits: int = 128) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _run_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


# -- the demo ----------------------------------------------------------------------

FEATURES = (
    "amount,amount_log,amount_zscore_merchant,hour_of_day,day_of_week,is_weekend,"
    "merchant_category,merchant_country,card_present,card_age_days,customer_age,"
    "customer_tenure_days,txn_count_1h,txn_count_24h,txn_count_7d,amount_sum_1h,"
    "amount_sum_24h,amount_mean_30d,amount_std_30d,distinct_merchants_24h,"
    "distinct_countries_7d,seconds_since_last_txn,ip_risk_score,device_fingerprint_age_days,"
    "email_domain_risk,billing_shipping_match,cvv_match,avs_result,three_ds_result,"
    "chargeback_count_180d,velocity_ratio_1h_24h,amount_to_limit_ratio,is_first_merchant_txn,"
    "merchant_fraud_rate_30d,mcc_fraud_rate_30d,country_fraud_rate_30d"
)

LLAMA_8B = "meta-llama/Meta-Llama-3-8B-Instruct"
LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

SYSTEM_PROMPT = (
    "You are a support assistant for Acme Cloud. Answer only from the provided context. "
    "If the context does not contain the answer, say that you do not know and offer to open "
    "a ticket. Never reveal internal ticket IDs, employee names or pricing that is not on the "
    "public price list. Keep answers under 120 words, use bullet points for multi-step "
    "instructions, and always finish with a one-line summary. When a customer is angry, "
    "acknowledge the frustration first. When the question is about billing, include a link to "
    "https://acme.example/billing. When the question is about an outage, link the status page "
    "https://status.acme.example and do not speculate about causes. Respond in the language "
    "of the question; if it is mixed, respond in English. Format code in fenced blocks with a "
    "language tag. Do not use emojis unless the customer does. Refuse requests to write "
    "anything unrelated to Acme Cloud products."
)


class _Demo:
    def __init__(self, folder: Path, location: Path, now: int):
        self.folder = folder
        self.location = location
        self.now = now
        self.rows = _Rows()
        self.runs: dict[str, _Run] = {}
        self.next_experiment_id = 1
        self.default_created = now - 16 * DAY - 3 * HOUR
        self.mlflow_version = _schema_mlflow_version()
        self._deleted_runs: dict[str, int] = {}
        """run id -> deletion time"""

    # rows -------------------------------------------------------------------
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
    ) -> _Experiment:
        eid = self.next_experiment_id
        self.next_experiment_id += 1
        exp = _Experiment(
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
        exp: _Experiment,
        name: str,
        rng: random.Random,
        span: tuple[int, int | None],
        status: str,
        params: dict[str, object],
        tags: dict[str, str] | None = None,
        parent: _Run | None = None,
    ) -> _Run:
        """A run as ``mlflow.start_run`` records it, over ``span`` = (start, end)."""
        start, end = span
        run_tags = {
            "mlflow.user": exp.user,
            "mlflow.source.name": exp.source,
            "mlflow.source.type": exp.source_type,
        }
        if exp.git:
            run_tags["mlflow.source.git.commit"] = _hex(rng, 160)
        if parent is not None:
            run_tags["mlflow.parentRunId"] = parent.run_id
        run_tags.update(tags or {})
        run_tags["mlflow.runName"] = name
        run = _Run(
            run_id=_run_id(rng),
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
        deleted = self._deleted_runs
        for run in self.runs.values():
            deleted_at = deleted.get(run.run_id)
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
                lifecycle_stage="deleted" if deleted_at else "active",
                artifact_uri=run.artifact_uri,
                experiment_id=run.experiment.experiment_id,
                deleted_time=deleted_at,
            )
            self.rows.extend("tags", [(k, v, run.run_id) for k, v in run.tags.items()])
            self.rows.extend("params", [(k, v, run.run_id) for k, v in run.params.items()])
            rid = run.run_id
            for key, points in run.histories.items():
                logged = [(step, ts, *_sanitize(raw)) for step, ts, raw in points]
                self.rows.extend("metrics", [(key, v, ts, rid, s, nan) for s, ts, v, nan in logged])
                # _update_latest_metrics_if_necessary keeps the newest by (step, timestamp,
                # stored value): NaN compares as its stored 0.
                step, ts, value, is_nan = max(logged, key=lambda m: m[:3])
                self.rows.extend("latest_metrics", [(key, value, ts, step, is_nan, rid)])

    def write(self, conn: sqlite3.Connection) -> None:
        self._flush_runs()
        # The Default experiment is in the schema script with a placeholder location.
        conn.execute(
            "UPDATE experiments SET artifact_location = ?, creation_time = ?, "
            "last_update_time = ? WHERE experiment_id = 0",
            (f"{self.location}/artifacts/0", self.default_created, self.default_created),
        )
        self.rows.insert(conn)

    # content ----------------------------------------------------------------
    def generate(self) -> None:
        self._old_baselines()
        self._quickstart()
        fraud = self._fraud_detection()
        self._ctr_search()
        llm = self._llm_finetune()
        churn = self._churn_sweep()
        self._registry(fraud, churn, llm)

    def _old_baselines(self) -> None:
        created = self.now - 16 * DAY
        deleted_at = self.now - 12 * DAY
        exp = self.experiment(
            "old-baselines",
            created,
            {"mlflow.note.content": "Superseded by fraud-detection. Kept for reference."},
            user="alice",
            source="rules/evaluate.py",
            deleted_at=deleted_at,
        )
        for i, name in enumerate(("rules-v1", "rules-v2")):
            rng = random.Random(f"old-{name}")
            start = created + (i + 1) * HOUR
            params = {"threshold": 0.7 + i * 0.05, "rules": 12 + i * 5}
            run = self.run(exp, name, rng, (start, start + 4 * MINUTE), "FINISHED", params)
            run.log("recall", [(0, start + 3 * MINUTE, round(0.41 + i * 0.07, 4))])
            run.log("precision", [(0, start + 3 * MINUTE, round(0.58 - i * 0.03, 4))])
            # delete_experiment marks every run deleted at the same moment
            self._deleted_runs[run.run_id] = deleted_at

    def _quickstart(self) -> None:
        created = self.now - 15 * DAY
        exp = self.experiment(
            "quickstart",
            created,
            {
                "mlflow.note.content": "The MLflow tutorial: ElasticNet on the UCI wine quality "
                "data set. Start here.",
                "project": "onboarding",
            },
            user="alice",
            source="quickstart.ipynb",
            notebook=True,
        )
        rng = random.Random("quickstart-first")
        start = created + 20 * MINUTE
        first = self.run(
            exp, "my-first-run", rng, (start, start + 2 * SECOND), "FINISHED", {"param1": 5}
        )
        first.log("foo", [(s, start + 300 + s * 40, float(s * s)) for s in range(3)])
        rng = random.Random("quickstart-empty")
        t0 = start + 5 * MINUTE
        self.run(exp, "empty-run", rng, (t0, t0 + 800), "FINISHED", {})
        best = None
        for i, (alpha, l1) in enumerate(((0.5, 0.5), (0.2, 0.2), (0.1, 0.9), (0.01, 0.5))):
            rng = random.Random(f"quickstart-wine-{i}")
            t0 = start + (10 + i * 6) * MINUTE
            span = (t0, t0 + rng.randint(3, 9) * SECOND)
            params = {"alpha": alpha, "l1_ratio": l1}
            run = self.run(exp, f"wine-elasticnet-{i + 1}", rng, span, "FINISHED", params)
            rmse = 0.62 + alpha * 0.35 + l1 * 0.04 + rng.uniform(-0.01, 0.01)
            ts = t0 + 2 * SECOND
            run.log("rmse", [(0, ts, round(rmse, 6))])
            run.log("r2", [(0, ts, round(1 - rmse**2 / 0.65, 6))])
            run.log("mae", [(0, ts, round(rmse * 0.78, 6))])
            if best is None or rmse < best.last("rmse"):
                best = run
        assert best is not None
        self._model_folder(best, random.Random("quickstart-model"), ["fixed acidity", "pH"])

    # fraud detection -----------------------------------------------------------
    def _fraud_detection(self) -> dict[str, _Run]:
        created = self.now - 14 * DAY
        exp = self.experiment(
            "fraud-detection",
            created,
            {
                "mlflow.note.content": (
                    "# Card fraud detection\n\nGradient boosted trees on card transactions "
                    "(Oct 2024 snapshot, 0.35% positives).\n\n| split | rows | fraud |\n"
                    "| --- | ---: | ---: |\n| train | 4,812,330 | 16,842 |\n"
                    "| validation | 601,541 | 2,106 |\n\nPrimary metric: **val_auc**. "
                    "Latency budget: p95 under 15 ms."
                ),
                "team": "risk",
                "project": "payments-fraud",
                "data_version": "2024-10",
            },
            user="alice",
            source="fraud/train.py",
        )
        specs = [
            # name, status, boosting rounds, final val auc, hours after creation, params
            ("logreg-baseline", "FINISHED", 200, 0.912, 2, {"C": 1.0, "penalty": "l2"}),
            ("xgb-depth4", "FINISHED", 600, 0.951, 20, {"max_depth": 4}),
            ("xgb-depth6", "FINISHED", 800, 0.962, 44, {"max_depth": 6}),
            ("xgb-depth8", "FAILED", 350, 0.958, 70, {"max_depth": 8}),
            ("lgbm-leaves63", "FINISHED", 800, 0.957, 95, {"num_leaves": 63}),
            ("lgbm-leaves127", "FINISHED", 1000, 0.964, 120, {"num_leaves": 127}),
            ("xgb-depth6-smote", "FINISHED", 800, 0.955, 150, {"max_depth": 6, "smote": True}),
            ("lgbm-dart", "KILLED", 420, 0.949, 190, {"num_leaves": 63, "boosting": "dart"}),
            ("catboost-try", "FAILED", 40, 0.90, 200, {"depth": 6}),
            ("xgb-depth6-final", "FINISHED", 1000, 0.968, 230, {"max_depth": 6, "min_child": 5}),
        ]
        families = {
            "logreg": "logreg",
            "xgb": "xgboost",
            "lgbm": "lightgbm",
            "catboost": "catboost",
        }
        runs: dict[str, _Run] = {}
        for name, status, rounds, auc, hours, extra in specs:
            family = families[name.split("-")[0]]
            rng = random.Random(f"fraud-{name}")
            start = created + hours * HOUR + rng.randint(0, 40) * MINUTE
            round_ms = {"logreg": 900, "xgboost": 2600, "lightgbm": 1700, "catboost": 4000}[family]
            times = _step_times(rng, start, rounds, round_ms)
            end = times[-1] + rng.randint(20, 90) * SECOND
            params: dict[str, object] = {"model_type": family}
            if family != "logreg":
                params.update(
                    learning_rate=0.05,
                    n_estimators=rounds,
                    subsample=0.8,
                    colsample_bytree=0.7,
                    scale_pos_weight=28.5,
                    early_stopping_rounds=50,
                )
            params.update(extra)
            params.update(
                features=FEATURES,
                train_data="s3://risk-datalake/fraud/2024-10/train.parquet",
                class_weights="{0: 1.0, 1: 28.5}",
                random_state=42,
            )
            tags = {"model_family": family, "dataset_version": "2024-10"}
            run = self.run(exp, name, rng, (start, end), status, params, tags)
            spikes = [(int(rounds * 0.45), 0.05)] if family == "lightgbm" else []
            val_end = 0.045 + (0.97 - auc) * 0.9
            train = _curve(rng, rounds, 0.69, val_end * 0.7, rate=6, noise=0.004)
            val = _curve(
                rng,
                rounds,
                0.69,
                val_end,
                rate=5,
                noise=0.006,
                spikes=spikes,
                plateaus=[(0.35, 0.5)] if family == "xgboost" else (),
            )
            aucs = _curve(rng, rounds, 0.5, auc, rate=7, noise=0.0015)
            if name == "xgb-depth8":
                # the run died of an out-of-memory error after the loss blew up
                val[-3:] = [val[-4] * 3, math.inf, math.nan]
            run.log("train_logloss", _points(train, times))
            run.log("val/loss", _points(val, times))
            run.log("val_auc", _points([min(a, 0.999) for a in aucs], times))
            if status == "FINISHED":
                ts = end - 10 * SECOND
                recall = 0.55 + (auc - 0.9) * 4
                precision = 0.62 + (auc - 0.9) * 3
                for key, value in (
                    ("precision", precision),
                    ("recall", recall),
                    ("f1", 2 * precision * recall / (precision + recall)),
                    (
                        "p95 latency (ms)",
                        {"logreg": 1.2, "xgboost": 8.5, "lightgbm": 6.1}.get(family, 11.0)
                        * rng.uniform(0.9, 1.1),
                    ),
                ):
                    run.log(key, [(0, ts, round(value, 5))])
            runs[name] = run
            if name == "catboost-try":
                self._deleted_runs[run.run_id] = start + 3 * HOUR
            elif status != "KILLED":
                self._fraud_artifacts(run, rng)
        self._logged_model(runs["xgb-depth6-final"])
        return runs

    def _fraud_artifacts(self, run: _Run, rng: random.Random) -> None:
        lines = []
        val = run.histories["val/loss"]
        train = run.histories["train_logloss"]
        aucs = run.histories["val_auc"]
        for (step, ts, v), (_, _, t), (_, _, a) in zip(val, train, aucs, strict=True):
            if step % 10 == 0 or step == val[-1][0]:
                lines.append(
                    f"{_log_time(ts)} INFO  [{step:4d}]  train-logloss:{t:.5f}  "
                    f"validation-logloss:{v:.5f}  validation-auc:{a:.5f}"
                )
        if run.status == "FAILED":
            lines += [
                f"{_log_time(val[-1][1])} WARNING validation-logloss is inf",
                f"{_log_time(val[-1][1] + 2100)} ERROR Traceback (most recent call last):",
                '  File "fraud/train.py", line 212, in <module>',
                "    booster = xgb.train(params, dtrain, num_boost_round=n, evals=evals)",
                "xgboost.core.XGBoostError: std::bad_alloc: out of memory",
            ]
        else:
            lines.append(
                f"{_log_time(val[-1][1] + 1500)} INFO  Stopping. Best iteration: "
                f"[{val[-1][0] - 50}]"
            )
        self._write(run, "train.log", "\n".join(lines) + "\n")
        self._write(
            run,
            "config.yaml",
            _yaml(
                {
                    "model": {
                        k: _yaml_value(v)
                        for k, v in run.params.items()
                        if k not in ("features", "train_data")
                    },
                    "features": run.params["features"].split(","),
                    "data": {"train": run.params["train_data"], "label": "is_fraud"},
                },
                sort_keys=False,
            ),
        )
        self._write(
            run,
            "plots/loss_curve.png",
            _line_chart([[v for _, _, v in train], [v for _, _, v in val]]),
        )
        if run.status != "FINISHED":
            return
        tn, fp, fn, tp = 599_020, 415, 610, 1_496
        self._write(
            run,
            "metrics/confusion.json",
            json.dumps(
                {
                    "labels": ["legit", "fraud"],
                    "matrix": [[tn, fp], [fn, tp]],
                    "threshold": 0.42,
                    "normalized": [
                        [round(tn / (tn + fp), 5), round(fp / (tn + fp), 5)],
                        [round(fn / (fn + tp), 5), round(tp / (fn + tp), 5)],
                    ],
                },
                indent=2,
            )
            + "\n",
        )
        self._write(run, "plots/confusion_matrix.png", _heatmap([[tn, fp], [fn, tp]]))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["transaction_id", "amount", "merchant_category", "y_true", "y_score", "y_pred"]
        )
        for _ in range(500):
            fraud = rng.random() < 0.08
            score = min(
                0.999, max(0.001, rng.betavariate(5, 2) if fraud else rng.betavariate(1, 12))
            )
            writer.writerow(
                [
                    f"tx_{rng.getrandbits(40):010x}",
                    f"{rng.lognormvariate(3.5, 1.2):.2f}",
                    rng.choice(["5411", "5812", "5999", "4829", "7995", "5732"]),
                    int(fraud),
                    f"{score:.4f}",
                    int(score >= 0.42),
                ]
            )
        self._write(run, "predictions.csv", out.getvalue())
        self._write(
            run,
            "README.md",
            (
                f"# {run.name}\n\n{run.params['model_type']} model for card fraud.\n\n"
                "## Results\n\n| metric | value |\n| --- | ---: |\n"
                f"| val_auc | {run.last('val_auc'):.4f} |\n"
                f"| precision | {run.last('precision'):.4f} |\n"
                f"| recall | {run.last('recall'):.4f} |\n\n"
                "## Reproduce\n\n```bash\npython fraud/train.py --config config.yaml\n```\n\n"
                "- threshold chosen on validation for 0.1% false positive rate\n"
                "- see `plots/` for curves and `metrics/confusion.json`\n"
            ),
        )
        self._model_folder(run, rng, ["amount", "hour_of_day", "merchant_category"])

    def _logged_model(self, run: _Run) -> None:
        """An MLflow 3 logged model (``mlflow.sklearn.log_model(name="fraud-xgb")``) for
        ``run``. Not named "model": MLflow would merge its files into the run's ``model/``."""
        rng = random.Random(f"logged-{run.run_id}")
        exp = run.experiment
        model_id = f"m-{_hex(rng)}"
        created = run.end - 40 * SECOND if run.end else run.start
        location = f"{exp.artifact_location}/models/{model_id}/artifacts"
        self.rows.add(
            "logged_models",
            model_id=model_id,
            experiment_id=exp.experiment_id,
            name="fraud-xgb",
            artifact_location=location,
            creation_timestamp_ms=created,
            last_updated_timestamp_ms=created + 1500,
            status=2,
            lifecycle_stage="active",
            model_type=None,
            source_run_id=run.run_id,
            status_message=None,
        )
        eid = exp.experiment_id
        # log_model copies the source tags and the run's params onto the model
        sources = [k for k in run.tags if k.startswith("mlflow.source.") or k == "mlflow.user"]
        self.rows.extend("logged_model_tags", [(model_id, eid, k, run.tags[k]) for k in sources])
        self.rows.extend(
            "logged_model_params", [(model_id, eid, k, v) for k, v in run.params.items()]
        )
        metrics = []
        for key in ("val_auc", "precision", "recall"):
            step, ts, value = run.histories[key][-1]
            metrics.append((model_id, key, ts, step, value, eid, run.run_id, None, None, None))
        self.rows.extend("logged_model_metrics", metrics)
        self.rows.extend(
            "inputs", [(_hex(rng), "RUN_OUTPUT", run.run_id, "MODEL_OUTPUT", model_id, 0)]
        )
        folder = exp.folder / "models" / model_id / "artifacts"
        columns = ["amount", "hour_of_day", "merchant_category"]
        self._model_files(folder, run, rng, columns, artifact_path=location, model_id=model_id)

    # big flat search --------------------------------------------------------------
    def _ctr_search(self) -> None:
        created = self.now - 9 * DAY
        exp = self.experiment(
            "ctr-random-search",
            created,
            {
                "mlflow.note.content": "Random search for the click-through-rate model: 1,500 "
                "trials, one metric point each. Sort by `metrics.auc`.",
                "team": "ads",
            },
            user="dana",
            source="ctr/random_search.py",
        )
        rng = random.Random("ctr")
        t = created + 2 * HOUR
        for i in range(1500):
            t += rng.randint(60, 420) * SECOND
            lr = 10 ** rng.uniform(-4.5, -1.5)
            emb = rng.choice([8, 16, 32, 64])
            layers = rng.choice(["[256, 128]", "[512, 256, 128]", "[128, 64]", "[1024, 512]"])
            dropout = round(rng.uniform(0.0, 0.5), 2)
            failed = rng.random() < 0.03
            params = {
                "lr": f"{lr:.3g}",
                "embedding_dim": emb,
                "layers": layers,
                "dropout": dropout,
                "batch_size": rng.choice([1024, 2048, 4096]),
            }
            span = (t, t + rng.randint(40, 300) * SECOND)
            status = "FAILED" if failed else "FINISHED"
            run = self.run(exp, f"rs-{i:04d}", rng, span, status, params)
            if failed:
                continue
            quality = -abs(math.log10(lr) + 3) * 0.01 - abs(dropout - 0.2) * 0.02 + emb * 0.0002
            auc = 0.775 + quality + rng.gauss(0, 0.004)
            ts = run.end - 2 * SECOND
            run.log("auc", [(0, ts, round(auc, 5))])
            run.log("logloss", [(0, ts, round(0.47 - (auc - 0.75) * 1.1, 5))])
            run.log("train time s", [(0, ts, round((run.end - run.start) / 1000 - 3, 1))])

    # LLM fine-tuning ----------------------------------------------------------------
    def _llm_finetune(self) -> dict[str, _Run]:
        created = self.now - 10 * DAY
        exp = self.experiment(
            "llm-finetune",
            created,
            {
                "mlflow.note.content": (
                    "LoRA fine-tuning of open 7-8B models on 48k support conversations.\n\n"
                    "* eval every 100 steps on 2k held-out conversations\n"
                    "* 8x A100 80GB, bf16, DeepSpeed ZeRO-2"
                ),
                "team": "assistant",
                "gpu": "8xA100-80GB",
                "owner": "chen",
            },
            user="chen",
            source="finetune/train_lora.py",
        )
        llama, mistral = LLAMA_8B, "mistralai/Mistral-7B-Instruct-v0.3"
        specs = [
            # name, base model, lora rank, status, steps done (of 3000), start, seconds a step
            ("llama3-8b-lora-r16", llama, 16, "FINISHED", 3000, self.now - 9 * DAY, 11),
            ("llama3-8b-lora-r64", llama, 64, "FINISHED", 3000, self.now - 6 * DAY, 13),
            ("mistral-7b-qlora", mistral, 32, "KILLED", 1400, self.now - 4 * DAY, 9),
            ("llama3-8b-lora-r16-longctx", llama, 16, "RUNNING", 0, self.now - 52 * MINUTE, 14),
        ]
        planned = 3000
        runs: dict[str, _Run] = {}
        for name, base, rank, status, steps, start, step_seconds in specs:
            rng = random.Random(f"llm-{name}")
            step_ms = step_seconds * SECOND
            if status == "RUNNING":
                steps = max(2, (self.now - start - 3 * MINUTE) // step_ms)
            times = _step_times(rng, start + 2 * MINUTE, steps, step_ms, self.now - SECOND)
            end = None if status == "RUNNING" else times[-1] + rng.randint(30, 200) * SECOND
            params = {
                "base_model": base,
                "lora_r": rank,
                "lora_alpha": rank * 2,
                "lora_dropout": 0.05,
                "target_modules": str(LORA_MODULES),
                "learning_rate": 0.0002,
                "lr_scheduler_type": "cosine",
                "warmup_steps": 100,
                "max_steps": planned,
                "per_device_train_batch_size": 4,
                "gradient_accumulation_steps": 8,
                "max_seq_length": 8192 if "longctx" in name else 2048,
                "bf16": True,
                "dataset": "s3://assistant-data/support-conversations/v7/train.jsonl",
                "system_prompt": SYSTEM_PROMPT,
            }
            tags = {
                "note": "données nettoyées ✓ · 日本語と中文のサンプル含む · 🚀",
                "hardware": "8× A100 80GB",
                "mlflow.note.content": f"LoRA r={rank} on {base}.",
            }
            run = self.run(exp, name, rng, (start, end), status, params, tags)
            spikes = [(1800, 0.9)] if rank == 64 else []
            plateaus = [(0.3, 0.47)] if name.startswith("mistral") else []
            final = {16: 0.92, 64: 0.86, 32: 1.05}[rank]
            # curves for the full plan, cut at the steps done so far
            loss = _curve(
                rng, planned, 2.6, final, rate=6, noise=0.05, spikes=spikes, plateaus=plateaus
            )[:steps]
            lr = _cosine_lr(planned, 0.0002, 100)[:steps]
            grad_spikes = [(s, 6.0) for s, _ in spikes] + [(int(planned * 0.12), 2.5)]
            grad = _curve(rng, planned, 4.0, 0.35, rate=8, noise=0.25, spikes=grad_spikes)
            grad = [abs(g) for g in grad[:steps]]
            val_spikes = [(s, 0.4) for s, _ in spikes]
            val = _curve(rng, planned, 2.5, final + 0.09, rate=5.5, noise=0.01, spikes=val_spikes)
            val = val[:steps]
            speed = 22_500 if "longctx" in name else 31_000
            tps = [rng.gauss(speed, 600) for _ in range(steps)]
            run.log("train_loss", _points(loss, times))
            run.log("learning_rate", _points(lr, times))
            run.log("grad_norm", _points(grad, times, digits=4))
            run.log("val_loss", _points(val, times, every=100))
            run.log("eval/perplexity", _points([math.exp(v) for v in val], times, every=100))
            run.log("tokens per second", _points(tps, times, every=10))
            runs[name] = run
            self._llm_artifacts(run, rng)
        return runs

    def _llm_artifacts(self, run: _Run, rng: random.Random) -> None:
        loss = run.histories["train_loss"]
        val = {s: v for s, _, v in run.histories["val_loss"]}
        lr = run.histories["learning_rate"]
        lines = [
            f"{_log_time(run.start + 5 * SECOND)} INFO Loading {run.params['base_model']}",
            f"{_log_time(run.start + 90 * SECOND)} INFO trainable params: "
            f"{int(run.params['lora_r']) * 2_621_440:,} || all params: 8,030,261,248",
        ]
        for (step, ts, v), (_, _, rate) in zip(loss, lr, strict=True):
            if step % 10 == 0:
                line = f"{_log_time(ts)} INFO step {step:5d} | loss {v:.4f} | lr {rate:.3e}"
                if step in val:
                    line += f" | eval_loss {val[step]:.4f}"
                lines.append(line)
        if run.status == "KILLED":
            lines.append(
                f"{_log_time(loss[-1][1] + 4000)} WARNING Received SIGTERM, "
                "saving checkpoint and exiting"
            )
        self._write(run, "train.log", "\n".join(lines) + "\n")
        self._write(
            run,
            "config.yaml",
            _yaml(
                {k: _yaml_value(v) for k, v in run.params.items()},
                sort_keys=False,
                width=100,
                allow_unicode=True,
            ),
        )
        self._write(
            run,
            "README.md",
            (
                f"# {run.name}\n\nLoRA adapter for **{run.params['base_model']}**.\n\n"
                "| setting | value |\n| --- | --- |\n"
                f"| rank | {run.params['lora_r']} |\n| alpha | {run.params['lora_alpha']} |\n"
                f"| max steps | {run.params['max_steps']} |\n\n"
                "> Evaluated with the support-eval harness; see `train.log`.\n"
            ),
        )
        self._write(
            run,
            "plots/loss_curve.png",
            _line_chart([[v for _, _, v in loss], [v for _, _, v in run.histories["val_loss"]]]),
        )
        self._write(
            run,
            "adapter/adapter_config.json",
            json.dumps(
                {
                    "base_model_name_or_path": run.params["base_model"],
                    "peft_type": "LORA",
                    "task_type": "CAUSAL_LM",
                    "r": int(run.params["lora_r"]),
                    "lora_alpha": int(run.params["lora_alpha"]),
                    "lora_dropout": 0.05,
                    "target_modules": LORA_MODULES,
                },
                indent=2,
            )
            + "\n",
        )
        self._write(run, "adapter/adapter_model.safetensors", rng.randbytes(2048))

    # nested sweep -------------------------------------------------------------------
    def _churn_sweep(self) -> dict[str, _Run]:
        rng = random.Random("churn-sweep")
        trials = []
        for _ in range(30):
            trials.append(
                {
                    "lr": 10 ** rng.uniform(-4, -1),
                    "batch_size": rng.choice([32, 64, 128, 256]),
                    "optimizer": rng.choice(["adam", "adamw", "sgd"]),
                    "depth": rng.randint(2, 8),
                    "hidden_units": rng.choice([64, 128, 256, 512]),
                    "dropout": round(rng.uniform(0.0, 0.5), 2),
                    "weight_decay": rng.choice([0.0, 1e-05, 0.0001, 0.001]),
                }
            )
        trials[7].update(lr=0.0871, optimizer="sgd")  # diverges
        trials[19].update(lr=0.0642, optimizer="adam")  # diverges
        epochs = 60
        running = {27: 4 * MINUTE, 28: 11 * MINUTE, 29: 17 * MINUTE}
        fates = {7: ("FAILED", 9), 19: ("FAILED", 14), 13: ("KILLED", 21)}
        # 3 workers run trials k, k+3, k+6... back to back; the last round runs now.
        schedule: dict[int, tuple[int, int, int]] = {}  # k -> (start, epochs, epoch ms)
        for worker in range(3):
            next_start = None
            for k in reversed(range(worker, 30, 3)):
                epoch_ms = (4 + trials[k]["depth"] // 3) * MINUTE * 64 // trials[k]["batch_size"]
                epoch_ms = max(50 * SECOND, min(epoch_ms, 6 * MINUTE))
                if k in running:
                    start = self.now - running[k]
                    done = max(1, min(epochs, (running[k] - 20 * SECOND) // epoch_ms))
                else:
                    done = fates.get(k, ("FINISHED", epochs))[1]
                    assert next_start is not None
                    start = next_start - rng.randint(8, 40) * SECOND - done * epoch_ms
                schedule[k] = (start, done, epoch_ms)
                next_start = start
        parent_start = min(s for s, _, _ in schedule.values()) - 45 * SECOND
        exp = self.experiment(
            "churn-sweep",
            min(self.now - 3 * DAY, parent_start - 2 * HOUR),
            {
                "mlflow.note.content": (
                    "Hyperparameter sweep for the churn classifier (TPE, 30 trials, 3 workers).\n"
                    "Trials are nested under the study run. Objective: maximise val_auc."
                ),
                "team": "growth",
                "sweep": "churn-v2",
            },
            user="bob",
            source="churn/sweep.py",
        )
        study = {
            "n_trials": 30,
            "sampler": "TPESampler",
            "seed": 42,
            "n_workers": 3,
            "objective": "val_auc",
            "direction": "maximize",
        }
        note = {"mlflow.note.content": "Optuna study; every trial is a child run."}
        prng = random.Random("churn-parent")
        parent = self.run(
            exp, "tpe-study-churn-v2", prng, (parent_start, None), "RUNNING", study, note
        )
        children: dict[str, _Run] = {}
        finished: list[tuple[int, float]] = []  # (end time, val auc)
        for k in range(30):
            trng = random.Random(f"churn-trial-{k}")
            start, done, epoch_ms = schedule[k]
            status = "RUNNING" if k in running else fates.get(k, ("FINISHED", 0))[0]
            times = _step_times(trng, start, done, epoch_ms, self.now - SECOND)
            end = None if status == "RUNNING" else times[-1] + trng.randint(5, 30) * SECOND
            p = trials[k]
            quality = (
                0.885
                - 0.02 * abs(math.log10(p["lr"]) + 2.5)
                - 0.004 * abs(p["depth"] - 5)
                + (0.006 if p["optimizer"] == "adamw" else 0.0)
                - 0.01 * abs(p["dropout"] - 0.2)
                + trng.gauss(0, 0.004)
            )
            params = {**p, "epochs": epochs, "trial_number": k}
            tags = {"optuna.trial": str(k)}
            child = self.run(
                exp, f"trial-{k:03d}", trng, (start, end), status, params, tags, parent
            )
            # Curves for the full 60 epochs, cut at the epochs done.
            val_floor = 0.52 - (quality - 0.8) * 1.5
            overfit = 0.06 + p["depth"] * 0.01
            train = _curve(trng, epochs, 0.69, val_floor - overfit, rate=4, noise=0.01)[:done]
            plateaus = [(0.4, 0.55)] if k % 4 == 0 else []
            val = _curve(trng, epochs, 0.69, val_floor, rate=4, noise=0.012, plateaus=plateaus)
            val = val[:done]
            auc = _curve(trng, epochs, 0.6, quality, rate=4.5, noise=0.002)[:done]
            acc = [0.71 + (a - 0.6) * 0.75 for a in auc]
            lr = [p["lr"] * (0.5 ** (e // 20)) for e in range(done)]
            if status == "FAILED":
                train[-2:] = [math.inf, math.nan]
                val[-2:] = [val[-3] * 4.2, math.nan]
            child.log("train_loss", _points(train, times))
            child.log("val_loss", _points(val, times))
            child.log("val_auc", _points(auc, times))
            child.log("accuracy", _points(acc, times))
            child.log("learning_rate", _points(lr, times))
            children[child.name] = child
            config = {"trial": k, "params": {n: _yaml_value(v) for n, v in child.params.items()}}
            self._write(child, "config.yaml", _yaml(config, sort_keys=False))
            if status == "FINISHED":
                finished.append((end or 0, max(auc)))
        best = -1.0
        for i, (ts, value) in enumerate(sorted(finished)):
            best = max(best, value)
            parent.log("best_val_auc", [(i, ts, round(best, 6))])
            parent.log("completed_trials", [(i, ts, float(i + 1))])
        return children

    # registry -----------------------------------------------------------------------
    def _registry(
        self, fraud: dict[str, _Run], churn: dict[str, _Run], llm: dict[str, _Run]
    ) -> None:
        # Churn versions come from the best finished trials; they need a model folder.
        ranked = sorted(
            (r for r in churn.values() if r.status == "FINISHED"),
            key=lambda r: max(v for _, _, v in r.histories["val_auc"]),
        )
        for run in ranked[-4:]:
            self._model_folder(
                run,
                random.Random(f"model-{run.name}"),
                ["tenure_months", "monthly_spend", "support_tickets_90d"],
            )
        self._model_folder(
            llm["llama3-8b-lora-r16"], random.Random("model-llm"), ["prompt"], flavor="transformers"
        )
        self._registered_model(
            "fraud-detector",
            description=(
                "# Fraud detector\n\nScores card transactions in real time (p95 < 15 ms).\n\n"
                "* **champion** serves 100% of traffic\n* **challenger** runs in shadow mode\n\n"
                "Owner: risk team (#risk-ml on Slack)."
            ),
            tags={"team": "risk", "owner": "alice", "pii": "false", "tier": "critical"},
            versions=[
                (
                    fraud["logreg-baseline"],
                    "Archived",
                    "Baseline logistic regression.",
                    {"validation_status": "approved"},
                ),
                (
                    fraud["xgb-depth4"],
                    "Archived",
                    "First boosted model.",
                    {"validation_status": "approved"},
                ),
                (
                    fraud["xgb-depth6"],
                    "Production",
                    "Depth 6, shipped in November.",
                    {"validation_status": "approved", "approved_by": "risk-review"},
                ),
                (
                    fraud["xgb-depth6-final"],
                    "Staging",
                    "Tuned depth 6; shadow traffic.",
                    {"validation_status": "approved", "shadow_auc": "0.9671"},
                ),
                (
                    fraud["lgbm-leaves127"],
                    "None",
                    "LightGBM candidate, awaiting review.",
                    {"validation_status": "pending"},
                ),
            ],
            aliases={"champion": 3, "challenger": 4},
        )
        top = sorted(ranked[-4:], key=lambda r: r.end or 0)  # registered as they finished
        self._registered_model(
            "churn-classifier",
            description="Monthly churn propensity for the retention campaigns.\n\n"
            "Trained by the `churn-sweep` study; see the nested trials.",
            tags={"team": "growth", "owner": "bob"},
            versions=[
                (top[0], "Archived", "Trial from the first sweep rounds.", {}),
                (
                    top[1],
                    "Production",
                    "Best trial of the first day.",
                    {"validation_status": "approved"},
                ),
                (top[2], "Staging", "", {"validation_status": "approved"}),
                (top[3], "None", "Best trial so far.", {"validation_status": "pending"}),
            ],
            aliases={"champion": 2, "challenger": 4},
        )
        self._registered_model(
            "support-assistant-lora",
            description="LoRA adapter for the support assistant.",
            tags={"team": "assistant"},
            versions=[(llm["llama3-8b-lora-r16"], "Staging", "r=16 adapter.", {})],
            aliases={},
        )
        self._prompt()

    def _registered_model(
        self,
        name: str,
        *,
        description: str,
        tags: dict[str, str],
        versions: list[tuple[_Run, str, str, dict[str, str]]],
        aliases: dict[str, int],
    ) -> None:
        # Versions are registered one after the other, each some minutes after its run
        # ended; a stage transition bumps the version and the model (MLflow does too).
        first = versions[0][0]
        created = last_updated = made = (first.end or self.now) + 10 * MINUTE
        for number, (run, stage, text, vtags) in enumerate(versions, start=1):
            made = max(made + MINUTE, (run.end or self.now) + 12 * MINUTE)
            made = min(made, self.now - (len(versions) - number + 2) * MINUTE)
            changed = made if stage == "None" else min(made + 3 * HOUR, self.now - MINUTE)
            last_updated = max(last_updated, changed)
            # the source MLflow records for models:/ URIs built from runs:/<id>/model
            source = f"{run.artifact_uri}/model"
            self._version(
                name, number, made, changed, stage, source, run.run_id, text or None, vtags
            )
        self.rows.extend("registered_models", [(name, created, last_updated, description)])
        self.rows.extend("registered_model_tags", [(k, v, name) for k, v in tags.items()])
        self.rows.extend("registered_model_aliases", [(a, v, name) for a, v in aliases.items()])

    def _prompt(self) -> None:
        """A prompt as ``mlflow.genai.register_prompt`` stores it: a registered model
        with the prompt tag (hidden from model listings by default)."""
        name = "support-triage-prompt"
        created = self.now - 5 * DAY
        templates = [
            "Classify the support ticket into one of: billing, outage, how-to, other.\n\n"
            "Ticket: {{ticket}}",
            "You triage support tickets. Reply with exactly one label from: billing, outage, "
            "how-to, account, other.\n\nTicket: {{ticket}}\nLabel:",
        ]
        made = created
        for number, template in enumerate(templates, start=1):
            made = created + (number - 1) * 2 * DAY
            tags = {
                "mlflow.prompt.is_prompt": "true",
                "mlflow.prompt.text": template,
                "_mlflow_prompt_type": "text",
            }
            # the commit message is the version description; prompts have no run
            message = "Stricter label set" if number == 2 else None
            self._version(name, number, made, made, "None", "dummy-source", None, message, tags)
        self.rows.extend("registered_models", [(name, created, made, None)])
        self.rows.extend("registered_model_tags", [("mlflow.prompt.is_prompt", "true", name)])
        self.rows.extend("registered_model_aliases", [("production", 2, name)])

    def _version(
        self,
        name: str,
        number: int,
        made: int,
        changed: int,
        stage: str,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: dict[str, str],
    ) -> None:
        """A model version row as ``create_model_version`` writes it (then moved to
        ``stage`` at ``changed``): no user id, READY, storage location = source."""
        self.rows.add(
            "model_versions",
            name=name,
            version=number,
            creation_time=made,
            last_updated_time=changed,
            description=description,
            user_id=None,
            current_stage=stage,
            source=source,
            run_id=run_id,
            status="READY",
            status_message=None,
            run_link=None,
            storage_location=source,
        )
        self.rows.extend("model_version_tags", [(k, v, name, number) for k, v in tags.items()])

    # artifacts ----------------------------------------------------------------------
    def _write(self, run: _Run, relpath: str, data: str | bytes) -> None:
        _write_file(run.artifact_dir / relpath, data)

    def _model_folder(
        self, run: _Run, rng: random.Random, columns: list[str], flavor: str = "sklearn"
    ) -> None:
        self._model_files(run.artifact_dir / "model", run, rng, columns, flavor=flavor)

    def _model_files(
        self,
        folder: Path,
        run: _Run,
        rng: random.Random,
        columns: list[str],
        *,
        flavor: str = "sklearn",
        artifact_path: str = "model",
        model_id: str | None = None,
    ) -> None:
        """A model folder as ``mlflow.<flavor>.log_model`` writes it."""
        blob = b"\x80\x05\x95" + rng.randbytes(4000)
        created = datetime.fromtimestamp(
            ((run.end or self.now) - 30 * SECOND) / 1000, tz=timezone.utc
        )
        flavors: dict[str, dict] = {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": f"mlflow.{flavor}",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": "3.11.7",
            },
        }
        if flavor == "sklearn":
            flavors["sklearn"] = {
                "code": None,
                "pickled_model": "model.pkl",
                "serialization_format": "cloudpickle",
                "sklearn_version": "1.5.2",
            }
        else:
            flavors[flavor] = {
                "code": None,
                "task": "text-generation",
                "transformers_version": "4.46.3",
                "peft_adaptor": "peft",
            }
        text = {"prompt": "How do I rotate my API key?", "merchant_category": "5812"}
        inputs = [
            {"type": "string" if c in text else "double", "name": c, "required": True}
            for c in columns
        ]
        mlmodel = {
            "artifact_path": artifact_path,
            "flavors": flavors,
            "mlflow_version": self.mlflow_version,
            "model_size_bytes": len(blob),
            "model_uuid": model_id or uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            "run_id": run.run_id,
            "saved_input_example_info": {
                "artifact_path": "input_example.json",
                "type": "dataframe",
                "pandas_orient": "split",
            },
            "signature": {
                "inputs": json.dumps(inputs),
                "outputs": json.dumps(
                    [{"type": "string" if flavor != "sklearn" else "long", "required": True}]
                ),
                "params": None,
            },
            "utc_time_created": created.strftime("%Y-%m-%d %H:%M:%S.%f"),
        }
        if model_id:
            mlmodel["model_id"] = model_id
        requirements = [
            f"mlflow=={self.mlflow_version}",
            "cloudpickle==3.1.0",
            "numpy==1.26.4",
            "pandas==2.2.3",
        ]
        requirements += (
            ["scikit-learn==1.5.2", "scipy==1.14.1"]
            if flavor == "sklearn"
            else ["torch==2.5.1", "transformers==4.46.3", "peft==0.13.2"]
        )
        row = [text.get(c, round(rng.uniform(0, 100), 2)) for c in columns]
        example = {"columns": columns, "data": [row]}
        files: dict[str, str | bytes] = {
            "MLmodel": _yaml(mlmodel),
            "requirements.txt": "\n".join(requirements),
            "conda.yaml": _yaml(
                {
                    "channels": ["conda-forge"],
                    "dependencies": ["python=3.11.7", "pip<=24.2", {"pip": requirements}],
                    "name": "mlflow-env",
                },
            ),
            "python_env.yaml": _yaml(
                {
                    "python": "3.11.7",
                    "build_dependencies": ["pip==24.2", "setuptools==75.1.0", "wheel"],
                    "dependencies": ["-r requirements.txt"],
                },
                sort_keys=False,
            ),
            "input_example.json": json.dumps(example),
            "model.pkl": blob,
        }
        for relpath, data in files.items():
            _write_file(folder / relpath, data)


def _write_file(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def _yaml(data: object, **options) -> str:
    """YAML text, with libyaml's emitter when available (5x faster)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    options.setdefault("default_flow_style", False)
    return yaml.dump(data, Dumper=dumper, **options)


def _yaml_value(text: str) -> object:
    """A param string back to the number or bool it was logged from (config files)."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _log_time(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{ms % 1000:03d}"


# -- PNG ---------------------------------------------------------------------------

_PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]


def _png(width: int, height: int, rgb: bytes | bytearray) -> bytes:
    """An 8-bit RGB PNG (no filter), enough for a valid image without PIL."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _line_chart(series: list[list[float]], width: int = 480, height: int = 300) -> bytes:
    """Series drawn as lines over a light grid (each stretched to the full width)."""
    pixels = bytearray(b"\xff" * (width * height * 3))
    stride, margin = width * 3, 24

    def hline(y: int, x0: int, x1: int, color: bytes) -> None:
        pixels[y * stride + x0 * 3 : y * stride + x1 * 3] = color * (x1 - x0)

    def vline(x: int, y0: int, y1: int, color: bytes) -> None:
        for y in range(min(y0, y1), max(y0, y1) + 1):
            pixels[y * stride + x * 3 : y * stride + x * 3 + 3] = color

    for gy in range(margin, height - margin, (height - 2 * margin) // 5):
        hline(gy, margin, width - margin, b"\xe4\xe4\xe4")
    hline(height - margin, margin, width - margin, b"\x5a\x5a\x5a")
    vline(margin, margin, height - margin, b"\x5a\x5a\x5a")
    finite = [v for s in series for v in s if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (hi - lo) or 1.0
    plot_w, plot_h = width - 2 * margin - 3, height - 2 * margin - 3
    for n, values in enumerate(series):
        color = bytes(_PALETTE[n % len(_PALETTE)])
        prev = None
        for x, v in _per_column(values, plot_w):
            if not math.isfinite(v):
                prev = None
                continue
            x += margin + 1
            y = height - margin - 2 - round((v - lo) * plot_h / span)
            if prev is None:
                vline(x, y, y + 1, color)
            elif x - prev[0] <= 1:  # dense series: a vertical stroke per column
                vline(x, prev[1], y, color)
            else:
                steps = max(abs(x - prev[0]), abs(y - prev[1]))
                for i in range(steps + 1):
                    px = prev[0] + (x - prev[0]) * i // steps
                    vline(
                        px,
                        prev[1] + (y - prev[1]) * i // steps,
                        prev[1] + (y - prev[1]) * i // steps + 1,
                        color,
                    )
            prev = (x, y)
    return _png(width, height, pixels)


def _per_column(values: list[float], columns: int) -> list[tuple[int, float]]:
    """(column, value) for drawing: the lowest and highest value of each pixel column
    in step order, so a 3,000-point curve costs a few hundred segments and keeps spikes."""
    last = max(1, len(values) - 1)
    buckets: dict[int, list[tuple[int, float]]] = {}
    for i, v in enumerate(values):
        buckets.setdefault(round(i * columns / last), []).append((i, v))
    out = []
    for x, points in buckets.items():
        finite = [p for p in points if math.isfinite(p[1])]
        if len(finite) < len(points):
            out.append((x, math.nan))  # break the line at inf / NaN
        if finite:
            low, high = min(finite, key=lambda p: p[1]), max(finite, key=lambda p: p[1])
            out.extend((x, v) for _, v in sorted({low, high}))
    return out


def _heatmap(matrix: list[list[int]], cell: int = 120) -> bytes:
    """A confusion matrix as blue cells, darker for larger shares of their row."""
    rows, cols = len(matrix), len(matrix[0])
    width, height = cols * cell, rows * cell
    pixels = bytearray(width * height * 3)
    for r, row in enumerate(matrix):
        total = sum(row) or 1
        for c, value in enumerate(row):
            share = value / total
            color = bytes((int(247 - 239 * share), int(251 - 203 * share), int(255 - 148 * share)))
            for y in range(r * cell, (r + 1) * cell):
                border = y % cell in (0, cell - 1)
                start = (y * width + c * cell) * 3
                line = (b"\xff\xff\xff" if border else color) * cell
                pixels[start : start + cell * 3] = line
    return _png(width, height, pixels)
