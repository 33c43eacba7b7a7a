"""The model and the project's templates into one HTML document.

Templates see a typed context and nothing else; a name they use that the context does
not have is an error (StrictUndefined), not an empty string in a printed report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reportpipe import __version__, gate
from reportpipe.catalogue import Catalogue
from reportpipe.content import Report
from reportpipe.figure import CrossFigure, Variant
from reportpipe.findings import InputError, error
from reportpipe.project import THEME, Project
from reportpipe.yamlfile import MAX_TEXT_BYTES

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class TemplateContext:
    report: Report
    figures: dict[str, CrossFigure]
    created: str  # W3C date-time of the edition, for the PDF metadata
    generator: str
    t: Catalogue  # the frame's words: t("key", name=value), t.date(d), t.css(...)
    Variant: type[Variant] = Variant


def context_for(report: Report, figures: list[CrossFigure]) -> TemplateContext:
    return TemplateContext(
        report=report,
        figures={str(f.variant): f for f in figures},
        created=report.edition.moment.isoformat().replace("+00:00", "Z"),
        generator=f"reportpipe {__version__}",
        t=report.words,
    )


class _ProjectLoader(jinja2.BaseLoader):
    """Loads the project's templates (styles/templates/), then the packaged theme's (the
    first folder that has a template wins), through the gate: a template that is a
    symlink out of the project, a pipe or a device is refused like any other read."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        parts = template.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise jinja2.TemplateNotFound(template)
        path = self.project.style("templates/" + "/".join(parts))
        if not path.exists() and not path.is_symlink():
            raise jinja2.TemplateNotFound(template)
        read = _version(path)  # before the read: a change in between is seen as one later
        try:
            data = gate.read(path, self.project.roots, limit=MAX_TEXT_BYTES)
        except gate.Refusal as exc:
            raise jinja2.TemplateNotFound(f"{template} ({exc})") from None
        source = data.decode("utf-8")  # UnicodeDecodeError is reported by render_template
        return source, str(path), lambda: read is not None and _version(path) == read


def _version(path: Path) -> tuple[int, ...] | None:
    """What tells one content of a template file from the next (None: unreadable), so
    that Jinja reuses a compiled template until its file changes (Jinja's own file loader
    looks at the modification time alone)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


#: One environment per project and set of template overrides, so that a process that
#: renders again (the preview) reuses compiled templates (about 20 ms each time for the
#: default theme); Jinja recompiles a template whose file changed (`_version`), and a
#: new or removed override gives a new environment.
_ENVIRONMENTS: dict[tuple[str, tuple[tuple[str, int], ...]], jinja2.Environment] = {}


def _environment(project: Project) -> jinja2.Environment:
    overrides: tuple[tuple[str, int], ...] = ()
    if project.templates.is_dir():
        overrides = tuple(
            (str(p), p.lstat().st_mtime_ns) for p in sorted(project.templates.rglob("*"))
        )
    key = (str(project.root), overrides)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS.clear()  # one project at a time is usual: keep memory flat
        _ENVIRONMENTS[key] = _new_environment(project)
    return _ENVIRONMENTS[key]


def _new_environment(project: Project) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_ProjectLoader(project),
        # HTML templates escape what they insert; plain-text ones (letters) do not.
        autoescape=jinja2.select_autoescape(("html.j2", "html"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markup"] = Markup  # for fragments the markdown stage already made safe
    env.filters["figure"] = lambda f: Markup(f.svg)  # built by figure.py, escaped there
    return env


def render_html(project: Project, context: TemplateContext) -> str:
    values: dict[str, Any] = {
        name: getattr(context, name) for name in TemplateContext.__dataclass_fields__
    }
    return render_template(project, TEMPLATE, values)


def render_template(project: Project, name: str, values: dict[str, Any]) -> str:
    """Render a template of the project; any mistake in it is an InputError naming the
    template file and line."""
    shown = project.shown(project.style(f"templates/{name}"))
    try:
        return _environment(project).get_template(name).render(values)
    except jinja2.TemplateSyntaxError as exc:
        where = project.shown(project.style(f"templates/{exc.name or name}"))
        raise InputError([error(where, exc.lineno, f"template syntax: {exc.message}")]) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError([error(shown, None, f"template not found: {exc.name}")]) from None
    except UnicodeDecodeError:
        raise InputError([error(shown, None, "template is not UTF-8 text")]) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError) as exc:
        where, line = _template_frame(exc, project) or (shown, None)
        message = exc.message if isinstance(exc, jinja2.TemplateError) else str(exc)
        kind = "unknown name" if isinstance(exc, jinja2.UndefinedError) else "error"
        raise InputError([error(where, line, f"template {kind}: {message}")]) from None


def _template_frame(exc: BaseException, project: Project) -> tuple[str, int] | None:
    """The innermost template line of a rendering error (Jinja puts template frames,
    with the template's file name, into the traceback)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = Path(tb.tb_frame.f_code.co_filename)
        if filename.is_relative_to(project.templates) or filename.is_relative_to(THEME):
            found = (project.shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
