"""The print edition made ready for a print shop (PDF/X-4), on WeasyPrint's objects before
they are written (so the bytes stay as reproducible as the rest of the PDF):

- every RGB colour a content stream paints (`rg`/`RG`: the SVG figures and pictures, whose
  colours are sRGB) becomes CMYK. A colour that `styles/report.css` names as a custom
  property (`--accent: #1f4e79`) takes the CMYK value the print stylesheet gives the same
  property (`--accent: device-cmyk(…)`), so figures print in the inks the text uses;
  neutral greys become black ink only; anything else is converted by formula and reported;
- RGB raster pictures are tagged with WeasyPrint's sRGB ICC profile (PDF/X-4 allows
  ICC-based colour; the RIP converts them with the output intent);
- link annotations are removed (nothing to click on paper; bookmarks stay);
- the sheet (MediaBox) grows by a slug around the BleedBox, and crop marks are drawn in that
  slug in registration colour (all four inks), offset from the trim by more than the bleed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pydyf

MM = 72 / 25.4
SLUG = 10 * MM  # sheet beyond the BleedBox, where the marks go
MARK_GAP = 1 * MM  # marks start this far outside the bleed
MARK_LENGTH = 6 * MM
MARK_WIDTH = 0.25  # pt

CMYK = tuple[float, float, float, float]
RGB = tuple[int, int, int]

_RGB_OP = re.compile(rb"([0-9.]+) ([0-9.]+) ([0-9.]+) (rg|RG)")
_HEX_PROPERTY = re.compile(r"--([\w-]+)\s*:\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\s*[;}]")
_CMYK_PROPERTY = re.compile(
    r"--([\w-]+)\s*:\s*device-cmyk\(\s*([0-9.]+%?)[\s,]+([0-9.]+%?)[\s,]+([0-9.]+%?)"
    r"[\s,]+([0-9.]+%?)\s*\)"
)


def _channel(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _rgb(hex_digits: str) -> RGB:
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    value = int(hex_digits, 16)
    return (value >> 16, (value >> 8) & 0xFF, value & 0xFF)


def palette(stylesheets: Iterable[str]) -> dict[RGB, CMYK]:
    """sRGB colour -> CMYK, for each custom property given as `#rrggbb` in one stylesheet
    and as `device-cmyk()` in another (later stylesheets win, as in CSS)."""
    hexes: dict[str, RGB] = {}
    inks: dict[str, CMYK] = {}
    for text in stylesheets:
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
        hexes.update((m[1], _rgb(m[2])) for m in _HEX_PROPERTY.finditer(text))
        for m in _CMYK_PROPERTY.finditer(text):
            c, m_, y, k = (_channel(m[i]) for i in range(2, 6))
            inks[m[1]] = (c, m_, y, k)
    return {rgb: inks[name] for name, rgb in hexes.items() if name in inks}


def to_cmyk(rgb: RGB, known: dict[RGB, CMYK]) -> tuple[CMYK, bool]:
    """The CMYK value for an sRGB colour, and whether it came from the palette or is
    neutral (False: converted by formula, which a print shop may not like)."""
    if rgb in known:
        return known[rgb], True
    r, g, b = (v / 255 for v in rgb)
    if rgb[0] == rgb[1] == rgb[2]:
        return (0.0, 0.0, 0.0, round(1 - r, 4)), True
    k = 1 - max(r, g, b)
    c, m, y = ((1 - v - k) / (1 - k) for v in (r, g, b))
    return (round(c, 4), round(m, 4), round(y, 4), round(k, 4)), False


def _number(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text or "0").encode()


@dataclass
class PrintReady:
    """What was changed, for the build's findings."""

    unmatched: set[RGB] = field(default_factory=set)  # converted by formula
    annotations: int = 0
    pages: int = 0


def _recolour(stream: Any, known: dict[RGB, CMYK], done: PrintReady) -> None:
    chunks = getattr(stream, "stream", None)
    if not isinstance(chunks, list):
        return
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, bytes) or len(chunk) > 64:
            continue
        match = _RGB_OP.fullmatch(chunk.strip())
        if match is None:
            continue
        rgb = tuple(round(min(1.0, float(match[n])) * 255) for n in (1, 2, 3))
        cmyk, ok = to_cmyk((rgb[0], rgb[1], rgb[2]), known)
        if not ok:
            done.unmatched.add((rgb[0], rgb[1], rgb[2]))
        operator = b"K" if match[4] == b"RG" else b"k"
        chunks[i] = b" ".join([*(_number(v) for v in cmyk), operator])


def _marks(trim: list[float], bleed: float) -> bytes:
    """Crop marks at the four corners of `trim`, in the slug beyond the bleed."""
    x0, y0, x1, y1 = trim
    start, end = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
    lines = []
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            lines.append((x + sx * start, y, x + sx * end, y))  # horizontal, on the trim line
            lines.append((x, y + sy * start, x, y + sy * end))  # vertical
    path = b" ".join(b"%s %s m %s %s l" % tuple(_number(v) for v in line) for line in lines)
    return b"/Artifact BMC q %s w 0 J [] 0 d 1 1 1 1 K %s S Q EMC\n" % (_number(MARK_WIDTH), path)


def make_print_ready(pdf: Any, known: dict[RGB, CMYK]) -> PrintReady:
    """Change WeasyPrint's `pdf` (a pydyf.PDF, in a finisher) as the module doc says."""
    done = PrintReady()
    srgb: Any = None
    for obj in list(pdf.objects):
        if not isinstance(obj, pydyf.Stream):
            continue
        extra = obj.extra
        if extra.get("Subtype") == "/Image":
            if extra.get("ColorSpace") == "/DeviceRGB":
                if srgb is None:
                    icc = (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()
                    srgb = pydyf.Stream([icc], pydyf.Dictionary({"N": 3}), compress=True)
                    pdf.add_object(srgb)
                extra["ColorSpace"] = pydyf.Array(("/ICCBased", srgb.reference))
            continue
        skipped = extra.get("Type") in ("/Metadata", "/EmbeddedFile", "/XRef", "/ObjStm")
        if skipped or any(key in extra for key in ("N", "Length1", "Length2", "Length3")):
            continue  # ICC profiles, fonts, metadata, attachments: no painting operators
        _recolour(obj, known, done)
    for number in pdf.pages["Kids"][::3]:
        page = pdf.objects[number]
        done.pages += 1
        annotations = page.pop("Annots", None)
        done.annotations += len(annotations or ())
        trim = [float(v) for v in page.get("TrimBox", page["MediaBox"])]
        bleed_box = [float(v) for v in page.get("BleedBox", trim)]
        bleed = min(trim[0] - bleed_box[0], trim[1] - bleed_box[1])
        bleed = min(bleed, bleed_box[2] - trim[2], bleed_box[3] - trim[3])
        x0, y0, x1, y1 = bleed_box
        page["MediaBox"] = pydyf.Array(
            [float(_number(v)) for v in (x0 - SLUG, y0 - SLUG, x1 + SLUG, y1 + SLUG)]
        )
        marks = pydyf.Stream([_marks(trim, bleed)])
        pdf.add_object(marks)
        contents = page["Contents"]
        old = list(contents) if isinstance(contents, pydyf.Array | list) else [contents]
        page["Contents"] = pydyf.Array([marks.reference, *old])
    return done
