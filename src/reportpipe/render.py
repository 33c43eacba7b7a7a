"""The model and the project's templates into one HTML document.

Templates see a typed context and nothing else; a name they use that the context does
not have is an error (StrictUndefined), not an empty string in a printed report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from reportpipe import __version__
from reportpipe.content import Report
from reportpipe.figure import CrossFigure, Variant
from reportpipe.findings import InputError, error
from reportpipe.project import Project

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class TemplateContext:
    report: Report
    figures: dict[str, CrossFigure]
    created: str  # W3C date-time of the edition, for the PDF metadata
    generator: str


def context_for(report: Report, figures: list[CrossFigure]) -> TemplateContext:
    created = report.edition.moment.isoformat()
    return TemplateContext(
        report=report,
        figures={str(f.variant): f for f in figures},
        created=created.replace("+00:00", "Z"),
        generator=f"reportpipe {__version__}",
    )


def _environment(project: Project) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(project.templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markup"] = Markup  # for fragments the markdown stage already made safe
    env.filters["figure"] = lambda f: Markup(f.svg)
    return env


def render_html(project: Project, context: TemplateContext) -> str:
    env = _environment(project)
    shown = project.shown(project.templates / TEMPLATE)
    try:
        template = env.get_template(TEMPLATE)
        return template.render(
            report=context.report,
            figures=context.figures,
            created=context.created,
            generator=context.generator,
            Variant=Variant,
        )
    except jinja2.TemplateSyntaxError as exc:
        where = project.shown(project.templates / (exc.name or TEMPLATE))
        raise InputError([error(where, exc.lineno, f"template syntax: {exc.message}")]) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError([error(shown, None, f"template not found: {exc.name}")]) from None
    except jinja2.UndefinedError as exc:
        where, line = _template_frame(exc, project) or (shown, None)
        raise InputError(
            [error(where, line, f"template uses an unknown name: {exc.message}")]
        ) from None


def _template_frame(exc: BaseException, project: Project) -> tuple[str, int] | None:
    """The innermost template line of a rendering error (Jinja puts template frames,
    with the template's file name, into the traceback)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = Path(tb.tb_frame.f_code.co_filename)
        if filename.is_relative_to(project.templates):
            found = (project.shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
