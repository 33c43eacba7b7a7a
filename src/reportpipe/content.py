"""The report's content: YAML and Markdown files read into one validated, frozen model.

Everything is read and checked before anything is rendered, and all problems found are
reported together, each with its file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from reportpipe import gate
from reportpipe.catalogue import Catalogue, load_catalogue
from reportpipe.fields import fill, template_problem
from reportpipe.findings import Finding, InputError, Level, error
from reportpipe.markdown import (
    Fragment,
    Heading,
    ResolvedImage,
    deepest_line,
    render_markdown,
)
from reportpipe.markdown import warm_up as warm_up_markdown
from reportpipe.pictures import missing_picture, picture_problem
from reportpipe.project import Project, project_url
from reportpipe.timebound import (
    DeepRecursionError,
    TookTooLongError,
    WorkerFailedError,
    markdown_seconds,
    run_bounded,
)
from reportpipe.yamlfile import LocatedDict, line_of, load_mapping, read_text

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
VERSION_PATTERN = r"^\d+\.\d+\.\d+$"
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$"
#: Text of any length, without control characters other than tab and line break: a
#: "\x1F" escape in quotes would otherwise put an invisible character into the PDF, and
#: into its XMP metadata, where XML does not allow it.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Text = Annotated[str, Field(min_length=1, pattern=TEXT_PATTERN, strict=True)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, strict=True)]
Version = Annotated[str, Field(pattern=VERSION_PATTERN, strict=True)]
Place = Literal["top-left", "top-right", "bottom-left", "bottom-right", "center", "outside"]
_BARE_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(/\S*)?$", re.I)
QUADRANTS: tuple[Place, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Edition(Record):
    version: Version
    # 1980 or later: zip, gzip and font time stamps cannot express earlier dates.
    date: Annotated[dt.date, Field(ge=dt.date(1980, 1, 1))]
    changes: Text

    @property
    def moment(self) -> dt.datetime:
        """The edition's instant: midnight UTC of its date, the time every stamp uses."""
        return dt.datetime.combine(self.date, dt.time(), dt.UTC)

    @property
    def epoch(self) -> int:
        return int(self.moment.timestamp())


class ReportFile(Record):
    slug: Slug
    lang: Annotated[str, Field(pattern=LANG_PATTERN, strict=True)]
    title: Text
    subtitle: Text
    theme: Text
    publisher: Text
    chapters: tuple[Text, ...] = ()
    editions: tuple[Edition, ...] = Field(min_length=1)

    def file_stem(self, version: str) -> str:
        """The stem of every file of an edition: <slug>-<version>."""
        return f"{self.slug}-{version}"


class Axis(Record):
    start: Text
    end: Text


class CrossSpec(Record):
    title: Text
    alt: Text
    x_axis: Axis
    y_axis: Axis


class Group(Record):
    id: Text
    title: Text
    picture: Text
    points: tuple[Text, ...] = Field(min_length=1)

    @property
    def anchor(self) -> str:
        return "grupp-" + (re.sub(r"\W+", "-", self.id).strip("-") or "x")


class Scenario(Record):
    number: StrictInt = Field(ge=1)
    title: Text
    place: Place
    emblem: Text | None = None
    bonus: StrictBool = False
    summary: Text | None = None
    points: tuple[Text, ...] = ()
    groups: tuple[Group, ...] = ()
    #: Start on a new page even when the previous scenario leaves room (scenarios share
    #: pages by default).
    new_page: StrictBool = False

    @property
    def anchor(self) -> str:
        return f"scenario-{self.number}"


class ScenariosFile(Record):
    cross: CrossSpec
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class Picture(Record):
    alt: Text
    creator: Text
    source: Text
    licence: Text  # an SPDX identifier, or "used-with-permission" with `permission`
    permission: Text | None = None  # who granted it, and when
    provenance: Text | None = None  # a credit line recorded from an earlier use

    @property
    def source_url(self) -> str | None:
        """The source as a web address to link to, when it is one (or a bare domain)."""
        source = self.source.strip()
        if source.startswith(("https://", "http://")) and " " not in source:
            return source
        if _BARE_DOMAIN.match(source):
            return f"https://{source}"
        return None


class PicturesFile(Record):
    #: How a credit is printed under a picture; fields of a picture in braces.
    credit_line: Text = "{creator}, {licence}"
    #: The opening paragraph of the picture-credits page (the theme's neutral one if none).
    intro: Text | None = None
    pictures: dict[Text, Picture] = Field(default_factory=dict)

    def credit(self, name: str) -> str:
        picture = self.pictures[name]
        line = fill(self.credit_line, picture.model_dump())
        if picture.permission and "{permission}" not in self.credit_line:
            line = f"{line} ({picture.permission})"  # who granted it is part of the credit
        return line


@dataclass(frozen=True)
class PictureUse:
    key: str  # as in pictures.yaml
    title: str  # what the reader knows it by: the group's title, or its alt text
    anchor: str | None  # where it stands, when that place has an id


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
    credits: PicturesFile
    chapters: tuple[Chapter, ...]
    words: Catalogue  # the frame's words in the report's language

    @property
    def pictures(self) -> dict[str, Picture]:
        return self.credits.pictures

    def credit(self, name: str) -> str:
        """The credit line printed under the picture `name` (a key of pictures.yaml)."""
        return self.credits.credit(name)

    @property
    def pictures_in_use(self) -> tuple[PictureUse, ...]:
        """Every picture the content shows, in reading order, once each."""
        uses: dict[str, PictureUse] = {}
        for chapter in self.chapters:
            for image in chapter.fragment.images:
                uses.setdefault(image.key, PictureUse(image.key, image.alt, None))
        for scenario in self.scenarios:
            for group in scenario.groups:
                uses.setdefault(group.picture, PictureUse(group.picture, group.title, group.anchor))
        return tuple(uses.values())

    @property
    def has_provenance(self) -> bool:
        """Whether a picture in use records an earlier credit (the credits page then has
        a column for it)."""
        return any(self.pictures[use.key].provenance for use in self.pictures_in_use)

    @property
    def edition(self) -> Edition:
        return self.meta.editions[0]

    @property
    def file_stem(self) -> str:
        return self.meta.file_stem(self.edition.version)

    def picture_url(self, name: str) -> str:
        """The project-relative URL of a picture named as in pictures.yaml."""
        return project_url(f"source/{name}")

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


_HINTS = {
    SLUG_PATTERN: "lower-case letters, digits and hyphens, like jobbregionen-umea-2015",
    VERSION_PATTERN: "three numbers separated by dots, like 1.0.0",
    LANG_PATTERN: "a language tag, like sv",
    TEXT_PATTERN: "text without control characters; delete the escape (like \\x1F) that makes one",
}


def _explain(problem: Any) -> str:
    kind = problem["type"]
    if kind == "missing":
        return "required but missing"
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the README"
    if kind == "string_pattern_mismatch":
        hint = _HINTS.get(problem["ctx"]["pattern"], problem["ctx"]["pattern"])
        return f"{problem['input']!r} is not in the expected form: {hint}"
    return str(problem["msg"]).lower()


def _where(loc: tuple[int | str, ...]) -> str:
    """A validation location for people: list items counted from 1."""
    return ".".join(f"#{p + 1}" if isinstance(p, int) else p for p in loc) or "file"


@dataclass(frozen=True)
class _Parsed(Generic[T]):
    value: T
    data: LocatedDict
    shown: str

    def line(self, *loc: int | str) -> int | None:
        return line_of(self.data, loc)


def load_model(
    project: Project, path: Path, model: type[M], findings: list[Finding]
) -> _Parsed[M] | None:
    shown = project.shown(path)
    if project.inside(path) is None:
        findings.append(error(shown, None, "points outside the project; copy the file in"))
        return None
    try:
        data = load_mapping(path, shown, roots=project.roots)
        value = model.model_validate(data)
    except InputError as exc:
        findings.extend(exc.findings)
        return None
    except ValidationError as exc:
        for problem in exc.errors():
            loc = problem["loc"]
            findings.append(error(shown, line_of(data, loc), f"{_where(loc)}: {_explain(problem)}"))
        return None
    return _Parsed(value, data, shown)


def _check_report(project: Project, meta: _Parsed[ReportFile], findings: list[Finding]) -> None:
    editions = meta.value.editions
    versions = [tuple(int(x) for x in e.version.split(".")) for e in editions]
    for i, (newer, older) in enumerate(pairwise(versions)):
        if newer <= older:
            findings.append(
                error(
                    meta.shown,
                    meta.line("editions", i + 1),
                    "editions: list them newest first, each with a higher version than the next",
                )
            )


def _check_scenarios(
    scenarios: _Parsed[ScenariosFile],
    pictures: _Parsed[PicturesFile] | None,
    findings: list[Finding],
    project: Project | None = None,
) -> None:
    items = scenarios.value.scenarios
    numbers = Counter(s.number for s in items)
    places = Counter(s.place for s in items if s.place in QUADRANTS)
    anchors = Counter(g.anchor for s in items for g in s.groups)
    for i, scenario in enumerate(items):
        if numbers[scenario.number] > 1:
            findings.append(
                error(
                    scenarios.shown,
                    scenarios.line("scenarios", i),
                    f"scenario number {scenario.number} is used twice",
                )
            )
        if places.get(scenario.place, 0) > 1:
            findings.append(
                error(
                    scenarios.shown,
                    scenarios.line("scenarios", i, "place"),
                    f"place {scenario.place!r} is taken by more than one scenario",
                )
            )
        for j, group in enumerate(scenario.groups):
            if anchors[group.anchor] > 1:
                findings.append(
                    error(
                        scenarios.shown,
                        scenarios.line("scenarios", i, "groups", j, "id"),
                        f"group id {group.id!r} is used twice (or differs from another "
                        "only in punctuation)",
                    )
                )
            if project is not None and (
                (found := project.resolve_reference(project.source, group.picture)) is not None
                and not found.is_file()
            ):
                findings.append(
                    error(
                        scenarios.shown,
                        scenarios.line("scenarios", i, "groups", j, "picture"),
                        f"group {group.id}: "
                        + missing_picture(project.source, group.picture, "source/"),
                    )
                )
            elif pictures is not None and group.picture not in pictures.value.pictures:
                findings.append(
                    error(
                        scenarios.shown,
                        scenarios.line("scenarios", i, "groups", j, "picture"),
                        f"group {group.id}: picture {group.picture!r} has no entry "
                        "in source/pictures.yaml (alt text and credit)",
                    )
                )


def _check_pictures(
    project: Project, pictures: _Parsed[PicturesFile], findings: list[Finding]
) -> None:
    problem = template_problem(pictures.value.credit_line, Picture.model_fields)
    if problem:
        findings.append(
            error(pictures.shown, pictures.line("credit_line"), f"credit_line: {problem}")
        )
        return
    for name in pictures.value.pictures:
        path = project.resolve_reference(project.source, name)
        if path is None or not path.is_file():
            problem = "is not a file inside source/"
            try:
                gate.check(project.source / name, project.roots)
            except gate.Refusal as exc:
                problem += f" ({exc})"
        else:
            problem = picture_problem(path, project.roots)
        if problem:
            findings.append(
                error(
                    pictures.shown, pictures.line("pictures", name), f"picture {name!r}: {problem}"
                )
            )


def _chapter(
    project: Project,
    name: str,
    credits: PicturesFile | None,
    words: Catalogue | None,
    *,
    referrer: str,
    line: int | None,
) -> Chapter:
    path = project.source / name
    if project.resolve_reference(project.source, name) is None or not path.is_file():
        why = "it points outside the project"
        try:
            gate.check(path, project.roots)
        except gate.Refusal as exc:
            why = str(exc)
        raise InputError(
            [error(referrer, line, f"chapter {name!r} is not a file in source/ ({why})")]
        )
    shown = project.shown(path)
    text = read_text(path, shown, roots=project.roots, referrer=referrer, line=line)

    def resolve(reference: str) -> ResolvedImage | str | None:
        target = project.resolve_reference(path.parent, reference)
        if target is not None and not target.exists():
            return missing_picture(path.parent, reference, f"{project.shown(path.parent)}/")
        if target is None or not target.is_file():
            return None
        key = target.relative_to(project.source.resolve()).as_posix()
        credit = credits.credit(key) if credits and key in credits.pictures else None
        return ResolvedImage(target.relative_to(project.root).as_posix(), key, credit)

    prefix = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-") or "chapter"
    seconds = markdown_seconds()
    quotes = words.smarty if words else None
    try:
        fragment = run_bounded(
            lambda: render_markdown(
                text, shown=shown, resolve_image=resolve, quotes=quotes, footnote_prefix=prefix
            ),
            seconds,
        )
    except TookTooLongError:
        raise InputError(
            [
                error(
                    shown,
                    None,
                    f"converting the Markdown took longer than {seconds:g} s (the bound per "
                    "content file); look for very long runs of [ or * and split them",
                )
            ]
        ) from None
    except DeepRecursionError:
        raise InputError(
            [
                error(
                    shown,
                    deepest_line(text),
                    "lists or quotes nested too deeply to be content; flatten them",
                )
            ]
        ) from None
    except WorkerFailedError as exc:
        raise InputError(
            [error(shown, None, f"the Markdown cannot be converted ({exc})")]
        ) from None
    return Chapter(shown, fragment)


def _check_chapters(
    project: Project,
    chapters: list[Chapter],
    scenarios: _Parsed[ScenariosFile] | None,
    pictures: _Parsed[PicturesFile] | None,
    findings: list[Finding],
) -> None:
    credited = set(pictures.value.pictures) if pictures else set()
    for chapter in chapters:
        for image in chapter.fragment.images:
            if pictures is not None and image.key not in credited:
                findings.append(
                    error(
                        chapter.path,
                        image.line,
                        f"picture {image.written!r} has no entry in source/pictures.yaml "
                        f"(key {image.key!r}: alt text and credit)",
                    )
                )
    taken: Counter[str] = Counter()
    if scenarios is not None:
        taken.update(s.anchor for s in scenarios.value.scenarios)
        taken.update(g.anchor for s in scenarios.value.scenarios for g in s.groups)
    for chapter in chapters:
        for heading in chapter.fragment.headings:
            taken[heading.anchor] += 1
            if taken[heading.anchor] > 1:
                findings.append(
                    error(
                        chapter.path,
                        heading.line,
                        f"heading {heading.text!r} gets the id {heading.anchor!r}, which another "
                        "heading, scenario or group already has; reword the heading",
                    )
                )


def load_report(project: Project) -> Loaded:
    """Read and validate the whole content of `project`; raise InputError listing every
    problem found, or return the model and the warnings."""
    findings: list[Finding] = []
    meta = load_model(project, project.source / "report.yaml", ReportFile, findings)
    scenarios = load_model(project, project.source / "scenarios.yaml", ScenariosFile, findings)
    pictures = load_model(project, project.source / "pictures.yaml", PicturesFile, findings)
    words: Catalogue | None = None
    if meta is not None:
        _check_report(project, meta, findings)
        try:
            words = load_catalogue(
                project, meta.value.lang, lang_at=(meta.shown, meta.line("lang"))
            )
        except InputError as exc:
            findings.extend(exc.findings)
    if pictures is not None:
        _check_pictures(project, pictures, findings)
    if scenarios is not None:
        _check_scenarios(scenarios, pictures, findings, project)

    chapters: list[Chapter] = []
    if meta is not None and meta.value.chapters:
        warm_up_markdown()  # once here, not in each chapter's forked conversion
    for i, name in enumerate(meta.value.chapters if meta is not None else ()):
        assert meta is not None
        try:
            chapter = _chapter(
                project,
                name,
                pictures.value if pictures else None,
                words,
                referrer=meta.shown,
                line=meta.line("chapters", i),
            )
        except InputError as exc:
            findings.extend(exc.findings)
            continue
        chapters.append(chapter)
        findings.extend(chapter.fragment.findings)
    _check_chapters(project, chapters, scenarios, pictures, findings)

    errors = [f for f in findings if f.level is Level.ERROR]
    if errors or meta is None or scenarios is None or pictures is None or words is None:
        raise InputError(errors)
    report = Report(
        meta=meta.value,
        cross=scenarios.value.cross,
        scenarios=scenarios.value.scenarios,
        credits=pictures.value,
        chapters=tuple(chapters),
        words=words,
    )
    return Loaded(report, tuple(f for f in findings if f.level is Level.WARNING))


class OutputIntent(Record):
    """The registered printing condition that the print edition's CMYK profile stands
    for (styles/output-intent.yaml); WeasyPrint would name it after the profile's
    long model tag, a printer expects the registered name."""

    identifier: Text
    registry: Text
    info: Text


def load_output_intent(project: Project) -> OutputIntent | None:
    path = project.style("output-intent.yaml")
    if not path.exists():
        return None
    findings: list[Finding] = []
    parsed = load_model(project, path, OutputIntent, findings)
    if parsed is None:
        raise InputError(findings)
    return parsed.value
