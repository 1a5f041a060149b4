"""The REST backend: an MLflow tracking server (``http://`` / ``https://``),
spoken to through MLflow's REST API 2.0 with :mod:`httpx` (see
:mod:`.rest_client` for auth, TLS, retries and error mapping).

Every method returns what the SQL backend returns for the same data. Where
the REST API cannot give the same answer, this is what happens instead:

- **Counts.** The API has no count. ``Experiment.run_count`` and
  ``last_run_time`` stay None, ``capabilities.run_counts`` is False and
  ``search_runs(count_total=True)`` gives ``total=None`` unless the page is
  the last one (then ``offset + len(runs)`` is exact). :meth:`RestStore.count_runs`
  counts with a few tiny probing searches, for a background worker.
- **Offsets.** MLflow's page token is base64 JSON ``{"offset": n}``; an offset
  argument is sent as such a token. Each page asks for one run more than
  wanted, so ``next_page_token`` is exact, as in the SQL backend.
- **Searches** are validated locally first (:mod:`.search`) so errors are
  immediate and worded as the SQL backend words them; the server then runs
  the same filter and order_by.
- **run_keys** has no endpoint: the keys come from the newest
  :data:`RUN_KEYS_SAMPLE` runs of the experiments (any lifecycle stage).
- **child_counts** reads the nested runs of the search (up to
  :data:`CHILD_SCAN_LIMIT`) and counts them by parent; past that it asks per
  parent, a few requests at a time.
- **Downsampled histories** (``max_points``) use ``get-history-bulk-interval``:
  when it returns the whole range (fewer than :data:`BULK_MAX` points) the
  points are bucketed here exactly as ``sql.py`` buckets them. Longer
  histories are read whole with ``get-history`` when they hold at most
  :data:`FULL_HISTORY_BUDGET` points (same result as SQL); beyond that the
  server's evenly spaced sample of :data:`BULK_MAX` points is bucketed, so a
  spike between two sampled points can be missed. A server without the
  endpoint (HTTP 404) gets ``get-history`` and the same bucketing.
- **Writes** go through MLflow's own endpoints, so rows and timestamps are
  what MLflow writes. ``expected_*`` conflict checks re-read the object and
  compare before writing: REST has no transaction, so a change in the
  milliseconds between the check and the write is not detected. Deleting or
  restoring several runs checks that all exist first, then changes them one
  request each; a failure half-way leaves the earlier ones changed.
- **Artifacts**: ``artifacts/list`` and ``/get-artifact`` (or
  ``/api/2.0/mlflow-artifacts/artifacts/...`` for proxied ``mlflow-artifacts:``
  runs). ``file:`` artifact roots that exist on this machine are read directly.
- **Values**: MLflow's JSON sends NaN and infinities as ``"NaN"`` /
  ``"Infinity"``, and a SQL-backed server sends +/-inf as +/-1.797e308; all
  are decoded to float nan / inf as ``sql.py`` decodes them.
- ``Run.source_type`` and ``source_name`` are not part of the REST run info;
  they are empty (``Run.source`` still reads the ``mlflow.source.name`` tag).

Older servers (tested against real MLflow 2.9.2 and 3.10.1 servers,
``tests/test_old_servers.py``): every filter mltui builds itself (``LIKE
'%'`` for "has a parent", ``tags.`mlflow.parentRunId` = 'id'`` for children,
``attributes.run_id IN (...)``, ``name ILIKE`` and the prompt tag on registry
searches) is accepted by all of them. What a server lacks is decided from its
version (``GET /version``, asked once, only when a decision needs it; a server
that does not say is treated as the newest):

- ``IS NULL`` / ``IS NOT NULL`` (params and tags) need MLflow
  :data:`IS_NULL_SINCE`: a filter using them is refused here, before it is
  sent, with a line saying so ("This server runs MLflow 2.9.2; IS NULL needs
  MLflow 3.11 or newer"), not with the server's "Invalid clause(s)".
- Prompts need :data:`PROMPTS_SINCE`: older servers are not asked for them
  (none can exist there).
- Aliases need :data:`ALIASES_SINCE`: their endpoints answer 404 on older
  servers, which is said in the same words.
- ``get-history-bulk-interval`` and logged models are detected by their 404.
"""

from __future__ import annotations

import math
import os
import posixpath
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlparse, urlsplit, urlunsplit

import httpx

from .artifacts import list_local_artifacts, read_local_artifact
from .base import BaseStore, Capabilities, decode_page_token, encode_page_token
from .downsample import downsample
from .entities import (
    PARENT_RUN_TAG,
    PROMPT_TAG,
    RUN_NAME_TAG,
    ArtifactEntry,
    DatasetInput,
    Experiment,
    LoggedModel,
    Metric,
    ModelOutput,
    ModelVersion,
    RegisteredModel,
    Run,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from .errors import (
    ConflictError,
    InvalidSearch,
    InvalidValue,
    RemoteError,
    ResourceNotFound,
    StoreError,
    UnsupportedURI,
)
from .registry_rules import (
    ANY,
    check_alias,
    check_expected,
    check_tag,
    check_transition,
    check_version,
)
from .rest_client import ARTIFACTS_API, EndpointNotFound, RestClient, Version, parse_version
from .rest_top_level import TopLevelRuns
from .search import Clause, compare, parse_filter, parse_order_by

MAX_FLOAT = 1.7976931348623157e308
SEARCH_PAGE_MAX = 50_000
"""Largest ``max_results`` MLflow's ``runs/search`` accepts."""
RUN_KEYS_SAMPLE = 1000
CHILD_SCAN_LIMIT = 5000
BULK_MAX = 2500
"""``max_results`` per run of ``get-history-bulk-interval`` (the server's maximum)."""
FULL_HISTORY_BUDGET = 25_000
"""Points of a history read whole to downsample it exactly."""
HISTORY_PAGE = 25_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
VIEWS = {ViewType.ACTIVE: "ACTIVE_ONLY", ViewType.DELETED: "DELETED_ONLY", ViewType.ALL: "ALL"}
PROMPT_FILTER = f"tags.`{PROMPT_TAG}` = 'true'"

IS_NULL_SINCE: Version = (3, 11, 0)
"""``IS NULL`` / ``IS NOT NULL`` on params and tags in run filters (older: HTTP 400)."""
PROMPTS_SINCE: Version = (2, 21, 0)
"""The prompt registry (prompts are registered models tagged ``mlflow.prompt.is_prompt``)."""
ALIASES_SINCE: Version = (2, 3, 0)
"""Registered model aliases (older servers have no ``registered-models/alias``)."""
NULL_TESTS = ("IS NULL", "IS NOT NULL")


# -- what an older server lacks ------------------------------------------------


def release(version: Version) -> str:
    """``(3, 11, 0)`` as people write it: ``3.11`` (``3.11.1`` keeps its patch)."""
    major, minor, patch = version
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


def older_than(server: str | None, since: Version) -> bool:
    """True only when the server reported a version before ``since``; a server that
    does not say is taken for a new one (its own errors still reach the person)."""
    parsed = parse_version(server)
    return parsed is not None and parsed < since


def too_old(server: str, what: str, since: Version, verb: str = "needs") -> str:
    """The one line that says why a feature is missing (``verb``: "need" after a plural)."""
    return f"This server runs MLflow {server}; {what} {verb} MLflow {release(since)} or newer"


@lru_cache(maxsize=256)
def _null_tests(filter_string: str) -> tuple[Clause, ...]:
    # parsed again for every page of a scan: keep the answer
    return tuple(c for c in parse_filter(filter_string) if c.comparator in NULL_TESTS)


def unsupported_filter(filter_string: str, server: str | None) -> InvalidSearch | None:
    """Why a server of version ``server`` would reject a filter mltui's grammar
    accepts, pointing at the first clause it lacks (None: it would accept it)."""
    if not filter_string or "NULL" not in filter_string.upper():
        return None
    clauses = _null_tests(filter_string)
    if not clauses or not older_than(server, IS_NULL_SINCE):
        return None
    first = clauses[0]
    return InvalidSearch(
        too_old(str(server), first.comparator, IS_NULL_SINCE), position=first.start,
        text=filter_string,
    )


# -- decoding ------------------------------------------------------------------


def decode_value(value) -> float:
    """A metric value from MLflow's JSON: numbers, "NaN", "Infinity", clamped infinities."""
    if value is None:
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    if number >= MAX_FLOAT:
        return math.inf
    if number <= -MAX_FLOAT:
        return -math.inf
    return number


def _int(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pairs(items: Iterable[dict] | None) -> dict[str, str]:
    return {item["key"]: item.get("value") or "" for item in items or () if "key" in item}


def _metric(item: dict, key: str | None = None) -> Metric:
    return Metric(
        key if key is not None else item.get("key", ""),
        decode_value(item.get("value")),
        _int(item.get("timestamp")) or 0,
        _int(item.get("step")) or 0,
    )


def _run(data: dict) -> Run:
    info = data.get("info") or {}
    body = data.get("data") or {}
    run = Run(
        run_id=info.get("run_id") or info.get("run_uuid") or "",
        experiment_id=str(info.get("experiment_id", "")),
        run_name=info.get("run_name") or "",
        status=info.get("status") or "",
        start_time=_int(info.get("start_time")),
        end_time=_int(info.get("end_time")),
        user_id=info.get("user_id") or "",
        lifecycle_stage=info.get("lifecycle_stage") or "active",
        artifact_uri=info.get("artifact_uri") or "",
    )
    for item in body.get("metrics") or ():
        run.metrics[item.get("key", "")] = _metric(item)
    run.params = _pairs(body.get("params"))
    run.tags = _pairs(body.get("tags"))
    if not run.run_name:
        run.run_name = run.tags.get(RUN_NAME_TAG, "")
    return run


def _experiment(data: dict) -> Experiment:
    return Experiment(
        experiment_id=str(data.get("experiment_id", "")),
        name=data.get("name", ""),
        artifact_location=data.get("artifact_location"),
        lifecycle_stage=data.get("lifecycle_stage") or "active",
        creation_time=_int(data.get("creation_time")),
        last_update_time=_int(data.get("last_update_time")),
        tags=_pairs(data.get("tags")),
    )


def _version(data: dict) -> ModelVersion:
    return ModelVersion(
        name=data.get("name", ""),
        version=_int(data.get("version")) or 0,
        creation_time=_int(data.get("creation_timestamp")),
        last_updated_time=_int(data.get("last_updated_timestamp")),
        description=data.get("description") or "",
        user_id=data.get("user_id") or "",
        current_stage=data.get("current_stage") or "None",
        source=data.get("source") or "",
        run_id=data.get("run_id") or "",
        status=data.get("status") or "READY",
        status_message=data.get("status_message") or "",
        run_link=data.get("run_link") or "",
        tags=_pairs(data.get("tags")),
        aliases=sorted(data.get("aliases") or ()),
    )


def _model(data: dict) -> RegisteredModel:
    model = RegisteredModel(
        name=data.get("name", ""),
        creation_time=_int(data.get("creation_timestamp")),
        last_updated_time=_int(data.get("last_updated_timestamp")),
        description=data.get("description") or "",
        tags=_pairs(data.get("tags")),
        aliases={
            a["alias"]: _int(a.get("version")) or 0
            for a in data.get("aliases") or ()
            if "alias" in a
        },
    )
    model.latest_versions = sorted(
        (_version(v) for v in data.get("latest_versions") or ()), key=lambda v: v.version
    )
    for mv in model.latest_versions:
        mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
    return model


def _quoted(value: str) -> str | None:
    """``value`` as a quoted literal of MLflow's search grammar (None if impossible:
    MLflow does not unescape quotes)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def _and(*parts: str | None) -> str:
    return " AND ".join(p for p in parts if p)


def _in_range(points: Iterable[Metric], lo: int | None, hi: int | None) -> list[Metric]:
    kept = [m for m in points if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)]
    kept.sort(key=lambda m: (m.step, m.timestamp))
    return kept


def _clean_artifact_path(path: str) -> str:
    rel = PurePosixPath(path.strip("/")) if path else PurePosixPath()
    if any(part == ".." for part in rel.parts):
        raise StoreError(f"Invalid artifact path {path!r}")
    text = rel.as_posix()
    return "" if text == "." else text


def _local_artifact_root(artifact_uri: str) -> str | None:
    """The folder of a ``file:`` (or plain path) artifact root if it exists here."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        folder = unquote(parsed.path)
    elif parsed.scheme == "":
        folder = artifact_uri
    else:
        return None
    return folder if folder and os.path.isdir(folder) else None


def _safe_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


# -- the store ---------------------------------------------------------------------


class RestStore(BaseStore):
    kind = "rest"
    capabilities = Capabilities(run_counts=False)

    def __init__(self, uri: str, *, read_only: bool = False):
        super().__init__(uri, read_only=read_only)
        try:
            parsed = httpx.URL(uri)
            parsed.port  # noqa: B018 - a bad port raises only when read
        except (httpx.InvalidURL, ValueError):
            raise UnsupportedURI(f"Not a valid tracking server URL: {_safe_uri(uri)}") from None
        if not parsed.host:
            raise UnsupportedURI(f"No host in tracking server URL: {_safe_uri(uri)}")
        self.http = RestClient(uri)
        self._artifact_uris: dict[str, str] = {}
        self._bulk_interval = True
        """False once the server answered 404 for get-history-bulk-interval."""
        self._top = TopLevelRuns()
        """Checkpoints of the tree view's client-side top-level scans."""

    @property
    def display_uri(self) -> str:
        return _safe_uri(self.uri)

    def close(self) -> None:
        self.http.close()

    @property
    def server_version(self) -> str | None:
        """The MLflow version the server reports (None: it does not say); the first
        read asks the server, so read it in a worker."""
        return self.http.server_version()

    def check_filter(self, filter_string: str) -> InvalidSearch | None:
        """Why this server would reject a run filter that MLflow's newest grammar
        accepts (None: it would not). Asks the server's version only when the
        filter uses something older servers lack."""
        if not filter_string or "NULL" not in filter_string.upper():
            return None  # the common case: no parse, no version
        if not _null_tests(filter_string):
            return None
        return unsupported_filter(filter_string, self.server_version)

    def _older_than(self, since: Version) -> bool:
        return older_than(self.server_version, since)

    def _lacking(self, exc: EndpointNotFound, what: str, since: Version) -> StoreError:
        """An endpoint's 404 in words, when the server's version explains it
        (``what`` is plural)."""
        server = self.server_version
        if server is not None and older_than(server, since):
            return StoreError(too_old(server, what, since, "need"))
        return exc

    def _call(self, method: str, endpoint: str, **kwargs) -> dict:
        return self.http.call(method, endpoint, **kwargs)

    def _pages(
        self, method: str, endpoint: str, key: str, *, params=None, body=None, invalid=InvalidValue
    ) -> list[dict]:
        """Every item of a paged listing (``next_page_token``)."""
        items: list[dict] = []
        token = None
        while True:
            if body is not None:
                data = self._call(
                    method, endpoint, body={**body, "page_token": token}, invalid=invalid
                )
            else:
                data = self._call(
                    method,
                    endpoint,
                    params={**(params or {}), "page_token": token},
                    invalid=invalid,
                )
            items.extend(data.get(key) or ())
            token = data.get("next_page_token")
            if not token:
                return items

    # -- experiments --------------------------------------------------------
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        items = self._pages(
            "POST",
            "experiments/search",
            "experiments",
            body={"max_results": 1000, "view_type": VIEWS[view]},
        )
        exps = [_experiment(e) for e in items]
        return sorted(exps, key=_id_key)

    def get_experiment(self, experiment_id: str) -> Experiment:
        try:
            data = self._call(
                "GET", "experiments/get", params={"experiment_id": str(experiment_id)}
            )
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}") from None
        return _experiment(data.get("experiment") or {})

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            data = self._call("GET", "experiments/get-by-name", params={"experiment_name": name})
        except (ResourceNotFound, InvalidValue):
            return None
        return _experiment(data.get("experiment") or {})

    # -- runs ---------------------------------------------------------------
    def _search(
        self,
        experiment_ids: Sequence[str],
        filter_string: str,
        order_by: Sequence[str],
        view: ViewType,
        offset: int,
        limit: int,
    ) -> list[Run]:
        """Up to ``limit`` runs from ``offset`` (several requests past 50,000)."""
        problem = self.check_filter(filter_string)
        if problem is not None:
            raise problem
        runs: list[Run] = []
        while len(runs) < limit:
            want = min(SEARCH_PAGE_MAX, limit - len(runs))
            start = offset + len(runs)
            data = self._call(
                "POST",
                "runs/search",
                body={
                    "experiment_ids": [str(e) for e in experiment_ids],
                    "filter": filter_string or None,
                    "run_view_type": VIEWS[view],
                    "max_results": want,
                    "order_by": list(order_by) or None,
                    "page_token": encode_page_token(start) if start else None,
                },
                invalid=InvalidSearch,
            )
            got = [_run(r) for r in data.get("runs") or ()]
            runs.extend(got)
            if len(got) < want or not data.get("next_page_token"):
                break
        return runs

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE,
        max_results: int = 100,
        offset: int = 0,
        page_token: str | None = None,
        count_total: bool = True,
        top_level: bool = False,
    ) -> RunPage:
        parse_filter(filter_string)
        parse_order_by(order_by)
        if page_token:
            offset = decode_page_token(page_token)
        if isinstance(order_by, str):
            order_by = [order_by]
        if not experiment_ids:
            return RunPage(runs=[], total=0 if count_total else None, offset=offset)
        max_results = max(0, int(max_results))
        if top_level:
            runs, more, total = self._top.page(
                *self._top_level_scan(experiment_ids, filter_string, order_by, view),
                offset, max_results,
            )
            token = encode_page_token(offset + max_results) if more else None
            return RunPage(runs=runs, total=total if count_total else None,
                           next_page_token=token, offset=offset)
        runs = self._search(experiment_ids, filter_string, order_by, view, offset, max_results + 1)
        more = len(runs) > max_results
        runs = runs[:max_results]
        total = None
        if count_total and not more and (runs or offset == 0):
            total = offset + len(runs)
        token = encode_page_token(offset + max_results) if more else None
        return RunPage(runs=runs, total=total, next_page_token=token, offset=offset)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
        top_level: bool = False,
        probe: int = 50,
    ) -> int:
        """How many runs match, found with small searches at growing offsets then a
        bisection (about ``2 * log2(total / probe)`` requests of ``probe`` runs).
        Top-level runs are counted by reading them all (see :mod:`.rest_top_level`).
        For a background worker: the REST API has no count."""
        parse_filter(filter_string)
        if top_level:
            if not experiment_ids:
                return 0
            return self._top.count(*self._top_level_scan(experiment_ids, filter_string, (),
                                                          view))

        def at(offset: int) -> tuple[int, bool]:
            page = self.search_runs(
                experiment_ids,
                filter_string,
                (),
                view,
                max_results=probe,
                offset=offset,
                count_total=False,
            )
            return len(page.runs), page.next_page_token is not None

        n, more = at(0)
        if not more:
            return n
        lo = probe  # total >= lo + 1
        hi = None  # total <= hi
        offset = probe * 2
        for _ in range(200):  # runs deleted while counting could make it chase forever
            if hi is not None:
                offset = lo if hi - lo <= probe else (lo + hi) // 2
            n, more = at(offset)
            if n and not more:
                return offset + n
            if n == 0:
                if offset <= lo:  # the runs shrank below what was seen: start over low
                    lo = 0
                hi = offset
            else:
                lo = offset + probe
                if hi is None:
                    offset *= 2
        raise RemoteError("Could not count the runs: they kept changing while counted")

    def _top_level_scan(
        self, experiment_ids: Sequence[str], filter_string: str, order_by: Sequence[str],
        view: ViewType,
    ) -> tuple:
        """The key, fetch and parent check of one top-level scan."""
        ids = [str(e) for e in experiment_ids]
        key = (tuple(ids), filter_string, tuple(order_by), view)

        def fetch(offset: int, limit: int) -> list[Run]:
            return self._search(ids, filter_string, order_by, view, offset, limit)

        def present(run_ids: Sequence[str]) -> set[str]:
            found: set[str] = set()
            literals = [q for q in map(_quoted, run_ids) if q is not None]
            for i in range(0, len(literals), 100):
                chunk = literals[i : i + 100]
                text = f"attributes.run_id IN ({', '.join(chunk)})"
                found.update(r.run_id for r in self._search(ids, text, (), view, 0, len(chunk)))
            return found

        return key, fetch, present

    def search_run_ids(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        parse_filter(filter_string)
        ids: list[str] = []
        offset = 0
        while experiment_ids:
            page = self.search_runs(
                experiment_ids,
                filter_string,
                (),
                view,
                max_results=10_000,
                offset=offset,
                count_total=False,
            )
            ids.extend(r.run_id for r in page.runs)
            if not page.next_page_token:
                break
            offset += len(page.runs)
        return ids

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        parse_filter(filter_string)
        wanted = set(parent_ids)
        if not wanted or not experiment_ids:
            return {}
        # LIKE '%' rather than IS NOT NULL: servers before MLflow 3.11 reject IS NULL
        nested = _and(
            filter_string if filter_string.strip() else None, f"tags.`{PARENT_RUN_TAG}` LIKE '%'"
        )
        counts: Counter[str] = Counter()
        offset = 0
        while True:
            page = self.search_runs(
                experiment_ids, nested, (), view, max_results=1000, offset=offset, count_total=False
            )
            for run in page.runs:
                parent = run.tags.get(PARENT_RUN_TAG)
                if parent in wanted:
                    counts[parent] += 1
            if not page.next_page_token:
                return dict(counts)
            offset += len(page.runs)
            if offset >= CHILD_SCAN_LIMIT:
                break

        def count(parent: str) -> tuple[str, int]:
            literal = _quoted(parent)
            if literal is None:
                return parent, 0
            text = _and(
                filter_string if filter_string.strip() else None,
                f"tags.`{PARENT_RUN_TAG}` = {literal}",
            )
            return parent, len(self.search_run_ids(experiment_ids, text, view))

        with ThreadPoolExecutor(max_workers=4) as pool:
            found = dict(pool.map(count, list(dict.fromkeys(parent_ids))))
        return {pid: n for pid, n in found.items() if n}

    def get_run(self, run_id: str) -> RunDetail:
        try:
            data = self._call("GET", "runs/get", params={"run_id": run_id})
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"No run with id {run_id!r}") from None
        raw = data.get("run") or {}
        run = _run(raw)
        self._artifact_uris[run.run_id] = run.artifact_uri
        inputs = raw.get("inputs") or {}
        datasets = []
        for item in inputs.get("dataset_inputs") or ():
            ds = item.get("dataset") or {}
            datasets.append(
                DatasetInput(
                    name=ds.get("name", ""),
                    digest=ds.get("digest", ""),
                    source_type=ds.get("source_type", ""),
                    source=ds.get("source", ""),
                    schema=ds.get("schema"),
                    profile=ds.get("profile"),
                    tags=_pairs(item.get("tags")),
                )
            )
        model_inputs = [m.get("model_id", "") for m in inputs.get("model_inputs") or ()]
        outputs = [
            ModelOutput(model_id=o.get("model_id", ""), step=_int(o.get("step")) or 0)
            for o in (raw.get("outputs") or {}).get("model_outputs") or ()
        ]
        return RunDetail(run=run, inputs=datasets, model_inputs=model_inputs, outputs=outputs)

    # -- metric history -------------------------------------------------------
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        if min_step is not None and max_step is not None and min_step > max_step:
            return []
        if max_points is None:
            return _in_range(self._full_history(run_id, key) or [], min_step, max_step)
        sample = self._bulk_sample(run_id, key, min_step, max_step)
        if sample is not None and len(sample) < BULK_MAX:
            return downsample(sample, max_points)
        budget = FULL_HISTORY_BUDGET if sample is not None else None
        full = self._full_history(run_id, key, budget)
        if full is None:  # longer than the budget: bucket the server's sample
            return downsample(sample or [], max_points)
        return downsample(_in_range(full, min_step, max_step), max_points)

    def _full_history(
        self, run_id: str, key: str, budget: int | None = None
    ) -> list[Metric] | None:
        """The whole history (None if it holds more than ``budget`` points)."""
        points: list[Metric] = []
        token = None
        while True:
            try:
                data = self._call(
                    "GET",
                    "metrics/get-history",
                    params={
                        "run_id": run_id,
                        "metric_key": key,
                        "max_results": HISTORY_PAGE,
                        "page_token": token,
                    },
                )
            except ResourceNotFound:
                return []  # as SQL: an unknown run has an empty history
            points.extend(_metric(m, key) for m in data.get("metrics") or ())
            token = data.get("next_page_token")
            if not token:
                return points
            if budget is not None and len(points) >= budget:
                return None

    def _bulk_sample(
        self, run_id: str, key: str, min_step: int | None, max_step: int | None
    ) -> list[Metric] | None:
        """The server's downsampled history (None when it lacks the endpoint)."""
        if not self._bulk_interval:
            return None
        params: dict = {"run_ids": [run_id], "metric_key": key, "max_results": BULK_MAX}
        if min_step is not None or max_step is not None:
            params["start_step"] = INT64_MIN if min_step is None else int(min_step)
            params["end_step"] = INT64_MAX if max_step is None else int(max_step)
        try:
            data = self._call("GET", "metrics/get-history-bulk-interval", params=params)
        except EndpointNotFound:
            self._bulk_interval = False
            return None
        except ResourceNotFound:
            return []
        points = [_metric(m, key) for m in data.get("metrics") or ()]
        points.sort(key=lambda m: (m.step, m.timestamp))
        return points

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        if not experiment_ids:
            return RunKeys()
        page = self.search_runs(
            experiment_ids, "", (), ViewType.ALL, max_results=RUN_KEYS_SAMPLE, count_total=False
        )
        metrics, params, tags = set(), set(), set()
        for run in page.runs:
            metrics.update(run.metrics)
            params.update(run.params)
            tags.update(run.tags)
        return RunKeys(sorted(metrics), sorted(params), sorted(tags))

    # -- artifacts --------------------------------------------------------------
    def _artifact_uri(self, run_id: str) -> str:
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self.get_run(run_id).run.artifact_uri
        return uri

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        rel = _clean_artifact_path(path)
        artifact_uri = self._artifact_uri(run_id)
        if _local_artifact_root(artifact_uri) is not None:
            return list_local_artifacts(artifact_uri, path)
        entries = self._remote_listing(run_id, rel)
        if rel and not entries:
            parent = posixpath.dirname(rel)
            found = next((e for e in self._remote_listing(run_id, parent) if e.path == rel), None)
            if found is None:
                raise ResourceNotFound(f"No artifact at {path}")
            if not found.is_dir:
                raise StoreError(f"{path} is a file, not a folder")
        return entries

    def _remote_listing(self, run_id: str, rel: str) -> list[ArtifactEntry]:
        items = self._pages(
            "GET", "artifacts/list", "files", params={"run_id": run_id, "path": rel or None}
        )
        entries = []
        for item in items:
            is_dir = bool(item.get("is_dir"))
            size = None if is_dir else _int(item.get("file_size"))
            entries.append(ArtifactEntry(item.get("path", ""), is_dir, size))
        return sorted(entries, key=lambda e: (not e.is_dir, e.path.lower()))

    def read_artifact(self, run_id: str, path: str, max_bytes: int = 8 << 20) -> bytes:
        rel = _clean_artifact_path(path)
        artifact_uri = self._artifact_uri(run_id)
        if _local_artifact_root(artifact_uri) is not None:
            return read_local_artifact(artifact_uri, path, max_bytes)
        if not rel:
            raise ResourceNotFound(f"No artifact file at {path}")
        try:
            parsed = urlparse(artifact_uri)
            if parsed.scheme == "mlflow-artifacts":
                root = parsed.path.strip("/")
                target = quote(f"{root}/{rel}" if root else rel)
                try:
                    return self.http.read_bytes(f"{ARTIFACTS_API}/{target}", None, max_bytes)
                except EndpointNotFound:
                    pass  # no --serve-artifacts route: let the server resolve the run
            return self.http.read_bytes("/get-artifact", {"run_id": run_id, "path": rel}, max_bytes)
        except (ResourceNotFound, InvalidValue, EndpointNotFound):
            raise ResourceNotFound(f"No artifact file at {path}") from None

    # -- deleting and restoring runs ------------------------------------------------
    def _set_lifecycle(self, run_ids: Sequence[str], endpoint: str, what: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        self.check_writable(what)

        def exists(rid: str) -> str | None:
            try:
                self._call("GET", "runs/get", params={"run_id": rid})
            except (ResourceNotFound, InvalidValue):
                return rid
            return None

        with ThreadPoolExecutor(max_workers=4) as pool:
            missing = [rid for rid in pool.map(exists, ids) if rid]
        if missing:
            raise ResourceNotFound(f"Run with id={missing[0]} not found; nothing was changed")
        self._top.clear()
        try:
            for rid in ids:
                self._call("POST", endpoint, body={"run_id": rid})
        finally:
            self._top.clear()

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run`` (the server sets deleted_time)."""
        self._set_lifecycle(run_ids, "runs/delete", "deleting runs")

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._set_lifecycle(run_ids, "runs/restore", "restoring runs")

    # -- registry reads -------------------------------------------------------------
    def _search_models(self, filter_string: str | None) -> list[RegisteredModel]:
        items = self._pages(
            "GET",
            "registered-models/search",
            "registered_models",
            params={"max_results": 1000, "filter": filter_string or None},
        )
        return [_model(m) for m in items]

    def _search_versions(self, filter_string: str | None) -> list[ModelVersion]:
        items = self._pages(
            "GET",
            "model-versions/search",
            "model_versions",
            params={"max_results": 10_000, "filter": filter_string or None},
        )
        return [_version(v) for v in items]

    def _versions_of(self, name: str) -> list[ModelVersion]:
        """Every version of one model (a prompt's versions too)."""
        literal = _quoted(name)
        if literal is None:
            everything = self._search_versions(None)
            if self._prompts_possible():
                everything += self._search_versions(PROMPT_FILTER)
            return [v for v in everything if v.name == name]
        found = self._search_versions(f"name = {literal}")
        if not found and self._prompts_possible():
            # MLflow hides a prompt's versions unless asked for them
            found = self._search_versions(_and(f"name = {literal}", PROMPT_FILTER))
        return [v for v in found if v.name == name]

    def _prompts_possible(self) -> bool:
        """False on a server older than the prompt registry: no prompt exists there,
        so asking for prompts would only cost requests."""
        return not self._older_than(PROMPTS_SINCE)

    @staticmethod
    def _count_versions(model: RegisteredModel, versions: Iterable[ModelVersion]) -> None:
        model.version_count = 0
        model.stage_counts = {}
        for mv in versions:
            model.version_count += 1
            model.stage_counts[mv.current_stage] = model.stage_counts.get(mv.current_stage, 0) + 1

    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Registered models by name; ``name_like`` is an ILIKE pattern (``%`` / ``_``)."""
        name_filter = None
        local_like = None
        if name_like:
            literal = _quoted(name_like)
            if literal is None:
                local_like = name_like
            else:
                name_filter = f"name ILIKE {literal}"
        models = self._search_models(name_filter)
        versions = self._search_versions(name_filter)
        if include_prompts and self._prompts_possible():
            models += self._search_models(_and(name_filter, PROMPT_FILTER))
            versions += self._search_versions(_and(name_filter, PROMPT_FILTER))
        if local_like is not None:
            models = [m for m in models if compare("ILIKE", m.name, local_like)]
        by_name: dict[str, list[ModelVersion]] = {}
        for mv in versions:
            by_name.setdefault(mv.name, []).append(mv)
        unique = {m.name: m for m in models}
        for model in unique.values():
            self._count_versions(model, by_name.get(model.name, ()))
        return [unique[n] for n in sorted(unique)]

    def get_registered_model(self, name: str) -> RegisteredModel:
        model = self._get_model(name)
        self._count_versions(model, self._versions_of(name))
        return model

    def _get_model(self, name: str) -> RegisteredModel:
        try:
            data = self._call("GET", "registered-models/get", params={"name": name})
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"Registered Model with name={name} not found") from None
        return _model(data.get("registered_model") or {})

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Every version of a model, newest first, with tags and aliases."""
        try:
            aliases = self._get_model(name).aliases
        except ResourceNotFound:
            return []
        found = self._versions_of(name)
        if stages:
            wanted = {s.lower() for s in stages}
            found = [mv for mv in found if mv.current_stage.lower() in wanted]
        for mv in found:
            mv.aliases = sorted(a for a, v in aliases.items() if v == mv.version)
        return sorted(found, key=lambda mv: mv.version, reverse=True)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise ResourceNotFound(
                f"Model Version (name={name}, version={version}) not found"
            ) from None
        try:
            data = self._call(
                "GET", "model-versions/get", params={"name": name, "version": str(number)}
            )
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(
                f"Model Version (name={name}, version={version}) not found"
            ) from None
        return _version(data.get("model_version") or {})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        try:
            data = self._call(
                "GET", "registered-models/alias", params={"name": name, "alias": alias}
            )
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"Registered model alias {alias} not found.") from None
        except EndpointNotFound as exc:
            raise self._lacking(exc, "aliases", ALIASES_SINCE) from None
        return _version(data.get("model_version") or {})

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        try:
            items = self._pages(
                "POST",
                "logged-models/search",
                "models",
                body={"experiment_ids": [str(experiment_id)], "max_results": 100},
            )
        except EndpointNotFound:
            return []  # a server older than MLflow 3 has no logged models
        result = []
        for item in items:
            info = item.get("info") or {}
            data = item.get("data") or {}
            status = str(info.get("status") or "")
            result.append(
                LoggedModel(
                    model_id=info.get("model_id", ""),
                    experiment_id=str(info.get("experiment_id", "")),
                    name=info.get("name", ""),
                    artifact_location=info.get("artifact_uri") or "",
                    creation_time=_int(info.get("creation_timestamp_ms")),
                    last_updated_time=_int(info.get("last_updated_timestamp_ms")),
                    status=status.removeprefix("LOGGED_MODEL_") or "UNSPECIFIED",
                    model_type=info.get("model_type") or "",
                    source_run_id=info.get("source_run_id") or "",
                    tags=_pairs(info.get("tags")),
                    params=_pairs(data.get("params") or info.get("params")),
                )
            )
        result.sort(key=lambda m: m.creation_time or 0, reverse=True)
        return result

    # -- registry writes --------------------------------------------------------------
    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        expected_last_updated=ANY,
    ) -> ModelVersion:
        stage, version = check_transition(stage, version, archive_existing)
        self.check_writable(f"moving {name} v{version} to {stage}")
        current = self.get_model_version(name, version)
        check_expected(current.last_updated_time, expected_last_updated, f"{name} v{version}")
        self._call(
            "POST",
            "model-versions/transition-stage",
            body={
                "name": name,
                "version": str(version),
                "stage": stage,
                "archive_existing_versions": bool(archive_existing),
            },
        )
        return self.get_model_version(name, version)

    def set_alias(self, name: str, alias: str, version: int, expected_previous=ANY) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        check_alias(alias)
        version = check_version(version)
        self.check_writable(f"setting alias @{alias}")
        self.get_model_version(name, version)
        if expected_previous is not ANY:
            current = self._get_model(name).aliases.get(alias)
            if current != expected_previous:
                raise ConflictError(
                    f"Alias @{alias} now points to "
                    f"{'nothing' if current is None else f'v{current}'} (changed since shown); "
                    "nothing was written"
                )
        try:
            self._call(
                "POST",
                "registered-models/alias",
                body={"name": name, "alias": alias, "version": str(version)},
            )
        except EndpointNotFound as exc:
            raise self._lacking(exc, "aliases", ALIASES_SINCE) from None

    def delete_alias(self, name: str, alias: str, expected_version=ANY) -> None:
        check_alias(alias, for_set=False)
        self.check_writable(f"deleting alias @{alias}")
        current = self._get_model(name).aliases.get(alias)
        if expected_version is not ANY and current != expected_version:
            raise ConflictError(f"Alias @{alias} changed since it was shown; nothing was written")
        if current is None:
            return  # as the SQL backend: deleting a missing alias changes nothing
        try:
            self._call("DELETE", "registered-models/alias", body={"name": name, "alias": alias})
        except EndpointNotFound as exc:
            raise self._lacking(exc, "aliases", ALIASES_SINCE) from None

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        check_tag(key, value)
        self.check_writable(f"setting tag {key} on {name}")
        self._get_model(name)
        self._call(
            "POST", "registered-models/set-tag", body={"name": name, "key": key, "value": value}
        )

    def delete_model_tag(self, name: str, key: str) -> None:
        check_tag(key, "")
        self.check_writable(f"deleting tag {key} of {name}")
        model = self._get_model(name)
        if key not in model.tags:
            return
        self._call("DELETE", "registered-models/delete-tag", body={"name": name, "key": key})

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        check_tag(key, value)
        version = check_version(version)
        self.check_writable(f"setting tag {key} on {name} v{version}")
        self.get_model_version(name, version)
        self._call(
            "POST",
            "model-versions/set-tag",
            body={"name": name, "version": str(version), "key": key, "value": value},
        )

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        check_tag(key, "")
        version = check_version(version)
        self.check_writable(f"deleting tag {key} of {name} v{version}")
        mv = self.get_model_version(name, version)
        if key not in mv.tags:
            return
        self._call(
            "DELETE",
            "model-versions/delete-tag",
            body={"name": name, "version": str(version), "key": key},
        )

    def update_model_description(
        self, name: str, description: str, expected_last_updated=ANY
    ) -> None:
        self.check_writable(f"editing the description of {name}")
        model = self._get_model(name)
        check_expected(model.last_updated_time, expected_last_updated, name)
        self._call(
            "PATCH", "registered-models/update", body={"name": name, "description": description}
        )

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated=ANY
    ) -> None:
        version = check_version(version)
        self.check_writable(f"editing the description of {name} v{version}")
        current = self.get_model_version(name, version)
        check_expected(current.last_updated_time, expected_last_updated, f"{name} v{version}")
        self._call(
            "PATCH",
            "model-versions/update",
            body={"name": name, "version": str(version), "description": description},
        )


def _id_key(exp: Experiment) -> tuple:
    try:
        return (0, int(exp.experiment_id), "")
    except ValueError:
        return (1, 0, exp.experiment_id)
