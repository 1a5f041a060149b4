"""MLflow's ideas in plain words, each with where it shows up in mltui.

One list, read by three readers: the Concepts tab of ``?`` (screens/help.py),
the command palette's "Concepts: ..." entries, and ``mltui concepts [NAME]``.
Plain data and no Textual, so the CLI prints it without starting the UI and a
change of wording lands everywhere at once. ``tests/ui/test_concepts_help.py``
checks that every key named in a ``where`` is bound on the screen it names.

Written for someone who has never used MLflow: each body says what the thing
is and why it exists before it says anything about mltui.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    name: str
    """Short id for ``mltui concepts NAME`` (lower case, no spaces)."""
    title: str
    body: str
    """What it is, in a few sentences; paragraphs separated by a blank line."""
    where: str
    """Where mltui shows it: screen and key."""
    words: tuple[str, ...] = ()
    """Other words a person may look it up by (``span``, ``alias``, ``flavor``)."""


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "experiment", "Experiment",
        "A folder for runs that answer one question: \"tune the fraud model\", "
        "\"try a bigger tokenizer\". Every run belongs to exactly one experiment. An "
        "experiment has a name, a numeric id, tags, a description and an artifact "
        "location (the place its runs' files go by default). Deleting one is a soft "
        "delete: it and its runs are hidden, not erased, until the server is cleaned.",
        "The first screen lists them (/ filters, s sorts, x shows deleted ones). enter "
        "opens the runs of the one under the cursor, or of all the ones marked with space. "
        "y copies the experiment id, U its artifact location.",
        ("experiments",)),
    Concept(
        "run", "Run",
        "One execution of training or evaluation code: your script called "
        "mlflow.start_run(), did its work, and ended. A run records what went in "
        "(parameters), what came out (metrics, artifacts), labels (tags), who started "
        "it, when, and its status: RUNNING while the code is alive, FINISHED, FAILED or "
        "KILLED afterwards. Runs can nest: a sweep is a parent run with one child per "
        "trial.",
        "The runs screen shows the runs of an experiment as a table (enter on an "
        "experiment); t shows nested runs as a tree, enter opens one run. The run screen "
        "has tabs for metrics (1), charts (2), params (3), tags (4), inputs (5) and "
        "artifacts (6). y copies the run id, both in the table and on the run screen.",
        ("runs", "nested run", "parent run", "status")),
    Concept(
        "parameter", "Parameter",
        "A setting the run was started with: learning rate, batch size, the name of a "
        "dataset. Logged once per run and never changed afterwards; always stored as "
        "text, even when it looks like a number. Parameters are how you find out why "
        "two runs behaved differently.",
        "Columns params.NAME in the runs table (c chooses columns, / filters with "
        "params.lr = '0.001'); the Params tab (3) of a run; the comparison (C on marked "
        "runs, d shows only what differs). Y copies the value under the cursor.",
        ("param", "params", "hyperparameter")),
    Concept(
        "metric", "Metric",
        "A number the run measured, such as loss or accuracy. Unlike a parameter, a "
        "metric can be logged many times, each value with a step (epoch, batch) and a "
        "timestamp, so it has a history you can draw as a curve. Tables show the last "
        "value logged.",
        "Columns metrics.NAME in the runs table (s sorts by the column under the cursor); "
        "the Metrics tab (1) and Charts tab (2) of a run; v on the runs screen draws the "
        "marked runs' curves together; C compares last, min or max values.",
        ("metrics",)),
    Concept(
        "tag", "Tag",
        "A free-form label, key and value, that can be added, changed or removed at any "
        "time, on experiments, runs, registered models and model versions. MLflow "
        "itself writes tags whose keys start with mlflow. (the run's name, its source "
        "file, git commit, user, a note). Your own tags mark things like "
        "\"baseline\" or \"reviewed\".",
        "The Tags tab (4) of a run; T edits a run's tags on the runs screen, t an "
        "experiment's; t and T on the versions screen edit a version's and its model's "
        "tags; filter runs with tags.team = 'red'.",
        ("tags", "label")),
    Concept(
        "artifact", "Artifact",
        "Any file a run saved: a plot, a log, a dataset sample, a trained model. "
        "Parameters and metrics are small values kept in a database; artifacts are "
        "files kept in the artifact store, under the run's artifact URI.",
        "a opens the artifact browser of a run (runs or run screen; the run's tab 6). "
        "It previews text, JSON, YAML, CSV, Markdown, images and MLmodel files; there "
        "y copies the file's URI and s saves it. U on the run screen copies the run's "
        "artifact URI.",
        ("artifacts", "artifact uri", "file")),
    Concept(
        "model", "MLflow Model (flavors, signature, input example)",
        "A trained model saved by MLflow in a standard folder, so that other tools can "
        "load it without your training code. The folder holds an MLmodel file that "
        "describes it, the model's own files, and the Python packages it needs.\n\n"
        "A flavor is one way to load the model: a scikit-learn model has the "
        "\"sklearn\" flavor (load it with scikit-learn) and the generic \"python_function\" "
        "flavor (load it anywhere MLflow runs, as a function from inputs to "
        "predictions). The signature lists the columns or tensors the model takes and "
        "returns, with their types, so a caller can check its input. The input example "
        "is a small real sample of input saved beside the model, to show what a "
        "request looks like.",
        "Select an MLmodel file in the artifact browser (a, then move to the model's "
        "folder): the preview shows flavors, signature, input example and requirements, "
        "and c copies the command that serves it.",
        ("mlmodel", "flavor", "flavors", "signature", "input example", "pyfunc")),
    Concept(
        "logged-model", "Logged model",
        "MLflow 3 gives each model saved with log_model an identity of its own (an id "
        "m-...) instead of treating it as just a folder of some run. A logged model "
        "keeps its own parameters, metrics and tags, links to the run that made it (if "
        "any), and can be referred to as models:/m-.... It exists before anyone "
        "registers it.",
        "M on the experiments, runs or run screen lists the logged models there; enter "
        "opens one (params, metrics, tags, files). On the versions screen, M opens the "
        "logged model a version was registered from. y copies a model's id.",
        ("logged models", "log_model", "model id")),
    Concept(
        "registered-model", "Registered model and model version",
        "A registered model is a name in the model registry, like \"fraud-detector\", "
        "under which a team publishes models. Each time a model is registered under "
        "that name it becomes a new model version, numbered 1, 2, 3...; a version "
        "points at the model's files (a run's artifacts or a logged model) and never "
        "changes what it points at. Versions carry a description, tags, a stage and "
        "aliases.",
        "m opens the models screen from anywhere; enter shows a model's versions. There "
        "enter opens the run that produced the version, M its logged model, n registers "
        "a new version, y copies its URI models:/NAME/VERSION, c the command that serves it. "
        "y on the models screen copies a model's name.",
        ("registered model", "model version", "version", "versions")),
    Concept(
        "stage-alias", "Stage and alias (and why aliases replaced stages)",
        "A stage is one of four fixed labels a version can carry: None, Staging, "
        "Production, Archived. An alias is a name you choose, such as @champion or "
        "@candidate, that points at exactly one version of a model; moving the alias "
        "to another version is how you promote or roll back.\n\n"
        "MLflow deprecated stages (since 2.9) in favour of aliases: four fixed stages "
        "could not say \"shadow\" or \"eu-prod\", only one version per stage is what "
        "people wanted but not what stages enforced, and code asking for "
        "\"the Production version\" had to search. An alias is any name, points at one "
        "version, and serving code loads models:/NAME@ALIAS directly. Stages still "
        "work and old registries are full of them, so mltui edits both.",
        "On the versions screen: s moves a version to a stage (with the option to "
        "archive the versions now there), a sets or moves an alias, A deletes one. The "
        "status bar lists every alias of the model.",
        ("stage", "stages", "alias", "aliases", "champion", "production")),
    Concept(
        "registry", "Model registry",
        "The part of an MLflow server that keeps registered models, their versions, "
        "stages, aliases and descriptions: the shared catalogue of which model is which "
        "and which one is in use. It sits in the backend store beside the tracking data. "
        "A plain mlruns folder keeps a registry too; some stores have none.",
        "m opens it (the key is hidden when the store has no registry); mltui models, "
        "mltui model NAME, mltui stage and mltui alias do the same from the shell.",
        ("model registry", "models")),
    Concept(
        "tracking-server", "Tracking server",
        "A program (mlflow server) that holds experiments, runs and the registry for a "
        "team and answers over HTTP, so training jobs on many machines log to one "
        "place. It stores its data in a backend store and, when it proxies artifacts, "
        "its files in an artifact store. It may ask for a login (basic auth or a "
        "token).",
        "Open one with mltui https://host:5000, or a named connection (mltui -c prod, "
        "see mltui config edit) whose credentials come from the environment or a "
        "credential command. The palette's \"Connect: NAME\" switches to another. "
        "The status bar shows the server's address.",
        ("server", "mlflow server", "rest", "auth")),
    Concept(
        "tracking-uri", "Tracking URI",
        "The address MLflow logs to and reads from: a database (sqlite:///mlflow.db, "
        "postgresql://...), a folder (./mlruns or file:///...), or a tracking server "
        "(http(s)://...). Code sets it with mlflow.set_tracking_uri or the "
        "MLFLOW_TRACKING_URI variable.",
        "mltui chooses it as MLflow does: MLFLOW_TRACKING_URI, then the URI argument or "
        "--uri, then ./mlruns if it holds experiments, else sqlite:///mlflow.db. The "
        "left of the status bar shows it on every screen.",
        ("uri", "mlflow_tracking_uri", "set_tracking_uri")),
    Concept(
        "backend-store", "Backend store",
        "Where experiments, runs, parameters, metrics, tags and the registry are "
        "kept: a SQL database (SQLite, PostgreSQL, MySQL) or an mlruns folder of small "
        "files. It holds the small values, not the files.",
        "A sqlite:// or postgresql:// tracking URI reads the database directly "
        "(read-only unless you make a change); a folder reads mlruns. Every screen "
        "reads it; --read-only refuses every write.",
        ("database", "mlruns", "sqlite", "postgresql")),
    Concept(
        "artifact-store", "Artifact store",
        "Where artifact files are kept: a local folder, S3, GCS, Azure Blob, HDFS or a "
        "tracking server that proxies files (mlflow-artifacts:/). Each experiment has "
        "an artifact location in it; each run a folder below that, its artifact URI.",
        "The artifact browser (a) reads local folders and server-proxied artifacts; U "
        "copies a run's artifact URI on the run screen, an experiment's artifact "
        "location on the experiments screen.",
        ("artifact location", "s3", "mlflow-artifacts")),
    Concept(
        "project", "MLflow Project (MLproject file, entry point, environment)",
        "A way to package code so anyone can rerun it: a folder or git repository with "
        "an MLproject file naming its entry points (the commands it can run, with their "
        "parameters) and its environment (a conda, virtualenv or Docker description of "
        "what to install). mlflow run . -e train -P lr=0.01 builds the environment and "
        "runs the entry point as a new run.",
        "mltui does not run projects, but runs started by one say so in their tags "
        "(Tags tab, 4 on the run screen): mlflow.source.type = PROJECT, "
        "mlflow.project.entryPoint, mlflow.project.env, mlflow.source.git.commit. An "
        "MLproject file among the artifacts opens in the artifact browser as YAML.",
        ("mlproject", "entry point", "environment", "mlflow run")),
    Concept(
        "serving", "Model serving",
        "Running a model as a small web service that answers prediction requests: "
        "mlflow models serve -m models:/NAME@ALIAS starts one on port 5000, installs "
        "what the model needs, and answers POST /invocations with predictions. Pointing "
        "it at an alias rather than a version number means the service picks up a new "
        "version when the alias moves (on restart).",
        "The versions screen shows the serve command of the version under the cursor "
        "(models:/NAME@ALIAS when it has an alias, else models:/NAME/VERSION) below the "
        "table; c copies it. In the artifact browser, c copies it for an MLmodel.",
        ("serve", "models serve", "deployment", "invocations")),
    Concept(
        "trace", "Trace and span",
        "A trace is the record of one request to an LLM application or agent: what came "
        "in, what went out, how long it took, and every step in between. Each step is a "
        "span (a call to a model, a retriever, a tool), with its inputs, outputs, "
        "timing and status; spans nest, so a trace is a tree of spans that mltui draws "
        "as a waterfall over time. MLflow 3 records them with mlflow.trace or "
        "autologging.",
        "T on the experiments or run screen (ctrl+t on the runs screen) lists traces; "
        "enter opens one: the span waterfall, and each span's inputs, outputs, "
        "attributes and events. y copies a trace id.",
        ("traces", "span", "spans", "llm", "genai")),
)


def find_concepts(query: str) -> list[Concept]:
    """Concepts named by ``query``: an exact name, title or other word first, else
    every concept whose name, title or words contain it (case ignored)."""
    q = " ".join(query.lower().replace("_", " ").split())
    if not q:
        return list(CONCEPTS)
    exact = [c for c in CONCEPTS if q in (c.name, c.name.replace("-", " "), c.title.lower(),
                                            *c.words)]
    if exact:
        return exact
    return [c for c in CONCEPTS
            if q in c.name.replace("-", " ") or q in c.title.lower()
            or any(q in w for w in c.words)]


def concept_text(concept: Concept, width: int = 78) -> str:
    """One concept as plain text wrapped to ``width`` (for the CLI)."""
    import textwrap

    out = [concept.title, "=" * min(len(concept.title), width)]
    for paragraph in concept.body.split("\n\n"):
        out += [*textwrap.wrap(paragraph, width), ""]
    out += textwrap.wrap("In mltui: " + concept.where, width)
    return "\n".join(out)
