"""MLflow 3 traces through a tracking server (REST API 3.0).

- **Search**: ``POST /api/3.0/mlflow/traces/search`` (``locations``, ``filter``,
  ``order_by``, ``max_results`` <= 500, ``page_token``); a server before MLflow 3
  has ``GET /api/2.0/mlflow/traces`` instead, with MLflow 2's TraceInfo. The filter
  and order_by are parsed here first, so a bad one fails with its position and
  without a request. Offsets are page tokens (MLflow's base64 ``{"offset": n}``),
  so any page can be asked directly; one more trace than asked is fetched to know
  whether another page follows. The API cannot count: ``total`` is None except on
  the last page.
- **One trace**: ``GET /api/3.0/mlflow/traces/<id>`` (MLflow 2:
  ``/api/2.0/mlflow/traces/<id>/info``).
- **Spans**: for a trace whose spans are in the server's ``spans`` table,
  ``GET /api/3.0/mlflow/traces/get`` (then ``traces/batchGet`` on servers that
  lack it); otherwise, and on servers older than both, the ``traces.json`` the
  server reads from its artifact store (``/ajax-api/2.0/mlflow/get-trace-artifact``,
  the route MLflow's web UI uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from ..base import encode_page_token
from ..errors import InvalidSearch, ResourceNotFound, StoreError
from ..search.trace_filters import parse_trace_filter
from ..search.trace_order import parse_trace_order_by
from ..trace_artifacts import MAX_TRACE_FILE, decode_trace_file
from ..trace_decode import order_spans, trace_info_from_dict
from ..trace_entities import TRACKING_STORE, Span, TraceInfo, TracePage, TraceQuery
from .client import RestClient
from .failures import EndpointNotFound
from .trace_decode import otel_span

API3 = "/api/3.0/mlflow/traces"
API2 = "/api/2.0/mlflow/traces"
TRACE_ARTIFACT = "/ajax-api/2.0/mlflow/get-trace-artifact"
SERVER_PAGE = 500
"""The most traces a server returns per request."""


class RestTraces:
    """Trace searches and reads; needs nothing but the client."""

    def __init__(self, client: RestClient):
        self.client = client
        self._v2_only = False
        """The server answered that it has no 3.0 trace API (MLflow 2)."""

    # -- search ------------------------------------------------------------------------
    def _request(self, query: TraceQuery, start: int, want: int) -> tuple[list[dict], bool]:
        """Up to ``want`` (<= 500) traces from ``start``; and whether the server says
        more follow."""
        token = encode_page_token(start) if start else None
        if not self._v2_only:
            body = {
                "locations": [{"type": "MLFLOW_EXPERIMENT",
                               "mlflow_experiment": {"experiment_id": e}}
                              for e in query.experiment_ids],
                "filter": query.filter or None,
                "max_results": want,
                "order_by": list(query.order_by) or None,
                "page_token": token,
            }
            try:
                data = self.client.call("POST", f"{API3}/search", body=body,
                                        invalid=InvalidSearch)
                return list(data.get("traces") or ()), bool(data.get("next_page_token"))
            except EndpointNotFound:
                self._v2_only = True
        params = {"experiment_ids": list(query.experiment_ids), "filter": query.filter or None,
                  "max_results": want, "order_by": list(query.order_by) or None,
                  "page_token": token}
        data = self.client.call("GET", API2, params=params, invalid=InvalidSearch)
        return list(data.get("traces") or ()), bool(data.get("next_page_token"))

    def _fetch(self, query: TraceQuery, offset: int, limit: int) -> list[TraceInfo]:
        """Up to ``limit`` traces from ``offset`` in the server's order."""
        found: list[TraceInfo] = []
        while len(found) < limit:
            want = min(SERVER_PAGE, limit - len(found))
            items, more = self._request(query, offset + len(found), want)
            found.extend(trace_info_from_dict(item) for item in items)
            if len(items) < want or not more:
                break
        return found

    def page(self, query: TraceQuery, max_results: int, offset: int,
             count_total: bool) -> TracePage:
        """Validated here, run by the server; ``total`` only on the last page."""
        parse_trace_filter(query.filter)  # fails here, with the position, before a request
        parse_trace_order_by(query.order_by)
        if not query.experiment_ids:
            return TracePage([], total=0 if count_total else None, offset=offset)
        traces = self._fetch(query, offset, max_results + 1)
        more = len(traces) > max_results
        traces = traces[:max_results]
        total = offset + len(traces) if count_total and not more else None
        token = encode_page_token(offset + max_results) if more else None
        return TracePage(traces, next_page_token=token, total=total, offset=offset)

    def any(self, experiment_ids: Sequence[str]) -> bool:
        """One search for one trace; False on a server without traces."""
        if not experiment_ids:
            return False
        try:
            return bool(self._fetch(TraceQuery.of(experiment_ids), 0, 1))
        except EndpointNotFound:
            return False

    # -- one trace ----------------------------------------------------------------------
    def info(self, trace_id: str) -> TraceInfo:
        quoted = quote(trace_id, safe="")
        try:
            if not self._v2_only:
                try:
                    data = self.client.call("GET", f"{API3}/{quoted}")
                    return trace_info_from_dict((data.get("trace") or {}).get("trace_info") or {})
                except EndpointNotFound:
                    self._v2_only = True
            data = self.client.call("GET", f"{API2}/{quoted}/info")
            return trace_info_from_dict(data.get("trace_info") or {})
        except (ResourceNotFound, EndpointNotFound):
            raise ResourceNotFound(f"No trace with id {trace_id!r}") from None

    def spans(self, info: TraceInfo) -> list[Span]:
        """From ``traces/get`` (the spans table), else the server's traces.json route."""
        if info.spans_location == TRACKING_STORE and not self._v2_only:
            try:
                return self._stored_spans(info.trace_id)
            except EndpointNotFound:
                pass  # a server with neither route: its artifact route serves them too
        return self._artifact_spans(info.trace_id)

    def _stored_spans(self, trace_id: str) -> list[Span]:
        """The spans from the server's ``spans`` table (``traces/get``, else ``batchGet``)."""
        try:
            data = self.client.call("GET", f"{API3}/get",
                                    params={"trace_id": trace_id, "allow_partial": "true"})
            trace = data.get("trace") or {}
        except (EndpointNotFound, ResourceNotFound) as exc:
            # servers before traces/get read "get" as a trace id
            if isinstance(exc, ResourceNotFound) and "'get'" not in str(exc):
                raise
            data = self.client.call("GET", f"{API3}/batchGet", params={"trace_ids": [trace_id]})
            found = [t for t in data.get("traces") or ()
                     if (t.get("trace_info") or {}).get("trace_id") == trace_id]
            if not found:
                raise ResourceNotFound(f"No spans for trace {trace_id!r} on the server") from None
            trace = found[0]
        return order_spans(otel_span(s, trace_id) for s in trace.get("spans") or ()
                           if isinstance(s, dict))

    def _artifact_spans(self, trace_id: str) -> list[Span]:
        try:
            content = self.client.read_bytes(TRACE_ARTIFACT, {"request_id": trace_id},
                                             MAX_TRACE_FILE + 1)
        except EndpointNotFound:
            raise StoreError(f"{self.client.base_url} does not serve the spans of trace "
                             f"{trace_id} (no trace data route)") from None
        if len(content) > MAX_TRACE_FILE:
            raise StoreError(f"The spans of trace {trace_id} are over 1 GiB: too big to read")
        return decode_trace_file(content, trace_id)
