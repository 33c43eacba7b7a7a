"""The link cache keeps real answers only: never a "try again later" (429, 5xx), never a
failure, so a passing outage is not remembered as the link's state. Against a real HTTP
server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from http.client import HTTPException
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port
from httpserver import Handler, Route, Server, answer, get_only, serving
from reportpipe.checkconfig import LinksConfig
from reportpipe.links import (
    Link,
    LinkReport,
    _Checker,
    _describe,
    _OutOfTimeError,
    check_links,
)
from reportpipe.progress import Progress

STATUS_ROUTES: dict[str, Route] = {
    **{f"/status/{n}": answer(n) for n in (200, 404, 410, 429, 499, 500, 502, 503, 504)},
    "/to-file": answer(302, Location="file:///etc/passwd"),
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """A server where /status/NNN answers NNN and /to-file redirects to a file: address."""
    with serving(STATUS_ROUTES) as server:
        yield server.base


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


# A second local server, function-scoped, for the promises about redirects, retries, the
# time budget and the threads: `log.seen` tells which requests each path got.

KIB64 = 64 * 1024


def _delay(handler: Handler) -> None:
    handler.state.stop.wait(0.7)
    handler.reply(200)


def _reset(handler: Handler) -> None:
    """An abortive close: the client gets a TCP reset instead of an answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True


def _full_body(handler: Handler) -> None:
    """64 KiB with their Content-Length; notes how the client left."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(KIB64))
    handler.end_headers()
    handler.wfile.write(b"x" * (KIB64 - 1))
    handler.wfile.flush()
    handler.state.stop.wait(0.3)
    # Has the client closed before the last byte? If not, it is waiting for it.
    try:
        early = handler.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        early = False
    if not early:
        handler.wfile.write(b"x")
        handler.wfile.flush()
    # A client that closes with unread data in its buffers sends a reset.
    handler.connection.settimeout(5)
    try:
        ending = "closed" if handler.connection.recv(1) == b"" else "more data"
    except ConnectionResetError:
        ending = "reset"
    handler.state.note("left early" if early else ending)
    handler.close_connection = True


def _exact_body(handler: Handler) -> None:
    """64 KiB without a Content-Length."""
    # No Content-Length: the body ends when the server closes, which it does
    # not do; the client must stop reading after its 64 KiB on its own.
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b"x" * KIB64)
    handler.wfile.flush()
    handler.state.stop.wait(30)


def _trickle(handler: Handler) -> None:
    # A header that never ends, one byte at a time: the socket timeout never
    # fires, so only the time budget ends the wait for it.
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
    while not handler.state.stop.wait(0.1):
        handler.wfile.write(b"x")
        handler.wfile.flush()


ROUTES: dict[str, Route] = {
    "/ok": answer(200),
    "/see-other": answer(303, Location="/ok"),
    "/temporary": answer(307, Location="/ok"),
    "/permanent": answer(308, Location="/ok"),
    "/no-location": answer(302),
    "/ok-with-location": answer(200, Location="/missing"),
    "/to-part": answer(302, Location="/ok#part"),
    "/busy": answer(503),
    "/later-long": answer(429, Retry_After="100"),
    "/delay": _delay,
    "/reset": _reset,
    "/full-body": get_only(_full_body),
    "/exact-body": get_only(_exact_body),
    "/trickle": _trickle,
}


@pytest.fixture
def log() -> Iterator[Server]:
    """The server for these promises; `log.notes` says how clients left /full-body."""
    with serving(ROUTES) as server:
        yield server


def _web(*urls: str, cache: Path | None = None, **settings: Any) -> LinkReport:
    defaults: dict[str, Any] = {"timeout": 5, "budget": 10, "retries": 0, "backoff": 0.01}
    return check_links(
        [Link(url, "T", "source/intro.md", n) for n, url in enumerate(urls, 1)],
        anchors=frozenset(),
        config=LinksConfig(**{**defaults, **settings}),
        offline=False,
        cache_file=cache,
    )


def _texts(report: LinkReport) -> list[str]:
    return [str(f) for f in report.findings]


@pytest.mark.parametrize("path", ["/see-other", "/temporary", "/permanent"])
def test_see_other_temporary_and_permanent_redirects_are_followed(log: Server, path: str) -> None:
    url = f"{log.base}{path}"
    assert _texts(_web(url)) == [
        f"source/intro.md:1: warning: link 'T': {url} redirects to {log.base}/ok "
        "(status 200); consider linking to it directly"
    ]
    assert [m for _, m in log.seen("/ok")] == ["HEAD"]


def test_a_reset_connection_is_retried_then_named_as_such(log: Server) -> None:
    url = f"{log.base}/reset"
    assert _texts(_web(url, retries=1)) == [
        f"source/intro.md:1: error: link 'T': {url} could not be reached "
        "(connection closed by the server)"
    ]
    # HEAD is reset, so GET is tried; GET is reset too, so the whole attempt is retried.
    assert [m for _, m in log.seen("/reset")] == ["HEAD", "GET", "HEAD", "GET"]


def test_an_error_without_a_message_is_named_by_its_type() -> None:
    assert _describe(HTTPException()) == "HTTPException"
    assert _describe(HTTPException("bad answer")) == "bad answer"


def test_an_https_link_connects_to_its_own_host(tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{free_port()}/"
    assert _texts(_web(url)) == [
        f"source/intro.md:1: error: link 'T': {url} could not be reached (connection refused)"
    ]


def test_a_get_answer_is_read_up_to_64_kib_then_left(log: Server) -> None:
    started = time.monotonic()
    report = _web(f"{log.base}/exact-body", timeout=3)
    assert report.findings == ()
    assert time.monotonic() - started < 2.5
    assert [m for _, m in log.seen("/exact-body")] == ["HEAD", "GET"]


def test_retries_wait_the_backoff_doubled_each_time(
    log: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The waits the checker asks for, recorded (not timed: a loaded machine stretches
    every pause, never the wait asked for)."""
    waits: list[float] = []
    sleep = time.sleep

    def recorded(seconds: float) -> None:
        if threading.current_thread().name == "reportpipe-linkcheck":
            waits.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", recorded)
    url = f"{log.base}/busy"
    report = _web(url, retries=2, backoff=0.5)
    assert _texts(report) == [f"source/intro.md:1: error: link 'T': {url} returned status 503"]
    assert len(log.seen("/busy")) == 3
    assert waits == [0.5, 1.0]


def test_a_retry_after_beyond_the_budget_gives_up_at_once(log: Server) -> None:
    url = f"{log.base}/later-long"
    started = time.monotonic()
    report = _web(url, retries=2, budget=3, max_retry_after=100)
    assert time.monotonic() - started < 3  # within the budget, not after Retry-After
    assert _texts(report) == [f"source/intro.md:1: error: link 'T': {url} returned status 429"]
    assert len(log.seen("/later-long")) == 1


def test_an_answer_after_the_budget_is_not_waited_for(log: Server) -> None:
    started = time.monotonic()
    report = _web(f"{log.base}/delay", budget=0.4)
    assert time.monotonic() - started < 5  # a bound on a hang; the finding says the rest
    host = log.base.removeprefix("http://")
    assert _texts(report) == [
        f"source/intro.md:1: error: link 'T': no answer from {host} within the time budget (0.4 s)"
    ]


def test_a_server_still_talking_at_the_deadline_does_not_keep_the_program_alive(
    log: Server,
) -> None:
    program = (
        "import sys, time\n"
        "from reportpipe.checkconfig import LinksConfig\n"
        "from reportpipe.links import Link, check_links\n"
        "report = check_links([Link(sys.argv[1], 'T', 'a.md', 1)], anchors=frozenset(),\n"
        "    config=LinksConfig(timeout=5, budget=1, retries=0), offline=False, cache_file=None)\n"
        "print(*(f.message for f in report.findings))\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", program, f"{log.base}/trickle"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    assert time.monotonic() - started < 8
    host = log.base.removeprefix("http://")
    assert done.stdout == f"link 'T': no answer from {host} within the time budget (1 s)\n"


def test_links_and_link_reports_cannot_be_changed_afterwards() -> None:
    link, report = Link("#a", "T", "a.md", 1), _web()
    with pytest.raises(FrozenInstanceError):
        report.checked = 1  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        link.url = "#b"  # type: ignore[misc]
    assert len({link, Link("#a", "T", "a.md", 1)}) == 1


@pytest.mark.parametrize("url", ["http:///no-host", "https://exa mple.org/"])
def test_a_web_address_without_host_or_with_a_space_is_malformed(url: str) -> None:
    assert [f.message for f in _web(url).findings] == [
        f"link 'T' has a malformed web address: '{url}'"
    ]


def test_a_percent_encoded_fragment_names_its_anchor() -> None:
    report = check_links(
        [Link("#gr%C3%A4ns", "T", "source/intro.md", 1)],
        anchors=frozenset({"gräns"}),
        config=LinksConfig(),
        offline=True,
        cache_file=None,
    )
    assert report.findings == ()


def _clocked(log: Server, cache: Path, clock: list[float], **settings: Any) -> LinkReport:
    return check_links(
        [Link(f"{log.base}/ok", "T", "source/intro.md", 1)],
        anchors=frozenset(),
        config=LinksConfig(timeout=5, budget=10, retries=0, **settings),
        offline=False,
        cache_file=cache,
        now=lambda: clock[0],
    )


@pytest.mark.parametrize(
    ("settings", "later", "used"),
    [
        pytest.param({}, 0.0, True, id="checked-this-very-moment-is-used"),
        pytest.param({}, -0.5, False, id="from-the-future-is-not-trusted"),
        pytest.param({"cache_max_age": 1}, 0.5, True, id="max-age-of-one-second-still-caches"),
        pytest.param({"cache_max_age": 60}, 60.0, False, id="exactly-max-age-old-is-checked-again"),
    ],
)
def test_a_cache_entry_is_used_from_the_moment_of_its_check_until_max_age(
    log: Server, tmp_path: Path, settings: dict[str, Any], later: float, used: bool
) -> None:
    """The second check comes `later` seconds after the first; before it (the clock went
    back), the entry claims a time still to come."""
    cache, clock = tmp_path / "links.json", [1_000_000.0]
    assert _clocked(log, cache, clock, **settings).checked == 1
    clock[0] += later
    second = _clocked(log, cache, clock, **settings)
    expected = (0, 1, 1) if used else (1, 0, 2)  # checked, cached, requests
    assert (second.checked, second.cached, len(log.seen("/ok"))) == expected


def test_max_age_zero_writes_no_cache(log: Server, tmp_path: Path) -> None:
    cache = tmp_path / "links.json"
    assert _clocked(log, cache, [1_000_000.0], cache_max_age=0).checked == 1
    assert not cache.exists()


def test_the_cache_file_is_sorted_readable_json_with_one_space_indent(
    log: Server, tmp_path: Path
) -> None:
    cache, ok = tmp_path / "links.json", f"{log.base}/ok"
    _clocked(log, cache, [1_000_000.0])
    assert cache.read_text("utf-8") == (
        "{\n"
        f' "{ok}": {{\n'
        '  "checked_at": 1000000.0,\n'
        f'  "final": "{ok}",\n'
        '  "ok": true,\n'
        '  "status": 200\n'
        " }\n"
        "}\n"
    )


def test_a_redirect_carries_the_fragment_unless_it_brings_its_own(log: Server) -> None:
    carried, own = f"{log.base}/temporary#sec", f"{log.base}/to-part#sec"
    assert [f.message for f in _web(carried, own).findings] == [
        f"link 'T': {carried} redirects to {log.base}/ok#sec (status 200); "
        "consider linking to it directly",
        f"link 'T': {own} redirects to {log.base}/ok#part (status 200); "
        "consider linking to it directly",
    ]


def test_a_refused_connection_within_a_short_budget_is_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    assert _texts(_web(url, budget=0.9)) == [
        f"source/intro.md:1: error: link 'T': {url} could not be reached (connection refused)"
    ]


def test_a_request_failing_once_the_budget_is_spent_counts_as_unanswered(log: Server) -> None:
    # Through check_links the main thread has already stopped waiting by then; the
    # checker itself must say "out of time", not report the failure as the link's.
    checker = _Checker(LinksConfig(timeout=5, retries=2, backoff=0.01), time.monotonic() + 0.3)
    with pytest.raises(_OutOfTimeError):
        checker._fetch(f"{log.base}/delay")


def test_a_get_answer_of_64_kib_is_read_whole_and_the_connection_closed_cleanly(
    log: Server,
) -> None:
    assert _web(f"{log.base}/full-body").findings == ()
    deadline = time.monotonic() + 5
    while not log.notes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.notes == ["closed"]


def test_the_cache_keeps_non_ascii_addresses_as_written(log: Server, tmp_path: Path) -> None:
    cache, url = tmp_path / "links.json", f"{log.base}/sjö"
    _web(url, cache=cache)
    text = cache.read_text("utf-8")
    assert f'"{url}": {{' in text
    assert json.loads(text)[url]["status"] == 404


def test_a_location_is_followed_only_with_a_redirect_status(log: Server) -> None:
    bare, extra = f"{log.base}/no-location", f"{log.base}/ok-with-location"
    assert _texts(_web(bare, extra)) == [
        f"source/intro.md:1: error: link 'T': {bare} returned status 302"
    ]
    assert log.seen("/missing") == []


@pytest.mark.parametrize("url", ["http://example.org:abc/", "https://example.org:99999/"])
def test_a_web_address_with_a_bad_port_is_malformed(url: str) -> None:
    assert [f.message for f in _web(url).findings] == [
        f"link 'T' has a malformed web address: '{url}'"
    ]


def test_a_failed_connection_is_not_retried_when_the_wait_would_not_fit(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    report = _web(url, retries=2, backoff=5, budget=2)
    assert time.monotonic() - started < 3  # a retry would wait 5 s first
    assert _texts(report) == [
        f"source/intro.md:1: error: link 'T': {url} could not be reached (connection refused)"
    ]


def test_a_cache_that_cannot_be_written_is_a_warning(log: Server, tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a directory", "utf-8")
    cache = tmp_path / "plain-file" / "links.json"
    report = _web(f"{log.base}/ok", cache=cache)
    assert _texts(report) == [
        f"{cache}: warning: link cache not saved: "
        f"[Errno 17] File exists: '{tmp_path / 'plain-file'}'"
    ]


def test_findings_of_one_file_are_sorted_by_line_before_message() -> None:
    report = check_links(
        [Link("#", "a", "a.md", 10), Link("#", "b", "a.md", 2), Link("#", "c", "a.md", None)],
        anchors=frozenset(),
        config=LinksConfig(),
        offline=True,
        cache_file=None,
    )
    assert [(f.line, f.message) for f in report.findings] == [
        (None, "link 'c' has no target"),
        (2, "link 'b' has no target"),
        (10, "link 'a' has no target"),
    ]


def test_each_answer_is_a_detail_not_a_step_of_the_normal_output(log: Server) -> None:
    out = io.StringIO()
    with Progress(level=1, out=out).listening():
        assert _web(f"{log.base}/ok").findings == ()
    text = out.getvalue()
    assert "links: checking 1 web addresses on 1 hosts…" in text
    assert "web addresses answered" not in text


def test_the_report_gives_the_seconds_the_check_took(log: Server) -> None:
    started = time.monotonic()
    report = _web(f"{log.base}/delay")
    assert 0.7 <= report.seconds <= time.monotonic() - started
