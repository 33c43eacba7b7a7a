"""Cases found in review, kept from coming back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, MakeProject, copy_project, override, run_cli
from reportpipe.content import load_report
from reportpipe.findings import InputError
from reportpipe.project import open_project


def test_a_stylesheet_symlinked_out_of_the_project_is_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text("@page { size: A5 }\n", encoding="utf-8")
    root = make_project({})
    sheet = root / "styles" / "screen.css"
    sheet.symlink_to(outside)
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "styles/screen.css: error: points outside the project" in result.err


def test_pictures_outside_source_and_styles_are_refused(make_project: MakeProject) -> None:
    root = make_project({})
    (root / "assets").mkdir()
    shutil.copy(root / "source" / "images" / "loket.svg", root / "assets" / "loket.svg")
    path = root / "source" / "scenarios.yaml"
    path.write_text(
        path.read_text("utf-8").replace("images/loket.svg", "../assets/loket.svg"), "utf-8"
    )
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "picture '../assets/loket.svg' has no entry in source/pictures.yaml" in result.err


def test_damaged_bags_are_reported_not_crashed_on(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "archive", root / "archive")
    bag = root / "archive" / "1.0.0"
    (bag / "bag-info.txt").write_bytes(b"Payload-Oxum: not-a-number\n\xff\xfe\n")
    (bag / "manifest-sha256.txt").unlink()
    result = run_cli("verify", "--project", str(root))
    assert result.code == 1
    assert "archive/1.0.0" in result.err and "error:" in result.err
    assert "Traceback" not in result.err


def test_a_mistake_in_the_letter_names_the_template(tmp_path: Path) -> None:
    root = tmp_path / "p"
    for part in ("source", "styles", "archive"):
        shutil.copytree(REPO / part, root / part)
    letter = override(root, "templates/letter.sv.txt.j2")
    text = letter.read_text("utf-8").replace("{{ sha256 }}", "{{ sha265 }}")
    letter.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "sha265" in row)
    result = run_cli("distribute", "1.0.0", "--project", str(root))
    assert result.code == 2
    assert f"styles/templates/letter.sv.txt.j2:{line}: error: template unknown name" in result.err


def test_an_edition_missing_from_the_archived_report(tmp_path: Path) -> None:
    root = tmp_path / "p"
    for part in ("source", "styles"):
        shutil.copytree(REPO / part, root / part)
    shutil.copytree(REPO / "archive" / "1.0.0", root / "archive" / "2.0.0")
    result = run_cli("distribute", "2.0.0", "--project", str(root))
    assert result.code == 2
    assert "the archived report.yaml has no edition 2.0.0" in result.err


def test_timeout_must_be_a_sensible_number() -> None:
    for value in ("0", "99999999999", "soon"):
        result = run_cli("build", "--timeout", value)
        assert result.code == 2 and "--timeout" in result.err


def test_a_build_with_nothing_to_do_still_says_its_warnings(make_project: MakeProject) -> None:
    root = make_project({})
    assert run_cli("build", "--edition", "screen", "--project", str(root)).code == 0
    again = run_cli("build", "--edition", "screen", "--project", str(root))
    assert "nothing changed since the last build" in again.out
    assert "source/intro.md:5: warning: link 'Aurora Pellis bildspel' has no target" in again.err


def test_a_control_character_escaped_into_a_text_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    """Found by the property tests: YAML refuses a raw control character, but the
    escape "\\x1F" in double quotes makes one, which pydantic's strip keeps; it would
    reach the PDF and its XMP, where XML does not allow it."""
    root = copy_project(tmp_path / "p")
    path = root / "source" / "scenarios.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("  title:"))
    lines[number - 1] = '  title: "Korset \\x1F"\n'
    path.write_text("".join(lines), "utf-8")
    try:
        load_report(open_project(root))
    except InputError as exc:
        shown = [str(f) for f in exc.findings]
    else:
        shown = []
    assert shown == [
        f"source/scenarios.yaml:{number}: error: cross.title: 'Korset \\x1f' is not in the "
        "expected form: text without control characters; delete the escape (like \\x1F) "
        "that makes one"
    ]
    lines[number - 1] = '  title: "Korset\\tmed tabb"\n'  # a tab is text, not a control
    path.write_text("".join(lines), "utf-8")
    assert load_report(open_project(root)).report.cross.title == "Korset\tmed tabb"


@pytest.mark.timeout(60)
def test_hyphenation_patterns_that_fail_to_load_do_not_stall_the_workers(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edition workers load the patterns as they start; an error there must not
    make the pool fork new workers forever (the build would never end)."""

    def broken(lang: str) -> None:
        raise OSError(f"hyph_{lang}.dic: unreadable")

    monkeypatch.setattr("reportpipe.editions.preload_hyphenation", broken)
    root = make_project({})
    result = run_cli("build", "--project", str(root), "--jobs", "2")
    assert result.code == 0, result.err
    assert "rendering screen (pdf/ua-1), print (pdf/x-4) on 2 cores" in result.out + result.err
