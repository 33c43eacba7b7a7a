"""Smaller promises of the content model, found by the mutation tests of content.py
(`nox -s mutants -- content`): a picture's source as a link, and its credit line."""

from __future__ import annotations

import pytest

from reportpipe.content import Picture, PicturesFile


def _picture(**fields: str) -> Picture:
    return Picture(
        **{"alt": "A", "creator": "Ann", "source": "I bildspelet", "licence": "CC0-1.0", **fields}
    )


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://example.org/p.jpg", "https://example.org/p.jpg"),
        ("example.org", "https://example.org"),
        ("commons.wikimedia.org/wiki/File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("I bildspelet", None),
        ("https://example.org/a b", None),  # a space: not one address
        ("ftp://example.org/p.jpg", None),
    ],
)
def test_a_source_is_linked_only_when_it_is_a_web_address(source: str, url: str | None) -> None:
    assert _picture(source=source).source_url == url


def test_a_permission_is_added_to_the_credit_unless_the_line_places_it() -> None:
    credits = PicturesFile(
        pictures={
            "a.jpg": _picture(licence="used-with-permission", permission="Reglab, 2026-11-20"),
            "b.jpg": _picture(),
        }
    )
    assert credits.credit("a.jpg") == "Ann, used-with-permission (Reglab, 2026-11-20)"
    assert credits.credit("b.jpg") == "Ann, CC0-1.0"  # no permission: nothing in brackets
    placed = PicturesFile(credit_line="{creator} ({permission})", pictures=credits.pictures)
    assert placed.credit("a.jpg") == "Ann (Reglab, 2026-11-20)"  # once, where the line says
