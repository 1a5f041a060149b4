"""HTTP for the REST backend: one thread-safe client per store, with auth, TLS,
timeouts and retries (settings in :mod:`.settings`) and every failure turned
into one line (:mod:`.failures`).

Retried: connection failures, dropped connections, HTTP 408, 429, 500, 502,
503, 504; a ``Retry-After`` header is honoured, capped at
:data:`MAX_RETRY_AFTER` seconds. A read timeout is not retried (a slow server
would only be asked again).

The server's MLflow version comes from ``GET /version``, which MLflow's server
answers beside ``/health`` with plain text (``2.9.2``, ``3.10.1``; as
``text/html``): :meth:`RestClient.ask_version` asks once, without retries, and
:class:`~.versions.ServerVersion` keeps the answer; a server without the route
is a server that does not say.

The client is thread-safe (the UI calls the store from several worker threads)
and does no I/O until the first request.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import InvalidValue, RemoteError, StoreError
from .failures import is_tls_error, network_error, not_json, status_error
from .settings import Settings
from .versions import VersionAnswer, parse_version

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
"""Longest wait a ``Retry-After`` header can impose, in seconds."""
WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
VERSION_PATH = "/version"


def endpoint_name(path: str) -> str:
    """``/api/2.0/mlflow/runs/search`` as people read it: ``runs/search``."""
    return path[len(API) + 1 :] if path.startswith(API + "/") else path


class RestClient:
    """Thread-safe JSON-over-HTTP calls to one tracking server."""

    def __init__(self, base_url: str, env: Mapping[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.settings = Settings(env)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = False

    # lifecycle -----------------------------------------------------------
    def _http(self) -> httpx.Client:
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._closed:
                raise RemoteError(f"The connection to {self.base_url} was closed")
            if self._client is None:
                s = self.settings
                headers = {"User-Agent": "mltui", "Accept": "application/json"}
                if s.auth_header:
                    headers["Authorization"] = s.auth_header
                if s.workspace:
                    headers[WORKSPACE_HEADER] = s.workspace
                self._client = httpx.Client(
                    base_url=self.base_url,
                    headers=headers,
                    verify=s.ssl_verify(),
                    timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                    limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
                    follow_redirects=True,
                    trust_env=True,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # requests ------------------------------------------------------------
    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        invalid: type[StoreError] = InvalidValue,
    ) -> dict:
        """One API call (``endpoint`` under ``/api/2.0/mlflow``); the decoded JSON object.

        ``invalid`` is the error raised for INVALID_PARAMETER_VALUE (InvalidSearch for
        searches)."""
        path = endpoint if endpoint.startswith("/") else f"{API}/{endpoint}"
        kwargs: dict[str, Any] = {}
        if params is not None:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        if body is not None:
            kwargs["json"] = {k: v for k, v in body.items() if v is not None}
        response = self.send(method, path, invalid=invalid, **kwargs)
        return self.decode(response, path)

    def pages(
        self,
        method: str,
        endpoint: str,
        key: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        invalid: type[StoreError] = InvalidValue,
    ) -> list[dict]:
        """Every item under ``key`` of a paged listing (following ``next_page_token``);
        the token goes in ``body`` when there is one, else in ``params``."""
        items: list[dict] = []
        token = None
        while True:
            if body is not None:
                data = self.call(method, endpoint, body={**body, "page_token": token},
                                 invalid=invalid)
            else:
                data = self.call(method, endpoint, params={**(params or {}), "page_token": token},
                                 invalid=invalid)
            items.extend(data.get(key) or ())
            token = data.get("next_page_token")
            if not token:
                return items

    def send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        invalid: type[StoreError] = InvalidValue,
        accept: frozenset[int] = frozenset(),
        **kwargs,
    ) -> httpx.Response:
        """The raw response to a request, after retries; errors for 4xx/5xx statuses
        except those in ``accept`` (returned as they are).

        With ``stream`` the body is not read: use ``with`` on the response."""
        s = self.settings
        attempt = 0
        while True:
            wait = None
            try:
                client = self._http()
                request = client.build_request(method, path, **kwargs)
                response = client.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                if (
                    isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                    and attempt < s.max_retries
                ):
                    wait = self._backoff(attempt)
                else:
                    raise self._network_error(exc, path) from None
            except httpx.TransportError as exc:
                if is_tls_error(exc) or isinstance(exc, httpx.UnsupportedProtocol):
                    raise self._network_error(exc, path) from None
                if attempt >= s.max_retries:
                    raise self._network_error(exc, path) from None
                wait = self._backoff(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= s.max_retries:
                    if response.status_code >= 400 and response.status_code not in accept:
                        if stream:
                            response.read()
                            response.close()
                        raise status_error(self.base_url, response, endpoint_name(path),
                                           invalid)
                    return response
                wait = self._retry_after(response, attempt)
                response.close()
            attempt += 1
            time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return s.backoff_factor * (2**attempt) + random.random() * s.backoff_jitter

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        default = self._backoff(attempt)
        if not self.settings.respect_retry_after:
            return default
        header = response.headers.get("Retry-After")
        if not header:
            return default
        try:
            seconds = float(header)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(header).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                return default
        return min(MAX_RETRY_AFTER, max(0.0, seconds))

    def _network_error(self, exc: Exception, path: str) -> RemoteError:
        return network_error(self.base_url, exc, endpoint_name(path),
                             self.settings.read_timeout)

    def ask_version(self) -> VersionAnswer:
        """One ``GET /version``, without retries: (True, ``"2.9.2"``) or (True, None)
        for a definite answer (a version, or a status that is not 401/403: no route,
        a proxy's page); (False, None) when the server could not be asked (network
        or auth failure), which is not worth keeping."""
        try:
            response = self._http().get(VERSION_PATH)
        except (httpx.HTTPError, StoreError):
            return False, None
        if response.status_code in (401, 403):
            return False, None
        text = response.text if len(response.content) < 200 else ""
        ok = response.status_code == 200 and parse_version(text) is not None
        return True, (text.strip() if ok else None)

    # decoding ------------------------------------------------------------
    def decode(self, response: httpx.Response, path: str) -> dict:
        content = response.content
        if response.status_code == 204 or not content.strip():
            return {}
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise not_json(self.base_url, response, endpoint_name(path)) from None
        if not isinstance(data, dict):
            raise not_json(self.base_url, response, endpoint_name(path))
        return data

    # higher level ----------------------------------------------------------
    def read_bytes(self, path: str, params: Mapping[str, Any] | None, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of a download (the rest is never transferred)."""
        response = self.send("GET", path, params=params, stream=True)
        return self._collect(response, path, 0, max_bytes)

    def read_range(
        self, path: str, params: Mapping[str, Any] | None, offset: int, length: int,
        max_skip: int,
    ) -> bytes:
        """Up to ``length`` bytes of a download from ``offset``, asked with an HTTP
        Range header. A server that ignores it answers 200 with the whole file: then
        the first ``offset`` bytes are read and dropped, if ``offset <= max_skip``;
        beyond that a StoreError says the server cannot serve the range."""
        if length <= 0:
            return b""
        headers = {"Range": f"bytes={offset}-{offset + length - 1}",
                   # a compressed body would make the byte offsets meaningless
                   "Accept-Encoding": "identity"}
        response = self.send("GET", path, params=params, headers=headers, stream=True,
                             accept=frozenset({416}))
        skip = 0
        if response.status_code == 416:  # the range starts past the end of the file
            response.close()
            return b""
        if response.status_code != 206 and offset:
            if offset > max_skip:
                response.close()
                raise StoreError(
                    f"{self.base_url} does not serve byte ranges (an older MLflow server): "
                    f"reading from {offset:,} bytes in would download the file whole"
                )
            skip = offset
        return self._collect(response, path, skip, length)

    def _collect(self, response: httpx.Response, path: str, skip: int, length: int) -> bytes:
        """``length`` bytes of a streamed body after dropping its first ``skip``."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                chunks.append(chunk)
                size += len(chunk)
                if size >= length:
                    break
        except httpx.HTTPError as exc:
            raise self._network_error(exc, path) from None
        finally:
            response.close()
        return b"".join(chunks)[:length]

    def content_length(self, path: str, params: Mapping[str, Any] | None) -> int | None:
        """The size of a download without transferring it: a one-byte Range request
        (``Content-Range: bytes 0-0/SIZE``), else the ``Content-Length`` of the full
        answer; None when the server says neither (a chunked stream)."""
        headers = {"Range": "bytes=0-0", "Accept-Encoding": "identity"}
        response = self.send("GET", path, params=params, headers=headers, stream=True,
                             accept=frozenset({416}))
        try:
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
            if response.status_code in (206, 416) and total.isdigit():
                return int(total)
            if response.status_code == 416:
                return 0  # no byte 0: an empty file
            length = response.headers.get("Content-Length", "")
            return int(length) if response.status_code == 200 and length.isdigit() else None
        finally:
            response.close()
