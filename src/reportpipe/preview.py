"""`reportpipe preview`: the report in a browser, rebuilt on every save.

One warm process: WeasyPrint is imported once and subset fonts are cached, so a save is
followed by the web edition (a fraction of a second) and then the screen PDF, whose pages
are shown as thumbnails (PyMuPDF) under it. A watcher polls source/ and styles/; one
builder thread rebuilds; pages open in the browser reload themselves through server-sent
events. A content error is shown in the page (and given to `say`, for the terminal) as
`path:line: error: …` while the last good preview stays; fixing the file clears it.

The server listens on 127.0.0.1 only and serves what it holds in memory: the web edition,
the PDF, its thumbnails, the events and a status record. Nothing is written to build/
but subset fonts into build/cache/fonts/, as a build does.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reportpipe.findings import Finding, InputError, Level, error
from reportpipe.project import INPUT_FOLDERS, Project

POLL = 0.1  # seconds between looks at source/ and styles/
HEARTBEAT = 10.0  # seconds between keep-alive comments on an event stream
THUMBNAIL_WIDTH = 360  # pixels
PREFIX = "/_preview/"

Say = Callable[[str], None]


@dataclass
class State:
    """What the server shows; replaced under the lock by the builder."""

    version: int = 0
    web: dict[str, bytes] = field(default_factory=dict)  # the last good web edition
    pdf: bytes = b""
    thumbnails: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    building: str = ""
    timings: dict[str, float] = field(default_factory=dict)


class Preview:
    """The builder and its state; `serve` runs the whole thing."""

    def __init__(self, project: Project, *, say: Say, pdf: bool = True) -> None:
        self.project, self.say, self.with_pdf = project, say, pdf
        self.state = State()
        self.lock = threading.Condition()
        self.stop = threading.Event()

    # --- building -------------------------------------------------------------------

    def rebuild(self) -> None:
        """Rebuild the web edition, publish it, then the screen PDF and its pages."""
        from reportpipe.content import load_report
        from reportpipe.editions import render_document, render_editions
        from reportpipe.pdf import SCREEN
        from reportpipe.web import render_web

        started = time.perf_counter()
        self._set(building="web")
        try:
            loaded = load_report(self.project)
            report = loaded.report
            _, figures = render_document(self.project, report)
            web = render_web(self.project, report, figures)
        except InputError as exc:
            self._failed(exc.findings)
            return
        web_seconds = time.perf_counter() - started
        self._publish(web=web.files, errors=[], building="pdf" if self.with_pdf else "")
        self.say(f"preview: web edition ready in {web_seconds:.2f} s")
        if not self.with_pdf:
            self._timings(web=web_seconds)
            return
        try:
            rendering = render_editions(
                self.project, report, [SCREEN], progress=lambda _: None, jobs=1
            )
        except InputError as exc:
            self._failed(exc.findings)
            return
        errors = [f for f in rendering.findings if f.level is Level.ERROR]
        if errors:
            self._failed(errors)
            return
        pdf = rendering.pdfs[SCREEN]
        pages = _thumbnails(pdf)
        pdf_seconds = time.perf_counter() - started
        self._publish(pdf=pdf, thumbnails=pages, building="")
        self._timings(web=web_seconds, pdf=pdf_seconds)
        self.say(f"preview: screen PDF ready in {pdf_seconds:.2f} s ({len(pages)} pages)")

    def _failed(self, findings: list[Finding]) -> None:
        messages = [str(f) for f in sorted(findings, key=lambda f: (f.path, f.line or 0))]
        for message in messages:
            self.say(message)
        self.say("preview: the last good preview stays until the problem is fixed")
        self._publish(errors=messages, building="")

    def _set(self, **changes: Any) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(self.state, name, value)

    def _publish(self, **changes: Any) -> None:
        """Change what is shown and tell every open page to reload."""
        with self.lock:
            for name, value in changes.items():
                setattr(self.state, name, value)
            self.state.version += 1
            self.lock.notify_all()

    def _timings(self, **seconds: float) -> None:
        with self.lock:
            self.state.timings = dict(seconds)

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """What source/ and styles/ hold now, cheaply: each file's mtime and size."""
        found: dict[str, tuple[int, int]] = {}
        for folder in INPUT_FOLDERS:
            root = self.project.root / folder
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if path.is_file():
                    found[str(path)] = (stat.st_mtime_ns, stat.st_size)
        return found

    def watch(self) -> None:
        """Rebuild whenever a file of source/ or styles/ changes (until `stop`)."""
        seen = self.snapshot()
        self._rebuild()
        while not self.stop.wait(POLL):
            if self.snapshot() != seen:
                time.sleep(0.02)  # let an editor finish writing
                seen = self.snapshot()
                self.say("preview: a file changed; rebuilding…")
                self._rebuild()

    def _rebuild(self) -> None:
        """A rebuild that cannot stop the preview: whatever goes wrong is shown."""
        try:
            self.rebuild()
        except Exception as exc:  # a bug or an unreadable file: say it, keep serving
            self._failed([error(self.project.shown(self.project.source), None, repr(exc))])

    # --- serving --------------------------------------------------------------------

    def page(self) -> bytes:
        """The web edition with the preview's additions: errors, pages, reload script."""
        with self.lock:
            state = self.state
            version, errors, web = state.version, list(state.errors), state.web
            pages, building = len(state.thumbnails), state.building
        body = web.get("index.html", b"").decode() or _EMPTY
        banner = ""
        if errors:
            lines = "\n".join(html.escape(e) for e in errors)
            banner = (
                '<div class="preview-errors" role="alert" style="background:#fde8e8;'
                "color:#6b0000;border:3px solid #b00020;padding:1rem;margin:0;"
                'font:1rem/1.4 monospace;white-space:pre-wrap">'
                f"<strong>reportpipe preview</strong>\n{lines}</div>"
            )
        thumbs = "".join(
            f'<a href="{PREFIX}screen.pdf#page={n}"><img src="{PREFIX}page-{n}.png?v={version}"'
            f' alt="PDF page {n}" width="{THUMBNAIL_WIDTH // 3}" '
            'style="border:1px solid #999;margin:0 4px;height:auto;vertical-align:top"></a>'
            for n in range(1, pages + 1)
        )
        aside = (
            '<aside class="preview-pages" aria-label="Screen PDF" style="padding:0.5rem 1rem;'
            'background:#e8e8e8;overflow-x:auto;white-space:nowrap;font:0.9rem sans-serif">'
            f'<p style="margin:0 0 0.3rem">Screen PDF, {pages} pages'
            f"{' (building…)' if building == 'pdf' else ''}</p>{thumbs}</aside>"
            if pages or building == "pdf"
            else ""
        )
        script = (
            f'<script>new EventSource("{PREFIX}events?since={version}")'
            '.addEventListener("reload", () => location.reload());</script>'
        )
        body = body.replace("<body>", f"<body>\n{banner}{aside}", 1)
        return body.replace("</body>", f"{script}</body>", 1).encode()

    def status(self) -> bytes:
        with self.lock:
            state = self.state
            data = {
                "version": state.version,
                "errors": state.errors,
                "building": state.building,
                "pages": len(state.thumbnails),
                "timings": state.timings,
            }
        return json.dumps(data).encode()

    def events(self, since: int) -> Iterator[bytes]:
        """Server-sent events: `reload` each time the version passes `since`."""
        last = since
        yield b"retry: 500\n\n"
        while not self.stop.is_set():
            with self.lock:
                self.lock.wait_for(self._news(last), HEARTBEAT)
                version = self.state.version
            if self.stop.is_set():
                return
            if version != last:
                last = version
                yield f"event: reload\ndata: {version}\n\n".encode()
            else:
                yield b": still here\n\n"

    def _news(self, since: int) -> Callable[[], bool]:
        return lambda: self.state.version != since or self.stop.is_set()

    def file(self, path: str) -> bytes | None:
        with self.lock:
            if path == f"{PREFIX}screen.pdf":
                return self.state.pdf or None
            if path.startswith(f"{PREFIX}page-") and path.endswith(".png"):
                try:
                    return self.state.thumbnails[int(path[len(PREFIX) + 5 : -4]) - 1]
                except (ValueError, IndexError):
                    return None
            return self.state.web.get(path.lstrip("/"))

    def shutdown(self) -> None:
        self.stop.set()
        with self.lock:
            self.lock.notify_all()


_EMPTY = "<!DOCTYPE html><html><head><title>reportpipe preview</title></head><body></body></html>"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}


def _thumbnails(pdf: bytes) -> list[bytes]:
    """PNG pictures of the PDF's pages (none when PyMuPDF is not installed)."""
    try:
        import pymupdf
    except ImportError:
        return []
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        pages = []
        for page in document:
            zoom = THUMBNAIL_WIDTH / page.rect.width
            pages.append(page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom)).tobytes("png"))
        return pages


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "reportpipe-preview"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal shows builds, not requests

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path in ("/", "/index.html"):
                self._send(preview.page(), _TYPES[".html"])
            elif path == f"{PREFIX}status":
                self._send(preview.status(), "application/json")
            elif path == f"{PREFIX}events":
                since = parse_qs(parts.query).get("since", ["-1"])[0]
                self._stream(int(since) if since.lstrip("-").isdigit() else -1)
            elif (data := preview.file(path)) is not None:
                self._send(data, _TYPES.get(Path(path).suffix.lower(), "application/octet-stream"))
            else:
                self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

        def _send(self, data: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, since: int) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                for chunk in preview.events(since):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass  # the page went away
            self.close_connection = True

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(
    project: Project,
    *,
    port: int,
    say: Say,
    ready: Callable[[str], None],
    pdf: bool = True,
) -> None:
    """Serve the preview on 127.0.0.1:`port` (0: a free one) until interrupted
    (KeyboardInterrupt is left to the caller, after everything has stopped)."""
    preview = Preview(project, say=say, pdf=pdf)
    server = _Server(("127.0.0.1", port), _handler(preview))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    builder = threading.Thread(target=preview.watch, name="reportpipe-preview", daemon=True)
    serving = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    try:
        serving.start()
        builder.start()
        ready(url)
        while builder.is_alive():
            builder.join(0.5)
    finally:
        preview.shutdown()
        server.shutdown()
        server.server_close()
        builder.join(30)
