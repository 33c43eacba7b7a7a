"""Shared fixtures and helpers for every test module (other modules may add their own).

Running the command line:
- `run_cli(*args, cwd=None)` runs `reportpipe ARGS` **in this process** (`cli.main`, with
  stdout and stderr captured, the SIGALRM timeout disarmed afterwards): the same code path
  as the command without a new interpreter and fresh imports (about a second each).
- `run_cli_process(*args, cwd=None)` runs `python -m reportpipe ARGS` in a subprocess, as a
  user does. Kept for the true end-to-end tests: the session's shipped build, help and
  usage errors, two builds in different folders giving the same bytes, releases and
  rebuilds, kill -9.

Projects:
- `built` (session): the shipped report built **once per test process** (`nox -s tests`
  runs one pytest-xdist worker per core, each with its own session fixtures, and gives a
  worker whole modules) through the real CLI in a subprocess, in a fresh copy of the
  project. `built.root`, `built.screen` (PDF/UA-1),
  `built.print` (PDF/X-4), `built.result` (the CLI's exit code and output). Read it, never
  change it: use `built_copy` for that.
- `built_copy` (function): a private copy of that built project (source/, styles/, build/
  with both PDFs and the incremental-build state), for tests that need previous outputs
  without paying for a build.
- `released` (session): the shipped project (with constraints.txt) released once as
  VERSION through the CLI in this process, veraPDF included; the project root. Read it,
  never change it: copy it (`shutil.copytree`) to change or release again. Skips when
  veraPDF cannot run here.
- `make_project` (function): a copy of the shipped project in tmp_path with some files
  overwritten or added (path -> text or bytes), not built.
- `copy_project(target)`: the same copy, for fixtures with a wider scope.

Network:
- `free_port(host="127.0.0.1")`: a TCP port nothing listens on, for a test server to
  start on or for a connection that must be refused.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reportpipe.cli import main

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "src" / "reportpipe" / "themes" / "default"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SLUG = "jobbregionen-umea-2015"
VERSION = "1.0.0"

#: veraPDF runs here on reports of a dozen pages, where the JVM's quick compiler alone
#: validates in about 70 % of the time of the default (which pays off only from a few
#: megabytes of PDF on). The verdicts are the same; a user's environment is left alone.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    """Run `reportpipe ARGS` in this process (see the module docstring)."""
    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGALRM)
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:  # the command arms a timeout; it must not outlive the command here
            signal.alarm(0)
            signal.signal(signal.SIGALRM, handler)
    return CliResult(code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str, cwd: Path | None = None) -> CliResult:
    """Run `python -m reportpipe` as a user would, in a subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "reportpipe", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def copy_project(target: Path, *, archive: bool = False) -> Path:
    """A copy of the shipped project (content and its few style overrides), without
    build outputs; with `archive`, also the committed archive/ (1.0.0)."""
    for part in ("source", "styles", *(["archive"] if archive else [])):
        shutil.copytree(REPO / part, target / part)
    return target


def override(root: Path, name: str) -> Path:
    """Copy the packaged theme's file `name` into the project's styles/ (as an author
    does to change it) and return the copy's path."""
    path = root / "styles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(THEME / name, path)
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that was free a moment ago (the probe is closed again)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


MakeProject = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Copy the shipped project into tmp_path and overwrite or add the files given
    (path relative to the project -> text or bytes); a value of "" deletes nothing,
    it writes an empty file."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = copy_project(tmp_path / "project")
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@dataclass(frozen=True)
class Built:
    root: Path
    screen: Path
    print: Path
    result: CliResult


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shipped report, built once through the CLI in a fresh copy of the project."""
    root = copy_project(tmp_path_factory.mktemp("shipped"))
    result = run_cli_process("build", "--project", str(root))
    assert result.code == 0, result.out + result.err
    return Built(
        root=root,
        screen=root / "build" / f"{SLUG}-{VERSION}.pdf",
        print=root / "build" / f"{SLUG}-{VERSION}-print.pdf",
        result=result,
    )


@pytest.fixture
def built_copy(built: Built, tmp_path: Path) -> Built:
    """A private copy of the built shipped project, outputs included."""
    root = tmp_path / "built"
    shutil.copytree(built.root, root, symlinks=True)
    return Built(
        root=root,
        screen=root / built.screen.relative_to(built.root),
        print=root / built.print.relative_to(built.root),
        result=built.result,
    )


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project released once (archive/VERSION), for every module that needs
    an archived edition: a release validates with veraPDF, the slowest step of a test run."""
    from reportpipe.validate import ValidatorUnavailableError, toolchain

    try:
        toolchain()  # release validates with veraPDF and refuses when it cannot
    except ValidatorUnavailableError as exc:
        pytest.skip(f"veraPDF cannot run here, so release refuses: {exc}")
    root = copy_project(tmp_path_factory.mktemp("release"))
    shutil.copy(REPO / "constraints.txt", root / "constraints.txt")
    result = run_cli("release", "--offline", "--project", str(root))  # test_new: a process
    assert result.code == 0, result.out + result.err
    return root


def pytest_collection_finish(session: pytest.Session) -> None:
    """The libraries the test modules imported (WeasyPrint, PyMuPDF, Hypothesis, pydantic…)
    live as long as the run: left out of the garbage collector's full collections, which
    would walk them again and again (builds do the same while they render, see
    editions._long_lived_frozen)."""
    gc.collect()
    gc.freeze()
