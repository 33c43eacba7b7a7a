"""`reportpipe check`: links, picture credits and print preflight, on one project.

Each check gives findings (`path:line: error|warning: message`) and notes: what it
skipped and why (exclusions with their reasons, links not checked offline), so that
nothing is passed over silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportpipe.findings import Finding, InputError, error
from reportpipe.progress import LOGGER as PROGRESS
from reportpipe.progress import counted
from reportpipe.project import Project

if TYPE_CHECKING:  # the checks themselves load lazily: `reportpipe --help` stays fast
    from reportpipe.checkconfig import ChecksConfig
    from reportpipe.content import Report

CHECKS = ("links", "credits", "preflight")
_ID = re.compile(r"""\sid=["']([^"']+)["']""")
_HREF = re.compile(r"""<a\s[^>]*href=["']#([^"']*)["']""")


@dataclass(frozen=True)
class CheckResult:
    name: str
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def run_checks(
    project: Project,
    report: Report,
    html: str,
    names: Sequence[str],
    *,
    offline: bool,
    pdfs: dict[str, tuple[Path, str]],
    config: ChecksConfig | None = None,
) -> list[CheckResult]:
    """Run the named checks; `pdfs` maps edition names (screen, print) to a built PDF
    and the name messages give it."""
    from reportpipe.checkconfig import load_checks_config

    config = config or load_checks_config(project)
    results = []
    for name in names:
        PROGRESS.info("check %s…", name)
        if name == "links":
            results.append(_links(project, report, html, config, offline=offline))
        elif name == "credits":
            results.append(_credits(project, report, html, config))
        elif name == "preflight":
            results.append(_preflight(project, pdfs, config))
    return results


def _links(
    project: Project, report: Report, html: str, config: ChecksConfig, *, offline: bool
) -> CheckResult:
    from reportpipe.links import Link, check_links

    links = [
        Link(url=ref.url, text=ref.text, path=chapter.path, line=ref.line)
        for chapter in report.chapters
        for ref in chapter.fragment.links
    ]
    written = {ref.url for chapter in report.chapters for ref in chapter.fragment.links}
    template = project.shown(project.style("templates/report.html.j2"))
    for fragment in sorted(set(_HREF.findall(html))):
        if f"#{fragment}" not in written:
            links.append(Link(url=f"#{fragment}", text=f"#{fragment}", path=template, line=None))
    cache = project.build / "cache" / "links.json"
    result = check_links(
        links,
        anchors=frozenset(_ID.findall(html)),
        config=config.links,
        offline=offline,
        cache_file=cache,
    )
    notes = [
        f"{link.path}{f':{link.line}' if link.line else ''}: excluded {link.text!r} "
        f"({link.url or 'no target'}): {why}"
        for link, why in result.excluded
    ]
    notes.append(
        f"{len(links)} links: {result.checked} external checked, {result.cached} from the "
        f"cache, {result.skipped_offline} external not checked (offline), "
        f"{len(result.excluded)} excluded; {result.seconds:.1f} s"
    )
    return CheckResult("links", result.findings, tuple(notes))


def _credits(project: Project, report: Report, html: str, config: ChecksConfig) -> CheckResult:
    from reportpipe.credits import check_credits

    result = check_credits(project, report, html, config=config.credits)
    shown = project.shown(project.source / "pictures.yaml")
    notes = [f"{shown}: excluded {key} {fld}: {why}" for key, fld, why in result.excluded]
    notes.append(f"{result.pictures} pictures in use, {len(report.pictures)} credits")
    return CheckResult("credits", result.findings, tuple(notes))


def _preflight(
    project: Project, pdfs: dict[str, tuple[Path, str]], config: ChecksConfig
) -> CheckResult:
    from reportpipe.preflight import preflight
    from reportpipe.stableurls import image_names

    findings: list[Finding] = []
    notes = []
    names = image_names(name for name, _ in project.pdf_inputs())
    for edition, (pdf, shown) in pdfs.items():
        if not pdf.is_file():
            raise InputError([error(shown, None, "not built yet: run `reportpipe build` first")])
        found, facts = preflight(
            pdf, shown=shown, edition=edition, config=config.preflight, names=names
        )
        findings.extend(found)
        notes.append(
            f"{shown}: {counted(facts.pages, 'page')}, {facts.bytes / 1024:.0f} KiB, "
            f"{counted(len(facts.fonts), 'font')}, {counted(len(facts.images), 'raster picture')}"
        )
    return CheckResult("preflight", tuple(findings), tuple(notes))
