"""PDF/X-4 rules of preflight (pdfx.py): a hand-written print PDF that passes, and for each
rule a PDF that breaks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_preflight import A4_BLEED, A4_BOX, check, messages, stream, write_pdf

GOOD_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/" '
    b'xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>'
    b"<pdf:Trapped>False</pdf:Trapped></rdf:Description></rdf:RDF></x:xmpmeta>"
)
CMYK_PROFILE = stream(bytes(16) + b"CMYK" + bytes(20))
RGB_PROFILE = stream(bytes(16) + b"RGB " + bytes(20), b"/N 3")


def print_pdf(
    path: Path,
    *,
    content: bytes = b"0 0 0 1 k 0 0 100 100 re f",
    resources: bytes = b"<< >>",
    page: bytes = b"",
    objects: tuple[bytes, ...] = (),  # numbered from 8
    xmp: bytes = GOOD_XMP,
    info: bytes = b"/Trapped /False",
    media: bytes = b"[-40 -40 636 882]",
) -> Path:
    intent = b"<< /Type /OutputIntent /S /GTS_PDFX /OutputConditionIdentifier (FOGRA39) /DestOutputProfile 4 0 R >>"
    return write_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R /OutputIntents [%s] /Metadata 5 0 R >>" % intent,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox %s /TrimBox %s /BleedBox %s /Resources %s /Contents 6 0 R %s >>"
            % (media, A4_BOX, A4_BLEED, resources, page),
            CMYK_PROFILE,
            stream(xmp, b"/Type /Metadata /Subtype /XML"),
            stream(content),
            b"<< /Title (X) %s >>" % info,
            *objects,
        ],
        trailer=b"/Info 7 0 R",
    )


def test_a_clean_print_pdf_passes(tmp_path: Path) -> None:
    # CMYK and gray painting, an ICC-based RGB picture, a link in the slug, a printer's mark
    pdf = print_pdf(
        tmp_path / "ok.pdf",
        content=b"0 0 0 1 K 0.5 g 0.1 0.2 0.3 0.4 k 0 0 10 10 re f q 0.5 0 0 0.5 0 0 cm /Im Do Q",
        resources=b"<< /XObject << /Im 8 0 R >> >>",
        page=b"/Annots [10 0 R 11 0 R] /Group << /S /Transparency /CS /DeviceCMYK >>",
        objects=(
            stream(
                bytes(3 * 16),
                b"/Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 /ColorSpace [/ICCBased 9 0 R]",
            ),
            RGB_PROFILE,
            b"<< /Type /Annot /Subtype /Link /Rect [-35 -35 -20 -20] >>",
            b"<< /Type /Annot /Subtype /PrinterMark /Rect [100 100 200 200] >>",
        ),
    )
    findings, _ = check(pdf, "print")
    assert messages(findings) == []


RGB_HINT = "; PDF/X-4 prints CMYK, gray or ICC-based colour: build it with the print profile"
FORM = b"/Type /XObject /Subtype /Form /BBox [0 0 10 10]"


@pytest.mark.parametrize(
    ("content", "resources", "objects", "problem"),
    [
        (b"1 0 0 rg 0 0 10 10 re f", b"<< >>", (), "DeviceRGB colour (rg operator)"),
        (b"0 0 1 RG 0 0 m 10 10 l S", b"<< >>", (), "DeviceRGB colour (RG operator)"),
        (
            b"/Fm Do",
            b"<< /XObject << /Fm 8 0 R >> >>",
            (stream(b"/DeviceRGB cs 1 0 0 sc 0 0 5 5 re f", FORM),),
            "DeviceRGB colour space (cs operator)",
        ),
        (
            b"/CS0 cs 1 sc 0 0 5 5 re f",
            b"<< /ColorSpace << /CS0 [/Indexed /DeviceRGB 1 <000000FFFFFF>] >> >>",
            (),
            "DeviceRGB colour space (cs operator)",
        ),
        (
            b"q 0.5 0 0 0.5 0 0 cm /Im Do Q",
            b"<< /XObject << /Im 8 0 R >> >>",
            (
                stream(
                    bytes(3 * 16),
                    b"/Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 /ColorSpace /DeviceRGB",
                ),
            ),
            "a DeviceRGB image",
        ),
        (
            b"/Sh sh",
            b"<< /Shading << /Sh 8 0 R >> >>",
            (
                b"<< /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 1 0] "
                b"/Function << /FunctionType 2 /Domain [0 1] /C0 [0 0 0] /C1 [1 1 1] /N 1 >> >>",
            ),
            "a DeviceRGB shading (gradient)",
        ),
        (
            b"/Pattern cs /P scn 0 0 10 10 re f",
            b"<< /Pattern << /P 8 0 R >> >>",
            (
                stream(
                    b"1 0 0 rg 0 0 1 1 re f",
                    b"/PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 1 1] /XStep 1 /YStep 1 /Resources << >>",
                ),
            ),
            "DeviceRGB colour (rg operator)",
        ),
        (
            b"q 0.1 0 0 0.1 0 0 cm BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI Q",
            b"<< >>",
            (),
            "a DeviceRGB inline image",
        ),
    ],
    ids=["rg", "RG", "cs-in-form", "indexed", "picture", "shading", "pattern", "inline"],
)
def test_device_rgb_anywhere_is_found(
    tmp_path: Path, content: bytes, resources: bytes, objects: tuple[bytes, ...], problem: str
) -> None:
    pdf = print_pdf(tmp_path / "rgb.pdf", content=content, resources=resources, objects=objects)
    findings, _ = check(pdf, "print")
    assert messages(findings) == [f"page 1: {problem}{RGB_HINT}"]


def test_transparency_group_without_colour_space(tmp_path: Path) -> None:
    pdf = print_pdf(tmp_path / "group.pdf", page=b"/Group << /S /Transparency >>")
    findings, _ = check(pdf, "print")
    assert messages(findings) == [
        "page 1: a transparency group (page) without a colour space (/CS); give it a colour space (/CS)"
    ]


def test_annotations_inside_the_bleed_box(tmp_path: Path) -> None:
    pdf = print_pdf(
        tmp_path / "links.pdf",
        page=b"/Annots [8 0 R 9 0 R]",
        objects=(
            b"<< /Type /Annot /Subtype /Link /Rect [100 100 200 120] >>",
            b"<< /Type /Annot /Subtype /Link /Rect [-20 -20 -5 -5] >>",  # reaches into the bleed
        ),
    )
    findings, _ = check(pdf, "print")
    assert messages(findings) == [
        "page 1: 2 annotation(s) (links) inside the BleedBox; PDF/X allows none in the printed area: build it with the print profile"
    ]


@pytest.mark.parametrize(
    ("xmp", "info", "problem"),
    [
        (
            GOOD_XMP,
            b"",
            "Trapped is not set to True or False (document info /Trapped); PDF/X needs it",
        ),
        (
            GOOD_XMP,
            b"/Trapped /Unknown",
            "Trapped is not set to True or False (document info /Trapped); PDF/X needs it",
        ),
        (
            GOOD_XMP.replace(b"<pdf:Trapped>False</pdf:Trapped>", b""),
            b"/Trapped /False",
            "the XMP metadata does not say pdf:Trapped as the document info does",
        ),
        (
            GOOD_XMP.replace(b"PDF/X-4</pdfxid", b"PDF/X-3</pdfxid"),
            b"/Trapped /False",
            "the XMP metadata does not declare PDF/X-4 (GTS_PDFXVersion)",
        ),
    ],
    ids=["no-trapped", "trapped-unknown", "xmp-trapped", "no-pdfx-version"],
)
def test_metadata_faults(tmp_path: Path, xmp: bytes, info: bytes, problem: str) -> None:
    findings, _ = check(print_pdf(tmp_path / "meta.pdf", xmp=xmp, info=info), "print")
    assert messages(findings) == [problem]


def test_no_slug_for_the_marks(tmp_path: Path) -> None:
    findings, _ = check(print_pdf(tmp_path / "slug.pdf", media=A4_BLEED), "print")
    assert messages(findings) == [
        "page 1: the MediaBox leaves only 0.0 mm outside the BleedBox: crop marks need a slug of ≥ 5 mm beyond the bleed; build it with the print profile"
    ]
