"""What long work is doing, while it does it: per edition the step and the page being laid
out (from WeasyPrint's `weasyprint.progress` log), the links being checked, with the
time since the command started.

Stages announce themselves on loggers (`weasyprint.progress`, and `reportpipe.progress`
for reportpipe's own stages), so they need no printing code; this module turns those
records into output. On a terminal one status line is rewritten in place; when the output
is not a terminal, or under CI, plain lines are printed (step changes, and every page only
with --verbose); --quiet prints none of it. Colour only on a terminal, never with
NO_COLOR set (https://no-color.org).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from typing import TextIO

#: reportpipe's own stages log here (links checked, editions started).
LOGGER = logging.getLogger("reportpipe.progress")
_WEASYPRINT = logging.getLogger("weasyprint.progress")
_STEP = re.compile(r"^Step (\d+) - ([^-]+?)(?: - (.*))?$")
_PAGE = re.compile(r"^Page (\d+)")
#: Which edition this process is rendering (set by the worker that renders it).
_EDITION: list[str] = [""]
#: In plain mode a page line at most this often (seconds), so that a long report is
#: visibly alive without a line per page.
PLAIN_PAGE_INTERVAL = 5.0


def counted(number: int, noun: str) -> str:
    """`number` and `noun` for a message: "1 chapter", "2 chapters" (English nouns that
    take an s, which are all the tool's messages count)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def working_on(edition: str) -> None:
    """Name the edition this process renders now (its progress lines carry the name)."""
    _EDITION[0] = edition


class Progress:
    """Progress output for one command. `level`: 0 quiet, 1 normal, 2 verbose."""

    def __init__(
        self,
        *,
        level: int = 1,
        live: bool = False,
        color: bool = False,
        out: TextIO | None = None,
    ) -> None:
        self.level, self.live, self.color = level, live, color
        self.out = out or sys.stdout
        self.started = time.perf_counter()
        self._last_step: dict[str, str] = {}
        self._last_page_line: dict[str, float] = {}

    @classmethod
    def for_terminal(cls, *, quiet: bool = False, verbose: bool = False) -> Progress:
        """Live on a terminal, plain lines otherwise or under CI; NO_COLOR honoured."""
        tty = sys.stdout.isatty() and not os.environ.get("CI")
        return cls(
            level=0 if quiet else 2 if verbose else 1,
            live=tty,
            color=tty and not os.environ.get("NO_COLOR"),
        )

    def elapsed(self) -> str:
        stamp = f"[{time.perf_counter() - self.started:6.1f} s]"
        return f"\x1b[2m{stamp}\x1b[0m" if self.color else stamp

    def step(self, message: str) -> None:
        """A step of the command (normal level)."""
        if self.level >= 1:
            self._line(message)

    def detail(self, message: str) -> None:
        """More than a step (verbose level)."""
        if self.level >= 2:
            self._line(message)

    def _line(self, message: str) -> None:
        clear = "\r\x1b[K" if self.live else ""
        self.out.write(f"{clear}{self.elapsed()} {message}\n")
        self.out.flush()

    def _status(self, message: str) -> None:
        self.out.write(f"\r\x1b[K{self.elapsed()} {message}")
        self.out.flush()

    def end_status(self) -> None:
        if self.live and self.level >= 1:
            self.out.write("\r\x1b[K")
            self.out.flush()

    def record(self, record: logging.LogRecord) -> None:
        """One progress record of a stage."""
        message = record.getMessage()
        if record.name == LOGGER.name:
            if self.live and getattr(record, "transient", False):
                self._status(message)
            elif getattr(record, "transient", False):
                self.detail(message)
            else:
                self.step(message)
            return
        match = _STEP.match(message)
        if match is None:
            return
        number, title, rest = match.group(1), match.group(2).strip(), match.group(3) or ""
        edition = _EDITION[0] or "edition"
        page = _PAGE.match(rest)
        if self.live:
            what = f"page {page.group(1)}" if page else title.lower()
            self._status(f"{edition}: step {number}/7, {what}")
            return
        now = time.perf_counter()
        if self._last_step.get(edition) != number:
            self._last_step[edition] = number
            self._last_page_line[edition] = now
            self.step(f"{edition}: step {number}/7, {title.lower()}")
        elif page and (
            self.level >= 2 or now - self._last_page_line.get(edition, 0) >= PLAIN_PAGE_INTERVAL
        ):
            self._last_page_line[edition] = now
            self._line(f"{edition}: laying out page {page.group(1)}")
        elif rest and self.level >= 2:
            self._line(f"{edition}: {title.lower()}: {rest}")

    @contextlib.contextmanager
    def listening(self) -> Iterator[Progress]:
        """Show the stages' progress records while the block runs."""
        if self.level == 0:
            yield self
            return
        handler = _Handler(self)
        saved = [(logger, logger.level, logger.propagate) for logger in (LOGGER, _WEASYPRINT)]
        for logger in (LOGGER, _WEASYPRINT):
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False  # progress is not a finding: keep it from their log
        try:
            yield self
        finally:
            for logger, level, propagate in saved:
                logger.removeHandler(handler)
                logger.setLevel(level)
                logger.propagate = propagate
            self.end_status()


class _Handler(logging.Handler):
    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # progress never breaks the work
            self.progress.record(record)
