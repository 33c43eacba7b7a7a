"""The user interface of reportpipe: `nox -s build`, `nox -s tests`, `nox -s lint`,
`nox -s validate`.

Every session installs from constraints.txt (pinned versions), so a build today and a
rebuild in a year use the same code. Virtual environments are reused between runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "check", "tests", "validate", "lint"]

CONSTRAINTS = ("-c", "constraints.txt")


def install(session: nox.Session, *extras: str) -> None:
    """Install reportpipe (with `extras`) and its dependencies at their pinned versions."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install(*CONSTRAINTS, "-e", target)


#: What veraPDF needs besides its jar (a Python package): Java and JAXB, from Debian.
JAVA_PACKAGES = ("openjdk-17-jdk-headless", "libjaxb-api-java", "libjaxb-java")
JAXB_JARS = ("jaxb-api.jar", "jaxb-runtime.jar", "jaxb-core.jar")


def install_java(session: nox.Session) -> None:
    """Java and JAXB for veraPDF, installed with apt-get when missing (only as root, as on
    CI; otherwise say what to install). Does nothing when they are there."""
    jaxb = Path(os.environ.get("REPORTPIPE_JAXB_DIR", "/usr/share/java"))
    if (
        shutil.which("java")
        and shutil.which("javac")
        and all((jaxb / jar).is_file() for jar in JAXB_JARS)
    ):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-q", external=True, env=env)
        session.run(
            "apt-get", "install", "-y", "-q", "--no-install-recommends", *JAVA_PACKAGES,
            external=True, env=env,
        )  # fmt: skip
    else:
        session.warn(
            "veraPDF needs Java and JAXB: install " + " ".join(JAVA_PACKAGES) + " (Debian) "
            "or a JDK 11+ and the JAXB jars (REPORTPIPE_JAXB_DIR names their folder)"
        )


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


#: pytest-xdist: one worker per core, each test module whole on one worker (so a module's
#: fixtures are made once); `-- -n 0` runs everything in one process.
PARALLEL_TESTS = ("--numprocesses", "auto", "--dist", "loadfile")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on every core (arguments go to pytest, e.g. `-- -n 0 -x`)."""
    install(session, "test")
    install_java(session)  # the veraPDF tests skip without it
    session.run("pytest", *PARALLEL_TESTS, *session.posargs)


@nox.session
def validate(session: nox.Session) -> None:
    """Build every edition, then validate them with veraPDF (PDF/UA-1, PDF/A-3a)."""
    install(session, "validate")
    install_java(session)
    editions = ("--edition", "screen", "--edition", "print", "--edition", "archive")
    session.run("reportpipe", "build", *editions)
    session.run("reportpipe", "validate", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check formatting, lint rules and types."""
    install(session, "lint")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py", "mutants")
    session.run("ruff", "check", "src", "tests", "noxfile.py", "mutants")
    session.run("mypy")
    session.run("mypy", "bench")  # the measurements the README quotes


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
    """Check, build, validate and archive the current edition in archive/<version>/
    (`-- --offline`)."""
    install(session, "validate")
    install_java(session)
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
    session.install("-e", ".[test,lint,dist,preview,mutants]")
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


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Mutation testing of the promise-carrying modules with cosmic-ray; report in
    build/mutants/ (arguments: module names from mutants/config.toml, default all)."""
    install(session, "test", "mutants")
    session.run("python", "mutants/run.py", *session.posargs)
