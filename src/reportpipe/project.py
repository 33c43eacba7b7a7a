"""Where a project's parts live, and the one rule for resolving paths inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from reportpipe import gate
from reportpipe.findings import InputError, error

#: The folders a build reads; nothing else of the project folder goes into a PDF.
INPUT_FOLDERS = ("source", "styles")
#: The look that ships with reportpipe (package data). A project's styles/ overrides it
#: file by file, as MkDocs' custom_dir does: the first folder that has a file wins.
THEME = Path(__file__).resolve().parent / "themes" / "default"
#: How messages name a file of the packaged theme: it is not in the project folder.
THEME_SHOWN = "(theme)"
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
        """A path as messages show it: relative to the project, with forward slashes;
        a file of the packaged theme as `(theme)/<name>`."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            pass
        try:
            return f"{THEME_SHOWN}/{path.relative_to(THEME).as_posix()}"
        except ValueError:
            return str(path)

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders a build may read (see gate.py): source/ and styles/ (real folders,
        not symlinks: open_project refuses those) and the packaged theme, read-only."""
        return (*(self.root / name for name in INPUT_FOLDERS), THEME)

    def inside(self, path: Path, *, theme: bool = True) -> Path | None:
        """`path` fully resolved (symlinks too) if it stays inside source/ or styles/ of
        the project, or (with `theme`) is a file of the packaged theme; else None: a
        build reads nothing else."""
        resolved = path.resolve()
        folders = self.roots if theme else self.roots[:-1]
        return resolved if any(resolved.is_relative_to(f) for f in folders) else None

    def located(self, path: Path) -> Path:
        """Where a file asked for as styles/<name> really is: the project's own, or the
        packaged theme's. Other paths are returned as they are."""
        try:
            name = path.relative_to(self.styles).as_posix()
        except ValueError:
            return path
        return self.style(name)

    def style(self, name: str) -> Path:
        """The file `name` (relative, POSIX) of the look: the project's styles/<name> when
        it has one, else the packaged theme's. When neither has it, the project's path
        (which does not exist), so that the caller's message names where to put it."""
        own = self.styles / name
        if own.exists() or own.is_symlink():
            return own
        packaged = THEME / name
        return packaged if packaged.is_file() else own

    def style_files(self) -> dict[str, Path]:
        """Every file of the look, by its name under styles/: the project's own files,
        and the packaged theme's where the project has none."""
        found: dict[str, Path] = {}
        for folder in (self.styles, THEME):
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    found.setdefault(path.relative_to(folder).as_posix(), path)
        return dict(sorted(found.items()))

    def pdf_inputs(self) -> list[tuple[str, Path]]:
        """Every file a PDF is made from, by its name in the project (files of the
        packaged theme under styles/, where a project would override them), in a
        stable order: the one list that the incremental-build digest, the PDF
        identifier and the source bundle all use."""
        found: dict[str, Path] = {}
        for path in self.source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(self.root).as_posix()] = path
        for name, path in self.style_files().items():
            found[f"styles/{name}"] = path
        inputs = [
            (name, path)
            for name, path in sorted(found.items())
            if not any(path.match(p) for p in NOT_IN_THE_PDF) and self.inside(path) is not None
        ]
        for _, path in inputs:
            self._check_input(path)
        return inputs

    def _check_input(self, path: Path) -> None:
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

    def resolve_reference(self, base: Path, reference: str) -> Path | None:
        """Resolve a relative file reference written in a file under `base`.

        Absolute paths, URLs and references that leave source/ and styles/ (by `..` or
        by a symlink) give None: content may only point at files of its own project.
        """
        if not reference or "://" in reference or reference.startswith(("/", "\\")):
            return None
        if PurePosixPath(reference).is_absolute() or ":" in reference.split("/")[0]:
            return None
        return self.inside(base / reference, theme=False)


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
    """The project in `directory`; `with_content` requires source/ (building needs it,
    verifying an archive does not). styles/ is optional: it holds only what the project
    overrides of the packaged theme."""
    root = directory.resolve()
    if not root.is_dir():
        raise InputError([error(str(directory), None, "project folder not found")])
    project = Project(root)
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
    if with_content and not project.source.is_dir():
        raise InputError(
            [
                error(
                    project.shown(project.source),
                    None,
                    "folder missing: a project needs source/ (start one with `reportpipe new`)",
                )
            ]
        )
    return project
