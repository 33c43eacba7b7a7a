"""Preflight of built PDFs: the shipped report passes, and each fault is found."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from conftest import Built
from pdfutil import page_texts
from reportpipe.checkconfig import PreflightConfig
from reportpipe.findings import Finding, Level
from reportpipe.preflight import PdfFacts, preflight

CONFIG = PreflightConfig()
A4_BOX = b"[0 0 595.276 841.89]"
A4_BLEED = b"[-8.504 -8.504 603.78 850.394]"  # 3 mm on every side


def check(
    pdf: Path, edition: str, config: PreflightConfig = CONFIG
) -> tuple[list[Finding], PdfFacts]:
    return preflight(pdf, shown="build/x.pdf", edition=edition, config=config)


def messages(findings: list[Finding], level: Level = Level.ERROR) -> list[str]:
    return [f.message for f in findings if f.level == level]


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def write_pdf(path: Path, objects: list[bytes], trailer: bytes = b"") -> Path:
    """A hand-written PDF with a correct xref; object 1 must be the catalog; `trailer`
    adds entries to the trailer (such as `/Info 7 0 R`)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    path.write_bytes(out)
    return path


def render(tmp_path: Path, name: str, html: str) -> Path:
    """A plain (untagged, no PDF/X) PDF made with WeasyPrint from `html`."""
    pdf = tmp_path / name
    weasyprint.HTML(string=html, base_url=str(tmp_path) + "/").write_pdf(pdf)
    return pdf


def picture_pdf(tmp_path: Path, pixels: int) -> Path:
    Image.new("RGB", (pixels, pixels), (200, 40, 40)).save(tmp_path / f"p{pixels}.png")
    html = f'<p>Text</p><img src="p{pixels}.png" alt="" style="width:40mm">'
    return render(tmp_path, f"p{pixels}.pdf", html)


# The shipped report


def test_shipped_editions_pass_preflight(built: Built) -> None:
    for pdf, edition in ((built.screen, "screen"), (built.print, "print")):
        findings, facts = check(pdf, edition)
        assert findings == [], edition
        assert facts.pages == len(page_texts(pdf))
        assert facts.bytes == pdf.stat().st_size
        assert facts.fonts
        assert all("Source-Sans-3" in font for font in facts.fonts), facts.fonts


# Pictures


def test_low_resolution_picture_fails_print_and_warns_on_screen(tmp_path: Path) -> None:
    pdf = picture_pdf(tmp_path, 60)  # 60 px over 40 mm: 38.1 dpi
    findings, facts = check(pdf, "print")
    [(page, name, dpi)] = facts.images
    assert page == 1
    assert dpi == pytest.approx(60 / (40 / 25.4), abs=1)
    [low] = [m for m in messages(findings) if "picture" in m]
    assert low.startswith(f"page 1: picture {name} (60 × 60 px) is only 38 dpi at its printed size")
    # 60 px over 40 mm: at 300 dpi that size needs 60 × 300 / 38.1 = 473 px
    assert "needs ≥ 300 for print" in low
    assert low.endswith(
        "at that size use an original of at least 473 × 473 px, or print it smaller"
    )

    findings, _ = check(pdf, "screen")
    [warned] = messages(findings, Level.WARNING)
    assert "is only 38 dpi at its shown size (should be ≥ 150 on screen)" in warned
    assert not [m for m in messages(findings) if "picture" in m]


def test_large_picture_passes(tmp_path: Path) -> None:
    pdf = picture_pdf(tmp_path, 2000)
    findings, facts = check(pdf, "print")
    [(_, _, dpi)] = facts.images
    assert dpi == pytest.approx(2000 / (40 / 25.4), abs=1)
    assert not [f for f in findings if "picture" in f.message]
    findings, _ = check(pdf, "screen")
    assert messages(findings, Level.WARNING) == []


def test_thresholds_come_from_the_config(tmp_path: Path) -> None:
    pdf = picture_pdf(tmp_path, 60)
    findings, _ = check(pdf, "print", PreflightConfig(min_print_dpi=30))
    assert not [m for m in messages(findings) if "picture" in m]


# Hand-written PDFs: fonts, Form XObjects, pages sharing one resource dictionary


def fonts_and_forms_pdf(path: Path) -> Path:
    """Two pages sharing one resource dictionary. Page 1 draws form Fm1 (scaled 2×, and
    the form's /Matrix halves it), which draws a 100 × 300 px image on 144 × 72 units and
    sets a Type0 font whose descendant is not embedded; the form also draws itself.
    Page 2 sets Helvetica (standard 14, not embedded)."""
    resources = b"<< /XObject << /Fm1 7 0 R >> /Font << /F1 8 0 R >> >>"
    form = b"q 144 0 0 72 0 0 cm /Im1 Do Q BT /F2 10 Tf (x) Tj ET /Fm1 Do"
    form_entries = (
        b"/Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [0.5 0 0 0.5 10 10] "
        b"/Resources << /XObject << /Im1 9 0 R /Fm1 7 0 R >> /Font << /F2 10 0 R >> >>"
    )
    image = b"/Type /XObject /Subtype /Image /Width 100 /Height 300 /ColorSpace /DeviceGray /BitsPerComponent 8"
    return write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>",
            b"<< /Type /Page /Parent 2 0 R /Resources 11 0 R /Contents 5 0 R >>",
            b"<< /Type /Page /Parent 2 0 R /Resources 11 0 R /Contents 6 0 R >>",
            stream(b"q 2 0 0 2 0 0 cm /Fm1 Do Q"),
            stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"),
            stream(form, form_entries),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(bytes(100 * 300), image),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSans /Encoding /Identity-H /DescendantFonts [12 0 R] >>",
            resources,
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSans /FontDescriptor 13 0 R "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
            b"<< /Type /FontDescriptor /FontName /NotoSans /Flags 32 /FontBBox [0 0 1000 1000] "
            b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>",
        ],
    )


def test_fonts_not_embedded_are_named_with_the_page_first_using_them(tmp_path: Path) -> None:
    findings, facts = check(fonts_and_forms_pdf(tmp_path / "fonts.pdf"), "other")
    assert facts.fonts == ("Helvetica", "NotoSans")
    assert messages(findings) == [
        "font Helvetica is not embedded (first used on page 2); use styles/fonts/",
        "font NotoSans is not embedded (first used on page 1); use styles/fonts/",
    ]
    assert all(f.path == "build/x.pdf" and f.line is None for f in findings)


def test_images_inside_forms_use_the_form_matrix(tmp_path: Path) -> None:
    # Drawn 144 × 72 units × 0.5 (form) × 2 (page) = 2 × 1 inches: min(100/2, 300/1) = 50 dpi;
    # only on page 1 although page 2 shares the resources.
    findings, facts = check(fonts_and_forms_pdf(tmp_path / "forms.pdf"), "print")
    assert facts.images == ((1, "Im1", 50.0),)
    assert (
        "page 1: picture Im1 (100 × 300 px) is only 50 dpi at its printed size (needs ≥ 300 for print); at that size use an original of at least 600 × 1800 px, or print it smaller"
        in messages(findings)
    )


# Print boxes and output intent


def test_screen_pdf_fails_print_checks(built: Built) -> None:
    findings, _ = check(built.screen, "print")
    pages = f"pages 1–{len(page_texts(built.screen))}"
    assert messages(findings)[:3] == [
        f"{pages}: bleed is only 0.0 mm on some side; set `bleed: 3mm`",
        f"{pages}: the MediaBox leaves only 0.0 mm outside the BleedBox: crop marks need a slug of ≥ 5 mm beyond the bleed; build it with the print profile",
        "no output intent (/OutputIntents); build it with the print profile (PDF/X-4)",
    ]
    rest = "\n".join(messages(findings)[3:])
    for problem in (
        f"{pages}: DeviceRGB colour (rg operator); PDF/X-4 prints CMYK, gray or ICC-based colour",
        "annotation(s) (links) inside the BleedBox; PDF/X allows none in the printed area",
        "Trapped is not set to True or False (document info /Trapped); PDF/X needs it",
        "the XMP metadata does not declare PDF/X-4 (GTS_PDFXVersion)",
    ):
        assert problem in rest


def boxes_pdf(path: Path, page_boxes: list[bytes], catalog: bytes = b"") -> Path:
    pages = b" ".join(b"%d 0 R" % (3 + i) for i in range(len(page_boxes)))
    return write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (pages, len(page_boxes)),
            *(b"<< /Type /Page /Parent 2 0 R %s >>" % boxes for boxes in page_boxes),
        ],
    )


@pytest.mark.parametrize(
    ("boxes", "problem"),
    [
        (b"/MediaBox [0 0 612 792]", "page 1: no TrimBox"),
        (
            b"/MediaBox [-23 -23 635 815] /TrimBox [0 0 612 792] /BleedBox [-8.6 -8.6 620.6 800.6]",
            "page 1: TrimBox is 612.0 × 792.0 pt, not A4",
        ),
        (b"/MediaBox [-9 -9 605 851] /TrimBox " + A4_BOX, "page 1: no BleedBox"),
        (
            b"/MediaBox [-23 -23 618 865] /TrimBox "
            + A4_BOX
            + b" /BleedBox [-5.67 -8.504 603.78 850.394]",
            "page 1: bleed is only 2.0 mm on some side",
        ),
        (
            b"/MediaBox " + A4_BOX + b" /TrimBox " + A4_BOX + b" /BleedBox " + A4_BLEED,
            "page 1: the MediaBox does not hold the BleedBox",
        ),
        (  # WeasyPrint's own sheet: exactly the bleed, no room for marks outside it
            b"/MediaBox " + A4_BLEED + b" /TrimBox " + A4_BOX + b" /BleedBox " + A4_BLEED,
            "page 1: the MediaBox leaves only 0.0 mm outside the BleedBox: crop marks need a slug of ≥ 5 mm",
        ),
    ],
)
def test_page_box_faults(tmp_path: Path, boxes: bytes, problem: str) -> None:
    findings, _ = check(boxes_pdf(tmp_path / "boxes.pdf", [boxes]), "print")
    assert [m for m in messages(findings) if m.startswith("page")] == [
        m for m in messages(findings) if m.startswith(problem)
    ]
    assert any(m.startswith(problem) for m in messages(findings))


def test_good_boxes_and_landscape_a4_pass(tmp_path: Path) -> None:
    portrait = b"/MediaBox [-25 -25 625 875] /TrimBox " + A4_BOX + b" /BleedBox " + A4_BLEED
    landscape = b"/MediaBox [-23 -23 865 619] /TrimBox [0 0 841.89 595.276] /BleedBox [-8.504 -8.504 850.394 603.78]"
    findings, _ = check(boxes_pdf(tmp_path / "ok.pdf", [portrait, landscape]), "print")
    assert not [m for m in messages(findings) if "Box" in m or "bleed" in m]


def test_output_intent_faults(tmp_path: Path) -> None:
    boxes = b"/MediaBox " + A4_BLEED + b" /TrimBox " + A4_BOX + b" /BleedBox " + A4_BLEED
    rgb = stream(bytes(16) + b"RGB " + bytes(20))
    for intents, problem in (
        (b"/OutputIntents [<< /S /GTS_PDFA1 >>]", "no PDF/X output intent (/S /GTS_PDFX)"),
        (b"/OutputIntents [<< /S /GTS_PDFX >>]", "the PDF/X output intent has no ICC profile"),
        (
            b"/OutputIntents [<< /S /GTS_PDFX /DestOutputProfile 4 0 R >>]",
            "the output intent profile is RGB, not CMYK",
        ),
    ):
        path = write_pdf(
            tmp_path / "intent.pdf",
            [
                b"<< /Type /Catalog /Pages 2 0 R %s >>" % intents,
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R %s >>" % boxes,
                rgb,
            ],
        )
        findings, _ = check(path, "print")
        assert next(m for m in messages(findings) if "intent" in m).startswith(problem)


# Screen edition


def test_untagged_pdf_fails_screen_checks(tmp_path: Path) -> None:
    findings, _ = check(render(tmp_path, "plain.pdf", "<p>Plain</p>"), "screen")
    errors = messages(findings)
    for problem in (
        "not marked as tagged (/MarkInfo /Marked)",
        "no structure tree (/StructTreeRoot)",
        "no document language (/Lang)",
        "viewers are not told to show the title (/ViewerPreferences)",
        "no document title (Info /Title or XMP dc:title)",
        'the XMP metadata does not declare PDF/UA-1 (pdfuaid:part="1")',
    ):
        assert f"{problem}; build it with the screen profile (tagged PDF/UA-1)" in errors
    assert len(errors) == 6


def test_print_pdf_passes_screen_checks_it_shares(built: Built) -> None:
    # The print edition is tagged too, but does not claim PDF/UA-1.
    findings, _ = check(built.print, "screen")
    assert messages(findings) == [
        'the XMP metadata does not declare PDF/UA-1 (pdfuaid:part="1"); build it with the screen profile (tagged PDF/UA-1)'
    ]


def test_size_warning(built: Built) -> None:
    findings, facts = check(built.screen, "screen", PreflightConfig(max_screen_mb=0.01))
    mb = facts.bytes / 2**20
    assert [(f.level, f.message) for f in findings] == [
        (
            Level.WARNING,
            f"build/x.pdf is {mb:.1f} MB; it is sent by e-mail: keep it under 0.01 MB (smaller pictures)",
        )
    ]
    assert check(built.print, "print", PreflightConfig(max_screen_mb=0.01))[0] == []


# Unreadable files


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a PDF at all\n" * 20, b"%PDF-1.7\n" + bytes(range(256)) * 4],
    ids=["empty", "text", "garbage"],
)
def test_unreadable_pdf_is_an_error_finding(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    for edition in ("screen", "print"):
        findings, facts = check(path, edition)
        [finding] = findings
        assert finding.level == Level.ERROR
        assert finding.message.startswith("cannot be read as a PDF (")
        assert facts == PdfFacts(0, len(content), (), ())


def test_missing_and_truncated_pdfs_do_not_raise(tmp_path: Path, built: Built) -> None:
    [missing], _ = check(tmp_path / "nope.pdf", "screen")
    assert missing.message.startswith("cannot be read as a PDF (FileNotFoundError")
    truncated = tmp_path / "truncated.pdf"
    data = built.screen.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    findings, _ = check(truncated, "screen")  # half the objects are gone
    assert messages(findings)
