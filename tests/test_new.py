"""`reportpipe new`: a new user's first report, end to end through the CLI as a user runs
it (new, build, check --offline, release --offline), in English; the Swedish starter
loads too; a folder with anything in it is never written into."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import CliResult, run_cli, run_cli_process
from reportpipe.commands.new import new_project, slug_for, starter_languages
from reportpipe.content import load_report
from reportpipe.project import open_project
from reportpipe.schema import schemas

TITLE = "Skills Forum Leeds, 3 March 2019"
SLUG = "skills-forum-leeds-3-march-2019"


@dataclass(frozen=True)
class Started:
    root: Path
    steps: dict[str, CliResult]


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Started:
    """`new r --lang en`, then build, check and release it, from an empty folder."""
    cwd = tmp_path_factory.mktemp("newuser")
    steps = {"new": run_cli_process("new", "r", "--lang", "en", "--title", TITLE, cwd=cwd)}
    for step in (["build"], ["check", "--offline"]):  # in this process: a second apiece
        steps[step[0]] = run_cli(*step, "--project", str(cwd / "r"))
    steps["release"] = run_cli_process("release", "--offline", "--project", "r", cwd=cwd)
    return Started(cwd / "r", steps)


def test_new_build_check_release_all_exit_0(started: Started) -> None:
    for name, result in started.steps.items():
        assert result.code == 0, f"{name}: {result.out}{result.err}"
    assert f"build/{SLUG}-0.1.0.pdf" in started.steps["build"].out
    assert "links: 0 error(s), 0 warning(s)" in started.steps["check"].out
    assert "credits: 0 error(s), 0 warning(s)" in started.steps["check"].out
    assert "preflight: 0 error(s), 0 warning(s)" in started.steps["check"].out
    data = started.root / "archive" / "0.1.0" / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "constraints.txt",  # the versions it was built with (the project has no lock file)
        f"{SLUG}-0.1.0-archive.pdf",
        f"{SLUG}-0.1.0-print.pdf",
        f"{SLUG}-0.1.0-source.tar.gz",
        f"{SLUG}-0.1.0.pdf",
        "web",  # the web edition, data/web/index.html and its files
    ]


def test_what_new_writes(started: Started) -> None:
    root = started.root
    assert not (root / "styles").exists()  # the look comes from the packaged theme
    assert (root / ".gitignore").read_text() == "/build/\n"
    assert f"# {TITLE}" in (root / "README.md").read_text("utf-8")
    report = yaml.safe_load((root / "source" / "report.yaml").read_text("utf-8"))
    assert report["title"] == TITLE and report["slug"] == SLUG and report["lang"] == "en"
    distribution = yaml.safe_load((root / "source" / "distribution.yaml").read_text("utf-8"))
    assert distribution["sample"] is True
    assert all(r["email"].endswith(".example") for r in distribution["recipients"])


def test_every_yaml_file_names_its_schema(started: Started) -> None:
    names = sorted(p.stem for p in (started.root / "source").glob("*.yaml"))
    assert names == ["checks", "distribution", "pictures", "report", "scenarios"]
    for name in names:
        first = (started.root / "source" / f"{name}.yaml").read_text("utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../schema/{name}.schema.json"
        schema = started.root / "schema" / f"{name}.schema.json"
        assert schema.read_text("utf-8") == schemas()[schema.name]


def test_new_refuses_a_folder_with_anything_in_it(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", "utf-8")
    result = run_cli("new", str(target), "--lang", "en")
    assert result.code == 2
    assert f"{target}: error: is not an empty folder" in result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert (target / "notes.txt").read_text("utf-8") == "keep me"


def test_new_refuses_an_unknown_language(tmp_path: Path) -> None:
    result = run_cli("new", str(tmp_path / "x"), "--lang", "fi")
    assert result.code == 2 and "--lang fi: no starter in it (en, sv)" in result.err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("lang", starter_languages())
def test_every_starter_loads_cleanly_in_its_language(tmp_path: Path, lang: str) -> None:
    root = new_project(tmp_path / lang, lang=lang, title=None, today=dt.date(2027, 1, 2)).root
    loaded = load_report(open_project(root))
    assert loaded.warnings == ()
    report = loaded.report
    assert report.meta.lang == lang and len(report.scenarios) == 4
    assert report.edition.date == dt.date(2027, 1, 2)
    assert {s.place for s in report.scenarios} == {
        "top-left",
        "top-right",
        "bottom-left",
        "bottom-right",
    }
    assert report.words("contents") == {"sv": "Innehåll", "en": "Contents"}[lang]


def test_slugs_are_file_name_safe() -> None:
    assert slug_for("Skills Forum Leeds, 3 March 2019") == SLUG
    assert slug_for("Workshop i Umeå – 12 nov") == "workshop-i-umea-12-nov"
    assert slug_for("!!!") == "report"
