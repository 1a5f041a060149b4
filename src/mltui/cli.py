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
from .output import (
    FORMAT_HELP,
    RAW_HELP,
    RAW_TABLE_PROBLEM,
    SAFE_HELP,
    print_table_or_data,
)
from .store.errors import StoreError

# One list feeds both `mltui --help` and the subcommands, so neither can promise
# a command the other lacks.
COMMAND_HELP = {
    "experiments": "list experiments",
    "experiment": "create, rename, delete, restore, tag or describe an experiment",
    "runs": "search the runs of one or more experiments",
    "run": "rename runs, tag them or write a run's note",
    "models": "list registered models",
    "model": "show a model and its versions; create, rename or delete a model",
    "version": "register a model version, or delete one",
    "stage": "move a model version to a stage",
    "alias": "set or delete a model alias",
    "plot": "draw a metric of one or more runs as a chart in the terminal",
    "compare": "runs side by side: params, metrics and tags, the best run marked",
    "concepts": "MLflow's words explained (run, metric, alias, ...) and where mltui shows them",
    "config": "print the settings file's path, or open it in $EDITOR",
    "serve": "open the app in a web browser (textual-serve), on 127.0.0.1 by default",
}
LOCAL_COMMANDS = {"concepts", "config"}
"""Commands that read no store (they must work where no store opens)."""
COMMANDS = tuple(COMMAND_HELP)
# Say only what is built.
DESCRIPTION = """\
Terminal UI for MLflow tracking data: browse experiments, filter and sort their
runs, open a run's params, metrics and tags, draw metric charts, compare runs,
rename, tag and describe experiments and runs, and manage the model registry
(models, versions, stages, aliases, tags). Without a COMMAND it opens the UI."""
_OPTIONS_WITH_VALUES = {"--uri", "--experiment", "-e", "-c", "--connection"}


def _global_options(suppress: bool = False) -> argparse.ArgumentParser:
    # Copies on subcommands must not write their defaults over values given
    # before the command name (`mltui --demo runs x`), hence SUPPRESS there.
    # Only the copies before a command name take -c for --connection: `runs -c`
    # is --columns.
    common = argparse.ArgumentParser(
        add_help=False, argument_default=argparse.SUPPRESS if suppress else None
    )
    names = ("--connection",) if suppress else ("-c", "--connection")
    common.add_argument(*names, dest="connection", metavar="NAME",
                        help="open the connection [connections.NAME] of config.toml "
                        "(mltui config edit)")
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
    escapes = fmt.add_mutually_exclusive_group()
    escapes.add_argument("--safe", dest="escapes", action="store_const", const="safe",
                         help=SAFE_HELP)
    escapes.add_argument("--raw", dest="escapes", action="store_const", const="raw",
                         help=RAW_HELP)

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

    _model_parsers(sub, common, fmt)

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

    _version_parsers(sub, common)
    _experiment_parsers(sub, common)
    _run_parsers(sub, common)

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

    p = sub.add_parser("concepts", help=COMMAND_HELP["concepts"],
                       description="MLflow's concepts in plain words, and where each shows "
                       "up in mltui (the same text as the Concepts page of ? in the UI).")
    p.add_argument("name", nargs="*", help="a concept or a word of it (run, alias, span, "
                   "...); without it, all of them")
    p.add_argument("--list", action="store_true", help="only the names and titles")

    p = sub.add_parser("config", help=COMMAND_HELP["config"],
                       description="The settings file (config.toml): path prints where it "
                       "is; edit opens it in $VISUAL or $EDITOR, first writing the defaults, "
                       "commented, when it does not exist.")
    p.add_argument("action", choices=("path", "edit"))

    from .serve import SERVE_DESCRIPTION, add_arguments

    p = sub.add_parser("serve", parents=[common], help=COMMAND_HELP["serve"],
                       description=SERVE_DESCRIPTION)
    add_arguments(p)

    p = sub.add_parser("compare", parents=[common], help=COMMAND_HELP["compare"])
    p.add_argument("runs", nargs="+", metavar="RUN",
                   help="run id, or run name with --experiment (2 to 50 runs)")
    p.add_argument("--experiment", "-e", help="experiment (name or id) the run names are in")
    p.add_argument("--diff", action="store_true", help="only the rows whose values differ")
    p.add_argument("--format", choices=("md", "csv", "json"), default="md",
                   help="Markdown table (default), CSV (a column per run) or JSON")
    p.add_argument("--metric-value", choices=("last", "min", "max"), default="last",
                   help="each metric's last value, or the lowest or highest it ever logged")
    compare_escapes = p.add_mutually_exclusive_group()
    compare_escapes.add_argument(
        "--safe", dest="escapes", action="store_const", const="safe",
        help="csv: show control characters as symbols (␛) even to a pipe or file "
        "(Markdown always shows them so; JSON escapes them)")
    compare_escapes.add_argument(
        "--raw", dest="escapes", action="store_const", const="raw",
        help="csv: write stored values unchanged, control characters too, even to a terminal")
    return parser


# -- the edit commands: ``mltui GROUP ACTION ...``, each action its own parser ------------
#
# ``args.handler`` names the function of ``edit_commands`` that runs an action;
# ``mltui model NAME`` (no action) stays short for ``mltui model show NAME``.

MODEL_ACTIONS = ("show", "create", "rename", "delete")
_TAG_HELP = "a tag KEY=VALUE (repeatable)"


def _group(sub, name: str, common, description: str):
    group = sub.add_parser(name, parents=[common], help=COMMAND_HELP[name],
                           description=description)
    return group.add_subparsers(dest="action", required=True, metavar="ACTION")


def _action(actions, group: str, name: str, text: str, common, *parents):
    p = actions.add_parser(name, parents=[common, *parents], help=text, description=text)
    p.set_defaults(handler=f"{group}_{name}")
    return p


def _experiment_parsers(sub, common) -> None:
    actions = _group(sub, "experiment", common,
                     "Edit an experiment, named by name or id (deleted ones too).")
    p = _action(actions, "experiment", "create", "create an experiment; prints its id", common)
    p.add_argument("name")
    p.add_argument("--artifact-location", metavar="L",
                   help="where its runs keep artifacts (default: the store's)")
    p.add_argument("--tag", action="append", metavar="K=V", help=_TAG_HELP)
    p = _action(actions, "experiment", "rename", "rename an experiment", common)
    p.add_argument("experiment", help="experiment name or id")
    p.add_argument("new_name")
    p = _action(actions, "experiment", "delete",
                "delete an experiment and its runs (restore brings them back)", common)
    p.add_argument("experiment", help="experiment name or id")
    p = _action(actions, "experiment", "restore", "restore a deleted experiment", common)
    p.add_argument("experiment", help="experiment name or id")
    p = _action(actions, "experiment", "tag", "set a tag of an experiment, or delete it",
                common)
    p.add_argument("experiment", help="experiment name or id")
    p.add_argument("tag", nargs="?", metavar="K=V", help="the tag to set")
    p.add_argument("--delete", metavar="K", help="delete the tag K instead")
    p = _action(actions, "experiment", "describe",
                "set an experiment's description (the tag mlflow.note.content)", common)
    p.add_argument("experiment", help="experiment name or id")
    p.add_argument("text", help="the description (Markdown); \"\" clears it")


def _run_parsers(sub, common) -> None:
    actions = _group(sub, "run", common,
                     "Edit runs, named by id, or by name with --experiment.")
    names = argparse.ArgumentParser(add_help=False)
    names.add_argument("--experiment", "-e", help="experiment (name or id) the run names are in")
    p = _action(actions, "run", "rename", "rename a run", common, names)
    p.add_argument("run", help="run id, or run name with --experiment")
    p.add_argument("new_name")
    p = _action(actions, "run", "tag", "set a tag on runs (all or none), or delete it",
                common, names)
    p.usage = "%(prog)s [options] RUN [RUN ...] (K=V | --delete K)"
    p.add_argument("items", nargs="+", metavar="RUN",
                   help="run ids (or names with --experiment), then the tag K=V to set")
    p.add_argument("--delete", metavar="K", help="delete the tag K of the runs instead")
    p = _action(actions, "run", "note", "set a run's note (the tag mlflow.note.content)",
                common, names)
    p.add_argument("run", help="run id, or run name with --experiment")
    p.add_argument("text", help="the note (Markdown); \"\" clears it")


def _model_parsers(sub, common, fmt) -> None:
    actions = _group(sub, "model", common,
                     "Show, create, rename or delete a registered model. "
                     "mltui model NAME is short for mltui model show NAME.")
    p = actions.add_parser("show", parents=[common, fmt], help="a model and its versions",
                           description="A model and its versions.")
    p.add_argument("name")
    p = _action(actions, "model", "create", "create a registered model", common)
    p.add_argument("name")
    p.add_argument("--description", metavar="D", help="its description (Markdown)")
    p.add_argument("--tag", action="append", metavar="K=V", help=_TAG_HELP)
    p = _action(actions, "model", "rename",
                "rename a registered model (its versions and aliases follow)", common)
    p.add_argument("name")
    p.add_argument("new_name")
    p = _action(actions, "model", "delete", "delete a registered model with its versions "
                "and aliases; MLflow cannot undo it", common)
    p.add_argument("name")
    p.add_argument("--yes", action="store_true",
                   help="really delete (without it: say what would be lost, delete nothing)")


def _version_parsers(sub, common) -> None:
    actions = _group(sub, "version", common, "Register a model version, or delete one.")
    p = _action(actions, "version", "create",
                "register SOURCE as a new version of MODEL; prints its number", common)
    p.add_argument("name", metavar="MODEL")
    p.add_argument("source", help="runs:/RUN_ID/PATH, models:/m-... (a logged model) or "
                   "an artifact URI")
    p.add_argument("--run-id", help="the run that made it (default: RUN_ID of a runs:/ source)")
    p.add_argument("--description", metavar="D", help="its description (Markdown)")
    p.add_argument("--tag", action="append", metavar="K=V", help=_TAG_HELP)
    p = _action(actions, "version", "delete",
                "delete a model version with its aliases; MLflow cannot undo it", common)
    p.add_argument("name", metavar="MODEL")
    p.add_argument("version")
    p.add_argument("--yes", action="store_true",
                   help="really delete (without it: say what would be lost, delete nothing)")


def _with_default_action(argv: list[str]) -> list[str]:
    """``mltui model NAME ...`` as ``mltui model show NAME ...``."""
    at = _positional_index(argv)
    if at is None or argv[at] != "model":
        return argv
    rest = argv[at + 1:]
    word = _first_positional(rest, {"--uri", "--format"})
    if word is None or word in MODEL_ACTIONS:
        return argv
    return [*argv[:at + 1], "show", *rest]


def _positional_index(argv: Sequence[str], with_values: set[str] | None = None) -> int | None:
    """Where the first argument that is not an option (nor an option's value) is."""
    with_values = _OPTIONS_WITH_VALUES if with_values is None else with_values
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg.startswith("-"):
            skip = arg in with_values
            continue
        return i
    return None


def _first_positional(argv: Sequence[str], with_values: set[str] | None = None) -> str | None:
    at = _positional_index(argv, with_values)
    return None if at is None else argv[at]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if _first_positional(argv) in COMMANDS:
            parser = build_command_parser()
            args, extra = parser.parse_known_args(_with_default_action(argv))
            if extra and getattr(args, "items", None) is not None \
                    and not any(e.startswith("-") for e in extra):
                # "run tag RUN -e EXP K=V": argparse ends RUN... at the option and
                # leaves K=V over; it belongs to the same list
                args.items += extra
            elif extra:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
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

    if getattr(args, "connection", None):
        return _connection(args).uri
    if getattr(args, "demo", False):
        from .demo import ensure_demo_store

        return ensure_demo_store()
    return resolve_tracking_uri(args.uri or getattr(args, "uri_arg", None))


def _connection(args: argparse.Namespace):
    from .config import load_settings
    from .connections import find_connection
    from .store.errors import InvalidValue

    if args.uri or getattr(args, "uri_arg", None) or getattr(args, "demo", False):
        raise InvalidValue("--connection names the URI itself: give it without a URI "
                           "or --demo")
    return find_connection(load_settings(), args.connection)


def _open(args: argparse.Namespace):
    from .store import open_store

    if getattr(args, "connection", None):
        from .connections import open_connection

        # before any screen: the credential command may ask on the terminal
        return open_connection(_connection(args), read_only=args.read_only, ask=True)
    return open_store(_resolve_uri(args), read_only=args.read_only)


def run_command(args: argparse.Namespace) -> int:
    if args.command == "serve":  # the app in a browser: it serves until Ctrl+C
        from .serve import cmd_serve

        return cmd_serve(args, _open)
    from . import commands

    if args.command in LOCAL_COMMANDS:
        from . import local_commands

        return int(getattr(local_commands, f"cmd_{args.command}")(args))

    if getattr(args, "handler", None):
        from . import edit_commands

        handler = getattr(edit_commands, f"cmd_{args.handler}")
    else:
        handler = getattr(commands, f"cmd_{args.command}")
    fmt = getattr(args, "format", "table")
    escapes = getattr(args, "escapes", None)
    if escapes == "raw" and fmt == "table":
        # refused before the command runs: `stage ... --raw` must not move a version
        _fail(RAW_TABLE_PROBLEM)
        return 2
    with _open(args) as store:
        result = handler(store, args)
        # files the store skipped (a corrupt meta.yaml): said on stderr, as the UI
        # says it, so a script's output is not silently short of a run
        skipped = store.warning
    if isinstance(result, str):  # a chart: printed as drawn
        print(result)
    else:
        print_table_or_data(result, fmt, escapes=escapes)
    if skipped:
        from .textfmt import safe_text

        print(f"mltui: warning: {safe_text(skipped)}", file=sys.stderr)
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
    app.connection = getattr(args, "connection", None)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
