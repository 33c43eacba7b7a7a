"""Writing outputs so that a reader never sees half a file and a failure loses nothing."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path


def _stage(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_all_atomic(files: dict[Path, bytes]) -> None:
    """Write several files together: every file is written and flushed under a
    temporary name first, and only then are they renamed over their targets, one quick
    rename each. A failure while writing (full disk, interrupt, a target that is a
    folder) leaves every previous output as it was; only a kill during the last few
    renames could leave some outputs new and others old, each of them whole."""
    for path in files:
        if path.is_dir():
            raise IsADirectoryError(
                errno.EISDIR, "a folder stands where the output goes", str(path)
            )
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[path] = _stage(path, data)
        for path, tmp in staged.items():
            tmp.replace(path)
    finally:
        for tmp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def write_atomic(path: Path, data: bytes) -> None:
    write_all_atomic({path: data})
