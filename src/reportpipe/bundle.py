"""The source bundle of an edition: every file a build reads, as one deterministic tar.gz.

Same files, same bytes: entries are sorted, and times, owners and permissions are fixed
(times to the edition's), so the bundle attached to the archive PDF never changes the
PDF's bytes by itself.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from reportpipe.project import Project

#: Where the engine's own code goes in the bundle: a rebuild runs this code, not
#: whatever reportpipe is installed years later.
ENGINE = "engine"
LOCK = "constraints.txt"


def _files(project: Project) -> dict[str, Path]:
    """What a rebuild needs: the files the PDFs are made from, the lock file, the engine."""
    # The project's own files; the packaged theme travels with the engine below.
    files = {n: p for n, p in project.pdf_inputs() if project.inside(p, theme=False)}
    if (project.root / LOCK).is_file():
        files[LOCK] = project.root / LOCK
    engine = Path(__file__).resolve().parent
    for path in engine_files():
        files[f"{ENGINE}/reportpipe/{path.relative_to(engine).as_posix()}"] = path
    return dict(sorted(files.items()))


def engine_files() -> list[Path]:
    """The engine: its code in every subpackage and its data (the packaged theme with
    its templates, stylesheets, fonts, colour profile and catalogues, and the starter),
    so a rebuild years later has exactly the look the edition was made with."""
    engine = Path(__file__).resolve().parent
    found = (p for p in engine.rglob("*") if p.is_file())
    return sorted(p for p in found if "__pycache__" not in p.parts and p.suffix != ".pyc")


def make_bundle(project: Project, *, epoch: int) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in _files(project).items():
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=epoch) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def unpack_bundle(data: bytes, target: Path) -> None:
    """Unpack into `target` with tarfile's 'data' filter: no links, devices or escapes."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter="data")
