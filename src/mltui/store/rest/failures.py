"""Every way a request to a tracking server fails, as one line a person can act on.

Each failure becomes a :class:`~mltui.store.errors.StoreError`: :class:`AuthError`
for 401/403, :class:`EndpointNotFound` for an endpoint the server lacks, MLflow's
``error_code`` payloads mapped to ResourceNotFound / InvalidValue / ..., and HTML
or garbage where JSON was expected to a :class:`RemoteError` that says so (a
login page or a proxy answering instead of MLflow is the usual cause).

``endpoint`` below is the path as people read it (``runs/search``, not
``/api/2.0/mlflow/runs/search``).
"""

from __future__ import annotations

import json
import re
import ssl

import httpx

from ..errors import (
    AuthError,
    ConflictError,
    InvalidValue,
    RemoteError,
    ResourceNotFound,
    StoreError,
)

AUTH_HINT = "check MLFLOW_TRACKING_USERNAME/PASSWORD or TOKEN"
NO_CREDENTIALS_HINT = ("it needs credentials: set MLFLOW_TRACKING_USERNAME and "
                       "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)")
FORBIDDEN_HINT = "this user may not do that (the server's permissions)"


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


def one_line(text: object, limit: int = 300) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refusal(base_url: str, response: httpx.Response, endpoint: str, message: str) -> AuthError:
    """401: say whether credentials were sent at all; 403: the credentials are good,
    the permission is missing, for this endpoint. The server's own words (MLflow's
    basic-auth app answers in plain text) follow in brackets, never an HTML page."""
    text = message
    if not text and response.content:
        body = one_line(response.text, 120)
        if not body.lower().startswith(("<!doctype", "<html")):
            text = body
    detail = f" ({one_line(text, 120)})" if text else ""
    if response.status_code == 401:
        sent = "authorization" in response.request.headers
        hint = AUTH_HINT if sent else NO_CREDENTIALS_HINT
        return AuthError(f"{base_url} refused access: HTTP 401 Unauthorized{detail}; {hint}")
    return AuthError(f"{base_url} refused {endpoint}: HTTP 403 Forbidden{detail}; "
                     f"{FORBIDDEN_HINT}")


def status_error(
    base_url: str, response: httpx.Response, endpoint: str,
    invalid: type[StoreError] = InvalidValue,
) -> StoreError:
    """The error for a 4xx/5xx answer; ``invalid`` replaces InvalidValue (searches
    raise InvalidSearch)."""
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
        return _refusal(base_url, response, endpoint, message)
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
        return RemoteError(f"{base_url} failed ({status} {code}): {one_line(message, 200)}")
    if status in (400, 422) and message:
        return invalid(one_line(message))
    if status == 404:
        return EndpointNotFound(
            f"{base_url} has no {endpoint} endpoint (HTTP 404): an older MLflow "
            "server, or not an MLflow server"
        )
    body = one_line(response.text, 120) if response.content else ""
    if body.lower().startswith(("<!doctype", "<html")):
        body = "an HTML page"
    reason = response.reason_phrase or ""
    detail = f": {body}" if body else ""
    return RemoteError(f"{base_url} failed: HTTP {status} {reason}{detail}".strip())


def network_error(
    base_url: str, exc: Exception, endpoint: str, read_timeout: float
) -> RemoteError:
    """The error for a request that got no answer (``read_timeout`` is quoted)."""
    reason = _reason(exc)
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return RemoteError(
            f"{base_url} did not answer {endpoint} within {read_timeout:g} s (set "
            "MLFLOW_HTTP_REQUEST_TIMEOUT to wait longer)"
        )
    if is_tls_error(exc):
        return RemoteError(
            f"TLS error talking to {base_url}: {reason} (set "
            "MLFLOW_TRACKING_SERVER_CERT_PATH, or MLFLOW_TRACKING_INSECURE_TLS=true)"
        )
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RemoteError(f"Cannot reach {base_url}: {reason}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return RemoteError(f"Invalid tracking server URI {base_url}: {reason}")
    return RemoteError(f"Lost the connection to {base_url}: {reason}")


def not_json(base_url: str, response: httpx.Response, endpoint: str) -> RemoteError:
    """The error for a 2xx answer that is not MLflow's JSON."""
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
        f"{base_url} answered {endpoint} with {what}, not MLflow JSON: "
        "is this an MLflow tracking server (not a login page or a proxy)?"
    )


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


def is_tls_error(exc: BaseException) -> bool:
    """True when a certificate or TLS problem is anywhere in the cause chain
    (retrying would not help)."""
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
