"""A pytest plugin for `mutants/run.py`: while coverage measures the tests of a module,
each test's lines are recorded under the test's node id (a coverage "context"), so a
mutant on a line is tried against the tests that run that line first, the quickest
first (each test's seconds go to DATA_FILE.durations.json beside coverage's data)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import coverage
import pytest

_SECONDS: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.switch_context(item.nodeid)
    started = time.monotonic()
    yield
    _SECONDS[item.nodeid] = time.monotonic() - started
    if measuring is not None:
        measuring.switch_context("")


def pytest_sessionfinish(session: pytest.Session) -> None:
    measuring = coverage.Coverage.current()
    if measuring is not None and measuring.config.data_file:
        target = Path(f"{measuring.config.data_file}.durations.json")
        target.write_text(json.dumps(_SECONDS), "utf-8")
