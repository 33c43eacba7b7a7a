"""A pytest plugin for `mutants/run.py`, loaded while coverage measures the tests of one
module. It records what decides which tests can notice a mutant on a given line:

- each test's lines, under the test's node id (a coverage "context");
- the fixtures wider than a function that a test set up (their lines count for every
  test that uses them, not only for the first one);
- the tests that start a Python subprocess, directly or through such a fixture (coverage
  does not see which lines a subprocess runs);
- each test's seconds (quickest first: a killed mutant is known sooner).

The record goes to DATA_FILE.tests.json beside coverage's data file.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coverage
import pytest

_SECONDS: dict[str, float] = {}
_FIXTURE_SECONDS: dict[str, float] = {}  # wide fixture -> seconds its setup took
_SET_UP: dict[str, set[str]] = {}  # test -> wide fixtures set up while it ran
_USES: dict[str, list[str]] = {}  # test -> every fixture it uses
_SPAWNING_TESTS: set[str] = set()
_SPAWNING_FIXTURES: set[str] = set()
_now: list[str] = []  # the running test
_fixtures: list[str] = []  # the wide fixtures being set up, innermost last

_popen_init = subprocess.Popen.__init__


def _runs_python(args: Any) -> bool:
    """Whether a subprocess runs Python (our code, unseen by coverage), also behind a
    wrapper such as `unshare -rn python …`; Java (veraPDF), git or a browser run none."""
    words = args.split() if isinstance(args, str) else [str(a) for a in args or ()]
    return any(Path(word).name.startswith("python") or word == sys.executable for word in words[:4])


def _noting_popen(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
    if _runs_python(args):
        if _fixtures:
            _SPAWNING_FIXTURES.add(_fixtures[-1])
        elif _now:
            _SPAWNING_TESTS.add(_now[-1])
    _popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _noting_popen  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """Import every measured module before any test runs, so their import-time lines
    (defaults, constants, class bodies) are nobody's: a module first imported inside a
    test would otherwise credit them to that test alone."""
    measuring = coverage.Coverage.current()
    for folder in measuring.config.source or () if measuring is not None else ():
        package = Path(folder)
        if not (package / "__init__.py").is_file():
            continue
        importlib.import_module(package.name)
        for found in pkgutil.walk_packages([str(package)], prefix=f"{package.name}."):
            if not found.name.endswith("__main__"):
                try:
                    importlib.import_module(found.name)
                except ImportError:  # an optional extra that is not installed
                    continue


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Iterator[None]:
    wide = fixturedef.scope != "function"
    if wide:
        _fixtures.append(fixturedef.argname)
        if _now:
            _SET_UP.setdefault(_now[-1], set()).add(fixturedef.argname)
    started = time.monotonic()
    try:
        yield
    finally:
        if wide:
            _fixtures.pop()
            _FIXTURE_SECONDS[fixturedef.argname] = time.monotonic() - started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.switch_context(item.nodeid)
    _now.append(item.nodeid)
    _USES[item.nodeid] = list(getattr(item, "fixturenames", ()))
    started = time.monotonic()
    yield
    _SECONDS[item.nodeid] = time.monotonic() - started
    _now.pop()
    if measuring is not None:
        measuring.switch_context("")


def pytest_sessionfinish(session: pytest.Session) -> None:
    measuring = coverage.Coverage.current()
    if measuring is None or not measuring.config.data_file:
        return
    spawning = {
        test
        for test, uses in _USES.items()
        if test in _SPAWNING_TESTS or _SPAWNING_FIXTURES.intersection(uses)
    }
    # what a test costs when it runs alone: its own time and the setup of the wide
    # fixtures it uses (a release, a build), wherever those were first set up
    cost = {
        test: seconds
        - sum(_FIXTURE_SECONDS.get(f, 0.0) for f in _SET_UP.get(test, ()))
        + sum(_FIXTURE_SECONDS.get(f, 0.0) for f in set(_USES.get(test, ())))
        for test, seconds in _SECONDS.items()
    }
    record = {
        "seconds": cost,
        "set_up": {test: sorted(names) for test, names in _SET_UP.items()},
        "uses": _USES,
        "spawning": sorted(spawning),
    }
    Path(f"{measuring.config.data_file}.tests.json").write_text(json.dumps(record), "utf-8")
