"""The user interface of reportpipe: `nox -s build`, `nox -s tests`, `nox -s lint`.

Every session installs from constraints.txt (pinned versions), so a build today and a
rebuild in a year use the same code. Virtual environments are reused between runs.
"""

from __future__ import annotations

import shutil
import tempfile
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


@nox.session(default=False)
def dist(session: nox.Session) -> None:
    """Build the sdist and wheel into dist/, check them with twine, then install the wheel
    in a clean environment and build the shipped report with it."""
    session.install(*CONSTRAINTS, "build", "twine")
    shutil.rmtree("dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist")
    built = sorted(str(p) for p in Path("dist").iterdir())
    session.run("twine", "check", "--strict", *built)
    wheel = next(p for p in built if p.endswith(".whl"))
    with tempfile.TemporaryDirectory(prefix="reportpipe-dist-") as tmp:
        venv, project = Path(tmp) / "venv", Path(tmp) / "project"
        session.run("python", "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        session.run(python, "-m", "pip", "install", "-q", *CONSTRAINTS, wheel, external=True)
        for part in ("source", "styles"):
            shutil.copytree(part, project / part)
        session.run(python, "-m", "reportpipe", "build", "--project", str(project), external=True)


@nox.session(default=False, reuse_venv=False)
def lock(session: nox.Session) -> None:
    """Re-resolve dependencies to the newest allowed versions and rewrite constraints.txt."""
    session.install("-e", ".[test,lint,dist]")
    frozen = session.run("pip", "freeze", "--exclude", "reportpipe", silent=True)
    header = (
        "# Pinned dependencies: every nox session installs with '-c constraints.txt', so an\n"
        "# edition built today can be rebuilt byte for byte later. Regenerate with 'nox -s lock'\n"
        "# (it installs the newest allowed versions into a fresh environment and freezes them).\n"
    )
    Path("constraints.txt").write_text(header + str(frozen), encoding="utf-8")
