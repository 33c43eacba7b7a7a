"""The fonts a project vendors, so a build can prove no system font slipped in."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


def vendored_families(paths: list[Path]) -> frozenset[str]:
    """Family names (name IDs 1 and 16) of every font file among `paths`."""
    families: set[str] = set()
    for path in sorted(paths):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            with TTFont(path, lazy=True) as font:
                for record in font["name"].names:
                    if record.nameID in (1, 16):
                        families.add(record.toUnicode())
        except (TTLibError, OSError, KeyError):
            continue  # WeasyPrint reports fonts it cannot load when a stylesheet uses them
    return frozenset(families)
