"""`reportpipe build` writes its outputs only by renaming complete temporary files: a
kill -9 during the write step itself (not during rendering) leaves every previous
output whole, with its previous bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import SLUG, VERSION, MakeProject, run_cli

#: Runs the CLI with fsync reporting, then hanging, when the staged edition PDF is flushed.
BUILD_HANGING_IN_THE_WRITE_STEP = """
import os, sys, time
from reportpipe import atomic
from reportpipe.cli import main

real_fsync = os.fsync

def fsync(fd):
    real_fsync(fd)
    name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    if name.startswith(sys.argv[1]) and name.endswith(".tmp"):
        print("writing", flush=True)
        time.sleep(120)

atomic.os.fsync = fsync
sys.exit(main(sys.argv[2:]))
"""


def test_kill_9_during_the_write_step_keeps_every_previous_output(
    make_project: MakeProject,
) -> None:
    root = make_project({})
    assert run_cli("build", "--project", str(root)).code == 0
    build = root / "build"
    before = {p.relative_to(build): p.read_bytes() for p in build.rglob("*") if p.is_file()}
    assert f"{SLUG}-{VERSION}.pdf" in {p.name for p in before}
    (root / "source" / "intro.md").write_text("# Inledning\n\nEn ändrad text.\n", "utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            BUILD_HANGING_IN_THE_WRITE_STEP,
            f".{SLUG}-{VERSION}",
            "build",
            "--project",
            str(root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert process.stdout is not None
        # rendering is done and the new edition is staged: the write step has begun
        assert "writing\n" in iter(process.stdout.readline, "")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    after = {
        p.relative_to(build): p.read_bytes()
        for p in build.rglob("*")
        if p.is_file() and not p.name.endswith(".tmp")
    }
    # the font cache may have gained the new text's subsets; every output is as it was
    assert {p: d for p, d in after.items() if p.parts[0] != "cache"} == {
        p: d for p, d in before.items() if p.parts[0] != "cache"
    }
    assert all(after[p] == d for p, d in before.items())
