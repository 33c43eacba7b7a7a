"""The one gate every stage opens a project file through.

A file may be read when
- its path, as written, lies inside one of the allowed roots (the project's source/ and
  styles/, and any read-only root such as a packaged theme), without `..` leaving it;
- its real path (every symlink followed) lies inside one of those roots too;
- it is a regular file: no folder, named pipe, socket or device (`/dev/zero`), so no
  read can block or run forever;
- it is no larger than the caller's limit, and the read itself stops at that limit,
  whatever the file grows to meanwhile.

The roots themselves must be real folders: a `source/` that is a symlink to a folder
elsewhere is refused when the project is opened (see project.open_project), so nothing
outside can count as inside.

Refusals are `Refusal` exceptions carrying the reason; `read_for` turns them into an
`InputError` that names the file (and line) that referred to the refused one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from reportpipe.findings import InputError, error

#: The largest file of any kind a build reads through the gate (pictures have this
#: limit; text files have a smaller one, see yamlfile.MAX_TEXT_BYTES).
MAX_FILE_BYTES = 20 * 1024 * 1024


class Refusal(Exception):  # noqa: N818 - a refusal, not an error of the program
    """A file the gate will not open; the message says why, for people."""


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def locate(path: Path, roots: Sequence[Path]) -> Path:
    """The real path of `path` if it may be read, else raise Refusal. `roots` are absolute
    folders that are their own real paths (no symlinks in them)."""
    written = Path(os.path.normpath(path.absolute()))
    if not any(_within(written, root) for root in roots):
        raise Refusal("points outside the project's folders; copy the file in")
    try:
        real = written.resolve(strict=True)
    except FileNotFoundError:
        raise Refusal("file not found") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise Refusal(f"cannot be resolved ({exc})") from None
    if not any(_within(real, root.resolve()) for root in roots):
        raise Refusal("is a symlink that points outside the project's folders; copy the file in")
    return real


def check(path: Path, roots: Sequence[Path], *, limit: int = MAX_FILE_BYTES) -> Path:
    """`path`'s real path if it is a regular file inside the roots within `limit` bytes."""
    real = locate(path, roots)
    try:
        info = real.stat()
    except OSError as exc:
        raise Refusal(f"cannot be read ({exc.strerror})") from None
    _regular(info, limit)
    return real


def _regular(info: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise Refusal("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Refusal("is not a regular file (a named pipe, socket or device); refused")
    if info.st_size > limit:
        raise Refusal(f"the file is {_size(info.st_size)}; the limit is {_size(limit)}")


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n} bytes"


def read(path: Path, roots: Sequence[Path], *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path`, read through the gate: never more than `limit`, never from a
    pipe or device (opened without blocking, checked again once open)."""
    real = check(path, roots, limit=limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise Refusal(f"cannot be read ({exc.strerror})") from None
    try:
        _regular(os.fstat(fd), limit)  # what was opened, not what was looked at before
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Refusal(f"the file grew past the limit of {_size(limit)} while read")
    except OSError as exc:
        raise Refusal(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_for(
    path: Path,
    roots: Sequence[Path],
    *,
    shown: str,
    referrer: str | None = None,
    line: int | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """`read`, with a refusal reported as an InputError: on the referring file and line
    when one is given (naming the refused file in the message), else on the file."""
    try:
        return read(path, roots, limit=limit)
    except Refusal as exc:
        if referrer is None:
            raise InputError([error(shown, None, str(exc))]) from None
        raise InputError([error(referrer, line, f"{shown}: {exc}")]) from None
