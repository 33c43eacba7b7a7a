"""Preflight of a built PDF with pypdf: fonts embedded, pictures sharp enough, and what the
edition's profile needs (PDF/X-4 boxes with a slug, output intent, and the rules of
pdfx.py; PDF/UA-1 tags and metadata). Fonts
and pictures come from running the content streams: WeasyPrint's pages share one resource dict."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pypdf import PdfReader
from pypdf.generic import BooleanObject, ContentStream, IndirectObject

from reportpipe.checkconfig import PreflightConfig
from reportpipe.findings import Finding, error, warning
from reportpipe.pdfx import pdfx_problems

# pypdf logs what it repairs in damaged files; the findings say it once, in our words.
logging.getLogger("pypdf").addHandler(logging.NullHandler())
logging.getLogger("pypdf").propagate = False

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 with x0 <= x1, y0 <= y1
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MM = 72 / 25.4
A4 = (595.276, 841.89)
MIN_SLUG = 5 * MM  # sheet beyond the bleed, for the crop marks
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_PDFUA1 = re.compile(r"""pdfuaid:part\s*=\s*["']1["']|<pdfuaid:part>\s*1\s*<""")
_DC_TITLE = re.compile(r"<dc:title>(?:(?!</dc:title>).)*?<rdf:li[^>]*>\s*[^<\s]", re.DOTALL)
Ops = list[tuple[Any, bytes]]


@dataclass(frozen=True)
class PdfFacts:  # what preflight measured, for the report and the JSON output
    pages: int
    bytes: int
    fonts: tuple[str, ...]  # base font names
    images: tuple[tuple[int, str, float], ...]  # (page number 1-based, image name, effective dpi)


def _obj(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(container: Any, key: str) -> Any:
    container = _obj(container)
    return _obj(container.get(key)) if isinstance(container, dict) else None


def _numbers(value: Any, count: int) -> list[float] | None:
    value = _obj(value)
    ok = isinstance(value, list) and len(value) == count
    return [float(_obj(x)) for x in value] if ok else None


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n: m applied first, then n (PDF's row-vector convention)."""
    (a, b, c, d, e, f), (p, q, r, s) = m, n[:4]
    x, y = e * p + f * r + n[4], e * q + f * s + n[5]
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, x, y)


def _rect(value: Any) -> Rect | None:
    n = _numbers(value, 4)
    return None if n is None else (min(n[0::2]), min(n[1::2]), max(n[0::2]), max(n[1::2]))


class _Walker:
    """Runs content streams with the CTM and records the fonts set and the images drawn."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.fonts: dict[str, tuple[int, bool]] = {}  # base font -> (first page, embedded)
        self.images: dict[tuple[int, str, float], tuple[int, int]] = {}  # -> pixel size
        self._parsed: dict[int, Ops] = {}  # forms drawn more than once

    def page(self, number: int, page: Any) -> None:
        contents, u = page.get_contents(), float(_get(page, "/UserUnit") or 1.0)
        ops = [] if contents is None else contents.operations
        self._run(number, ops, _get(page, "/Resources"), (u, 0.0, 0.0, u, 0.0, 0.0), frozenset())

    def _run(self, number: int, ops: Ops, res: Any, ctm: Matrix, seen: frozenset[int]) -> None:
        saved: list[Matrix] = []
        for operands, op in ops:
            if op == b"q":
                saved.append(ctm)
            elif op == b"Q" and saved:
                ctm = saved.pop()
            elif op == b"cm" and (m := _numbers(operands, 6)) is not None:
                ctm = _mul(cast(Matrix, tuple(m)), ctm)
            elif op == b"Tf" and operands:
                self._font(number, _get(_get(res, "/Font"), operands[0]))
            elif op == b"Do" and operands:
                xobject = _get(_get(res, "/XObject"), operands[0])
                if _get(xobject, "/Subtype") == "/Image":
                    self._image(number, str(operands[0]).lstrip("/"), xobject, ctm)
                elif _get(xobject, "/Subtype") == "/Form":
                    self._form(number, xobject, res, ctm, seen)
            elif op == b"INLINE IMAGE":
                settings = operands.get("settings")
                size = {"/Width": _get(settings, "/W"), "/Height": _get(settings, "/H")}
                self._image(number, "(inline image)", size, ctm)

    def _form(self, number: int, form: Any, res: Any, ctm: Matrix, seen: frozenset[int]) -> None:
        key = getattr(getattr(form, "indirect_reference", None), "idnum", id(form))
        if key in seen:  # a form that draws itself
            return
        if key not in self._parsed:
            self._parsed[key] = list(ContentStream(form, self.reader).operations)
        matrix = _numbers(_get(form, "/Matrix"), 6)
        ctm = _mul(IDENTITY if matrix is None else cast(Matrix, tuple(matrix)), ctm)
        res = _get(form, "/Resources") or res  # old forms use the resources they are drawn with
        self._run(number, self._parsed[key], res, ctm, seen | {key})

    def _image(self, number: int, name: str, image: Any, ctm: Matrix) -> None:
        pixels = (_get(image, "/Width"), _get(image, "/Height"))
        drawn = (math.hypot(ctm[0], ctm[1]) / 72, math.hypot(ctm[2], ctm[3]) / 72)  # inches
        if all(isinstance(n, int) for n in pixels) and min(drawn) > 1e-6:
            dpi = min(pixels[0] / drawn[0], pixels[1] / drawn[1])
            self.images.setdefault((number, name, round(dpi, 1)), pixels)

    def _font(self, number: int, font: Any) -> None:
        if not isinstance(font, dict):
            return
        subtype = font.get("/Subtype")
        name = str(_get(font, "/BaseFont") or _get(font, "/Name") or "(unnamed)").lstrip("/")
        kids = _get(font, "/DescendantFonts") if subtype == "/Type0" else [font]
        descriptor = _get(kids[0] if isinstance(kids, list) and kids else None, "/FontDescriptor")
        files = isinstance(descriptor, dict) and any(k in descriptor for k in _FONT_FILES)
        first, so_far = self.fonts.get(name, (0, True))
        self.fonts[name] = (first or number, so_far and (files or subtype == "/Type3"))
        if subtype == "/Type3" and not first:  # its glyph procedures may set other fonts
            for inner in (_get(_get(font, "/Resources"), "/Font") or {}).values():
                self._font(number, _obj(inner))


def _enough(width: int, height: int, dpi: float, wanted: float) -> str:
    """The pixel size that is enough at the size the picture is printed now."""
    scale = wanted / dpi
    return f"an original of at least {math.ceil(width * scale)} × {math.ceil(height * scale)} px"


def _pages(numbers: list[int]) -> str:
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"pages {numbers[0]}–{numbers[-1]}"
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(map(str, numbers))


def _xmp(reader: PdfReader) -> str:
    stream = _get(reader.trailer["/Root"], "/Metadata")
    return stream.get_data().decode("utf-8", "replace") if hasattr(stream, "get_data") else ""


def _box_problems(page: Any) -> list[str]:
    trim, bleed = _rect(_get(page, "/TrimBox")), _rect(_get(page, "/BleedBox"))
    media = _rect(page.mediabox)  # pypdf follows a MediaBox inherited from the page tree
    if trim is None:
        return ["no TrimBox; the print edition needs the trimmed A4 page as TrimBox"]
    problems = []
    w, h = trim[2] - trim[0], trim[3] - trim[1]
    if not any(abs(w - a) <= 0.5 and abs(h - b) <= 0.5 for a, b in (A4, A4[::-1])):
        problems.append(f"TrimBox is {w:.1f} × {h:.1f} pt, not A4; set `size: A4` on @page")
    if bleed is None:
        return [*problems, "no BleedBox; set `bleed: 3mm` on @page in styles/print.css"]
    if (reach := _reach(trim, bleed)) < 3 * MM - 0.1:
        problems.append(f"bleed is only {reach / MM:.1f} mm on some side; set `bleed: 3mm`")
    if media is None or _reach(bleed, media) < -0.01:
        problems.append("the MediaBox does not hold the BleedBox; make the sheet hold the bleed")
    elif (slug := _reach(bleed, media)) < MIN_SLUG - 0.01:
        problems.append(
            f"the MediaBox leaves only {slug / MM:.1f} mm outside the BleedBox: crop marks "
            f"need a slug of ≥ {MIN_SLUG / MM:.0f} mm beyond the bleed; build it with the "
            "print profile"
        )
    return problems


def _reach(inner: Rect, outer: Rect) -> float:
    """How far `outer` reaches beyond `inner` on its narrowest side (negative: falls short)."""
    return min(inner[0] - outer[0], inner[1] - outer[1], outer[2] - inner[2], outer[3] - inner[3])


def _check_print(reader: PdfReader) -> Iterator[str]:
    by_problem: dict[str, list[int]] = {}
    for number, page in enumerate(reader.pages, 1):
        for problem in _box_problems(page):
            by_problem.setdefault(problem, []).append(number)
    for problem, numbers in by_problem.items():
        yield f"{_pages(numbers)}: {problem}"
    intents = _get(reader.trailer["/Root"], "/OutputIntents")
    pdfx = [i for i in map(_obj, intents or []) if _get(i, "/S") == "/GTS_PDFX"]
    profile = _get(pdfx[0], "/DestOutputProfile") if pdfx else None
    if not intents:
        yield "no output intent (/OutputIntents); build it with the print profile (PDF/X-4)"
    elif not pdfx:
        yield "no PDF/X output intent (/S /GTS_PDFX); build it with the print profile (PDF/X-4)"
    elif profile is None or not hasattr(profile, "get_data"):
        yield "the PDF/X output intent has no ICC profile (/DestOutputProfile); add a CMYK one"
    elif (space := bytes(profile.get_data()[16:20])) != b"CMYK":
        shown = space.decode("latin-1").strip() or "unknown"
        yield f"the output intent profile is {shown}, not CMYK; use the printer's CMYK profile"
    for problem in pdfx_problems(reader, _xmp(reader)):  # colours, annotations, metadata
        yield problem


def _check_screen(reader: PdfReader) -> Iterator[str]:
    root, xmp = reader.trailer["/Root"], _xmp(reader)
    marked = _get(_get(root, "/MarkInfo"), "/Marked") == BooleanObject(True)
    shows_title = _get(_get(root, "/ViewerPreferences"), "/DisplayDocTitle") == BooleanObject(True)
    title = str(_get(_get(reader.trailer, "/Info"), "/Title") or "").strip()
    for ok, problem in (
        (marked, "not marked as tagged (/MarkInfo /Marked)"),
        (_get(root, "/StructTreeRoot") is not None, "no structure tree (/StructTreeRoot)"),
        (str(_get(root, "/Lang") or "").strip(), "no document language (/Lang)"),
        (shows_title, "viewers are not told to show the title (/ViewerPreferences)"),
        (title or _DC_TITLE.search(xmp), "no document title (Info /Title or XMP dc:title)"),
        (_PDFUA1.search(xmp), 'the XMP metadata does not declare PDF/UA-1 (pdfuaid:part="1")'),
    ):
        if not ok:
            yield f"{problem}; build it with the screen profile (tagged PDF/UA-1)"


def preflight(
    pdf: Path,
    *,
    shown: str,
    edition: str,
    config: PreflightConfig,
    names: Mapping[str, str] | None = None,
) -> tuple[list[Finding], PdfFacts]:
    """Check one built PDF. `edition` is "screen" or "print"; other editions get only the
    checks all share (fonts embedded, pictures measured). `names` maps image XObject
    names to the pictures' source paths (stableurls.image_names). Never raises for a
    bad PDF."""
    findings: list[Finding] = []

    def say(message: str, level: Callable[[str, None, str], Finding] = error) -> None:
        findings.append(level(shown, None, message))

    try:
        size = pdf.stat().st_size
        reader = PdfReader(pdf)
        walker = _Walker(reader)
        for number, page in enumerate(reader.pages, 1):
            walker.page(number, page)
        profile_checks = {"print": _check_print, "screen": _check_screen}.get(edition)
        problems = list(profile_checks(reader)) if profile_checks else []
    except Exception as exc:  # a damaged PDF can make pypdf raise nearly anything
        say(f"cannot be read as a PDF ({type(exc).__name__}: {exc}); build it again")
        return findings, PdfFacts(0, pdf.stat().st_size if pdf.is_file() else 0, (), ())
    for problem in problems:
        say(problem)
    for font, (first, embedded) in sorted(walker.fonts.items()):
        if not embedded:
            say(f"font {font} is not embedded (first used on page {first}); use styles/fonts/")
    for (number, name, dpi), (w, h) in walker.images.items():
        source = (names or {}).get(name, name)
        said = f"page {number}: picture {source} ({w} × {h} px) is only {dpi:.0f} dpi at its"
        if edition == "print" and dpi < config.min_print_dpi:
            need = f"needs ≥ {config.min_print_dpi:g} for print"
            enough = _enough(w, h, dpi, config.min_print_dpi)
            say(f"{said} printed size ({need}); at that size use {enough}, or print it smaller")
        elif edition == "screen" and dpi < config.warn_screen_dpi:
            need = f"should be ≥ {config.warn_screen_dpi:g} on screen"
            enough = _enough(w, h, dpi, config.warn_screen_dpi)
            say(
                f"{said} shown size ({need}); at that size use {enough}, or show it smaller",
                warning,
            )
    if edition == "screen" and size > config.max_screen_mb * 2**20:
        limit = f"keep it under {config.max_screen_mb:g} MB (smaller pictures)"
        say(f"{shown} is {size / 2**20:.1f} MB; it is sent by e-mail: {limit}", warning)
    facts = PdfFacts(len(reader.pages), size, tuple(sorted(walker.fonts)), tuple(walker.images))
    return findings, facts
