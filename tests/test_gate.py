"""The one file gate: what any stage may open, and what a refused read leaves behind."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import MakeProject, run_cli
from reportpipe import gate
from reportpipe.findings import InputError
from reportpipe.project import open_project


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    source, theme = tmp_path / "project" / "source", tmp_path / "theme"
    source.mkdir(parents=True)
    theme.mkdir()
    return source, theme


def test_regular_files_inside_any_root_are_read(roots: tuple[Path, Path]) -> None:
    source, theme = roots
    (source / "a.md").write_text("a", encoding="utf-8")
    (theme / "t.css").write_text("t", encoding="utf-8")
    (source / "link.md").symlink_to(source / "a.md")  # a link that stays inside
    assert gate.read(source / "a.md", roots) == b"a"
    assert gate.read(theme / "t.css", roots) == b"t"  # a second, read-only root
    assert gate.read(source / "link.md", roots) == b"a"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda s, o: os.mkfifo(s / "x"), "is not a regular file (a named pipe"),
        (lambda s, o: (s / "x").symlink_to("/dev/zero"), "is a symlink that points outside"),
        (lambda s, o: (s / "x").symlink_to(o), "is a symlink that points outside"),
        (lambda s, o: (s / "x").mkdir(), "is a folder, not a file"),
        (lambda s, o: (s / "x").write_bytes(b"y" * 101), "the file is 101 bytes; the limit is 100"),
        (lambda s, o: None, "file not found"),
    ],
)
def test_what_the_gate_refuses_at_once(
    roots: tuple[Path, Path], make: Callable[[Path, Path], object], reason: str
) -> None:
    source, _ = roots
    outside = source.parent.parent / "outside.txt"
    outside.write_text("secret", encoding="utf-8")
    make(source, outside)
    started = time.monotonic()
    with pytest.raises(gate.Refusal, match=re.escape(reason)):
        gate.read(source / "x", roots, limit=100)
    assert time.monotonic() - started < 1  # a pipe never blocks the read


def test_paths_that_leave_the_roots_as_written_are_refused(roots: tuple[Path, Path]) -> None:
    source, _ = roots
    (source.parent / "elsewhere.md").write_text("x", encoding="utf-8")
    for path in (source / ".." / "elsewhere.md", source.parent / "elsewhere.md"):
        with pytest.raises(gate.Refusal, match="outside the project's folders"):
            gate.read(path, roots)


def test_read_for_names_the_referring_file_and_line(roots: tuple[Path, Path]) -> None:
    source, _ = roots
    os.mkfifo(source / "pipe.md")
    with pytest.raises(InputError) as raised:
        gate.read_for(
            source / "pipe.md", roots, shown="source/pipe.md", referrer="source/r.yaml", line=3
        )
    assert str(raised.value) == (
        "source/r.yaml:3: error: source/pipe.md: is not a regular file (a named pipe, "
        "socket or device); refused"
    )


def test_an_outside_chapter_is_never_read(make_project: MakeProject, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# HEMLIGT-INNEHÅLL\n", encoding="utf-8")
    root = make_project({})
    report = root / "source" / "report.yaml"
    report.write_text(
        report.read_text("utf-8").replace("  - intro.md", f"  - {secret}"), encoding="utf-8"
    )
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert f"source/report.yaml:8: error: chapter '{secret}' is not a file in source/" in (
        result.err
    )
    findings = (root / "build" / "reports" / "build.json").read_text("utf-8")
    assert "HEMLIGT" not in result.out + result.err + findings
    assert json.loads(findings)["findings"][0]["line"] == 8


def test_weasyprints_fetcher_reads_through_the_gate(make_project: MakeProject) -> None:
    """What a stylesheet asks for (a font, a picture) is served by the project's fetcher,
    which refuses a pipe at once instead of blocking the build."""
    from reportpipe.pdf import ProjectFetcher, RefusedResourceError

    root = make_project({})
    (root / "styles" / "fonts").mkdir(parents=True, exist_ok=True)  # beside the theme's fonts
    os.mkfifo(root / "styles" / "fonts" / "Evil.otf")
    fetcher = ProjectFetcher(open_project(root))
    served = fetcher.fetch((root / "styles" / "fonts" / "SourceSans3-Regular.otf").as_uri())
    assert served.read(4) == b"OTTO"
    started = time.monotonic()
    with pytest.raises(RefusedResourceError) as refused:
        fetcher.fetch((root / "styles" / "fonts" / "Evil.otf").as_uri())
    assert time.monotonic() - started < 1
    assert str(refused.value) == (
        "refused to load styles/fonts/Evil.otf: is not a regular file (a named pipe, "
        "socket or device); refused"
    )
