"""config.toml's [columns]: read as written, a wrong shape named by its line."""

from __future__ import annotations

from mltui.config import load_settings


def test_columns_per_experiment_are_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[columns]\n"fraud detection" = ["metrics.auc", '
                    '"params.lr"]\n"*" = ["start_time"]\n')
    settings = load_settings(path)
    assert settings.problems == []
    assert settings.columns == {"fraud detection": ["metrics.auc", "params.lr"],
                                "*": ["start_time"]}


def test_a_wrong_shape_is_said_with_its_line_and_ignored(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n\n[columns]\nfraud = "metrics.auc"\n')
    settings = load_settings(path)
    assert settings.columns == {}
    assert len(settings.problems) == 1
    assert "config.toml:3" in settings.problems[0] and "'columns'" in settings.problems[0]
