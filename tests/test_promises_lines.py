"""An error on a list item (a chapter, an edition, a scenario, a group) names the exact
line of that item: the whole message is compared, not a fragment of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeProject
from reportpipe.content import load_report
from reportpipe.findings import InputError
from reportpipe.project import open_project


def _errors(root: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_report(open_project(root))
    return [str(f) for f in caught.value.findings]


def _edit(root: Path, name: str, old: str, new: str, count: int = 1) -> list[str]:
    path = root / name
    text = path.read_text("utf-8")
    assert old in text
    text = text.replace(old, new, count)
    path.write_text(text, "utf-8")
    return text.splitlines()


def _line(lines: list[str], needle: str, start: int = 0) -> int:
    return next(n for n, line in enumerate(lines, 1) if n > start and line == needle)


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("intro.md", "file not found"),
        ("questions.md", "file not found"),
    ],
)
def test_a_missing_chapter_names_its_own_line(
    make_project: MakeProject, item: str, problem: str
) -> None:
    root = make_project({})
    lines = _edit(root, "source/report.yaml", f"  - {item}\n", "  - nope.md\n")
    line = _line(lines, "  - nope.md")
    assert _errors(root) == [
        f"source/report.yaml:{line}: error: chapter 'nope.md' is not a file in source/ ({problem})"
    ]


def test_a_chapter_outside_the_project_names_its_line(make_project: MakeProject) -> None:
    root = make_project({})
    lines = _edit(root, "source/report.yaml", "  - questions.md\n", "  - ../../etc/passwd\n")
    line = _line(lines, "  - ../../etc/passwd")
    assert _errors(root) == [
        f"source/report.yaml:{line}: error: chapter '../../etc/passwd' is not a file in "
        "source/ (points outside the project's folders; copy the file in)"
    ]


@pytest.mark.parametrize("version", ["2.0.0", "1.0.0"])
def test_an_edition_out_of_order_names_its_line(make_project: MakeProject, version: str) -> None:
    root = make_project({})
    path = root / "source" / "report.yaml"
    text = path.read_text("utf-8")
    assert text.endswith("\n") and "\neditions:" in text
    path.write_text(
        text + f"  - version: {version}\n    date: 2026-01-01\n    changes: Another.\n", "utf-8"
    )
    lines = path.read_text("utf-8").splitlines()
    line = len(lines) - 2  # the edition just added, the last item
    assert lines[line - 1] == f"  - version: {version}"
    assert _errors(root) == [
        f"source/report.yaml:{line}: error: editions: list them newest first, each with a "
        "higher version than the next"
    ]


def test_a_bad_value_in_a_later_edition_names_its_line(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "report.yaml"
    path.write_text(
        path.read_text("utf-8") + "  - version: 0.9.0\n    date: 2026-13-01\n    changes: x\n",
        "utf-8",
    )
    line = _line(path.read_text("utf-8").splitlines(), "    date: 2026-13-01")
    assert _errors(root) == [
        f"source/report.yaml:{line}: error: YAML value: '2026-13-01': not a valid value "
        "(month must be in 1..12)"
    ]


def test_a_duplicate_scenario_number_names_both_lines(make_project: MakeProject) -> None:
    root = make_project({})
    lines = _edit(root, "source/scenarios.yaml", "  - number: 2\n", "  - number: 1\n")
    first = _line(lines, "  - number: 1")
    second = _line(lines, "  - number: 1", first)
    assert _errors(root) == [
        f"source/scenarios.yaml:{first}: error: scenario number 1 is used twice",
        f"source/scenarios.yaml:{second}: error: scenario number 1 is used twice",
    ]


def test_a_duplicate_group_id_names_both_lines(make_project: MakeProject) -> None:
    root = make_project({})
    lines = _edit(root, "source/scenarios.yaml", 'id: "1:2"', 'id: "1:1"')
    first = next(n for n, line in enumerate(lines, 1) if line.endswith('id: "1:1"'))
    second = next(n for n, line in enumerate(lines, 1) if n > first and line.endswith('id: "1:1"'))
    message = "error: group id '1:1' is used twice (or differs from another only in punctuation)"
    assert _errors(root) == [
        f"source/scenarios.yaml:{first}: {message}",
        f"source/scenarios.yaml:{second}: {message}",
    ]
