"""The artifacts of a ``fraud-detection`` run: one file of every previewable kind.

A training log (with a traceback when the run failed), the run's config as YAML, a
loss-curve PNG; and for finished runs a confusion matrix as JSON and as a heatmap
PNG, 500 predictions as CSV, a Markdown README and the ``model/`` folder.
"""

from __future__ import annotations

import csv
import io
import json
import random

from ..builder import DemoBuilder, DemoRun
from ..curves import log_time
from ..files import to_yaml, write_artifact, yaml_value
from ..images import heatmap, line_chart
from ..models import model_folder

CONFUSION = (599_020, 415, 610, 1_496)
"""tn, fp, fn, tp on the validation split, at the chosen threshold."""


def fraud_artifacts(demo: DemoBuilder, run: DemoRun, rng: random.Random) -> None:
    """Write ``run``'s artifacts; its metric histories must be logged already."""
    _train_log(run)
    write_artifact(
        run,
        "config.yaml",
        to_yaml(
            {
                "model": {
                    k: yaml_value(v)
                    for k, v in run.params.items()
                    if k not in ("features", "train_data")
                },
                "features": run.params["features"].split(","),
                "data": {"train": run.params["train_data"], "label": "is_fraud"},
            },
            sort_keys=False,
        ),
    )
    train = run.histories["train_logloss"]
    val = run.histories["val/loss"]
    write_artifact(
        run, "plots/loss_curve.png", line_chart([[v for _, _, v in train], [v for _, _, v in val]])
    )
    if run.status != "FINISHED":
        return
    tn, fp, fn, tp = CONFUSION
    write_artifact(
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
    write_artifact(run, "plots/confusion_matrix.png", heatmap([[tn, fp], [fn, tp]]))
    write_artifact(run, "predictions.csv", _predictions(rng))
    write_artifact(
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
    model_folder(demo, run, rng, ["amount", "hour_of_day", "merchant_category"])


def _train_log(run: DemoRun) -> None:
    """``train.log`` as xgboost prints it every 10 rounds, ending as the run ended."""
    lines = []
    val = run.histories["val/loss"]
    train = run.histories["train_logloss"]
    aucs = run.histories["val_auc"]
    for (step, ts, v), (_, _, t), (_, _, a) in zip(val, train, aucs, strict=True):
        if step % 10 == 0 or step == val[-1][0]:
            lines.append(
                f"{log_time(ts)} INFO  [{step:4d}]  train-logloss:{t:.5f}  "
                f"validation-logloss:{v:.5f}  validation-auc:{a:.5f}"
            )
    if run.status == "FAILED":
        lines += [
            f"{log_time(val[-1][1])} WARNING validation-logloss is inf",
            f"{log_time(val[-1][1] + 2100)} ERROR Traceback (most recent call last):",
            '  File "fraud/train.py", line 212, in <module>',
            "    booster = xgb.train(params, dtrain, num_boost_round=n, evals=evals)",
            "xgboost.core.XGBoostError: std::bad_alloc: out of memory",
        ]
    else:
        lines.append(
            f"{log_time(val[-1][1] + 1500)} INFO  Stopping. Best iteration: [{val[-1][0] - 50}]"
        )
    write_artifact(run, "train.log", "\n".join(lines) + "\n")


def _predictions(rng: random.Random) -> str:
    """500 validation predictions as CSV (8% fraud, scores from two beta laws)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["transaction_id", "amount", "merchant_category", "y_true", "y_score", "y_pred"]
    )
    for _ in range(500):
        fraud = rng.random() < 0.08
        score = min(0.999, max(0.001, rng.betavariate(5, 2) if fraud else rng.betavariate(1, 12)))
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
    return out.getvalue()
