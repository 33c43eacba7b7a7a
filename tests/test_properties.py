"""Property tests: whatever an author writes into a content file, loading it either
fails with findings that name a file, or succeeds and holds exactly what was written;
never anything else. Generated valid scenarios load as written and are shown; the same
with one fault are refused at that fault's line."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from conftest import REPO, copy_project
from reportpipe.content import load_report
from reportpipe.editions import render_document
from reportpipe.findings import InputError
from reportpipe.project import open_project

FILES = ("report.yaml", "scenarios.yaml", "pictures.yaml", "intro.md")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _holds(written: object, loaded: object) -> bool:
    """Whether the loaded model (dumped as JSON) holds everything written: every key
    given, with the same value; defaults may add keys."""
    if isinstance(written, dict):
        return isinstance(loaded, dict) and all(
            k in loaded and _holds(v, loaded[k]) for k, v in written.items()
        )
    if isinstance(written, list):
        return (
            isinstance(loaded, list)
            and len(written) == len(loaded)
            and all(_holds(w, v) for w, v in zip(written, loaded, strict=True))
        )
    if isinstance(written, dt.date):  # YAML dates come out of the model as ISO text
        return written.isoformat() == loaded
    if isinstance(written, str):  # the models strip surrounding white space, by design
        return written.strip() == loaded
    return type(written) is type(loaded) and written == loaded


def _load_or_findings(root: Path, name: str) -> None:
    try:
        loaded = load_report(open_project(root))
    except InputError as exc:
        assert exc.findings, "an InputError without findings"
        for finding in exc.findings:
            assert finding.path.startswith(("source", "styles")), finding
            assert finding.message
        return
    raw = (root / "source" / name).read_bytes()
    text = raw.decode("utf-8")  # accepted content is UTF-8, always
    report = loaded.report
    if name.endswith(".md"):
        (chapter,) = (c for c in report.chapters if c.path == f"source/{name}")
        # accepted Markdown links only to the web, to mail, or within the report
        for href in re.findall(r'href="([^"]*)"', chapter.fragment.html):
            assert href.lower().startswith(("https://", "http://", "mailto:", "#")), href
        assert "<script" not in chapter.fragment.html.lower()
        return
    written = yaml.safe_load(text.removeprefix("\ufeff"))
    model = {
        "report.yaml": lambda: report.meta.model_dump(mode="json"),
        "scenarios.yaml": lambda: {
            "cross": report.cross.model_dump(mode="json"),
            "scenarios": [s.model_dump(mode="json") for s in report.scenarios],
        },
        "pictures.yaml": lambda: report.credits.model_dump(mode="json"),
    }[name]()
    assert _holds(written, model), (written, model)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(FILES[:3]), data=values)
def test_any_yaml_value_loads_or_is_reported(tmp_path: Path, name: str, data: object) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _load_or_findings(root, name)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(FILES), raw=st.binary(max_size=300))
def test_any_bytes_load_or_are_reported(tmp_path: Path, name: str, raw: bytes) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / name).write_bytes(raw)
    _load_or_findings(root, name)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(
        st.sampled_from([*"[]()<>!#*_`:/.- \nabcåäö\"'&;=", "http://", "javascript:", "mailto:"]),
        max_size=60,
    ).map("".join)
)
def test_any_markdown_loads_or_is_reported(tmp_path: Path, text: str) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / "intro.md").write_text(text, "utf-8")
    _load_or_findings(root, "intro.md")


def _leaves(data: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*path, i))]
    return [path] if isinstance(data, str) else []


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(FILES[:3]), value=st.one_of(st.text(max_size=20), scalars), data=st.data()
)
def test_one_shipped_text_replaced_by_any_value_is_held_as_written_or_reported(
    tmp_path: Path, name: str, value: object, data: st.DataObject
) -> None:
    """Mostly accepted (any text will do for most fields): then it must round-trip."""
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    shipped = yaml.safe_load((REPO / "source" / name).read_text("utf-8"))
    *parents, last = data.draw(st.sampled_from(_leaves(shipped)))
    holder = shipped
    for key in parents:
        holder = holder[key]
    holder[last] = value
    (root / "source" / name).write_text(yaml.safe_dump(shipped, allow_unicode=True), "utf-8")
    _load_or_findings(root, name)


# Generated *valid* scenarios: they must load as written and show in the document; the
# same scenarios with one fault must be refused at that fault's file and line.

PLACES = ("top-left", "top-right", "bottom-left", "bottom-right", "center", "outside")
SHIPPED = yaml.safe_load((REPO / "source" / "scenarios.yaml").read_text("utf-8"))
PICTURES = sorted(
    yaml.safe_load((REPO / "source" / "pictures.yaml").read_text("utf-8"))["pictures"]
)
words = st.text(alphabet=st.sampled_from("abcdefgåäöABCÅÄÖ0123456789&<>–"), min_size=1, max_size=12)
phrases = st.lists(words, min_size=1, max_size=4).map(" ".join)


@st.composite
def scenario_lists(draw: st.DrawFn) -> list[dict[str, object]]:
    count = draw(st.integers(1, 4))
    places = draw(st.permutations(PLACES))[:count]
    scenarios: list[dict[str, object]] = []
    for n, place in enumerate(places, 1):
        groups = [
            {
                "id": f"{n}:{j}",
                "title": draw(phrases),
                "picture": draw(st.sampled_from(PICTURES)),
                "points": draw(st.lists(phrases, min_size=1, max_size=3)),
            }
            for j in range(1, draw(st.integers(0, 2)) + 1)
        ]
        scenario: dict[str, object] = {"number": n, "title": draw(phrases), "place": place}
        if points := draw(st.lists(phrases, max_size=3)):
            scenario["points"] = points
        if groups:
            scenario["groups"] = groups
        scenarios.append(scenario)
    return scenarios


def _emit(scenarios: list[dict[str, object]]) -> tuple[str, dict[tuple[object, ...], int]]:
    """scenarios.yaml in the author's layout, and the line of each item and key."""
    out = yaml.safe_dump({"cross": SHIPPED["cross"]}, allow_unicode=True, width=10_000)
    lines = [*out.splitlines(), "scenarios:"]
    where: dict[tuple[object, ...], int] = {}

    def put(path: tuple[object, ...], text: str) -> None:
        lines.append(text)
        where[path] = len(lines)

    def q(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    for i, s in enumerate(scenarios):
        put((i,), f"  - number: {s['number']}")
        for key in ("title", "place"):
            put((i, key), f"    {key}: {q(s[key])}")
        if "points" in s:
            put((i, "points"), "    points:")
            for point in s["points"]:  # type: ignore[attr-defined]
                lines.append(f"      - {q(point)}")
        if "groups" in s:
            put((i, "groups"), "    groups:")
            for j, g in enumerate(s["groups"]):  # type: ignore[arg-type]
                put((i, "groups", j), f"      - id: {q(g['id'])}")
                for key in ("title", "picture"):
                    put((i, "groups", j, key), f"        {key}: {q(g[key])}")
                lines.append("        points:")
                lines.extend(f"          - {q(p)}" for p in g["points"])
    return "\n".join(lines) + "\n", where


@pytest.fixture(scope="module")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("generated") / "p")


@settings(max_examples=8, deadline=None)
@given(scenarios=scenario_lists())
def test_generated_valid_scenarios_load_as_written_and_are_shown(
    generated_root: Path, scenarios: list[dict[str, object]]
) -> None:
    text, _ = _emit(scenarios)
    (generated_root / "source" / "scenarios.yaml").write_text(text, "utf-8")
    project = open_project(generated_root)
    report = load_report(project).report
    loaded = [
        {
            "number": s.number,
            "title": s.title,
            "place": s.place,
            **({"points": list(s.points)} if s.points else {}),
            **(
                {
                    "groups": [
                        {
                            "id": g.id,
                            "title": g.title,
                            "picture": g.picture,
                            "points": list(g.points),
                        }
                        for g in s.groups
                    ]
                }
                if s.groups
                else {}
            ),
        }
        for s in report.scenarios
    ]
    assert loaded == scenarios
    html, _ = render_document(project, report)
    for s in report.scenarios:
        for point in s.points:
            assert f"<li>{escape(point)}</li>" in html
        for g in s.groups:
            assert f"<h3>{escape(g.title)} <span" in html
            assert all(f"<li>{escape(p)}</li>" in html for p in g.points)


FAULTS = ("duplicate number", "empty title", "unknown place", "missing picture entry")


@settings(max_examples=40, deadline=None)
@given(scenarios=scenario_lists(), fault=st.sampled_from(FAULTS), data=st.data())
def test_generated_scenarios_with_one_fault_are_refused_at_its_line(
    generated_root: Path, scenarios: list[dict[str, object]], fault: str, data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(scenarios) - 1))
    text, where = _emit(scenarios)
    lines = text.splitlines()
    groups = [k for k in where if len(k) == 3 and k[0] == i]
    if fault == "duplicate number" and len(scenarios) > 1:
        other = (i + 1) % len(scenarios)
        lines[where[(other,)] - 1] = f"  - number: {scenarios[i]['number']}"
        expected = sorted(
            f"source/scenarios.yaml:{where[(k,)]}: error: scenario number "
            f"{scenarios[i]['number']} is used twice"
            for k in (i, other)
        )
    elif fault == "unknown place":
        line = where[(i, "place")]
        lines[line - 1] = '    place: "middle"'
        expected = [f"source/scenarios.yaml:{line}: error: scenarios.#{i + 1}.place:"]
    elif fault == "missing picture entry" and groups:
        g = groups[0]
        line = where[(*g, "picture")]
        lines[line - 1] = '        picture: "images/no-such-picture.svg"'
        expected = [f"source/scenarios.yaml:{line}:"]
    else:  # an empty title (also when the fault above does not apply)
        line = where[(i, "title")]
        lines[line - 1] = '    title: ""'
        expected = [f"source/scenarios.yaml:{line}: error: scenarios.#{i + 1}.title:"]
    (generated_root / "source" / "scenarios.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        load_report(open_project(generated_root))
    found = sorted(str(f) for f in caught.value.findings)
    assert all(f.startswith("source/scenarios.yaml:") for f in found), found
    if expected[0].endswith(":"):  # the message is the validator's; the place is ours
        matches = [f for f in found if f.startswith(expected[0])]
        others = [f for f in found if f not in matches]
        assert len(matches) == 1, found
        # a file whose only scenario is faulty also hears that the list is empty
        assert others == [] or (
            len(scenarios) == 1
            and others
            == [
                f"source/scenarios.yaml:{lines.index('scenarios:') + 1}: error: scenarios: "
                "tuple should have at least 1 item after validation, not 0"
            ]
        ), found
    else:
        assert found == expected
