"""Every place reportpipe reaches into WeasyPrint's internals, in one module.

WeasyPrint has no public option for how fonts are subset: `Font.subset` in
`weasyprint/pdf/fonts.py` uses the system's libharfbuzz-subset when the machine has it and
falls back to fontTools otherwise (a warning says the fallback will go). Either way the
bytes of a PDF would depend on what the machine happens to have installed, and the
fontTools path is most of a build's time (it decompiles the fonts' GPOS/GSUB tables).

reportpipe therefore replaces `Font.subset`, *only while one of its renders runs*
(`patched()`, a context manager that restores the original afterwards), by HarfBuzz's
subsetter from the pinned `uharfbuzz` wheel, which bundles its own HarfBuzz: the same
calls and options as WeasyPrint's own HarfBuzz path, the same subsetter on every machine,
and bytes fixed by the lock file.

`patched()` also makes pydyf serialise each PDF object once per write: `PDF.write`
asked for an identifier (reportpipe always gives one) computes every object's bytes a
second time to hash them, recompressing every stream at zlib level 9 (about 8 % of an
edition's time). The bytes written are the same; they are only not computed twice.

The replacement was written against WeasyPrint 70
(`SUPPORTED`); `patched()` refuses any other major version, so a WeasyPrint bump is a
deliberate step: read `Font.subset` / `Font._harfbuzz_subset` again, then raise it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pydyf
import pyphen
import uharfbuzz as hb
import weasyprint
import weasyprint.pdf.fonts
from weasyprint.logger import LOGGER

#: The WeasyPrint major version whose `Font.subset` this module replaces.
SUPPORTED = 70

#: Tables WeasyPrint drops when it subsets (its list in `Font._harfbuzz_subset`): a PDF
#: viewer draws glyphs by id, so layout tables are dead weight.
DROP_TABLES = (
    "BASE",
    "DSIG",
    "EBDT",
    "EBLC",
    "EBSC",
    "GPOS",
    "GSUB",
    "JSTF",
    "LTSH",
    "PCLT",
    "SVG ",
)

Flags = hb.SubsetFlags


class UnsupportedWeasyPrintError(RuntimeError):
    """The installed WeasyPrint is not the one this module was written against."""


def check_version(version: str | None = None) -> None:
    """Refuse a WeasyPrint whose internals this module has not been checked against."""
    found = version if version is not None else weasyprint.__version__
    major = found.split(".", 1)[0]
    if major != str(SUPPORTED):
        raise UnsupportedWeasyPrintError(
            f"reportpipe patches WeasyPrint {SUPPORTED}.x internals (font subsetting) and "
            f"WeasyPrint {found} is installed; install the version pinned in constraints.txt"
        )


def _subset_input(glyphs: list[int], flags: Any, drop: bool) -> Any:
    plan = hb.SubsetInput()
    plan.glyph_set.update(glyphs)
    plan.flags = flags
    if drop:
        plan.drop_table_tag_set.update(int.from_bytes(tag.encode(), "big") for tag in DROP_TABLES)
    return plan


def harfbuzz_subset(font: Any, to_unicode: dict[int, Any], hinting: bool) -> None:
    """Subset `font` (a `weasyprint.pdf.fonts.Font`) to the glyph ids of `to_unicode`, as
    WeasyPrint's own HarfBuzz path does, with the HarfBuzz of the uharfbuzz wheel.

    Two passes, like WeasyPrint's: first keep the used glyphs at their ids and drop the
    layout tables, then keep ids 0..max so the font's glyph ids stay those the content
    streams use, and apply the hinting choice."""
    if not to_unicode:
        return
    notdef = Flags.NOTDEF_OUTLINE if font.missing else Flags(0)
    face = hb.Face(hb.Blob(font.file_content), font.index)
    first = _subset_input(
        sorted(to_unicode),
        Flags.RETAIN_GIDS | Flags.PASSTHROUGH_UNRECOGNIZED | Flags.DESUBROUTINIZE | notdef,
        drop=True,
    )
    face = hb.subset(face, first)
    if face is not None:
        second = _subset_input(
            list(range(max(to_unicode) + 1)),
            Flags.PASSTHROUGH_UNRECOGNIZED
            | Flags.DESUBROUTINIZE
            | (Flags(0) if hinting else Flags.NO_HINTING)
            | notdef,
            drop=True,
        )
        face = hb.subset(face, second)
    data = bytes(face.blob.data) if face is not None else b""
    if data:
        font.file_content = data
        return
    LOGGER.warning('Unable to subset "%s" with HarfBuzz', font.family)


def _subset(font: Any, to_unicode: dict[int, Any], hinting: bool) -> None:
    harfbuzz_subset(font, to_unicode, hinting)


def preload_hyphenation(lang: str) -> None:
    """Parse the hyphenation patterns of `lang` now (about 80 ms for Swedish or English)
    rather than at the first word WeasyPrint hyphenates. WeasyPrint asks pyphen for
    `pyphen.language_fallback(lang)`, and pyphen keeps each parsed dictionary for the
    process (`pyphen.hdcache`), so the render finds it ready."""
    found = pyphen.language_fallback(lang)
    if found:
        pyphen.Pyphen(lang=found)


@contextlib.contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """fontTools, which WeasyPrint still uses for variable and colour fonts, stamps the
    time in `head` from SOURCE_DATE_EPOCH when it is set."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


#: pydyf's serialisable classes whose `data` property `_serialised_once` remembers.
_SERIALISED = (pydyf.Stream, pydyf.Dictionary, pydyf.Array)


def _remembered(compute: Any, stamp: Callable[[Any], object] = lambda obj: None) -> property:
    """A property that computes its value once per object and keeps it while `stamp` of
    the object stays the same (the object is kept too, so its id is not reused)."""
    kept: dict[int, tuple[object, object, Any]] = {}

    def get(obj: Any) -> Any:
        now = stamp(obj)
        known = kept.get(id(obj))
        if known is not None and known[0] is obj and known[1] == now:
            return known[2]
        value = compute(obj)
        kept[id(obj)] = (obj, now, value)
        return value

    return property(get)


def _serialised_once(write: Any) -> Any:
    """`pydyf.PDF.write` with each object's bytes computed at most once during the call.
    Nothing changes an object while it is written, so the bytes are the same."""

    def write_once(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        properties = {cls: cls.__dict__["data"] for cls in _SERIALISED}
        for cls, prop in properties.items():
            cls.data = _remembered(prop.fget)
        try:
            return write(pdf, *args, **kwargs)
        finally:
            for cls, prop in properties.items():
                cls.data = prop

    return write_once


def _page_count(pdf: Any) -> int:
    """What tells that pydyf's list of page references is stale: pages are only added."""
    return len(pdf.pages["Kids"])


@contextlib.contextmanager
def patched(epoch: int) -> Iterator[None]:
    """Inside: fonts are subset with HarfBuzz from the uharfbuzz wheel, pydyf serialises
    each object once per write and lists the page references once per page count, and
    SOURCE_DATE_EPOCH is `epoch`. Outside, WeasyPrint and pydyf are exactly as they were
    imported."""
    check_version()
    font_class = weasyprint.pdf.fonts.Font
    original = font_class.__dict__["subset"]
    font_class.subset = _subset
    write = pydyf.PDF.__dict__["write"]
    pydyf.PDF.write = _serialised_once(write)
    references = pydyf.PDF.__dict__["page_references"]
    # pydyf builds the tuple of every page's reference anew at each use, and WeasyPrint
    # uses it for every tagged item and link: quadratic in pages (measured: 4.0 s of a
    # 63 s edition of 434 pages, 71,315 lists made). Made once per page count instead.
    pydyf.PDF.page_references = _remembered(references.fget, stamp=_page_count)
    try:
        with _source_date_epoch(epoch):
            yield
    finally:
        font_class.subset = original
        pydyf.PDF.write = write
        pydyf.PDF.page_references = references
