"""SVG pictures are untrusted input, parsed with defusedxml: entity declarations (the
"billion laughs"), external entities and malformed files are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportpipe.pictures import picture_problem

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{}</svg>'
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a "ha">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(8))
    + "]>\n"
    + SVG.format("<text>&i;</text>")
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    + SVG.format("<text>&x;</text>")
)


def test_a_plain_svg_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.svg"
    path.write_text(SVG.format('<rect width="5" height="5"/>'), encoding="utf-8")
    assert picture_problem(path, [tmp_path]) is None


@pytest.mark.parametrize("content", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.svg"
    path.write_text(content, encoding="utf-8")
    problem = picture_problem(path, [tmp_path])
    assert problem is not None
    assert problem.startswith("an SVG file must not declare entities or load external ones")


def test_malformed_and_foreign_xml_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg><g></svg>", encoding="utf-8")
    assert (picture_problem(broken, [tmp_path]) or "").startswith("not a well-formed SVG file")
    html = tmp_path / "page.svg"
    html.write_text("<html/>", encoding="utf-8")
    assert (
        picture_problem(html, [tmp_path]) == "an SVG file must have <svg> as its root, not <html>"
    )
