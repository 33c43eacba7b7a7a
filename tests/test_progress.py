"""Progress on long work: WeasyPrint's steps and pages per edition, with elapsed time;
plain lines when not a terminal, a rewritten status line on one, nothing with -q."""

from __future__ import annotations

import io
import logging
import re

import pytest

from conftest import Built, MakeProject, run_cli
from reportpipe.progress import Progress, counted, working_on

STAMP = re.compile(r"^\[\s*\d+\.\d s\] ", re.M)
WEASYPRINT = logging.getLogger("weasyprint.progress")


def test_a_build_not_on_a_terminal_prints_plain_step_lines_per_edition(built: Built) -> None:
    out = built.result.out
    assert "\r" not in out and "\x1b" not in out  # not a terminal: no live line, no colour
    for edition in ("screen", "print"):
        for step in ("step 1/7, fetching and parsing html", "step 5/7, creating layout"):
            assert re.search(rf"^\[\s*\d+\.\d s\] {edition}: {step}$", out, re.M), (edition, step)
    assert re.search(r"^\[\s*\d+\.\d s\]   web: 14 files, \d+ KiB$", out, re.M)
    assert "laying out page" not in out  # every page only with -v (a short report)


def test_verbose_shows_every_page_and_quiet_shows_no_progress(make_project: MakeProject) -> None:
    root = make_project({})
    loud = run_cli("build", "-v", "--jobs", "1", "--edition", "screen", "--project", str(root))
    assert loud.code == 0, loud.err
    pages = {int(n) for n in re.findall(r"screen: laying out page (\d+)$", loud.out, re.M)}
    assert pages == set(range(1, 13))
    quiet = run_cli("build", "-q", "--force", "--edition", "screen", "--project", str(root))
    assert quiet.code == 0, quiet.err
    assert not STAMP.search(quiet.out) and "step" not in quiet.out
    assert "wrote build/jobbregionen-umea-2015-1.0.0.pdf" in quiet.out  # results still shown


def test_on_a_terminal_one_status_line_is_rewritten() -> None:
    out = io.StringIO()
    progress = Progress(level=1, live=True, color=False, out=out)
    with progress.listening():
        working_on("print")
        WEASYPRINT.info("Step 5 - Creating layout - Page %d", 3)
        WEASYPRINT.info("Step 5 - Creating layout - Page %d", 4)
        progress.step("done")
    text = out.getvalue()
    assert "\r\x1b[K[" in text and "print: step 5/7, page 3" in text
    assert "print: step 5/7, page 4" in text
    assert text.count("\n") == 1  # the status line is rewritten, only the step gets a line
    assert "\x1b[2m" not in text


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Progress.for_terminal()
    assert terminal.live and terminal.color and "\x1b[2m" in terminal.elapsed()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Progress.for_terminal()
    assert plain.live and not plain.color and "\x1b" not in plain.elapsed()
    monkeypatch.setenv("CI", "true")
    assert not Progress.for_terminal().live
    assert Progress.for_terminal(quiet=True).level == 0
    assert Progress.for_terminal(verbose=True).level == 2


def test_quiet_listens_to_nothing_and_the_loggers_are_restored() -> None:
    out = io.StringIO()
    before = (WEASYPRINT.level, WEASYPRINT.propagate, list(WEASYPRINT.handlers))
    with Progress(level=0, out=out).listening():
        WEASYPRINT.info("Step 1 - Fetching and parsing HTML - x")
    with Progress(level=1, out=out).listening():
        pass
    assert out.getvalue() == ""
    assert (WEASYPRINT.level, WEASYPRINT.propagate, list(WEASYPRINT.handlers)) == before


def test_counts_in_messages_are_singular_for_one() -> None:
    assert [counted(n, "raster picture") for n in (0, 1, 2)] == [
        "0 raster pictures",
        "1 raster picture",
        "2 raster pictures",
    ]
