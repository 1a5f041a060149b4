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
    from mltui.screens.experiments import ExperimentsScreen
    from mltui.screens.logged_models import LoggedModelScreen, LoggedModelsScreen
    from mltui.screens.models import ModelsScreen
    from mltui.screens.prompts import PromptScreen
    from mltui.screens.run import RunScreen
    from mltui.screens.runs import RunsScreen
    from mltui.screens.trace import TraceScreen
    from mltui.screens.traces import TracesScreen
    from mltui.screens.versions import VersionsScreen
    from mltui.widgets.runs_table import RunsTable
    from mltui.widgets.span_waterfall import SpanWaterfall
    from mltui.widgets.traces_table import TracesTable

    return [
        ("Everywhere", MltuiApp.BINDINGS),
        ("Experiments", ExperimentsScreen.BINDINGS),
        ("Runs", [*RunsScreen.BINDINGS, *RunsTable.BINDINGS]),
        ("Run", RunScreen.BINDINGS),
        ("Traces", [*TracesScreen.BINDINGS, *TracesTable.BINDINGS]),
        ("Trace", [*TraceScreen.BINDINGS, *SpanWaterfall.BINDINGS]),
        ("Models", ModelsScreen.BINDINGS),
        ("Versions of a model", VersionsScreen.BINDINGS),
        ("Logged models", LoggedModelsScreen.BINDINGS),
        ("One logged model", LoggedModelScreen.BINDINGS),
        ("Prompt", PromptScreen.BINDINGS),
    ]


def keys_markdown() -> str:
    from mltui.screens.help import key_label

    out = []
    for title, bindings in _screens():
        rows: dict[str, list[str]] = {}
        for binding in bindings:
            if not binding.description:
                continue
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
