"""The bad-input corpus (tests/fixtures/bad/): every case gets a precise message naming
its file (and line), exit code 2, no traceback and no PDF."""

from __future__ import annotations

import os
import shutil
import time
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
    for name, (old, unit, times) in spec.get("generate", {}).items():
        path = root / name
        original = path.read_text("utf-8")
        assert old in original, f"{case.name}: {old!r} not in {name}"
        path.write_text(original.replace(old, unit * times, 1) if old else original + unit * times)
    for name, target in spec.get("move", {}).items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        (root / name).rename(root / target)
    for name in spec.get("fifo", []):
        (root / name).unlink(missing_ok=True)
        os.mkfifo(root / name)
    for name, target in spec.get("symlink", {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)  # styles/ holds overrides only
        (root / name).unlink(missing_ok=True)
        (root / name).symlink_to(target)
    for folder in spec.get("undecodable", []):
        (root / folder).joinpath(os.fsdecode(b"\xff\xfe.txt")).write_bytes(b"x")
    return spec


#: What a previous successful build left; a failed build must leave it byte for byte.
PREVIOUS = {
    "build/jobbregionen-umea-2015-1.0.0.pdf": b"%PDF-1.7 previous screen edition",
    "build/jobbregionen-umea-2015-1.0.0-print.pdf": b"%PDF-1.7 previous print edition",
    "build/html/jobbregionen-umea-2015-1.0.0.html": b"<p>previous</p>",
}


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_reported_with_file_and_exit_2(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    root = make_project(dict(PREVIOUS))
    spec = _apply(root, CORPUS / name)
    for variable, value in spec.get("env", {}).items():
        monkeypatch.setenv(variable, str(value))
    started = time.monotonic()
    code = main(["build", "--project", str(root)])
    seconds = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert spec["expect"] in err, err
    assert spec.get("contains", "") in err, err
    assert "Traceback" not in err + out
    assert sorted(p.name for p in (root / "build").glob("*.pdf")) == sorted(
        Path(p).name for p in PREVIOUS if p.endswith(".pdf")
    )
    for path, data in PREVIOUS.items():
        assert (root / path).read_bytes() == data, f"{path} changed"
    # hostile input is cut short by the bounds (a hang would run to the 600 s --timeout);
    # cases that reach WeasyPrint take a few seconds on a busy machine
    assert seconds < 30, f"{name} took {seconds:.1f} s"
