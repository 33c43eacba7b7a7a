"""Incremental builds: nothing to do when nothing changed, and never a stale PDF."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SLUG, VERSION, copy_project, run_cli
from reportpipe.project import open_project
from reportpipe.state import build_settings, input_digest, up_to_date

UP_TO_DATE = "nothing changed since the last build"
SETTINGS = build_settings(["screen"], strict=False)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("incremental"))
    (root / "constraints.txt").write_text("weasyprint==70.0\n", encoding="utf-8")
    first = run_cli("build", "--edition", "screen", "--project", str(root))
    assert first.code == 0 and UP_TO_DATE not in first.out
    return root


@pytest.fixture
def project(built_once: Path) -> Iterator[Path]:
    """The built project; whatever a test changes is put back afterwards."""
    saved = built_once.parent / "saved"
    shutil.copytree(built_once, saved)
    yield built_once
    shutil.rmtree(built_once)
    saved.rename(built_once)


def _current(root: Path) -> bool:
    project = open_project(root)
    return up_to_date(project, input_digest(project, SETTINGS)) is not None


def test_a_second_build_does_nothing_and_says_so(project: Path) -> None:
    result = run_cli("build", "--edition", "screen", "--project", str(project))
    assert result.code == 0
    assert UP_TO_DATE in result.out
    assert f"build/{SLUG}-{VERSION}.pdf" in result.out
    assert "rendering" not in result.out


@pytest.mark.parametrize(
    ("changed", "data"),
    [
        ("source/intro.md", b"\nEn ny mening.\n"),
        ("source/scenarios.yaml", b"\n# en kommentar\n"),
        ("source/images/loket.svg", b"\n"),
        ("source/new-file.md", b"# Ny\n"),
        ("styles/report.css", b"\n/* x */\n"),
        ("styles/templates/report.html.j2", b"\n"),
        ("styles/fonts/SourceSans3-Regular.otf", b"\0"),
        ("constraints.txt", b"pydyf==0.13.0\n"),
        ("source/checks.yaml", b"\n# the resolutions of pictures are build warnings\n"),
    ],
)
def test_every_kind_of_input_change_makes_it_stale(
    project: Path, changed: str, data: bytes
) -> None:
    assert _current(project)
    path = project / changed  # a file of the packaged theme: the project overrides it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((path.read_bytes() if path.exists() else b"") + data)
    assert not _current(project)


def test_other_settings_make_it_stale(project: Path) -> None:
    current = open_project(project)
    recorded = input_digest(current, SETTINGS)
    assert input_digest(current, build_settings(None, strict=False)) != recorded
    assert input_digest(current, build_settings(["screen"], strict=True)) != recorded


def test_a_changed_or_missing_output_rebuilds(project: Path) -> None:
    pdf = project / "build" / f"{SLUG}-{VERSION}.pdf"
    pdf.write_bytes(b"%PDF- edited by hand")
    assert not _current(project)
    pdf.unlink()
    assert not _current(project)
    result = run_cli("build", "--edition", "screen", "--project", str(project))
    assert UP_TO_DATE not in result.out
    assert pdf.read_bytes().startswith(b"%PDF-1.7")


def test_force_rebuilds(project: Path) -> None:
    pdf = project / "build" / f"{SLUG}-{VERSION}.pdf"
    before = pdf.stat().st_ino  # intact and current: only --force rewrites it
    result = run_cli("build", "--edition", "screen", "--force", "--project", str(project))
    assert result.code == 0, result.err
    assert UP_TO_DATE not in result.out and "rendering" in result.out
    assert pdf.stat().st_ino != before and pdf.read_bytes().startswith(b"%PDF-1.7")


def test_fonts_subset_afresh_give_the_same_bytes_and_no_cache(project: Path) -> None:
    # HarfBuzz subsets the four fonts in milliseconds: there is no font cache to go stale.
    pdf = project / "build" / f"{SLUG}-{VERSION}.pdf"
    first = pdf.read_bytes()
    assert run_cli("build", "--edition", "screen", "--force", "--project", str(project)).code == 0
    assert pdf.read_bytes() == first
    assert not (project / "build" / "cache" / "fonts").exists()
