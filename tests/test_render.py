"""The templates into HTML: a process that renders again (the preview) reuses the
compiled template until its file changes, and then never shows the old one."""

from __future__ import annotations

import os
from typing import Any

import jinja2
import pytest

from conftest import MakeProject, override
from reportpipe import render
from reportpipe.content import load_report
from reportpipe.editions import render_document
from reportpipe.project import Project, open_project


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles, in order."""
    names: list[str] = []
    compile_templates = jinja2.Environment.compile

    def counting(
        env: jinja2.Environment, source: str, name: str | None = None, *a: Any, **k: Any
    ) -> Any:
        names.append(str(name))
        return compile_templates(env, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    render._ENVIRONMENTS.clear()
    return names


def _html(project: Project) -> str:
    return render_document(project, load_report(project).report)[0]


def test_a_second_render_reuses_the_compiled_template(
    make_project: MakeProject, compiled: list[str]
) -> None:
    project = open_project(make_project({}))
    first = _html(project)
    assert compiled == [render.TEMPLATE]
    assert _html(project) == first
    assert compiled == [render.TEMPLATE]  # not compiled again


def test_an_edited_template_is_compiled_again_even_with_its_old_time_and_size(
    make_project: MakeProject, compiled: list[str]
) -> None:
    root = make_project({})
    template = override(root, f"templates/{render.TEMPLATE}")
    project = open_project(root)
    assert "<html" in _html(project)
    before = template.stat()
    text = template.read_text(encoding="utf-8")
    edited = text.replace("<html", "<html data-x", 1)[: len(text)]  # the same size
    assert edited != text and len(edited.encode()) == len(text.encode())
    template.write_text(edited, encoding="utf-8")
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    assert template.stat().st_mtime_ns == before.st_mtime_ns
    assert "<html data-x" in _html(project)
    assert compiled == [render.TEMPLATE, render.TEMPLATE]


def test_a_template_that_disappears_is_not_taken_from_the_cache(make_project: MakeProject) -> None:
    root = make_project({})
    template = override(root, f"templates/{render.TEMPLATE}")
    project = open_project(root)
    loader = render._ProjectLoader(project)
    uptodate = loader.get_source(render._environment(project), render.TEMPLATE)[2]
    assert uptodate() is True
    template.unlink()
    template.symlink_to(root / "nowhere.j2")  # dangling: unreadable now
    assert uptodate() is False
