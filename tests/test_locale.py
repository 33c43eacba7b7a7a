"""The frame's words come from the catalogue of the report's language: the same small
report built in Swedish and in English has every frame word, date, quote and metadata
field in its own language; catalogue mistakes are reported at their file and line."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pymupdf
import pytest
from pypdf import PdfReader

from reportpipe.cli import main
from reportpipe.commands.new import new_project
from reportpipe.content import load_report
from reportpipe.findings import InputError
from reportpipe.project import open_project

DATE = dt.date(2026, 3, 3)
SAID = "The groups said \"yes\" and 'no'."
#: Frame words of the Swedish theme that must never show in an English report.
SWEDISH_FRAME = (
    "Innehåll", "Sida", "av", "Utgåva", "grupp", "Figur", "Sammanfattning",
    "Bildförteckning", "Upphov", "Licens", "Om rapporten", "Framställd", "Typsnitt",
    "Omslag", "”", "’",
)  # fmt: skip


@dataclass(frozen=True)
class Pair:
    sv: Path
    en: Path


def _edited(root: Path, lang: str) -> Path:
    report = root / "source" / "report.yaml"
    report.write_text(report.read_text("utf-8").replace("lang: en", f"lang: {lang}"), "utf-8")
    intro = root / "source" / "intro.md"
    intro.write_text(intro.read_text("utf-8") + f"\n{SAID}\n", "utf-8")
    return root


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """One small report (the English starter) built twice: as `lang: en` and `lang: sv`."""
    base = tmp_path_factory.mktemp("lang")
    new_project(base / "en", lang="en", title="Skills Forum Leeds", today=DATE)
    shutil.copytree(base / "en", base / "sv")
    roots = Pair(sv=_edited(base / "sv", "sv"), en=_edited(base / "en", "en"))
    for root in (roots.sv, roots.en):
        assert main(["build", "--edition", "screen", "--project", str(root)]) == 0
    return roots


def _pdf(root: Path) -> Path:
    return root / "build" / "skills-forum-leeds-0.1.0.pdf"


def _text(root: Path) -> str:
    with pymupdf.open(_pdf(root)) as doc:
        return "\n".join(page.get_text() for page in doc)


def test_english_frame(pair: Pair) -> None:
    text = _text(pair.en)
    for words in (
        "Contents",
        "Page 2 of ",
        "Edition 0.1.0 · March 3, 2026",
        "Group one (group 1)",
        "Figure 1. The scenario cross with the scenarios’ numbers and emblems.",
        "Summary: The scenario cross",
        "Picture credits",
        "About the report",
        "Made with reportpipe",
        "The groups said “yes” and ‘no’.",
    ):
        assert words in text, words
    for word in SWEDISH_FRAME:
        assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text), word


def test_swedish_frame(pair: Pair) -> None:
    text = _text(pair.sv)
    for words in (
        "Innehåll",
        "Sida 2 av ",
        "Utgåva 0.1.0 · 3 mars 2026",
        "Group one (grupp 1)",
        "Figur 1. The scenario cross med scenariernas nummer och emblem.",
        "Sammanfattning: the scenario cross",
        "Bildförteckning",
        "Om rapporten",
        "Framställd med reportpipe",
        "The groups said ”yes” and ’no’.",
    ):
        assert words in text, words
    assert "Contents" not in text and "Page 2" not in text


def test_metadata_in_the_reports_language(pair: Pair) -> None:
    en, sv = PdfReader(_pdf(pair.en)), PdfReader(_pdf(pair.sv))
    assert en.trailer["/Root"]["/Lang"] == "en" and sv.trailer["/Root"]["/Lang"] == "sv"
    assert en.metadata is not None and sv.metadata is not None
    assert (
        en.metadata["/Subject"]
        == "The question the workshop explored. Edition 0.1.0, March 3, 2026."
    )
    assert (
        sv.metadata["/Subject"] == "The question the workshop explored. Utgåva 0.1.0, 3 mars 2026."
    )
    assert en.metadata["/Keywords"] == "Skills Forum Leeds, scenarios, workshop"
    assert sv.metadata["/Keywords"] == "Skills Forum Leeds, scenarion, workshop"


# --- catalogue mistakes: fast, on the loaded model only ------------------------------


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    return new_project(tmp_path / "r", lang="en", title="T", today=DATE).root


def _errors(root: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_report(open_project(root))
    return [str(f) for f in caught.value.findings]


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_a_language_without_a_catalogue_is_an_error_at_lang(starter: Path) -> None:
    report = starter / "source" / "report.yaml"
    text = report.read_text("utf-8").replace("lang: en", "lang: de")
    report.write_text(text, "utf-8")
    line = text.splitlines().index("lang: de") + 1
    assert _errors(starter) == [
        f"source/report.yaml:{line}: error: lang 'de': the theme has no catalogue of its "
        "words for this language; add styles/locales/de.yaml (a translation of "
        "(theme)/locales/en.yaml)"
    ]


def test_a_third_language_is_one_file_and_every_key_is_required(starter: Path) -> None:
    report = starter / "source" / "report.yaml"
    report.write_text(report.read_text("utf-8").replace("lang: en", "lang: de"), "utf-8")
    english = (Path(open_project(starter).style("locales/en.yaml"))).read_text("utf-8")
    _write(starter, "styles/locales/de.yaml", english.replace("Contents", "Inhalt"))
    report_de = load_report(open_project(starter)).report
    assert report_de.words("contents") == "Inhalt"
    assert report_de.words.date(DATE) == "3. März 2026"  # Babel, not a table of months
    # A missing string is an error naming the key and the language, never a fallback.
    without = "\n".join(r for r in english.splitlines() if not r.startswith("contents:"))
    _write(starter, "styles/locales/de.yaml", without)
    assert _errors(starter) == [
        "styles/locales/de.yaml: error: the 'de' catalogue has no string 'contents' "
        "(English: 'Contents'); add it"
    ]


def test_a_project_overrides_single_strings(starter: Path) -> None:
    _write(starter, "styles/locales/en.yaml", "contents: What is in it\n")
    words = load_report(open_project(starter)).report.words
    assert words("contents") == "What is in it"
    assert words("colophon_heading") == "About the report"  # the rest from the theme


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("contnets: Inside", "'contnets' is not a string of the theme; check its spelling"),
        ("page_of: 'Page {page.real}'", "'page_of': {page.real} is not allowed; write {name} only"),
        ("page_of: 'Page {page:>99}'", "'page_of': {page} is not allowed; write {name} only"),
        (
            "page_of: 'Page {nope}'",
            "'page_of': {nope} is not filled in here (placeholders: {page}, {page_lower}, "
            "{pages}, {pages_lower})",
        ),
        ("contents: ''", "'contents': give a text"),
    ],
)
def test_catalogue_mistakes_are_named_at_their_line(starter: Path, line: str, message: str) -> None:
    _write(starter, "styles/locales/en.yaml", f"# my words\n{line}\n")
    assert _errors(starter) == [f"styles/locales/en.yaml:2: error: {message}"]
