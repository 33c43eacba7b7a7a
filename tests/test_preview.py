"""`reportpipe preview` as an author uses it: a real server on 127.0.0.1, real edits,
the reload event, an error in the page with file and line, the fix, and Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import MakeProject

TIMEOUT = 120  # generous: the machine is shared; speed is measured in bench/


class Running:
    def __init__(self, proc: subprocess.Popen[str], url: str, lines: queue.Queue[str]) -> None:
        self.proc, self.url, self.lines = proc, url, lines
        self.out: list[str] = []

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=30) as answer:
            data: bytes = answer.read()
            return data

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.get("/_preview/status"))
        return result

    def wait(self, what: str, test: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if test():
                return
            time.sleep(0.1)
        pytest.fail(f"preview: no {what} within {TIMEOUT} s; output: {self.output()}")

    def output(self) -> str:
        while not self.lines.empty():
            self.out.append(self.lines.get())
        return "".join(self.out)


@pytest.fixture
def preview(make_project: MakeProject) -> Iterator[Running]:
    root = make_project({})
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportpipe", "preview", "--project", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in iter(proc.stdout.readline, "")],  # type: ignore[union-attr]
        daemon=True,
    ).start()
    first = lines.get(timeout=TIMEOUT)
    found = re.search(r"preview: (http://127\.0\.0\.1:\d+/)", first)
    assert found, first
    running = Running(proc, found.group(1), lines)
    running.out.append(first)
    running.root = root  # type: ignore[attr-defined]
    yield running
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


class Events:
    """An open event stream, collected in a thread."""

    def __init__(self, url: str) -> None:
        self.reloads: queue.Queue[int] = queue.Queue()
        self.answer = urllib.request.urlopen(url, timeout=TIMEOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = ""
        for raw in self.answer:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "reload":
                self.reloads.put(int(line[6:]))

    def next_reload(self) -> int:
        return self.reloads.get(timeout=TIMEOUT)


def test_preview_edit_break_fix_and_stop(preview: Running) -> None:
    root: Path = preview.root  # type: ignore[attr-defined]
    assert preview.url.startswith("http://127.0.0.1:")
    preview.wait("first build", lambda: preview.status()["pages"] == 12)
    page = preview.get("/").decode()
    assert '<html lang="sv">' in page and "Syftet med det workshoppass" in page
    assert 'new EventSource("/_preview/events?since=' in page
    assert preview.get("/web.css").startswith(b"/* The web edition")
    assert preview.get("/_preview/page-1.png").startswith(b"\x89PNG")
    assert preview.get("/_preview/screen.pdf").startswith(b"%PDF-")

    # An edit: the open page is told to reload, and then shows the new text.
    version = preview.status()["version"]
    events = Events(f"{preview.url}_preview/events?since={version}")
    chapter = root / "source" / "intro.md"
    chapter.write_text(
        chapter.read_text("utf-8").replace("Syftet med det", "Målet med det"), "utf-8"
    )
    assert events.next_reload() > version
    assert "Målet med det workshoppass" in preview.get("/").decode()

    # A broken YAML file: the error with file and line, in the page and on the terminal;
    # the last good preview stays.
    scenarios = root / "source" / "scenarios.yaml"
    good = scenarios.read_text("utf-8")
    scenarios.write_text(good + "  broken: [\n", "utf-8")
    preview.wait("error", lambda: bool(preview.status()["errors"]))
    page = preview.get("/").decode()
    assert re.search(r"source/scenarios\.yaml:\d+: error: YAML syntax", page)
    assert 'role="alert"' in page and "Målet med det workshoppass" in page
    assert re.search(r"source/scenarios\.yaml:\d+: error: YAML syntax", preview.output())
    events.next_reload()

    # Fixed: the error goes.
    scenarios.write_text(good, "utf-8")
    preview.wait("the error to clear", lambda: not preview.status()["errors"])
    assert "preview-errors" not in preview.get("/").decode()

    # Ctrl-C stops it cleanly.
    preview.proc.send_signal(signal.SIGINT)
    assert preview.proc.wait(TIMEOUT) == 0
    out = preview.output()
    assert "preview stopped" in out and "Traceback" not in out


def test_preview_listens_on_this_machine_only_and_serves_nothing_else(preview: Running) -> None:
    assert re.match(r"http://127\.0\.0\.1:\d+/$", preview.url)
    with pytest.raises(urllib.error.HTTPError) as refused:
        preview.get("/../source/report.yaml")
    assert refused.value.code == 404
    with pytest.raises(urllib.error.HTTPError):
        preview.get("/source/report.yaml")
    preview.proc.send_signal(signal.SIGTERM)
    assert preview.proc.wait(TIMEOUT) == 0
