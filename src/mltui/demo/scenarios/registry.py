"""The model registry: three registered models over demo runs, and a prompt.

``fraud-detector`` has a version in every stage and the ``champion`` and
``challenger`` aliases; ``churn-classifier`` is fed by the sweep's best trials;
``support-assistant-lora`` has one transformers version; and
``support-triage-prompt`` is a prompt (a registered model with the prompt tag),
which model listings hide by default. Versions point at real run folders with an
``MLmodel``, so the artifact browser can follow them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..builder import DemoBuilder, DemoRun
from ..curves import DAY, HOUR, MINUTE
from ..models import model_folder

CHURN_COLUMNS = ["tenure_months", "monthly_spend", "support_tickets_90d"]
"""The signature inputs of the churn models."""
FRAUD_DESCRIPTION = (
    "# Fraud detector\n\nScores card transactions in real time (p95 < 15 ms).\n\n"
    "* **champion** serves 100% of traffic\n* **challenger** runs in shadow mode\n\n"
    "Owner: risk team (#risk-ml on Slack)."
)


@dataclass
class Version:
    """A model version to register: its run, its stage now, description and tags."""

    run: DemoRun
    stage: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def registry(
    demo: DemoBuilder, fraud: dict[str, DemoRun], churn: dict[str, DemoRun], llm: dict[str, DemoRun]
) -> None:
    """Register models from the runs of the fraud, churn and LLM scenarios, then a prompt."""
    # Churn versions come from the best finished trials; they need a model folder.
    ranked = sorted(
        (r for r in churn.values() if r.status == "FINISHED"),
        key=lambda r: max(v for _, _, v in r.histories["val_auc"]),
    )
    for run in ranked[-4:]:
        model_folder(demo, run, random.Random(f"model-{run.name}"), CHURN_COLUMNS)
    llm_run = llm["llama3-8b-lora-r16"]
    model_folder(demo, llm_run, random.Random("model-llm"), ["prompt"], flavor="transformers")
    approved = {"validation_status": "approved"}
    registered_model(
        demo,
        "fraud-detector",
        description=FRAUD_DESCRIPTION,
        tags={"team": "risk", "owner": "alice", "pii": "false", "tier": "critical"},
        versions=[
            Version(
                fraud["logreg-baseline"], "Archived", "Baseline logistic regression.", approved
            ),
            Version(fraud["xgb-depth4"], "Archived", "First boosted model.", approved),
            Version(
                fraud["xgb-depth6"],
                "Production",
                "Depth 6, shipped in November.",
                {"validation_status": "approved", "approved_by": "risk-review"},
            ),
            Version(
                fraud["xgb-depth6-final"],
                "Staging",
                "Tuned depth 6; shadow traffic.",
                {"validation_status": "approved", "shadow_auc": "0.9671"},
            ),
            Version(
                fraud["lgbm-leaves127"],
                "None",
                "LightGBM candidate, awaiting review.",
                {"validation_status": "pending"},
            ),
        ],
        aliases={"champion": 3, "challenger": 4},
    )
    top = sorted(ranked[-4:], key=lambda r: r.end or 0)  # registered as they finished
    registered_model(
        demo,
        "churn-classifier",
        description="Monthly churn propensity for the retention campaigns.\n\n"
        "Trained by the `churn-sweep` study; see the nested trials.",
        tags={"team": "growth", "owner": "bob"},
        versions=[
            Version(top[0], "Archived", "Trial from the first sweep rounds."),
            Version(top[1], "Production", "Best trial of the first day.", approved),
            Version(top[2], "Staging", "", approved),
            Version(top[3], "None", "Best trial so far.", {"validation_status": "pending"}),
        ],
        aliases={"champion": 2, "challenger": 4},
    )
    registered_model(
        demo,
        "support-assistant-lora",
        description="LoRA adapter for the support assistant.",
        tags={"team": "assistant"},
        versions=[Version(llm_run, "Staging", "r=16 adapter.")],
        aliases={},
    )
    prompt(demo)


def registered_model(
    demo: DemoBuilder,
    name: str,
    *,
    description: str,
    tags: dict[str, str],
    versions: list[Version],
    aliases: dict[str, int],
) -> None:
    """A registered model with ``versions`` numbered from 1, then ``aliases`` set.

    Versions are registered one after the other, each some minutes after its run
    ended; a stage transition bumps the version and the model (MLflow does too).
    """
    first = versions[0].run
    created = last_updated = made = (first.end or demo.now) + 10 * MINUTE
    for number, version in enumerate(versions, start=1):
        run = version.run
        made = max(made + MINUTE, (run.end or demo.now) + 12 * MINUTE)
        made = min(made, demo.now - (len(versions) - number + 2) * MINUTE)
        stage = version.stage
        changed = made if stage == "None" else min(made + 3 * HOUR, demo.now - MINUTE)
        last_updated = max(last_updated, changed)
        # the source MLflow records for models:/ URIs built from runs:/<id>/model
        source = f"{run.artifact_uri}/model"
        model_version(
            demo,
            name,
            number,
            made,
            changed,
            stage,
            source,
            run.run_id,
            version.description or None,
            version.tags,
        )
    demo.rows.extend("registered_models", [(name, created, last_updated, description)])
    demo.rows.extend("registered_model_tags", [(k, v, name) for k, v in tags.items()])
    demo.rows.extend("registered_model_aliases", [(a, v, name) for a, v in aliases.items()])


def prompt(demo: DemoBuilder) -> None:
    """A prompt as ``mlflow.genai.register_prompt`` stores it: a registered model
    with the prompt tag (hidden from model listings by default), three versions
    (the third a chat prompt), ``production`` on v2 and ``staging`` on v3."""
    name = "support-triage-prompt"
    created = demo.now - 5 * DAY
    templates = [
        "Classify the support ticket into one of: billing, outage, how-to, other.\n\n"
        "Ticket: {{ticket}}",
        "You triage support tickets. Reply with exactly one label from: billing, outage, "
        "how-to, account, other.\n\nTicket: {{ticket}}\nLabel:",
        # a chat prompt: register_prompt stores the messages as JSON
        '[{"role": "system", "content": "You triage support tickets. Reply with exactly '
        'one label from: billing, outage, how-to, account, other."}, {"role": "user", '
        '"content": "Ticket: {{ticket}}\\nLabel:"}]',
    ]
    messages = {2: "Stricter label set", 3: "Chat format for gpt-4o-mini"}
    made = created
    for number, template in enumerate(templates, start=1):
        made = created + (number - 1) * 2 * DAY
        tags = {
            "mlflow.prompt.is_prompt": "true",
            "mlflow.prompt.text": template,
            "_mlflow_prompt_type": "chat" if template.startswith("[") else "text",
        }
        # the commit message is the version description; prompts have no run
        message = messages.get(number)
        model_version(demo, name, number, made, made, "None", "dummy-source", None, message, tags)
    demo.rows.extend("registered_models", [(name, created, made, None)])
    demo.rows.extend("registered_model_tags", [("mlflow.prompt.is_prompt", "true", name)])
    demo.rows.extend("registered_model_aliases", [("production", 2, name), ("staging", 3, name)])


def model_version(
    demo: DemoBuilder,
    name: str,
    number: int,
    made: int,
    changed: int,
    stage: str,
    source: str,
    run_id: str | None,
    description: str | None,
    tags: dict[str, str],
    storage_location: str | None = None,
) -> None:
    """A model version row as ``create_model_version`` writes it (then moved to
    ``stage`` at ``changed``): no user id, READY, storage location = source (a
    logged model's: its files, given as ``storage_location``)."""
    demo.rows.add(
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
        storage_location=storage_location or source,
    )
    demo.rows.extend("model_version_tags", [(k, v, name, number) for k, v in tags.items()])
