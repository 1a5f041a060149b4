"""scripts/screenshots.py still runs and still shows every screen.

The README's tour links to the SVG files the script writes; a screen that
changed its keys or its shape breaks the script, and this test says so. The
script writes into a temporary folder here (``--out``): the committed
screenshots are never rewritten by a test run.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "screenshots.py"
COMMITTED = ROOT / "screenshots"

# file -> texts its screen must show
EXPECTED = {
    "experiments": ["experiments", "churn-sweep", "ctr-random-search"],
    "runs-tree": ["churn-sweep", "tpe-study-churn-v2", "tree"],
    "runs-expanded": ["trial-027", "trial-002"],
    "runs-filter-error": ["params.optimizer = 'bogus", "^ Unclosed quote"],
    "run": ["llama3-8b-lora-r64", "1 Metrics", "eval/perplexity"],
    "run-charts": ["2 Charts", "train_loss", "val_loss"],
    "chart": ["chart", "val_loss", "llama3-8b-lora-r64"],
    "chart-overlay": ["train_loss", "4 runs", "mistral-7b-qlora", "smoothing"],
    "artifacts": ["artifacts", "MLmodel", "mlflow models serve -m runs:/"],
    "artifacts-csv": ["predictions.csv", "CSV · 6 columns · 500 rows"],
    "compare": ["compare", "3 runs", "only differences", "★"],
    "compare-scatter": ["metrics.auc against params.lr", "runs of the experiment"],
    "models": ["models", "churn-classifier", "support-triage-prompt (prompt)"],
    "versions": ["churn-classifier", "Production", "@champion",
                 "mlflow models serve -m models:/churn-classifier@"],
    "prompt-diff": ["support-triage-prompt", "diff v1 → v3"],
    "logged-models": ["logged models", "support-agent", "m-"],
    "logged-model": ["logged model", "retriever_k", "models:/m-"],
    "traces": ["traces of support-agent", "ERROR"],
    "trace": ["trace", "lookup_invoice", "RETRIEVER", "TimeoutError"],
    "help": ["1 Keys", "2 Concepts", "This screen"],
    "concepts": ["2 Concepts", "Experiment", "Parameter"],
}


def svg_text(path: Path) -> str:
    """The text an SVG screenshot shows, each line's pieces joined."""
    pieces = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))
    return html.unescape("".join(pieces)).replace("\xa0", " ")


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.svg"))}


def test_the_script_writes_every_screen(tmp_path):
    before = digests(COMMITTED)
    out = tmp_path / "shots"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]

    written = {p.stem for p in out.glob("*.svg")}
    assert written == set(EXPECTED), f"missing {set(EXPECTED) - written}, " \
                                     f"not expected {written - set(EXPECTED)}"
    for name, wanted in EXPECTED.items():
        path = out / f"{name}.svg"
        svg = path.read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>"), name
        assert len(svg) > 10_000, f"{name}.svg is only {len(svg)} characters"
        text = svg_text(path)
        for w in wanted:
            assert w in text, f"{name}.svg does not show {w!r}"
    assert digests(COMMITTED) == before, "the test rewrote the committed screenshots"


def test_every_committed_screenshot_is_one_the_script_makes():
    """No stale picture (of a screen the script no longer shoots) stays behind,
    and every one the README links to exists."""
    committed = {p.stem for p in COMMITTED.glob("*.svg")}
    assert committed == set(EXPECTED)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\(screenshots/([\w-]+)\.svg\)", readme))
    assert linked <= committed, f"README links to missing {linked - committed}"
    assert linked == committed, f"screenshots the README does not show: {committed - linked}"
