"""The credits check notices each single missing credit mark, and a licence that looks
like an SPDX identifier but is not on the allowed list. The HTML is the real rendered
page with one mark taken out, so each test changes exactly one thing."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest

from conftest import REPO, MakeProject, copy_project
from reportpipe.checkconfig import load_checks_config
from reportpipe.content import Report, load_report
from reportpipe.credits import CreditReport, check_credits, picture_origins, source_problem
from reportpipe.editions import render_document
from reportpipe.project import Project, open_project

LOKET = "images/loket.svg"
SOURCE = REPO / "source"


@dataclass(frozen=True)
class Shown:
    root: Path
    project: Project
    html: str


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Shown:
    """The shipped project with the locomotive shown twice: in its scenario group and in
    the introduction."""
    root = copy_project(tmp_path_factory.mktemp("credits") / "p")
    (root / "source" / "intro.md").write_text(
        f"# Inledning\n\nText.\n\n![Ett lok]({LOKET})\n", "utf-8"
    )
    project = open_project(root)
    html, _ = render_document(project, load_report(project).report)
    return Shown(root, project, html)


def _check(shown: Shown, html: str) -> CreditReport:
    project = open_project(shown.root)
    report = load_report(project).report
    config = load_checks_config(project).credits
    return check_credits(project, report, html, config=config)


def _scenario_line() -> int:
    text = (SOURCE / "scenarios.yaml").read_text("utf-8")
    return next(n for n, line in enumerate(text.splitlines(), 1) if LOKET in line)


def _credit(key: str, alt: str) -> str:
    """The pictures.yaml entry for `key`: drawn for this report, CC0."""
    return (
        f"  {key}:\n    alt: {alt}\n    creator: reportpipe-projektet\n"
        "    source: Ritad för denna rapport\n    licence: CC0-1.0\n"
    )


def _with_picture(
    make_project: MakeProject,
    picture: str,
    entry: str,
    files: dict[str, str | bytes] | None = None,
) -> Path:
    """The shipped project with the locomotive copied to source/`picture`, `entry` added
    to pictures.yaml, and `files` written."""
    return make_project(
        {
            f"source/{picture}": (SOURCE / LOKET).read_bytes(),
            "source/pictures.yaml": (SOURCE / "pictures.yaml").read_text("utf-8") + entry,
            **(files or {}),
        }
    )


def _origins(root: Path) -> tuple[dict[str, tuple[str, int | None]], Report]:
    """Where each picture of the project at `root` is used first, and its report."""
    project = open_project(root)
    report = load_report(project).report
    return picture_origins(project, report), report


def test_the_unchanged_page_is_clean(shown: Shown) -> None:
    result = _check(shown, shown.html)
    assert (result.findings, result.pictures) == ((), 8)


def test_one_row_missing_from_the_credits_page_is_reported(shown: Shown) -> None:
    row = f'<tr data-credit-for="{LOKET}">'
    assert shown.html.count(row) == 1
    result = _check(shown, shown.html.replace(row, "<tr>"))
    assert [str(f) for f in result.findings] == [
        f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' is missing from "
        "the picture-credits list"
    ]


def test_a_picture_shown_twice_needs_its_credit_under_each_use(shown: Shown) -> None:
    caption = f'<figcaption class="credit" data-credit-for="{LOKET}">'
    assert shown.html.count(caption) == 2
    first = shown.html.index(caption)
    for at in (first, shown.html.index(caption, first + 1)):  # drop one, then the other
        html = shown.html[:at] + '<figcaption class="credit">' + shown.html[at + len(caption) :]
        assert html.count(caption) == 1
        result = _check(shown, html)
        assert [str(f) for f in result.findings] == [
            f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' has no "
            "credit printed under it"
        ]


@pytest.mark.parametrize("licence", ["CC-BY-NC-4.0", "CC-BY-ND-4.0", "cc0-1.0", "CC0"])
def test_an_spdx_looking_licence_off_the_allowed_list_is_refused(
    shown: Shown, licence: str
) -> None:
    path = shown.root / "source" / "pictures.yaml"
    original = path.read_text("utf-8")
    lines = original.splitlines(keepends=True)
    at = lines.index(f"  {LOKET}:\n")
    number = next(n for n in range(at, len(lines)) if lines[n].startswith("    licence:")) + 1
    lines[number - 1] = f"    licence: {licence}\n"
    path.write_text("".join(lines), "utf-8")
    try:
        result = _check(shown, shown.html)
    finally:
        path.write_text(original, "utf-8")
    allowed = ", ".join(load_checks_config(shown.project).credits.licences)
    assert [str(f) for f in result.findings] == [
        f"source/pictures.yaml:{number}: error: {LOKET}: licence {licence!r} is not an allowed "
        f"SPDX identifier ({allowed}) nor 'used-with-permission'"
    ]


def _body(shown: Shown, extra: str) -> str:
    """The real page with `extra` put first in its body."""
    assert shown.html.count("<body>") == 1
    return shown.html.replace("<body>", "<body>" + extra)


def _messages(result: CreditReport) -> list[str]:
    return [str(f) for f in result.findings]


def test_a_malformed_character_reference_does_not_hide_the_rest_of_the_page(
    shown: Shown,
) -> None:
    result = _check(shown, _body(shown, "<p>Tecken &#; och &#x; i texten.</p>"))
    assert (result.findings, result.pictures) == ((), 8)


def test_a_stray_end_tag_before_the_page_is_ignored(shown: Shown) -> None:
    result = _check(shown, "</div></p>" + shown.html)
    assert (result.findings, result.pictures) == ((), 8)


def test_a_credit_in_a_paragraph_beside_the_picture_is_its_printed_credit(
    shown: Shown,
) -> None:
    extra = (
        f'<p><img src="source/{LOKET}" alt="Ett lok">'
        f'<span data-credit-for="{LOKET}">Foto</span></p>'
    )
    result = _check(shown, _body(shown, extra))
    assert (result.findings, result.pictures) == ((), 8)


def test_a_credit_elsewhere_does_not_count_for_a_picture_standing_outside_any_element(
    shown: Shown,
) -> None:
    """The first element of the page is a credit paragraph; the picture after it stands
    outside every element, so that paragraph is not printed under it."""
    html = f'<p data-credit-for="{LOKET}">Foto</p><img src="source/{LOKET}" alt="Ett lok">'
    result = _check(shown, html + shown.html)
    assert _messages(result) == [
        f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' has no "
        "credit printed under it"
    ]


@pytest.mark.parametrize(
    ("picture", "file", "text", "line"),
    [
        pytest.param(
            "images/extra.svg",
            "source/intro.md",
            "# Inledning\n\nText.\n\n\n![Ett foto](images/extra.svg)\n",
            6,
            id="only-in-a-chapter",
        ),
        pytest.param(
            "images/bakgrund.svg",
            "styles/bakgrund.css",
            'body {\n  background: url("../source/images/bakgrund.svg");\n}\n',
            2,
            id="in-a-stylesheet-through-dot-dot-by-its-real-key",
        ),
    ],
)
def test_a_picture_is_named_at_the_file_and_line_of_its_first_use(
    make_project: MakeProject, picture: str, file: str, text: str, line: int
) -> None:
    root = _with_picture(make_project, picture, _credit(picture, "En bild"), {file: text})
    origins, _ = _origins(root)
    assert origins[picture] == (file, line)
    assert origins[LOKET] == ("source/scenarios.yaml", _scenario_line())


def test_a_picture_outside_any_element_is_not_credited_by_the_first_figure(
    shown: Shown,
) -> None:
    html = (
        f'<figure><figcaption data-credit-for="{LOKET}">Foto</figcaption></figure>'
        f'<img src="source/{LOKET}" alt="Ett lok">'
    )
    result = _check(shown, html + shown.html)
    assert _messages(result) == [
        f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' has no "
        "credit printed under it"
    ]


def test_pictures_embedded_or_from_the_web_are_not_project_pictures(shown: Shown) -> None:
    extra = (
        '<p><img src="data:image/svg+xml,%3Csvg%20xmlns%3D%22x%22%2F%3E" alt="Inbäddad">'
        '<img src="https://example.org/bild.png" alt="Från webben"></p>'
    )
    result = _check(shown, _body(shown, extra))
    assert (result.findings, result.pictures) == ((), 8)


def test_stylesheets_name_only_their_pictures_even_outside_the_project(
    make_project: MakeProject,
) -> None:
    """Fonts, embedded data and web addresses in a stylesheet are not pictures; a picture
    outside the project keeps the path as written (and is reported as missing)."""
    extra = "images/bakgrund.svg"
    css = (
        "\n"  # a blank first line counts too
        '@font-face {\n  src: url("fonts/Egen.woff2");\n}\n'
        "body {\n"
        '  background: url("data:image/svg+xml,%3Csvg%2F%3E"), url(https://example.org/m.png);\n'
        f"  border-image: url('../source/{extra}');\n"
        "}\n"
        ".utanfor {\n  background: url(../../utanfor.png);\n}\n"
    )
    root = _with_picture(
        make_project, extra, _credit(extra, "En bakgrund"), {"styles/bakgrund.css": css}
    )
    origins, report = _origins(root)
    outside = "../styles/../../utanfor.png"
    assert sorted(set(origins) - set(report.pictures)) == [outside]
    assert (origins[extra], origins[outside]) == (
        ("styles/bakgrund.css", 7),
        ("styles/bakgrund.css", 10),
    )


def test_a_credit_in_a_figure_left_with_an_open_paragraph_does_not_count_after_it(
    shown: Shown,
) -> None:
    """The figure's end tag closes the paragraph left open inside it, so the picture
    after the figure stands outside it."""
    extra = (
        f'<figure><p>Foto: <span data-credit-for="{LOKET}">reportpipe</span></figure>'
        f'<img src="source/{LOKET}" alt="Ett lok">'
    )
    result = _check(shown, _body(shown, extra))
    assert _messages(result) == [
        f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' has no "
        "credit printed under it"
    ]


def test_alternative_text_in_one_use_of_a_picture_is_enough(shown: Shown) -> None:
    """Alternative text is judged per picture: a use without it, before or after a use
    with it, is not reported."""
    use = (
        f'<figure><img src="source/{LOKET}" alt="{{alt}}">'
        f'<figcaption data-credit-for="{LOKET}">Foto</figcaption></figure>'
    )
    for html in (
        _body(shown, use.format(alt="")),
        shown.html.replace("</body>", use.format(alt="") + "</body>"),
    ):
        result = _check(shown, html)
        assert (result.findings, result.pictures) == ((), 8)


def test_the_credit_report_cannot_be_changed_after_the_check(shown: Shown) -> None:
    result = _check(shown, shown.html)
    with pytest.raises(FrozenInstanceError):
        setattr(result, "pictures", 0)  # noqa: B010
    assert result.pictures == 8


def test_a_picture_with_blank_alternative_text_is_reported(shown: Shown) -> None:
    html = re.sub(
        f'(<img [^>]*src="source/{LOKET}"[^>]*>)',
        lambda m: re.sub(r'alt="[^"]*"', 'alt=" "', m.group(1)),
        shown.html,
    )
    assert html.count('alt=" "') == 2
    result = _check(shown, html)
    assert _messages(result) == [
        f"source/scenarios.yaml:{_scenario_line()}: error: picture '{LOKET}' has no "
        "alternative text"
    ]


def test_pictures_outside_the_project_are_named_as_written_and_each_reported(
    shown: Shown,
) -> None:
    extra = '<img src="/ingenstans/bild.png" alt="Bild"><img src="/ingen/annan.png" alt="Bild">'
    result = _check(shown, _body(shown, extra))
    assert _messages(result) == [
        f"source/pictures.yaml: error: picture {name!r} {problem}"
        for name in ("/ingen/annan.png", "/ingenstans/bild.png")
        for problem in (
            "has no credit: add it to source/pictures.yaml with creator, source and licence",
            "is missing",
        )
    ]
    assert result.pictures == 10


def _check_rendered(root: Path) -> CreditReport:
    project = open_project(root)
    report = load_report(project).report
    html, _ = render_document(project, report)
    config = load_checks_config(project).credits
    return check_credits(project, report, html, config=config)


def test_an_unused_credit_whose_key_is_written_with_spaces_is_reported(
    make_project: MakeProject,
) -> None:
    root = _with_picture(
        make_project, "images/extra.svg", _credit('" images/extra.svg"', "En bild")
    )
    lines = (root / "source" / "pictures.yaml").read_text("utf-8").splitlines()
    at = lines.index('  " images/extra.svg":') + 1  # the entry's own line, not the file's first
    assert _messages(_check_rendered(root)) == [
        f"source/pictures.yaml:{at}: error: credit for 'images/extra.svg', which no page shows; "
        "remove it"
    ]


def test_a_field_only_in_a_second_spelling_of_a_key_is_reported_at_the_first(
    make_project: MakeProject,
) -> None:
    """Two keys that differ only by spaces are one picture and the later one wins; a fault
    in a field the earlier one lacks is reported at the earlier key's line."""
    text = (SOURCE / "pictures.yaml").read_text("utf-8")
    kept = 'provenance: "Bild: nyteknik.se"\n'
    assert text.count(kept) == 1
    second = _credit(f'" {LOKET}"', "Ett lok") + '    provenance: "Bild: .nyteknik.se/"\n'
    root = make_project({"source/pictures.yaml": text.replace("    " + kept, "") + second})
    line = _line_of(root / "source" / "pictures.yaml", f"  {LOKET}:")
    assert _messages(_check_rendered(root)) == [
        f"source/pictures.yaml:{line}: error: {LOKET}: provenance: 'Bild: .nyteknik.se/' looks "
        "like a web address but '.nyteknik.se' is not a well-formed domain"
    ]


def _line_of(path: Path, start: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def test_a_bare_domain_with_a_path_is_judged_by_its_domain() -> None:
    assert source_problem("Bild: nyteknik.se/arkiv/lok") is None
    assert source_problem("Bild: .galindberg.se/bilder/olja") == (
        "'Bild: .galindberg.se/bilder/olja' looks like a web address but '.galindberg.se' "
        "is not a well-formed domain"
    )
