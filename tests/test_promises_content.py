"""Smaller promises of the content model, found by the mutation tests of content.py
(`nox -s mutants -- content`): a picture's source as a link, its credit line, headings
that would share an id across chapters, a picture reference that is a folder, the
Markdown bound, a language without a catalogue, the print edition's output intent."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeProject
from reportpipe.content import Picture, PicturesFile, load_output_intent, load_report
from reportpipe.findings import InputError
from reportpipe.project import open_project


def _refusals(root: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_report(open_project(root))
    return [str(f) for f in caught.value.findings]


def _picture(**fields: str) -> Picture:
    return Picture(
        **{"alt": "A", "creator": "Ann", "source": "I bildspelet", "licence": "CC0-1.0", **fields}
    )


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://example.org/p.jpg", "https://example.org/p.jpg"),
        ("example.org", "https://example.org"),
        ("commons.wikimedia.org/wiki/File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("I bildspelet", None),
        ("https://example.org/a b", None),  # a space: not one address
        ("ftp://example.org/p.jpg", None),
    ],
)
def test_a_source_is_linked_only_when_it_is_a_web_address(source: str, url: str | None) -> None:
    assert _picture(source=source).source_url == url


def test_a_permission_is_added_to_the_credit_unless_the_line_places_it() -> None:
    credits = PicturesFile(
        pictures={
            "a.jpg": _picture(licence="used-with-permission", permission="Reglab, 2026-11-20"),
            "b.jpg": _picture(),
        }
    )
    assert credits.credit("a.jpg") == "Ann, used-with-permission (Reglab, 2026-11-20)"
    assert credits.credit("b.jpg") == "Ann, CC0-1.0"  # no permission: nothing in brackets
    placed = PicturesFile(credit_line="{creator} ({permission})", pictures=credits.pictures)
    assert placed.credit("a.jpg") == "Ann (Reglab, 2026-11-20)"  # once, where the line says


def test_a_heading_that_another_chapter_already_has_is_refused_at_its_line(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/questions.md": "# Inledning\n\nText.\n"})
    assert _refusals(root) == [
        "source/questions.md:1: error: heading 'Inledning' gets the id 'inledning', which "
        "another heading, scenario or group already has; reword the heading"
    ]


def test_a_picture_reference_to_a_folder_is_not_a_picture(make_project: MakeProject) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n![Bild](images)\n"})
    assert _refusals(root) == [
        "source/intro.md:3: error: picture 'images' is not a file inside the project; give a "
        "path relative to this Markdown file"
    ]


def test_markdown_past_its_time_bound_is_refused_naming_the_file(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTPIPE_MARKDOWN_SECONDS", "0.5")
    root = make_project({"source/intro.md": "# Inledning\n\n" + "[" * 60_000 + "\n"})
    assert _refusals(root) == [
        "source/intro.md: error: converting the Markdown took longer than 0.5 s (the bound "
        "per content file); look for very long runs of [ or * and split them"
    ]


def test_a_language_without_a_catalogue_is_one_error_among_the_others(
    make_project: MakeProject,
) -> None:
    root = make_project({})
    report = root / "source" / "report.yaml"
    report.write_text(report.read_text("utf-8").replace("lang: sv", "lang: fi"), "utf-8")
    assert _refusals(root) == [
        "source/report.yaml:2: error: lang 'fi': the theme has no catalogue of its words for "
        "this language; add styles/locales/fi.yaml (a translation of (theme)/locales/en.yaml)"
    ]


def test_the_print_edition_gets_the_themes_registered_printing_condition(
    make_project: MakeProject,
) -> None:
    intent = load_output_intent(open_project(make_project({})))
    assert intent is not None and intent.identifier and intent.registry


def test_a_credited_picture_in_a_chapter_loads_with_its_credit(make_project: MakeProject) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n![Loket](images/loket.svg)\n"})
    loaded = load_report(open_project(root))
    [intro, _] = loaded.report.chapters
    assert [image.key for image in intro.fragment.images] == ["images/loket.svg"]


def test_a_picture_in_a_chapter_without_a_credit_entry_is_refused_at_its_line(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "source/intro.md": "# Inledning\n\nText.\n\n![Ny](images/ny.svg)\n",
            "source/images/ny.svg": (
                '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'
            ),
        }
    )
    assert _refusals(root) == [
        "source/intro.md:5: error: picture 'images/ny.svg' has no entry in source/pictures.yaml "
        "(key 'images/ny.svg': alt text and credit)"
    ]


def test_text_must_be_text_not_binary_data(make_project: MakeProject) -> None:
    root = make_project({})
    report = root / "source" / "report.yaml"
    text = report.read_text("utf-8").replace("title: Jobbregionen", "title: !!binary aGVq")
    report.write_text(text, "utf-8")
    [found] = _refusals(root)
    assert found.startswith("source/report.yaml:3: error: ")


@pytest.mark.parametrize(("date", "ok"), [("1980-01-01", True), ("1979-12-31", False)])
def test_an_edition_date_is_1980_or_later(make_project: MakeProject, date: str, ok: bool) -> None:
    """Zip, gzip and font time stamps cannot express earlier dates."""
    root = make_project({})
    report = root / "source" / "report.yaml"
    report.write_text(report.read_text("utf-8").replace("date: 2026-11-29", f"date: {date}"))
    if ok:
        assert load_report(open_project(root)).report.edition.date.isoformat() == date
    else:
        assert _refusals(root)[0] == (
            "source/report.yaml:12: error: editions.#1.date: input should be greater than or "
            "equal to 1980-01-01"
        )
