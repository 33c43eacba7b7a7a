"""Incremental builds: a digest of everything a build reads, kept beside the outputs.

When the digest of the inputs (content, styles with templates and fonts, the lock file,
the engine's own code, the editions asked for) equals the one recorded by the last
successful build, and every output recorded then is still there with the same bytes,
there is nothing to do. Anything else rebuilds: never a stale PDF.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from reportpipe.atomic import write_atomic
from reportpipe.bundle import engine_files
from reportpipe.project import Project

STATE = ".reportpipe-state.json"


#: Libraries whose version changes the bytes of a PDF.
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "pillow",
    "tinycss2",
    "cssselect2",
    "pyphen",
    "tinyhtml5",
    "jinja2",
    "markdown",
    "pyyaml",
    "pydantic",
    "uharfbuzz",
)


def build_settings(editions: Sequence[str] | None, *, strict: bool) -> list[str]:
    """The options that change what a build makes, as part of its inputs."""
    return [*sorted(editions or ("screen", "print")), f"strict={strict}"]


def _versions() -> list[str]:
    found = [f"python {sys.version}", f"zlib {zlib.ZLIB_RUNTIME_VERSION}"]
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} none")
    return found


def input_digest(project: Project, settings: Sequence[str]) -> str:
    """A digest of everything a build reads: the content and styles it is made from,
    the lock file, the engine's own code, the library versions and the options."""
    digest = hashlib.sha256("\0".join([*settings, *_versions()]).encode())
    lock = project.root / "constraints.txt"
    # checks.yaml never goes into a PDF, but its resolutions decide the build's warnings
    checks = project.source / "checks.yaml"
    files = [
        *(path for _, path in project.pdf_inputs()),
        *(p for p in (lock, checks) if p.is_file()),
        *engine_files(),
    ]
    for path in files:
        digest.update(path.as_posix().encode() + b"\0")
        with path.open("rb") as handle:  # streamed: any size, without holding it
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def up_to_date(project: Project, digest: str) -> list[Path] | None:
    """The outputs of the last build if it had these inputs and its outputs are intact."""
    try:
        state = json.loads((project.build / STATE).read_text("utf-8"))
        if state.get("inputs") != digest:
            return None
        outputs = {project.build / name: sha for name, sha in state["outputs"].items()}
        for path, sha in outputs.items():
            if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return sorted(outputs)


def record(project: Project, digest: str, outputs: dict[Path, bytes]) -> None:
    state = {
        "inputs": digest,
        "outputs": {
            path.relative_to(project.build).as_posix(): hashlib.sha256(data).hexdigest()
            for path, data in outputs.items()
        },
    }
    write_atomic(project.build / STATE, json.dumps(state, indent=1).encode())
