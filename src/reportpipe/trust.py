"""When the engine code stored in an archived edition may be run, and how.

`verify --rebuild` rebuilds an old edition with the engine archived in its source
bundle: that is what makes old editions rebuildable byte for byte. It is also code
that anyone who can change `archive/` could have replaced (a pull request that swaps
the bundle and re-hashes the bag). So the archived engine runs only
- when git shows the edition's folder unchanged since the commit that added it (no
  later commit, no edit in the working tree, no extra file; the delivery ledger aside),
  in a full (not shallow) clone; or
- when the person verifying says `--trust-archive`;
and then in a subprocess with no network: in a new network namespace with only a
loopback device (`unshare -rn`) where the system allows it, and in every case with
Python's socket connections and name lookups disabled before the engine is imported.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

_GIT_TIMEOUT = 60


class UntrustedArchiveError(Exception):
    """Why the archived engine of an edition is not run; for people."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise UntrustedArchiveError("git is not installed, so the archive cannot be proven")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run(
        [git, "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=_GIT_TIMEOUT,
        check=False,
    )


def committed_unchanged(root: Path, version: str, beside: Sequence[str] = ()) -> str:
    """The commit that added archive/<version>/, if the folder is exactly as that
    commit left it (files named in `beside` aside); else raise UntrustedArchiveError."""
    folder = f"archive/{version}"
    probe = _git(root, "rev-parse", "--is-shallow-repository")
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or [""])[0]
        if "not a git repository" in said or not said:
            raise UntrustedArchiveError("the project is not a git checkout")
        raise UntrustedArchiveError(f"git cannot read the project ({said})")
    if probe.stdout.strip() == "true":
        raise UntrustedArchiveError(
            "the clone is shallow, so the commit that added the edition cannot be proven; "
            "fetch the full history (git fetch --unshallow)"
        )
    added = _git(
        root, "log", "--diff-filter=A", "--format=%H", "--no-renames", "--", f"{folder}/bagit.txt"
    )
    commits = added.stdout.split()
    if added.returncode != 0 or not commits:
        raise UntrustedArchiveError(f"{folder}/ was never committed")
    first = commits[-1]
    keep = [f":(exclude){folder}/{name}" for name in beside]
    changed = _git(
        root,
        "diff",
        "--name-only",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        first,
        "--",
        folder,
        *keep,
    )
    extra = _git(root, "ls-files", "--others", "--", folder, *keep)
    if changed.returncode != 0 or extra.returncode != 0:
        raise UntrustedArchiveError(f"git cannot compare {folder}/ with commit {first[:12]}")
    names = sorted({*changed.stdout.split("\n"), *extra.stdout.split("\n")} - {""})
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise UntrustedArchiveError(
            f"{folder}/ changed since commit {first[:12]} added it ({shown})"
        )
    return first


#: Run before the archived engine is imported: no socket may connect or look up names.
NETWORK_GUARD = """\
import runpy, socket, sys
def _refused(*args, **kwargs):
    raise OSError("network disabled while an archived engine rebuilds")
for _name in ("connect", "connect_ex", "sendto", "sendmsg"):
    setattr(socket.socket, _name, _refused)
socket.getaddrinfo = socket.create_connection = socket.gethostbyname = _refused
sys.argv[0] = "reportpipe"
runpy.run_module("reportpipe", run_name="__main__", alter_sys=True)
"""


@functools.cache
def _unshare() -> list[str]:
    """`unshare -rn` where this system lets an unprivileged user make a network
    namespace, else nothing."""
    tool = shutil.which("unshare")
    if tool is None:
        return []
    try:
        ok = subprocess.run(
            [tool, "-rn", "true"], capture_output=True, timeout=10, check=False
        ).returncode
    except (OSError, subprocess.SubprocessError):
        return []
    return [tool, "-rn"] if ok == 0 else []


def without_network(python: str, args: list[str]) -> tuple[list[str], str]:
    """The command that runs `python -m reportpipe ARGS` with no network, and how."""
    prefix = _unshare()
    command = [*prefix, python, "-P", "-c", NETWORK_GUARD, *args]
    how = "a network namespace without network (unshare -rn) and " if prefix else ""
    return command, how + "Python sockets disabled"
