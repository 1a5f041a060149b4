"""``llm-finetune``: LoRA fine-tuning runs with 3,000-step histories, one running now.

The long-history case for charts (3,000 points of train loss, eval every 100
steps, a learning-rate schedule, gradient-norm spikes), a run killed mid-way, one
still logging, Unicode in tags, a 1,000-character system prompt as a param, and
an adapter folder among the artifacts.
"""

from __future__ import annotations

import json
import math
import random

from ..builder import DemoBuilder, DemoRun
from ..curves import DAY, MINUTE, SECOND, cosine_lr, curve, log_time, points, step_times
from ..files import to_yaml, write_artifact, yaml_value
from ..images import line_chart

LLAMA_8B = "meta-llama/Meta-Llama-3-8B-Instruct"
MISTRAL_7B = "mistralai/Mistral-7B-Instruct-v0.3"
LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
"""The attention and MLP projections the adapters train."""
PLANNED_STEPS = 3000
"""``max_steps`` of every run; curves are drawn for the plan and cut where a run stopped."""

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
"""A param value far longer than a table cell."""


def llm_finetune(demo: DemoBuilder) -> dict[str, DemoRun]:
    """Record ``llm-finetune`` (created 10 days ago); return its runs by name."""
    now = demo.now
    exp = demo.experiment(
        "llm-finetune",
        now - 10 * DAY,
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
    specs = [
        # name, base model, lora rank, status, steps done (of 3000), start, seconds a step
        ("llama3-8b-lora-r16", LLAMA_8B, 16, "FINISHED", 3000, now - 9 * DAY, 11),
        ("llama3-8b-lora-r64", LLAMA_8B, 64, "FINISHED", 3000, now - 6 * DAY, 13),
        ("mistral-7b-qlora", MISTRAL_7B, 32, "KILLED", 1400, now - 4 * DAY, 9),
        ("llama3-8b-lora-r16-longctx", LLAMA_8B, 16, "RUNNING", 0, now - 52 * MINUTE, 14),
    ]
    planned = PLANNED_STEPS
    runs: dict[str, DemoRun] = {}
    for name, base, rank, status, steps, start, step_seconds in specs:
        rng = random.Random(f"llm-{name}")
        step_ms = step_seconds * SECOND
        if status == "RUNNING":
            steps = max(2, (now - start - 3 * MINUTE) // step_ms)
        times = step_times(rng, start + 2 * MINUTE, steps, step_ms, now - SECOND)
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
        run = demo.run(exp, name, rng, (start, end), status, params, tags)
        spikes = [(1800, 0.9)] if rank == 64 else []
        plateaus = [(0.3, 0.47)] if name.startswith("mistral") else []
        final = {16: 0.92, 64: 0.86, 32: 1.05}[rank]
        # curves for the full plan, cut at the steps done so far
        loss = curve(
            rng, planned, 2.6, final, rate=6, noise=0.05, spikes=spikes, plateaus=plateaus
        )[:steps]
        lr = cosine_lr(planned, 0.0002, 100)[:steps]
        grad_spikes = [(s, 6.0) for s, _ in spikes] + [(int(planned * 0.12), 2.5)]
        grad = curve(rng, planned, 4.0, 0.35, rate=8, noise=0.25, spikes=grad_spikes)
        grad = [abs(g) for g in grad[:steps]]
        val_spikes = [(s, 0.4) for s, _ in spikes]
        val = curve(rng, planned, 2.5, final + 0.09, rate=5.5, noise=0.01, spikes=val_spikes)
        val = val[:steps]
        speed = 22_500 if "longctx" in name else 31_000
        tps = [rng.gauss(speed, 600) for _ in range(steps)]
        run.log("train_loss", points(loss, times))
        run.log("learning_rate", points(lr, times))
        run.log("grad_norm", points(grad, times, digits=4))
        run.log("val_loss", points(val, times, every=100))
        run.log("eval/perplexity", points([math.exp(v) for v in val], times, every=100))
        run.log("tokens per second", points(tps, times, every=10))
        runs[name] = run
        _llm_artifacts(run, rng)
    return runs


def _llm_artifacts(run: DemoRun, rng: random.Random) -> None:
    """A training log, the config, a README, a loss-curve PNG and the LoRA adapter."""
    loss = run.histories["train_loss"]
    val = {s: v for s, _, v in run.histories["val_loss"]}
    lr = run.histories["learning_rate"]
    lines = [
        f"{log_time(run.start + 5 * SECOND)} INFO Loading {run.params['base_model']}",
        f"{log_time(run.start + 90 * SECOND)} INFO trainable params: "
        f"{int(run.params['lora_r']) * 2_621_440:,} || all params: 8,030,261,248",
    ]
    for (step, ts, v), (_, _, rate) in zip(loss, lr, strict=True):
        if step % 10 == 0:
            line = f"{log_time(ts)} INFO step {step:5d} | loss {v:.4f} | lr {rate:.3e}"
            if step in val:
                line += f" | eval_loss {val[step]:.4f}"
            lines.append(line)
    if run.status == "KILLED":
        lines.append(
            f"{log_time(loss[-1][1] + 4000)} WARNING Received SIGTERM, "
            "saving checkpoint and exiting"
        )
    write_artifact(run, "train.log", "\n".join(lines) + "\n")
    write_artifact(
        run,
        "config.yaml",
        to_yaml(
            {k: yaml_value(v) for k, v in run.params.items()},
            sort_keys=False,
            width=100,
            allow_unicode=True,
        ),
    )
    write_artifact(
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
    write_artifact(
        run,
        "plots/loss_curve.png",
        line_chart([[v for _, _, v in loss], [v for _, _, v in run.histories["val_loss"]]]),
    )
    adapter = {
        "base_model_name_or_path": run.params["base_model"],
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": int(run.params["lora_r"]),
        "lora_alpha": int(run.params["lora_alpha"]),
        "lora_dropout": 0.05,
        "target_modules": LORA_MODULES,
    }
    write_artifact(run, "adapter/adapter_config.json", json.dumps(adapter, indent=2) + "\n")
    write_artifact(run, "adapter/adapter_model.safetensors", rng.randbytes(2048))
