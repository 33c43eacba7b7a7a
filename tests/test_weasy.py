"""The one module that touches WeasyPrint's internals (reportpipe.weasy): the patch holds
only during a render, is undone afterwards (also after an error), refuses a WeasyPrint it
was not written for, and the fonts it subsets are valid, small and carry the text."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pydyf
import pymupdf
import pyphen
import pytest
import weasyprint
import weasyprint.pdf.fonts
from fontTools.ttLib import TTFont

from conftest import THEME, Built, run_cli
from reportpipe import weasy

FONT = THEME / "fonts" / "SourceSans3-Regular.otf"


def test_the_patch_holds_only_inside_and_is_undone_after_an_error() -> None:
    original = weasyprint.pdf.fonts.Font.subset
    before = os.environ.get("SOURCE_DATE_EPOCH")
    with weasy.patched(1447286400):
        assert weasyprint.pdf.fonts.Font.subset is weasy._subset
        assert os.environ["SOURCE_DATE_EPOCH"] == "1447286400"
    assert weasyprint.pdf.fonts.Font.subset is original
    assert os.environ.get("SOURCE_DATE_EPOCH") == before
    with pytest.raises(KeyError), weasy.patched(1):
        raise KeyError("a render that fails")
    assert weasyprint.pdf.fonts.Font.subset is original
    assert os.environ.get("SOURCE_DATE_EPOCH") == before


def test_pydyf_is_patched_only_inside_and_writes_the_same_bytes_serialising_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pydyf, asked for an identifier, computes every object's bytes twice (to write
    them, then to hash them): inside the patch each stream is compressed once, and the
    file is byte for byte what unpatched pydyf writes."""
    write, stream_data = pydyf.PDF.write, pydyf.Stream.__dict__["data"]
    document = weasyprint.HTML(string="<p>Jobbregionen Umeå, 12 november 2015</p>").render()
    compressed: list[int] = []
    compressobj = pydyf.zlib.compressobj

    def counted(*args: object, **kwargs: object) -> object:
        compressed.append(1)
        return compressobj(*args, **kwargs)

    monkeypatch.setattr(pydyf.zlib, "compressobj", counted)
    plain = document.write_pdf(pdf_identifier=b"0" * 32)
    twice = len(compressed)
    compressed.clear()
    with weasy.patched(0):
        assert pydyf.PDF.write is not write
        once = document.write_pdf(pdf_identifier=b"0" * 32)
    assert once == plain
    assert 0 < len(compressed) < twice
    assert pydyf.PDF.write is write and pydyf.Stream.__dict__["data"] is stream_data
    with pytest.raises(KeyError), weasy.patched(0):
        raise KeyError("a render that fails")
    assert pydyf.PDF.write is write


def test_page_references_are_listed_once_per_page_count_with_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WeasyPrint asks pydyf for the list of page references at every tagged item and
    link, and pydyf builds it anew each time: inside the patch it is built once per page
    count, and a tagged document of several pages with links between them is written
    byte for byte as before."""
    made: list[int] = []
    listed = pydyf.PDF.__dict__["page_references"]

    def counted(pdf: pydyf.PDF) -> tuple[bytes, ...]:
        made.append(1)
        result: tuple[bytes, ...] = listed.fget(pdf)
        return result

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counted))
    pages = "".join(
        f'<h1 id="p{n}" style="break-before: page">Scenario {n}</h1>'
        f'<p>Se <a href="#p{(n + 1) % 4}">nästa</a> och <a href="#p0">första</a>.</p>'
        for n in range(4)
    )
    document = weasyprint.HTML(string=f"<html lang=sv><title>x</title>{pages}").render(
        pdf_tags=True
    )
    plain = document.write_pdf(pdf_tags=True, pdf_identifier=b"0" * 32)
    each_use = len(made)
    made.clear()
    with weasy.patched(0):
        once = document.write_pdf(pdf_tags=True, pdf_identifier=b"0" * 32)
    assert len(document.pages) == 4
    assert once == plain
    assert each_use > 10 and len(made) <= 2
    assert pydyf.PDF.__dict__["page_references"].fget is counted  # undone


def test_hyphenation_patterns_load_ahead_into_pyphens_cache() -> None:
    path = pyphen.LANGUAGES[pyphen.language_fallback("sv")]
    pyphen.hdcache.pop(path, None)
    weasy.preload_hyphenation("sv-SE")
    assert path in pyphen.hdcache
    assert pyphen.Pyphen(lang="sv").hd is pyphen.hdcache[path]  # what WeasyPrint will find
    weasy.preload_hyphenation("tlh")  # no patterns for Klingon: nothing, no error


def test_another_weasyprint_major_version_is_refused() -> None:
    weasy.check_version("70.0")
    weasy.check_version("70.2")
    for other in ("69.0", "71.0", "700.1"):
        with pytest.raises(weasy.UnsupportedWeasyPrintError, match=f"WeasyPrint {other} is"):
            weasy.check_version(other)


def _render(text: str) -> bytes:
    css = weasyprint.CSS(
        string=f"@font-face {{ font-family: T; src: url({FONT.as_uri()}) }} body {{ font-family: T }}"
    )
    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf(stylesheets=[css])  # type: ignore[no-any-return]


def _embedded_fonts(pdf: bytes) -> list[bytes]:
    """The font programs embedded in `pdf`, one per font file."""
    with pymupdf.open(stream=pdf) as doc:
        xrefs = sorted({font[0] for page in doc for font in page.get_fonts()})
        return [doc.extract_font(xref)[3] for xref in xrefs]


def test_fonts_are_subset_by_harfbuzz_during_a_render(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    subset = weasy.harfbuzz_subset

    def counted(font: object, to_unicode: dict[int, object], hinting: bool) -> None:
        calls.append(len(to_unicode))
        subset(font, to_unicode, hinting)

    monkeypatch.setattr(weasy, "harfbuzz_subset", counted)
    with weasy.patched(0):
        pdf = _render("Jobbregionen Umeå")
    assert calls and calls[0] >= len(set("Jobbregionen Umeå"))
    (font,) = _embedded_fonts(pdf)
    whole = FONT.stat().st_size
    assert len(font) < whole / 10  # a subset, not the 330 KB font
    with pymupdf.open(stream=pdf) as doc:
        assert doc[0].get_text().strip() == "Jobbregionen Umeå"


def test_harfbuzz_subset_keeps_the_used_glyphs_at_their_ids() -> None:
    class Font:  # the attributes of weasyprint.pdf.fonts.Font that subsetting uses
        def __init__(self) -> None:
            self.file_content = FONT.read_bytes()
            self.index = 0
            self.missing: dict[int, int] = {}
            self.family = "Source Sans 3"

    whole = TTFont(FONT)
    cmap = whole.getBestCmap()
    order = whole.getGlyphOrder()
    used = {whole.getGlyphID(cmap[ord(c)]): c for c in "Åäöfi"}
    font = Font()
    weasy.harfbuzz_subset(font, used, hinting=False)
    subset = TTFont(io.BytesIO(font.file_content))
    assert "GSUB" not in subset and "GPOS" not in subset  # layout tables dropped
    assert subset["maxp"].numGlyphs == max(used) + 1  # ids kept: content streams use them
    charstrings = subset["CFF "].cff.topDictIndex[0].CharStrings
    glyphs = subset.getGlyphOrder()
    for gid in used:
        program = charstrings[glyphs[gid]]
        program.decompile()
        assert len(program.program) > 2, order[gid]  # an outline, not an empty glyph
    unused = next(g for g in range(1, max(used)) if g not in used)
    empty = charstrings[glyphs[unused]]
    empty.decompile()
    assert len(empty.program) <= 2  # an unused glyph keeps its id but loses its outline
    assert len(font.file_content) < FONT.stat().st_size / 5


def test_the_shipped_editions_embed_harfbuzz_subsets(built: Built) -> None:
    stamps = {TTFont(f)["head"].modified for f in FONT.parent.glob("*.otf")}
    for path in (built.screen, built.print):
        fonts = _embedded_fonts(path.read_bytes())
        assert len(fonts) == 4, path.name  # regular, italic, semibold, bold
        for data in fonts:
            font = TTFont(io.BytesIO(data))
            assert "GSUB" not in font and "GPOS" not in font
            # HarfBuzz keeps the font's own time stamp (fontTools would write the edition's)
            assert font["head"].modified in stamps
            assert len(data) < 60_000


def test_the_package_records_uharfbuzz_among_the_libraries_that_change_bytes() -> None:
    from reportpipe.state import LIBRARIES

    assert "uharfbuzz" in LIBRARIES
    assert Path(weasy.__file__).name == "weasy.py"


def test_a_build_with_another_weasyprint_stops_with_a_clear_error(
    built_copy: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    before = built_copy.screen.read_bytes()
    result = run_cli("build", "--force", "--project", str(built_copy.root))
    assert result.code == 2
    assert (
        "constraints.txt: error: reportpipe patches WeasyPrint 70.x internals (font subsetting) "
        "and WeasyPrint 71.0 is installed" in result.err
    )
    assert "Traceback" not in result.err
    assert built_copy.screen.read_bytes() == before
