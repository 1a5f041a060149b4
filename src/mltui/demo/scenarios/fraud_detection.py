"""``fraud-detection``: ten boosted-tree and baseline runs on card transactions.

The experiment the registry's ``fraud-detector`` versions come from. Its runs have
long per-round histories (train and validation loss, AUC) with a plateau or a spike
by model family, a run that blew up to inf and NaN before failing, a killed run, a
failed run that was deleted, final scores with awkward keys (``val/loss``,
``p95 latency (ms)``), a 1,000-character ``features`` param, and an MLflow 3
logged model for the final run. Artifacts are in ``fraud_artifacts``.
"""

from __future__ import annotations

import math
import random

from ..builder import DemoBuilder, DemoRun, random_hex
from ..curves import DAY, HOUR, MINUTE, SECOND, curve, points, step_times
from ..models import model_files
from .fraud_artifacts import fraud_artifacts

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
"""The ``features`` param: one long comma-separated value, as scripts often log it."""

NOTE = (
    "# Card fraud detection\n\nGradient boosted trees on card transactions "
    "(Oct 2024 snapshot, 0.35% positives).\n\n| split | rows | fraud |\n"
    "| --- | ---: | ---: |\n| train | 4,812,330 | 16,842 |\n"
    "| validation | 601,541 | 2,106 |\n\nPrimary metric: **val_auc**. "
    "Latency budget: p95 under 15 ms."
)
"""The experiment's description, in Markdown with a table."""

SPECS: list[tuple[str, str, int, float, int, dict[str, object]]] = [
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
"""The runs, in the order they were started."""

FAMILIES = {"logreg": "logreg", "xgb": "xgboost", "lgbm": "lightgbm", "catboost": "catboost"}
"""Run name prefix -> the ``model_type`` param."""
ROUND_MS = {"logreg": 900, "xgboost": 2600, "lightgbm": 1700, "catboost": 4000}
"""Milliseconds a boosting round (or solver iteration) takes, per family."""


def fraud_detection(demo: DemoBuilder) -> dict[str, DemoRun]:
    """Record ``fraud-detection`` (created 14 days ago); return its runs by name."""
    created = demo.now - 14 * DAY
    exp = demo.experiment(
        "fraud-detection",
        created,
        {
            "mlflow.note.content": NOTE,
            "team": "risk",
            "project": "payments-fraud",
            "data_version": "2024-10",
        },
        user="alice",
        source="fraud/train.py",
    )
    runs: dict[str, DemoRun] = {}
    for name, status, rounds, auc, hours, extra in SPECS:
        family = FAMILIES[name.split("-")[0]]
        rng = random.Random(f"fraud-{name}")
        start = created + hours * HOUR + rng.randint(0, 40) * MINUTE
        times = step_times(rng, start, rounds, ROUND_MS[family])
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
        run = demo.run(exp, name, rng, (start, end), status, params, tags)
        spikes = [(int(rounds * 0.45), 0.05)] if family == "lightgbm" else []
        val_end = 0.045 + (0.97 - auc) * 0.9
        train = curve(rng, rounds, 0.69, val_end * 0.7, rate=6, noise=0.004)
        val = curve(
            rng,
            rounds,
            0.69,
            val_end,
            rate=5,
            noise=0.006,
            spikes=spikes,
            plateaus=[(0.35, 0.5)] if family == "xgboost" else (),
        )
        aucs = curve(rng, rounds, 0.5, auc, rate=7, noise=0.0015)
        if name == "xgb-depth8":
            # the run died of an out-of-memory error after the loss blew up
            val[-3:] = [val[-4] * 3, math.inf, math.nan]
        run.log("train_logloss", points(train, times))
        run.log("val/loss", points(val, times))
        run.log("val_auc", points([min(a, 0.999) for a in aucs], times))
        if status == "FINISHED":
            _final_scores(run, family, auc, end, rng)
        runs[name] = run
        if name == "catboost-try":
            run.deleted_time = start + 3 * HOUR
        elif status != "KILLED":
            fraud_artifacts(demo, run, rng)
    _logged_model(demo, runs["xgb-depth6-final"])
    return runs


def _final_scores(run: DemoRun, family: str, auc: float, end: int, rng: random.Random) -> None:
    """One point each of the scores a finished run logs after training."""
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


def _logged_model(demo: DemoBuilder, run: DemoRun) -> None:
    """An MLflow 3 logged model (``mlflow.sklearn.log_model(name="fraud-xgb")``) for
    ``run``. Not named "model": MLflow would merge its files into the run's ``model/``."""
    rng = random.Random(f"logged-{run.run_id}")
    exp = run.experiment
    model_id = f"m-{random_hex(rng)}"
    created = run.end - 40 * SECOND if run.end else run.start
    location = f"{exp.artifact_location}/models/{model_id}/artifacts"
    demo.rows.add(
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
    demo.rows.extend("logged_model_tags", [(model_id, eid, k, run.tags[k]) for k in sources])
    demo.rows.extend("logged_model_params", [(model_id, eid, k, v) for k, v in run.params.items()])
    metrics: list[tuple[object, ...]] = []
    for key in ("val_auc", "precision", "recall"):
        step, ts, value = run.histories[key][-1]
        metrics.append((model_id, key, ts, step, value, eid, run.run_id, None, None, None))
    demo.rows.extend("logged_model_metrics", metrics)
    demo.rows.extend(
        "inputs", [(random_hex(rng), "RUN_OUTPUT", run.run_id, "MODEL_OUTPUT", model_id, 0)]
    )
    folder = exp.folder / "models" / model_id / "artifacts"
    columns = ["amount", "hour_of_day", "merchant_category"]
    model_files(demo, folder, run, rng, columns, artifact_path=location, model_id=model_id)
