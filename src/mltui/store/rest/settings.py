"""What the REST client takes from the environment, read exactly as MLflow's
client reads it (``mlflow/utils/credentials.py``, ``mlflow/utils/rest_utils.py``):

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
minutes of back-off): a 5 s connect timeout and a 30 s read timeout (MLflow's
120 s is longer than a person waits at a screen; a big server that needs longer to
sort runs by a metric can be given it with ``MLFLOW_HTTP_REQUEST_TIMEOUT``), 3 retries with 0.25 s,
0.5 s, 1 s back-off (plus up to 0.1 s jitter).
"""

from __future__ import annotations

import configparser
import os
import ssl
from collections.abc import Callable, Mapping

from ..errors import StoreError
from .failures import one_line

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_FACTOR = 0.25
DEFAULT_BACKOFF_JITTER = 0.1


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
