"""`reportpipe new`: start a report from the starter that ships with the tool.

A new project builds, checks and releases cleanly as it is written: a report.yaml, one
chapter, a cross of four scenarios with placeholder groups, one credited picture, the
settings of the checks, a sample recipient list and a README for the author. It never
writes into a folder that has anything in it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from reportpipe.findings import InputError, error
from reportpipe.schema import schemas

STARTER = Path(__file__).resolve().parent.parent / "starter"
TITLES = {"sv": "Ny rapport", "en": "New report"}


@dataclass(frozen=True)
class NewResult:
    root: Path
    written: tuple[str, ...]  # relative POSIX paths, in order


def starter_languages() -> list[str]:
    return sorted(p.name for p in STARTER.iterdir() if p.is_dir() and p.name != "common")


def slug_for(title: str) -> str:
    """A file-name-safe slug: ASCII letters and digits joined by hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "report"


def edition_date() -> dt.date:
    """Today (UTC), or the day of SOURCE_DATE_EPOCH when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


def _files(lang: str, values: Mapping[str, object]) -> dict[str, bytes]:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.filters["yaml"] = lambda text: json.dumps(text, ensure_ascii=False)  # a YAML scalar
    files: dict[str, bytes] = {}
    for folder in (STARTER / "common", STARTER / lang):
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            if name.endswith(".j2"):
                text = env.from_string(path.read_text("utf-8")).render(values)
                files[name.removesuffix(".j2")] = text.encode()
            else:
                files[name] = path.read_bytes()
    for name, text in schemas().items():
        files[f"schema/{name}"] = text.encode()
    files[".gitignore"] = b"/build/\n"
    return dict(sorted(files.items()))


def new_project(target: Path, *, lang: str, title: str | None, today: dt.date) -> NewResult:
    """Write a new project into `target` (created; or empty). Nothing is written when
    anything is wrong, and an existing file is never overwritten."""
    if lang not in starter_languages():
        known = ", ".join(starter_languages())
        raise InputError([error(str(target), None, f"--lang {lang}: no starter in it ({known})")])
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(
            [
                error(
                    str(target),
                    None,
                    "is not an empty folder; reportpipe new writes only into a new or "
                    "empty folder, so that nothing of yours is overwritten",
                )
            ]
        )
    title = (title or TITLES.get(lang, "Report")).strip()
    if not title:
        raise InputError([error(str(target), None, "--title: give a title")])
    values = {"title": title, "slug": slug_for(title), "date": today.isoformat(), "lang": lang}
    files = _files(lang, values)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".reportpipe-new-", dir=target.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            for entry in sorted(staging.iterdir()):
                entry.rename(target / entry.name)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return NewResult(target, tuple(files))
