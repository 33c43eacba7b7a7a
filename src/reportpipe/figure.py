"""The scenario cross as SVG, generated from the content.

Text stays text (selectable and searchable in the PDF); the figure carries a <title>
(its accessible name, which WeasyPrint writes as the Figure's /Alt) and a <desc> that
lists every scenario with its place. The look comes from a stylesheet of the project
(`styles/figure.css`), embedded so the standalone SVG file looks the same.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum

from reportpipe.content import CrossSpec, Scenario

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 680, 540
CX, CY, HALF = 300, 270, 200


class Variant(StrEnum):
    OVERVIEW = "overview"  # number and emblem in each quadrant
    SUMMARY = "summary"  # emblem and the groups' titles


@dataclass(frozen=True)
class CrossFigure:
    variant: Variant
    svg: str
    alt: str


_QUADRANT_CENTRE = {
    "top-left": (CX - HALF / 2, CY - HALF / 2),
    "top-right": (CX + HALF / 2, CY - HALF / 2),
    "bottom-left": (CX - HALF / 2, CY + HALF / 2),
    "bottom-right": (CX + HALF / 2, CY + HALF / 2),
    "center": (CX, CY),
    "outside": (WIDTH - 75, HEIGHT - 80),
}


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {k.rstrip("_").replace("_", "-"): _fmt(v) for k, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _axes(svg: ET.Element, spec: CrossSpec) -> None:
    axes = _el(svg, "g", class_="axes")
    _el(axes, "line", class_="axis", x1=CX, y1=CY - HALF, x2=CX, y2=CY + HALF)
    _el(axes, "line", class_="axis", x1=CX - HALF, y1=CY, x2=CX + HALF, y2=CY)
    for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        tip_x, tip_y = CX + dx * HALF, CY + dy * HALF
        back_x, back_y = tip_x - dx * 12, tip_y - dy * 12
        side_x, side_y = dy * 7, dx * 7
        points = (
            f"{back_x - side_x},{back_y - side_y} {tip_x},{tip_y} "
            f"{back_x + side_x},{back_y + side_y}"
        )
        _el(axes, "polyline", class_="arrow", points=points)
    labels = _el(svg, "g", class_="axis-labels")
    _el(labels, "text", spec.y_axis.start, x=CX, y=CY - HALF - 14, text_anchor="middle")
    _el(labels, "text", spec.y_axis.end, x=CX, y=CY + HALF + 28, text_anchor="middle")
    _el(labels, "text", spec.x_axis.start, x=CX - HALF - 10, y=CY + 5, text_anchor="end")
    _el(labels, "text", spec.x_axis.end, x=CX + HALF + 10, y=CY + 5, text_anchor="start")


# The centre and outside marks: shape, radius, number style, number and name offsets.
_SPECIAL = {
    "center": ("centre", 46, "number", -10, 14),
    "outside": ("outside", 34, "number inverse", 7, 56),
}


def _badge(
    group: ET.Element, number: int, x: float, y: float, *, shape: str, r: int, style: str, dy: int
) -> None:
    _el(group, "circle", class_=shape, cx=x, cy=y, r=r)
    _el(group, "text", str(number), class_=style, x=x, y=y + dy, text_anchor="middle")


def _scenario(svg: ET.Element, scenario: Scenario, variant: Variant) -> None:
    x, y = _QUADRANT_CENTRE[scenario.place]
    group = _el(svg, "g", class_=f"scenario place-{scenario.place}")
    name = scenario.emblem or scenario.title
    if scenario.place in _SPECIAL:
        shape, r, style, number_dy, name_dy = _SPECIAL[scenario.place]
        _badge(group, scenario.number, x, y, shape=shape, r=r, style=style, dy=number_dy)
        _el(group, "text", name, class_="emblem small", x=x, y=y + name_dy, text_anchor="middle")
        return
    lines: list[tuple[str, str]] = [(name, "emblem")]
    if variant is Variant.SUMMARY:
        lines += [(g.title, "group") for g in scenario.groups]
    top = y - 14 * len(lines) - 4
    _badge(group, scenario.number, x, top - 6, shape="badge", r=17, style="number inverse", dy=7)
    baseline = top + 40
    for text, kind in lines:
        _el(group, "text", text, class_=kind, x=x, y=baseline, text_anchor="middle")
        baseline += 24 if kind == "emblem" else 19


def _description(spec: CrossSpec, scenarios: tuple[Scenario, ...]) -> str:
    axes = f"{spec.y_axis.start} – {spec.y_axis.end}; {spec.x_axis.start} – {spec.x_axis.end}."
    places = [f"{s.number} {s.emblem or s.title} ({s.title}): {s.place}." for s in scenarios]
    return " ".join([axes, *places])


def build_cross(
    spec: CrossSpec, scenarios: tuple[Scenario, ...], *, variant: Variant, stylesheet: str
) -> CrossFigure:
    """Draw the cross; deterministic: the same content gives the same bytes."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "role": "img",
            "aria-labelledby": f"cross-{variant}-title cross-{variant}-desc",
            "class": f"scenario-cross {variant}",
        },
    )
    _el(svg, "title", spec.alt, id=f"cross-{variant}-title")
    _el(svg, "desc", _description(spec, scenarios), id=f"cross-{variant}-desc")
    _el(svg, "style", stylesheet)
    _axes(svg, spec)
    for scenario in scenarios:
        _scenario(svg, scenario, variant)
    ET.indent(svg)
    return CrossFigure(variant, ET.tostring(svg, encoding="unicode"), spec.alt)
