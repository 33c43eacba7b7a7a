"""Shared fixtures: the shipped report built once per run, and small projects on tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "src" / "reportpipe" / "themes" / "default"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SLUG = "jobbregionen-umea-2015"
VERSION = "1.0.0"


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
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


def copy_project(target: Path) -> Path:
    """A copy of the shipped project (content and its few style overrides), without
    build outputs."""
    for part in ("source", "styles"):
        shutil.copytree(REPO / part, target / part)
    return target


def override(root: Path, name: str) -> Path:
    """Copy the packaged theme's file `name` into the project's styles/ (as an author
    does to change it) and return the copy's path."""
    path = root / "styles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(THEME / name, path)
    return path


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
    result = run_cli("build", "--project", str(root))
    assert result.code == 0, result.out + result.err
    return Built(
        root=root,
        screen=root / "build" / f"{SLUG}-{VERSION}.pdf",
        print=root / "build" / f"{SLUG}-{VERSION}-print.pdf",
        result=result,
    )
