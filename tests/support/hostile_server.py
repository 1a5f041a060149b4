"""A tracking server that misbehaves about artifacts: its listing holds ``..``,
one download fails with HTTP 500, another with 404. Enough of the REST API for
the app to start on it (experiments and logged models answer empty)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RUN_ID = "r1"
ARTIFACT_URI = "mlflow-artifacts:/0/r1/artifacts"
FILES = [{"path": "../../etc/passwd", "is_dir": False, "file_size": 5},
         {"path": "boom.txt", "is_dir": False, "file_size": 5},
         {"path": "gone.txt", "is_dir": False, "file_size": 5},
         {"path": "ok.txt", "is_dir": False, "file_size": 5}]


class _Hostile(BaseHTTPRequestHandler):
    """Answers like a tracking server whose listing and downloads misbehave."""

    RUN = {"info": {"run_id": RUN_ID, "run_name": "hostile", "experiment_id": "0",
                    "artifact_uri": ARTIFACT_URI, "status": "FINISHED",
                    "lifecycle_stage": "active"}, "data": {}}

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # http.server's name
        path = self.path.split("?")[0]
        if path == "/api/2.0/mlflow/runs/get":
            return self._send(200, json.dumps({"run": self.RUN}).encode())
        if path == "/api/2.0/mlflow/artifacts/list":
            return self._send(200, json.dumps({"files": FILES}).encode())
        if path.endswith("/ok.txt"):
            return self._send(200, b"hello", "text/plain")
        if path.endswith("/boom.txt"):
            return self._send(500, b"<html>Internal Server Error</html>", "text/html")
        if path.endswith("/gone.txt"):
            return self._send(404, json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST",
                                               "message": "gone"}).encode())
        return self._send(404, b"not here", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        return self._send(200, b"{}")


@contextlib.contextmanager
def serving() -> Iterator[str]:
    """The URL of a :class:`_Hostile` server on 127.0.0.1, stopped on exit (set
    ``MLFLOW_HTTP_REQUEST_MAX_RETRIES=0`` so that a 500 is final)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
