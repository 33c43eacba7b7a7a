"""Incremental builds: a digest of everything a build reads, kept beside the outputs.

When the digest of the inputs (content, styles with templates and fonts, the lock file,
the engine's own code, the editions asked for) equals the one recorded by the last
successful build, and every output recorded then is still there with the same bytes,
there is nothing to do. Anything else rebuilds: never a stale PDF.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from reportpipe.atomic import write_atomic
from reportpipe.project import Project

STATE = ".reportpipe-state.json"
ENGINE = Path(__file__).resolve().parent


def _files(folder: Path) -> Iterable[Path]:
    if folder.is_dir():
        yield from sorted(
            p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )


def build_settings(editions: Sequence[str] | None, *, strict: bool) -> list[str]:
    """The options that change what a build makes, as part of its inputs."""
    return [*sorted(editions or ("screen", "print")), f"strict={strict}"]


def input_digest(project: Project, settings: Sequence[str]) -> str:
    digest = hashlib.sha256("\0".join(settings).encode())
    lock = project.root / "constraints.txt"
    inputs = [*_files(project.source), *_files(project.styles), *([lock] if lock.is_file() else [])]
    for path in [*inputs, *(p for p in _files(ENGINE) if p.suffix == ".py")]:
        digest.update(path.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
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
