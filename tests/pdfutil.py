"""Reading facts out of PDFs for the tests (PyMuPDF for text and positions, pypdf for
the object structure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pypdf

_SQUASH = re.compile(r"[\s\-\u2010\u00ad]+")


def squash(text: str) -> str:
    """Text without whitespace and hyphens, so line breaks and hyphenation do not matter."""
    return _SQUASH.sub("", text)


def page_texts(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]


def words(path: Path, page_index: int) -> list[tuple[float, float, float, float, str]]:
    with pymupdf.open(path) as doc:
        return [tuple(w[:5]) for w in doc[page_index].get_text("words")]  # type: ignore[misc]


def outline_titles(path: Path) -> list[str]:
    reader = pypdf.PdfReader(path)

    def walk(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield str(item.title)

    return list(walk(reader.outline))


def struct_elements(path: Path) -> Iterator[dict[str, Any]]:
    """Every structure element of a tagged PDF, depth first."""
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    stack = [root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        kids = kids.get_object()
        if not isinstance(kids, list):
            kids = [kids]
        for kid in kids:
            kid = kid.get_object()
            if isinstance(kid, dict) and kid.get("/Type") == "/StructElem":
                yield kid
                stack.append(kid)


def xmp(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
