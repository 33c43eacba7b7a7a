"""The archive's functions called directly on small inputs: lock records, bags written
once and checked file by file, bag-info fields, and what a rebuild reports as differing.
No release and no PDF: each test runs in well under a second."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import random
import re
import stat
import subprocess
import sys
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from conftest import copy_project
from reportpipe import archive
from reportpipe.archive import (
    AlreadyArchivedError,
    Payload,
    archived_report,
    check_bag,
    edition_info,
    lock_record,
    versions,
    write_bag,
)
from reportpipe.content import Report, load_report
from reportpipe.findings import Finding, InputError, error, warning
from reportpipe.project import Project

PAYLOAD = [
    Payload("a.txt", b"alpha\n"),
    Payload("web/fonts/f.woff2", b"wOF2"),  # before web/ itself: its folders are made
    Payload("web/x.css", b"p { color: red }\n"),
    Payload("report-1.0.0-source.tar.gz", b"not really a bundle"),
]


def _project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir(parents=True)
    return Project(root.resolve())


def _archive(tmp_path: Path) -> tuple[Project, Path]:
    """A new project and its archive folder (not made yet)."""
    project = _project(tmp_path)
    return project, project.root / "archive"


def _bag(tmp_path: Path, version: str = "1.0.0") -> tuple[Project, Path]:
    project = _project(tmp_path)
    return project, write_bag(project, version, PAYLOAD, {"Edition-Version": version})


# versions


def test_versions_is_empty_without_an_archive_folder(tmp_path: Path) -> None:
    assert versions(_project(tmp_path)) == []


def test_versions_lists_folders_sorted_without_hidden_ones_or_files(tmp_path: Path) -> None:
    project, root = _archive(tmp_path)
    for name in ("2.0.0", "1.0.0", "1.5.0", ".1.6.0.abc.tmp"):
        (root / name).mkdir(parents=True)
    (root / "0.9.0").write_text("a file, not an edition")
    assert versions(project) == ["1.0.0", "1.5.0", "2.0.0"]


def test_versions_when_archive_is_a_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project.root / "archive").write_text("x")
    assert versions(project) == []


# lock_record


def test_lock_record_is_the_projects_own_lock_file_byte_for_byte(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project.root / "constraints.txt").write_bytes(b"weasyprint==1\r\nx==2")
    assert lock_record(project, "1.0.0") == b"weasyprint==1\r\nx==2"


def test_lock_record_without_a_lock_lists_installed_distributions(tmp_path: Path) -> None:
    text = lock_record(_project(tmp_path), "3.1.4").decode()
    lines = text.splitlines()
    assert lines[:3] == [
        "# The distributions installed when edition 3.1.4 was released (the project",
        "# has no constraints.txt of its own). Rebuild in an environment made with",
        "# 'pip install -c' this file.",
    ]
    assert text.endswith("\n") and not text.endswith("\n\n")
    pins = lines[3:]
    names = [line.partition("==")[0] for line in pins]
    assert names == sorted(names, key=str.lower)
    assert len(names) == len(set(names))
    assert f"bagit=={bagit.VERSION}" in pins
    assert any(line.startswith("weasyprint==") or line.startswith("WeasyPrint==") for line in pins)
    assert not [n for n in names if n.lower() == "reportpipe"]
    assert all("==" in line and line.partition("==")[2] for line in pins)


class _Meta(dict[str, str]):
    pass


class _Dist:
    def __init__(self, name: str | None, version: str | None) -> None:
        self.metadata = _Meta(Name=name) if name is not None else _Meta()
        self.version = version

    def __repr__(self) -> str:
        return f"_Dist({self.metadata.get('Name')!r}, {self.version!r})"


def test_lock_record_fallback_skips_nameless_versionless_and_reportpipe_keeps_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dists = [
        _Dist("Zeta", "1"),
        _Dist("alpha", "2"),
        _Dist("", "3"),
        _Dist("noversion", ""),
        _Dist("ReportPipe", "9"),
        _Dist("alpha", "7"),
        _Dist("Beta", "4"),
    ]
    monkeypatch.setattr(archive.metadata, "distributions", lambda: iter(dists))
    lines = lock_record(_project(tmp_path), "1.0.0").decode().splitlines()
    assert lines[3:] == ["alpha==2", "Beta==4", "Zeta==1"]


def _lock_record_refused(tmp_path: Path) -> list[Finding]:
    with pytest.raises(InputError) as caught:
        lock_record(_project(tmp_path), "1.0.0")
    return caught.value.findings


def _cannot_record(why: str = "") -> Finding:
    return error(
        "constraints.txt",
        None,
        f"cannot record the versions that build this edition{why}: add a lock file to the "
        "project (pip freeze --exclude reportpipe > constraints.txt)",
    )


def test_lock_record_without_any_distribution_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive.metadata, "distributions", lambda: iter([_Dist("reportpipe", "1")]))
    assert _lock_record_refused(tmp_path) == [_cannot_record()]


@pytest.mark.parametrize("problem", [OSError("disk gone"), ValueError("bad metadata")])
def test_lock_record_says_why_the_installed_distributions_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: Exception
) -> None:
    def broken() -> object:
        yield _Dist("alpha", "1")
        raise problem

    monkeypatch.setattr(archive.metadata, "distributions", broken)
    assert _lock_record_refused(tmp_path) == [_cannot_record(f" ({problem})")]


# write_bag


def test_write_bag_writes_a_valid_bag_with_the_payload_and_modes(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    assert final == project.root / "archive" / "1.0.0"
    assert (final / "data" / "a.txt").read_bytes() == b"alpha\n"
    assert (final / "data" / "web" / "x.css").read_bytes() == b"p { color: red }\n"
    assert (final / "data" / "web" / "fonts" / "f.woff2").read_bytes() == b"wOF2"
    assert sorted(p.name for p in final.iterdir()) == [
        "bag-info.txt",
        "bagit.txt",
        "data",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ]
    assert "Edition-Version: 1.0.0" in (final / "bag-info.txt").read_text()
    manifest = (final / "manifest-sha256.txt").read_text()
    assert "data/web/x.css" in manifest and "data/a.txt" in manifest
    for path in [final, *final.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path
    bagit.Bag(str(final)).validate()
    assert [p.name for p in (project.root / "archive").iterdir()] == ["1.0.0"]
    assert check_bag(project, "1.0.0") == []


def test_write_bag_refuses_an_existing_version_and_leaves_it_alone(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    before = (final / "manifest-sha256.txt").read_bytes()
    with pytest.raises(AlreadyArchivedError, match=r"^1\.0\.0$"):
        write_bag(project, "1.0.0", [Payload("b.txt", b"other")], {})
    assert (final / "manifest-sha256.txt").read_bytes() == before
    assert [p.name for p in (project.root / "archive").iterdir()] == ["1.0.0"]


def test_write_bag_removes_what_a_killed_release_of_that_version_left(tmp_path: Path) -> None:
    project, root = _archive(tmp_path)
    for stale in (".1.0.0.abc.tmp", ".1.0.0.def.tmp", ".2.0.0.abc.tmp"):
        (root / stale / "data").mkdir(parents=True)
        (root / stale / "data" / "half.pdf").write_bytes(b"%PDF half")
    write_bag(project, "1.0.0", PAYLOAD, {})
    assert sorted(p.name for p in root.iterdir()) == [".2.0.0.abc.tmp", "1.0.0"]


def test_write_bag_is_not_stopped_by_a_stale_leftover_it_cannot_remove(tmp_path: Path) -> None:
    project, root = _archive(tmp_path)
    root.mkdir()
    (root / ".1.0.0.abc.tmp").write_bytes(b"a file, not a folder")
    write_bag(project, "1.0.0", PAYLOAD, {})
    assert sorted(p.name for p in root.iterdir()) == [".1.0.0.abc.tmp", "1.0.0"]


def test_write_bag_a_failure_after_the_rename_is_the_error_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, root = _archive(tmp_path)
    real = archive._fsync

    def failing(path: Path) -> None:
        if path == root:
            raise OSError("fsync of the folder failed")
        real(path)

    monkeypatch.setattr(archive, "_fsync", failing)
    with pytest.raises(OSError, match=r"^fsync of the folder failed$"):
        write_bag(project, "1.0.0", PAYLOAD, {})
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"]


def test_write_bag_cleans_up_when_another_release_won_the_race(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, root = _archive(tmp_path)
    real = bagit.make_bag

    def racing(*args: object, **kwargs: object) -> object:
        bag = real(*args, **kwargs)
        (root / "1.0.0").mkdir()
        return bag

    monkeypatch.setattr(archive.bagit, "make_bag", racing)
    with pytest.raises(AlreadyArchivedError):
        write_bag(project, "1.0.0", PAYLOAD, {})
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"]
    assert list((root / "1.0.0").iterdir()) == []


# check_bag


CHANGED = "checksum differs: the file was changed since it was archived"
MISSING = "file missing from the archived edition"
ADDED = "file not in the edition's manifest was added"
NO_TAG_MANIFEST = "tag manifest missing: the edition's tag files cannot be proven unchanged"
BAG = "archive/1.0.0"
BESIDE = "not part of the archived edition (no manifest lists it): remove it"

#: A change to a bag's file: its new bytes, a function of its old ones, or None to remove it.
Edit = bytes | Callable[[bytes], bytes] | None


def _in_bag(name: str, message: str) -> Finding:
    """An error about the file `name` of the bag of edition 1.0.0."""
    return error(f"{BAG}/{name}", None, message)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            {"data/web/x.css": b"p { color: blue }\n"},
            [_in_bag("data/web/x.css", CHANGED)],
            id="a-changed-file",
        ),
        pytest.param({"data/a.txt": None}, [_in_bag("data/a.txt", MISSING)], id="a-missing-file"),
        pytest.param(
            {"data/new.txt": b"sneaked in"}, [_in_bag("data/new.txt", ADDED)], id="an-added-file"
        ),
        pytest.param(  # same size: Payload-Oxum agrees
            {"data/a.txt": b"ALPHA\n"},
            [_in_bag("data/a.txt", CHANGED)],
            id="a-same-size-change-named-once",
        ),
        pytest.param(
            {
                "data/a.txt": b"alpha, changed and longer\n",
                "data/web/x.css": None,
                "data/b.txt": b"new",
            },
            [
                _in_bag("data/a.txt", CHANGED),
                _in_bag("data/web/x.css", MISSING),
                _in_bag("data/b.txt", ADDED),
            ],
            id="changed-missing-and-added-together",
        ),
        pytest.param(  # the same size comes in as goes out: Payload-Oxum holds
            {"data/a.txt": None, "data/b.txt": b"alpha\n"},
            [_in_bag("data/a.txt", MISSING), _in_bag("data/b.txt", ADDED)],
            id="an-unchanged-file-beside-a-missing-one-is-not-named",
        ),
        pytest.param(
            {"manifest-sha256.txt": lambda old: old + b"nonsense-without-a-path\n"},
            [_in_bag("manifest-sha256.txt", CHANGED)],
            id="a-damaged-manifest-line",
        ),
        pytest.param(
            {
                "bag-info.txt": lambda old: re.sub(
                    rb"Payload-Oxum: (\d+)\.\d+", rb"Payload-Oxum: \1", old
                )
            },
            [
                error(
                    BAG,
                    None,
                    "not a valid bag (ValueError: not enough values to unpack (expected 2, got 1))",
                )
            ],
            id="a-malformed-payload-oxum",
        ),
        pytest.param(
            {"tagmanifest-sha256.txt": None, "tagmanifest-sha512.txt": None},
            [
                _in_bag("tagmanifest-sha256.txt", NO_TAG_MANIFEST),
                _in_bag("tagmanifest-sha512.txt", NO_TAG_MANIFEST),
            ],
            id="both-tag-manifests-missing-named-in-order",
        ),
    ],
)
def test_check_bag_names_each_change_since_the_bag_was_written(
    tmp_path: Path, edits: dict[str, Edit], expected: list[Finding]
) -> None:
    project, final = _bag(tmp_path)
    for name, edit in edits.items():
        path = final / name
        if edit is None:
            path.unlink()
        else:
            path.write_bytes(edit(path.read_bytes()) if callable(edit) else edit)
    assert check_bag(project, "1.0.0") == expected


def _why_not_a_valid_bag(project: Project) -> str:
    """The message of the one finding check_bag makes, about the whole bag."""
    [finding] = check_bag(project, "1.0.0")
    assert finding.path == BAG
    return finding.message


def test_check_bag_of_a_folder_that_is_no_bag(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project.root / "archive" / "1.0.0").mkdir(parents=True)
    assert _why_not_a_valid_bag(project).startswith("not a valid bag (BagError: ")


def test_check_bag_with_a_dangling_link_in_the_payload(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    (final / "data" / "a.txt").unlink()
    (final / "data" / "a.txt").symlink_to(final / "nowhere")
    assert _why_not_a_valid_bag(project).startswith("not a valid bag (FileNotFoundError: ")


def test_check_bag_with_a_bag_info_that_is_not_utf8(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    info = final / "bag-info.txt"
    info.write_bytes(info.read_bytes() + b"X: \xff\n")
    assert _why_not_a_valid_bag(project).startswith("not a valid bag (UnicodeDecodeError: ")


def _payload_oxum_failed(expected: str, found: str) -> Finding:
    return error(
        BAG,
        None,
        f"not a valid bag: Payload-Oxum validation failed. Expected {expected} but found {found}",
    )


def test_check_bag_of_a_sha512_only_bag_whose_size_changed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    folder = project.root / "archive" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "x.txt").write_text("x")
    bagit.make_bag(str(folder), {}, checksums=["sha512"])
    (folder / "data" / "x.txt").write_text("xyz")
    assert check_bag(project, "1.0.0") == [
        _payload_oxum_failed("1 files and 1 bytes", "1 files and 3 bytes")
    ]


def test_check_bag_names_files_beside_the_bag_and_missing_tag_manifests(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    (final / "deliveries.jsonl").write_text("{}\n")  # the delivery record belongs there
    (final / "notes.txt").write_text("extra")
    (final / "extra").mkdir()
    (final / "extra" / "deep.txt").write_text("extra")
    (final / "tagmanifest-sha512.txt").unlink()
    (final / "link.txt").symlink_to(final / "bagit.txt")
    assert check_bag(project, "1.0.0") == [
        _in_bag("tagmanifest-sha512.txt", NO_TAG_MANIFEST),
        _in_bag("extra/deep.txt", BESIDE),
        _in_bag("link.txt", BESIDE),
        _in_bag("notes.txt", BESIDE),
    ]


def test_check_bag_a_symlink_in_the_payload_is_named(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    target = tmp_path / "outside"
    target.mkdir()
    (final / "data" / "linked").symlink_to(target, target_is_directory=True)
    assert check_bag(project, "1.0.0") == [_in_bag("data/linked", BESIDE)]


def test_check_bag_the_delivery_record_must_be_a_real_file(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    record = final / "deliveries.jsonl"
    record.symlink_to(final / "bagit.txt")
    assert check_bag(project, "1.0.0") == [_in_bag("deliveries.jsonl", BESIDE)]
    record.unlink()
    os.mkfifo(record)
    assert check_bag(project, "1.0.0") == [_in_bag("deliveries.jsonl", BESIDE)]
    record.unlink()
    record.mkdir()  # a folder of that name holds nothing unaccounted
    assert check_bag(project, "1.0.0") == []


def test_finding_for_an_unknown_detail_is_its_text(tmp_path: Path) -> None:
    project = _project(tmp_path)

    class Other:
        path = "data/z.txt"

        def __str__(self) -> str:
            return "something else"

    assert archive._finding(project, project.root / "archive" / "1.0.0", Other()) == error(
        "archive/1.0.0/data/z.txt", None, "something else"
    )


# edition_info


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = copy_project(tmp_path_factory.mktemp("info") / "project")
    return load_report(Project(root.resolve())).report


def test_edition_info_fields_online_without_validator(report: Report) -> None:
    info = edition_info(report, [], offline=False, links="3 checked", tool="reportpipe 9")
    assert info["Source-Organization"] == "Reglab"
    assert info["External-Identifier"] == report.file_stem
    assert info["External-Description"] == (
        "Jobbregionen – Dokumentation från workshop Umeå 12 nov 2015. "
        "Scenarion – Regionens roll i arbetsmarknadspolitiken."
    )
    assert info["Edition-Version"] == report.edition.version
    assert info["Edition-Date"] == report.edition.date.isoformat()
    assert info["Edition-Changes"] == report.edition.changes
    assert info["Bag-Software-Agent"] == f"reportpipe 9 (bagit.py {bagit.VERSION})"
    assert info["Python-Version"] == sys.version.split()[0]
    assert info["Zlib-Version"] == zlib.ZLIB_RUNTIME_VERSION
    assert info["External-Links-Checked"] == "yes (3 checked)"
    assert "Validator" not in info and "Validation" not in info
    assert "Build-Warning" not in info


def test_edition_info_offline_with_validator_and_warnings(report: Report) -> None:
    warnings = [warning("source/a.md", 3, "w1"), warning("source/b.md", None, "w2")]
    info = edition_info(
        report,
        warnings,
        offline=True,
        links="none checked",
        tool="t",
        validator="veraPDF 1.2",
        validation=["PDF/A-3a: passed"],
    )
    assert info["External-Links-Checked"] == "no: released with --offline (none checked)"
    assert info["Validator"] == "veraPDF 1.2"
    assert info["Validation"] == ["PDF/A-3a: passed"]
    assert info["Build-Warning"] == ["source/a.md:3: warning: w1", "source/b.md: warning: w2"]


def test_edition_info_validator_without_validation_lines(report: Report) -> None:
    info = edition_info(report, [], offline=False, links="x", tool="t", validator="v")
    assert info["Validator"] == "v"
    assert info["Validation"] == []


# _lock_differences and _runtime_differences


def test_lock_differences_warn_for_each_other_installed_version(tmp_path: Path) -> None:
    lock = tmp_path / "constraints.txt"
    lock.write_text(
        "# a comment==1.0\n"
        f"bagit=={bagit.VERSION}\n"
        "no-such-distribution-here==1.0\n"
        "PyYAML==0.0.1\n"
        "just-a-name\n"
        "  \n",
        encoding="utf-8",
    )
    import yaml

    assert archive._lock_differences(lock, "archive/1.0.0/data") == [
        warning(
            "archive/1.0.0/data/constraints.txt",
            None,
            f"PyYAML {yaml.__version__} is installed, the edition was built with 0.0.1: "
            "rebuild in an environment made with '-c' that file",
        )
    ]


def test_lock_differences_without_a_lock_file(tmp_path: Path) -> None:
    assert archive._lock_differences(tmp_path / "constraints.txt", "x") == []


def test_runtime_differences_name_python_and_zlib(tmp_path: Path) -> None:
    project = _project(tmp_path)
    info = project.root / "bag-info.txt"
    info.write_text(
        "Bagging-Date: 2026-11-29\nPython-Version: 2.7.0\nZlib-Version: 0.9\nnothing\n",
        encoding="utf-8",
    )
    python, zlib_now = sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION
    assert archive._runtime_differences(info, project) == [
        warning(
            "bag-info.txt",
            None,
            f"Python-Version is {python} here but was 2.7.0 when archived: "
            "compressed bytes may legitimately differ",
        ),
        warning(
            "bag-info.txt",
            None,
            f"Zlib-Version is {zlib_now} here but was 0.9 when archived: "
            "compressed bytes may legitimately differ",
        ),
    ]


def test_runtime_differences_none_when_equal_absent_or_unreadable(tmp_path: Path) -> None:
    project = _project(tmp_path)
    info = project.root / "bag-info.txt"
    info.write_text(
        f"Python-Version: {sys.version.split()[0]}\nZlib-Version: {zlib.ZLIB_RUNTIME_VERSION}\n"
    )
    assert archive._runtime_differences(info, project) == []
    info.write_text("Bagging-Date: 2026-11-29\n")
    assert archive._runtime_differences(info, project) == []
    info.write_bytes(b"Python-Version: \xff\xfe\n")
    assert archive._runtime_differences(info, project) == []
    assert archive._runtime_differences(project.root / "missing.txt", project) == []


def test_runtime_differences_value_may_contain_the_separator(tmp_path: Path) -> None:
    project = _project(tmp_path)
    info = project.root / "bag-info.txt"
    info.write_text("Zlib-Version: a: b\n")
    [finding] = archive._runtime_differences(info, project)
    assert finding.message.endswith(
        "but was a: b when archived: compressed bytes may legitimately differ"
    )


# _bundle and archived_report


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return out.getvalue()


def _with_bundle(tmp_path: Path, *bundles: tuple[str, bytes]) -> Project:
    project = _project(tmp_path)
    data = project.root / "archive" / "1.0.0" / "data"
    data.mkdir(parents=True)
    for name, content in bundles:
        (data / name).write_bytes(content)
    return project


def _report_refused(project: Project) -> list[Finding]:
    with pytest.raises(InputError) as caught:
        archived_report(project, "1.0.0")
    return caught.value.findings


def test_archived_report_reads_the_bundle_leniently(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "src")
    text = (root / "source" / "report.yaml").read_bytes()
    grown = b"\xef\xbb\xbf" + text + b"\nfield_from_the_future: 1\n"
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", _tar({"source/report.yaml": grown})))
    meta = archived_report(project, "1.0.0")
    assert meta.title == "Jobbregionen"
    assert meta.publisher == "Reglab"


def test_archived_report_without_a_single_bundle(tmp_path: Path) -> None:
    project = _with_bundle(tmp_path)
    assert _report_refused(project) == [
        error("archive/1.0.0/data", None, "no single *-source.tar.gz in it")
    ]
    two = _with_bundle(tmp_path / "two", ("a-source.tar.gz", b""), ("b-source.tar.gz", b""))
    with pytest.raises(InputError):
        archive._bundle(two, "1.0.0")


def test_bundle_is_the_one_source_archive(tmp_path: Path) -> None:
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", b"x"), ("r.pdf", b"y"))
    assert archive._bundle(project, "1.0.0") == (
        project.root / "archive" / "1.0.0" / "data" / "r-1.0.0-source.tar.gz"
    )


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"not gzip at all", "cannot read source/report.yaml: "),
        (_tar({"source/other.yaml": b"x"}), "cannot read source/report.yaml: "),
        (_tar({"source/report.yaml": b"a: [\n"}), "archived report.yaml unreadable: "),
        (_tar({"source/report.yaml": b"\xff\xfe\x00"}), "archived report.yaml unreadable: "),
        (_tar({"source/report.yaml": b"- a list\n"}), "archived report.yaml unreadable: "),
        (_tar({"source/report.yaml": b"title: 3\n"}), "archived report.yaml unreadable: "),
    ],
)
def test_archived_report_that_cannot_be_read(tmp_path: Path, content: bytes, start: str) -> None:
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", content))
    [finding] = _report_refused(project)
    assert finding.path == "archive/1.0.0/data/r-1.0.0-source.tar.gz"
    assert finding.message.startswith(start), finding.message


def test_archived_report_with_a_directory_member(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        entry = tarfile.TarInfo("source/report.yaml")
        entry.type = tarfile.DIRTYPE
        tar.addfile(entry)
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", out.getvalue()))
    [finding] = _report_refused(project)
    assert finding.message == "cannot read source/report.yaml: 'source/report.yaml'"


def test_archived_report_from_a_bundle_that_is_a_folder(tmp_path: Path) -> None:
    project = _with_bundle(tmp_path)
    (project.root / "archive" / "1.0.0" / "data" / "r-1.0.0-source.tar.gz").mkdir()
    [finding] = _report_refused(project)
    assert finding.message.startswith("cannot read source/report.yaml: [Errno 21] ")


def _large_bundle() -> bytes:
    rnd = random.Random(7)
    filler = "".join(rnd.choice("abcdefgh") for _ in range(200_000)).encode()
    return _tar({"source/report.yaml": b"title: x\n", "source/filler.txt": filler})


def test_archived_report_from_a_truncated_bundle(tmp_path: Path) -> None:
    whole = _large_bundle()
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", whole[: len(whole) // 2]))
    assert [f.message for f in _report_refused(project)] == [
        "cannot read source/report.yaml: Compressed file ended before the end-of-stream "
        "marker was reached"
    ]


def _corrupt_mid_stream(whole: bytes) -> bytes:
    """The bundle with one byte changed where gzip's inflate fails (not a tar error)."""
    for pos in range(len(whole) // 2, len(whole) - 20):
        damaged = bytearray(whole)
        damaged[pos] ^= 0x55
        try:
            with tarfile.open(fileobj=io.BytesIO(bytes(damaged)), mode="r:gz") as tar:
                tar.getmembers()
        except zlib.error:
            return bytes(damaged)
        except (tarfile.TarError, EOFError, OSError):
            continue
    raise AssertionError("no position gave a zlib error")


def test_archived_report_from_a_bundle_damaged_mid_stream(tmp_path: Path) -> None:
    damaged = _corrupt_mid_stream(_large_bundle())
    project = _with_bundle(tmp_path, ("r-1.0.0-source.tar.gz", damaged))
    [finding] = _report_refused(project)
    assert finding.message.startswith("cannot read source/report.yaml: Error -3 ")


# rebuild_edition, with the subprocess replaced by one that writes chosen PDFs


class _FakeRun:
    """Stands in for subprocess.run: records the call, writes `made` into build/."""

    def __init__(self, made: dict[str, bytes], code: int = 0, out: str = "", err: str = "") -> None:
        self.made, self.code, self.out, self.err = made, code, out, err
        self.calls: list[tuple[list[str], dict[str, str], Path, list[str]]] = []
        self.options: dict[str, object] = {}

    def __call__(
        self, command: list[str], *, env: dict[str, str], cwd: Path, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        unpacked = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*") if p.is_file())
        self.calls.append((command, env, cwd, unpacked))
        self.options = kwargs
        (cwd / "build").mkdir(exist_ok=True)
        for name, data in self.made.items():
            (cwd / "build" / name).write_bytes(data)
        return subprocess.CompletedProcess(command, self.code, self.out, self.err)


def _archived(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pdfs: dict[str, bytes],
    lock: str | None = None,
) -> Project:
    bundle = _tar(
        {
            "source/report.yaml": b"title: x\n",
            "engine/reportpipe/__init__.py": b"",
            "engine/reportpipe/cli.py": b"",
            "engine/reportpipe/theme/x.css": b"",
        }
    )
    files = {"r-1.0.0-source.tar.gz": bundle, **pdfs}
    if lock is not None:
        files["constraints.txt"] = lock.encode()
    project = _with_bundle(tmp_path, *files.items())
    monkeypatch.setattr(archive, "without_network", lambda python, args: ([python, *args], "care"))
    info = project.root / "archive" / "1.0.0" / "bag-info.txt"
    info.write_text(
        f"Python-Version: {sys.version.split()[0]}\nZlib-Version: {zlib.ZLIB_RUNTIME_VERSION}\n"
    )
    return project


def test_rebuild_runs_the_archived_engine_and_compares_every_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _archived(
        tmp_path,
        monkeypatch,
        {"r-1.0.0.pdf": b"%PDF same", "r-1.0.0-print.pdf": b"%PDF old", "r.pdf": b"x"},
    )
    fake = _FakeRun({"r-1.0.0.pdf": b"%PDF same", "r-1.0.0-print.pdf": b"%PDF new"})
    monkeypatch.setattr(archive.subprocess, "run", fake)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    said: list[str] = []
    findings = archive.rebuild_edition(project, "1.0.0", said.append)
    assert findings == [
        error(
            "archive/1.0.0/data/r-1.0.0-print.pdf",
            None,
            "rebuilt PDF differs from the archived bytes",
        ),
        error("archive/1.0.0/data/r.pdf", None, "rebuild made no such file"),
    ]
    [(command, env, cwd, unpacked)] = fake.calls
    assert unpacked == [
        "engine/reportpipe/__init__.py",
        "engine/reportpipe/cli.py",
        "engine/reportpipe/theme/x.css",
        "source/report.yaml",
    ]
    assert command == [
        sys.executable,
        "build",
        "--project",
        str(cwd),
        "--edition",
        "screen",
        "--edition",
        "print",
        "--edition",
        "archive",
    ]
    assert fake.options == {"capture_output": True, "text": True, "check": False}
    assert "SOURCE_DATE_EPOCH" not in env
    assert env["PYTHONPATH"] == os.pathsep.join([str(cwd / "engine"), "/elsewhere"])
    [line] = said
    assert line == (
        "  running the engine archived in archive/1.0.0/data/r-1.0.0-source.tar.gz "
        "(2 Python files of reportpipe, unpacked to a temporary folder) with "
        f"{sys.executable}, in a subprocess with care"
    )


def test_rebuild_of_identical_pdfs_finds_nothing_and_pythonpath_is_only_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _archived(tmp_path, monkeypatch, {"r-1.0.0.pdf": b"%PDF same"})
    fake = _FakeRun({"r-1.0.0.pdf": b"%PDF same", "extra.pdf": b"not archived"})
    monkeypatch.setattr(archive.subprocess, "run", fake)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    assert archive.rebuild_edition(project, "1.0.0") == []
    [(_, env, cwd, _)] = fake.calls
    assert env["PYTHONPATH"] == str(cwd / "engine")


def test_rebuild_reports_lock_and_runtime_differences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _archived(
        tmp_path, monkeypatch, {"r-1.0.0.pdf": b"%PDF same"}, lock="PyYAML==0.0.1\n"
    )
    info = project.root / "archive" / "1.0.0" / "bag-info.txt"
    info.write_text("Python-Version: 2.7.0\n")
    monkeypatch.setattr(archive.subprocess, "run", _FakeRun({"r-1.0.0.pdf": b"%PDF same"}))
    import yaml

    assert archive.rebuild_edition(project, "1.0.0") == [
        warning(
            "archive/1.0.0/data/constraints.txt",
            None,
            f"PyYAML {yaml.__version__} is installed, the edition was built with 0.0.1: "
            "rebuild in an environment made with '-c' that file",
        ),
        warning(
            "archive/1.0.0/bag-info.txt",
            None,
            f"Python-Version is {sys.version.split()[0]} here but was 2.7.0 when archived: "
            "compressed bytes may legitimately differ",
        ),
    ]


@pytest.mark.parametrize(
    ("code", "out", "err", "said"),
    [
        (1, "out text", "  the traceback \n", "the traceback"),
        (1, "out text", " \n", "out text"),
        (-9, "", "killed", "killed"),
    ],
)
def test_rebuild_that_fails_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, out: str, err: str, said: str
) -> None:
    project = _archived(tmp_path, monkeypatch, {"r-1.0.0.pdf": b"%PDF same"})
    monkeypatch.setattr(archive.subprocess, "run", _FakeRun({}, code=code, out=out, err=err))
    assert archive.rebuild_edition(project, "1.0.0") == [
        error("archive/1.0.0/data", None, f"rebuild failed: {said}")
    ]


def test_rebuild_without_a_bundle_or_with_a_broken_one(tmp_path: Path) -> None:
    project = _with_bundle(tmp_path)
    assert archive.rebuild_edition(project, "1.0.0") == [
        error("archive/1.0.0/data", None, "no single *-source.tar.gz in it")
    ]
    (project.root / "archive" / "1.0.0" / "data" / "r-source.tar.gz").write_bytes(b"junk")
    [finding] = archive.rebuild_edition(project, "1.0.0")
    assert finding.path == "archive/1.0.0/data/r-source.tar.gz"
    assert finding.message.startswith("cannot unpack: ")


def test_rebuild_from_a_truncated_damaged_or_unreadable_bundle(tmp_path: Path) -> None:
    whole = _large_bundle()
    bundles = {
        "truncated": whole[: len(whole) // 2],
        "damaged": _corrupt_mid_stream(whole),
    }
    for case, content in bundles.items():
        project = _with_bundle(tmp_path / case, ("r-source.tar.gz", content))
        [finding] = archive.rebuild_edition(project, "1.0.0")
        assert finding.path == "archive/1.0.0/data/r-source.tar.gz"
        assert finding.message.startswith("cannot unpack: "), finding.message
    project = _with_bundle(tmp_path / "folder")
    (project.root / "archive" / "1.0.0" / "data" / "r-source.tar.gz").mkdir()
    [finding] = archive.rebuild_edition(project, "1.0.0")
    assert finding.message.startswith("cannot unpack: [Errno 21] ")


def test_check_bag_when_a_payload_file_cannot_be_read_for_the_completeness_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, final = _bag(tmp_path)
    (final / "data" / "b.txt").write_bytes(b"added")  # Payload-Oxum fails: no details
    unreadable = final / "data" / "a.txt"
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path == unreadable:  # as a file of another user, for a test run as root
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert check_bag(project, "1.0.0") == [
        _payload_oxum_failed("4 files and 46 bytes", "5 files and 51 bytes")
    ]


def test_check_bag_says_a_change_once_bagit_logs_nothing_of_it(tmp_path: Path) -> None:
    project, final = _bag(tmp_path)
    (final / "data" / "a.txt").write_bytes(b"ALPHA\n")
    heard: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = heard.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)  # what an application that configures logging sees
    try:
        assert len(check_bag(project, "1.0.0")) == 1
    finally:
        root.removeHandler(handler)
    assert [r.getMessage() for r in heard if r.name == "bagit"] == []


def test_write_bag_makes_every_folder_up_to_the_archive(tmp_path: Path) -> None:
    project = Project(tmp_path / "not" / "yet")
    final = write_bag(project, "1.0.0", PAYLOAD, {})
    assert final == tmp_path / "not" / "yet" / "archive" / "1.0.0"
    assert check_bag(project, "1.0.0") == []


def test_a_payload_cannot_be_changed_once_made() -> None:
    item = Payload("a.txt", b"alpha")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.data = b"other"  # type: ignore[misc]
    assert {item, Payload("a.txt", b"alpha")} == {item}
