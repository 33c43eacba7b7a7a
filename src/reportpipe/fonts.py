"""The fonts a project vendors, so a build can prove no system font slipped in."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from reportpipe import gate

FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


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
            with TTFont(io.BytesIO(data), lazy=True) as font:
                for record in font["name"].names:
                    if record.nameID in (1, 16):
                        families.add(record.toUnicode())
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


def text_measure(paths: list[Path], roots: Sequence[Path]) -> TextMeasure:
    """Measures from the upright fonts among `paths` nearest to weights 400 and 700."""
    faces = [f for f in (_face(p, roots) for p in sorted(paths) if p.suffix in FONT_SUFFIXES) if f]
    upright = [(weight, face) for weight, italic, face in faces if not italic]

    def nearest(target: int) -> _Face:
        if not upright:
            return _ROUGH
        return min(upright, key=lambda wf: abs(wf[0] - target))[1]

    return TextMeasure(nearest(400), nearest(700))
