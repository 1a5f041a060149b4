"""The demo's content: one module per experiment, plus the model registry.

Each scenario is a function taking the ``DemoBuilder``; it creates its experiment
and runs with their own seeded generators, so one scenario's content does not shift
when another changes. The order below is still part of the content: experiment ids
count up in creation order, and the registry needs the runs of three scenarios.
"""

from __future__ import annotations

from ..builder import DemoBuilder
from .churn_sweep import churn_sweep
from .ctr_search import ctr_search
from .fraud_detection import fraud_detection
from .genai import genai
from .llm_finetune import llm_finetune
from .old_baselines import old_baselines
from .quickstart import quickstart
from .registry import registry


def generate(demo: DemoBuilder) -> None:
    """Record every scenario into ``demo``, in the order that fixes experiment ids."""
    old_baselines(demo)
    quickstart(demo)
    fraud = fraud_detection(demo)
    ctr_search(demo)
    llm = llm_finetune(demo)
    churn = churn_sweep(demo)
    registry(demo, fraud, churn, llm)
    genai(demo)
