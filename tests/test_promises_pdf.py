"""What render_pdf promises, tested on single renders in this process: the pictures it
reports as laid out, the findings it makes of what WeasyPrint says (where, how serious,
each once), the fetcher's refusals, the PDF/UA declaration of the archive edition, the
print edition's colour warnings and the version gate. (The mutation tests of pdf.py,
`nox -s mutants -- pdf`, showed these were only seen through whole builds, or not at all.)"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from conftest import MakeProject
from reportpipe.content import load_output_intent
from reportpipe.findings import Level
from reportpipe.fonts import vendored_families
from reportpipe.pdf import ARCHIVE, PRINT, SCREEN, PlacedPicture, Profile, Rendered, render_pdf
from reportpipe.project import open_project
from reportpipe.weasy import UnsupportedWeasyPrintError

SHOWN = "build/html/t.html"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<rect width="40" height="20" fill="#336699"/></svg>'
)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 100, 50)).save(out, "PNG")
    return out.getvalue()


def _render(
    root: Path,
    body: str,
    *,
    css: str = "",
    profile: Profile = SCREEN,
    sheets: tuple[str, ...] = ("report.css",),
) -> Rendered:
    """`body` rendered with the theme's report.css, then styles/t.css (`css`)."""
    project = open_project(root)
    fonts = [path for name, path in project.style_files().items() if name.startswith("fonts/")]
    (root / "styles").mkdir(exist_ok=True)
    (root / "styles" / "t.css").write_text(css or "p { color: #000000 }\n", "utf-8")
    html = f'<!DOCTYPE html><html lang="en"><head><title>T</title></head><body>{body}</body></html>'
    return render_pdf(
        html,
        root=root,
        stylesheets=[project.styles / name for name in (*sheets, "t.css")],
        profile=profile,
        epoch=1_000_000_000,
        identifier=b"0" * 32,
        shown_html=SHOWN,
        intent=load_output_intent(project) if profile.output_intent else None,
        fonts_allowed=vendored_families(fonts, project.roots),
    )


def _messages(rendered: Rendered) -> list[tuple[str, int | None, Level, str]]:
    return [(f.path, f.line, f.level, f.message) for f in rendered.findings]


def test_laid_out_raster_pictures_are_reported_with_page_and_drawn_size(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "source/wide.png": _png(400, 200),
            "source/dot.png": _png(1, 1),
            "source/flat.png": _png(50, 50),
            "source/shape.svg": SVG,
        }
    )
    rendered = _render(
        root,
        '<p><img src="source/wide.png" alt="w" style="width: 192px; height: 96px"></p>'
        '<p><img src="source/shape.svg" alt="s" style="width: 96px"></p>'
        '<p><img src="source/flat.png" alt="f" style="width: 96px; height: 0"></p>'
        '<p style="break-before: page"><img src="source/dot.png" alt="d" '
        'style="width: 1px; height: 1px"></p>',
    )
    assert rendered.findings == ()  # the SVG loads: served as image/svg+xml
    assert rendered.pages == 2
    assert rendered.pictures == (
        PlacedPicture("source/wide.png", 1, (2.0, 1.0), (400, 200)),
        PlacedPicture("source/dot.png", 2, (1 / 96, 1 / 96), (1, 1)),
    )


def test_a_stylesheet_mistake_is_a_warning_at_its_line_in_that_stylesheet(
    make_project: MakeProject,
) -> None:
    rendered = _render(
        make_project({}), "<p>Text</p>", css="p {\n  color: #000000;\n  colour: blue;\n}\n"
    )
    assert [(path, line, level) for path, line, level, _ in _messages(rendered)] == [
        ("styles/t.css", 3, Level.WARNING)
    ]
    assert "colour" in rendered.findings[0].message
    assert rendered.pdf.startswith(b"%PDF")


def test_a_picture_weasyprint_cannot_read_is_an_error_of_the_document(
    make_project: MakeProject,
) -> None:
    rendered = _render(
        make_project({"source/broken.png": b"not a picture at all"}),
        '<p><img src="source/broken.png" alt="b"></p>',
    )
    [(path, line, level, message)] = _messages(rendered)
    assert (path, line, level) == (SHOWN, None, Level.ERROR)
    assert message.startswith("WeasyPrint (screen): Failed to load image")


def test_a_refused_picture_is_said_once_with_its_reason_and_later_problems_still_count(
    make_project: MakeProject,
) -> None:
    root = make_project({"source/broken.png": b"not a picture at all"})
    (root.parent / "outside.png").write_bytes(_png(4, 4))
    rendered = _render(
        root,
        '<p><img src="../outside.png" alt="o"></p><p><img src="source/broken.png" alt="b"></p>',
    )
    found = _messages(rendered)
    assert len(found) == 2, found
    assert found[0][:3] == (SHOWN, None, Level.ERROR)
    assert "builds read only files inside the project" in found[0][3]
    assert found[1][:3] == (SHOWN, None, Level.ERROR)
    assert found[1][3].startswith("WeasyPrint (screen): Failed to load image")
    assert "broken.png" in found[1][3]


def test_data_urls_are_refused_like_the_network(make_project: MakeProject) -> None:
    rendered = _render(
        make_project({}), '<p><img src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E" alt="d"></p>'
    )
    [(path, _, level, message)] = _messages(rendered)
    assert (path, level) == (SHOWN, Level.ERROR)
    assert message.startswith("refused to load data:") and message.endswith("builds use no network")


def test_a_stylesheet_that_cannot_be_loaded_is_said_once_and_no_pdf_is_made(
    make_project: MakeProject,
) -> None:
    rendered = _render(make_project({}), "<p>Text</p>", sheets=("report.css", "missing.css"))
    assert _messages(rendered) == [(SHOWN, None, Level.ERROR, "file not found: styles/missing.css")]
    assert (rendered.pdf, rendered.pages) == (b"", 0)


def test_an_unsupported_weasyprint_is_one_error_at_the_lock_file(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise UnsupportedWeasyPrintError("WeasyPrint 1.0 is not supported")

    monkeypatch.setattr("reportpipe.pdf.check_version", refuse)
    rendered = _render(make_project({}), "<p>Text</p>")
    assert rendered == Rendered(pdf=b"", pages=0, findings=rendered.findings)
    assert _messages(rendered) == [
        ("constraints.txt", None, Level.ERROR, "WeasyPrint 1.0 is not supported")
    ]


def test_a_print_colour_without_a_cmyk_value_is_a_warning(make_project: MakeProject) -> None:
    rendered = _render(make_project({}), "<p>Text</p>", css="p { color: #123456 }\n", profile=PRINT)
    assert [m for m in _messages(rendered) if "#123456" in m[3]] == [
        (
            SHOWN,
            None,
            Level.WARNING,
            "print edition: colour #123456 has no CMYK value in the print stylesheet (a custom "
            "property with this value in report.css and a device-cmyk() one in print.css); it "
            "was converted by formula",
        )
    ]


def _xmp(pdf: bytes) -> str:
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object()
    return metadata.get_data().decode("utf-8")


def _attached(pdf: bytes) -> list[str]:
    return sorted(pypdf.PdfReader(io.BytesIO(pdf)).attachments)


def test_the_archive_edition_declares_pdf_ua_once_carries_its_sources_and_its_own_intent(
    make_project: MakeProject,
) -> None:
    from reportpipe.content import load_report
    from reportpipe.editions import render_editions, source_bundle

    root = make_project({})
    project = open_project(root)
    report = load_report(project).report
    sources = source_bundle(project, report)
    rendering = render_editions(
        project, report, [SCREEN, ARCHIVE], progress=lambda _: None, sources=sources, jobs=1
    )
    pdf = rendering.pdfs[ARCHIVE]
    xmp = _xmp(pdf)
    assert xmp.count('pdfuaid:part="1"') == 1
    assert xmp.count("<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>") == 1
    assert "pdfaid:part" in xmp
    assert xmp.index('pdfuaid:part="1"') < xmp.index("</rdf:RDF>")
    intents = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/OutputIntents"]
    identifiers = [str(i.get_object().get("/OutputConditionIdentifier")) for i in intents]
    print_intent = load_output_intent(project)
    assert print_intent is not None and print_intent.identifier not in identifiers
    assert _attached(pdf) == [sources.name]  # the archive carries its sources ...
    assert _attached(rendering.pdfs[SCREEN]) == []  # ... the screen edition does not
    screen = rendering.pdfs[SCREEN]  # PDF/UA-1 itself: no extension schema needed
    assert "pdfaExtension" not in _xmp(screen)


def test_a_font_outside_the_vendored_ones_is_an_error_naming_the_family(
    make_project: MakeProject,
) -> None:
    rendered = _render(
        make_project({}), "<p>Text</p>", css="p { font-family: 'DejaVu Sans', serif }\n"
    )
    errors = [m for m in _messages(rendered) if m[2] is Level.ERROR]
    assert errors and all(m[:2] == (SHOWN, None) for m in errors)
    assert any(m[3].startswith("screen edition uses the system font '") for m in errors)


def test_weasyprints_messages_become_findings_and_go_no_further(
    make_project: MakeProject, caplog: pytest.LogCaptureFixture
) -> None:
    """Kept from the root logger, where a handler (or Python's last resort, stderr) would
    print them a second time beside the findings."""
    caplog.set_level(logging.DEBUG)
    rendered = _render(make_project({}), "<p>Text</p>", css="p {\n  colour: blue;\n}\n")
    assert [m[:2] for m in _messages(rendered)] == [("styles/t.css", 2)]
    assert [r for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_the_fetcher_refuses_a_pipe_among_the_pictures(make_project: MakeProject) -> None:
    root = make_project({})
    os.mkfifo(root / "source" / "evil.png")
    rendered = _render(root, '<p><img src="source/evil.png" alt="e"></p>')
    assert _messages(rendered) == [
        (
            SHOWN,
            None,
            Level.ERROR,
            "refused to load source/evil.png: is not a regular file (a named pipe, socket or "
            "device); refused",
        )
    ]
