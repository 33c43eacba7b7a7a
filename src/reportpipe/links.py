"""Link check: every link of the report leads somewhere, within a fixed time.

Local links (`#id`, `mailto:`) are checked without the network. Web links are checked
with plain `http.client` in daemon threads: at most `concurrency` requests at once, at
most `per_host` to one host, and the whole check ends at the time budget however slow
the servers are; a thread still waiting then is left behind (its socket times out on
its own) and its URL is reported as unanswered. Results of reachable URLs are cached
in a JSON file so that repeated runs do not ask the same servers again.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from itertools import zip_longest
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from reportpipe.atomic import write_atomic
from reportpipe.checkconfig import LinkExclusion, LinksConfig
from reportpipe.findings import Finding, error, warning
from reportpipe.mailaddress import address_problem
from reportpipe.progress import LOGGER as PROGRESS

USER_AGENT = "reportpipe-linkcheck/1.0"
MAX_REDIRECTS = 10
MAX_BODY = 64 * 1024  # bytes read from a GET answer before the connection is closed
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TRY_LATER = frozenset({429, 503})  # retried, honouring Retry-After
SAFE_CHARS = "/%:@!$&'()*+,;=?~"  # left as written when a request target is quoted


@dataclass(frozen=True)
class Link:
    url: str  # as written ("" or "#" when the author gave no target)
    text: str  # the link text
    path: str  # project-relative file that holds it, e.g. "source/intro.md"
    line: int | None


@dataclass(frozen=True)
class LinkReport:
    findings: tuple[Finding, ...]  # sorted by (path, line, message)
    checked: int  # distinct web URLs requested over the network
    cached: int  # distinct web URLs answered from the cache
    skipped_offline: int  # distinct web URLs not checked because of --offline
    excluded: tuple[tuple[Link, str], ...]  # (link, reason) for every exclusion used
    seconds: float


@dataclass(frozen=True)
class _Outcome:
    status: int | None  # the last HTTP status; None when no answer came
    final: str  # the URL that gave it, after redirects
    problem: str = ""  # why the answer cannot be used, or why none came


class _OutOfTimeError(Exception):
    """The time budget is spent."""


def _exclusion(link: Link, exclusions: Sequence[LinkExclusion]) -> str | None:
    for rule in exclusions:
        if (rule.url is not None and link.url.startswith(rule.url)) or rule.text == link.text:
            return rule.reason
    return None


def _is_web(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _web_address_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        return False
    return _is_web(url) and bool(parts.hostname) and not any(c.isspace() for c in url)


def _mail_address_ok(url: str) -> bool:
    address = unquote(url[len("mailto:") :].split("?", 1)[0])
    return address_problem(address) is None


def _local_problem(link: Link, anchors: frozenset[str]) -> str | None:
    """What is wrong with a link that can be judged without the network, if anything."""
    url, text = link.url, link.text
    if url in ("", "#"):
        return f"link '{text}' has no target"
    if url.startswith("#"):
        name = url[1:]
        if name in anchors or unquote(name) in anchors:
            return None
        return f"link '{text}' points to {url}, which no heading or element of the report has"
    if url.lower().startswith("mailto:") and not _mail_address_ok(url):
        return f"link '{text}' has a malformed e-mail address: '{url}'"
    if _is_web(url) and not _web_address_ok(url):
        return f"link '{text}' has a malformed web address: '{url}'"
    if url.lower().startswith(("mailto:", "http://", "https://")):
        return None
    return f"link '{text}' leads to '{url}': not a web address, e-mail address or #id"


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return host if parts.port is None else f"{host}:{parts.port}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait as a Retry-After header gives them (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection closed by the server"
    return str(exc) or type(exc).__name__


class _Checker:
    """Checks distinct web URLs in daemon threads until done or out of time."""

    def __init__(self, config: LinksConfig, deadline: float) -> None:
        self.config, self.deadline = config, deadline
        self.tls = ssl.create_default_context()
        self.cv = threading.Condition()
        self.queue: deque[str] = deque()
        self.results: dict[str, _Outcome] = {}
        self.busy: Counter[str] = Counter()  # requests in flight per host
        self.total = 0

    def run(self, urls: Sequence[str]) -> dict[str, _Outcome]:
        # Interleave hosts, so that a host with many links does not hold up the others.
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(_host(url), []).append(url)
        self.queue.extend(u for row in zip_longest(*by_host.values()) for u in row if u)
        self.total = len(urls)
        PROGRESS.info("links: checking %d web addresses on %d hosts…", len(urls), len(by_host))
        for _ in range(min(self.config.concurrency, len(urls))):
            threading.Thread(target=self._work, name="reportpipe-linkcheck", daemon=True).start()
        with self.cv:
            self.cv.wait_for(lambda: len(self.results) == len(urls), self._left())
            return dict(self.results)

    def _left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def _work(self) -> None:
        while True:
            with self.cv:
                if not self.queue:
                    return
                url = self.queue.popleft()
            try:
                outcome = self._check(url)
            except _OutOfTimeError:
                return
            except (OSError, HTTPException, ValueError) as exc:
                outcome = _Outcome(None, url, _describe(exc))
            with self.cv:
                self.results[url] = outcome
                self.cv.notify_all()
                done = len(self.results)
            PROGRESS.info(
                "links: %d of %d web addresses answered (%s)",
                done,
                self.total,
                url,
                extra={"transient": True},
            )

    def _check(self, url: str) -> _Outcome:
        """Follows redirects; raises the last failure when no answer came."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            status, headers = self._fetch(current)
            location = headers.get("Location")
            if status not in REDIRECTS or not location:
                return _Outcome(status, current)
            target = urljoin(current, location.strip())
            if not _web_address_ok(target):
                return _Outcome(status, current, f"redirects to '{target}', not a web address")
            if not urlsplit(target).fragment and urlsplit(url).fragment:
                target = f"{target}#{urlsplit(url).fragment}"  # as a browser carries it over
            current = target
        return _Outcome(status, current, f"redirects more than {MAX_REDIRECTS} times")

    def _fetch(self, url: str) -> tuple[int, Message]:
        """One URL's answer, retrying timeouts, failed connections, 429 and 503."""
        config = self.config
        for attempt in range(config.retries + 1):
            wait = config.backoff * 2**attempt
            try:
                status, headers = self._head_or_get(url)
            except (OSError, HTTPException) as exc:
                if self._left() <= 0:
                    raise _OutOfTimeError from exc
                if attempt == config.retries or time.monotonic() + wait >= self.deadline:
                    raise
            else:
                if status not in TRY_LATER or attempt == config.retries:
                    return status, headers
                asked = _retry_after(headers.get("Retry-After"))
                wait = min(wait if asked is None else asked, config.max_retry_after)
                if time.monotonic() + wait >= self.deadline:
                    return status, headers  # waiting longer would not fit the budget
            time.sleep(wait)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _head_or_get(self, url: str) -> tuple[int, Message]:
        with self._slot(_host(url)):
            try:
                status, headers = self._request(url, "HEAD")
                if status not in (405, 501):
                    return status, headers
            except (HTTPException, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                pass  # some servers drop HEAD requests; GET may still work
            return self._request(url, "GET")

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self.cv:
            free = self.cv.wait_for(lambda: self.busy[host] < self.config.per_host, self._left())
            if not free:
                raise _OutOfTimeError
            self.busy[host] += 1
        try:
            yield
        finally:
            with self.cv:
                self.busy[host] -= 1
                self.cv.notify_all()

    def _request(self, url: str, method: str) -> tuple[int, Message]:
        timeout = min(self.config.timeout, self._left())
        if timeout <= 0:
            raise _OutOfTimeError
        parts = urlsplit(url)
        conn = (
            HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout, context=self.tls)
            if parts.scheme.lower() == "https"
            else HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        )
        target = quote(parts.path or "/", safe=SAFE_CHARS)
        if parts.query:
            target += "?" + quote(parts.query, safe=SAFE_CHARS)
        try:
            conn.request(method, target, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = conn.getresponse()
            if method == "GET":
                response.read(MAX_BODY)
            return response.status, response.headers
        finally:
            conn.close()


def _load_cache(path: Path, moment: float, max_age: float) -> dict[str, dict[str, Any]]:
    """The cache's well-formed entries younger than `max_age`; a corrupt file is empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        url: entry
        for url, entry in (data.items() if isinstance(data, dict) else ())
        if isinstance(entry, dict)
        and type(entry.get("status")) is int
        and isinstance(entry.get("final"), str)
        and isinstance(entry.get("ok"), bool)
        and type(entry.get("checked_at")) in (int, float)
        and 0 <= moment - entry["checked_at"] < max_age
    }


def _judge(link: Link, outcome: _Outcome | None, config: LinksConfig) -> Finding | None:
    url, status = link.url, None if outcome is None else outcome.status
    if outcome is None:
        what = f"no answer from {_host(url)} within the time budget ({config.budget:g} s)"
    elif status is None:
        what = f"{url} could not be reached ({outcome.problem})"
    elif outcome.problem:
        what = f"{url} {outcome.problem}"
    elif status not in config.accept:
        via = f" redirects to {outcome.final}, which" if outcome.final != url else ""
        what = f"{url}{via} returned status {status}"
    elif outcome.final != url:
        what = (
            f"{url} redirects to {outcome.final} (status {status}); consider linking to it directly"
        )
        return warning(link.path, link.line, f"link '{link.text}': {what}")
    else:
        return None
    return error(link.path, link.line, f"link '{link.text}': {what}")


def _check_web(
    web: dict[str, list[Link]],
    config: LinksConfig,
    cache_file: Path | None,
    now: Callable[[], float],
) -> tuple[list[Finding], int, int]:
    """Findings on web links, and how many distinct URLs were checked and cached."""
    if config.cache_max_age <= 0:
        cache_file = None
    entries = {} if cache_file is None else _load_cache(cache_file, now(), config.cache_max_age)
    outcomes = {
        url: _Outcome(entries[url]["status"], entries[url]["final"])
        for url in web
        if url in entries
    }
    todo = [url for url in web if url not in outcomes]
    fresh = _Checker(config, time.monotonic() + config.budget).run(todo) if todo else {}
    outcomes.update(fresh)
    moment = now()
    for url, outcome in fresh.items():
        # Only real answers are kept, and not those that say "try again later".
        status = outcome.status
        if status is not None and not outcome.problem and status != 429 and status < 500:
            ok = status in config.accept
            entries[url] = {
                "status": status,
                "final": outcome.final,
                "ok": ok,
                "checked_at": moment,
            }
    findings = [
        finding
        for url, users in web.items()
        for link in users
        if (finding := _judge(link, outcomes.get(url), config)) is not None
    ]
    if cache_file is not None:
        text = json.dumps(entries, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            write_atomic(cache_file, text.encode("utf-8"))
        except OSError as exc:
            findings.append(warning(str(cache_file), None, f"link cache not saved: {exc}"))
    return findings, len(todo), len(outcomes) - len(fresh)


def check_links(
    links: Sequence[Link],
    *,
    anchors: frozenset[str],
    config: LinksConfig,
    offline: bool,
    cache_file: Path | None,
    now: Callable[[], float] = time.time,
) -> LinkReport:
    """Check every link; web links only when not `offline`, within `config.budget`."""
    started = time.monotonic()
    findings: list[Finding] = []
    excluded: list[tuple[Link, str]] = []
    web: dict[str, list[Link]] = {}  # distinct URL -> the links that use it
    for link in links:
        reason = _exclusion(link, config.exclude)
        if reason is not None:
            excluded.append((link, reason))
        elif (problem := _local_problem(link, anchors)) is not None:
            findings.append(error(link.path, link.line, problem))
        elif _is_web(link.url):
            web.setdefault(link.url, []).append(link)
    checked = cached = 0
    if web and not offline:
        found, checked, cached = _check_web(web, config, cache_file, now)
        findings += found
    findings.sort(key=lambda f: (f.path, f.line is not None, f.line or 0, f.message))
    return LinkReport(
        findings=tuple(findings),
        checked=checked,
        cached=cached,
        skipped_offline=len(web) if offline else 0,
        excluded=tuple(excluded),
        seconds=time.monotonic() - started,
    )
