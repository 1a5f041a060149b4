"""The registry writes every backend must make exactly as MlflowClient makes them:
(what, mltui's write on a store, MlflowClient's write). Shared by the parity suite
and the file store's byte-for-byte comparison."""

from __future__ import annotations

# (what, mltui's write, MlflowClient's write). MlflowClient is given an int version
# where it archives: with a str one, MLflow's SQL store compares ``version != '4'``,
# which PostgreSQL refuses (integer <> character varying): an MLflow bug, not ours.
REGISTRY_WRITES = [
    (
        "stage, archive existing",
        lambda s: s.transition_stage("fraud-detector", 4, "staging", archive_existing=True),
        lambda c: c.transition_model_version_stage(
            "fraud-detector", 4, "Staging", archive_existing_versions=True
        ),
    ),
    (
        "stage",
        lambda s: s.transition_stage("fraud-detector", 1, "Production"),
        lambda c: c.transition_model_version_stage("fraud-detector", "1", "Production"),
    ),
    (
        "stage, archiving two",
        lambda s: s.transition_stage(
            "fraud-detector",
            3,
            "Production",
            archive_existing=True,
            expected_last_updated=s.get_model_version("fraud-detector", 3).last_updated_time,
        ),
        lambda c: c.transition_model_version_stage(
            "fraud-detector", 3, "Production", archive_existing_versions=True
        ),
    ),
    (
        "stage to None",
        lambda s: s.transition_stage("churn-model", 2, "None"),
        lambda c: c.transition_model_version_stage("churn-model", "2", "None"),
    ),
    (
        "new alias",
        lambda s: s.set_alias("churn-model", "best", 1, expected_previous=None),
        lambda c: c.set_registered_model_alias("churn-model", "best", "1"),
    ),
    (
        "move alias",
        lambda s: s.set_alias("fraud-detector", "champion", 4, expected_previous=2),
        lambda c: c.set_registered_model_alias("fraud-detector", "champion", "4"),
    ),
    (
        "same alias again",
        lambda s: s.set_alias("fraud-detector", "champion", 4),
        lambda c: c.set_registered_model_alias("fraud-detector", "champion", "4"),
    ),
    (
        "delete alias",
        lambda s: s.delete_alias("fraud-detector", "challenger", expected_version=3),
        lambda c: c.delete_registered_model_alias("fraud-detector", "challenger"),
    ),
    (
        "delete missing alias",
        lambda s: s.delete_alias("fraud-detector", "nope"),
        lambda c: c.delete_registered_model_alias("fraud-detector", "nope"),
    ),
    (
        "model tag",
        lambda s: s.set_model_tag("fraud-detector", "team", "fraud ops"),
        lambda c: c.set_registered_model_tag("fraud-detector", "team", "fraud ops"),
    ),
    (
        "nested model tag",
        lambda s: s.set_model_tag("churn-model", "owner/email", "a@b.c"),
        lambda c: c.set_registered_model_tag("churn-model", "owner/email", "a@b.c"),
    ),
    (
        "delete model tag",
        lambda s: s.delete_model_tag("fraud-detector", "team"),
        lambda c: c.delete_registered_model_tag("fraud-detector", "team"),
    ),
    (
        "delete missing model tag",
        lambda s: s.delete_model_tag("fraud-detector", "nope"),
        lambda c: c.delete_registered_model_tag("fraud-detector", "nope"),
    ),
    (
        "version tag",
        lambda s: s.set_version_tag("fraud-detector", 2, "validated", "ünïcode\nvalue"),
        lambda c: c.set_model_version_tag("fraud-detector", "2", "validated", "ünïcode\nvalue"),
    ),
    (
        "new version tag",
        lambda s: s.set_version_tag("churn-model", 1, "checked", "yes"),
        lambda c: c.set_model_version_tag("churn-model", "1", "checked", "yes"),
    ),
    (
        "delete version tag",
        lambda s: s.delete_version_tag("fraud-detector", 1, "validated"),
        lambda c: c.delete_model_version_tag("fraud-detector", "1", "validated"),
    ),
    (
        "model description",
        lambda s: s.update_model_description(
            "fraud-detector",
            "new: 'text'\n\nmore",
            expected_last_updated=s.get_registered_model("fraud-detector").last_updated_time,
        ),
        lambda c: c.update_registered_model("fraud-detector", "new: 'text'\n\nmore"),
    ),
    (
        "empty model description",
        lambda s: s.update_model_description("churn-model", ""),
        lambda c: c.update_registered_model("churn-model", ""),
    ),
    (
        "version description",
        lambda s: s.update_version_description(
            "churn-model",
            2,
            "second",
            expected_last_updated=s.get_model_version("churn-model", 2).last_updated_time,
        ),
        lambda c: c.update_model_version("churn-model", "2", "second"),
    ),
]
