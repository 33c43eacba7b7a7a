"""Picture files, inspected before WeasyPrint ever opens them.

A picture must be what its name says (PNG, JPEG, GIF, WebP or SVG), non-empty, whole,
and within the limits below; a decompression bomb (a small file that decodes to billions
of pixels) is refused from its header, without decoding it.
"""

from __future__ import annotations

from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import parse as parse_xml
from PIL import Image, UnidentifiedImageError

#: Limits in force (documented in the README's security section).
MAX_PICTURE_BYTES = 20 * 1024 * 1024
MAX_PICTURE_PIXELS = 50_000_000  # 50 megapixels: A4 at 600 dpi is 35 MP
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
VECTOR = ".svg"


def picture_problem(path: Path) -> str | None:
    """What is wrong with the picture file at `path`, or None."""
    suffix = path.suffix.lower()
    if suffix not in RASTER_FORMATS and suffix != VECTOR:
        kinds = ", ".join(sorted({*RASTER_FORMATS, VECTOR}))
        return f"pictures must be one of {kinds}"
    size = path.stat().st_size
    if size == 0:
        return "the picture file is empty"
    if size > MAX_PICTURE_BYTES:
        return f"the picture is {size / 2**20:.0f} MB; the limit is {MAX_PICTURE_BYTES // 2**20} MB"
    if suffix == VECTOR:
        return _svg_problem(path)
    return _raster_problem(path, RASTER_FORMATS[suffix])


def _svg_problem(path: Path) -> str | None:
    try:
        # defusedxml: no entity declarations (billion laughs), no external entities or DTDs
        root = parse_xml(path).getroot()
    except ParseError as exc:
        return f"not a well-formed SVG file ({exc})"
    except DefusedXmlException as exc:
        return f"an SVG file must not declare entities or load external ones ({exc})"
    tag = root.tag if root is not None else "nothing"
    if tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        return f"an SVG file must have <svg> as its root, not <{tag}>"
    return None


def _raster_problem(path: Path, expected: str) -> str | None:
    try:
        with Image.open(path) as image:
            found = image.format
            width, height = image.size
            if found != expected:
                return f"the file is {found}, not what its name says ({expected})"
            if width * height > MAX_PICTURE_PIXELS:
                return (
                    f"the picture is {width} × {height} pixels; the limit is "
                    f"{MAX_PICTURE_PIXELS // 1_000_000} megapixels"
                )
            image.verify()
    except Image.DecompressionBombError:
        return (
            "the picture decodes to far more pixels than its file size suggests (a "
            f"decompression bomb); the limit is {MAX_PICTURE_PIXELS // 1_000_000} megapixels"
        )
    except UnidentifiedImageError:
        return f"not a readable {expected} picture"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"the picture is damaged or truncated ({exc})"
    return None
