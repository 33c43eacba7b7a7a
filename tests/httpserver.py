"""A real HTTP server on 127.0.0.1 for the link tests (never the internet): each test
module gives a route table (path -> route), every request is recorded, and a path
without a route is answered 404.

- `serving(routes)`: runs the server for the length of a `with` block and yields its
  `Server`: `base` (http://127.0.0.1:PORT), `requests`, `seen(path)`, `stop` (set when
  the block ends, for routes that wait on it), `most_active` (the most requests inside
  `answering()` at once) and `notes` (what routes noted with `note()`).
- A route is a function of the request's `Handler`: it answers with `handler.reply(...)`
  or writes to `handler.wfile` itself. `answer(status, **headers)` makes the route that
  always gives the same answer; `get_only(route)` answers a HEAD 405 (not allowed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Server:
    """What a test sees of the running server."""

    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[float, str, str, str]] = field(
        default_factory=list
    )  # time, method, path (with its query), User-Agent
    active: int = 0  # requests inside `answering()` right now
    most_active: int = 0  # and the most there were at once
    notes: list[str] = field(default_factory=list)  # what routes noted about their clients

    def seen(self, path: str) -> list[tuple[float, str]]:
        """The time and method of each request for `path` (its query left aside)."""
        with self.lock:
            return [(t, m) for t, m, p, _ in self.requests if urlsplit(p).path == path]

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count the request among those being answered at once while the block runs."""
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            yield
        finally:
            with self.lock:
                self.active -= 1

    def note(self, text: str) -> None:
        with self.lock:
            self.notes.append(text)


Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    """Records the request, then answers it with the route for its path."""

    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    @property
    def state(self) -> Server:
        return self.server.state

    def reply(self, status: int, **headers: str) -> None:
        """Answer `status` with `headers` (an underscore in a name is a hyphen); a GET
        gets a short body."""
        body = b"" if self.command == "HEAD" else b"hello\n"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        with self.state.lock:
            self.state.requests.append(
                (time.monotonic(), self.command, self.path, self.headers["User-Agent"])
            )
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.reply(404)
        else:
            route(self)


def answer(status: int, **headers: str) -> Route:
    """The route that always answers `status` with `headers` (see `Handler.reply`)."""
    return lambda handler: handler.reply(status, **headers)


def get_only(route: Route) -> Route:
    """`route` for a GET; a HEAD is answered 405 (not allowed), as some servers do."""

    def serve(handler: Handler) -> None:
        if handler.command == "HEAD":
            handler.reply(405)
        else:
            route(handler)

    return serve


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many links checked at once

    def __init__(self, routes: Mapping[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.state = Server(f"http://127.0.0.1:{self.server_address[1]}")

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up waiting is expected


@contextmanager
def serving(routes: Mapping[str, Route]) -> Iterator[Server]:
    """Run a server answering with `routes` while the block runs."""
    httpd = _HTTPServer(routes)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield httpd.state
    finally:
        httpd.state.stop.set()
        httpd.shutdown()
        httpd.server_close()
