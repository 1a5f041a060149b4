"""Traces in an ``mlruns`` folder, as MLflow's file store writes them::

    mlruns/<experiment_id>/traces/<trace_id>/trace_info.yaml   id, times, state, previews
                                            /tags/<key>, request_metadata/<key>
                                            /assessments/<assessment_id>.yaml
                                            /artifacts/traces.json   the spans

The spans are always in ``traces.json`` (the file store cannot log spans): at the
trace's ``mlflow.artifactLocation`` tag, or in the trace's own ``artifacts``
folder when that tag points somewhere gone (an mlruns folder moved or copied).
Searches read every trace of the experiments and filter and sort in Python, as
MLflow's file store does (:mod:`..search.trace_evaluate`); a trace folder without
a readable ``trace_info.yaml`` is skipped, as MLflow skips it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import yaml

from ..base import encode_page_token
from ..errors import ResourceNotFound, StoreError
from ..search.trace_evaluate import check_in_memory, sort_traces, trace_matches
from ..search.trace_filters import parse_trace_filter
from ..search.trace_order import parse_trace_order_by
from ..trace_artifacts import artifact_spans, decode_trace_file
from ..trace_decode import assessment_from_dict, order_assessments, trace_info_from_dict
from ..trace_entities import TRACES_FILE, Span, TraceInfo, TracePage, TraceQuery
from .layout import ARTIFACTS, read_bytes, read_key_values, safe_name
from .root import Root

TRACES = "traces"
TRACE_INFO = "trace_info.yaml"

try:  # libyaml when there: the same result, faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure Python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def _load_yaml(path: str) -> object:
    return yaml.load(read_bytes(path), Loader=_Loader)  # a safe loader


class FileTraces:
    """Trace reads under one :class:`Root`."""

    def __init__(self, root: Root):
        self._root = root

    # -- finding traces --------------------------------------------------------------
    def _experiment_dirs(self, experiment_ids: Sequence[str]) -> list[str]:
        dirs = []
        for eid in dict.fromkeys(str(e) for e in experiment_ids):
            path = self._root.experiment_dir(eid)
            if path is not None:
                dirs.append(path)
        return dirs

    def _trace_dirs(self, experiment_dir: str) -> list[str]:
        try:
            with os.scandir(os.path.join(experiment_dir, TRACES)) as it:
                return [e.path for e in it if safe_name(e.name) and e.is_dir()]
        except OSError:
            return []

    def _find(self, trace_id: str) -> str:
        if safe_name(trace_id):
            for parent in (self._root.path, self._root.trash):
                try:
                    with os.scandir(parent) as it:
                        experiments = [e.path for e in it if e.is_dir()]
                except OSError:
                    continue
                for experiment_dir in experiments:
                    path = os.path.join(experiment_dir, TRACES, trace_id)
                    if os.path.isfile(os.path.join(path, TRACE_INFO)):
                        return path
        raise ResourceNotFound(f"No trace with id {trace_id!r}")

    # -- reading one -------------------------------------------------------------------
    def _read(self, trace_dir: str) -> TraceInfo | None:
        """The trace in ``trace_dir``, or None when its trace_info.yaml is unreadable."""
        try:
            raw = _load_yaml(os.path.join(trace_dir, TRACE_INFO))
        except (OSError, yaml.YAMLError):
            return None
        if not isinstance(raw, dict):
            return None
        info = trace_info_from_dict(raw)
        tags = read_key_values(os.path.join(trace_dir, "tags"))
        metadata = read_key_values(os.path.join(trace_dir, "request_metadata"))
        return TraceInfo(
            trace_id=info.trace_id or os.path.basename(trace_dir),
            experiment_id=info.experiment_id or os.path.basename(
                os.path.dirname(os.path.dirname(trace_dir))),
            request_time=info.request_time,
            execution_duration=info.execution_duration,
            state=info.state,
            request_preview=info.request_preview,
            response_preview=info.response_preview,
            client_request_id=info.client_request_id,
            tags={**info.tags, **tags},
            trace_metadata={**info.trace_metadata, **metadata},
            assessments=self._assessments(trace_dir) or info.assessments,
        )

    def _assessments(self, trace_dir: str):
        folder = os.path.join(trace_dir, "assessments")
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return ()
        found = []
        for name in names:
            if not name.endswith(".yaml"):
                continue
            try:
                item = assessment_from_dict(_load_yaml(os.path.join(folder, name)))  # type: ignore[arg-type]
            except (OSError, yaml.YAMLError):
                continue
            if item is not None:
                found.append(item)
        return order_assessments(found)

    def _all(self, experiment_ids: Sequence[str]) -> list[TraceInfo]:
        infos = []
        for experiment_dir in self._experiment_dirs(experiment_ids):
            for trace_dir in self._trace_dirs(experiment_dir):
                info = self._read(trace_dir)
                if info is not None:
                    infos.append(info)
        return infos

    # -- the contract ------------------------------------------------------------------
    def page(self, query: TraceQuery, max_results: int, offset: int,
             count_total: bool) -> TracePage:
        """Filtered and sorted in Python, as MLflow's file store does."""
        clauses = parse_trace_filter(query.filter)
        order = parse_trace_order_by(query.order_by)
        check_in_memory(clauses)
        matching = [t for t in self._all(query.experiment_ids) if trace_matches(t, clauses)]
        ordered = sort_traces(matching, order)
        page = ordered[offset : offset + max_results]
        more = offset + max_results < len(ordered)
        return TracePage(page, next_page_token=encode_page_token(offset + max_results)
                         if more else None,
                         total=len(ordered) if count_total else None, offset=offset)

    def count(self, query: TraceQuery) -> int:
        clauses = parse_trace_filter(query.filter)
        check_in_memory(clauses)
        return sum(1 for t in self._all(query.experiment_ids) if trace_matches(t, clauses))

    def any(self, experiment_ids: Sequence[str]) -> bool:
        for experiment_dir in self._experiment_dirs(experiment_ids):
            for trace_dir in self._trace_dirs(experiment_dir):
                if os.path.isfile(os.path.join(trace_dir, TRACE_INFO)):
                    return True
        return False

    def info(self, trace_id: str) -> TraceInfo:
        info = self._read(self._find(trace_id))
        if info is None:
            raise StoreError(f"The {TRACE_INFO} of trace {trace_id} cannot be read")
        return info

    def spans(self, info: TraceInfo) -> list[Span]:
        """From the ``traces.json`` the trace's tag names, else the one in its folder
        (the file store keeps no span rows)."""
        try:
            return artifact_spans(info)
        except ResourceNotFound:
            try:
                local = os.path.join(self._find(info.trace_id), ARTIFACTS, TRACES_FILE)
                content = read_bytes(local)
            except (OSError, ResourceNotFound):
                raise ResourceNotFound(f"No {TRACES_FILE} for trace {info.trace_id} (not "
                                       "written yet, or deleted)") from None
            return decode_trace_file(content, info.trace_id)
