"""The scenario cross SVG: generated from content, deterministic, accessible."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pymupdf
import pytest
import yaml

from conftest import REPO, THEME
from reportpipe.cli import main
from reportpipe.commands.new import new_project
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
        measure=text_measure(sorted((THEME / "fonts").glob("*.otf")), [THEME]),
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


# --- any labels: measured on the PDF as a reader sees it ---------------------------

LONG = {
    "x_axis": {"start": "Supporting and enabling efforts", "end": "Operational delivery"},
    "y_axis": {"start": "A weak formal role with little mandate", "end": "A strong formal role"},
    "emblems": ["The Gardener Who Tends Everything", "Lubricant", "Cooperativeness", "Four"],
    "centre": "A bit of everything",
    "outside": "The black hole where nothing happens",
}


def _long_project(root: Path, *, count: int) -> Path:
    """The English starter with long labels, unequal groups and `count` scenarios."""
    new_project(root, lang="en", title="Long labels", today=dt.date(2027, 1, 2))
    path = root / "source" / "scenarios.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["cross"]["x_axis"], data["cross"]["y_axis"] = LONG["x_axis"], LONG["y_axis"]
    for scenario, emblem in zip(data["scenarios"], LONG["emblems"], strict=True):
        scenario["emblem"] = emblem
    data["scenarios"][0]["groups"] += [
        {
            "id": f"1.{n}",
            "title": f"Extra group {n}",
            "picture": "images/picture.svg",
            "points": ["x"],
        }
        for n in (2, 3)
    ]
    extra = [
        {"number": 5, "title": LONG["centre"], "place": "center", "bonus": True, "points": ["a"]},
        {"number": 6, "title": LONG["outside"], "place": "outside", "bonus": True, "points": ["b"]},
    ]
    data["scenarios"] += extra[: count - 4]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return root


@pytest.mark.parametrize("count", [4, 5, 6])
def test_the_cross_draws_any_number_of_scenarios(tmp_path: Path, count: int) -> None:
    report = load_report(open_project(_long_project(tmp_path / "p", count=count))).report
    for variant in Variant:
        svg = ET.fromstring(_cross(report, variant).svg)
        numbers = [t.text for t in svg.iter(f"{{{NS['svg']}}}text") if t.text and t.text.isdigit()]
        assert sorted(numbers) == [str(n) for n in range(1, count + 1)]
        for t in svg.iter(f"{{{NS['svg']}}}text"):
            assert 0 < float(t.get("x", 0)) < WIDTH and 0 < float(t.get("y", 0)) < HEIGHT


def test_badges_of_a_row_stand_level_in_the_svg(tmp_path: Path) -> None:
    report = load_report(open_project(_long_project(tmp_path / "p", count=6))).report
    svg = ET.fromstring(_cross(report, Variant.SUMMARY).svg)
    badges = {
        g.get("class", "").split("place-")[1]: float(c.get("cy", 0))
        for g in svg.iter(f"{{{NS['svg']}}}g")
        if "place-" in g.get("class", "")
        for c in g.iter(f"{{{NS['svg']}}}circle")
    }
    assert badges["top-left"] == badges["top-right"]  # three groups beside one
    assert badges["bottom-left"] == badges["bottom-right"]


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _long_project(tmp_path_factory.mktemp("long") / "p", count=6)
    assert main(["build", "--edition", "screen", "--project", str(root)]) == 0
    return root / "build" / "long-labels-0.1.0.pdf"


def _figure_page(doc: pymupdf.Document, caption: str) -> pymupdf.Page:
    return next(page for page in doc if caption in page.get_text())


def _rings(page: pymupdf.Page, colour: tuple[float, float, float]) -> list[pymupdf.Rect]:
    """Bounding boxes of the circles stroked or filled in `colour`."""
    found = []
    for path in page.get_drawings():
        paint = path.get("color") or path.get("fill")
        if paint and all(abs(a - b) < 0.02 for a, b in zip(paint, colour, strict=True)):
            found.append(path["rect"])
    return found


WARM = (0xE0 / 255, 0xA5 / 255, 0x26 / 255)  # the centre ring, figure.css
ACCENT = (0x1F / 255, 0x4E / 255, 0x79 / 255)  # badges and axes


@pytest.mark.parametrize("caption", ["Figure 1.", "Figure 2."])
def test_labels_stay_inside_their_shapes_in_the_pdf(long_pdf: Path, caption: str) -> None:
    with pymupdf.open(long_pdf) as doc:
        page = _figure_page(doc, caption)
        words = page.get_text("words")
        (ring,) = _rings(page, WARM)
        centre, radius = ring.tl + (ring.br - ring.tl) / 2, ring.width / 2
        near = pymupdf.Rect(
            ring.x0 - 30, ring.y0 - 30, ring.x1 + 30, ring.y1 + 30
        )  # the label's words, not the same words elsewhere
        label = [
            w
            for w in words
            if w[4] in LONG["centre"].split() and near.contains(pymupdf.Rect(w[:4]))
        ]
        assert sorted(w[4] for w in label) == sorted(LONG["centre"].split())
        for x0, y0, x1, y1, *_ in label:  # every corner of every word inside the ring
            for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                assert abs(pymupdf.Point(x, y) - centre) < radius, (label, ring)
        axes = [r for r in _rings(page, ACCENT) if r.width < 1 or r.height < 1]
        vertical = next(r for r in axes if r.height > r.width).x0
        horizontal = next(r for r in axes if r.width > r.height).y0
        gardener = [w for w in words if w[4] in ("Gardener", "Tends", "Everything")]
        assert len(gardener) == 3
        assert all(w[2] < vertical and w[3] < horizontal for w in gardener)  # its quadrant
        left = [w for w in words if w[4] in ("Supporting", "enabling", "efforts")]
        assert len(left) == 3 and all(w[0] >= page.rect.x0 + 20 for w in left)  # no run-off
        assert all(w[2] < vertical for w in left)
        hole = [w for w in words if w[4] in ("black", "hole", "nothing", "happens")]
        assert len(hole) == 4 and all(w[0] > vertical and w[1] > horizontal for w in hole)


def test_badges_of_a_row_stand_level_in_the_pdf(long_pdf: Path) -> None:
    with pymupdf.open(long_pdf) as doc:
        page = _figure_page(doc, "Figure 2.")
        badges = [
            r for r in _rings(page, ACCENT) if 20 < r.width < 30 and abs(r.width - r.height) < 1
        ]
        assert len(badges) == 4
        tops = sorted(round(r.y0, 1) for r in badges)
        assert tops[0] == tops[1] and tops[2] == tops[3] and tops[1] < tops[2]
