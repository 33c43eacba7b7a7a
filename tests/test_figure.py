"""The scenario cross SVG: generated from content, deterministic, accessible."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import REPO, THEME
from reportpipe.content import Report, load_report
from reportpipe.figure import HEIGHT, WIDTH, CrossFigure, Variant, build_cross
from reportpipe.fonts import text_measure
from reportpipe.project import open_project

NS = {"svg": "http://www.w3.org/2000/svg"}


def _figure(variant: Variant) -> ET.Element:
    report = load_report(open_project(REPO)).report
    figure = _cross(report, variant)
    again = _cross(report, variant)
    assert figure.svg == again.svg
    return ET.fromstring(figure.svg)


def _cross(report: Report, variant: Variant) -> CrossFigure:
    return build_cross(
        report.cross,
        report.scenarios,
        variant=variant,
        stylesheet="",
        words=report.words,
        measure=text_measure(sorted((THEME / "fonts").glob("*.otf"))),
    )


def _text_positions(svg: ET.Element) -> dict[str, tuple[float, float]]:
    return {
        (t.text or ""): (float(t.get("x", 0)), float(t.get("y", 0)))
        for t in svg.iter(f"{{{NS['svg']}}}text")
    }


def test_title_and_description_for_assistive_technology() -> None:
    svg = _figure(Variant.OVERVIEW)
    title = svg.find("svg:title", NS)
    desc = svg.find("svg:desc", NS)
    assert title is not None and title.text and title.text.startswith("Scenariokorset")
    assert desc is not None and desc.text and "1 Trädgårdsmästaren" in desc.text
    assert svg.get("role") == "img"


def test_quadrants_axes_centre_and_outside() -> None:
    pos = _text_positions(_figure(Variant.OVERVIEW))
    cx, cy = pos["Svag formell roll"][0], pos["Stödjande"][1] - 5
    assert pos["Svag formell roll"][1] < cy < pos["Stark formell roll"][1]
    assert pos["Stödjande"][0] < cx < pos["Operativ"][0]
    for emblem, (sx, sy) in {
        "Trädgårdsmästaren": (-1, -1),
        "Ballongen": (1, -1),
        "Korsetten": (-1, 1),
        "Loket": (1, 1),
    }.items():
        x, y = pos[emblem]
        assert (x - cx) * sx > 0 and (y - cy) * sy > 0, emblem
    assert pos["Lite av allt"][0] == cx
    hole = pos["Det svarta hålet"]
    assert hole[0] > pos["Operativ"][0] and hole[1] > pos["Stark formell roll"][1]
    assert 0 < hole[0] < WIDTH and 0 < hole[1] < HEIGHT


def test_summary_lists_the_groups_in_their_quadrant() -> None:
    pos = _text_positions(_figure(Variant.SUMMARY))
    assert pos["Smörjmedlet"][0] == pos["Trädgårdsmästaren"][0]
    assert pos["Dynamon"][0] == pos["Loket"][0]
    assert pos["Arbetsmarknadscooperativet"][0] == pos["Ballongen"][0]
