"""All editions of one report rendered in memory, from the validated model.

Nothing is written here: the caller decides whether the result may replace earlier
outputs (build) or go into the archive (release).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from reportpipe.content import Report, load_output_intent
from reportpipe.figure import CrossFigure, Variant, build_cross
from reportpipe.findings import Finding
from reportpipe.fonts import vendored_families
from reportpipe.pdf import Profile, Rendered, render_pdf
from reportpipe.project import Project
from reportpipe.render import context_for, render_html
from reportpipe.yamlfile import read_text


@dataclass(frozen=True)
class Rendering:
    name: str  # <slug>-<version>, the stem of every output file
    html: str
    figures: tuple[CrossFigure, ...]
    pdfs: dict[Profile, bytes]
    findings: tuple[Finding, ...]

    def file_name(self, profile: Profile) -> str:
        return f"{self.name}{profile.suffix}.pdf"


@dataclass(frozen=True)
class SourceBundle:
    name: str
    data: bytes


def render_document(project: Project, report: Report) -> tuple[str, tuple[CrossFigure, ...]]:
    """The report's one HTML document and the figures in it."""
    figure_css = project.styles / "figure.css"
    stylesheet = read_text(figure_css, project.shown(figure_css)) if figure_css.exists() else ""
    figures = tuple(
        build_cross(report.cross, report.scenarios, variant=v, stylesheet=stylesheet)
        for v in Variant
    )
    return render_html(project, context_for(report, list(figures))), figures


def render_editions(
    project: Project,
    report: Report,
    profiles: Sequence[Profile],
    *,
    progress: Callable[[str], None],
    sources: SourceBundle | None = None,
    jobs: int | None = None,
) -> Rendering:
    html, figures = render_document(project, report)
    name = f"{report.meta.slug}-{report.edition.version}"
    identifier = _identifier(project, html)
    intent = load_output_intent(project)
    families = vendored_families(project.styles / "fonts")

    def render(profile: Profile) -> Rendered:
        stylesheets = [project.styles / "report.css", project.styles / f"{profile.look}.css"]
        return render_pdf(
            html,
            root=project.root,
            stylesheets=[s for s in stylesheets if s.is_file()],
            profile=profile,
            epoch=report.edition.epoch,
            identifier=identifier,
            shown_html=f"build/html/{name}.html",
            intent=intent if profile.output_intent else None,
            fonts_allowed=families,
            attachments=_attachments(report, sources) if profile.attach_sources else (),
            font_cache=project.build / "cache" / "fonts",
        )

    workers = min(len(profiles), jobs or os.cpu_count() or 1)
    names = ", ".join(f"{p.name} ({p.variant})" for p in profiles)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Each edition in its own forked process: the parent's parsed content, fonts and
        # imported WeasyPrint are shared copy-on-write, and two cores halve the wait.
        progress(f"rendering {names} on {workers} cores…")
        _JOBS.clear()
        _JOBS.extend((render, profile) for profile in profiles)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(_run_job, range(len(profiles))))
    else:
        progress(f"rendering {names}…")
        results = [render(profile) for profile in profiles]
    pdfs: dict[Profile, bytes] = {}
    findings: list[Finding] = []
    for profile, rendered in zip(profiles, results, strict=True):
        findings.extend(rendered.findings)
        pdfs[profile] = rendered.pdf
        progress(f"  {profile.name}: {rendered.pages} pages, {len(rendered.pdf) / 1024:.0f} KiB")
    return Rendering(name, html, figures, pdfs, tuple(findings))


#: Work handed to forked workers: they inherit this list, so nothing is pickled but
#: the index (closures over the parsed report cannot be pickled, and need not be).
_JOBS: list[tuple[Callable[[Profile], Rendered], Profile]] = []


def _run_job(index: int) -> Rendered:
    render, profile = _JOBS[index]
    return render(profile)


def _attachments(report: Report, sources: SourceBundle | None) -> list[object]:
    if sources is None:
        return []
    from weasyprint import Attachment

    moment = report.edition.moment
    return [
        Attachment(
            string=sources.data,
            name=sources.name,
            description=f"Sources of edition {report.edition.version}",
            created=moment,
            modified=moment,
            relationship="Source",
        )
    ]


#: Files of a project that never go into a PDF (checks, distribution, the cover letter).
NOT_IN_THE_PDF = ("checks.yaml", "distribution.yaml", "letter*.txt.j2")


def _identifier(project: Project, html: str) -> bytes:
    """The PDF file identifier: a digest of the HTML and of every file under source/
    and styles/ that the PDF is made from, so any change of content, look, picture or
    font gives a new one."""
    digest = hashlib.sha256(html.encode())
    for folder in (project.source, project.styles):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if any(path.match(pattern) for pattern in NOT_IN_THE_PDF):
                continue
            digest.update(path.relative_to(project.root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32].encode()
