"""The picture-credits check on the shipped content and on each kind of fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeProject, override
from reportpipe.checkconfig import load_checks_config
from reportpipe.content import load_report
from reportpipe.credits import CreditReport, check_credits, source_problem
from reportpipe.editions import render_document
from reportpipe.project import open_project


def _check(root: Path) -> CreditReport:
    project = open_project(root)
    report = load_report(project).report
    html, _ = render_document(project, report)
    return check_credits(project, report, html, config=load_checks_config(project).credits)


def _messages(result: CreditReport) -> list[str]:
    return [str(f) for f in result.findings]


def _line(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_shipped_content_is_clean_with_two_stated_exclusions(make_project: MakeProject) -> None:
    result = _check(make_project({}))
    assert result.findings == ()
    assert result.pictures == 8
    assert [(k, f) for k, f, _ in result.excluded] == [
        ("images/arbetsmarknadscooperativet.svg", "provenance"),
        ("images/smorjmedlet.svg", "provenance"),
    ]
    assert all("Verbatim credit line" in reason for _, _, reason in result.excluded)


def test_without_the_exclusions_the_seed_credit_lines_are_reported(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/checks.yaml": "links: {}\n"})
    messages = _messages(_check(root))
    galindberg = _line(root, "source/pictures.yaml", "galindberg")
    caesax = _line(root, "source/pictures.yaml", "caesax")
    assert messages == [
        f"source/pictures.yaml:{galindberg}: error: images/smorjmedlet.svg: provenance: "
        "'Bild: .galindberg.se/' looks like a web address but '.galindberg.se' is not a "
        "well-formed domain",
        f"source/pictures.yaml:{caesax}: error: images/arbetsmarknadscooperativet.svg: "
        "provenance: 'Bild: webbt teknik.caesax.se/' looks like a web address but has a "
        "space in it",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Bild: prisvis.se", False),
        ("https://commons.wikimedia.org/wiki/File:Lok.svg", False),
        ("Ritad för denna rapport", False),
        ("Foto: Anna Andersson, Region Västerbotten", False),
        ("Bild: .galindberg.se/", True),
        ("webbt teknik.caesax.se/", True),
        ("https://exa mple.se/", True),
        ("ftp://example.se/x.png", True),
        ("example..se", True),
    ],
)
def test_source_forms(text: str, problem: bool) -> None:
    assert (source_problem(text) is not None) == problem


def test_unused_credit_bad_licence_and_permission(make_project: MakeProject) -> None:
    root = make_project({"source/images/extra.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    path = root / "source" / "pictures.yaml"
    text = path.read_text("utf-8")
    text = text.replace("    licence: CC0-1.0\n", "    licence: All rights reserved\n", 1)
    text = text.replace(
        "  images/loket.svg:\n",
        "  images/extra.svg:\n    alt: x\n    creator: y\n    source: z\n"
        "    licence: used-with-permission\n  images/loket.svg:\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    messages = _messages(_check(root))
    licence = _line(root, "source/pictures.yaml", "All rights reserved")
    extra = _line(root, "source/pictures.yaml", "images/extra.svg")
    assert (
        f"source/pictures.yaml:{licence}: error: images/tradgardsmastaren.svg: licence "
        "'All rights reserved' is not an allowed SPDX identifier" in " ".join(messages)
    )
    assert (
        f"source/pictures.yaml:{extra}: error: credit for 'images/extra.svg', which no page "
        "shows; remove it" in messages
    )


def test_permission_needs_who_granted_it(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "pictures.yaml"
    text = path.read_text("utf-8").replace(
        "    licence: CC0-1.0\n", "    licence: used-with-permission\n", 1
    )
    path.write_text(text, encoding="utf-8")
    assert "needs 'permission:' saying who granted it" in " ".join(_messages(_check(root)))
    text = text.replace(
        "    licence: used-with-permission\n",
        "    licence: used-with-permission\n    permission: Reglab, e-post 2026-11-20\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    assert _check(root).findings == ()


def test_css_background_needs_a_credit_and_an_existing_file(make_project: MakeProject) -> None:
    root = make_project({"styles/screen.css": ".cover { background: url(images/band.png); }\n"})
    messages = _messages(_check(root))
    assert "styles/screen.css:1: error: picture '../styles/images/band.png' is missing" in messages
    assert (
        "styles/screen.css:1: error: picture '../styles/images/band.png' has no credit: add it "
        "to source/pictures.yaml with creator, source and licence" in messages
    )


def test_credit_missing_under_the_picture_or_from_the_list(make_project: MakeProject) -> None:
    root = make_project({})
    template = override(root, "templates/report.html.j2")
    text = template.read_text("utf-8")
    text = text.replace(
        '<figcaption class="credit" data-credit-for="{{ g.picture }}">',
        '<figcaption class="credit">',
    )
    text = text.replace('<tr data-credit-for="{{ use.key }}">', "<tr>")
    template.write_text(text, encoding="utf-8")
    messages = _messages(_check(root))
    assert sum("has no credit printed under it" in m for m in messages) == 8
    assert sum("is missing from the picture-credits list" in m for m in messages) == 8
    loket = _line(root, "source/scenarios.yaml", "images/loket.svg")
    assert (
        f"source/scenarios.yaml:{loket}: error: picture 'images/loket.svg' has no credit printed under it"
        in messages
    )


def test_markdown_picture_gets_its_credit_under_it_and_in_the_list(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n![Ett lok](images/loket.svg)\n"})
    assert _check(root).findings == ()  # the group's and the chapter's use both credited
    project = open_project(root)
    html, _ = render_document(project, load_report(project).report)
    caption = '<figcaption class="credit" data-credit-for="images/loket.svg">Bild: reportpipe-projektet, CC0-1.0</figcaption>'
    assert html.count(caption) == 2
