"""The print edition as a print shop gets it: CMYK only, no link annotations, and crop
marks in a slug outside the bleed (printready.py)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pymupdf
import pypdf
import pytest
import weasyprint
from PIL import Image

from conftest import Built
from pdfutil import outline_titles
from reportpipe.pdfx import annotation_problems, colour_problems
from reportpipe.printready import MM, PrintReady, make_print_ready, palette, to_cmyk

A4 = (595.276, 841.89)
BLEED, SLUG = 3 * MM, 10 * MM
_LINE = re.compile(rb"(-?[\d.]+) (-?[\d.]+) m (-?[\d.]+) (-?[\d.]+) l")


def boxes(page: pypdf.PageObject) -> dict[str, list[float]]:
    return {k: [float(v) for v in page[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox")}


def test_boxes_trim_bleed_and_slug(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    for page in reader.pages:
        box = boxes(page)
        assert box["/TrimBox"] == pytest.approx([0, 0, *A4], abs=0.01)
        assert box["/BleedBox"] == pytest.approx(
            [-BLEED, -BLEED, A4[0] + BLEED, A4[1] + BLEED], abs=0.01
        )
        reach = BLEED + SLUG
        assert box["/MediaBox"] == pytest.approx(
            [-reach, -reach, A4[0] + reach, A4[1] + reach], abs=0.01
        )


def test_no_annotations_but_bookmarks_stay(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    assert all("/Annots" not in page for page in reader.pages)
    assert list(annotation_problems(reader)) == []
    assert outline_titles(built.print) == outline_titles(built.screen) != []
    screen = pypdf.PdfReader(built.screen)
    assert sum(len(p.get("/Annots", [])) for p in screen.pages) > 0  # the screen keeps links


def test_only_cmyk_and_figures_in_the_print_stylesheet_inks(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    assert list(colour_problems(reader)) == []
    with pymupdf.open(built.print) as doc:
        streams = b"\n".join(doc.xref_stream(x) or b"" for x in range(1, doc.xref_length()))
    assert not re.search(rb"(^|\s)[\d.]+ [\d.]+ [\d.]+ (rg|RG)(\s|$)", streams)
    # the cross's axes and arrows: --accent of print.css, not a conversion of #1f4e79
    assert b"0.95 0.6 0.1 0.35 K" in streams
    assert b"0.8 0.1 0.75 0.15 k" in streams  # --accent-2 (emblems)


def test_crop_marks_sit_in_the_slug_in_registration_colour(built: Built) -> None:
    reader = pypdf.PdfReader(built.print)
    for page in reader.pages:
        box = boxes(page)
        first = page["/Contents"][0].get_object().get_data()
        assert first.startswith(b"/Artifact BMC") and b"1 1 1 1 K" in first
        lines = [tuple(map(float, m)) for m in _LINE.findall(first)]
        assert len(lines) == 8  # two at each corner
        x0, y0, x1, y1 = box["/TrimBox"]
        b0, c0, b1, c1 = box["/BleedBox"]
        m0, n0, m1, n1 = box["/MediaBox"]
        for ax, ay, bx, by in lines:
            for x, y in ((ax, ay), (bx, by)):
                assert m0 <= x <= m1 and n0 <= y <= n1  # on the sheet
                assert not (b0 < x < b1 and c0 < y < c1)  # never over the bleed
            if ay == by:  # horizontal: on a trim line, beyond the bleed to the side
                assert min(abs(ay - y0), abs(ay - y1)) < 0.001
                assert min(abs(ax - x0), abs(ax - x1), abs(bx - x0), abs(bx - x1)) >= BLEED
            else:
                assert ax == bx and min(abs(ax - x0), abs(ax - x1)) < 0.001
                assert min(abs(ay - y0), abs(ay - y1), abs(by - y0), abs(by - y1)) >= BLEED


def test_marks_render_outside_the_bleeding_cover(built: Built) -> None:
    """On the cover (whose background bleeds), the bottom-left trim line: cover colour in
    the bleed, the mark's ink beyond it, paper where there is no mark."""
    zoom = 4
    with pymupdf.open(built.print) as doc:
        page = doc[0]
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
        media = page.mediabox  # PyMuPDF: top-left origin, MediaBox size

        def pixel(x_mm: float, y_mm: float) -> tuple[int, ...]:
            """A point given in mm from the trim's bottom-left corner (PDF coordinates)."""
            reach = BLEED + SLUG
            x = (x_mm * MM + reach) * zoom
            y = (media.height - (y_mm * MM + reach)) * zoom
            return tuple(pixmap.pixel(round(x), round(y)))

        def darkest(x_mm: float, y_mm: float) -> int:
            """The darkest channel value near a point (a hairline is antialiased)."""
            near = [(x_mm + dx / 10, y_mm + dy / 10) for dx in range(-3, 4) for dy in range(-3, 4)]
            return min(max(pixel(x, y)) for x, y in near)

        cover = pixel(5, 5)
        assert pixel(-1.5, 0) == cover  # in the bleed, on the trim line: background, no mark
        assert darkest(-7, 0) < 128  # the horizontal mark: dark ink (a hairline, antialiased)
        assert darkest(0, -7) < 128  # the vertical mark
        assert darkest(-7, 2) > 240  # beside the mark: paper
        assert min(pixel(-7, -7)) > 240  # slug without a mark: paper
        assert max(cover) - min(cover) > 40  # the cover is coloured, not paper or black


def test_the_cover_has_no_page_number_anywhere_on_the_sheet(built: Built) -> None:
    """The cover carries no page furniture: no "Sida 1 av 12", not even outside the
    trim, in the bleed and slug, where it would cross the crop mark; the pages after it
    are numbered."""
    for path in (built.print, built.screen):
        with pymupdf.open(path) as doc:
            everywhere = pymupdf.Rect(-1e4, -1e4, 1e4, 1e4)
            assert "Sida" not in doc[0].get_text(clip=everywhere)
            assert [f"Sida {n} av {len(doc)}" in doc[n - 1].get_text() for n in (2, 3)] == [
                True,
                True,
            ]


def test_palette_pairs_screen_colours_with_print_inks() -> None:
    inks = palette(
        [
            ":root { --ink: #1a1a1a; --accent: #1F4E79; --tint: #abc; --only-screen: #123456; }",
            "/* --accent: device-cmyk(1 1 1 1) */ :root { --accent: device-cmyk(0.95 0.6 0.1 35%);"
            " --ink: device-cmyk(0 0 0 0.9); --tint: device-cmyk(0.07, 0.03, 0, 0); }",
        ]
    )
    assert inks == {
        (0x1A, 0x1A, 0x1A): (0.0, 0.0, 0.0, 0.9),
        (0x1F, 0x4E, 0x79): (0.95, 0.6, 0.1, 0.35),
        (0xAA, 0xBB, 0xCC): (0.07, 0.03, 0.0, 0.0),
    }
    assert to_cmyk((0x1F, 0x4E, 0x79), inks) == ((0.95, 0.6, 0.1, 0.35), True)
    assert to_cmyk((255, 255, 255), inks) == ((0.0, 0.0, 0.0, 0.0), True)  # paper
    assert to_cmyk((0, 0, 0), inks) == ((0.0, 0.0, 0.0, 1.0), True)  # black ink only
    assert to_cmyk((255, 0, 0), inks) == ((0.0, 1.0, 1.0, 0.0), False)  # by formula


def test_rgb_pictures_are_tagged_srgb_and_odd_colours_converted(tmp_path: Path) -> None:
    """What the shipped report does not have: an RGB photo and a colour outside the palette."""
    Image.new("RGB", (8, 8), (200, 40, 40)).save(tmp_path / "foto.png")
    html = (
        "<style>@page { size: A4; bleed: 3mm }</style><p style='color: rgb(10, 120, 30)'>Text</p>"
        '<img src="foto.png" alt="Foto">'
        '<svg width="40" height="40"><rect width="40" height="40" fill="#ff8000"/></svg>'
    )
    report: list[PrintReady] = []

    def finish(document: object, pdf: object) -> None:
        report.append(make_print_ready(pdf, {(255, 128, 0): (0.0, 0.5, 1.0, 0.0)}))

    path = tmp_path / "print.pdf"
    weasyprint.HTML(string=html, base_url=f"{tmp_path}/").write_pdf(path, finisher=finish)
    [done] = report
    assert done.unmatched == {(10, 120, 30)}  # the text colour: by formula, and reported
    reader = pypdf.PdfReader(path)
    assert list(colour_problems(reader)) == []
    [image] = [
        x.get_object()
        for x in reader.pages[0]["/Resources"]["/XObject"].values()
        if x.get_object()["/Subtype"] == "/Image"
    ]
    space = image["/ColorSpace"]
    assert space[0] == "/ICCBased" and space[1].get_object()["/N"] == 3
    srgb = (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()
    assert space[1].get_object().get_data() == srgb  # WeasyPrint's sRGB profile
    assert b"0 0.5 1 0 k" in reader.pages[0].get_contents().get_data()  # the palette's ink
