"""MLflow model folders: ``MLmodel``, environment files, an input example, a pickle.

Registered versions and logged models point at folders like these, and the artifact
browser previews them, so they hold what ``mlflow.<flavor>.log_model`` writes:
the ``MLmodel`` file with flavors and signature, ``conda.yaml``,
``python_env.yaml``, ``requirements.txt``, ``input_example.json`` and a
``model.pkl`` of random bytes behind a pickle header (nobody loads it).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .builder import DemoBuilder, DemoRun
from .curves import SECOND
from .files import to_yaml, write_file


def model_folder(
    demo: DemoBuilder, run: DemoRun, rng: random.Random, columns: list[str], flavor: str = "sklearn"
) -> None:
    """The ``model/`` artifact folder of ``run``, as ``log_model(..., "model")`` leaves it."""
    model_files(demo, run.artifact_dir / "model", run, rng, columns, flavor=flavor)


def model_files(
    demo: DemoBuilder,
    folder: Path,
    run: DemoRun,
    rng: random.Random,
    columns: list[str],
    *,
    flavor: str = "sklearn",
    artifact_path: str = "model",
    model_id: str | None = None,
) -> None:
    """A model folder as ``mlflow.<flavor>.log_model`` writes it, into ``folder``.

    ``columns`` are the signature's inputs (text for a few known names, else double);
    ``flavor`` is ``sklearn`` or a transformers LoRA adapter; ``model_id`` is set for
    an MLflow 3 logged model (and then also its ``model_uuid``).
    """
    blob = b"\x80\x05\x95" + rng.randbytes(4000)
    created = datetime.fromtimestamp(((run.end or demo.now) - 30 * SECOND) / 1000, tz=timezone.utc)
    flavors: dict[str, dict[str, Any]] = {
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
    elif flavor == "pyfunc":
        # mlflow.pyfunc.log_model(python_model=...): the one flavor, a pickled object
        flavors["python_function"].update(
            loader_module="mlflow.pyfunc.model", python_model="python_model.pkl")
        del flavors["python_function"]["model_path"]
    else:
        flavors[flavor] = {
            "code": None,
            "task": "text-generation",
            "transformers_version": "4.46.3",
            "peft_adaptor": "peft",
        }
    text = {"prompt": "How do I rotate my API key?", "merchant_category": "5812",
            "ticket": "I was charged twice for my March invoice"}
    inputs = [
        {"type": "string" if c in text else "double", "name": c, "required": True} for c in columns
    ]
    mlmodel: dict[str, Any] = {
        "artifact_path": artifact_path,
        "flavors": flavors,
        "mlflow_version": demo.mlflow_version,
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
        f"mlflow=={demo.mlflow_version}",
        "cloudpickle==3.1.0",
        "numpy==1.26.4",
        "pandas==2.2.3",
    ]
    requirements += {
        "sklearn": ["scikit-learn==1.5.2", "scipy==1.14.1"],
        "pyfunc": ["openai==1.57.0", "tiktoken==0.8.0"],
    }.get(flavor, ["torch==2.5.1", "transformers==4.46.3", "peft==0.13.2"])
    row = [text.get(c, round(rng.uniform(0, 100), 2)) for c in columns]
    example = {"columns": columns, "data": [row]}
    files: dict[str, str | bytes] = {
        "MLmodel": to_yaml(mlmodel),
        "requirements.txt": "\n".join(requirements),
        "conda.yaml": to_yaml(
            {
                "channels": ["conda-forge"],
                "dependencies": ["python=3.11.7", "pip<=24.2", {"pip": requirements}],
                "name": "mlflow-env",
            },
        ),
        "python_env.yaml": to_yaml(
            {
                "python": "3.11.7",
                "build_dependencies": ["pip==24.2", "setuptools==75.1.0", "wheel"],
                "dependencies": ["-r requirements.txt"],
            },
            sort_keys=False,
        ),
        "input_example.json": json.dumps(example),
        "python_model.pkl" if flavor == "pyfunc" else "model.pkl": blob,
    }
    for relpath, data in files.items():
        write_file(folder / relpath, data)
