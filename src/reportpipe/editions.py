"""All editions of one report rendered in memory, from the validated model.

Nothing is written here: the caller decides whether the result may replace earlier
outputs (build) or go into the archive (release).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reportpipe import gate
from reportpipe.bundle import make_bundle
from reportpipe.checkconfig import load_checks_config
from reportpipe.content import Edition, OutputIntent, Report, load_output_intent
from reportpipe.figure import CrossFigure, Variant, build_cross
from reportpipe.findings import Finding, InputError, Level, error
from reportpipe.fonts import text_measure, vendored_families
from reportpipe.pdf import Profile, Rendered, render_pdf
from reportpipe.progress import working_on
from reportpipe.project import Project
from reportpipe.render import context_for, render_html
from reportpipe.sharpness import sharpness_findings
from reportpipe.weasy import preload_hyphenation
from reportpipe.yamlfile import MAX_TEXT_BYTES, read_text


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
    stylesheet = ""
    if _exists(project, "figure.css"):
        _checked(project, "figure.css")
        figure_css = project.style("figure.css")
        stylesheet = read_text(figure_css, project.shown(figure_css), roots=project.roots)
    measure = text_measure(_font_files(project), project.roots)
    figures = tuple(
        build_cross(
            report.cross,
            report.scenarios,
            variant=v,
            stylesheet=stylesheet,
            words=report.words,
            measure=measure,
        )
        for v in Variant
    )
    return render_html(project, context_for(report, list(figures))), figures


@dataclass(frozen=True)
class _EditionJob:
    """What one edition's render needs, as plain data: it is pickled to a worker that
    was forked before the HTML existed."""

    html: str
    root: Path
    stylesheets: tuple[Path, ...]
    profile: Profile
    epoch: int
    identifier: bytes
    shown_html: str
    intent: OutputIntent | None
    families: frozenset[str]
    sources: SourceBundle | None
    edition: Edition


def render_editions(
    project: Project,
    report: Report,
    profiles: Sequence[Profile],
    *,
    progress: Callable[[str], None],
    sources: SourceBundle | None = None,
    jobs: int | None = None,
    meanwhile: Callable[[tuple[CrossFigure, ...]], None] | None = None,
) -> Rendering:
    """Every edition in `profiles`, in forked workers when there are cores for them;
    `meanwhile(figures)` runs in this process while they render (the web edition)."""
    workers = min(len(profiles), jobs or os.cpu_count() or 1)
    parallel = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
    names = ", ".join(f"{p.name} ({p.variant})" for p in profiles)
    with _long_lived_frozen():
        # The workers are forked first: they load what every render needs (the
        # hyphenation patterns) while this process lays out the HTML.
        pool = (
            multiprocessing.get_context("fork").Pool(
                workers, initializer=_worker_ready, initargs=(report.meta.lang,)
            )
            if parallel
            else None
        )
        try:
            html, figures = render_document(project, report)
            editions = _edition_jobs(project, report, profiles, html, sources)
            if pool is not None:
                # Each edition in its own process: two cores halve the wait.
                progress(f"rendering {names} on {workers} cores…")
                pending = pool.map_async(_render_job, editions, chunksize=1)
                if meanwhile is not None:
                    meanwhile(figures)
                results = pending.get()
            else:
                if profiles:
                    progress(f"rendering {names}…")
                if meanwhile is not None:
                    meanwhile(figures)
                results = [_render_job(job) for job in editions]
        finally:
            if pool is not None:
                pool.terminate()  # also on an error, a timeout or Ctrl-C: no worker outlives it
                pool.join()
    pdfs: dict[Profile, bytes] = {}
    findings: list[Finding] = []
    for profile, rendered in zip(profiles, results, strict=True):
        findings.extend(rendered.findings)
        pdfs[profile] = rendered.pdf
        progress(f"  {profile.name}: {rendered.pages} pages, {len(rendered.pdf) / 1024:.0f} KiB")
    if not any(f.level is Level.ERROR for f in findings):
        placed = [
            (p.name, pic) for p, r in zip(profiles, results, strict=True) for pic in r.pictures
        ]
        config = load_checks_config(project).preflight
        findings.extend(sharpness_findings(project, report, placed, config))
    return Rendering(report.file_stem, html, figures, pdfs, tuple(findings))


def _edition_jobs(
    project: Project,
    report: Report,
    profiles: Sequence[Profile],
    html: str,
    sources: SourceBundle | None,
) -> list[_EditionJob]:
    identifier = _identifier(project, html)
    intent = load_output_intent(project)
    families = vendored_families(_font_files(project), project.roots)
    names = dict.fromkeys(["report.css", *(f"{p.look}.css" for p in profiles)])
    checked = {n: _checked(project, n) for n in names if _exists(project, n)}  # once each
    jobs = []
    for profile in profiles:
        sheets = ["report.css", f"{profile.look}.css"]
        jobs.append(
            _EditionJob(
                html=html,
                root=project.root,
                stylesheets=tuple(checked[n] for n in sheets if n in checked),
                profile=profile,
                epoch=report.edition.epoch,
                identifier=identifier,
                shown_html=f"build/html/{report.file_stem}.html",
                intent=intent if profile.output_intent else None,
                families=families,
                sources=sources if profile.attach_sources else None,
                edition=report.edition,
            )
        )
    return jobs


def _worker_ready(lang: str) -> None:
    """A forked edition worker, before its edition comes. The cyclic garbage collector
    is off: each full collection would walk every box laid out so far, again and again
    as the document grows, while the worker ends with the build and frees everything at
    once (measured: 5 % of an edition's time on the shipped report, 15 % at 100 times
    its size, for 10 % more peak memory there)."""
    gc.disable()
    # An initializer that raises would make the pool fork a new worker forever; the
    # render meets the same problem, if any, and reports it.
    with contextlib.suppress(Exception):
        preload_hyphenation(lang)


def _render_job(job: _EditionJob) -> Rendered:
    if not gc.isenabled():  # a worker, which collects nothing by itself: free what an
        gc.collect()  # earlier edition left (before the first, about 2 ms of patterns)
    working_on(job.profile.name)
    return render_pdf(
        job.html,
        root=job.root,
        stylesheets=list(job.stylesheets),
        profile=job.profile,
        epoch=job.epoch,
        identifier=job.identifier,
        shown_html=job.shown_html,
        intent=job.intent,
        fonts_allowed=job.families,
        attachments=_attachments(job.edition, job.sources),
    )


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """Rendering makes millions of short-lived objects, and each full collection of the
    cyclic garbage collector would walk every object already alive too: the imported
    libraries, the parsed content. Those are frozen (left out of collections) while the
    editions render, and in forked workers, where collecting them would also copy their
    memory pages. About 5 % of a build's time (measured A/B); new garbage is still
    collected, and the objects are thawed afterwards, so a long preview session does not
    keep garbage forever. A caller that froze its own objects (the test suite does, once)
    keeps them frozen."""
    if gc.get_freeze_count():  # frozen already by the caller (a test session): its call
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _attachments(edition: Edition, sources: SourceBundle | None) -> list[object]:
    if sources is None:
        return []
    from weasyprint import Attachment

    moment = edition.moment
    return [
        Attachment(
            string=sources.data,
            name=sources.name,
            description=f"Sources of edition {edition.version}",
            created=moment,
            modified=moment,
            relationship="Source",
        )
    ]


def _font_files(project: Project) -> list[Path]:
    return [path for name, path in project.style_files().items() if name.startswith("fonts/")]


def _exists(project: Project, name: str) -> bool:
    path = project.style(name)
    return path.exists() or path.is_symlink()


def _checked(project: Project, name: str) -> Path:
    """A stylesheet of the look, checked before WeasyPrint asks for it, as the path
    WeasyPrint knows it by: styles/<name> of the project, wherever the file is (so that
    its relative references resolve file by file through the theme too)."""
    stylesheet = project.style(name)
    shown = project.shown(stylesheet)
    if project.inside(stylesheet) is None:
        raise InputError([error(shown, None, "points outside the project; copy the file in")])
    if not stylesheet.is_file():
        raise InputError([error(shown, None, "is not a file; a stylesheet is a .css file")])
    try:
        gate.check(stylesheet, project.roots, limit=MAX_TEXT_BYTES)
    except gate.Refusal as exc:
        raise InputError([error(shown, None, str(exc))]) from None
    return project.styles / name


def _identifier(project: Project, html: str) -> bytes:
    """The PDF file identifier: a digest of the HTML and of every file the PDF is made
    from, so any change of content, look, picture or font gives a new one."""
    digest = hashlib.sha256(html.encode())
    for name, path in project.pdf_inputs():
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32].encode()
