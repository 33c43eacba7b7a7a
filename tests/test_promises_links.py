"""The link cache keeps real answers only: never a "try again later" (429, 5xx), never a
failure, so a passing outage is not remembered as the link's state. Against a real HTTP
server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reportpipe.checkconfig import LinksConfig
from reportpipe.links import Link, check_links


class _Handler(BaseHTTPRequestHandler):
    """/status/NNN answers NNN; /to-file redirects to a file: address."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        if self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
        else:
            self.send_response(int(self.path.rsplit("/", 1)[1]))
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _run(cache: Path, *urls: str) -> list[str]:
    config = LinksConfig(timeout=5, budget=10, retries=0, backoff=0.01)
    report = check_links(
        [Link(url, "T", "source/intro.md", n) for n, url in enumerate(urls, 1)],
        anchors=frozenset(),
        config=config,
        offline=False,
        cache_file=cache,
    )
    return [str(f) for f in report.findings]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_try_again_later_answers_are_reported_but_not_cached(
    base: str, tmp_path: Path, status: int
) -> None:
    cache, url = tmp_path / "links.json", f"{base}/status/{status}"
    assert _run(cache, url) == [
        f"source/intro.md:1: error: link 'T': {url} returned status {status}"
    ]
    assert json.loads(cache.read_text("utf-8")) == {}


def test_real_answers_up_to_499_are_cached_with_their_verdict(base: str, tmp_path: Path) -> None:
    cache = tmp_path / "links.json"
    ok, gone, edge = f"{base}/status/200", f"{base}/status/410", f"{base}/status/499"
    findings = _run(cache, ok, gone, edge)
    assert [f.split(": error: ")[0] for f in findings] == ["source/intro.md:2", "source/intro.md:3"]
    stored = json.loads(cache.read_text("utf-8"))
    assert {url: (e["status"], e["ok"], e["final"]) for url, e in stored.items()} == {
        ok: (200, True, ok),
        gone: (410, False, gone),
        edge: (499, False, edge),
    }


def test_an_answer_with_a_problem_is_not_cached(base: str, tmp_path: Path) -> None:
    cache, url = tmp_path / "links.json", f"{base}/to-file"
    assert _run(cache, url) == [
        f"source/intro.md:1: error: link 'T': {url} redirects to 'file:///etc/passwd', not a web address"
    ]
    assert json.loads(cache.read_text("utf-8")) == {}


def test_a_cached_failure_stays_a_failure_without_asking_again(base: str, tmp_path: Path) -> None:
    cache, gone = tmp_path / "links.json", f"{base}/status/404"
    first = _run(cache, gone)
    report = check_links(
        [Link(gone, "T", "source/intro.md", 1)],
        anchors=frozenset(),
        config=LinksConfig(timeout=5, budget=10, retries=0),
        offline=False,
        cache_file=cache,
    )
    assert (report.checked, report.cached) == (0, 1)
    assert [str(f) for f in report.findings] == first != []
