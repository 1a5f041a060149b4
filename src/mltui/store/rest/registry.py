"""Model registry reads from a tracking server.

MLflow's searches hide prompts (registered models tagged
``mlflow.prompt.is_prompt``) unless the filter asks for the tag, so a second
search asks for them, except on servers older than the prompt registry
(:data:`~.versions.PROMPTS_SINCE`), where none can exist. A name the search
grammar cannot quote (it holds both quote kinds) is matched here after an
unfiltered search. Version counts per model come from one search of all
versions, not one request per model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..entities import ModelVersion, RegisteredModel
from ..errors import InvalidValue, ResourceNotFound
from ..registry_rules import alias_not_found, model_not_found, version_not_found, version_number
from ..search import compare
from . import decode
from .client import RestClient
from .failures import EndpointNotFound
from .filters import PROMPT_FILTER, all_of, quoted
from .versions import ALIASES_SINCE, PROMPTS_SINCE, ServerVersion


class RegistryReads:
    """Registered models and their versions; ``server_version`` decides whether prompts
    are worth asking for and explains a missing alias endpoint."""

    def __init__(self, client: RestClient, server_version: ServerVersion):
        self.client = client
        self.server_version = server_version

    # searches ------------------------------------------------------------------
    def _search_models(self, filter_string: str | None) -> list[RegisteredModel]:
        items = self.client.pages(
            "GET", "registered-models/search", "registered_models",
            params={"max_results": 1000, "filter": filter_string or None},
        )
        return [decode.registered_model(m) for m in items]

    def _search_versions(self, filter_string: str | None) -> list[ModelVersion]:
        items = self.client.pages(
            "GET", "model-versions/search", "model_versions",
            params={"max_results": 10_000, "filter": filter_string or None},
        )
        return [decode.model_version(v) for v in items]

    def _versions_of(self, name: str) -> list[ModelVersion]:
        """Every version of one model (a prompt's versions too)."""
        literal = quoted(name)
        if literal is None:
            everything = self._search_versions(None)
            if self._prompts_possible():
                everything += self._search_versions(PROMPT_FILTER)
            return [v for v in everything if v.name == name]
        found = self._search_versions(f"name = {literal}")
        if not found and self._prompts_possible():
            # MLflow hides a prompt's versions unless asked for them
            found = self._search_versions(all_of(f"name = {literal}", PROMPT_FILTER))
        return [v for v in found if v.name == name]

    def _prompts_possible(self) -> bool:
        """False on a server older than the prompt registry: no prompt exists there,
        so asking for prompts would only cost requests."""
        return not self.server_version.older_than(PROMPTS_SINCE)

    @staticmethod
    def _count_versions(model: RegisteredModel, versions: Iterable[ModelVersion]) -> None:
        model.version_count = 0
        model.stage_counts = {}
        for mv in versions:
            model.version_count += 1
            model.stage_counts[mv.current_stage] = model.stage_counts.get(mv.current_stage, 0) + 1

    def search_models(
        self, name_like: str | None, include_prompts: bool
    ) -> list[RegisteredModel]:
        """Registered models by name (``name_like``: an ILIKE pattern), with counts."""
        name_filter = None
        local_like = None
        if name_like:
            literal = quoted(name_like)
            if literal is None:
                local_like = name_like
            else:
                name_filter = f"name ILIKE {literal}"
        models = self._search_models(name_filter)
        versions = self._search_versions(name_filter)
        if include_prompts and self._prompts_possible():
            models += self._search_models(all_of(name_filter, PROMPT_FILTER))
            versions += self._search_versions(all_of(name_filter, PROMPT_FILTER))
        if local_like is not None:
            models = [m for m in models if compare("ILIKE", m.name, local_like)]
        by_name: dict[str, list[ModelVersion]] = {}
        for mv in versions:
            by_name.setdefault(mv.name, []).append(mv)
        unique = {m.name: m for m in models}
        for model in unique.values():
            self._count_versions(model, by_name.get(model.name, ()))
        return [unique[n] for n in sorted(unique)]

    # single objects --------------------------------------------------------------
    def model(self, name: str) -> RegisteredModel:
        """One model with its version counts."""
        model = self.model_only(name)
        self._count_versions(model, self._versions_of(name))
        return model

    def model_only(self, name: str) -> RegisteredModel:
        """One model as ``registered-models/get`` sends it (one request, no counts)."""
        try:
            data = self.client.call("GET", "registered-models/get", params={"name": name})
        except (ResourceNotFound, InvalidValue):
            raise model_not_found(name) from None
        return decode.registered_model(data.get("registered_model") or {})

    def versions(self, name: str, stages: Sequence[str] | None) -> list[ModelVersion]:
        """Every version of a model, newest first, with tags and aliases."""
        try:
            aliases = self.model_only(name).aliases
        except ResourceNotFound:
            return []
        found = self._versions_of(name)
        if stages:
            wanted = {s.lower() for s in stages}
            found = [mv for mv in found if mv.current_stage.lower() in wanted]
        for mv in found:
            mv.aliases = sorted(a for a, v in aliases.items() if v == mv.version)
        return sorted(found, key=lambda mv: mv.version, reverse=True)

    def version(self, name: str, version: int) -> ModelVersion:
        number = version_number(name, version)
        try:
            data = self.client.call(
                "GET", "model-versions/get", params={"name": name, "version": str(number)}
            )
        except (ResourceNotFound, InvalidValue):
            raise version_not_found(name, version) from None
        return decode.model_version(data.get("model_version") or {})

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        try:
            data = self.client.call(
                "GET", "registered-models/alias", params={"name": name, "alias": alias}
            )
        except (ResourceNotFound, InvalidValue):
            raise alias_not_found(alias) from None
        except EndpointNotFound as exc:
            raise self.server_version.lacking(exc, "aliases", ALIASES_SINCE) from None
        return decode.model_version(data.get("model_version") or {})
