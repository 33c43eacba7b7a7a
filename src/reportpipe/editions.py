"""All editions of one report rendered in memory, from the validated model.

Nothing is written here: the caller decides whether the result may replace earlier
outputs (build) or go into the archive (release).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportpipe.bundle import make_bundle
from reportpipe.content import Report, load_output_intent
from reportpipe.figure import CrossFigure, Variant, build_cross
from reportpipe.findings import Finding, InputError, error
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


def source_bundle(project: Project, report: Report) -> SourceBundle:
    """The edition's sources as one deterministic tar.gz, named after the edition."""
    data = make_bundle(project, epoch=report.edition.epoch)
    return SourceBundle(f"{report.file_stem}-source.tar.gz", data)


def render_document(project: Project, report: Report) -> tuple[str, tuple[CrossFigure, ...]]:
    """The report's one HTML document and the figures in it."""
    figure_css = project.styles / "figure.css"
    stylesheet = (
        read_text(_checked(project, figure_css), project.shown(figure_css))
        if (figure_css.exists() or figure_css.is_symlink())
        else ""
    )
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
    name = report.file_stem
    identifier = _identifier(project, html)
    intent = load_output_intent(project)
    families = vendored_families(project.styles / "fonts")

    def render(profile: Profile) -> Rendered:
        sheets = [project.styles / "report.css", project.styles / f"{profile.look}.css"]
        return render_pdf(
            html,
            root=project.root,
            stylesheets=[_checked(project, s) for s in sheets if s.exists() or s.is_symlink()],
            profile=profile,
            epoch=report.edition.epoch,
            identifier=identifier,
            shown_html=f"build/html/{name}.html",
            intent=intent if profile.output_intent else None,
            fonts_allowed=families,
            attachments=_attachments(report, sources) if profile.attach_sources else (),
        )

    workers = min(len(profiles), jobs or os.cpu_count() or 1)
    names = ", ".join(f"{p.name} ({p.variant})" for p in profiles)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Each edition in its own forked process: the parent's parsed content, fonts and
        # imported WeasyPrint are shared copy-on-write, and two cores halve the wait.
        progress(f"rendering {names} on {workers} cores…")
        _JOBS.clear()
        _JOBS.extend((render, profile) for profile in profiles)
        pool = multiprocessing.get_context("fork").Pool(workers)
        try:
            results = pool.map(_run_job, range(len(profiles)))
        finally:
            pool.terminate()  # also on a timeout or Ctrl-C: no worker outlives the build
            pool.join()
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


def _checked(project: Project, stylesheet: Path) -> Path:
    """A stylesheet WeasyPrint may read: a file inside the project (WeasyPrint opens
    stylesheets given by name itself, without the project's URL fetcher)."""
    shown = project.shown(stylesheet)
    if project.inside(stylesheet) is None:
        raise InputError([error(shown, None, "points outside the project; copy the file in")])
    if not stylesheet.is_file():
        raise InputError([error(shown, None, "is not a file; a stylesheet is a .css file")])
    return stylesheet


def _identifier(project: Project, html: str) -> bytes:
    """The PDF file identifier: a digest of the HTML and of every file the PDF is made
    from, so any change of content, look, picture or font gives a new one."""
    digest = hashlib.sha256(html.encode())
    for path in project.pdf_inputs():
        digest.update(path.relative_to(project.root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32].encode()
