"""``mltui serve``: the same app in a browser, published with textual-serve.

textual-serve runs a shell command for each browser tab and relays its screen
over a websocket. The command is this very mltui (``sys.executable -m mltui``)
with the store arguments the person gave, joined with :func:`shlex.join`: a URI
with spaces or quotes reaches every tab's process as it was typed.

There is no login in front of the page and the app can write to the store, so
it listens on 127.0.0.1 unless told otherwise, and says so loudly when told.
textual-serve (and its aiohttp and jinja2) is the optional extra ``serve``:
without it ``mltui serve`` is a one-line error naming the install command.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import socket
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

from .store.errors import StoreError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INSTALL_HINT = ("mltui serve needs textual-serve, an optional extra: "
                "pip install 'mltui[serve]'")
SERVE_HELP = "open the app in a web browser (textual-serve), on 127.0.0.1 by default"
SERVE_DESCRIPTION = """\
Publish the app at http://HOST:PORT with textual-serve: each browser tab runs
its own mltui on the same store, with the same options. There is no login:
whoever reaches the port can do all that mltui does, writes to the registry and
to runs included (add --read-only to refuse them). It listens on 127.0.0.1 only,
for this machine and SSH port forwards (ssh -L 8000:127.0.0.1:8000 HOST, then
http://localhost:8000). Needs the extra: pip install 'mltui[serve]'."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mltui serve`` beyond the store options every command has."""
    parser.add_argument("--port", "-p", type=int, default=DEFAULT_PORT,
                        help=f"the port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"the address to listen on (default {DEFAULT_HOST}). Any "
                        "other than a loopback address publishes a page with no login "
                        "that can write to the store: mltui warns and you should add "
                        "--read-only")
    parser.add_argument("--experiment", "-e", help="each tab opens this experiment "
                        "(name or id) directly")
    parser.add_argument("uri_arg", nargs="?", metavar="URI", help="tracking URI or path")


def app_argv(args: argparse.Namespace) -> list[str]:
    """The command line of the mltui each browser tab runs: the same store options.

    A connection stays a connection (its credential command runs in each tab's
    process, never written into a command line); nothing given stays nothing, so the
    tab resolves the default store as this process did (same environment, same
    folder).
    """
    argv = [sys.executable, "-m", "mltui"]
    if getattr(args, "connection", None):
        argv += ["--connection", args.connection]
    uri = getattr(args, "uri", None) or getattr(args, "uri_arg", None)
    if uri:
        argv += ["--uri", uri]
    if getattr(args, "demo", False):
        argv.append("--demo")
    if getattr(args, "read_only", False):
        argv.append("--read-only")
    if getattr(args, "experiment", None):
        argv += ["--experiment", args.experiment]
    return argv


def app_command(args: argparse.Namespace) -> str:
    """:func:`app_argv` as the shell command textual-serve runs (``/bin/sh -c``).

    ``exec`` leaves one process per tab, so the quit textual-serve sends at the end
    of a session, or a signal, reaches mltui itself rather than a shell.
    """
    import shlex

    return "exec " + shlex.join(app_argv(args))


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is this machine's loopback."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise StoreError(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_port_free(host: str, port: int) -> None:
    """A one-line error now for a port that is taken, rather than textual-serve's
    banner followed by aiohttp's traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise StoreError(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            # as aiohttp binds: a port left in TIME_WAIT by the last run is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise _listen_error(host, port, exc) from exc


def _listen_error(host: str, port: int, exc: OSError) -> StoreError:
    if exc.errno == errno.EADDRINUSE:
        return StoreError(f"port {port} on {host} is already in use (another mltui serve?): "
                          "choose another with --port")
    if exc.errno == errno.EACCES:
        return StoreError(f"no permission to listen on port {port}: choose one above 1023 "
                          "with --port")
    return StoreError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _trusted_host(host_header: str, served_host: str) -> bool:
    """Whether a request's Host names this server as its own user would: an address,
    localhost, this machine's name or the --host given.

    Another name is a page of some other site whose name was pointed at 127.0.0.1
    (DNS rebinding): it must not open a session.
    """
    name = urlsplit(f"//{host_header}").hostname or ""
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    own = {"localhost", served_host.lower(), socket.gethostname().lower(),
           socket.getfqdn().lower()}
    return name.lower() in own or name.lower().endswith(".localhost")


def _server_class() -> type:
    """textual-serve's Server, made to follow the address the browser used and to
    refuse sessions asked for by other sites. Raises ImportError without the extra."""
    from aiohttp import web
    from textual_serve.server import Server

    class MltuiServer(Server):
        sessions: set[asyncio.Task[Any]]
        """The request handlers of the open tabs, one mltui each."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sessions = set()

        async def handle_index(self, request: web.Request) -> Any:
            # The page tells the browser where the websocket is. Built from the
            # address the browser asked for, it stays right through a port forward
            # to another local port (ssh -L 9000:127.0.0.1:8000). No await comes
            # between setting public_url and textual-serve reading it.
            if not _trusted_host(request.host, self.host):
                raise web.HTTPForbidden(text="unknown host name")
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> Any:
            # Browsers let any page open a websocket to 127.0.0.1; only our own
            # page (same origin as the address asked for) may start a session.
            origin = request.headers.get("Origin")
            if not _trusted_host(request.host, self.host) or (
                origin is not None and urlsplit(origin).netloc != request.host
            ):
                raise web.HTTPForbidden(text="a session is only for mltui's own page")
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions.discard(task)

        async def on_shutdown(self, app: web.Application) -> None:
            # aiohttp would wait ~20 s at Ctrl+C for the open tabs to hang up.
            # Cancelled, each session tells its mltui to quit, waits for it and
            # closes its websocket (textual-serve's own clean-up).
            for task in list(self.sessions):
                task.cancel()
            if self.sessions:
                await asyncio.wait(list(self.sessions), timeout=10)

    return MltuiServer


def cmd_serve(args: argparse.Namespace,
              open_store: Callable[[argparse.Namespace], AbstractContextManager[Any]]) -> int:
    """Check everything that can be checked here, then serve until Ctrl+C.

    ``open_store`` opens the store as the TUI would, and it is read once: a wrong URI
    or a server that does not answer is a one-line error now, not the same error in
    every tab later.
    """
    try:
        server_class = _server_class()
    except ImportError as exc:
        raise StoreError(INSTALL_HINT) from exc
    host, port = args.host, args.port
    if not 0 < port < 65536:
        raise StoreError(f"--port {port}: choose a port from 1 to 65535")
    if not is_loopback(host):
        print(f"mltui: warning: serving on {host}: anyone who can reach port {port} gets "
              "this app without a login"
              + ("" if args.read_only else ", writes to the store included (add "
                 "--read-only)")
              + "; an SSH port forward to 127.0.0.1 keeps it private", file=sys.stderr)
    check_port_free(host, port)
    with open_store(args) as store:
        # the read each tab's first screen makes: a tracking server is only asked here
        store.list_experiments()
    server = server_class(app_command(args), host=host, port=port, title="mltui")
    try:
        server.serve()
    except OSError as exc:  # taken between the check and aiohttp's bind
        raise _listen_error(host, port, exc) from exc
    return 0
