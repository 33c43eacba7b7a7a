"""Smaller promises of the content model, found by the mutation tests of content.py
(`nox -s mutants -- content`): a picture's source as a link, its credit line, headings
that would share an id across chapters, a picture reference that is a folder, the
Markdown bound, a language without a catalogue, the print edition's output intent, text
that is binary data, the current edition, the pictures in use and the chapters that
cannot be read."""

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


def _edit_report(root: Path, old: str, new: str) -> None:
    report = root / "source" / "report.yaml"
    text = report.read_text("utf-8")
    assert old in text
    report.write_text(text.replace(old, new), "utf-8")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("version: 1.0.0", "version: !!binary MS4wLjA=", 11),  # base64 of 1.0.0
        ("lang: sv", "lang: !!binary c3Y=", 2),  # base64 of sv
    ],
)
def test_a_version_or_language_must_be_text_not_binary_data(
    make_project: MakeProject, old: str, new: str, line: int
) -> None:
    root = make_project({})
    _edit_report(root, old, new)
    assert _refusals(root)[0].startswith(f"source/report.yaml:{line}: error: ")


def test_white_space_around_a_quoted_value_is_dropped(make_project: MakeProject) -> None:
    root = make_project({})
    _edit_report(root, "title: Jobbregionen", 'title: "  Jobbregionen  "')
    assert load_report(open_project(root)).report.meta.title == "Jobbregionen"


def test_a_report_needs_at_least_one_edition(make_project: MakeProject) -> None:
    root = make_project({})
    report = root / "source" / "report.yaml"
    text = report.read_text("utf-8")
    report.write_text(text[: text.index("editions:")] + "editions: []\n", "utf-8")
    assert _refusals(root) == [
        "source/report.yaml:10: error: editions: tuple should have at least 1 item after "
        "validation, not 0"
    ]


def test_the_current_edition_is_the_first_listed(make_project: MakeProject) -> None:
    root = make_project({})
    report = root / "source" / "report.yaml"
    older = "  - version: 0.9.0\n    date: 2026-11-01\n    changes: Utkast.\n"
    report.write_text(report.read_text("utf-8") + older, "utf-8")
    loaded = load_report(open_project(root)).report
    assert [e.version for e in loaded.meta.editions] == ["1.0.0", "0.9.0"]
    assert loaded.edition.version == "1.0.0"
    assert loaded.file_stem == "jobbregionen-umea-2015-1.0.0"


def test_a_scenario_is_not_a_bonus_unless_it_says_so(make_project: MakeProject) -> None:
    loaded = load_report(open_project(make_project({}))).report  # 5 and 6 say bonus: true
    assert [s.bonus for s in loaded.scenarios] == [False, False, False, False, True, True]


def test_a_heading_that_takes_a_scenarios_id_is_refused(make_project: MakeProject) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n## Scenario 1\n\nText.\n"})
    assert _refusals(root) == [
        "source/intro.md:3: error: heading 'Scenario 1' gets the id 'scenario-1', which "
        "another heading, scenario or group already has; reword the heading"
    ]


def test_pictures_of_chapters_come_first_among_those_in_use_with_their_credit(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n![Ett lok](images/loket.svg)\n"})
    loaded = load_report(open_project(root)).report
    first = loaded.pictures_in_use[0]
    assert (first.key, first.title, first.anchor) == ("images/loket.svg", "Ett lok", None)
    assert [use.key for use in loaded.pictures_in_use].count("images/loket.svg") == 1
    [intro, _] = loaded.chapters
    assert "Bild: reportpipe-projektet, CC0-1.0" in intro.fragment.html


def test_the_credits_page_has_a_provenance_column_only_when_a_picture_records_one(
    make_project: MakeProject,
) -> None:
    root = make_project({})
    assert load_report(open_project(root)).report.has_provenance is True
    pictures = root / "source" / "pictures.yaml"
    lines = pictures.read_text("utf-8").splitlines(keepends=True)
    pictures.write_text("".join(x for x in lines if "provenance:" not in x), "utf-8")
    assert load_report(open_project(root)).report.has_provenance is False


def test_markdown_nested_too_deeply_is_refused_at_its_line(make_project: MakeProject) -> None:
    nested = "- " * 2000 + "x\n"
    root = make_project({"source/intro.md": "# Inledning\n\nText.\n\n" + nested})
    assert _refusals(root) == [
        "source/intro.md:5: error: lists or quotes nested too deeply to be content; flatten them"
    ]


def test_every_chapter_that_cannot_be_read_is_reported_together(
    make_project: MakeProject,
) -> None:
    root = make_project({})
    _edit_report(root, "  - intro.md\n", "  - saknas.md\n  - intro.md\n  - borta.md\n")
    found = _refusals(root)
    assert [f.split(": error: ")[0] for f in found] == [
        "source/report.yaml:8",
        "source/report.yaml:10",
    ]
    assert "'saknas.md'" in found[0] and "'borta.md'" in found[1]
