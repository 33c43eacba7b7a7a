"""The incremental-build state, without building: the input digest covers every input
and option, and a recorded build counts only while its outputs are intact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import copy_project
from reportpipe import state
from reportpipe.project import Project, open_project
from reportpipe.state import STATE, build_settings, input_digest, record, up_to_date

SETTINGS = build_settings(["screen"], strict=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return open_project(copy_project(tmp_path / "p"))


def test_build_settings_are_sorted_editions_and_strictness() -> None:
    assert build_settings(None, strict=False) == ["print", "screen", "strict=False"]
    assert build_settings([], strict=True) == ["print", "screen", "strict=True"]
    assert build_settings(["screen", "archive"], strict=False) == [
        "archive",
        "screen",
        "strict=False",
    ]
    with pytest.raises(TypeError):
        build_settings(None, True)  # type: ignore[misc]  # strictness is named, always


def test_the_digest_is_stable_and_covers_options_versions_and_the_lock(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = input_digest(project, SETTINGS)
    assert len(digest) == 64 and digest == input_digest(project, SETTINGS)
    assert input_digest(project, build_settings(["screen"], strict=True)) != digest
    (project.root / "constraints.txt").write_text("weasyprint==70.0\n", "utf-8")
    locked = input_digest(project, SETTINGS)
    assert locked != digest
    (project.root / "constraints.txt").write_text("weasyprint==70.1\n", "utf-8")
    assert input_digest(project, SETTINGS) not in (digest, locked)
    monkeypatch.setattr(state, "LIBRARIES", (*state.LIBRARIES, "no-such-library-here"))
    assert "no-such-library-here none" in state._versions()
    assert input_digest(project, SETTINGS) not in (digest, locked)


def test_the_digest_tells_which_file_holds_which_bytes(project: Project) -> None:
    a, b = project.source / "intro.md", project.source / "questions.md"
    digest = input_digest(project, SETTINGS)
    first, second = a.read_bytes(), b.read_bytes()
    a.write_bytes(second)
    b.write_bytes(first)  # the same bytes in all, under swapped names
    assert input_digest(project, SETTINGS) != digest


def test_the_checks_file_is_an_input(project: Project) -> None:
    checks = project.source / "checks.yaml"
    digest = input_digest(project, SETTINGS)
    checks.write_text(checks.read_text("utf-8") + "\n# resolved\n", "utf-8")
    assert input_digest(project, SETTINGS) != digest


def test_record_then_up_to_date_lists_the_intact_outputs(project: Project) -> None:
    outputs = {project.build / "b.pdf": b"%PDF b", project.build / "sub" / "a.pdf": b"%PDF a"}
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    record(project, "d1", outputs)
    stored = json.loads((project.build / STATE).read_text("utf-8"))
    assert stored == {
        "inputs": "d1",
        "outputs": {
            "b.pdf": hashlib.sha256(b"%PDF b").hexdigest(),
            "sub/a.pdf": hashlib.sha256(b"%PDF a").hexdigest(),
        },
    }
    assert up_to_date(project, "d1") == sorted(outputs)
    assert up_to_date(project, "d2") is None
    recorded = hashlib.sha256(b"%PDF b").hexdigest()
    # a changed output is noticed whichever way its digest compares with the recorded one
    changed = [f"%PDF changed {n}".encode() for n in range(64)]
    lower = next(d for d in changed if hashlib.sha256(d).hexdigest() < recorded)
    higher = next(d for d in changed if hashlib.sha256(d).hexdigest() > recorded)
    for data in (lower, higher):
        (project.build / "b.pdf").write_bytes(data)
        assert up_to_date(project, "d1") is None
    (project.build / "b.pdf").unlink()
    assert up_to_date(project, "d1") is None


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"inputs": "d1"}',
        '{"inputs": "d1", "outputs": ["a.pdf"]}',
        '{"inputs": "d1", "outputs": {"a.pdf": 5}}',
    ],
)
def test_a_damaged_state_file_means_rebuild(project: Project, text: str) -> None:
    (project.build).mkdir(parents=True, exist_ok=True)
    (project.build / "a.pdf").write_bytes(b"%PDF a")
    (project.build / STATE).write_text(text, "utf-8")
    assert up_to_date(project, "d1") is None


def test_no_state_file_means_rebuild(project: Project) -> None:
    assert up_to_date(project, input_digest(project, SETTINGS)) is None
