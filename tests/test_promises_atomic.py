"""Outputs are staged under a temporary name, flushed, and only then renamed over their
targets: a reader or a crash never sees half a file, a failure loses nothing."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reportpipe import atomic
from reportpipe.atomic import write_all_atomic, write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def outputs(tmp_path: Path) -> tuple[Path, Path]:
    """Two outputs, a.pdf and b.pdf, holding the previous edition."""
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    return a, b


def test_writes_the_bytes_readable_by_all_and_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "out.pdf"
    write_atomic(target, b"%PDF-1.7 whole")
    assert target.read_bytes() == b"%PDF-1.7 whole"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # mkstemp alone gives 0o600
    assert _leftovers(target.parent) == []


def test_the_target_is_only_ever_replaced_by_a_complete_flushed_file(
    outputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = outputs
    synced: list[int] = []
    real_fsync = os.fsync
    renames: list[tuple[str, bytes, bytes, bytes]] = []
    real_replace = Path.replace

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    def replace(self: Path, target: Path) -> Path:
        # at each rename: the staged file is whole, and *both* targets are still old
        # (everything is staged before the first rename)
        renames.append((self.name, self.read_bytes(), a.read_bytes(), b.read_bytes()))
        return real_replace(self, target)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    write_all_atomic({a: b"new a", b: b"new b"})
    assert len(synced) == 2
    assert [r[1:] for r in renames] == [
        (b"new a", b"old a", b"old b"),
        (b"new b", b"new a", b"old b"),
    ]
    assert all(r[0].startswith((".a.pdf.", ".b.pdf.")) and r[0].endswith(".tmp") for r in renames)
    assert (a.read_bytes(), b.read_bytes()) == (b"new a", b"new b")
    assert _leftovers(tmp_path) == []


def test_a_failure_while_staging_leaves_every_output_and_no_temporary_file(
    outputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = outputs
    calls = 0

    def fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left"):
        write_all_atomic({a: b"new a", b: b"new b"})
    assert (a.read_bytes(), b.read_bytes()) == (b"old a", b"old b")
    assert _leftovers(tmp_path) == []


def test_a_failing_rename_removes_the_files_still_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    real_replace = Path.replace

    def replace(self: Path, target: Path) -> Path:
        if Path(target) == b:
            raise PermissionError(13, "Permission denied")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(PermissionError):
        write_all_atomic({a: b"new a", b: b"new b"})
    assert a.read_bytes() == b"new a" and not b.exists()
    assert _leftovers(tmp_path) == []


def test_a_folder_where_an_output_goes_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    a, folder = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"old a")
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        write_all_atomic({a: b"new a", folder: b"new b"})
    assert caught.value.filename == str(folder)
    assert a.read_bytes() == b"old a" and folder.is_dir()
    assert _leftovers(tmp_path) == []


KILLED_WHILE_WRITING = """
import os, sys, time
from pathlib import Path
from reportpipe import atomic
def fsync(fd):
    print("staged", flush=True)
    time.sleep(60)
atomic.os.fsync = fsync
atomic.write_atomic(Path(sys.argv[1]), b"new " * 250_000)
"""


def test_kill_9_during_the_write_step_keeps_the_previous_output_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"the previous edition")
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WHILE_WRITING, str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "staged\n"  # the new bytes are written, not renamed
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert target.read_bytes() == b"the previous edition"
    staged = [tmp_path / name for name in _leftovers(tmp_path)]
    assert len(staged) == 1 and staged[0].stat().st_size == 1_000_000
