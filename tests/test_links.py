"""The link check, against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import free_port
from httpserver import Handler, Route, Server, answer, get_only, serving
from reportpipe.checkconfig import LinkExclusion, LinksConfig
from reportpipe.links import Link, LinkReport, _retry_after, check_links

FILE = "source/intro.md"


def _limited(handler: Handler) -> None:
    """429 with Retry-After: 1 the first time, 200 once asked again."""
    if len(handler.state.seen("/limited")) > 1:
        handler.reply(200)
    else:
        handler.reply(429, Retry_After="1")


def _head_drops(handler: Handler) -> None:
    if handler.command == "HEAD":
        handler.close_connection = True  # no answer at all
    else:
        handler.reply(200)


def _slow(handler: Handler) -> None:
    handler.state.stop.wait(30)
    handler.reply(200)


def _delay(handler: Handler) -> None:
    with handler.state.answering():
        time.sleep(0.5)
    handler.reply(200)


def _head_not_implemented(handler: Handler) -> None:
    """501 (Not Implemented) to a HEAD, as some servers answer a method they lack."""
    handler.reply(501 if handler.command == "HEAD" else 200)


ROUTES: dict[str, Route] = {
    "/ok": answer(200),
    "/moved": answer(301, Location="/ok"),
    "/head-not-allowed": get_only(answer(200)),
    "/head-not-implemented": _head_not_implemented,
    "/limited": _limited,
    "/loop": lambda handler: handler.reply(302, Location=handler.path),
    "/head-drops": _head_drops,
    "/busy": answer(503),
    "/slow": _slow,
    "/delay": _delay,
}


@pytest.fixture
def server() -> Iterator[Server]:
    with serving(ROUTES) as state:
        yield state


def _config(**settings: Any) -> LinksConfig:
    defaults: dict[str, Any] = {"timeout": 5, "budget": 10, "retries": 2, "backoff": 0.05}
    return LinksConfig(**{**defaults, **settings})


def _check(
    *links: Link,
    anchors: frozenset[str] = frozenset(),
    offline: bool = False,
    cache_file: Path | None = None,
    **settings: Any,
) -> LinkReport:
    return check_links(
        links,
        anchors=anchors,
        config=_config(**settings),
        offline=offline,
        cache_file=cache_file,
    )


def _link(url: str, text: str = "Text", line: int | None = 3) -> Link:
    return Link(url, text, FILE, line)


def _messages(report: LinkReport) -> list[str]:
    return [str(f) for f in report.findings]


def test_ok_link_has_no_finding_and_sends_user_agent(server: Server) -> None:
    report = _check(_link(f"{server.base}/ok"))
    assert report.findings == ()
    assert (report.checked, report.cached, report.skipped_offline) == (1, 0, 0)
    assert [(m, a) for _, m, _, a in server.requests] == [("HEAD", "reportpipe-linkcheck/1.0")]


def test_missing_page_is_an_error_with_file_and_line(server: Server) -> None:
    url = f"{server.base}/missing"
    report = _check(_link(url, "Rapporten", 7))
    assert _messages(report) == [
        f"source/intro.md:7: error: link 'Rapporten': {url} returned status 404"
    ]


def test_redirect_is_a_warning_naming_the_final_url(server: Server) -> None:
    url = f"{server.base}/moved"
    report = _check(_link(url, "Flyttad"))
    assert _messages(report) == [
        f"source/intro.md:3: warning: link 'Flyttad': {url} redirects to {server.base}/ok "
        "(status 200); consider linking to it directly"
    ]


@pytest.mark.parametrize("path", ["/head-not-allowed", "/head-not-implemented"])
def test_head_not_allowed_or_not_implemented_falls_back_to_get(server: Server, path: str) -> None:
    """A HEAD answered 405 or 501 says nothing about the page: it is asked with GET."""
    report = _check(_link(f"{server.base}{path}"))
    assert report.findings == ()
    assert [m for _, m in server.seen(path)] == ["HEAD", "GET"]


def test_the_query_of_a_link_is_sent_as_written(server: Server) -> None:
    """The page asked for is the one linked: its query goes with the path, and an
    address without one gets no stray '?'."""
    report = _check(_link(f"{server.base}/ok?lang=sv&sida=2"), _link(f"{server.base}/ok"))
    assert report.findings == ()
    assert sorted(p for _, _, p, _ in server.requests) == ["/ok", "/ok?lang=sv&sida=2"]


def test_dropped_head_request_falls_back_to_get(server: Server) -> None:
    report = _check(_link(f"{server.base}/head-drops"), retries=0)
    assert report.findings == ()
    assert [m for _, m in server.seen("/head-drops")] == ["HEAD", "GET"]


def test_redirect_loop_is_an_error(server: Server) -> None:
    url = f"{server.base}/loop"
    report = _check(_link(url))
    assert _messages(report) == [
        f"source/intro.md:3: error: link 'Text': {url} redirects more than 10 times"
    ]
    assert len(server.seen("/loop")) == 11


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert _retry_after("7") == 7.0
    later = formatdate(time.time() + 100, usegmt=True)
    assert 98 <= (_retry_after(later) or 0) <= 100
    assert _retry_after(formatdate(time.time() - 100, usegmt=True)) == 0.0
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_too_many_requests_honours_retry_after(server: Server) -> None:
    report = _check(_link(f"{server.base}/limited"), max_retry_after=5)
    assert report.findings == ()
    (first, _), (second, _) = server.seen("/limited")
    assert second - first >= 1.0


def test_service_unavailable_is_retried_then_reported(server: Server) -> None:
    url = f"{server.base}/busy"
    report = _check(_link(url), retries=2)
    assert len(server.seen("/busy")) == 3
    assert _messages(report) == [
        f"source/intro.md:3: error: link 'Text': {url} returned status 503"
    ]


def test_never_answering_server_is_bounded_by_the_budget(server: Server) -> None:
    started = time.monotonic()
    report = _check(_link(f"{server.base}/slow", "Seg"), budget=2, timeout=10)
    elapsed = time.monotonic() - started
    assert elapsed < 4
    host = urlsplit(server.base).netloc
    assert _messages(report) == [
        f"source/intro.md:3: error: link 'Seg': no answer from {host} within the time budget (2 s)"
    ]


def test_requests_run_concurrently_within_the_per_host_limit(server: Server) -> None:
    links = [_link(f"{server.base}/delay?n={n}") for n in range(20)]
    started = time.monotonic()
    report = _check(*links, per_host=10, concurrency=32)
    assert time.monotonic() - started < 5
    assert report.findings == ()
    assert report.checked == 20
    assert 1 < server.most_active <= 10


def test_offline_skips_web_links_and_counts_them(server: Server) -> None:
    report = _check(
        _link(f"{server.base}/missing"), _link(f"{server.base}/ok"), _link("#nowhere"), offline=True
    )
    assert server.requests == []
    assert (report.checked, report.skipped_offline) == (0, 2)
    assert [f.message for f in report.findings] == [
        "link 'Text' points to #nowhere, which no heading or element of the report has"
    ]


def test_links_sharing_a_failing_url_are_requested_once_and_each_reported(
    server: Server,
) -> None:
    url = f"{server.base}/missing"
    report = _check(Link(url, "B", "source/b.md", 2), Link(url, "A", "source/a.md", 9))
    assert len(server.requests) == 1
    assert [(f.path, f.line) for f in report.findings] == [("source/a.md", 9), ("source/b.md", 2)]


def test_cache_is_reused_while_fresh(server: Server, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "links.json"
    links = (_link(f"{server.base}/ok"), _link(f"{server.base}/missing"))
    first = _check(*links, cache_file=cache)
    assert (first.checked, first.cached) == (2, 0)
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored[f"{server.base}/missing"]["status"] == 404
    assert stored[f"{server.base}/missing"]["ok"] is False
    assert set(stored[f"{server.base}/ok"]) == {"status", "final", "ok", "checked_at"}
    second = _check(*links, cache_file=cache)
    assert (second.checked, second.cached) == (0, 2)
    assert len(server.requests) == 2
    assert second.findings == first.findings


def test_cache_entries_expire(server: Server, tmp_path: Path) -> None:
    cache, clock = tmp_path / "links.json", [1_000_000.0]
    link, config = _link(f"{server.base}/ok"), _config(cache_max_age=60)

    def run() -> LinkReport:
        return check_links(
            [link], anchors=frozenset(), config=config, offline=False, cache_file=cache,
            now=lambda: clock[0],
        )  # fmt: skip

    assert run().checked == 1
    clock[0] += 59
    assert (run().cached, len(server.requests)) == (1, 1)
    clock[0] += 2
    assert (run().checked, len(server.requests)) == (1, 2)


def test_failures_are_not_cached(tmp_path: Path) -> None:
    cache, url = tmp_path / "links.json", f"http://127.0.0.1:{free_port()}/"
    report = _check(_link(url), cache_file=cache, retries=0)
    assert _messages(report) == [
        f"source/intro.md:3: error: link 'Text': {url} could not be reached (connection refused)"
    ]
    assert json.loads(cache.read_text(encoding="utf-8")) == {}


def test_corrupt_cache_is_ignored_and_replaced(server: Server, tmp_path: Path) -> None:
    cache = tmp_path / "links.json"
    cache.write_text("{not json", encoding="utf-8")
    report = _check(_link(f"{server.base}/ok"), cache_file=cache)
    assert (report.findings, report.checked) == ((), 1)
    assert list(json.loads(cache.read_text(encoding="utf-8"))) == [f"{server.base}/ok"]


def test_exclusions_by_url_and_text_are_listed_with_reason(server: Server) -> None:
    by_url = LinkExclusion(url=f"{server.base}/missing", reason="intranet only")
    by_text = LinkExclusion(text="Bildspel", reason="address comes later")
    first, second = _link(f"{server.base}/missing/page"), _link("#", "Bildspel")
    report = _check(first, second, exclude=(by_url, by_text))
    assert report.findings == ()
    assert report.excluded == ((first, "intranet only"), (second, "address comes later"))
    assert server.requests == []


@pytest.mark.parametrize("url", ["#", ""])
def test_link_without_target_is_an_error(url: str) -> None:
    report = _check(_link(url, "Bildspel", 5), offline=True)
    assert _messages(report) == ["source/intro.md:5: error: link 'Bildspel' has no target"]


def test_fragment_must_name_an_anchor_of_the_report() -> None:
    anchors = frozenset({"scenario-1"})
    report = _check(_link("#scenario-1"), _link("#scenario-9", line=4), anchors=anchors)
    assert _messages(report) == [
        "source/intro.md:4: error: link 'Text' points to #scenario-9, "
        "which no heading or element of the report has"
    ]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("mailto:info@example.org", True),
        ("mailto:info@example.org?subject=Rapport%202015", True),
        ("mailto:first.last@mail.example.co.uk", True),
        ("mailto:info@example", False),
        ("mailto:@example.org", False),
        ("mailto:info@@example.org", False),
        ("mailto:in fo@example.org", False),
        ("mailto:info@example..org", False),
        ("mailto:", False),
    ],
)
def test_mailto_syntax(url: str, ok: bool) -> None:
    report = _check(_link(url, "Mejl"))
    expected = [] if ok else [f"link 'Mejl' has a malformed e-mail address: '{url}'"]
    assert [f.message for f in report.findings] == expected
    assert report.checked == 0


@pytest.mark.parametrize("url", ["bilagor/tabell.pdf", "javascript:alert(1)", "ftp://x.org/"])
def test_other_targets_are_errors(url: str) -> None:
    report = _check(_link(url, "Bilaga"))
    assert [f.message for f in report.findings] == [
        f"link 'Bilaga' leads to '{url}': not a web address, e-mail address or #id"
    ]


def test_findings_are_sorted_by_path_line_and_message() -> None:
    links = [
        Link("#", "b", "source/b.md", 1),
        Link("#", "z", "source/a.md", 10),
        Link("#", "y", "source/a.md", 2),
        Link("#", "x", "source/a.md", 2),
    ]
    report = _check(*links)
    assert [(f.path, f.line, f.message[:7]) for f in report.findings] == [
        ("source/a.md", 2, "link 'x"),
        ("source/a.md", 2, "link 'y"),
        ("source/a.md", 10, "link 'z"),
        ("source/b.md", 1, "link 'b"),
    ]


def test_progress_names_each_answer_while_the_check_runs(server: Server) -> None:
    import io

    from reportpipe.progress import Progress

    out = io.StringIO()
    with Progress(level=2, out=out).listening():
        _check(_link(f"{server.base}/ok"), _link(f"{server.base}/missing"))
    lines = out.getvalue().splitlines()
    assert any("links: checking 2 web addresses on 1 hosts…" in line for line in lines)
    assert sum("web addresses answered" in line for line in lines) == 2
    assert any(f"links: 2 of 2 web addresses answered ({server.base}/" in line for line in lines)
