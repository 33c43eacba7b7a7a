"""The bad-input corpus (tests/fixtures/bad/): every case gets a precise message naming
its file (and line), exit code 2, no traceback and no PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, MakeProject, override
from reportpipe.cli import main

CORPUS = FIXTURES / "bad"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").is_file())


def _file(root: Path, name: str) -> Path:
    """The project's file `name`; a file of the look is first copied from the packaged
    theme into styles/, as an author overriding it would."""
    path = root / name
    if name.startswith("styles/") and not path.exists():
        override(root, name.removeprefix("styles/"))
    return path


def _apply(root: Path, case: Path) -> dict[str, str]:
    spec = yaml.safe_load((case / "case.yaml").read_text("utf-8"))
    if (case / "files").is_dir():
        shutil.copytree(case / "files", root, dirs_exist_ok=True)
    for name, text in spec.get("prepend", {}).items():
        path = _file(root, name)
        path.write_text(text + path.read_text("utf-8"), encoding="utf-8")
    for name, text in spec.get("append", {}).items():
        path = _file(root, name)
        path.write_text(path.read_text("utf-8") + text, encoding="utf-8")
    for name, (old, new) in spec.get("replace", {}).items():
        path = _file(root, name)
        original = path.read_text("utf-8")
        assert old in original, f"{case.name}: {old!r} not in {name}"
        path.write_text(original.replace(old, new, 1), encoding="utf-8")
    for name in spec.get("delete", []):
        (root / name).unlink()
    for name, size in spec.get("huge", {}).items():
        (root / name).write_text("# " + "x" * size + "\n", encoding="utf-8")
    return spec


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_reported_with_file_and_exit_2(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    root = make_project({})
    spec = _apply(root, CORPUS / name)
    code = main(["build", "--project", str(root)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert spec["expect"] in err, err
    assert spec.get("contains", "") in err, err
    assert "Traceback" not in err + out
    assert not list((root / "build").glob("*.pdf"))
