"""The fonts a project vendors, so a build can prove no system font slipped in."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTFont, TTLibError

from reportpipe import gate

FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")
#: Read with HarfBuzz (milliseconds); WOFF and WOFF2 are compressed, so fontTools reads them.
_SFNT_SUFFIXES = (".otf", ".ttf")
_FAMILY_NAMES = (1, 16)


def _sfnt(path: Path, data: bytes) -> hb.Face | None:
    """The font as a HarfBuzz face, or None when fontTools must read it (WOFF, or data
    HarfBuzz does not take as a font: it gives an empty face rather than an error)."""
    if path.suffix.lower() not in _SFNT_SUFFIXES:
        return None
    face = hb.Face(data)
    return face if face.glyph_count else None


def _families(path: Path, data: bytes) -> set[str]:
    face = _sfnt(path, data)
    if face is not None:
        return {
            name
            for entry in face.list_names()
            if entry.name_id in _FAMILY_NAMES
            and (name := face.get_name(entry.name_id, entry.language))
        }
    with TTFont(io.BytesIO(data), lazy=True) as font:
        return {r.toUnicode() for r in font["name"].names if r.nameID in _FAMILY_NAMES}


def vendored_families(paths: list[Path], roots: Sequence[Path]) -> frozenset[str]:
    """Family names (name IDs 1 and 16) of every font file among `paths`, each read
    through the gate (a font that is a pipe, a device or a link out is skipped here;
    WeasyPrint's fetcher refuses it when a stylesheet uses it)."""
    families: set[str] = set()
    for path in sorted(paths):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            data = gate.read(path, roots)
        except gate.Refusal:
            continue
        try:
            families |= _families(path, data)
        except (TTLibError, OSError, KeyError):
            continue  # WeasyPrint reports fonts it cannot load when a stylesheet uses them
    return frozenset(families)


@dataclass(frozen=True)
class _Face:
    advances: dict[int, float]  # code point -> advance in em
    fallback: float  # the advance of a character the face lacks, in em


@dataclass(frozen=True)
class TextMeasure:
    """Widths of text set in the vendored fonts, so a generated figure can wrap its
    labels to fit its shapes before WeasyPrint sets them."""

    regular: _Face
    bold: _Face

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        face = self.bold if bold else self.regular
        return size * sum(face.advances.get(ord(c), face.fallback) for c in text)


#: Used when the look vendors no font: about Source Sans 3's average advance.
_ROUGH = _Face({}, 0.55)


#: Faces already read in this process (a warm preview rebuilds often), by file and state.
_FACES: dict[tuple[str, int, int], tuple[int, bool, _Face] | None] = {}


def _face(path: Path, roots: Sequence[Path]) -> tuple[int, bool, _Face] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _FACES:
        _FACES[key] = _read_face(path, roots)
    return _FACES[key]


def _read_face(path: Path, roots: Sequence[Path]) -> tuple[int, bool, _Face] | None:
    try:
        data = gate.read(path, roots)
    except gate.Refusal:
        return None  # reported where a stylesheet uses the font
    face = _sfnt(path, data)
    if face is not None:
        return _read_sfnt(face)
    try:
        with TTFont(io.BytesIO(data), lazy=True) as font:
            scale = 1 / font["head"].unitsPerEm
            hmtx = font["hmtx"]
            advances = {code: hmtx[name][0] * scale for code, name in font.getBestCmap().items()}
            weight = font["OS/2"].usWeightClass
            italic = bool(font["head"].macStyle & 2)
    except (TTLibError, OSError, KeyError, AttributeError):
        return None
    return weight, italic, _Face(advances, advances.get(ord("n"), 0.55))


def _read_sfnt(face: hb.Face) -> tuple[int, bool, _Face] | None:
    try:
        (weight,) = struct.unpack_from(">H", face.reference_table("OS/2").data, 4)
        (style,) = struct.unpack_from(">H", face.reference_table("head").data, 44)
    except struct.error:  # a table missing or short
        return None
    font, scale = hb.Font(face), 1 / face.upem
    advances = {}
    for code in face.unicodes:
        glyph = font.get_nominal_glyph(code)
        if glyph is not None:
            advances[code] = font.get_glyph_h_advance(glyph) * scale
    return weight, bool(style & 2), _Face(advances, advances.get(ord("n"), 0.55))


def text_measure(paths: list[Path], roots: Sequence[Path]) -> TextMeasure:
    """Measures from the upright fonts among `paths` nearest to weights 400 and 700."""
    faces = [f for f in (_face(p, roots) for p in sorted(paths) if p.suffix in FONT_SUFFIXES) if f]
    upright = [(weight, face) for weight, italic, face in faces if not italic]

    def nearest(target: int) -> _Face:
        if not upright:
            return _ROUGH
        return min(upright, key=lambda wf: abs(wf[0] - target))[1]

    return TextMeasure(nearest(400), nearest(700))
