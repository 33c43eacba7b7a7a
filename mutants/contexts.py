"""A pytest plugin for `mutants/run.py`: while coverage measures the tests of a module,
each test's lines are recorded under the test's node id (a coverage "context"), so a
mutant on a line is tried against the tests that run that line first."""

from __future__ import annotations

from collections.abc import Iterator

import coverage
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.switch_context(item.nodeid)
    yield
    if measuring is not None:
        measuring.switch_context("")
