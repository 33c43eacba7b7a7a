"""The user interface of reportpipe: `nox -s build`, `nox -s tests`, `nox -s lint`.

Every session installs from constraints.txt (pinned versions), so a build today and a
rebuild in a year use the same code. Virtual environments are reused between runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "check", "tests", "lint"]

CONSTRAINTS = ("-c", "constraints.txt")


def install(session: nox.Session, *extras: str) -> None:
    """Install reportpipe (with `extras`) and its dependencies at their pinned versions."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install(*CONSTRAINTS, "-e", target)


@nox.session(default=False)
def new(session: nox.Session) -> None:
    """Start a new report: `nox -s new -- DIR [--lang sv|en] [--title TEXT]`."""
    install(session)
    session.run("reportpipe", "new", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the screen and print PDFs into build/ (arguments go to `reportpipe build`)."""
    install(session)
    session.run("reportpipe", "build", *session.posargs)


@nox.session
def check(session: nox.Session) -> None:
    """Build, then run every check: links, credits, preflight (e.g. `-- --offline`)."""
    install(session)
    session.run("reportpipe", "build")
    session.run("reportpipe", "check", *session.posargs)


@nox.session
def links(session: nox.Session) -> None:
    """Check the report's links (e.g. `-- --offline`)."""
    install(session)
    session.run("reportpipe", "check", "links", *session.posargs)


@nox.session
def credits(session: nox.Session) -> None:
    """Check the pictures' alt texts and credits."""
    install(session)
    session.run("reportpipe", "check", "credits", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (arguments go to pytest)."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check formatting, lint rules and types."""
    install(session, "lint")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure build, rebuild and link-check times (results in build/bench/results.json)."""
    install(session, "test")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(default=False)
def preview(session: nox.Session) -> None:
    """Serve the report on 127.0.0.1 and rebuild it on every save (`-- --port 8001 --open`)."""
    install(session, "preview")
    session.run("reportpipe", "preview", *session.posargs)


@nox.session(default=False)
def bench_preview(session: nox.Session) -> None:
    """Measure how soon the preview shows a saved change (build/bench/preview.json)."""
    install(session, "preview")
    session.run("python", "bench/preview.py", *session.posargs)


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Check, build and archive the current edition in archive/<version>/ (`-- --offline`)."""
    install(session)
    session.run("reportpipe", "release", *session.posargs)


@nox.session(default=False)
def distribute(session: nox.Session) -> None:
    """Preview (default) or send (`-- VERSION --send`) an archived edition."""
    install(session)
    session.run("reportpipe", "distribute", *session.posargs)


@nox.session(default=False)
def verify(session: nox.Session) -> None:
    """Re-hash archived editions (arguments: [VERSION] [--rebuild])."""
    install(session)
    session.run("reportpipe", "verify", *session.posargs)


@nox.session(default=False, reuse_venv=False)
def lock(session: nox.Session) -> None:
    """Re-resolve dependencies to the newest allowed versions and rewrite constraints.txt."""
    session.install("-e", ".[test,lint]")
    frozen = session.run("pip", "freeze", "--exclude", "reportpipe", silent=True)
    header = (
        "# Pinned dependencies: every nox session installs with '-c constraints.txt', so an\n"
        "# edition built today can be rebuilt byte for byte later. Regenerate with 'nox -s lock'\n"
        "# (it installs the newest allowed versions into a fresh environment and freezes them).\n"
    )
    Path("constraints.txt").write_text(header + str(frozen), encoding="utf-8")


@nox.session(default=False)
def schema(session: nox.Session) -> None:
    """Regenerate the JSON Schemas of the content files in schema/ from the model."""
    install(session)
    session.run(
        "python",
        "-c",
        "from pathlib import Path; from reportpipe.schema import write_schemas; "
        "print(*write_schemas(Path('schema')), sep='\\n')",
    )


@nox.session(default=False)
def validate_web(session: nox.Session) -> None:
    """The web edition in headless Chromium with axe-core (WCAG 2.1 A and AA): installs
    Debian's chromium (apt-get, when root) and the pinned npm tools if missing, builds,
    checks the shipped report, then runs the browser tests (which must not skip here)."""
    install(session, "test")
    if not (os.environ.get("CHROMIUM") or shutil.which("chromium")):
        if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
            session.error("chromium is missing: apt-get install chromium (or set $CHROMIUM)")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True, env=env)
    session.run("reportpipe", "build")
    session.run("reportpipe", "validate-web", "--install-tools", *session.posargs)
    session.run("pytest", "-q", "-m", "browser", env={"REPORTPIPE_BROWSER_TESTS": "required"})
