"""The picture-credits check: every picture the report shows has alt text and an honest,
well-formed credit (creator, source, licence), printed under it and listed on the
picture-credits page; every credit belongs to a picture in use.

Anchors: REUSE's rule that every file states its licence, and Creative Commons'
"Title, Author, Source, Licence" practice. The template marks what the check reads: a
credit printed under a picture carries `data-credit-for="<key>"`, and the list of all
credits is inside an element with the `data-picture-credits` attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from reportpipe.checkconfig import CreditsConfig
from reportpipe.content import Report
from reportpipe.findings import Finding, error
from reportpipe.project import Project
from reportpipe.yamlfile import LocatedDict, line_of, load_mapping, read_text

PERMISSION = "used-with-permission"
NOT_PICTURES = (".otf", ".ttf", ".woff", ".woff2", ".icc", ".icm", ".css")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)
_LABEL = re.compile(r"^\w[\w ]{0,20}:\s+")  # "Bild: ", "Foto: "
_DOMAIN_LIKE = re.compile(r"\S\.[a-z]{2,63}/?(\s|$|/)", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@dataclass
class _Element:
    number: int
    figure: int | None
    in_list: bool


class _Page(HTMLParser):
    """What the built HTML shows: pictures, and the credit marks around them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str, _Element]] = []  # src, alt, where it stands
        self.credits: list[tuple[str, _Element]] = []  # key, where it stands
        self._stack: list[tuple[str, _Element]] = []
        self._count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        parent = self._stack[-1][1] if self._stack else _Element(0, None, False)
        self._count += 1
        here = _Element(
            self._count,
            self._count if tag == "figure" else parent.figure,
            parent.in_list or "data-picture-credits" in values,
        )
        if tag == "img":
            self.images.append((values.get("src") or "", (values.get("alt") or "").strip(), parent))
        if (key := values.get("data-credit-for")) is not None:
            self.credits.append((key, parent if tag == "span" else here))
        if tag not in _VOID:
            self._stack.append((tag, here))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return


def source_problem(text: str) -> str | None:
    """Why a credit's source or recorded credit line is not well-formed, or None.

    Free text ("Ritad för denna rapport") is fine; what looks like a web address must be
    one: a URL with a host, or a bare domain, without spaces or stray dots.
    """
    value = _LABEL.sub("", text.strip())
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not _HOST.match(parts.hostname or ""):
            return f"{text!r} is not a well-formed web address"
        if " " in value:
            return f"{text!r} has a space inside the web address"
        return None
    if not _DOMAIN_LIKE.search(value):
        return None
    host = value.rstrip("/").split("/")[0]
    if " " in value.rstrip():
        return f"{text!r} looks like a web address but has a space in it"
    if not _HOST.match(host):
        return f"{text!r} looks like a web address but {host!r} is not a well-formed domain"
    return None


@dataclass(frozen=True)
class CreditReport:
    findings: tuple[Finding, ...]
    excluded: tuple[tuple[str, str, str], ...]  # picture, field, reason
    pictures: int


def check_credits(
    project: Project, report: Report, html: str, *, config: CreditsConfig
) -> CreditReport:
    pictures_file = project.source / "pictures.yaml"
    shown = project.shown(pictures_file)
    data = load_mapping(pictures_file, shown, roots=project.roots)
    found = data.get("pictures")
    entries: LocatedDict | None = found if isinstance(found, LocatedDict) else None
    exclusions = {(e.picture, e.field): e.reason for e in config.exclude}
    used_exclusions: dict[tuple[str, str], str] = {}
    findings: list[Finding] = []

    def say(key: str, fld: str, path: str, line: int | None, message: str) -> None:
        if (key, fld) in exclusions:
            used_exclusions[(key, fld)] = exclusions[(key, fld)]
        else:
            findings.append(error(path, line, message))

    # the model strips white space around keys; the file may have it
    written = {k.strip(): k for k in reversed(entries)} if entries else {}

    def entry_line(key: str, fld: str | None = None) -> int | None:
        raw = written.get(key)
        if entries is None or raw is None:
            return data.line
        entry = entries[raw]
        if fld and isinstance(entry, LocatedDict) and fld in entry.key_lines:
            return entry.key_lines[fld]
        return entries.key_lines.get(raw)

    page = _Page()
    page.feed(html)
    uses = _uses(project, report, page)
    origins = _origins(project, report)
    captioned = {(k, e.figure or -e.number) for k, e in page.credits}
    listed = {k for k, e in page.credits if e.in_list}

    for key, (kind, alt, where) in uses.items():
        origin_path, origin_line = origins.get(key, (shown, None))
        if (
            project.resolve_reference(project.source, key) is None
            or not (project.source / key).is_file()
        ):
            say(key, "file", origin_path, origin_line, f"picture {key!r} is missing")
        if kind == "img" and not alt:
            say(key, "alt", origin_path, origin_line, f"picture {key!r} has no alternative text")
        picture = report.pictures.get(key)
        if picture is None:
            say(
                key,
                "entry",
                origin_path,
                origin_line,
                f"picture {key!r} has no credit: add it to {shown} with creator, source and "
                "licence",
            )
            continue
        for fld in ("source", "provenance"):
            value = getattr(picture, fld)
            if value and (problem := source_problem(value)):
                say(key, fld, shown, entry_line(key, fld), f"{key}: {fld}: {problem}")
        if picture.licence == PERMISSION:
            if not picture.permission:
                say(
                    key,
                    "licence",
                    shown,
                    entry_line(key, "licence"),
                    f"{key}: licence {PERMISSION!r} needs 'permission:' saying who granted it",
                )
        elif picture.licence not in config.licences:
            say(
                key,
                "licence",
                shown,
                entry_line(key, "licence"),
                f"{key}: licence {picture.licence!r} is not an allowed SPDX identifier "
                f"({', '.join(config.licences)}) nor {PERMISSION!r}",
            )
        if kind == "img" and not all((key, w) in captioned for w in where):
            say(
                key,
                "caption",
                origin_path,
                origin_line,
                f"picture {key!r} has no credit printed under it",
            )
        if key not in listed:
            say(
                key,
                "list",
                origin_path,
                origin_line,
                f"picture {key!r} is missing from the picture-credits list",
            )

    for key in report.pictures:
        if key not in uses:
            say(
                key,
                "unused",
                shown,
                entry_line(key),
                f"credit for {key!r}, which no page shows; remove it",
            )
    excluded = tuple((k, f, r) for (k, f), r in sorted(used_exclusions.items()))
    return CreditReport(tuple(sorted(findings)), excluded, len(uses))


def _key(project: Project, path: Path) -> str:
    """A project file as pictures.yaml names it: relative to source/ (a path outside
    the project stays as it is, and is reported as missing)."""
    try:
        relative = PurePosixPath(path.relative_to(project.root).as_posix())
    except ValueError:
        return path.as_posix()
    if relative.parts[:1] == ("source",):
        return relative.relative_to("source").as_posix()
    return f"../{relative}"


def _uses(project: Project, report: Report, page: _Page) -> dict[str, tuple[str, str, list[int]]]:
    """key -> (how it is shown: img or css, its alt text, where it stands in the HTML)."""
    uses: dict[str, tuple[str, str, list[int]]] = {}
    for src, alt, parent in page.images:
        if src.startswith("data:") or "://" in src:
            continue
        key = _key(project, project.root / unquote(src))
        kind, old_alt, where = uses.get(key, ("img", alt, []))
        uses[key] = (kind, alt or old_alt, [*where, parent.figure or -parent.number])
    for key in _css_pictures(project):
        uses.setdefault(key, ("css", "", []))
    return uses


def _css_pictures(project: Project) -> dict[str, tuple[str, int | None]]:
    """Pictures the stylesheets use (backgrounds), with the file and line that asks."""
    found: dict[str, tuple[str, int | None]] = {}
    sheets = [name for name in project.style_files() if name.endswith(".css")]
    for name in sheets:
        css, virtual = project.style(name), project.styles / name
        text = read_text(css, project.shown(css), roots=project.roots)
        for match in _CSS_URL.finditer(text):
            ref = match.group(1).strip()
            if ref.startswith("data:") or "://" in ref or ref.lower().endswith(NOT_PICTURES):
                continue
            target = project.inside(virtual.parent / ref) or (virtual.parent / ref)
            line = text.count("\n", 0, match.start()) + 1
            found.setdefault(_key(project, target), (project.shown(css), line))
    return found


def picture_origins(project: Project, report: Report) -> dict[str, tuple[str, int | None]]:
    """Where each picture (a key of pictures.yaml) is first asked for: file and line."""
    return _origins(project, report)


def _origins(project: Project, report: Report) -> dict[str, tuple[str, int | None]]:
    """Where each picture is asked for in the content, for messages."""
    origins: dict[str, tuple[str, int | None]] = {}
    scenarios = project.source / "scenarios.yaml"
    shown = project.shown(scenarios)
    # already validated: only its lines are wanted
    located = load_mapping(scenarios, shown, roots=project.roots)
    for i, scenario in enumerate(report.scenarios):
        for j, group in enumerate(scenario.groups):
            line = line_of(located, ("scenarios", i, "groups", j, "picture"))
            origins.setdefault(group.picture, (shown, line))
    for chapter in report.chapters:
        for image in chapter.fragment.images:
            origins.setdefault(image.key, (chapter.path, image.line))
    for key, origin in _css_pictures(project).items():
        origins.setdefault(key, origin)
    return origins
