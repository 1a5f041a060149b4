"""Print the README's key tables from the bindings themselves.

``python scripts/keys_table.py`` prints the Markdown that sits between the
``<!-- keys -->`` markers of README.md; ``--write`` puts it there.
``tests/ui/test_keys.py`` fails when the README and the bindings disagree, so a
key is never documented that does not work (or the other way round).
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- keys -->", "<!-- /keys -->"


def _screens():
    from mltui.app import MltuiApp
    from mltui.screens.artifact_browser import ArtifactBrowser
    from mltui.screens.artifacts import ArtifactsScreen
    from mltui.screens.charts import ChartScreen, ChartsScreen
    from mltui.screens.compare import CompareScreen
    from mltui.screens.experiments import ExperimentsScreen
    from mltui.screens.help import HelpScreen
    from mltui.screens.logged_models import LoggedModelScreen, LoggedModelsScreen
    from mltui.screens.models import ModelsScreen
    from mltui.screens.prompts import PromptScreen
    from mltui.screens.run import RunScreen
    from mltui.screens.runs import RunsScreen
    from mltui.screens.trace import TraceScreen
    from mltui.screens.traces import TracesScreen
    from mltui.screens.value_viewer import ValueViewer
    from mltui.screens.versions import VersionsScreen
    from mltui.widgets.artifact_preview import ArtifactPreview
    from mltui.widgets.artifact_tree import ArtifactTree
    from mltui.widgets.cell_grid import CellGrid
    from mltui.widgets.runs_table import RunsTable
    from mltui.widgets.span_waterfall import SpanWaterfall
    from mltui.widgets.traces_table import TracesTable

    return [
        ("Everywhere", MltuiApp.BINDINGS),
        ("Experiments", ExperimentsScreen.BINDINGS),
        ("Runs", [*RunsScreen.BINDINGS, *RunsTable.BINDINGS]),
        ("Run", RunScreen.BINDINGS),
        ("Charts of the chosen runs", ChartsScreen.BINDINGS),
        ("One chart, full size", ChartScreen.BINDINGS),
        ("Compare", [*CompareScreen.BINDINGS, *CellGrid.BINDINGS]),
        ("Artifacts", [*ArtifactsScreen.BINDINGS, *ArtifactBrowser.BINDINGS,
                       *ArtifactTree.BINDINGS,
                       *[_where(b, "in a preview") for b in ArtifactPreview.BINDINGS]]),
        ("Traces", [*TracesScreen.BINDINGS, *TracesTable.BINDINGS]),
        ("Trace", [*TraceScreen.BINDINGS, *SpanWaterfall.BINDINGS]),
        ("Models", ModelsScreen.BINDINGS),
        ("Versions of a model", VersionsScreen.BINDINGS),
        ("Logged models", LoggedModelsScreen.BINDINGS),
        ("One logged model", LoggedModelScreen.BINDINGS),
        ("Prompt", PromptScreen.BINDINGS),
        ("A whole value", ValueViewer.BINDINGS),
        ("Help", HelpScreen.BINDINGS),
    ]


# keys that mean something else on another tab of the same screen
WHERE = {
    "compare.charts_filter": "Charts tab", "compare.charts_x": "Charts tab",
    "compare.charts_smooth": "Charts tab", "compare.charts_log": "Charts tab",
    "compare.pick_x": "Scatter, Parallel", "compare.pick_y": "Scatter, Parallel",
    "compare.all": "Scatter, Parallel", "compare.copy_md": "Table tab",
    "compare.copy_csv": "Table tab", "compare.diff": "Table tab",
    "compare.mode": "Table tab", "compare.best": "Table tab", "compare.value": "Table tab",
    "compare.next_run": "Table tab", "compare.previous_run": "Table tab",
}


def _where(binding, where: str):
    from dataclasses import replace

    return replace(binding, description=f"{binding.description} ({where})")


def keys_markdown() -> str:
    from mltui.screens.help import key_label

    out = []
    for title, bindings in _screens():
        rows: dict[str, list[str]] = {}
        for binding in bindings:
            if not binding.description:
                continue
            if binding.id in WHERE:
                binding = _where(binding, WHERE[binding.id])
            rows.setdefault(binding.description, []).extend(binding.key.split(","))
        out.append(f"**{title}**\n\n| keys | does |\n| --- | --- |")
        for description, keys in rows.items():
            label = key_label(",".join(dict.fromkeys(keys))).replace("|", "\\|")
            out.append(f"| `{label}` | {description} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def readme_block(text: str) -> str:
    return text[text.index(START) + len(START) : text.index(END)].strip("\n") + "\n"


def main() -> int:
    block = keys_markdown()
    if "--write" in sys.argv:
        text = README.read_text()
        head, tail = text[: text.index(START) + len(START)], text[text.index(END):]
        README.write_text(f"{head}\n{block}{tail}")
    else:
        print(block, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
