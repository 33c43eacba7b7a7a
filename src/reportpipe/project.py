"""Where a project's parts live, and the one rule for resolving paths inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from reportpipe import gate
from reportpipe.findings import InputError, error

#: The folders a build reads; nothing else of the project folder goes into a PDF.
INPUT_FOLDERS = ("source", "styles")
#: Files there that never go into a PDF: settings of the checks, the recipients (personal
#: data, kept out of archived bundles too) and the cover letter.
NOT_IN_THE_PDF = ("checks.yaml", "distribution.yaml", "letter*.txt.j2")


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def styles(self) -> Path:
        return self.root / "styles"

    @property
    def templates(self) -> Path:
        return self.styles / "templates"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def shown(self, path: Path) -> str:
        """A path as messages show it: relative to the project, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders a build may read (see gate.py); each is a real folder, not a
        symlink (open_project refuses those)."""
        return tuple(self.root / name for name in INPUT_FOLDERS)

    def inside(self, path: Path) -> Path | None:
        """`path` fully resolved (symlinks too) if it stays inside source/ or styles/ of
        the project, else None: a build reads nothing else."""
        resolved = path.resolve()
        return resolved if any(resolved.is_relative_to(f) for f in self.roots) else None

    def pdf_inputs(self) -> list[Path]:
        """Every file a PDF is made from, in a stable order: the one list that the
        incremental-build digest, the PDF identifier and the source bundle all use."""
        found = []
        for name in INPUT_FOLDERS:
            for path in (self.root / name).rglob("*"):
                if not path.is_file() or "__pycache__" in path.parts:
                    continue
                if any(path.match(p) for p in NOT_IN_THE_PDF) or self.inside(path) is None:
                    continue
                if not _decodable(path):
                    raise InputError(
                        [
                            error(
                                self.shown(path)
                                .encode(errors="surrogateescape")
                                .decode(errors="backslashreplace"),
                                None,
                                "the file name is not valid UTF-8; rename or remove the file",
                            )
                        ]
                    )
                if (size := path.stat().st_size) > gate.MAX_FILE_BYTES:
                    raise InputError(
                        [
                            error(
                                self.shown(path),
                                None,
                                f"the file is {size / 2**20:.0f} MB; files under source/ and "
                                f"styles/ may be at most {gate.MAX_FILE_BYTES // 2**20} MB "
                                "(each goes into the archived source bundle)",
                            )
                        ]
                    )
                found.append(path)
        return sorted(found, key=lambda p: p.relative_to(self.root).as_posix())

    def resolve_reference(self, base: Path, reference: str) -> Path | None:
        """Resolve a relative file reference written in a file under `base`.

        Absolute paths, URLs and references that leave source/ and styles/ (by `..` or
        by a symlink) give None: content may only point at files of its own project.
        """
        if not reference or "://" in reference or reference.startswith(("/", "\\")):
            return None
        if PurePosixPath(reference).is_absolute() or ":" in reference.split("/")[0]:
            return None
        return self.inside(base / reference)


def _decodable(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def project_url(path: str) -> str:
    """A URL, relative to the project folder, for a project-relative POSIX path."""
    return quote(path)


def open_project(directory: Path, *, with_content: bool = True) -> Project:
    """The project in `directory`; `with_content` requires source/ and styles/ (building
    needs them, verifying an archive does not)."""
    root = directory.resolve()
    if not root.is_dir():
        raise InputError([error(str(directory), None, "project folder not found")])
    project = Project(root)
    if not with_content:
        return project
    linked = [p for p in (project.source, project.styles) if p.is_symlink()]
    if linked:
        raise InputError(
            [
                error(
                    project.shown(p),
                    None,
                    "is a symlink to a folder elsewhere; a project's folders must be real "
                    "folders inside it",
                )
                for p in linked
            ]
        )
    missing = [p for p in (project.source, project.styles) if not p.is_dir()]
    if missing:
        raise InputError(
            [
                error(project.shown(p), None, "folder missing: a project needs source/ and styles/")
                for p in missing
            ]
        )
    return project
