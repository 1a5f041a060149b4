"""Command line: non-interactive commands for scripts, and the TUI launcher.

Kept free of textual imports so ``mltui runs ...`` starts fast; the app is
imported only when the TUI opens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__
from .output import FORMAT_HELP, print_table_or_data
from .store.errors import StoreError

# One list feeds both `mltui --help` and the subcommands, so neither can promise
# a command the other lacks.
COMMAND_HELP = {
    "experiments": "list experiments",
    "runs": "search the runs of one or more experiments",
    "models": "list registered models",
    "model": "show a model and its versions",
    "stage": "move a model version to a stage",
    "alias": "set or delete a model alias",
    "plot": "draw a metric of one or more runs as a chart in the terminal",
    "compare": "runs side by side: params, metrics and tags, the best run marked",
}
COMMANDS = tuple(COMMAND_HELP)
# Say only what is built.
DESCRIPTION = """\
Terminal UI for MLflow tracking data: browse experiments, filter and sort their
runs, open a run's params, metrics and tags, draw metric charts, compare runs and
manage the model registry (stages, aliases, tags). Without a COMMAND it opens the
UI."""
_OPTIONS_WITH_VALUES = {"--uri", "--experiment", "-e"}


def _global_options(suppress: bool = False) -> argparse.ArgumentParser:
    # Copies on subcommands must not write their defaults over values given
    # before the command name (`mltui --demo runs x`), hence SUPPRESS there.
    common = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS if suppress else None
    )
    common.add_argument(
        "--uri",
        help="tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns if it holds "
        "experiments, else sqlite:///mlflow.db)",
    )
    common.add_argument("--read-only", action="store_true", help="refuse every write")
    common.add_argument(
        "--demo", action="store_true", help="use the demo store (built on first use)"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = argparse.ArgumentParser(
        prog="mltui",
        parents=[common],
        description=DESCRIPTION,
        epilog=_command_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mltui {__version__}")
    parser.add_argument("--experiment", "-e", help="open this experiment (name or id) directly")
    parser.add_argument("uri_arg", nargs="?", metavar="URI", help="tracking URI or path")
    return parser


def _command_list() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name.ljust(width)}  {text}" for name, text in COMMAND_HELP.items()]
    return "commands (mltui COMMAND --help for each):\n" + "\n".join(lines)


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mltui", parents=[_global_options()])
    common = _global_options(suppress=True)
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=("table", "csv", "json"), default="table",
                     help=FORMAT_HELP)

    p = sub.add_parser("experiments", parents=[common, fmt], help=COMMAND_HELP["experiments"])
    p.add_argument("--view", choices=("active", "deleted", "all"), default="active")

    p = sub.add_parser("runs", parents=[common, fmt], help=COMMAND_HELP["runs"])
    p.add_argument("experiment", nargs="+", help="experiment name or id (several allowed)")
    p.add_argument("--filter", "-f", default="", help="MLflow filter, e.g. \"metrics.acc > 0.9\"")
    p.add_argument(
        "--order-by", "-o", action="append", default=[], help="e.g. \"metrics.loss ASC\" "
        "(repeatable)"
    )
    p.add_argument("--max", type=int, default=100, help="at most N runs (default 100)")
    p.add_argument(
        "--columns", "-c", help="comma-separated: run_id,run_name,status,metrics.acc,params.lr..."
    )
    p.add_argument("--view", choices=("active", "deleted", "all"), default="active")

    p = sub.add_parser("models", parents=[common, fmt], help=COMMAND_HELP["models"])
    p.add_argument(
        "--name",
        help="filter by name as / does on the models screen, ignoring case: plain text "
        "matches anywhere in the name; text with a %% is an MLflow LIKE pattern "
        "(%% any characters, _ one character)",
    )
    p.add_argument("--prompts", action="store_true", help="include prompts")

    p = sub.add_parser("model", parents=[common, fmt], help=COMMAND_HELP["model"])
    p.add_argument("name")

    p = sub.add_parser("stage", parents=[common, fmt], help=COMMAND_HELP["stage"])
    p.add_argument("name")
    p.add_argument("version")
    p.add_argument("stage", help="None, Staging, Production or Archived")
    p.add_argument(
        "--archive-existing",
        action="store_true",
        help="move the versions now in that stage to Archived",
    )

    p = sub.add_parser("alias", parents=[common, fmt], help=COMMAND_HELP["alias"])
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", nargs="?")
    p.add_argument("--delete", action="store_true", help="delete the alias")

    p = sub.add_parser("plot", parents=[common], help=COMMAND_HELP["plot"])
    p.add_argument("runs", nargs="+", metavar="RUN",
                   help="run id, or run name with --experiment (up to 20 runs)")
    p.add_argument("--metric", "-m", required=True, help="the metric key")
    p.add_argument("--experiment", "-e", help="experiment (name or id) the run names are in")
    p.add_argument("--x", choices=("step", "relative", "wall"), default="step",
                   help="x axis: step, seconds since the run started, or wall time")
    p.add_argument("--smooth", type=float, default=0.0, metavar="W",
                   help="smoothing weight in [0, 1): TensorBoard's debiased moving average")
    p.add_argument("--log", action="store_true", help="log scale on y (values <= 0 left out)")
    p.add_argument("--width", type=int, help="columns (default: the terminal's)")
    p.add_argument("--height", type=int, help="lines (default: 25)")

    p = sub.add_parser("compare", parents=[common], help=COMMAND_HELP["compare"])
    p.add_argument("runs", nargs="+", metavar="RUN",
                   help="run id, or run name with --experiment (2 to 50 runs)")
    p.add_argument("--experiment", "-e", help="experiment (name or id) the run names are in")
    p.add_argument("--diff", action="store_true", help="only the rows whose values differ")
    p.add_argument("--format", choices=("md", "csv", "json"), default="md",
                   help="Markdown table (default), CSV (a column per run) or JSON")
    p.add_argument("--metric-value", choices=("last", "min", "max"), default="last",
                   help="each metric's last value, or the lowest or highest it ever logged")
    return parser


def _first_positional(argv: Sequence[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg.startswith("-"):
            skip = arg in _OPTIONS_WITH_VALUES
            continue
        return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if _first_positional(argv) in COMMANDS:
            args = build_command_parser().parse_args(argv)
            return run_command(args)
        args = build_parser().parse_args(argv)
        return run_tui(args)
    except StoreError as exc:
        _fail(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `mltui runs ... | head`: the reader left; say nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: one line here, the traceback in the log
        from .failures import describe_error

        _fail(describe_error(exc))
        return 2


def _fail(message: str) -> None:
    from .textfmt import safe_text

    print(f"mltui: error: {safe_text(message)}", file=sys.stderr)


def _resolve_uri(args: argparse.Namespace) -> str:
    from .store.uri import resolve_tracking_uri

    if getattr(args, "demo", False):
        from .demo import ensure_demo_store

        return ensure_demo_store()
    return resolve_tracking_uri(args.uri or getattr(args, "uri_arg", None))


def _open(args: argparse.Namespace):
    from .store import open_store

    return open_store(_resolve_uri(args), read_only=args.read_only)


def run_command(args: argparse.Namespace) -> int:
    from . import commands

    with _open(args) as store:
        handler = getattr(commands, f"cmd_{args.command}")
        result = handler(store, args)
    if isinstance(result, str):  # a chart: printed as drawn
        print(result)
    else:
        print_table_or_data(result, args.format if hasattr(args, "format") else "table")
    return 0


def run_tui(args: argparse.Namespace) -> int:
    # Open the store before the UI starts: a wrong URI or a missing file is a
    # one-line error on the command line, not a screen to quit from.
    store = _open(args)
    from .config import load_settings

    settings = load_settings()
    prefetch = None
    if args.experiment:
        from .views.prefetch import Prefetch

        # the first page loads while Textual imports and starts
        prefetch = Prefetch(store, args.experiment, settings.page_size, settings.tree_view)
    from .app import MltuiApp

    app = MltuiApp(store=store, read_only=args.read_only, experiment=args.experiment,
                   settings=settings, prefetch=prefetch)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
