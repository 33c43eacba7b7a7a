"""The web edition: one accessible, self-contained HTML page with the PDF's content.

It is made from the same validated model and Markdown fragments as the PDFs, through the
theme's `templates/web.html.j2` and `web.css` (both overridable in styles/ like every
file of the look). Everything the page needs is written beside it (its stylesheet, the
fonts that stylesheet names, the pictures), so it makes no request to any other place;
the scenario cross is inline SVG, its stylesheet scoped to the figure so that its rules
cannot restyle the page. Nothing is written here: the caller decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportpipe import gate
from reportpipe.content import Report
from reportpipe.figure import CrossFigure
from reportpipe.findings import InputError, error
from reportpipe.project import Project
from reportpipe.render import context_for, render_template
from reportpipe.yamlfile import read_text

TEMPLATE = "web.html.j2"
STYLESHEET = "web.css"
#: Where pictures go beside the page: source/<key> of the project becomes pictures/<key>.
PICTURES = "pictures"
_SOURCE_SRC = re.compile(r'(\ssrc=")source/')
_CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)[\"']?\s*\)")
_SVG_STYLE = re.compile(r"(<style>)(.*?)(</style>)", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


@dataclass(frozen=True)
class WebEdition:
    """The page and every file it uses, by their paths under build/web/."""

    files: dict[str, bytes]

    @property
    def page(self) -> str:
        return self.files["index.html"].decode()


def render_web(project: Project, report: Report, figures: tuple[CrossFigure, ...]) -> WebEdition:
    context = context_for(report, [_scoped(f) for f in figures])
    values = {name: getattr(context, name) for name in type(context).__dataclass_fields__}
    page = render_template(project, TEMPLATE, values)
    page = _SOURCE_SRC.sub(rf"\1{PICTURES}/", page)
    files = {"index.html": page.encode()}
    css_path = project.style(STYLESHEET)
    shown = project.shown(css_path)
    if project.inside(css_path) is None or not css_path.is_file():
        raise InputError([error(shown, None, "the web edition's stylesheet is missing")])
    css = read_text(css_path, shown, roots=project.roots)
    files[STYLESHEET] = css.encode()
    for number, line in enumerate(css.splitlines(), 1):
        if "@import" in line:
            raise InputError([error(shown, number, "@import: the web edition has one stylesheet")])
        for reference in _CSS_URL.findall(line):
            files[reference] = _style_file(project, reference, shown, number)
    for use in report.pictures_in_use:
        files[f"{PICTURES}/{use.key}"] = gate.read_for(
            project.source / use.key, project.roots, shown=f"source/{use.key}"
        )
    return WebEdition(files)


def _style_file(project: Project, reference: str, shown: str, line: int) -> bytes:
    """A file web.css names (a font): a relative path inside the look, nothing else."""
    if "://" in reference or reference.startswith(("/", "data:")) or ".." in reference:
        raise InputError(
            [error(shown, line, f"{reference}: the web edition loads only files of the theme")]
        )
    path = project.style(reference)
    if project.inside(path) is None or not path.is_file():
        raise InputError([error(shown, line, f"{reference}: no such file in the theme")])
    return gate.read_for(path, project.roots, shown=project.shown(path), referrer=shown, line=line)


def _scoped(figure: CrossFigure) -> CrossFigure:
    """The figure with its stylesheet's selectors limited to the figure itself: inline
    in a page, an SVG's <style> would otherwise apply to the whole page."""
    match = _SVG_STYLE.search(figure.svg)
    if match is None:
        return figure
    scope = f"svg.scenario-cross.{figure.variant}"
    rules = []
    for selectors, body in _CSS_RULE.findall(_CSS_COMMENT.sub("", match.group(2))):
        prelude = ", ".join(f"{scope} {s.strip()}" for s in selectors.split(",") if s.strip())
        rules.append(f"{prelude} {{{body}}}")
    svg = figure.svg[: match.start(2)] + "\n".join(rules) + figure.svg[match.end(2) :]
    return CrossFigure(figure.variant, svg, figure.alt)
