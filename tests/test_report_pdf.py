"""The shipped report, built through the CLI, checked on the real PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pypdf
import pytest
import yaml

from conftest import FIXTURES, REPO, Built, copy_project, run_cli_process
from pdfutil import outline_titles, page_texts, squash, struct_elements, words, xmp

A4 = (595.2756, 841.8898)
BLEED = 3 / 25.4 * 72  # 3 mm in points
SEED = (FIXTURES / "seed.txt").read_text(encoding="utf-8")


def _seed_lines() -> list[str]:
    return [line.strip() for line in SEED.splitlines() if line.strip()]


def _unlink(text: str) -> str:
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)


SEED_BULLETS = [line[2:] for line in _seed_lines() if line.startswith("- ")]
SEED_QUESTIONS = [line[3:] for line in _seed_lines() if re.match(r"^\d\. ", line)]
SEED_PARAGRAPHS = [
    _unlink(line)
    for line in _seed_lines()
    if len(line) > 100 and not re.match(r"^(- |\d\. )", line)
]


@pytest.fixture(scope="module")
def screen_text(built: Built) -> str:
    return squash("".join(page_texts(built.screen)))


def test_seed_parsed_as_expected() -> None:
    # Guards the checks below against a seed parser that silently finds nothing.
    assert len(SEED_BULLETS) == 64
    assert len(SEED_QUESTIONS) == 4
    assert len(SEED_PARAGRAPHS) >= 5


@pytest.mark.parametrize("bullet", SEED_BULLETS)
def test_every_seed_bullet_is_in_the_report(screen_text: str, bullet: str) -> None:
    assert squash(bullet) in screen_text


def test_every_seed_paragraph_and_question_is_in_the_report(screen_text: str) -> None:
    missing = [t for t in SEED_PARAGRAPHS + SEED_QUESTIONS if squash(t) not in screen_text]
    assert missing == []


def test_every_scenario_and_group_heading_is_in_the_report(screen_text: str) -> None:
    headings = [m.group(1) for m in re.finditer(r"^(?:Bonus )?(Scenario \d\. .+?)\.?$", SEED, re.M)]
    groups = [m.group(1) for m in re.finditer(r"^(.+ \(grupp \d[.:]\d\))$", SEED, re.M)]
    assert len(headings) == 6 and len(groups) == 8
    assert [h for h in headings + groups if squash(h) not in screen_text] == []


def test_cover_shows_title_theme_publisher_and_edition(built: Built) -> None:
    cover = page_texts(built.screen)[0]
    for text in (
        "Jobbregionen",
        "Dokumentation från workshop Umeå 12 nov 2015",
        "Scenarion – Regionens roll i arbetsmarknadspolitiken",
        "REGLAB",
        "Utgåva 1.0.0",
    ):
        assert text in cover


def test_outline_has_every_section_scenario_and_group(built: Built) -> None:
    titles = outline_titles(built.screen)
    scenarios = yaml.safe_load((REPO / "source" / "scenarios.yaml").read_text("utf-8"))
    for scenario in scenarios["scenarios"]:
        assert any(
            t.endswith(f"Scenario {scenario['number']}. {scenario['title']}") for t in titles
        )
        for group in scenario.get("groups", []):
            assert f"{group['title']} (grupp {group['id']})" in titles
    for section in ("Innehåll", "Inledning", "Scenariokorset", "Bildförteckning", "Om rapporten"):
        assert section in titles
    assert "Jobbregionen" not in titles  # the cover title is not a bookmark of its own


def test_toc_page_numbers_match_the_pages_the_links_lead_to(built: Built) -> None:
    with pymupdf.open(built.screen) as doc:
        toc = doc[1]
        assert toc.get_text().startswith("Innehåll")
        internal = [
            link
            for link in toc.get_links()
            if link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED)
        ]
        links = [link for link in internal if link.get("page", -1) >= 0]
        assert len(links) == len(internal), "a TOC link whose destination a viewer cannot find"
        page_words = toc.get_text("words")
        checked = set()
        for link in links:
            rect = link["from"]
            middle = (rect.y0 + rect.y1) / 2
            row = sorted((w for w in page_words if w[1] <= middle <= w[3]), key=lambda w: w[0])
            *title_words, number = (w[4] for w in row)
            target = link["page"]
            assert number == str(target + 1)
            leaders = [re.sub(r"\.{2,}$", "", t) for t in title_words]
            title = " ".join(t for t in leaders if t)
            assert squash(title) in squash(doc[target].get_text()), (title, target + 1)
            checked.add(title)
        assert len(checked) >= 20


def _find(ws: list[tuple[float, float, float, float, str]], text: str) -> tuple[float, float]:
    hits = [w for w in ws if w[4] == text]
    assert hits, f"{text!r} not found on the page"
    x0, y0, x1, y1, _ = hits[0]
    return (x0 + x1) / 2, (y0 + y1) / 2


@pytest.mark.parametrize("caption", ["Figur 1.", "Figur 2."])
def test_cross_labels_sit_in_their_quadrants(built: Built, caption: str) -> None:
    texts = page_texts(built.screen)
    index = next(i for i, t in enumerate(texts) if caption in t)
    ws = words(built.screen, index)
    top, bottom = _find(ws, "Svag"), _find(ws, "Stark")
    left, right = _find(ws, "Stödjande"), _find(ws, "Operativ")
    cx, cy = top[0], left[1]
    assert top[1] < cy < bottom[1] and left[0] < cx < right[0]
    expected = {
        "Trädgårdsmästaren": (-1, -1),
        "Ballongen": (1, -1),
        "Korsetten": (-1, 1),
        "Loket": (1, 1),
    }
    for emblem, (sx, sy) in expected.items():
        x, y = _find(ws, emblem)
        assert (x - cx) * sx > 20 and (y - cy) * sy > 20, emblem
    middle = _find(ws, "Lite")
    assert abs(middle[0] - cx) < 30 and abs(middle[1] - cy) < 30
    hole = _find(ws, "svarta")
    assert hole[0] > right[0] - 40 and hole[1] > bottom[1] - 40  # outside the cross


def test_screen_edition_is_pdf_ua_tagged_with_language_and_title(built: Built) -> None:
    reader = pypdf.PdfReader(built.screen)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "sv"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert "/StructTreeRoot" in root
    meta = xmp(built.screen)
    assert 'pdfuaid:part="1"' in meta
    assert "Jobbregionen – Dokumentation från workshop Umeå 12 nov 2015" in meta
    assert reader.metadata is not None
    assert reader.metadata.title == "Jobbregionen – Dokumentation från workshop Umeå 12 nov 2015"
    assert reader.pdf_header == "%PDF-1.7"


def test_every_picture_and_both_crosses_are_figures_with_alt_text(built: Built) -> None:
    pictures = yaml.safe_load((REPO / "source" / "pictures.yaml").read_text("utf-8"))["pictures"]
    cross_alt = yaml.safe_load((REPO / "source" / "scenarios.yaml").read_text("utf-8"))["cross"][
        "alt"
    ]
    for pdf in (built.screen, built.print):
        figures = [e for e in struct_elements(pdf) if e["/S"] == "/Figure"]
        alts = [str(e.get("/Alt", "")) for e in figures]
        assert all(alts), "a figure without alternative text"
        for picture in pictures.values():
            assert picture["alt"] in alts
        assert alts.count(cross_alt) == 2


def test_every_picture_has_its_credit_under_it_and_on_the_credits_page(built: Built) -> None:
    texts = page_texts(built.screen)
    body = squash("".join(texts[:-2]))
    assert body.count(squash("Bild: reportpipe-projektet, CC0-1.0")) == 8
    credits = squash(
        next(
            t
            for t in texts
            if t.startswith("Bildförteckning") or ("\nBildförteckning\n" in t and "Licens" in t)
        )
    )
    pictures = yaml.safe_load((REPO / "source" / "pictures.yaml").read_text("utf-8"))["pictures"]
    for picture in pictures.values():
        assert squash(picture["provenance"]) in credits
        assert squash(picture["alt"]) in credits


def test_print_edition_is_pdf_x4_with_cmyk_output_intent(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert intent["/OutputConditionIdentifier"] == "FOGRA39"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4
    assert profile.get_data()[36:40] == b"acsp" and profile.get_data()[16:20] == b"CMYK"
    meta = xmp(built.print)
    assert "PDF/X-4" in meta
    assert "xmp.did:" in meta
    assert bool(root["/MarkInfo"]["/Marked"])  # tagged too


def test_print_edition_has_a4_trim_and_3mm_bleed(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert float(trim.width) == pytest.approx(A4[0], abs=0.01)
        assert float(trim.height) == pytest.approx(A4[1], abs=0.01)
        assert float(trim.left) - float(bleed.left) == pytest.approx(BLEED, abs=0.01)
        assert float(bleed.top) - float(trim.top) == pytest.approx(BLEED, abs=0.01)
        assert float(media.width) >= float(bleed.width) - 0.01


def test_screen_edition_is_plain_a4(built: Built) -> None:
    for page in pypdf.PdfReader(built.screen).pages:
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=0.01)


def test_only_vendored_fonts_and_all_embedded(built: Built) -> None:
    for pdf in (built.screen, built.print):
        with pymupdf.open(pdf) as doc:
            fonts = {f for page in doc for f in page.get_fonts(full=True)}
        assert fonts
        for _xref, ext, _type, name, *_ in fonts:
            assert ext != "n/a", f"{name} is not embedded"
            assert "Source-Sans-3" in name, name


def test_footer_counts_pages_and_both_editions_have_the_same_pages(built: Built) -> None:
    screen, printed = page_texts(built.screen), page_texts(built.print)
    assert len(screen) == len(printed) >= 10
    for number, text in enumerate(screen[1:], start=2):
        assert f"Sida {number} av {len(screen)}" in text


def test_metadata_dates_come_from_the_edition(built: Built) -> None:
    for pdf in (built.screen, built.print):
        info = pypdf.PdfReader(pdf).metadata
        assert info is not None
        assert info["/CreationDate"] == "D:20261129000000Z"
        assert info["/ModDate"] == "D:20261129000000Z"
        assert "Utgåva 1.0.0" in info["/Subject"]


def test_the_figure_is_also_written_to_build_figures(built: Built) -> None:
    svg = (built.root / "build" / "figures" / "cross-overview.svg").read_text("utf-8")
    assert "<title" in svg and "<desc" in svg and "Trädgårdsmästaren" in svg


def test_two_builds_in_different_folders_give_identical_bytes(built: Built, tmp_path: Path) -> None:
    other = copy_project(tmp_path / "elsewhere" / "deeper")
    result = run_cli_process("build", "--project", str(other))  # another process, too
    assert result.code == 0, result.err
    for pdf in (built.screen, built.print):
        assert (other / "build" / pdf.name).read_bytes() == pdf.read_bytes()


def test_no_heading_is_stranded_at_the_bottom_of_a_page(built: Built) -> None:
    checked = 0
    with pymupdf.open(built.screen) as doc:
        for page in list(doc)[1:]:
            body_bottom = page.rect.height - 60  # above the running footer
            spans = [
                span
                for block in page.get_text("dict")["blocks"]
                for line in block.get("lines", [])
                for span in line["spans"]
                if span["text"].strip() and span["bbox"][3] < body_bottom
            ]
            headings = [s for s in spans if s["size"] >= 12.5 and "Bold" in s["font"]]
            checked += len(headings)
            for heading in headings:
                below = [s for s in spans if s["bbox"][1] > heading["bbox"][3] and s["size"] < 12.5]
                assert below, f"page {page.number + 1}: {heading['text']!r} ends the page"
    assert checked >= 20  # the headings were found at all
