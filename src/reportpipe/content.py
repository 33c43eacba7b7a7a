"""The report's content: YAML and Markdown files read into one validated, frozen model.

Everything is read and checked before anything is rendered, and all problems found are
reported together, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from reportpipe.findings import Finding, InputError, Level, error
from reportpipe.markdown import Fragment, Heading, render_markdown
from reportpipe.project import Project
from reportpipe.yamlfile import LocatedDict, line_of, load_mapping, read_text

Text = Annotated[str, Field(min_length=1, strict=True)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", strict=True)]
Version = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$", strict=True)]
Place = Literal["top-left", "top-right", "bottom-left", "bottom-right", "center", "outside"]
QUADRANTS: tuple[Place, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Edition(_Record):
    version: Version
    date: dt.date
    changes: Text

    @property
    def moment(self) -> dt.datetime:
        """The edition's instant: midnight UTC of its date, the time every stamp uses."""
        return dt.datetime.combine(self.date, dt.time(), dt.UTC)

    @property
    def epoch(self) -> int:
        return int(self.moment.timestamp())


class ReportFile(_Record):
    slug: Slug
    lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", strict=True)]
    title: Text
    subtitle: Text
    theme: Text
    publisher: Text
    chapters: tuple[Text, ...] = ()
    editions: tuple[Edition, ...] = Field(min_length=1)


class Axis(_Record):
    start: Text
    end: Text


class CrossSpec(_Record):
    title: Text
    alt: Text
    x_axis: Axis
    y_axis: Axis


class Group(_Record):
    id: Text
    title: Text
    picture: Text
    points: tuple[Text, ...] = Field(min_length=1)

    @property
    def anchor(self) -> str:
        return "grupp-" + "-".join(filter(None, (c if c.isalnum() else "" for c in self.id)))


class Scenario(_Record):
    number: StrictInt = Field(ge=1)
    title: Text
    place: Place
    emblem: Text | None = None
    bonus: StrictBool = False
    summary: Text | None = None
    points: tuple[Text, ...] = ()
    groups: tuple[Group, ...] = ()

    @property
    def anchor(self) -> str:
        return f"scenario-{self.number}"


class ScenariosFile(_Record):
    cross: CrossSpec
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class Picture(_Record):
    alt: Text
    creator: Text
    source: Text
    licence: Text
    provenance: Text | None = None


class PicturesFile(_Record):
    pictures: dict[Text, Picture] = Field(default_factory=dict)


@dataclass(frozen=True)
class Chapter:
    path: str
    fragment: Fragment


@dataclass(frozen=True)
class Report:
    """Everything a template may show, validated."""

    meta: ReportFile
    cross: CrossSpec
    scenarios: tuple[Scenario, ...]
    pictures: dict[str, Picture]
    chapters: tuple[Chapter, ...]

    @property
    def edition(self) -> Edition:
        return self.meta.editions[0]

    def picture_url(self, name: str) -> str:
        """The project-relative URL of a picture named as in pictures.yaml."""
        return f"source/{name}"

    @property
    def headings(self) -> Iterator[Heading]:
        for chapter in self.chapters:
            yield from chapter.fragment.headings


@dataclass(frozen=True)
class Loaded:
    report: Report
    warnings: tuple[Finding, ...]


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _validate(model: type[M], data: LocatedDict, shown: str, findings: list[Finding]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for problem in exc.errors():
            loc = problem["loc"]
            where = ".".join(str(p) for p in loc) or "file"
            findings.append(error(shown, line_of(data, loc), f"{where}: {_explain(problem)}"))
        return None


def _explain(problem: Any) -> str:
    kind = problem["type"]
    if kind == "missing":
        return "required but missing"
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the README"
    if kind == "string_pattern_mismatch":
        return f"{problem['input']!r} is not in the expected form ({problem['ctx']['pattern']})"
    return str(problem["msg"]).lower()


@dataclass(frozen=True)
class _Parsed(Generic[T]):
    value: T
    data: LocatedDict
    shown: str


def _load(
    project: Project, name: str, model: type[M], findings: list[Finding]
) -> _Parsed[M] | None:
    path = project.source / name
    shown = project.shown(path)
    try:
        data = load_mapping(path, shown)
    except InputError as exc:
        findings.extend(exc.findings)
        return None
    parsed = _validate(model, data, shown, findings)
    if parsed is None:
        return None
    _CHECKS[name](project, parsed, data, shown, findings)
    return _Parsed(parsed, data, shown)


def _check_report(
    project: Project, meta: Any, data: LocatedDict, shown: str, findings: list[Finding]
) -> None:
    versions = [tuple(int(x) for x in e.version.split(".")) for e in meta.editions]
    for i, (newer, older) in enumerate(pairwise(versions)):
        if newer <= older:
            findings.append(
                error(
                    shown,
                    line_of(data, ("editions", i + 1)),
                    "editions: list them newest first, each with a higher version than the next",
                )
            )
    for i, chapter in enumerate(meta.chapters):
        if (
            project.resolve_reference(project.source, chapter) is None
            or not (project.source / chapter).is_file()
        ):
            findings.append(
                error(
                    shown,
                    line_of(data, ("chapters", i)),
                    f"chapter {chapter!r} is not a file in source/",
                )
            )


def _check_scenarios(
    project: Project, parsed: Any, data: LocatedDict, shown: str, findings: list[Finding]
) -> None:
    numbers = Counter(s.number for s in parsed.scenarios)
    places = Counter(s.place for s in parsed.scenarios if s.place in QUADRANTS)
    group_ids = Counter(g.id for s in parsed.scenarios for g in s.groups)
    for i, scenario in enumerate(parsed.scenarios):
        loc: tuple[str | int, ...] = ("scenarios", i)
        if numbers[scenario.number] > 1:
            findings.append(
                error(shown, line_of(data, loc), f"scenario number {scenario.number} is used twice")
            )
        if places.get(scenario.place, 0) > 1:
            findings.append(
                error(
                    shown,
                    line_of(data, (*loc, "place")),
                    f"place {scenario.place!r} is taken by more than one scenario",
                )
            )
        for j, group in enumerate(scenario.groups):
            if group_ids[group.id] > 1:
                findings.append(
                    error(
                        shown,
                        line_of(data, (*loc, "groups", j)),
                        f"group id {group.id!r} is used twice",
                    )
                )


def _check_pictures(
    project: Project, parsed: Any, data: LocatedDict, shown: str, findings: list[Finding]
) -> None:
    for name in parsed.pictures:
        path = project.resolve_reference(project.source, name)
        if path is None or not path.is_file():
            findings.append(
                error(
                    shown,
                    line_of(data, ("pictures", name)),
                    f"picture {name!r} is not a file inside source/",
                )
            )


_CHECKS = {
    "report.yaml": _check_report,
    "scenarios.yaml": _check_scenarios,
    "pictures.yaml": _check_pictures,
}


def _chapter(project: Project, name: str) -> Chapter:
    path = project.source / name
    shown = project.shown(path)
    text = read_text(path, shown)

    def resolve(reference: str) -> str | None:
        target = project.resolve_reference(path.parent, reference)
        if target is None or not target.is_file():
            return None
        return target.relative_to(project.root).as_posix()

    return Chapter(shown, render_markdown(text, shown=shown, resolve_image=resolve))


def load_report(project: Project) -> Loaded:
    """Read and validate the whole content of `project`; raise InputError listing every
    problem found, or return the model and the warnings."""
    findings: list[Finding] = []
    meta = _load(project, "report.yaml", ReportFile, findings)
    cross = _load(project, "scenarios.yaml", ScenariosFile, findings)
    pictures = _load(project, "pictures.yaml", PicturesFile, findings)

    chapters: list[Chapter] = []
    if meta is not None and not findings:
        for name in meta.value.chapters:
            try:
                chapter = _chapter(project, name)
            except InputError as exc:
                findings.extend(exc.findings)
                continue
            chapters.append(chapter)
            findings.extend(chapter.fragment.findings)

    if cross is not None and pictures is not None:
        for i, scenario in enumerate(cross.value.scenarios):
            for j, group in enumerate(scenario.groups):
                if group.picture not in pictures.value.pictures:
                    findings.append(
                        error(
                            cross.shown,
                            line_of(cross.data, ("scenarios", i, "groups", j, "picture")),
                            f"group {group.id}: picture {group.picture!r} has no entry "
                            "in source/pictures.yaml (alt text and credit)",
                        )
                    )

    anchors = Counter(h.anchor for c in chapters for h in c.fragment.headings)
    for anchor, count in anchors.items():
        if count > 1:
            findings.append(error("source", None, f"heading id {anchor!r} occurs {count} times"))

    errors = [f for f in findings if f.level is Level.ERROR]
    if errors or meta is None or cross is None or pictures is None:
        raise InputError(errors)
    report = Report(
        meta=meta.value,
        cross=cross.value.cross,
        scenarios=cross.value.scenarios,
        pictures=pictures.value.pictures,
        chapters=tuple(chapters),
    )
    return Loaded(report, tuple(f for f in findings if f.level is Level.WARNING))
