"""The command line as a user meets it: exit codes, messages, and nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytest

from conftest import SLUG, VERSION, Built, MakeProject, override, run_cli, run_cli_process
from pdfutil import struct_elements
from reportpipe.findings import InputError


def _pdfs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "build").glob("*.pdf"))}


def test_help_for_the_tool_and_for_build() -> None:
    top = run_cli_process("--help")
    assert top.code == 0 and "build" in top.out
    sub = run_cli_process("build", "--help")
    assert sub.code == 0 and "--project" in sub.out and "--strict" in sub.out


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli_process("publish")
    assert result.code == 2
    assert "invalid choice" in result.err


def test_missing_project_folder(tmp_path: Path) -> None:
    result = run_cli("build", "--project", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert "project folder not found" in result.err
    assert "Traceback" not in result.err


def test_folder_without_source_names_what_is_missing(tmp_path: Path) -> None:
    result = run_cli("build", "--project", str(tmp_path))
    assert result.code == 2
    assert "source: error: folder missing" in result.err


def test_failed_build_keeps_the_previous_pdfs(built_copy: Built) -> None:
    root = built_copy.root  # built once, through the CLI, in the session
    before = _pdfs(root)
    assert set(before) == {f"{SLUG}-{VERSION}.pdf", f"{SLUG}-{VERSION}-print.pdf"}

    # A failure found while rendering, after every stage before it succeeded.
    (root / "styles" / "print.css").write_text("@import url(gone.css);\n", encoding="utf-8")
    second = run_cli("build", "--project", str(root))
    assert second.code == 2
    assert "file not found: styles/gone.css" in second.err
    assert "Traceback" not in second.err
    assert _pdfs(root) == before
    assert not list((root / "build").rglob(".*.tmp"))


def test_a_blocked_output_path_changes_no_output(built_copy: Built) -> None:
    root = built_copy.root
    before = _pdfs(root)
    (root / "source" / "intro.md").write_text("# Inledning\n\nNy text.\n", encoding="utf-8")
    screen = root / "build" / f"{SLUG}-{VERSION}.pdf"
    blocked = root / "build" / f"{SLUG}-{VERSION}-print.pdf"
    blocked.unlink()
    blocked.mkdir()
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert f"build/{SLUG}-{VERSION}-print.pdf: error:" in result.err
    assert screen.read_bytes() == before[screen.name]
    assert not list((root / "build").rglob(".*.tmp"))


def test_content_errors_are_all_reported_with_file_and_line(make_project: MakeProject) -> None:
    report = (
        "slug: Not A Slug\nlang: sv\ntitle: T\nsubtitle: S\ntheme: Th\npublisher: P\n"
        "colour: blue\neditions:\n  - version: 1.0\n    date: 2026-11-29\n    changes: x\n"
    )
    root = make_project({"source/report.yaml": report})
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert (
        "source/report.yaml:1: error: slug: 'Not A Slug' is not in the expected form: "
        "lower-case letters, digits and hyphens" in result.err
    )
    assert "source/report.yaml:7: error: colour: unknown key" in result.err
    assert "source/report.yaml:9: error: editions.#1.version:" in result.err
    assert "Traceback" not in result.err
    assert not list((root / "build").glob("*.pdf"))
    reported = json.loads((root / "build" / "reports" / "build.json").read_text("utf-8"))
    assert {
        "path": "source/report.yaml",
        "line": 7,
        "level": "error",
        "message": "colour: unknown key; check its spelling against the README",
    } in reported["findings"]


def test_refused_resource_fails_the_build(make_project: MakeProject) -> None:
    root = make_project(
        {"styles/screen.css": 'body { background: url("file:///etc/hostname"); }\n'}
    )
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "refused to load file:///etc/hostname" in result.err
    assert not list((root / "build").glob("*.pdf"))


def test_template_error_names_the_template_and_line(make_project: MakeProject) -> None:
    root = make_project({})
    template = override(root, "templates/report.html.j2")
    text = template.read_text("utf-8").replace("{{ r.publisher }}</p>", "{{ r.publsher }}</p>", 1)
    template.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "r.publsher" in row)
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert f"styles/templates/report.html.j2:{line}: error: template unknown name" in result.err


def test_strict_turns_the_empty_link_warning_into_a_failure(make_project: MakeProject) -> None:
    root = make_project({})
    result = run_cli("build", "--strict", "--project", str(root))
    assert result.code == 1
    assert "source/intro.md:5: warning: link 'Aurora Pellis bildspel' has no target" in result.err
    assert not list((root / "build").glob("*.pdf"))


def test_a_system_font_fallback_fails_the_build(make_project: MakeProject) -> None:
    root = make_project({"styles/screen.css": "h2 { font-family: 'DejaVu Sans', serif; }\n"})
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "uses the system font" in result.err


def test_weasyprint_complaint_about_missing_alt_fails_the_build(make_project: MakeProject) -> None:
    root = make_project({})
    template = override(root, "templates/report.html.j2")
    text = template.read_text("utf-8").replace(' alt="{{ picture.alt }}"', "", 1)
    template.write_text(text, encoding="utf-8")
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "has no required alt description" in result.err
    assert not list((root / "build").glob("*.pdf"))


def test_markdown_picture_relative_to_its_file_ends_up_tagged_in_the_pdf(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "source/kapitel/extra.md": "# Extra\n\nEtt lok:\n\n![Ett blått ånglok](../images/loket.svg)\n"
        }
    )
    report = root / "source" / "report.yaml"
    report.write_text(
        report.read_text("utf-8").replace(
            "  - questions.md\n", "  - questions.md\n  - kapitel/extra.md\n"
        ),
        encoding="utf-8",
    )
    result = run_cli("build", "--project", str(root))
    assert result.code == 0, result.err
    screen = root / "build" / f"{SLUG}-{VERSION}.pdf"
    alts = [str(e.get("/Alt")) for e in struct_elements(screen) if e["/S"] == "/Figure"]
    assert "Ett blått ånglok" in alts
    assert "Extra" in [o.title for o in pypdf.PdfReader(screen).outline if not isinstance(o, list)]


def test_group_ids_that_differ_only_in_punctuation_are_refused(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "scenarios.yaml"
    path.write_text(path.read_text("utf-8").replace('id: "1:2"', 'id: "1.1"'), encoding="utf-8")
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert result.err.count("is used twice (or differs from another only in punctuation)") == 2


def test_missing_colour_profile_is_named(make_project: MakeProject) -> None:
    root = make_project({})
    sheet = override(root, "print.css")
    sheet.write_text(sheet.read_text("utf-8").replace("FOGRA39L_coated.icc", "gone.icc"))
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "file not found: styles/color/gone.icc" in result.err
    assert "Traceback" not in result.err


def test_template_symlinked_out_of_the_project_is_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({})
    outside = tmp_path / "outside.html.j2"
    outside.write_text("<html lang=sv><title>x</title></html>", encoding="utf-8")
    template = root / "styles" / "templates" / "report.html.j2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.symlink_to(outside)
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert "points outside the project" in result.err


def test_yaml_merge_keys_may_override(make_project: MakeProject) -> None:
    from reportpipe.content import load_report
    from reportpipe.project import open_project

    root = make_project({})
    path = root / "source" / "pictures.yaml"
    text = path.read_text("utf-8")
    text = "base: &credit\n  creator: x\n  source: y\n  licence: CC0-1.0\n" + text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:  # 'base' is not a known key...
        load_report(open_project(root))
    assert [str(f) for f in caught.value.findings] == [
        "source/pictures.yaml:1: error: base: unknown key; check its spelling against the README"
    ]  # ...but merging and overriding are not reported as duplicate keys


def test_stylesheet_mistakes_are_warnings_at_their_line(make_project: MakeProject) -> None:
    root = make_project({})
    intro = root / "source" / "intro.md"
    intro.write_text(intro.read_text("utf-8").replace("[Aurora Pellis bildspel](#)", "x"), "utf-8")
    css = override(root, "report.css")
    text = css.read_text("utf-8") + "\n.x { colr: red; }\n"
    css.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    result = run_cli("build", "--project", str(root))
    assert result.code == 0
    assert result.err.count(f"styles/report.css:{line}: warning: Ignored `colr: red`") == 1
    strict = run_cli("build", "--strict", "--force", "--project", str(root))
    assert strict.code == 1
