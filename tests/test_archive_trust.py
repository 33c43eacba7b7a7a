"""verify names every file the bag does not account for, requires tag manifests, and
runs an archived engine only when git proves the archive unchanged (or the user says
--trust-archive), without network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from conftest import run_cli
from reportpipe.archive import Payload, write_bag
from reportpipe.project import open_project
from reportpipe.trust import without_network

VERSION = "2.0.0"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=True,
        timeout=60,
    )
    return done.stdout


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    """A project with a small valid archived edition (no source bundle: nothing in it
    can be rebuilt, but everything can be verified)."""
    root = tmp_path / "p"
    root.mkdir()
    project = open_project(root, with_content=False)
    return write_bag(
        project, VERSION, [Payload("a.pdf", b"%PDF-1.7 a"), Payload("b.txt", b"b")], {}
    )


def _verify(bag: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli("verify", VERSION, *args, "--project", str(bag.parent.parent))
    return result.code, result.out, result.err


def test_a_valid_bag_with_its_ledger_verifies(bag: Path) -> None:
    (bag / "deliveries.jsonl").write_text('{"email": "a@b.example"}\n', encoding="utf-8")
    code, out, err = _verify(bag)
    assert (code, err) == (0, ""), out
    assert f"{VERSION}: ok" in out


def test_a_file_beside_the_bag_is_named(bag: Path) -> None:
    before = {p: p.read_bytes() for p in bag.rglob("*") if p.is_file()}
    (bag / "README-evil.pdf").write_bytes(b"%PDF-1.7 evil")
    (bag / "extra").mkdir()
    (bag / "extra" / "x.txt").write_text("x", encoding="utf-8")
    code, _, err = _verify(bag)
    assert code == 1
    assert (
        f"archive/{VERSION}/README-evil.pdf: error: not part of the archived edition "
        "(no manifest lists it): remove it"
    ) in err
    assert f"archive/{VERSION}/extra/x.txt: error: not part of the archived edition" in err
    assert {p: p.read_bytes() for p in before} == before  # verify changes nothing


def test_a_tag_file_smuggled_into_the_tag_manifest_is_still_named(bag: Path) -> None:
    (bag / "README-evil.pdf").write_bytes(b"%PDF-1.7 evil")
    bagit.Bag(str(bag)).save()  # re-hashes the tag manifests, now listing the extra file
    assert "README-evil.pdf" in (bag / "tagmanifest-sha256.txt").read_text("utf-8")
    code, _, err = _verify(bag)
    assert code == 1
    assert f"archive/{VERSION}/README-evil.pdf: error: not part of the archived edition" in err


def test_tag_manifests_are_required(bag: Path) -> None:
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        (bag / name).unlink()
    code, _, err = _verify(bag)
    assert code == 1
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        assert f"archive/{VERSION}/{name}: error: tag manifest missing" in err
    assert err.count("error:") == 2, err


def _committed(bag: Path) -> Path:
    root = bag.parent.parent
    _git(root, "init", "--quiet")
    _git(root, "add", "archive")
    _git(root, "commit", "--quiet", "-m", "Release 2.0.0")
    return root


def test_rebuild_runs_the_archived_engine_only_for_an_unchanged_commit(bag: Path) -> None:
    root = _committed(bag)
    (bag / "deliveries.jsonl").write_text('{"email": "a@b.example"}\n', encoding="utf-8")
    code, out, err = _verify(bag, "--rebuild")
    added = _git(root, "rev-parse", "HEAD").strip()
    assert f"{VERSION}: archive/{VERSION}/ is as commit {added[:12]} added it (git)" in out
    assert "no single *-source.tar.gz" in err  # it went on to the rebuild
    assert code == 1

    # a later commit that swaps a file and re-hashes the bag: consistent, but not trusted
    (bag / "data" / "a.pdf").write_bytes(b"%PDF-1.7 replaced")
    bagit.Bag(str(bag)).save(manifests=True)
    _git(root, "commit", "--quiet", "-am", "Re-hash")
    assert _verify(bag)[0] == 0  # the checksums alone cannot tell
    code, out, err = _verify(bag, "--rebuild")
    assert code == 1
    assert f"archive/{VERSION}: error: --rebuild refused: it would run the engine code" in err
    assert f"archive/{VERSION}/ changed since commit {added[:12]} added it (" in err
    assert f"archive/{VERSION}/data/a.pdf" in err and "--trust-archive" in err
    assert "rebuilding" not in out

    code, out, err = _verify(bag, "--rebuild", "--trust-archive")
    assert "running its engine anyway (--trust-archive)" in out
    assert "rebuilding 2.0.0" in out


def test_rebuild_refuses_an_uncommitted_change_and_a_shallow_clone(
    bag: Path, tmp_path: Path
) -> None:
    root = _committed(bag)
    (bag / "bag-info.txt").write_text("Bagging-Date: 2030-01-01\n", encoding="utf-8")
    bagit.Bag(str(bag)).save()
    code, _, err = _verify(bag, "--rebuild")
    assert code == 1 and f"archive/{VERSION}/bag-info.txt" in err and "changed since" in err

    shallow = tmp_path / "shallow"
    _git(root, "checkout", "--quiet", "--", ".")
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", root.as_uri(), str(shallow)],
        check=True,
        timeout=60,
    )
    result = run_cli("verify", VERSION, "--rebuild", "--project", str(shallow))
    assert result.code == 1
    assert "the clone is shallow" in result.err


def test_the_archived_engine_runs_without_network(tmp_path: Path) -> None:
    """The command verify --rebuild uses, with a stand-in engine that tries to connect
    to a server listening on this machine."""
    engine = tmp_path / "engine" / "reportpipe"
    engine.mkdir(parents=True)
    (engine / "__init__.py").write_text("", encoding="utf-8")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        (engine / "__main__.py").write_text(
            "import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "    print('connected')\n"
            "except OSError as exc:\n"
            "    print('refused:', exc)\n"
            "try:\n"
            "    s = socket.socket()\n"
            f"    s.connect(('127.0.0.1', {port}))\n"
            "    print('connected')\n"
            "except OSError as exc:\n"
            "    print('refused:', exc)\n"
            "print(sys.argv[1:])\n",
            encoding="utf-8",
        )
        command, how = without_network(sys.executable, ["build", "--project", "x"])
        env = {**os.environ, "PYTHONPATH": str(engine.parent)}
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False
        )
    assert done.returncode == 0, done.stderr
    assert "connected" not in done.stdout.splitlines(), done.stdout
    assert done.stdout.count("refused:") == 2
    assert "['build', '--project', 'x']" in done.stdout
    assert "Python sockets disabled" in how
