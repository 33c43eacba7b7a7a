"""Loading and validating content: every problem found, each with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, MakeProject
from reportpipe.content import load_report
from reportpipe.findings import InputError
from reportpipe.project import Project, open_project


def _errors(root: object) -> list[str]:
    assert isinstance(root, type(REPO))
    with pytest.raises(InputError) as caught:
        load_report(open_project(root))
    return [str(f) for f in caught.value.findings]


def test_shipped_content_loads_with_one_editorial_warning() -> None:
    loaded = load_report(open_project(REPO))
    report = loaded.report
    assert report.meta.slug == "jobbregionen-umea-2015"
    assert report.edition.version == "1.0.0"
    assert [s.number for s in report.scenarios] == [1, 2, 3, 4, 5, 6]
    assert sum(len(s.groups) for s in report.scenarios) == 8
    assert [str(w) for w in loaded.warnings] == [
        "source/intro.md:5: warning: link 'Aurora Pellis bildspel' has no target; "
        "it is shown as plain text until one is given"
    ]


def test_duplicate_key_is_reported_at_its_line(make_project: MakeProject) -> None:
    root = make_project({"source/pictures.yaml": "pictures: {}\npictures: {}\n"})
    assert _errors(root) == [
        "source/pictures.yaml:2: error: YAML syntax: duplicate key 'pictures' (first given on line 1)"
    ]


def test_tab_indentation_is_a_syntax_error_with_line(make_project: MakeProject) -> None:
    root = make_project({"source/pictures.yaml": "pictures:\n\timages/a.svg: {}\n"})
    (message,) = _errors(root)
    assert message.startswith("source/pictures.yaml:2: error: YAML syntax:")


def test_wrong_types_and_missing_fields(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "scenarios.yaml"
    text = path.read_text("utf-8")
    text = text.replace("  - number: 1\n", "  - number: one\n", 1)
    text = text.replace("    place: bottom-right\n", "    place: middle-ish\n", 1)
    path.write_text(text, encoding="utf-8")
    errors = _errors(root)
    lines = text.splitlines()
    one = lines.index("  - number: one") + 1
    middle = lines.index("    place: middle-ish") + 1
    assert any(
        e.startswith(f"source/scenarios.yaml:{one}: error: scenarios.#1.number:") for e in errors
    )
    assert any(
        e.startswith(f"source/scenarios.yaml:{middle}: error: scenarios.#2.place:") for e in errors
    )


def test_missing_required_field(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "pictures.yaml"
    text = path.read_text("utf-8").replace("    licence: CC0-1.0\n", "", 1)
    path.write_text(text, encoding="utf-8")
    (error,) = _errors(root)
    assert "licence: required but missing" in error
    line = text.splitlines().index("  images/tradgardsmastaren.svg:") + 1
    assert error.startswith(
        f"source/pictures.yaml:{line}: error: pictures.images/tradgardsmastaren.svg"
    )


def test_duplicate_group_ids_and_places(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "scenarios.yaml"
    text = (
        path.read_text("utf-8")
        .replace('id: "1:2"', 'id: "1:1"')
        .replace("place: bottom-right", "place: top-left")
    )
    path.write_text(text, encoding="utf-8")
    errors = _errors(root)
    assert sum("group id '1:1' is used twice" in e for e in errors) == 2
    assert sum("place 'top-left' is taken by more than one scenario" in e for e in errors) == 2


def test_picture_without_credit_entry_and_missing_file(make_project: MakeProject) -> None:
    root = make_project({})
    (root / "source" / "images" / "loket.svg").unlink()
    path = root / "source" / "scenarios.yaml"
    text = path.read_text("utf-8").replace("images/dynamon.svg", "images/dynamo.svg")
    path.write_text(text, encoding="utf-8")
    errors = _errors(root)
    line = text.splitlines().index("        picture: images/dynamo.svg") + 1
    # a misspelled path: the file is missing (not its credit), and the nearest name helps
    assert (
        f"source/scenarios.yaml:{line}: error: group 2:2: picture file 'images/dynamo.svg' "
        "is missing from source/; did you mean 'images/dynamon.svg'?"
    ) in errors
    assert any(
        "source/pictures.yaml:" in e and "'images/loket.svg': is not a file" in e for e in errors
    )


def test_not_utf8_and_empty_files(make_project: MakeProject) -> None:
    root = make_project(
        {"source/report.yaml": "title: Sm\xf6rj\n".encode("latin-1"), "source/pictures.yaml": ""}
    )
    errors = _errors(root)
    assert "source/report.yaml:1: error: not valid UTF-8 text; save the file as UTF-8" in errors
    assert (
        "source/pictures.yaml:1: error: expected a mapping of keys to values at the top of the file"
        in errors
    )


def test_bom_and_windows_line_endings_are_accepted(make_project: MakeProject) -> None:
    original = (REPO / "source" / "report.yaml").read_text("utf-8")
    data = b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8")
    root = make_project({"source/report.yaml": data})
    assert load_report(open_project(root)).report.meta.title == "Jobbregionen"


def test_chapter_outside_the_project_is_refused(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "report.yaml"
    path.write_text(
        path.read_text("utf-8").replace("  - questions.md", "  - ../../etc/passwd"), "utf-8"
    )
    errors = _errors(root)
    assert any("chapter '../../etc/passwd' is not a file in source/" in e for e in errors)


def test_editions_must_be_newest_first(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "report.yaml"
    path.write_text(
        path.read_text("utf-8")
        + "  - version: 2.0.0\n    date: 2027-01-01\n    changes: Later, but listed last.\n",
        "utf-8",
    )
    errors = _errors(root)
    assert any("editions: list them newest first" in e for e in errors)


def test_project_paths_refuse_escapes(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "outside.txt").write_text("x")
    project = Project(tmp_path.resolve() / "p")
    (project.root / "source").mkdir(parents=True)
    (project.root / "source" / "link.svg").symlink_to(tmp_path / "outside.txt")
    assert project.resolve_reference(project.source, "link.svg") is None
    assert project.resolve_reference(project.source, "../../outside.txt") is None
    assert project.resolve_reference(project.source, "/etc/passwd") is None
    assert project.resolve_reference(project.source, "file:///etc/passwd") is None
    assert project.resolve_reference(project.source, "ok.svg") == project.source / "ok.svg"
