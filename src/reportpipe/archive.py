"""The archive of released editions: one BagIt bag (RFC 8493) per version, written once.

archive/<version>/ holds bagit.txt, bag-info.txt, manifests and tag manifests (SHA-256
and SHA-512) and data/ with the screen, print and archive (PDF/A-3a) editions, the
source bundle and the lock file. A bag is assembled in a hidden temporary folder beside
its final place and renamed into place in one step, so an interrupted release leaves no
half edition under a version's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import bagit
import yaml

from reportpipe.bundle import ENGINE, unpack_bundle
from reportpipe.content import Report, ReportFile
from reportpipe.findings import Finding, InputError, error, warning
from reportpipe.project import Project
from reportpipe.trust import without_network

# bagit logs each checksum it recomputes and each mismatch; our findings say it once.
logging.getLogger("bagit").addHandler(logging.NullHandler())
logging.getLogger("bagit").propagate = False


class AlreadyArchivedError(Exception):
    pass


@dataclass(frozen=True)
class Payload:
    name: str
    data: bytes


def archive_root(project: Project) -> Path:
    return project.root / "archive"


def versions(project: Project) -> list[str]:
    root = archive_root(project)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


LOCK = "constraints.txt"


def lock_record(project: Project, edition: str) -> bytes:
    """The exact versions that build this edition, for `data/constraints.txt`: the
    project's own lock file when it has one, otherwise the distributions installed
    now (as `pip freeze` would list them). Raises InputError when neither can be had:
    an edition that nobody can rebuild is not released."""
    lock = project.root / LOCK
    if lock.is_file():
        return lock.read_bytes()
    pins: dict[str, str] = {}
    try:
        for dist in metadata.distributions():
            name, version = dist.metadata["Name"], dist.version
            if name and version and name.lower() != "reportpipe":
                pins.setdefault(str(name), str(version))
    except (OSError, ValueError) as exc:
        pins, problem = {}, f" ({exc})"
    else:
        problem = ""
    if not pins:
        raise InputError(
            [
                error(
                    LOCK,
                    None,
                    "cannot record the versions that build this edition" + problem + ": add a "
                    "lock file to the project (pip freeze --exclude reportpipe > constraints.txt)",
                )
            ]
        )
    header = (
        f"# The distributions installed when edition {edition} was released (the project\n"
        "# has no constraints.txt of its own). Rebuild in an environment made with\n"
        "# 'pip install -c' this file.\n"
    )
    lines = [f"{name}=={pins[name]}" for name in sorted(pins, key=str.lower)]
    return (header + "\n".join(lines) + "\n").encode()


def write_bag(
    project: Project, version: str, payload: list[Payload], info: dict[str, str | list[str]]
) -> Path:
    root = archive_root(project)
    final = root / version
    if final.exists():
        raise AlreadyArchivedError(version)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f".{version}.*.tmp"):  # left by a release that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".tmp", dir=root))
    try:
        for item in payload:
            (staging / item.name).parent.mkdir(parents=True, exist_ok=True)  # web/…
            (staging / item.name).write_bytes(item.data)
        bagit.make_bag(str(staging), dict(info), checksums=["sha256", "sha512"])
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
            _fsync(path)  # on disk before the name says the edition exists
        if final.exists():  # another release won the race
            raise AlreadyArchivedError(version)
        staging.rename(final)
        _fsync(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_bag(project: Project, version: str) -> list[Finding]:
    """Re-hash every file of one archived edition; one finding per changed or missing file."""
    folder = archive_root(project) / version
    shown = project.shown(folder)
    bag: bagit.Bag | None = None
    try:
        bag = bagit.Bag(str(folder))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        try:
            details = exc.details or (_completeness(bag, folder) if bag else [])
        except (KeyError, OSError, ValueError):
            details = []
        if not details:
            return [error(shown, None, f"not a valid bag: {exc.message}")]
        # One finding per file, even when both its SHA-256 and SHA-512 differ.
        return list(dict.fromkeys(_finding(project, folder, detail) for detail in details))
    except (bagit.BagError, ValueError, UnicodeError, KeyError, OSError) as exc:
        # bagit raises plain Python errors on some damaged tag files
        return [error(shown, None, f"not a valid bag ({type(exc).__name__}: {exc})")]
    return _unaccounted(project, folder, bag)


#: The one file in archive/<version>/ that is not part of the bag: the delivery record,
#: written after the release (distribution.LEDGER).
BESIDE_THE_BAG = ("deliveries.jsonl",)


def _unaccounted(project: Project, folder: Path, bag: bagit.Bag) -> list[Finding]:
    """Every file of the edition's folder the bag does not account for (bagit checks
    the payload under data/ only), and missing tag manifests: without them a changed
    bag-info.txt or manifest goes unnoticed."""
    findings = []
    algorithms = sorted(bag.algorithms)
    for algorithm in algorithms:
        if not (folder / f"tagmanifest-{algorithm}.txt").is_file():
            findings.append(
                error(
                    project.shown(folder / f"tagmanifest-{algorithm}.txt"),
                    None,
                    "tag manifest missing: the edition's tag files cannot be proven unchanged",
                )
            )
    # What a release writes, and nothing else (an extra tag file, even one listed in a
    # re-hashed tag manifest, is not part of an edition reportpipe archived).
    accounted = {"bagit.txt", "bag-info.txt", *BESIDE_THE_BAG}
    accounted |= {f"{kind}-{a}.txt" for a in algorithms for kind in ("manifest", "tagmanifest")}
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        name = path.relative_to(folder).as_posix()
        if name.startswith("data/") and not path.is_symlink():
            continue  # the payload: bagit has checked it against the manifests
        if name not in accounted or path.is_symlink() or not path.is_file():
            findings.append(
                error(
                    project.shown(path),
                    None,
                    "not part of the archived edition (no manifest lists it): remove it",
                )
            )
    return findings


def _completeness(bag: bagit.Bag, folder: Path) -> list[object]:
    """Missing, unexpected and changed payload files, for when bagit stops at the
    Payload-Oxum count before hashing anything."""
    listed = set(bag.payload_entries())
    present = set(bag.payload_files())
    changed = [
        bagit.ChecksumMismatch(p, "sha256", bag.entries[p]["sha256"], "")
        for p in sorted(listed & present)
        if hashlib.sha256((folder / p).read_bytes()).hexdigest() != bag.entries[p]["sha256"]
    ]
    missing = [bagit.FileMissing(p) for p in sorted(listed - present)]
    return [*changed, *missing, *(bagit.UnexpectedFile(p) for p in sorted(present - listed))]


def _finding(project: Project, folder: Path, detail: object) -> Finding:
    path = project.shown(folder / getattr(detail, "path", ""))
    if isinstance(detail, bagit.ChecksumMismatch):
        return error(path, None, "checksum differs: the file was changed since it was archived")
    if isinstance(detail, bagit.FileMissing):
        return error(path, None, "file missing from the archived edition")
    if isinstance(detail, bagit.UnexpectedFile):
        return error(path, None, "file not in the edition's manifest was added")
    return error(path, None, str(detail))


def edition_info(
    report: Report,
    warnings: list[Finding],
    *,
    offline: bool,
    links: str,
    tool: str,
    validator: str | None = None,
    validation: list[str] | None = None,
) -> dict[str, str | list[str]]:
    """bag-info.txt: who, what and which edition, and what was (not) checked."""
    meta, edition = report.meta, report.edition
    info: dict[str, str | list[str]] = {
        "Source-Organization": meta.publisher,
        "External-Identifier": report.file_stem,
        "External-Description": f"{meta.title} – {meta.subtitle}. {meta.theme}.",
        "Edition-Version": edition.version,
        "Edition-Date": edition.date.isoformat(),
        "Edition-Changes": edition.changes,
        "Bagging-Date": dt.date.today().isoformat(),
        "Bag-Software-Agent": f"{tool} (bagit.py {bagit.VERSION})",
        # A rebuild on another Python or zlib may compress to other (valid) bytes.
        "Python-Version": sys.version.split()[0],
        "Zlib-Version": zlib.ZLIB_RUNTIME_VERSION,
        "External-Links-Checked": (
            f"no: released with --offline ({links})" if offline else f"yes ({links})"
        ),
    }
    if validator is not None:
        info["Validator"] = validator
        info["Validation"] = validation or []
    if warnings:
        info["Build-Warning"] = [str(w) for w in warnings]
    return info


def rebuild_edition(
    project: Project, version: str, progress: Callable[[str], None] = lambda _: None
) -> list[Finding]:
    """Rebuild an archived edition from its own source bundle, with the engine code that
    is in the bundle, and compare every PDF byte for byte with the archived one. The
    caller decides whether that code may run (see trust.py); it runs without network."""
    data = archive_root(project) / version / "data"
    shown = project.shown(data)
    try:
        bundle = _bundle(project, version)
    except InputError as exc:
        return exc.findings
    with tempfile.TemporaryDirectory(prefix="reportpipe-rebuild-") as tmp:
        work = Path(tmp)
        try:
            unpack_bundle(bundle.read_bytes(), work)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            return [error(project.shown(bundle), None, f"cannot unpack: {exc}")]
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(work / ENGINE), env.get("PYTHONPATH", "")) if p
        )
        # -P and cwd: the archived engine, never a reportpipe in the current folder
        args = ["build", "--project", str(work)]
        for name in ("screen", "print", "archive"):
            args += ["--edition", name]
        command, how = without_network(sys.executable, args)
        engine = work / ENGINE / "reportpipe"
        progress(
            f"  running the engine archived in {project.shown(bundle)} "
            f"({len(list(engine.glob('*.py')))} Python files of reportpipe, unpacked to a "
            f"temporary folder) with {sys.executable}, in a subprocess with {how}"
        )
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=work, check=False
        )
        if done.returncode != 0:
            return [error(shown, None, f"rebuild failed: {done.stderr.strip() or done.stdout}")]
        findings = _lock_differences(data / "constraints.txt", shown)
        findings += _runtime_differences(data.parent / "bag-info.txt", project)
        archived = sorted(p.name for p in data.glob("*.pdf"))
        for name in archived:
            rebuilt = work / "build" / name
            if not rebuilt.is_file():
                findings.append(error(f"{shown}/{name}", None, "rebuild made no such file"))
            elif rebuilt.read_bytes() != (data / name).read_bytes():
                findings.append(
                    error(f"{shown}/{name}", None, "rebuilt PDF differs from the archived bytes")
                )
        return findings


def _lock_differences(lock: Path, shown: str) -> list[Finding]:
    """Warnings for installed packages whose versions differ from the archived lock: a
    rebuild with other dependency versions may legitimately give other bytes."""
    if not lock.is_file():
        return []
    out = []
    for line in lock.read_text("utf-8").splitlines():
        name, sep, pinned = line.strip().partition("==")
        if not sep or name.startswith("#"):
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # tools of other sessions (linters, test runners) need not be here
        if installed != pinned:
            out.append(
                warning(
                    f"{shown}/constraints.txt",
                    None,
                    f"{name} {installed} is installed, the edition was built with {pinned}: "
                    "rebuild in an environment made with '-c' that file",
                )
            )
    return out


def _bundle(project: Project, version: str) -> Path:
    data = archive_root(project) / version / "data"
    bundles = sorted(data.glob("*-source.tar.gz"))
    if len(bundles) != 1:
        raise InputError([error(project.shown(data), None, "no single *-source.tar.gz in it")])
    return bundles[0]


def archived_report(project: Project, version: str) -> ReportFile:
    """The report's metadata as it was archived with the edition (from its bundle);
    read leniently, since the content model may have grown since."""
    bundle = _bundle(project, version)
    shown = project.shown(bundle)
    try:
        with tarfile.open(bundle, mode="r:gz") as tar:
            member = tar.extractfile("source/report.yaml")
            if member is None:
                raise KeyError("source/report.yaml")
            data = yaml.safe_load(member.read().decode("utf-8-sig"))
        known = {k: v for k, v in data.items() if k in ReportFile.model_fields}
        return ReportFile.model_validate(known)
    except (tarfile.TarError, EOFError, OSError, zlib.error, KeyError) as exc:
        raise InputError([error(shown, None, f"cannot read source/report.yaml: {exc}")]) from None
    except (yaml.YAMLError, UnicodeError, ValueError, AttributeError) as exc:
        raise InputError([error(shown, None, f"archived report.yaml unreadable: {exc}")]) from None


def _runtime_differences(info: Path, project: Project) -> list[Finding]:
    try:
        recorded = dict(
            line.split(": ", 1) for line in info.read_text("utf-8").splitlines() if ": " in line
        )
    except (OSError, UnicodeError):
        return []
    now = {"Python-Version": sys.version.split()[0], "Zlib-Version": zlib.ZLIB_RUNTIME_VERSION}
    return [
        warning(
            project.shown(info),
            None,
            f"{key} is {value} here but was {recorded[key]} when archived: "
            "compressed bytes may legitimately differ",
        )
        for key, value in now.items()
        if key in recorded and recorded[key] != value
    ]
