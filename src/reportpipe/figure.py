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

from reportpipe.catalogue import Catalogue
from reportpipe.content import CrossSpec, Scenario
from reportpipe.fonts import TextMeasure

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
}
_ROWS = (("top-left", "top-right"), ("bottom-left", "bottom-right"))
CENTRE_R, CENTRE_MAX_R = 46, 72  # the centre ring grows to hold its label, up to this
OUTSIDE_X, OUTSIDE_R = WIDTH - 75, 34
QUADRANT_WIDTH = HALF - 24  # a label's widest line in a quadrant
SMALLEST = 9.0  # px: a word too long for its shape is set smaller, never below this


@dataclass(frozen=True)
class _Style:
    """The text classes of figure.css that labels are set in: their size (px), weight
    and line height, so labels can be wrapped before WeasyPrint sets them."""

    css: str
    size: float
    bold: bool
    leading: float


AXIS = _Style("", 16, True, 19)
EMBLEM = _Style("emblem", 19, True, 24)
SMALL = _Style("emblem small", 15, True, 18)
GROUP = _Style("group", 13.5, False, 19)
NUMBER = _Style("number", 17, True, 20)


@dataclass(frozen=True)
class _Line:
    text: str
    style: _Style
    size: float  # the style's size, or smaller where one word is wider than the shape
    width: float


def _wrap(text: str, style: _Style, width: float, measure: TextMeasure) -> list[_Line]:
    """Greedy word wrap to `width`; a single word wider than that is set smaller."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and measure.width(trial, style.size, bold=style.bold) <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    out = []
    for line in lines:
        natural = measure.width(line, style.size, bold=style.bold)
        size = style.size if natural <= width else max(SMALLEST, style.size * width / natural)
        out.append(_Line(line, style, size, natural * size / style.size))
    return out


def _text(parent: ET.Element, line: _Line, x: float, y: float, anchor: str) -> None:
    attrs: dict[str, object] = {"x": round(x, 2), "y": round(y, 2), "text_anchor": anchor}
    if line.style.css:
        attrs["class_"] = line.style.css
    if line.size != line.style.size:
        attrs["style"] = f"font-size: {line.size:.2f}px"
    _el(parent, "text", line.text, **attrs)


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


def _axes(svg: ET.Element, spec: CrossSpec, measure: TextMeasure) -> None:
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
    # Above and below the vertical axis: lines stack away from the cross.
    top = _wrap(spec.y_axis.start, AXIS, WIDTH - 40, measure)
    for i, line in enumerate(reversed(top)):
        _text(labels, line, CX, CY - HALF - 14 - i * AXIS.leading, "middle")
    for i, line in enumerate(_wrap(spec.y_axis.end, AXIS, WIDTH - 40, measure)):
        _text(labels, line, CX, CY + HALF + 28 + i * AXIS.leading, "middle")
    # Left and right of the horizontal axis: as wide as the space beside the cross.
    left = _wrap(spec.x_axis.start, AXIS, CX - HALF - 14, measure)
    right = _wrap(spec.x_axis.end, AXIS, WIDTH - (CX + HALF + 10) - 4, measure)
    for lines, x, anchor in ((left, CX - HALF - 10, "end"), (right, CX + HALF + 10, "start")):
        first = CY + 5 - (len(lines) - 1) * AXIS.leading / 2
        for i, line in enumerate(lines):
            _text(labels, line, x, first + i * AXIS.leading, anchor)


def _badge(
    group: ET.Element, number: int, x: float, y: float, *, shape: str, r: float, style: str
) -> None:
    """A numbered mark: a circle with its number centred in it."""
    _el(group, "circle", class_=shape, cx=round(x, 2), cy=round(y, 2), r=round(r, 2))
    _el(
        group,
        "text",
        str(number),
        class_=style,
        x=round(x, 2),
        y=round(y + 7, 2),
        text_anchor="middle",
    )


BADGE_R = 17
FIRST_BASELINE = 46  # from the badge's centre to the first label's baseline


def _quadrant_lines(scenario: Scenario, variant: Variant, measure: TextMeasure) -> list[_Line]:
    lines = _wrap(scenario.emblem or scenario.title, EMBLEM, QUADRANT_WIDTH, measure)
    if variant is Variant.SUMMARY:
        for group in scenario.groups:
            lines += _wrap(group.title, GROUP, QUADRANT_WIDTH, measure)
    return lines


def _quadrant_layout(
    scenarios: tuple[Scenario, ...], variant: Variant, measure: TextMeasure
) -> dict[str, tuple[float, list[_Line]]]:
    """Each quadrant's labels and the top of its block, centred in the quadrant; the two
    quadrants of a row share one height, so their badges stand level."""
    placed = {s.place: s for s in scenarios}
    layout: dict[str, tuple[float, list[_Line]]] = {}
    for row in _ROWS:
        blocks = {
            place: _quadrant_lines(placed[place], variant, measure)
            for place in row
            if place in placed
        }
        if not blocks:
            continue
        # The block (badge and labels) is about 28 px a line tall: its top goes up by
        # half of that per line of the row's longest block.
        most = max(len(lines) for lines in blocks.values())
        for place, lines in blocks.items():
            layout[place] = (_QUADRANT_CENTRE[place][1] - 14 * most - 10 - BADGE_R, lines)
    return layout


def _quadrant(svg: ET.Element, scenario: Scenario, top: float, lines: list[_Line]) -> None:
    x = _QUADRANT_CENTRE[scenario.place][0]
    group = _el(svg, "g", class_=f"scenario place-{scenario.place}")
    _badge(
        group, scenario.number, x, top + BADGE_R, shape="badge", r=BADGE_R, style="number inverse"
    )
    baseline = top + BADGE_R + FIRST_BASELINE
    for line in lines:
        _text(group, line, x, baseline, "middle")
        baseline += line.style.leading


def _centre(svg: ET.Element, scenario: Scenario, measure: TextMeasure) -> None:
    """The centre mark: a ring holding the number and the label, grown to hold them."""
    name = scenario.emblem or scenario.title
    for width in (84.0, 104.0, 124.0):
        lines = _wrap(name, SMALL, width, measure)
        shift = (len(lines) - 1) * SMALL.leading / 2  # the block stays centred
        number = CY - 10 - shift
        baselines = [CY + 14 - shift + i * SMALL.leading for i in range(len(lines))]
        corners = [(NUMBER.size * 0.6, number - NUMBER.size * 0.72)]  # about two digits
        for line, baseline in zip(lines, baselines, strict=True):
            corners.append((line.width / 2, baseline - line.size * 0.72))
            corners.append((line.width / 2, baseline + line.size * 0.22))
        needed = max((w**2 + (v - CY) ** 2) ** 0.5 for w, v in corners) + 5
        if needed <= CENTRE_MAX_R:
            break
    group = _el(svg, "g", class_="scenario place-center")
    r = min(max(CENTRE_R, needed), CENTRE_MAX_R)
    _el(group, "circle", class_="centre", cx=CX, cy=CY, r=round(r, 2))
    _el(
        group,
        "text",
        str(scenario.number),
        class_="number",
        x=CX,
        y=round(number, 2),
        text_anchor="middle",
    )
    for line, baseline in zip(lines, baselines, strict=True):
        _text(group, line, CX, baseline, "middle")


def _outside(svg: ET.Element, scenario: Scenario, measure: TextMeasure) -> None:
    """The mark outside the cross, bottom right, with its label under it."""
    lines = _wrap(scenario.emblem or scenario.title, SMALL, 2 * 70, measure)
    y = HEIGHT - 80 - (len(lines) - 1) * SMALL.leading
    group = _el(svg, "g", class_="scenario place-outside")
    _badge(
        group, scenario.number, OUTSIDE_X, y, shape="outside", r=OUTSIDE_R, style="number inverse"
    )
    for i, line in enumerate(lines):
        _text(group, line, OUTSIDE_X, y + 56 + i * SMALL.leading, "middle")


def _description(spec: CrossSpec, scenarios: tuple[Scenario, ...], words: Catalogue) -> str:
    axes = words(
        "cross_axes",
        y_start=spec.y_axis.start,
        y_end=spec.y_axis.end,
        x_start=spec.x_axis.start,
        x_end=spec.x_axis.end,
    )
    places = [
        words(
            "cross_place",
            number=s.number,
            name=s.emblem or s.title,
            title=s.title,
            place=words(f"place_{s.place}"),
        )
        for s in scenarios
    ]
    return " ".join([axes, *places])


def build_cross(
    spec: CrossSpec,
    scenarios: tuple[Scenario, ...],
    *,
    variant: Variant,
    stylesheet: str,
    words: Catalogue,
    measure: TextMeasure,
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
    _el(svg, "desc", _description(spec, scenarios, words), id=f"cross-{variant}-desc")
    _el(svg, "style", stylesheet)
    _axes(svg, spec, measure)
    layout = _quadrant_layout(scenarios, variant, measure)
    for scenario in scenarios:  # in reading order, as the PDF's text will be
        if scenario.place in layout:
            _quadrant(svg, scenario, *layout[scenario.place])
        elif scenario.place == "center":
            _centre(svg, scenario, measure)
        elif scenario.place == "outside":
            _outside(svg, scenario, measure)
    ET.indent(svg)
    return CrossFigure(variant, ET.tostring(svg, encoding="unicode"), spec.alt)
