"""`reportpipe diff`: an archived edition against the current build, after a one-word
change in scenario 2: exactly that change in words, and only that region in pictures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageChops

from conftest import SLUG, VERSION, copy_project, run_cli
from reportpipe.commands.diff import ZOOM, diff_editions, matched_pages
from reportpipe.project import Project

OLD_WORD, NEW_WORD = "Genomförare", "Genomdrivare"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, released: Path) -> Path:
    """The shipped report released as 1.0.0 (a copy of the session's release), then one
    word changed and built again."""
    root = tmp_path_factory.mktemp("diff") / "project"
    shutil.copytree(released, root, symlinks=True)
    scenarios = root / "source" / "scenarios.yaml"
    text = scenarios.read_text("utf-8")
    assert text.count(f"- {OLD_WORD}\n") == 1
    scenarios.write_text(text.replace(f"- {OLD_WORD}\n", f"- {NEW_WORD}\n"), "utf-8")
    built = run_cli("build", "-q", "--edition", "screen", "--project", str(root))
    assert built.code == 0, built.err
    return root


def test_one_word_in_scenario_2_is_exactly_the_change(changed: Path) -> None:
    result = run_cli("diff", VERSION, "build", "--project", str(changed))
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines() == [
        f"  Scenario 2. Stark formell roll och operativ › Loket (grupp 2:1): changed: "
        f"{OLD_WORD} -> {NEW_WORD}",
        "  page 6 -> 6: page-6-6-*.png",
        f"diff {VERSION}..build: 1 change(s), 1 page(s) changed, 1 word(s) added, 1 removed; "
        f"see build/diff/{VERSION}..build/index.html",
    ]
    folder = changed / "build" / "diff" / f"{VERSION}..build"
    text = (folder / "changes.txt").read_text("utf-8")
    assert text.startswith(f"Ändringar från utgåva {VERSION} till {VERSION} (build)\n")
    assert "Ändrade sidor: 1; tillagda ord: 1, borttagna ord: 1." in text
    assert f"Ändrat: {OLD_WORD}\n" in text and f"→  {NEW_WORD}\n" in text
    assert sorted(p.name for p in folder.iterdir()) == [
        "changes.txt",
        "index.html",
        "page-6-6-new.png",
        "page-6-6-old.png",
        "page-6-6-overlay.png",
    ]
    index = (folder / "index.html").read_text("utf-8")
    assert '<html lang="sv">' in index and 'src="page-6-6-overlay.png"' in index


def test_the_overlay_marks_only_the_changed_word(changed: Path) -> None:
    result = diff_editions(Project(changed), VERSION, "build")
    (page,) = result.pages
    folder = result.folder
    old = Image.open(folder / f"{page.image}-old.png").convert("RGB")
    new = Image.open(folder / f"{page.image}-new.png").convert("RGB")
    overlay = Image.open(folder / f"{page.image}-overlay.png").convert("RGB")
    marked = ImageChops.difference(overlay, Image.blend(old, new, 0.7)).getbbox()
    assert marked is not None and page.region is not None
    with pymupdf.open(changed / "build" / f"{SLUG}-{VERSION}.pdf") as pdf:
        (word,) = pdf[5].search_for(NEW_WORD)
    # The word's box in pixels, widened by the text's neighbour ("Genom" is unchanged).
    left, top = (word.x0 - 4) * ZOOM, (word.y0 - 4) * ZOOM
    right, bottom = (word.x1 + 4) * ZOOM, (word.y1 + 4) * ZOOM
    x0, y0, x1, y1 = marked
    assert left <= x0 and top <= y0 and x1 <= right and y1 <= bottom, (marked, word)
    assert (x1 - x0) * (y1 - y0) < 0.01 * new.width * new.height


def test_pages_are_matched_by_content_when_one_is_inserted() -> None:
    old = ["cover", "contents", "a", "b", "c"]
    new = ["cover", "contents", "a", "NEW", "b", "c changed"]
    assert list(matched_pages(old, new)) == [(None, 3), (4, 5)]
    assert list(matched_pages(["a", "b", "c"], ["a", "c"])) == [(1, None)]
    assert list(matched_pages(["a"], ["a"])) == []


def test_an_unknown_edition_is_a_clear_error(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    result = run_cli("diff", "0.9.0", "build", "--project", str(root))
    assert result.code == 2
    assert "archive: error: no edition 0.9.0 (archived: none)" in result.err
    assert "Traceback" not in result.err
    shutil.rmtree(root)
