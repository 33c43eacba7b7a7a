"""The web edition in a real browser: axe-core in headless Chromium.

These tests need Debian's chromium and the pinned npm tools (`nox -s validate_web`
installs both and runs them with REPORTPIPE_BROWSER_TESTS=required, where a missing tool
fails instead of skipping)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Built, run_cli
from reportpipe.commands.validate_web import chromium, tools_folder, tools_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def _browser() -> None:
    missing = []
    if chromium() is None:
        missing.append("chromium")
    if not tools_ready(tools_folder()):
        missing.append(f"axe-core and puppeteer-core in {tools_folder()}")
    if missing:
        why = "not installed: " + ", ".join(missing) + " (nox -s validate_web installs them)"
        if os.environ.get("REPORTPIPE_BROWSER_TESTS") == "required":
            pytest.fail(why)
        pytest.skip(why)


def test_the_shipped_web_edition_has_no_violations(built: Built, tmp_path: Path) -> None:
    prefix = tmp_path / "shot"
    result = run_cli("validate-web", "--project", str(built.root), "--screenshots", str(prefix))
    assert result.code == 0, result.out + result.err
    assert "build/web/index.html in chromium with axe-core 4.14.1" in result.out
    assert "0 violation(s)" in result.out
    for width in (390, 1280):  # the browser really rendered the page at both widths
        assert (tmp_path / f"shot-{width}.png").stat().st_size > 10_000


def test_a_broken_page_fails_at_its_faults(built: Built, tmp_path: Path) -> None:
    page = (built.root / "build" / "web" / "index.html").read_text("utf-8")
    broken = tmp_path / "web" / "index.html"
    broken.parent.mkdir()
    broken.write_text(
        page.replace('<html lang="sv">', "<html>")
        .replace('alt="Piktogram: ett ånglok', 'data-alt="Piktogram: ett ånglok')
        .replace("</main>", '<img src="https://example.org/x.png" alt="x"></main>'),
        encoding="utf-8",
    )
    result = run_cli("validate-web", "--project", str(built.root), "--page", str(broken))
    assert result.code == 1, result.out + result.err
    err = result.err
    assert "error: axe html-has-lang (serious, at 390 px)" in err
    assert "error: axe image-alt (critical, at 390 px)" in err and "loket.svg" in err
    assert "error: the page loads https://example.org/x.png: it must be self-contained" in err
    assert "3 violation(s)" in result.out


def test_no_browser_is_a_clear_error(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    result = run_cli("validate-web", "--project", str(built.root))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "build/web/index.html: error: the browser check did not run" in result.err
