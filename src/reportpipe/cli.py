"""The command line: the only place that prints, and where the data flow reads top to
bottom (project -> content -> figures -> HTML -> PDFs -> outputs).

Exit codes: 0 success; 1 a check found problems (or warnings under --strict);
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from reportpipe import __version__
from reportpipe.atomic import write_all_atomic, write_atomic
from reportpipe.checks import CHECKS
from reportpipe.findings import Finding, InputError, Level, error
from reportpipe.progress import counted
from reportpipe.project import Project, open_project

if TYPE_CHECKING:
    from reportpipe.distribution import DistributionFile
    from reportpipe.figure import CrossFigure
    from reportpipe.progress import Progress
    from reportpipe.validate import Validation

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
WEB_FOLDER = "web"  # build/web/ and data/web/ of an archived edition


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportpipe",
        description="Build accessible, print-ready PDF reports from Markdown and YAML.",
    )
    parser.add_argument("--version", action="version", version=f"reportpipe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=description)
        sub.add_argument(
            "--project",
            type=Path,
            default=Path(),
            metavar="DIR",
            help="project folder holding source/ and styles/ (default: current folder)",
        )
        return sub

    new = commands.add_parser(
        "new",
        help="start a new report in a new folder",
        description="Write a new project into DIR (created; it must be empty): source/ "
        "with report.yaml, a chapter, a cross of four scenarios with placeholder groups, "
        "one credited picture, checks.yaml and a sample distribution.yaml, schemas for "
        "editors in schema/, and a README for the author. It builds, checks and releases "
        "as it is. The look comes from the theme that ships with reportpipe; put files "
        "in DIR/styles/ to override parts of it.",
    )
    new.add_argument("dir", type=Path, metavar="DIR", help="the folder to create")
    new.add_argument(
        "--lang",
        default="sv",
        metavar="LANG",
        help="the report's language: sv or en (default: sv)",
    )
    new.add_argument("--title", metavar="TEXT", help="the report's title (also gives its slug)")
    build = command(
        "build",
        "build the screen and print PDFs and the web edition into build/",
        "Validate the content in source/, then write build/<slug>-<version>.pdf "
        "(screen, PDF/UA-1), build/<slug>-<version>-print.pdf (print, PDF/X-4) and "
        "build/web/index.html (the web edition: one accessible, self-contained page). "
        "Nothing is written unless every edition renders cleanly.",
    )
    build.add_argument(
        "--strict", action="store_true", help="treat warnings as failures (exit 1, no output)"
    )
    _timeout_option(build)
    _progress_options(build)
    build.add_argument(
        "--force", action="store_true", help="build even when nothing changed since the last build"
    )
    build.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="editions rendered at once (default: one per core, at most one per edition)",
    )
    build.add_argument(
        "--edition",
        action="append",
        choices=["screen", "print", "archive", "web"],
        metavar="NAME",
        help="edition to build: screen, print, archive (PDF/A-3a with the sources "
        "attached) or web (build/web/index.html); repeat for several; default: screen, "
        "print and web",
    )
    release = command(
        "release",
        "archive the current edition under archive/<version>/",
        "Validate and build every edition (screen, print, archive), then write "
        "archive/<version>/ as a BagIt bag with checksums, the source bundle and the lock "
        "file. A version that is already archived is refused (exit 1). Nothing is "
        "committed to git.",
    )
    _timeout_option(release)
    _progress_options(release)
    release.add_argument(
        "--offline",
        action="store_true",
        help="do not check external links; bag-info.txt records that they were not checked",
    )
    check = command(
        "check",
        "check links, picture credits and the built PDFs",
        "Run all checks, or the one named: links (internal targets, e-mail syntax, and "
        "external web addresses over the network, concurrently, within a time budget), "
        "credits (alt text, creator, source and licence of every picture, printed under "
        "it and on the picture-credits page) and preflight (the PDFs in build/: fonts, "
        "picture resolution, page boxes, PDF/UA and PDF/X markers, size). Settings and "
        "exclusions, each with its reason, are in source/checks.yaml. Exit 1 when a "
        "check finds an error.",
    )
    check.add_argument(
        "which", nargs="?", choices=CHECKS, metavar="CHECK", help="links, credits or preflight"
    )
    check.add_argument(
        "--offline",
        action="store_true",
        help="do not check external links; say how many were skipped",
    )
    check.add_argument("--strict", action="store_true", help="treat warnings as failures")
    _timeout_option(check)
    _progress_options(check)
    distribute = command(
        "distribute",
        "send an archived edition to the recipients in source/distribution.yaml",
        "Write one e-mail per recipient (the cover letter in the recipient's language, "
        "templates/letter.<lang>.txt.j2 of the theme or styles/, the archived screen "
        "edition attached, its "
        "SHA-256 in the text). Only an archived edition whose checksums verify can be "
        "sent. By default nothing is sent: the messages are written as .eml files to "
        "build/outbox/<version>/ for a person to check. With --send they go out over SMTP "
        "(settings in distribution.yaml or REPORTPIPE_SMTP_HOST/_PORT/_USER/_SECURITY/"
        "_PER_MINUTE; the password only in REPORTPIPE_SMTP_PASSWORD) to every recipient "
        "who has not received this edition yet, as recorded in "
        "archive/<version>/deliveries.jsonl.",
    )
    distribute.add_argument("version", metavar="VERSION", help="the archived edition to send")
    distribute.add_argument("--send", action="store_true", help="send over SMTP (default: dry run)")
    distribute.add_argument(
        "--resend",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="send again to this recipient even if the ledger says it was served or its "
        "delivery is uncertain",
    )
    distribute.add_argument(
        "--status",
        action="store_true",
        help="show each recipient's delivery state from the ledger (sent, failed, "
        "uncertain, not sent); sends nothing",
    )
    _timeout_option(distribute)
    command(
        "validate",
        "validate the built PDFs with veraPDF (PDF/UA-1, PDF/A-3a)",
        "Run veraPDF, the reference PDF/A and PDF/UA validator, on build/: the screen "
        "edition as PDF/UA-1 and, when built (build --edition archive), the archive edition "
        "as PDF/A-3a and PDF/UA-1. Each failed rule is printed with its clause, test number, "
        "description and count. Exit 1 when a rule fails, 2 when veraPDF cannot run here "
        "(the message says what to install; `nox -s validate` installs it). The print "
        "edition (PDF/X-4) has no free validator: `check preflight` checks what it can.",
    )
    validate_web = command(
        "validate-web",
        "check the web edition with axe-core in headless Chromium",
        "Open build/web/index.html (or --page) in the system's Chromium, headless, at "
        "390 and 1280 px, and run axe-core with the WCAG 2.1 A and AA rules. Every "
        "violation, and every request the page makes outside its folder, is an error "
        "(exit 1). axe-core and puppeteer-core are pinned npm packages installed into a "
        "cache folder ($REPORTPIPE_WEB_TOOLS, default ~/.cache/reportpipe/web-check) "
        "with --install-tools; the browser is $CHROMIUM or chromium on the PATH.",
    )
    validate_web.add_argument(
        "--page", type=Path, metavar="FILE", help="the page to check (default: the web edition)"
    )
    validate_web.add_argument(
        "--install-tools",
        action="store_true",
        help="install the pinned axe-core and puppeteer-core first (npm ci), if missing",
    )
    validate_web.add_argument(
        "--screenshots",
        type=Path,
        metavar="PREFIX",
        help="also save what the browser showed as PREFIX-390.png and PREFIX-1280.png",
    )
    preview = command(
        "preview",
        "serve the report on 127.0.0.1 and rebuild it on every save",
        "Serve the web edition and the screen PDF's pages on http://127.0.0.1:PORT/ "
        "(this machine only), watch source/ and styles/, rebuild on every change in this "
        "warm process and make open pages reload themselves. A content error is shown "
        "in the page and here as path:line: error: …; the last good preview stays. "
        "Ctrl-C stops it. Nothing is written to build/ but the font cache.",
    )
    preview.add_argument(
        "--port", type=int, default=8000, metavar="PORT", help="port (default 8000; 0: any free)"
    )
    preview.add_argument("--open", action="store_true", help="open the page in a browser")
    preview.add_argument(
        "--no-pdf", action="store_true", help="the web edition only (no PDF pages, faster)"
    )
    diff = command(
        "diff",
        "show what changed between two editions, in words and in pages",
        "Compare edition OLD with NEW (archived versions, or `build` for the current "
        "sources and build/): writes build/diff/OLD..NEW/ with changes.txt (by chapter, "
        "scenario and group, in the report's language), old, new and overlay pictures of "
        "every page whose text changed (pages matched by their content) and index.html "
        "showing them side by side; prints a summary.",
    )
    diff.add_argument("old", metavar="OLD", help="an archived version")
    diff.add_argument("new", metavar="NEW", help="an archived version, or build")
    verify = command(
        "verify",
        "re-hash archived editions (and optionally rebuild them)",
        "Check every file of every archived edition, or of VERSION, against its "
        "checksums; exit 1 naming each file that changed or went missing.",
    )
    verify.add_argument("version", nargs="?", metavar="VERSION", help="only this edition")
    verify.add_argument(
        "--rebuild",
        action="store_true",
        help="also rebuild the edition from its archived sources and compare the bytes; "
        "this runs the engine code archived with the edition, only when git shows the "
        "edition's folder unchanged since the commit that added it",
    )
    verify.add_argument(
        "--trust-archive",
        action="store_true",
        help="with --rebuild: run the archived engine even when git cannot prove the "
        "folder unchanged (you have checked it yourself)",
    )
    return parser


DEFAULT_TIMEOUT = 600


def _progress_options(parser: argparse.ArgumentParser) -> None:
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="no progress output, only results"
    )
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="more progress: every page laid out, every link answered",
    )


def _progress(args: argparse.Namespace) -> Progress:
    from reportpipe.progress import Progress

    return Progress.for_terminal(
        quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False)
    )


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the command when it takes longer than this (default: {DEFAULT_TIMEOUT})",
    )


def _seconds(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError("give a number of seconds from 1 to 86400")
    return value


class _TimedOutError(BaseException):
    """A BaseException, so that no `except Exception` inside a library swallows it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimedOutError


def _arm(seconds: int | None) -> None:
    """Bound the work in time (SIGALRM, where the platform has it)."""
    if seconds and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(seconds)


def _disarm() -> None:
    """Called before outputs are written: writing is short and must not be cut."""
    if hasattr(signal, "SIGALRM"):
        signal.alarm(0)


def _say(message: str) -> None:
    print(message, flush=True)


def _report(findings: Sequence[Finding]) -> None:
    for finding in sorted(findings, key=lambda f: (f.path, f.line or 0)):
        print(finding, file=sys.stderr)


def _write_findings(
    project: Project, name: str, findings: Sequence[Finding], *, notes: Sequence[str] = ()
) -> None:
    rows = [asdict(f) | {"level": str(f.level)} for f in findings]
    report = {"findings": rows, "notes": list(notes)}
    data = json.dumps(report, ensure_ascii=False, indent=2).encode() + b"\n"
    write_atomic(project.build / "reports" / f"{name}.json", data)


def new(target: Path, *, lang: str, title: str | None) -> int:
    from reportpipe.commands.new import edition_date, new_project

    result = new_project(target, lang=lang, title=title, today=edition_date())
    _say(f"new report in {target}/ ({lang}):")
    for name in result.written:
        _say(f"  {name}")
    _say(f"next: reportpipe build --project {target}   (then: check, release)")
    return EXIT_OK


def build(
    project: Project,
    *,
    strict: bool,
    editions: Sequence[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> int:
    from reportpipe.state import build_settings, input_digest, record, up_to_date

    started = time.perf_counter()
    digest = input_digest(project, build_settings(editions, strict=strict))
    if not force and (done := up_to_date(project, digest)) is not None:
        _report_again(project)
        _say("nothing changed since the last build; up to date:")
        for path in done:
            if path.suffix == ".pdf" or path.name == "index.html":
                _say(f"  {project.shown(path)}")
        seconds = time.perf_counter() - started
        _say(f"(its findings: build/reports/build.json; checked in {seconds:.2f} s)")
        return EXIT_OK

    from reportpipe.content import load_report
    from reportpipe.editions import render_editions, source_bundle  # imports WeasyPrint: slow
    from reportpipe.pdf import ARCHIVE, PRINT, PROFILES, SCREEN

    loaded = load_report(project)
    report = loaded.report
    if strict and loaded.warnings:
        return _fail_strict(project, loaded.warnings)
    _say(
        f"content: {counted(len(report.chapters), 'chapter')}, "
        f"{counted(len(report.scenarios), 'scenario')}, "
        f"{counted(len(report.pictures), 'picture')} (edition {report.edition.version})"
    )
    chosen = [p for p in (SCREEN, PRINT, ARCHIVE) if p.name in editions] if editions else PROFILES
    sources = source_bundle(project, report) if ARCHIVE in chosen else None
    tracker = progress or _progress(argparse.Namespace())
    from reportpipe.web import WebEdition, render_web

    webs: list[WebEdition] = []

    def web_edition(figures: tuple[CrossFigure, ...]) -> None:
        if not editions or "web" in editions:  # while the PDFs render
            webs.append(render_web(project, report, figures))

    with tracker.listening():
        rendering = render_editions(
            project,
            report,
            chosen,
            progress=tracker.step,
            sources=sources,
            jobs=jobs,
            meanwhile=web_edition,
        )
    web = webs[0] if webs else None
    if web is not None:
        size = sum(map(len, web.files.values())) / 1024
        tracker.step(f"  web: {len(web.files)} files, {size:.0f} KiB")
    findings = list(dict.fromkeys([*loaded.warnings, *rendering.findings]))  # once per edition
    errors = [f for f in findings if f.level is Level.ERROR]
    if errors:
        raise InputError(findings)
    if strict and findings:
        return _fail_strict(project, findings)

    _disarm()
    outputs = {project.build / rendering.file_name(p): pdf for p, pdf in rendering.pdfs.items()}
    outputs[project.build / "html" / f"{rendering.name}.html"] = rendering.html.encode()
    for figure in rendering.figures:
        outputs[project.build / "figures" / f"cross-{figure.variant}.svg"] = figure.svg.encode()
    if web is not None:
        outputs.update({project.build / WEB_FOLDER / n: data for n, data in web.files.items()})
    write_all_atomic(outputs)
    if web is not None:
        _remove_stale(project.build / WEB_FOLDER, outputs)
    record(project, digest, outputs)
    _write_findings(project, "build", findings)
    _report(findings)
    for path in outputs:
        if path.suffix == ".pdf" or path.name == "index.html":
            _say(f"wrote {project.shown(path)}")
    _say(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _remove_stale(folder: Path, outputs: dict[Path, bytes]) -> None:
    """Files of an earlier web edition that this one no longer has (a picture removed)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path not in outputs:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _report_again(project: Project) -> None:
    """The findings of the last build, which still hold when nothing changed."""
    try:
        rows = json.loads((project.build / "reports" / "build.json").read_text("utf-8"))
        _report(
            [
                Finding(r["path"], r["line"], Level(r["level"]), r["message"])
                for r in rows["findings"]
            ]
        )
    except (OSError, ValueError, KeyError, TypeError):
        pass


def _fail_strict(project: Project, findings: Sequence[Finding]) -> int:
    _write_findings(project, "build", findings)
    _report(findings)
    _say(f"build failed under --strict: {len(findings)} warning(s); no PDF written")
    return EXIT_FINDINGS


def release(project: Project, *, offline: bool, progress: Progress | None = None) -> int:
    from reportpipe.archive import (
        LOCK,
        AlreadyArchivedError,
        Payload,
        edition_info,
        lock_record,
        versions,
        write_bag,
    )
    from reportpipe.checks import run_checks
    from reportpipe.content import load_report
    from reportpipe.editions import render_editions, source_bundle
    from reportpipe.pdf import ARCHIVE, PRINT, SCREEN

    loaded = load_report(project)
    report = loaded.report
    version = report.edition.version
    if version in versions(project):
        _say(
            f"edition {version} is already archived in archive/{version}/ and is never "
            "rewritten; add a new edition at the top of editions: in source/report.yaml"
        )
        return EXIT_FINDINGS
    from reportpipe.validate import ValidatorUnavailableError, toolchain

    try:
        toolchain()  # before the long part: an edition is archived only once validated
    except ValidatorUnavailableError as exc:
        print(f"release: error: veraPDF cannot run: {exc}", file=sys.stderr)
        _say("release refused: the editions cannot be validated here; nothing archived")
        return EXIT_INPUT
    lock = lock_record(project, version)  # refuses before any work when it cannot
    bundle = source_bundle(project, report)
    tracker = progress or _progress(argparse.Namespace())
    with tracker.listening():
        rendering = render_editions(
            project, report, (SCREEN, PRINT, ARCHIVE), progress=tracker.step, sources=bundle
        )
    from reportpipe.web import render_web

    web = render_web(project, report, rendering.figures)
    findings = list(dict.fromkeys([*loaded.warnings, *rendering.findings]))
    if any(f.level is Level.ERROR for f in findings):
        raise InputError(findings)
    # The PDFs the checks look at are kept in build/release/, so that every finding
    # names a file that exists, also when the release is refused.
    pdfs = {}
    for profile, data in rendering.pdfs.items():
        path = project.build / "release" / rendering.file_name(profile)
        write_atomic(path, data)
        pdfs[profile.name] = (path, project.shown(path))
    try:
        validation = _validate_release(project, pdfs)
    except ValidatorUnavailableError as exc:
        print(f"release: error: veraPDF cannot run: {exc}", file=sys.stderr)
        _say("release refused: the editions could not be validated; nothing archived")
        return EXIT_INPUT
    del pdfs[ARCHIVE.name]  # preflight knows the screen and print editions
    with tracker.listening():
        results = run_checks(project, report, rendering.html, CHECKS, offline=offline, pdfs=pdfs)
    findings.extend(validation.findings())
    # The bag records each verdict under the name the edition is archived as.
    staged = f"{project.shown(project.build / 'release')}/"
    verdicts = [
        v.summary().replace(staged, f"archive/{version}/data/") for v in validation.verdicts
    ]
    for verdict in verdicts:
        _say(f"validate: {verdict}")
    for result in results:
        findings.extend(f for f in result.findings if f not in findings)
        for note in result.notes:
            _say(f"{result.name}: {note}")
    _write_findings(project, "release", findings)
    _report(findings)
    if any(f.level is Level.ERROR for f in findings):
        _say("release refused: the checks found errors; nothing archived")
        return EXIT_FINDINGS
    links_note = next(n for r in results if r.name == "links" for n in r.notes[-1:])
    _disarm()
    payload = [Payload(rendering.file_name(p), pdf) for p, pdf in rendering.pdfs.items()]
    payload.append(Payload(bundle.name, bundle.data))
    payload.append(Payload(LOCK, lock))  # the exact versions, always (lock_record)
    payload.extend(Payload(f"{WEB_FOLDER}/{name}", data) for name, data in web.files.items())
    info = edition_info(
        report,
        [f for f in findings if f.level is Level.WARNING],
        offline=offline,
        links=links_note,
        tool=f"reportpipe {__version__}",
        validator=validation.validator,
        validation=verdicts,
    )
    try:
        folder = write_bag(project, version, payload, info)
    except AlreadyArchivedError:
        _say(f"edition {version} was archived meanwhile; nothing written")
        return EXIT_FINDINGS
    _say(f"archived edition {version} in {project.shown(folder)}/:")
    for item in payload:
        if not item.name.startswith(f"{WEB_FOLDER}/"):
            _say(f"  data/{item.name}  sha256 {hashlib.sha256(item.data).hexdigest()}")
    _say(f"  data/{WEB_FOLDER}/index.html and {len(web.files) - 1} files beside it (web edition)")
    _say("commit the folder to keep it: git add archive/ && git commit")
    return EXIT_OK


def _validate_release(project: Project, pdfs: dict[str, tuple[Path, str]]) -> Validation:
    """veraPDF on the release's screen (PDF/UA-1) and archive (PDF/A-3a, PDF/UA-1) editions."""
    from reportpipe.validate import Job
    from reportpipe.validate import validate as run_validator

    wanted = (("screen", "ua1"), ("archive", "3a"), ("archive", "ua1"))
    jobs = [Job(pdfs[name][0], pdfs[name][1], flavour) for name, flavour in wanted]
    _say("validating the screen and archive editions with veraPDF…")
    return run_validator(jobs)


def check(
    project: Project,
    which: str | None,
    *,
    offline: bool,
    strict: bool,
    progress: Progress | None = None,
) -> int:
    from reportpipe.checks import run_checks
    from reportpipe.content import load_report
    from reportpipe.editions import render_document
    from reportpipe.pdf import PROFILES

    loaded = load_report(project)
    report = loaded.report
    html, _ = render_document(project, report)
    built = {p.name: project.build / f"{report.file_stem}{p.suffix}.pdf" for p in PROFILES}
    pdfs = {edition: (path, project.shown(path)) for edition, path in built.items()}
    with (progress or _progress(argparse.Namespace())).listening():
        results = run_checks(
            project, report, html, [which] if which else CHECKS, offline=offline, pdfs=pdfs
        )
    failed = False
    for result in results:
        _write_findings(project, result.name, result.findings, notes=result.notes)
        for note in result.notes:
            _say(f"{result.name}: {note}")
        _report(result.findings)
        errors = sum(f.level is Level.ERROR for f in result.findings)
        warnings = len(result.findings) - errors
        _say(f"{result.name}: {errors} error(s), {warnings} warning(s)")
        failed = failed or errors > 0 or (strict and warnings > 0)
    return EXIT_FINDINGS if failed else EXIT_OK


def distribute(
    project: Project, version: str, *, send: bool, resend: list[str], status: bool = False
) -> int:
    import datetime as dt

    from reportpipe.archive import archive_root, archived_report, check_bag, versions
    from reportpipe.distribution import (
        DISTRIBUTION_FILE,
        LEDGER,
        LOCAL_HOSTS,
        Ledger,
        archived_edition,
        load_distribution,
        read_ledger,
        send_letters,
        smtp_settings,
        write_letters,
    )

    if version not in versions(project):
        raise InputError(
            [error("archive", None, f"no archived edition {version}: release it first")]
        )
    if status:  # the ledger only: no letters are written
        return _delivery_status(project, version, load_distribution(project, lang=None))
    problems = check_bag(project, version)
    if problems:
        _report(problems)
        _say(f"edition {version} no longer matches its checksums: nothing sent")
        return EXIT_FINDINGS
    meta = archived_report(project, version)
    distribution = load_distribution(project, lang=meta.lang)
    pdf = archive_root(project) / version / "data" / f"{meta.file_stem(version)}.pdf"
    edition = archived_edition(meta, version, pdf)
    now = dt.datetime.now(dt.UTC)
    letters = list(write_letters(project, distribution, edition, now=now))
    if not send:
        outbox = project.build / "outbox" / version
        files = {
            outbox / f"{n:02d}-{_file_name(letter.recipient.email)}.eml": letter.message.as_bytes()
            for n, letter in enumerate(letters, 1)
        }
        write_all_atomic(files)
        for old in outbox.glob("*.eml"):
            if old not in files:
                old.unlink()  # a recipient no longer listed
        _say(f"dry run: {len(files)} messages written to {project.shown(outbox)}/ (nothing sent):")
        for path in files:
            _say(f"  {path.name}")
        _say(f"attachment {pdf.name}, sha256 {edition.sha256}; send with --send")
        return EXIT_OK

    shown = project.shown(project.source / DISTRIBUTION_FILE)
    settings = smtp_settings(distribution.smtp, shown)
    if distribution.sample and settings.host not in LOCAL_HOSTS:
        raise InputError(
            [
                error(
                    shown,
                    None,
                    f"this is a sample list (sample: true): it is sent only to a "
                    f"test server on this machine, not to {settings.host}",
                )
            ]
        )
    ledger_path = archive_root(project) / version / LEDGER
    known = {letter.recipient.email.lower() for letter in letters}
    unknown = [a for a in resend if a.lower() not in known]
    if unknown:
        raise InputError(
            [error(shown, None, f"--resend {a}: not a recipient in this file") for a in unknown]
        )
    again = {a.lower() for a in resend}
    ledger = Ledger(ledger_path)
    try:
        state = read_ledger(ledger_path)
        skip = (state.served | state.uncertain) - again
        for address in sorted(state.uncertain - again):
            _say(
                f"  uncertain: {address}: a delivery was started but its result never "
                "recorded; check with the recipient, then --resend it if needed"
            )
        todo = [letter for letter in letters if letter.recipient.email.lower() not in skip]
        if not todo:
            _say(f"nobody left to send edition {version} to ({project.shown(ledger_path)})")
            return EXIT_FINDINGS if state.uncertain - again else EXIT_OK
        _say(
            f"sending edition {version} to {len(todo)} of {len(letters)} recipients "
            f"via {settings.host}…"
        )
        outcome = send_letters(todo, settings=settings, ledger=ledger, progress=_say)
    finally:
        ledger.close()
    _say(
        f"{outcome.sent} sent, {outcome.failed} failed, {len(outcome.uncertain)} uncertain; "
        f"recorded in {project.shown(ledger_path)}"
    )
    if outcome.failed:
        _say("run the same command again to retry the failed ones")
    uncertain = [*outcome.uncertain, *sorted(state.uncertain - again)]
    if uncertain:
        _say("uncertain (handed over, no final answer; never resent by themselves):")
        for address in uncertain:
            _say(f"  {address}")
        _say(f"check with them; resend one with --resend ADDRESS (see --status {version})")
    return EXIT_FINDINGS if outcome.failed or outcome.uncertain else EXIT_OK


def _delivery_status(project: Project, version: str, distribution: DistributionFile) -> int:
    """Each recipient's state in the ledger; sends nothing, needs no server."""
    from reportpipe.archive import archive_root
    from reportpipe.distribution import LEDGER, delivery_status, read_ledger

    ledger_path = archive_root(project) / version / LEDGER
    rows = delivery_status(distribution, read_ledger(ledger_path))
    _say(f"edition {version}, as recorded in {project.shown(ledger_path)}:")
    width = max(len(address) for address, _, _ in rows)
    for address, state, detail in rows:
        _say(f"  {address:<{width}}  {state:<9}  {detail}".rstrip())
    counts = {k: sum(r[1] == k for r in rows) for k in ("sent", "failed", "uncertain", "not sent")}
    _say(", ".join(f"{n} {k}" for k, n in counts.items()))
    return EXIT_OK


def _file_name(address: str) -> str:
    """An address as part of a file name: nothing that could climb out of the folder."""
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", address).strip(".") or "recipient"


def validate(project: Project) -> int:
    from reportpipe.content import load_report
    from reportpipe.validate import Job, ValidatorUnavailableError
    from reportpipe.validate import validate as run_validator

    stem = load_report(project).report.file_stem
    screen, archive = project.build / f"{stem}.pdf", project.build / f"{stem}-archive.pdf"
    if not screen.is_file():
        raise InputError(
            [error(project.shown(screen), None, "not built: run `reportpipe build` first")]
        )
    jobs = [Job(screen, project.shown(screen), "ua1")]
    if archive.is_file():
        jobs += [Job(archive, project.shown(archive), f) for f in ("3a", "ua1")]
    else:
        _say("validate: no archive edition in build/ (build --edition archive); not validated")
    _say(f"validating {len(jobs)} PDF/profile pair(s) with veraPDF…")
    try:
        result = run_validator(jobs)
    except ValidatorUnavailableError as exc:
        print(f"validate: error: veraPDF cannot run: {exc}", file=sys.stderr)
        return EXIT_INPUT
    findings = result.findings()
    notes = [result.validator, *(v.summary() for v in result.verdicts)]
    _write_findings(project, "validate", findings, notes=notes)
    _report(findings)
    for note in notes:
        _say(f"validate: {note}")
    _say("validate: the print edition (PDF/X-4) has no free validator; see `check preflight`")
    return EXIT_OK if result.passed else EXIT_FINDINGS


def verify(
    project: Project, version: str | None, *, rebuild: bool, trust_archive: bool = False
) -> int:
    from reportpipe.archive import BESIDE_THE_BAG, check_bag, rebuild_edition, versions
    from reportpipe.trust import UntrustedArchiveError, committed_unchanged

    archived = versions(project)
    if version is not None and version not in archived:
        known = ", ".join(archived) or "none"
        raise InputError(
            [error("archive", None, f"no archived edition {version} (archived: {known})")]
        )
    targets = [version] if version else archived
    if not targets:
        _say("no archived editions under archive/")
        return EXIT_OK
    findings: list[Finding] = []
    for target in targets:
        problems = check_bag(project, target)
        if rebuild and not problems:
            try:
                commit = committed_unchanged(project.root, target, BESIDE_THE_BAG)
                _say(f"{target}: archive/{target}/ is as commit {commit[:12]} added it (git)")
            except UntrustedArchiveError as exc:
                if not trust_archive:
                    problems = [_untrusted(target, str(exc))]
                else:
                    _say(f"{target}: {exc}; running its engine anyway (--trust-archive)")
        if rebuild and not problems:
            _say(f"rebuilding {target} from its archived sources…")
            problems = rebuild_edition(project, target, progress=_say)
        findings.extend(problems)
        failed = any(p.level is Level.ERROR for p in problems)
        _say(f"{target}: {'FAILED' if failed else 'ok'}")
    _write_findings(project, "verify", findings)
    _report(findings)
    return EXIT_FINDINGS if any(f.level is Level.ERROR for f in findings) else EXIT_OK


def _untrusted(version: str, why: str) -> Finding:
    return error(
        f"archive/{version}",
        None,
        f"--rebuild refused: it would run the engine code stored in the archive, and {why}; "
        "review the folder, then pass --trust-archive to run it anyway",
    )


def diff(project: Project, old: str, new: str) -> int:
    from reportpipe.commands.diff import diff_editions

    result = diff_editions(project, old, new)
    for change in result.changes:
        what = f"{change.old} -> {change.new}" if change.kind == "changed" else change.new
        _say(f"  {change.where}: {change.kind}: {what or change.old}")
    for page in result.pages:
        _say(f"  page {page.old or '-'} -> {page.new or '-'}: {page.image}-*.png")
    _say(
        f"diff {old}..{new}: {len(result.changes)} change(s), {len(result.pages)} page(s) "
        f"changed, {result.words_added} word(s) added, {result.words_removed} removed; "
        f"see {project.shown(result.folder)}/index.html"
    )
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def preview(project: Project, *, port: int, open_browser: bool, pdf: bool) -> int:
    from reportpipe.preview import serve

    def ready(url: str) -> None:
        _say(f"preview: {url}  (this machine only; Ctrl-C stops it)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: serve() has stopped it all
        serve(project, port=port, say=_say, ready=ready, pdf=pdf)
    _say("preview stopped")
    return EXIT_OK


def validate_web(
    project: Project, page: Path | None, *, install: bool, screenshots: Path | None
) -> int:
    from reportpipe.commands.validate_web import (
        check_page,
        chromium,
        install_tools,
        tools_folder,
    )

    browser = chromium()
    if browser is None:
        raise InputError(
            [error("chromium", None, "not found: apt-get install chromium, or set $CHROMIUM")]
        )
    tools = tools_folder()
    if install and install_tools(tools):
        _say(f"installed axe-core and puppeteer-core into {tools}")
    target = page if page is not None else project.build / WEB_FOLDER / "index.html"
    shown = project.shown(target.resolve())
    result = check_page(target, shown=shown, tools=tools, browser=browser, screenshots=screenshots)
    _write_findings(project, "validate-web", result.findings)
    _report(result.findings)
    _say(
        f"validate-web: {shown} in {browser.name} with axe-core {result.axe} "
        f"(WCAG 2.1 A and AA, 390 and 1280 px): {len(result.findings)} violation(s)"
    )
    return EXIT_OK if result.passed else EXIT_FINDINGS


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project: Project | None = None
    _arm(getattr(args, "timeout", None))
    try:
        if args.command == "new":
            return new(args.dir, lang=args.lang, title=args.title)
        project = open_project(args.project, with_content=args.command != "verify")
        if args.command == "build":
            return build(
                project,
                strict=args.strict,
                editions=args.edition,
                force=args.force,
                jobs=args.jobs,
                progress=_progress(args),
            )
        if args.command == "release":
            return release(project, offline=args.offline, progress=_progress(args))
        if args.command == "check":
            return check(
                project,
                args.which,
                offline=args.offline,
                strict=args.strict,
                progress=_progress(args),
            )
        if args.command == "distribute":
            return distribute(
                project, args.version, send=args.send, resend=args.resend, status=args.status
            )
        if args.command == "validate":
            return validate(project)
        if args.command == "verify":
            return verify(
                project, args.version, rebuild=args.rebuild, trust_archive=args.trust_archive
            )
        if args.command == "diff":
            return diff(project, args.old, args.new)
        if args.command == "preview":
            return preview(project, port=args.port, open_browser=args.open, pdf=not args.no_pdf)
        if args.command == "validate-web":
            return validate_web(
                project, args.page, install=args.install_tools, screenshots=args.screenshots
            )
    except InputError as exc:
        if project is not None:
            _write_findings(project, args.command, exc.findings)
        _report(exc.findings)
        _say("stopped: fix the problems above and run the command again; nothing was written")
        return EXIT_INPUT
    except OSError as exc:
        where = str(exc.filename or args.project)
        if project is not None and exc.filename:
            where = project.shown(Path(str(exc.filename)))
        print(f"{where}: error: {exc.strerror or exc}", file=sys.stderr)
        _say("stopped: previous outputs are left as they were")
        return EXIT_INPUT
    except _TimedOutError:
        done = (
            "a message being handed over is recorded as uncertain (see --status)"
            if args.command == "distribute"
            else "nothing was written"
        )
        print(
            f"{args.command}: error: stopped after {args.timeout} s (--timeout); {done}",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; previous outputs left as they were", file=sys.stderr)
        return 130
    return EXIT_INPUT
