"""The command line: the only place that prints, and where the data flow reads top to
bottom (project -> content -> figures -> HTML -> PDFs -> outputs).

Exit codes: 0 success; 1 a check found problems (or warnings under --strict);
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from reportpipe import __version__
from reportpipe.atomic import write_atomic
from reportpipe.content import load_report
from reportpipe.figure import Variant, build_cross
from reportpipe.findings import Finding, InputError, Level
from reportpipe.fonts import vendored_families
from reportpipe.project import Project, open_project

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportpipe",
        description="Build accessible, print-ready PDF reports from Markdown and YAML.",
    )
    parser.add_argument("--version", action="version", version=f"reportpipe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="build the screen and print PDFs into build/",
        description=(
            "Validate the content in source/, then write build/<slug>-<version>.pdf "
            "(screen, PDF/UA-1) and build/<slug>-<version>-print.pdf (print, PDF/X-4). "
            "Nothing is written unless both editions render cleanly."
        ),
    )
    build.add_argument(
        "--project",
        type=Path,
        default=Path.cwd(),
        metavar="DIR",
        help="project folder holding source/ and styles/ (default: current folder)",
    )
    build.add_argument(
        "--strict", action="store_true", help="treat warnings as failures (exit 1, no output)"
    )
    return parser


def _say(message: str) -> None:
    print(message, flush=True)


def _report(findings: Sequence[Finding]) -> None:
    for finding in sorted(findings, key=lambda f: (f.path, f.line or 0)):
        print(finding, file=sys.stderr)


def _write_findings(project: Project, name: str, findings: Sequence[Finding]) -> None:
    rows = [asdict(f) | {"level": str(f.level)} for f in findings]
    data = json.dumps({"findings": rows}, ensure_ascii=False, indent=2).encode() + b"\n"
    write_atomic(project.build / "reports" / f"{name}.json", data)


def build(project: Project, *, strict: bool) -> int:
    from reportpipe.pdf import PRINT, PROFILES, read_output_intent, render_pdf  # slow import
    from reportpipe.render import context_for, render_html

    started = time.perf_counter()
    loaded = load_report(project)
    report = loaded.report
    findings = list(loaded.warnings)
    if strict and findings:
        _report(findings)
        _say(f"build failed under --strict: {len(findings)} warning(s); nothing written")
        return EXIT_FINDINGS
    _say(
        f"content: {len(report.chapters)} chapters, {len(report.scenarios)} scenarios, "
        f"{len(report.pictures)} pictures (edition {report.edition.version})"
    )

    figure_css = project.styles / "figure.css"
    stylesheet = figure_css.read_text("utf-8") if figure_css.is_file() else ""
    figures = [
        build_cross(report.cross, report.scenarios, variant=v, stylesheet=stylesheet)
        for v in Variant
    ]
    context = context_for(report, figures)
    html = render_html(project, context)
    name = f"{report.meta.slug}-{report.edition.version}"
    shown_html = f"build/html/{name}.html"
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()

    intent_file = project.styles / "output-intent.yaml"
    intent = read_output_intent(intent_file, project.shown(intent_file))
    families = vendored_families(project.styles / "fonts")
    outputs: dict[Path, bytes] = {}
    for profile in PROFILES:
        _say(f"rendering {profile.name} edition ({profile.variant})…")
        stylesheets = [project.styles / "report.css", project.styles / f"{profile.name}.css"]
        rendered = render_pdf(
            html,
            root=project.root,
            stylesheets=[s for s in stylesheets if s.is_file()],
            profile=profile,
            epoch=report.edition.epoch,
            identifier=identifier,
            shown_html=shown_html,
            intent=intent if profile is PRINT else None,
            fonts_allowed=families,
        )
        findings.extend(rendered.findings)
        outputs[project.build / f"{name}{profile.suffix}.pdf"] = rendered.pdf
        _say(f"  {rendered.pages} pages, {len(rendered.pdf) / 1024:.0f} KiB")

    _write_findings(project, "build", findings)
    errors = [f for f in findings if f.level is Level.ERROR]
    _report(findings)
    if errors:
        _say(f"build failed: {len(errors)} error(s); previous outputs left as they were")
        return EXIT_INPUT
    if strict and findings:
        _say(f"build failed under --strict: {len(findings)} warning(s); nothing written")
        return EXIT_FINDINGS

    write_atomic(project.build / "html" / f"{name}.html", html.encode())
    for figure in figures:
        write_atomic(project.build / "figures" / f"cross-{figure.variant}.svg", figure.svg.encode())
    for path, data in outputs.items():
        write_atomic(path, data)
        _say(f"wrote {project.shown(path)}")
    _say(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        project = open_project(args.project)
        if args.command == "build":
            return build(project, strict=args.strict)
    except InputError as exc:
        _report(exc.findings)
        _say("stopped: fix the problems above and run the command again")
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; previous outputs left as they were", file=sys.stderr)
        return 130
    return EXIT_INPUT
