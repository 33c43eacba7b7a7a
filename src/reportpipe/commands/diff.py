"""`reportpipe diff OLD NEW`: what changed between two editions, in words and in pages.

OLD and NEW are archived versions (archive/<version>/) or `build` (the current sources
and the screen PDF in build/). The result goes to build/diff/OLD..NEW/:
- changes.txt: by chapter, scenario and group, what was added, removed or changed, in
  the report's language (the frame's words from the catalogue);
- for every page whose text changed: old, new and overlay PNGs, the overlay marking the
  regions whose pixels differ; pages are matched by their text, not by their number, so
  an inserted page does not make every later page "changed";
- index.html, showing them side by side.
Nothing is printed here; the caller prints the summary.
"""

from __future__ import annotations

import difflib
import html
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from reportpipe.catalogue import Catalogue
from reportpipe.content import Report, load_report
from reportpipe.findings import InputError, error
from reportpipe.project import Project

BUILD = "build"
ZOOM = 1.5  # page pictures at 108 dpi
CELL = 6  # pixels: changed pixels are marked by cells of this size
THRESHOLD = 40  # of 255: smaller differences (anti-aliasing) are not changes


@dataclass(frozen=True)
class Change:
    where: str  # the chapter, scenario or group, as the report names it
    kind: str  # added, removed, changed
    old: str
    new: str


@dataclass(frozen=True)
class PageChange:
    old: int | None  # page numbers, from 1; None: the page is new (or gone)
    new: int | None
    image: str  # the file stem in the diff folder: page-<old>-<new>
    region: tuple[int, int, int, int] | None  # changed pixels' box in the overlay


@dataclass(frozen=True)
class DiffResult:
    folder: Path
    changes: tuple[Change, ...]
    pages: tuple[PageChange, ...]
    words_added: int
    words_removed: int
    summary: str  # in the report's language


@dataclass(frozen=True)
class _Edition:
    label: str
    report: Report
    pdf: Path


def diff_editions(project: Project, old: str, new: str) -> DiffResult:
    from reportpipe.archive import versions

    known = versions(project)
    for name in (old, new):
        if name != BUILD and name not in known:
            where = ", ".join(known) or "none"
            raise InputError([error("archive", None, f"no edition {name} (archived: {where})")])
    with tempfile.TemporaryDirectory(prefix="reportpipe-diff-") as tmp:
        before = _edition(project, old, Path(tmp) / "old")
        after = _edition(project, new, Path(tmp) / "new")
        folder = project.build / "diff" / f"{old}..{new}"
        return _write(folder, before, after)


def _edition(project: Project, name: str, work: Path) -> _Edition:
    if name == BUILD:
        report = load_report(project).report
        pdf = project.build / f"{report.file_stem}.pdf"
        if not pdf.is_file():
            raise InputError([error(project.shown(pdf), None, "not built: run reportpipe build")])
        return _Edition(report.edition.version + " (build)", report, pdf)
    from reportpipe.archive import _bundle, archive_root
    from reportpipe.bundle import unpack_bundle

    unpack_bundle(_bundle(project, name).read_bytes(), work)
    report = load_report(Project(work)).report
    pdf = archive_root(project) / name / "data" / f"{report.file_stem}.pdf"
    if not pdf.is_file():
        raise InputError([error(project.shown(pdf), None, "archived screen edition missing")])
    return _Edition(name, report, pdf)


# --- words -------------------------------------------------------------------------

_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "figcaption", "dt", "dd"}


class _Blocks(HTMLParser):
    """The text of each block of a Markdown fragment, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(text)
        self._text = []


def units(report: Report) -> dict[str, list[str]]:
    """The report's text by chapter, scenario and group (named as the report names them)."""
    t = report.words
    found: dict[str, list[str]] = {}
    for chapter in report.chapters:
        parser = _Blocks()
        parser.feed(chapter.fragment.html)
        parser.close()
        parser._flush()
        title = next(iter(chapter.fragment.headings), None)
        found[title.text if title else chapter.path] = parser.blocks
    for s in report.scenarios:
        heading = t(
            "bonus_scenario_heading" if s.bonus else "scenario_heading",
            number=s.number,
            title=s.title,
        )
        found[heading] = [x for x in (s.emblem, s.summary) if x] + list(s.points)
        for g in s.groups:
            label = t("group_label", id=g.id)
            found[f"{heading} › {g.title} ({label})"] = [g.title, *g.points]
    return found


def text_changes(old: Report, new: Report) -> tuple[list[Change], int, int]:
    """What changed, unit by unit, and how many words were added and removed."""
    before, after = units(old), units(new)
    changes: list[Change] = []
    added = removed = 0
    for where in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(where), after.get(where)
        if a is None or b is None:
            blocks = b if a is None else a
            text, count = " / ".join(blocks or []), sum(len(x.split()) for x in blocks or [])
            if a is None:
                changes.append(Change(where, "added", "", text))
                added += count
            else:
                changes.append(Change(where, "removed", text, ""))
                removed += count
            continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            old_text, new_text = " / ".join(a[i1:i2]), " / ".join(b[j1:j2])
            kind = {"insert": "added", "delete": "removed"}.get(op, "changed")
            changes.append(Change(where, kind, old_text, new_text))
            plus, minus = _word_counts(old_text, new_text)
            added, removed = added + plus, removed + minus
    return changes, added, removed


def _word_counts(old: str, new: str) -> tuple[int, int]:
    a, b = old.split(), new.split()
    plus = minus = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            minus += i2 - i1
        if op in ("replace", "insert"):
            plus += j2 - j1
    return plus, minus


# --- pages -------------------------------------------------------------------------


def _page_texts(pdf: Path) -> list[str]:
    try:
        import pymupdf
    except ImportError:
        raise InputError(
            [error("pymupdf", None, "not installed: pip install 'reportpipe[preview]'")]
        ) from None

    with pymupdf.open(pdf) as document:
        return [" ".join(page.get_text().split()) for page in document]


def matched_pages(old: list[str], new: list[str]) -> Iterator[tuple[int | None, int | None]]:
    """Pairs of page indexes whose text differs: matched by content (unchanged pages are
    found wherever they moved to); a page only one side has is paired with None."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        for k in range(max(len(olds), len(news))):
            yield (olds[k] if k < len(olds) else None, news[k] if k < len(news) else None)


def _picture(pdf: Path, index: int) -> Image.Image:
    import pymupdf

    with pymupdf.open(pdf) as document:
        pix = document[index].get_pixmap(matrix=pymupdf.Matrix(ZOOM, ZOOM), alpha=False)
        return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _overlay(
    old: Image.Image, new: Image.Image
) -> tuple[Image.Image, tuple[int, int, int, int] | None]:
    """The new page over a faint old one, with every cell of changed pixels marked."""
    if old.size != new.size:
        old = old.resize(new.size)
    changed = (
        ImageChops.difference(old, new).convert("L").point(lambda v: 255 if v > THRESHOLD else 0)
    )
    base = Image.blend(old, new, 0.7).convert("RGBA")
    marks = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(marks)
    small = changed.resize(
        (max(1, changed.width // CELL), max(1, changed.height // CELL)), Image.Resampling.BOX
    )
    for y in range(small.height):
        for x in range(small.width):
            if small.getpixel((x, y)):
                box = (x * CELL, y * CELL, (x + 1) * CELL - 1, (y + 1) * CELL - 1)
                draw.rectangle(box, fill=(255, 0, 80, 90))
    return Image.alpha_composite(base, marks).convert("RGB"), changed.getbbox()


def _write(folder: Path, before: _Edition, after: _Edition) -> DiffResult:
    from reportpipe.atomic import write_all_atomic

    t = after.report.words
    changes, added, removed = text_changes(before.report, after.report)
    pages: list[PageChange] = []
    files: dict[Path, bytes] = {}
    for i, j in matched_pages(_page_texts(before.pdf), _page_texts(after.pdf)):
        stem = f"page-{'' if i is None else i + 1}-{'' if j is None else j + 1}"
        old_img = _picture(before.pdf, i) if i is not None else None
        new_img = _picture(after.pdf, j) if j is not None else None
        region = None
        for name, image in (("old", old_img), ("new", new_img)):
            if image is not None:
                files[folder / f"{stem}-{name}.png"] = _png(image)
        if old_img is not None and new_img is not None:
            overlay, region = _overlay(old_img, new_img)
            files[folder / f"{stem}-overlay.png"] = _png(overlay)
        pages.append(
            PageChange(None if i is None else i + 1, None if j is None else j + 1, stem, region)
        )
    summary = t("diff_summary", pages=len(pages), added=added, removed=removed)
    files[folder / "changes.txt"] = _text(t, before, after, changes, summary).encode()
    files[folder / "index.html"] = _index(t, before, after, changes, pages, summary).encode()
    for stale in folder.glob("*") if folder.is_dir() else []:
        if stale not in files and stale.is_file():
            stale.unlink()
    write_all_atomic(files)
    return DiffResult(folder, tuple(changes), tuple(pages), added, removed, summary)


def _png(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _kind(t: Catalogue, kind: str) -> str:
    return t(f"diff_{kind}")


def _text(
    t: Catalogue, before: _Edition, after: _Edition, changes: list[Change], summary: str
) -> str:
    lines = [t("diff_title", old=before.label, new=after.label), "", summary, ""]
    where = None
    for change in changes:
        if change.where != where:
            where = change.where
            lines += ["", where]
        if change.kind == "changed":
            lines.append(f"  {_kind(t, 'changed')}: {change.old}")
            lines.append(f"  {'→'.rjust(len(_kind(t, 'changed')))}  {change.new}")
        else:
            lines.append(f"  {_kind(t, change.kind)}: {change.new or change.old}")
    if not changes:
        lines.append(t("diff_none"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _index(
    t: Catalogue,
    before: _Edition,
    after: _Edition,
    changes: list[Change],
    pages: list[PageChange],
    summary: str,
) -> str:
    e = html.escape
    title = e(t("diff_title", old=before.label, new=after.label))
    rows = "".join(
        f"<tr><td>{e(c.where)}</td><td>{e(_kind(t, c.kind))}</td>"
        f"<td><del>{e(c.old)}</del></td><td><ins>{e(c.new)}</ins></td></tr>"
        for c in changes
    )
    figures = []
    for page in pages:
        caption = e(t("diff_page", old=page.old or "–", new=page.new or "–"))
        cells = "".join(
            f'<img src="{page.image}-{name}.png" alt="{e(name)}: {caption}">'
            for name in ("old", "new", "overlay")
            if (name != "old" or page.old)
            and (name != "new" or page.new)
            and (name != "overlay" or (page.old and page.new))
        )
        figures.append(f"<figure><figcaption>{caption}</figcaption>{cells}</figure>")
    lang = e(after.report.meta.lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}'
        "</title><style>body{font:16px/1.4 sans-serif;margin:1rem}img{width:32%;"
        "border:1px solid #999;margin-right:1%}td{vertical-align:top;padding:2px 8px}"
        "del{color:#8b0000}ins{color:#005a00}</style></head><body><main>"
        f"<h1>{title}</h1><p>{e(summary)}</p><table>{rows}</table>{''.join(figures)}"
        "</main></body></html>\n"
    )
