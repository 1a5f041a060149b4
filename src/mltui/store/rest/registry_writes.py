"""Model registry writes on a tracking server, through MLflow's own endpoints,
so rows and timestamps are what MLflow writes.

The argument checks are the ones every backend shares
(:mod:`mltui.store.registry_rules`). ``expected_*`` conflict checks re-read
the object and compare before writing: REST has no transaction, so a change
in the milliseconds between the check and the write is not detected.

Creating, renaming and deleting models and versions go through
``registered-models/create``, ``rename``, ``delete`` and ``model-versions/create``,
``delete``: the server resolves a ``models:/`` source and checks a ``runs:/`` one
against ``run_id`` as it does for MlflowClient. As MlflowClient, mltui first
refuses to rename or delete a prompt (one ``registered-models/get``), and a taken
name is InvalidValue (the server's RESOURCE_ALREADY_EXISTS) with its message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..entities import PROMPT_TAG, ModelVersion, RegisteredModel
from ..errors import ConflictError, InvalidValue
from ..registry_rules import (
    ANY,
    check_alias,
    check_alias_target,
    check_alias_unchanged,
    check_expected,
    check_model_name,
    check_new_name,
    check_new_tags,
    check_tag,
    check_transition,
    check_version,
    prompt_not_model,
)
from . import decode
from .client import RestClient
from .failures import EndpointNotFound
from .registry import RegistryReads
from .versions import ALIASES_SINCE, ServerVersion


class RegistryWrites:
    """Stage transitions, aliases, tags and descriptions. ``reads`` re-reads what a
    write checks; ``check_writable(what)`` is the store's read-only guard;
    ``server_version`` explains a missing alias endpoint."""

    def __init__(
        self,
        client: RestClient,
        reads: RegistryReads,
        server_version: ServerVersion,
        check_writable: Callable[[str], None],
    ):
        self.client = client
        self.reads = reads
        self.server_version = server_version
        self.check_writable = check_writable

    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool,
        expected_last_updated: Any,
    ) -> ModelVersion:
        stage, version = check_transition(stage, version, archive_existing)
        self.check_writable(f"moving {name} v{version} to {stage}")
        current = self.reads.version(name, version)
        check_expected(current.last_updated_time, expected_last_updated, f"{name} v{version}")
        self.client.call(
            "POST",
            "model-versions/transition-stage",
            body={
                "name": name,
                "version": str(version),
                "stage": stage,
                "archive_existing_versions": bool(archive_existing),
            },
        )
        return self.reads.version(name, version)

    def set_alias(self, name: str, alias: str, version: int, expected_previous: Any) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        check_alias(alias)
        version = check_version(version)
        self.check_writable(f"setting alias @{alias}")
        self.reads.version(name, version)
        if expected_previous is not ANY:
            current = self.reads.model_only(name).aliases.get(alias)
            check_alias_target(alias, current, expected_previous)
        try:
            self.client.call(
                "POST",
                "registered-models/alias",
                body={"name": name, "alias": alias, "version": str(version)},
            )
        except EndpointNotFound as exc:
            raise self.server_version.lacking(exc, "aliases", ALIASES_SINCE) from None

    def delete_alias(self, name: str, alias: str, expected_version: Any) -> None:
        check_alias(alias, for_set=False)
        self.check_writable(f"deleting alias @{alias}")
        current = self.reads.model_only(name).aliases.get(alias)
        check_alias_unchanged(alias, current, expected_version)
        if current is None:
            return  # as the SQL backend: deleting a missing alias changes nothing
        try:
            self.client.call(
                "DELETE", "registered-models/alias", body={"name": name, "alias": alias}
            )
        except EndpointNotFound as exc:
            raise self.server_version.lacking(exc, "aliases", ALIASES_SINCE) from None

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        check_tag(key, value)
        self.check_writable(f"setting tag {key} on {name}")
        self.reads.model_only(name)
        self.client.call(
            "POST", "registered-models/set-tag", body={"name": name, "key": key, "value": value}
        )

    def delete_model_tag(self, name: str, key: str) -> None:
        check_tag(key, "")
        self.check_writable(f"deleting tag {key} of {name}")
        if key not in self.reads.model_only(name).tags:
            return
        self.client.call(
            "DELETE", "registered-models/delete-tag", body={"name": name, "key": key}
        )

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        check_tag(key, value)
        version = check_version(version)
        self.check_writable(f"setting tag {key} on {name} v{version}")
        self.reads.version(name, version)
        self.client.call(
            "POST",
            "model-versions/set-tag",
            body={"name": name, "version": str(version), "key": key, "value": value},
        )

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        check_tag(key, "")
        version = check_version(version)
        self.check_writable(f"deleting tag {key} of {name} v{version}")
        if key not in self.reads.version(name, version).tags:
            return
        self.client.call(
            "DELETE",
            "model-versions/delete-tag",
            body={"name": name, "version": str(version), "key": key},
        )

    def update_model_description(
        self, name: str, description: str, expected_last_updated: Any
    ) -> None:
        self.check_writable(f"editing the description of {name}")
        model = self.reads.model_only(name)
        check_expected(model.last_updated_time, expected_last_updated, name)
        self.client.call(
            "PATCH", "registered-models/update", body={"name": name, "description": description}
        )

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: Any
    ) -> None:
        version = check_version(version)
        self.check_writable(f"editing the description of {name} v{version}")
        current = self.reads.version(name, version)
        check_expected(current.last_updated_time, expected_last_updated, f"{name} v{version}")
        self.client.call(
            "PATCH",
            "model-versions/update",
            body={"name": name, "version": str(version), "description": description},
        )

    # -- registry entries created, renamed and deleted ---------------------------------
    def _editable_model(self, name: str) -> None:
        """MlflowClient's ``_raise_if_prompt``."""
        if PROMPT_TAG in self.reads.model_only(name).tags:
            raise prompt_not_model(name)

    @staticmethod
    def _tag_list(tags: dict[str, str]) -> list[dict[str, str]] | None:
        return [{"key": k, "value": v} for k, v in tags.items()] or None

    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        new_tags = check_new_tags(tags)
        check_model_name(name)
        self.check_writable(f"creating model {name}")
        try:
            data = self.client.call("POST", "registered-models/create", body={
                "name": name, "tags": self._tag_list(new_tags),
                "description": description or None,
            })
        except ConflictError as exc:  # RESOURCE_ALREADY_EXISTS: the name is taken
            raise InvalidValue(str(exc)) from None
        return decode.registered_model(data.get("registered_model") or {})

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        self.check_writable(f"renaming model {name}")
        self._editable_model(name)
        check_new_name(new_name)
        try:
            data = self.client.call("POST", "registered-models/rename",
                                    body={"name": name, "new_name": new_name})
        except ConflictError as exc:
            # MLflow's SQL store appends the database's error (and the SQL) to it
            taken = f"Registered Model (name={new_name}) already exists."
            message = str(exc)
            raise InvalidValue(taken if message.startswith(taken) else message) from None
        return decode.registered_model(data.get("registered_model") or {})

    def delete_registered_model(self, name: str) -> None:
        self.check_writable(f"deleting model {name}")
        self._editable_model(name)
        self.client.call("DELETE", "registered-models/delete", body={"name": name})

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        new_tags = check_new_tags(tags)
        check_model_name(name)
        self.check_writable(f"creating a version of {name}")
        data = self.client.call("POST", "model-versions/create", body={
            "name": name, "source": source, "run_id": run_id or None,
            "tags": self._tag_list(new_tags), "description": description or None,
            "model_id": model_id or None,
        })
        created = decode.model_version(data.get("model_version") or {})
        return self.reads.version(name, created.version)

    def delete_model_version(self, name: str, version: int) -> None:
        self.check_writable(f"deleting {name} v{version}")
        self._editable_model(name)
        number = check_version(version)
        self.client.call("DELETE", "model-versions/delete",
                         body={"name": name, "version": str(number)})
