"""Picture files, inspected before WeasyPrint ever opens them.

A picture must be what its name says (PNG, JPEG, GIF, WebP or SVG), non-empty, whole,
and within the limits below; a decompression bomb (a small file that decodes to billions
of pixels) is refused from its header, without decoding it.
"""

from __future__ import annotations

import difflib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as defused_fromstring
from PIL import Image, UnidentifiedImageError

from reportpipe import gate

#: Limits in force (documented in the README's security section).
MAX_PICTURE_BYTES = 20 * 1024 * 1024
MAX_PICTURE_PIXELS = 50_000_000  # 50 megapixels: A4 at 600 dpi is 35 MP
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
VECTOR = ".svg"


def picture_problem(path: Path, roots: Sequence[Path]) -> str | None:
    """What is wrong with the picture file at `path` (read through the gate), or None."""
    suffix = path.suffix.lower()
    if suffix not in RASTER_FORMATS and suffix != VECTOR:
        kinds = ", ".join(sorted({*RASTER_FORMATS, VECTOR}))
        return f"pictures must be one of {kinds}"
    try:
        data = gate.read(path, roots, limit=MAX_PICTURE_BYTES)
    except gate.Refusal as exc:
        if "the limit is" in str(exc):
            size = path.stat().st_size
            return (
                f"the picture is {size / 2**20:.0f} MB; the limit is "
                f"{MAX_PICTURE_BYTES // 2**20} MB"
            )
        return str(exc)
    if not data:
        return "the picture file is empty"
    if suffix == VECTOR:
        return _svg_problem(data)
    return _raster_problem(io.BytesIO(data), RASTER_FORMATS[suffix])


_HREFS = ("href", "{http://www.w3.org/1999/xlink}href", "src")
_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def _svg_problem(data: bytes) -> str | None:
    try:
        # defusedxml: no entity declarations (billion laughs), no external entities or DTDs
        root = defused_fromstring(data)
    except ParseError as exc:
        return f"not a well-formed SVG file ({exc})"
    except DefusedXmlException as exc:
        return f"an SVG file must not declare entities or load external ones ({exc})"
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        return f"an SVG file must have <svg> as its root, not <{root.tag}>"
    return _svg_reference(root)


def _svg_reference(root: ET.Element) -> str | None:
    """Pictures inside an SVG are refused: an SVG may refer only to its own parts
    (`#id`). A file or `data:` picture inside it would escape the picture limits and
    the credit check, which apply to the pictures the content lists."""
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        for name in _HREFS:
            target = (element.get(name) or "").strip()
            if target and not target.startswith("#"):
                return (
                    f"the SVG refers to {_short(target)!r} in <{tag}>; pictures inside an SVG "
                    "are refused (list each picture in the content, with its credit)"
                )
        styles = [element.get("style") or ""]
        if tag == "style":
            styles.append(element.text or "")
        for style in styles:
            for match in _URL.finditer(style):
                if not match.group(1).startswith("#"):
                    return (
                        f"the SVG's style refers to {_short(match.group(1))!r}; an SVG may "
                        "refer only to its own parts (#id)"
                    )
            if "@import" in style:
                return "the SVG's style imports another file; refused"
    return None


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _raster_problem(path: io.BytesIO, expected: str) -> str | None:
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


def missing_picture(base: Path, reference: str, shown_folder: str) -> str:
    """The message for a picture reference, relative to `base`, that names no file: it
    says the file is missing and suggests the nearest picture file name there is."""
    kinds = {*RASTER_FORMATS, VECTOR}
    candidates = sorted(
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.suffix.lower() in kinds
    )
    message = f"picture file {reference!r} is missing from {shown_folder}"
    nearest = difflib.get_close_matches(reference, candidates, n=1, cutoff=0.6)
    return f"{message}; did you mean {nearest[0]!r}?" if nearest else message
