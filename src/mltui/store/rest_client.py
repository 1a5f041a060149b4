"""HTTP for the REST backend: auth, TLS, timeouts, retries and error mapping.

Settings are read from the environment exactly as MLflow's client reads them
(``mlflow/utils/credentials.py``, ``mlflow/utils/rest_utils.py``):

- ``MLFLOW_TRACKING_USERNAME`` + ``MLFLOW_TRACKING_PASSWORD`` (each falling back to
  ``~/.mlflow/credentials``, section ``[mlflow]``): HTTP basic auth. Only when
  both are set; otherwise ``MLFLOW_TRACKING_TOKEN`` sends ``Bearer <token>``.
- ``MLFLOW_TRACKING_INSECURE_TLS`` (true/false/1/0): skip certificate checks.
- ``MLFLOW_TRACKING_SERVER_CERT_PATH``: CA bundle (file or folder) to verify the
  server with; not together with ``MLFLOW_TRACKING_INSECURE_TLS``.
- ``MLFLOW_TRACKING_CLIENT_CERT_PATH``: client certificate (PEM with its key).
- ``MLFLOW_WORKSPACE``: sent as the ``X-MLFLOW-WORKSPACE`` header.

Timeouts and retries use MLflow's variables when they are set
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``, ``MLFLOW_HTTP_REQUEST_BACKOFF_JITTER``,
``MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER``) but default to values fit for an
interactive UI rather than MLflow's batch-job retries (7 retries, about four
minutes of back-off): a 5 s connect timeout and MLflow's 120 s read timeout (a
big server can take that long to sort runs by a metric), 3 retries with 0.25 s,
0.5 s, 1 s back-off (plus up to 0.1 s jitter). Retried: connection
failures, dropped connections, HTTP 408, 429, 500, 502, 503, 504; a
``Retry-After`` header is honoured, capped at :data:`MAX_RETRY_AFTER` seconds.
A read timeout is not retried (a slow server would only be asked again).

Every failure becomes a :class:`~mltui.store.errors.StoreError` with one line
of text: :class:`AuthError` for 401/403, :class:`EndpointNotFound` for an
endpoint the server lacks, MLflow's ``error_code`` payloads mapped to
ResourceNotFound / InvalidValue / ..., and HTML or garbage where JSON was
expected to a :class:`RemoteError` that says so.

The server's MLflow version comes from ``GET /version``, which MLflow's
server answers beside ``/health`` with plain text (``2.9.2``, ``3.10.1``; as
``text/html``), asked at most once and only when a decision needs it
(:meth:`RestClient.server_version`); a server without the route is a server
that does not say.

The client is thread-safe (the UI calls the store from several worker
threads) and does no I/O until the first request.
"""

from __future__ import annotations

import configparser
import json
import os
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import (
    AuthError,
    ConflictError,
    InvalidValue,
    RemoteError,
    ResourceNotFound,
    StoreError,
)

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
"""Longest wait a ``Retry-After`` header can impose, in seconds."""
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_FACTOR = 0.25
DEFAULT_BACKOFF_JITTER = 0.1
AUTH_HINT = "check MLFLOW_TRACKING_USERNAME/PASSWORD or TOKEN"
WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
VERSION_PATH = "/version"

Version = tuple[int, int, int]
"""An MLflow release as (major, minor, patch)."""

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+\-]?[0-9A-Za-z][0-9A-Za-z.+\-]*)?")


class EndpointNotFound(RemoteError):
    """The server has no such endpoint (an older MLflow, or not MLflow at all).

    Callers catch it to degrade one feature and say so."""


_ERROR_CODES: dict[str, type[StoreError]] = {
    "RESOURCE_DOES_NOT_EXIST": ResourceNotFound,
    "NOT_FOUND": ResourceNotFound,
    "INVALID_PARAMETER_VALUE": InvalidValue,
    "BAD_REQUEST": InvalidValue,
    "INVALID_STATE": InvalidValue,
    "MALFORMED_REQUEST": InvalidValue,
    "RESOURCE_ALREADY_EXISTS": ConflictError,
    "ABORTED": ConflictError,
    "UNAUTHENTICATED": AuthError,
    "PERMISSION_DENIED": AuthError,
    "CUSTOMER_UNAUTHORIZED": AuthError,
    "ENDPOINT_NOT_FOUND": EndpointNotFound,
}


def parse_version(text: str | None) -> Version | None:
    """The release in a ``/version`` answer: ``2.9.2``, ``3.11.0rc0``, ``3.12.0.dev0``,
    ``2.9.2+custom``; None for anything else (an HTML page, JSON, an empty body).

    A pre-release or dev build counts as its release: features land before the
    release candidate, and if a dev build lacks one the server's own error still
    reaches the person."""
    if not text:
        return None
    match = _VERSION_RE.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- settings ------------------------------------------------------------------


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false", "1", "0"):
        raise StoreError(
            f"{name} value must be one of ['true', 'false', '1', '0'] (case-insensitive), "
            f"but got {raw}"
        )
    return raw.lower() in ("true", "1")


def _env_number(env: Mapping[str, str], name: str, kind: Callable, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise StoreError(f"Failed to convert {raw!r} for {name}") from None
    if value < 0:
        raise StoreError(f"{name} must not be negative (got {raw})")
    return value


def _credentials_file(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``~/.mlflow/credentials`` as MLflow reads it (section ``[mlflow]``)."""
    home = env.get("HOME")
    path = (
        os.path.join(home, ".mlflow", "credentials")
        if home
        else os.path.expanduser("~/.mlflow/credentials")
    )
    if not os.path.exists(path):
        return None, None
    config = configparser.ConfigParser()
    try:
        config.read(path)
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, None
    if "mlflow" not in config:
        return None, None
    section = config["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


class Settings:
    """Everything the client takes from the environment, read once."""

    def __init__(self, env: Mapping[str, str] | None = None):
        env = os.environ if env is None else env
        file_user, file_password = _credentials_file(env)
        self.username = env.get("MLFLOW_TRACKING_USERNAME") or file_user
        self.password = env.get("MLFLOW_TRACKING_PASSWORD") or file_password
        self.token = env.get("MLFLOW_TRACKING_TOKEN") or None
        self.insecure = _env_bool(env, "MLFLOW_TRACKING_INSECURE_TLS", False)
        self.server_cert = env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
        self.client_cert = env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None
        if self.insecure and self.server_cert:
            raise StoreError(
                "MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both "
                "set - only one of these environment variables may be set"
            )
        self.workspace = (env.get("MLFLOW_WORKSPACE") or "").strip() or None
        timeout = _env_number(env, "MLFLOW_HTTP_REQUEST_TIMEOUT", float, None)
        self.connect_timeout = (
            min(DEFAULT_CONNECT_TIMEOUT, timeout) if timeout else DEFAULT_CONNECT_TIMEOUT
        )
        self.read_timeout = timeout if timeout else DEFAULT_READ_TIMEOUT
        self.max_retries = _env_number(
            env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", int, DEFAULT_MAX_RETRIES
        )
        self.backoff_factor = _env_number(
            env, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", float, DEFAULT_BACKOFF_FACTOR
        )
        self.backoff_jitter = _env_number(
            env, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", float, DEFAULT_BACKOFF_JITTER
        )
        self.respect_retry_after = _env_bool(env, "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", True)

    @property
    def auth_header(self) -> str | None:
        """MLflow's order: basic when both user and password are set, else bearer."""
        if self.username and self.password:
            import base64

            pair = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.standard_b64encode(pair).decode()
        if self.token:
            return f"Bearer {self.token}"
        return None

    def ssl_verify(self) -> ssl.SSLContext | bool:
        """What httpx takes as ``verify``: True (system CAs via certifi), or a context."""
        if not (self.insecure or self.server_cert or self.client_cert):
            return True
        try:
            if self.insecure:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            elif self.server_cert:
                if os.path.isdir(self.server_cert):
                    ctx = ssl.create_default_context(capath=self.server_cert)
                else:
                    ctx = ssl.create_default_context(cafile=self.server_cert)
            else:
                import certifi

                ctx = ssl.create_default_context(cafile=certifi.where())
        except (OSError, ssl.SSLError) as exc:
            raise StoreError(
                "Cannot load the CA bundle in MLFLOW_TRACKING_SERVER_CERT_PATH "
                f"({self.server_cert}): {one_line(exc, 160)}"
            ) from None
        if self.client_cert:
            try:
                ctx.load_cert_chain(self.client_cert)
            except (OSError, ssl.SSLError) as exc:
                raise StoreError(
                    "Cannot load the client certificate in "
                    f"MLFLOW_TRACKING_CLIENT_CERT_PATH ({self.client_cert}): "
                    f"{one_line(exc, 160)}"
                ) from None
        return ctx


# -- the client ------------------------------------------------------------------


class RestClient:
    """Thread-safe JSON-over-HTTP calls to one tracking server."""

    def __init__(self, base_url: str, env: Mapping[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.settings = Settings(env)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._version: str | None = None
        self._version_known = False
        """True once ``/version`` answered (with a version or with a definite no)."""
        self._version_lock = threading.Lock()

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

    def send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        invalid: type[StoreError] = InvalidValue,
        **kwargs,
    ) -> httpx.Response:
        """The raw response to a request, after retries; errors for 4xx/5xx statuses.

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
                if _is_tls_error(exc) or isinstance(exc, httpx.UnsupportedProtocol):
                    raise self._network_error(exc, path) from None
                if attempt >= s.max_retries:
                    raise self._network_error(exc, path) from None
                wait = self._backoff(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= s.max_retries:
                    if response.status_code >= 400:
                        if stream:
                            response.read()
                            response.close()
                        raise self._status_error(response, path, invalid)
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

    def server_version(self) -> str | None:
        """The MLflow version the server reports (``"2.9.2"``), or None when it does
        not say: no ``/version`` route (404), a proxy's page, or it cannot be reached.

        Asked once, without retries: a definite answer (a version, or a status that
        is not 401/403) is kept for the client's life; a network or auth failure is
        not, and the request that needed the version reports that failure itself."""
        if self._version_known:
            return self._version
        with self._version_lock:
            if self._version_known:
                return self._version
            try:
                response = self._http().get(VERSION_PATH)
            except (httpx.HTTPError, StoreError):
                return None
            if response.status_code in (401, 403):
                return None
            text = response.text if len(response.content) < 200 else ""
            ok = response.status_code == 200 and parse_version(text) is not None
            self._version = text.strip() if ok else None
            self._version_known = True
            return self._version

    # decoding ------------------------------------------------------------
    def decode(self, response: httpx.Response, path: str) -> dict:
        content = response.content
        if response.status_code == 204 or not content.strip():
            return {}
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise self._not_json(response, path) from None
        if not isinstance(data, dict):
            raise self._not_json(response, path)
        return data

    def _not_json(self, response: httpx.Response, path: str) -> RemoteError:
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        text = response.text[:2000].lstrip().lower()
        if "html" in kind or text.startswith(("<!doctype", "<html")):
            what = "an HTML page"
            title = re.search(r"<title[^>]*>(.*?)</title>", response.text[:4000], re.I | re.S)
            if title and title.group(1).strip():
                what += f" ({one_line(title.group(1), 60)})"
        else:
            what = f"something that is not JSON ({one_line(response.text, 60)!r})"
        return RemoteError(
            f"{self.base_url} answered {_short(path)} with {what}, not MLflow JSON: "
            "is this an MLflow tracking server (not a login page or a proxy)?"
        )

    def _status_error(
        self, response: httpx.Response, path: str, invalid: type[StoreError] = InvalidValue
    ) -> StoreError:
        status = response.status_code
        code, message = None, ""
        try:
            data = json.loads(response.content)
            if isinstance(data, dict):
                code = data.get("error_code")
                message = data.get("message") or ""
                if not message and isinstance(data.get("detail"), str):
                    message = data["detail"]  # FastAPI routes (mlflow-artifacts)
        except (ValueError, UnicodeDecodeError):
            pass
        if status in (401, 403):
            reason = "401 Unauthorized" if status == 401 else "403 Forbidden"
            detail = f" ({one_line(message, 120)})" if message else ""
            return AuthError(f"{self.base_url} refused access: HTTP {reason}{detail}; {AUTH_HINT}")
        if code:
            cls = _ERROR_CODES.get(str(code))
            if cls is InvalidValue:
                cls = invalid
            if cls is AuthError:
                return AuthError(f"{one_line(message or code)}; {AUTH_HINT}")
            if cls is not None:
                return cls(one_line(message or str(code)))
            if status == 404:
                return ResourceNotFound(one_line(message or str(code)))
            return RemoteError(
                f"{self.base_url} failed ({status} {code}): {one_line(message, 200)}"
            )
        if status in (400, 422) and message:
            return invalid(one_line(message))
        if status == 404:
            return EndpointNotFound(
                f"{self.base_url} has no {_short(path)} endpoint (HTTP 404): an older MLflow "
                "server, or not an MLflow server"
            )
        body = one_line(response.text, 120) if response.content else ""
        if body.lower().startswith(("<!doctype", "<html")):
            body = "an HTML page"
        reason = response.reason_phrase or ""
        detail = f": {body}" if body else ""
        return RemoteError(f"{self.base_url} failed: HTTP {status} {reason}{detail}".strip())

    def _network_error(self, exc: Exception, path: str) -> RemoteError:
        reason = _reason(exc)
        if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            return RemoteError(
                f"{self.base_url} did not answer {_short(path)} within "
                f"{self.settings.read_timeout:g} s (set MLFLOW_HTTP_REQUEST_TIMEOUT to wait "
                "longer)"
            )
        if _is_tls_error(exc):
            return RemoteError(
                f"TLS error talking to {self.base_url}: {reason} (set "
                "MLFLOW_TRACKING_SERVER_CERT_PATH, or MLFLOW_TRACKING_INSECURE_TLS=true)"
            )
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return RemoteError(f"Cannot reach {self.base_url}: {reason}")
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return RemoteError(f"Invalid tracking server URI {self.base_url}: {reason}")
        return RemoteError(f"Lost the connection to {self.base_url}: {reason}")

    # higher level ----------------------------------------------------------
    def read_bytes(self, path: str, params: Mapping[str, Any] | None, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of a download (the rest is never transferred)."""
        response = self.send("GET", path, params=params, stream=True)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= max_bytes:
                    break
        except httpx.HTTPError as exc:
            raise self._network_error(exc, path) from None
        finally:
            response.close()
        return b"".join(chunks)[:max_bytes]


def _short(path: str) -> str:
    return path[len(API) + 1 :] if path.startswith(API + "/") else path


def _reason(exc: BaseException) -> str:
    """The most useful one-line reason of a transport error."""
    text = str(exc).strip()
    cause = exc.__cause__ or exc.__context__
    while not text and cause is not None:
        text = str(cause).strip()
        cause = cause.__cause__ or cause.__context__
    text = text or type(exc).__name__
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused (is the server running?)"
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "temporary failure in name resolution" in lowered
    ):
        return "unknown host"
    return one_line(text, 160)


def _is_tls_error(exc: BaseException) -> bool:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 6:
        if isinstance(current, ssl.SSLError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL:" in text or "[SSL" in text:
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


__all__ = [
    "API",
    "ARTIFACTS_API",
    "AUTH_HINT",
    "EndpointNotFound",
    "RestClient",
    "Settings",
    "Version",
    "one_line",
    "parse_version",
]
