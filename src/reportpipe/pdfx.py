"""PDF/X-4 (ISO 15930-7) rules we can check ourselves, with pypdf: there is no free PDF/X
validator. Each function yields problems as sentences for preflight's findings.

- no DeviceRGB (uncalibrated RGB) in any content stream, form, pattern, shading, picture
  or inline image (ICC-based RGB is allowed: the RIP converts it with the output intent);
- `Trapped` set (True or False) in the document info and in the XMP;
- `GTS_PDFXVersion` in the XMP;
- no annotations inside the BleedBox (printer's marks and trap networks excepted);
- transparency groups name their colour space (/CS).

Boxes, output intent and fonts are checked in preflight.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream, IndirectObject

_GTS_PDFX4 = re.compile(r"GTS_PDFXVersion(?:>\s*|=[\"'])PDF/X-4")
_XMP_TRAPPED = re.compile(r"pdf:Trapped(?:>\s*|=[\"'])(True|False)")
_ALLOWED_ANNOTATIONS = ("/PrinterMark", "/TrapNet")
_RGB_OPERATORS = (b"rg", b"RG")


def _obj(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(container: Any, key: str) -> Any:
    container = _obj(container)
    return _obj(container.get(key)) if isinstance(container, dict) else None


def _key(value: Any) -> int:
    ref = getattr(value, "indirect_reference", None)
    return ref.idnum if ref is not None else id(value)


def device_rgb(space: Any, resources: Any = None) -> bool:
    """Whether a colour space is (or is based on) DeviceRGB."""
    space = _obj(space)
    if isinstance(space, str):
        if space in ("/DeviceRGB", "/RGB"):
            return True
        named = _get(_get(resources, "/ColorSpace"), space)
        return named is not None and device_rgb(named)
    if isinstance(space, list) and space:
        family = _obj(space[0])
        if family in ("/Indexed", "/I") and len(space) > 1:
            return device_rgb(space[1], resources)
        if family in ("/Separation", "/DeviceN") and len(space) > 2:
            return device_rgb(space[2], resources)
        if family == "/Pattern" and len(space) > 1:
            return device_rgb(space[1], resources)
    return False


class _Colours:
    """Walks content streams (pages, forms, tiling patterns, Type3 glyphs) and the objects
    they use, noting on which page DeviceRGB is painted and by what."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.found: dict[str, list[int]] = {}  # what -> pages
        self._done: set[tuple[int, int]] = set()

    def note(self, what: str, page: int) -> None:
        pages = self.found.setdefault(what, [])
        if page not in pages:
            pages.append(page)

    def page(self, number: int, page: Any) -> None:
        contents = page.get_contents()
        ops = [] if contents is None else contents.operations
        self._run(number, ops, _get(page, "/Resources"))
        group = _get(page, "/Group")
        self._group(number, group, "page")

    def _group(self, number: int, group: Any, where: str) -> None:
        if _get(group, "/S") != "/Transparency":
            return
        space = _get(group, "/CS")
        if space is None:
            self.note(f"a transparency group ({where}) without a colour space (/CS)", number)
        elif device_rgb(space):
            self.note(f"a transparency group ({where}) in DeviceRGB", number)

    def _stream(self, number: int, stream: Any, res: Any) -> None:
        key = (number, _key(stream))
        if key in self._done:
            return
        self._done.add(key)
        ops = list(ContentStream(stream, self.reader).operations)
        self._run(number, ops, _get(stream, "/Resources") or res)

    def _run(self, number: int, ops: list[tuple[Any, bytes]], res: Any) -> None:
        for operands, op in ops:
            if op in _RGB_OPERATORS:
                self.note(f"DeviceRGB colour ({op.decode()} operator)", number)
            elif op in (b"cs", b"CS") and operands and device_rgb(operands[0], res):
                self.note("DeviceRGB colour space (cs operator)", number)
            elif op in (b"scn", b"SCN") and operands and isinstance(operands[-1], str):
                self._pattern(number, _get(_get(res, "/Pattern"), operands[-1]), res)
            elif op == b"sh" and operands:
                self._shading(number, _get(_get(res, "/Shading"), operands[0]))
            elif op == b"Do" and operands:
                self._xobject(number, _get(_get(res, "/XObject"), operands[0]), res)
            elif op == b"Tf" and operands:
                font = _get(_get(res, "/Font"), operands[0])
                if _get(font, "/Subtype") == "/Type3":
                    for glyph in (_get(font, "/CharProcs") or {}).values():
                        self._stream(number, _obj(glyph), _get(font, "/Resources") or res)
            elif op == b"INLINE IMAGE":
                settings = operands.get("settings") if isinstance(operands, dict) else None
                space = _get(settings, "/CS") or _get(settings, "/ColorSpace")
                if space is not None and device_rgb(space, res):
                    self.note("a DeviceRGB inline image", number)

    def _pattern(self, number: int, pattern: Any, res: Any) -> None:
        if _get(pattern, "/PatternType") == 1:
            self._stream(number, pattern, res)
        elif _get(pattern, "/PatternType") == 2:
            self._shading(number, _get(pattern, "/Shading"))

    def _shading(self, number: int, shading: Any) -> None:
        if shading is not None and device_rgb(_get(shading, "/ColorSpace")):
            self.note("a DeviceRGB shading (gradient)", number)

    def _xobject(self, number: int, xobject: Any, res: Any) -> None:
        subtype = _get(xobject, "/Subtype")
        if subtype == "/Image":
            if device_rgb(_get(xobject, "/ColorSpace"), res):
                self.note("a DeviceRGB image", number)
        elif subtype == "/Form":
            self._group(number, _get(xobject, "/Group"), "form")
            self._stream(number, xobject, res)


def _pages(numbers: list[int]) -> str:
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"pages {numbers[0]}–{numbers[-1]}"
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(map(str, numbers))


def colour_problems(reader: PdfReader) -> Iterator[str]:
    walker = _Colours(reader)
    for number, page in enumerate(reader.pages, 1):
        walker.page(number, page)
    for what, pages in walker.found.items():
        hint = (
            "give it a colour space (/CS)"
            if "/CS" in what
            else "PDF/X-4 prints CMYK, gray or ICC-based colour: build it with the print profile"
        )
        yield f"{_pages(pages)}: {what}; {hint}"


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _rect(value: Any) -> list[float] | None:
    value = _obj(value)
    if not isinstance(value, list) or len(value) != 4:
        return None
    n = [float(_obj(x)) for x in value]
    return [min(n[0::2]), min(n[1::2]), max(n[0::2]), max(n[1::2])]


def annotation_problems(reader: PdfReader) -> Iterator[str]:
    counts: dict[int, int] = {}
    for number, page in enumerate(reader.pages, 1):
        printed = _rect(_get(page, "/BleedBox")) or _rect(_get(page, "/TrimBox"))
        printed = printed or _rect(page.mediabox)
        for annotation in _get(page, "/Annots") or []:
            annotation = _obj(annotation)
            if _get(annotation, "/Subtype") in _ALLOWED_ANNOTATIONS:
                continue
            rect = _rect(_get(annotation, "/Rect"))
            if printed is None or rect is None or _overlaps(rect, printed):
                counts[number] = counts.get(number, 0) + 1
    if counts:
        total = sum(counts.values())
        yield (
            f"{_pages(sorted(counts))}: {total} annotation(s) (links) inside the BleedBox; "
            "PDF/X allows none in the printed area: build it with the print profile"
        )


def metadata_problems(reader: PdfReader, xmp: str) -> Iterator[str]:
    trapped = _get(_get(reader.trailer, "/Info"), "/Trapped")
    if str(trapped) not in ("/True", "/False"):
        yield "Trapped is not set to True or False (document info /Trapped); PDF/X needs it"
    elif not (match := _XMP_TRAPPED.search(xmp)) or f"/{match[1]}" != str(trapped):
        yield "the XMP metadata does not say pdf:Trapped as the document info does"
    if not _GTS_PDFX4.search(xmp):
        yield "the XMP metadata does not declare PDF/X-4 (GTS_PDFXVersion)"


def pdfx_problems(reader: PdfReader, xmp: str) -> Iterator[str]:
    """Every PDF/X-4 problem of this module, in a stable order."""
    yield from colour_problems(reader)
    yield from annotation_problems(reader)
    yield from metadata_problems(reader, xmp)
