"""Plain dataclasses for what a store returns.

They mirror MLflow's entities closely enough that a reader of MLflow's docs
recognises every field, but they carry no behaviour and import nothing.
Times are milliseconds since the epoch, as MLflow stores them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

NOTE_TAG = "mlflow.note.content"
"""Tag that holds the description of an experiment or a run."""
RUN_NAME_TAG = "mlflow.runName"
PARENT_RUN_TAG = "mlflow.parentRunId"
USER_TAG = "mlflow.user"
SOURCE_NAME_TAG = "mlflow.source.name"
PROMPT_TAG = "mlflow.prompt.is_prompt"
DATASET_CONTEXT_TAG = "mlflow.data.context"

STAGES = ("None", "Staging", "Production", "Archived")
"""Model version stages, spelled as MLflow spells them."""

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


class ViewType(enum.Enum):
    """Which lifecycle stages a listing includes (MLflow's ViewType)."""

    ACTIVE = "active"
    DELETED = "deleted"
    ALL = "all"

    @property
    def stages(self) -> tuple[str, ...]:
        if self is ViewType.ACTIVE:
            return ("active",)
        if self is ViewType.DELETED:
            return ("deleted",)
        return ("active", "deleted")

    @classmethod
    def parse(cls, text: str | ViewType) -> ViewType:
        if isinstance(text, ViewType):
            return text
        key = text.strip().lower().replace("_only", "")
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"view must be one of active, deleted, all (got {text!r})") from None


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str | None = None
    lifecycle_stage: str = "active"
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_count: int | None = None
    """Active runs in the experiment (what the default runs view shows), when the
    store counted them."""
    last_run_time: int | None = None
    """Start time of the newest active run, the best hint of "last activity"."""

    @property
    def description(self) -> str:
        return self.tags.get(NOTE_TAG, "")

    @property
    def last_activity(self) -> int | None:
        times = [t for t in (self.last_update_time, self.last_run_time) if t]
        return max(times) if times else None


@dataclass
class Metric:
    key: str
    value: float
    timestamp: int = 0
    step: int = 0


@dataclass
class Run:
    """One row of a run search: run info plus its latest metrics, params and tags."""

    run_id: str
    experiment_id: str
    run_name: str = ""
    status: str = "FINISHED"
    start_time: int | None = None
    end_time: int | None = None
    user_id: str = ""
    source_type: str = ""
    source_name: str = ""
    lifecycle_stage: str = "active"
    artifact_uri: str = ""
    metrics: dict[str, Metric] = field(default_factory=dict)
    """Latest value of each metric, keyed by metric key."""
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def parent_run_id(self) -> str | None:
        return self.tags.get(PARENT_RUN_TAG) or None

    @property
    def source(self) -> str:
        return self.source_name or self.tags.get(SOURCE_NAME_TAG, "")

    @property
    def duration_ms(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None
        return max(0, self.end_time - self.start_time)

    def metric_value(self, key: str) -> float | None:
        metric = self.metrics.get(key)
        return None if metric is None else metric.value


@dataclass
class DatasetInput:
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str | None = None
    profile: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def context(self) -> str | None:
        return self.tags.get(DATASET_CONTEXT_TAG)


@dataclass
class ModelOutput:
    """A logged model that a run produced (MLflow 3 ``LoggedModelOutput``)."""

    model_id: str
    step: int = 0


@dataclass
class RunDetail:
    """A run in full: what the run screen shows."""

    run: Run
    inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    """Ids of logged models the run consumed."""
    outputs: list[ModelOutput] = field(default_factory=list)


@dataclass
class RunPage:
    """A page of a run search."""

    runs: list[Run]
    total: int | None = None
    """How many runs match the whole search, when the store can count them."""
    next_page_token: str | None = None
    offset: int = 0


@dataclass
class RunKeys:
    """Every metric, param and tag key seen in some experiments (for column choice)."""

    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class ModelVersion:
    name: str
    version: int
    creation_time: int | None = None
    last_updated_time: int | None = None
    description: str = ""
    user_id: str = ""
    current_stage: str = "None"
    source: str = ""
    run_id: str = ""
    status: str = "READY"
    status_message: str = ""
    run_link: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass
class RegisteredModel:
    name: str
    creation_time: int | None = None
    last_updated_time: int | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    """Alias -> version number."""
    latest_versions: list[ModelVersion] = field(default_factory=list)
    """The newest version in each stage, as MLflow's ``latest_versions``."""
    version_count: int | None = None
    stage_counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_prompt(self) -> bool:
        return self.tags.get(PROMPT_TAG, "").lower() == "true"

    @property
    def latest_version(self) -> int | None:
        versions = [v.version for v in self.latest_versions]
        return max(versions) if versions else None


@dataclass
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str = ""
    creation_time: int | None = None
    last_updated_time: int | None = None
    status: str = ""
    model_type: str = ""
    source_run_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)


@dataclass
class ArtifactEntry:
    """A file or folder under a run's artifact root."""

    path: str
    """Relative to the run's artifact root, with '/' separators."""
    is_dir: bool = False
    size: int | None = None
