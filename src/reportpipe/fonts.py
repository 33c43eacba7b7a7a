"""The fonts a project vendors, so a build can prove no system font slipped in."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from reportpipe import gate

FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


def vendored_families(folder: Path, roots: Sequence[Path]) -> frozenset[str]:
    """Family names (name IDs 1 and 16) of every font file in `folder`, each read
    through the gate (a font that is a pipe, a device or a link out is skipped here;
    WeasyPrint's fetcher refuses it when a stylesheet uses it)."""
    families: set[str] = set()
    if not folder.is_dir():
        return frozenset()
    for path in sorted(folder.iterdir()):
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
