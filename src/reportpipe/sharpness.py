"""Pictures that would print blurred, found at build time with the Markdown or YAML line
that asks for them, and advice that helps: the pixel size that is enough at the size the
picture is printed (a larger original alone does not help when the layout, not the
file, sets the printed size; reportpipe's layout does)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from urllib.parse import unquote

from reportpipe.checkconfig import PreflightConfig
from reportpipe.content import Report
from reportpipe.credits import picture_origins
from reportpipe.findings import Finding, warning
from reportpipe.pdf import PlacedPicture
from reportpipe.project import Project

MM_PER_INCH = 25.4


def sharpness_findings(
    project: Project,
    report: Report,
    placed: Iterable[tuple[str, PlacedPicture]],
    config: PreflightConfig,
) -> list[Finding]:
    """A warning for each picture drawn under the edition's resolution: `placed` holds
    (edition name, picture) pairs; screen and print editions are judged."""
    needed = {"screen": config.warn_screen_dpi, "print": config.min_print_dpi}
    origins = picture_origins(project, report)
    findings: dict[tuple[str, str], Finding] = {}
    for edition, picture in placed:
        if edition not in needed:
            continue
        (w_in, h_in), (w_px, h_px) = picture.inches, picture.pixels
        dpi = min(w_px / w_in, h_px / h_in)
        if dpi >= needed[edition] - 0.5:
            continue
        key = unquote(picture.src).removeprefix("source/")
        path, line = origins.get(key, (project.shown(project.source / key), None))
        want = needed[edition]
        message = (
            f"picture {key} ({w_px} × {h_px} px) is printed "
            f"{w_in * MM_PER_INCH:.0f} × {h_in * MM_PER_INCH:.0f} mm on page {picture.page} "
            f"of the {edition} edition: {dpi:.0f} dpi, under the {want:g} dpi it needs; "
            f"at that size use an original of at least {math.ceil(w_in * want)} × "
            f"{math.ceil(h_in * want)} px, or print it smaller ({{width=…}} in Markdown)"
        )
        findings.setdefault((key, edition), warning(path, line, message))
    return list(findings.values())
