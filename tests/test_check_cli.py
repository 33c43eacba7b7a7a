"""`reportpipe check` as a user meets it: the shipped content passes offline, and each
kind of fault, added to a copy of the content, is reported with file and line, exit 1."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import SLUG, VERSION, Built, MakeProject, run_cli


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        if self.path == "/ok":
            self.send_response(200)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = _answer  # noqa: N815 - http.server's naming
    do_GET = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _copy_built(built: Built, target: Path) -> Path:
    shutil.copytree(built.root, target)
    return target


def test_shipped_content_passes_offline_and_says_what_it_skipped(
    built: Built, tmp_path: Path
) -> None:
    root = _copy_built(built, tmp_path / "p")
    result = run_cli("check", "--offline", "--project", str(root))
    assert result.code == 0, result.out + result.err
    assert (
        "links: source/intro.md:5: excluded 'Aurora Pellis bildspel' (#): The slide deck"
        in result.out
    )
    assert (
        "credits: source/pictures.yaml: excluded images/smorjmedlet.svg provenance:" in result.out
    )
    assert f"preflight: build/{SLUG}-{VERSION}-print.pdf: 12 pages" in result.out
    for name in ("links", "credits", "preflight"):
        assert f"{name}: 0 error(s), 0 warning(s)" in result.out
        assert (root / "build" / "reports" / f"{name}.json").is_file()


def test_empty_link_without_its_exclusion_is_an_error(make_project: MakeProject) -> None:
    root = make_project({"source/checks.yaml": "credits: {}\n"})
    result = run_cli("check", "links", "--offline", "--project", str(root))
    assert result.code == 1
    assert "source/intro.md:5: error: link 'Aurora Pellis bildspel' has no target" in result.err


def test_links_to_nowhere_and_broken_web_links(make_project: MakeProject, server: str) -> None:
    intro = (
        "# Inledning\n\nSe [frågorna](#ingenstans).\n\n"
        f"[Fungerar]({server}/ok), [borta]({server}/borta), [flyttad]({server}/moved), "
        "[fel adress](mailto:nagon@).\n"
    )
    root = make_project({"source/intro.md": intro})
    result = run_cli("check", "links", "--project", str(root))
    assert result.code == 1
    assert "source/intro.md:3: error: link 'frågorna' points to #ingenstans" in result.err
    assert (
        f"source/intro.md:5: error: link 'borta': {server}/borta returned status 404" in result.err
    )
    assert (
        f"source/intro.md:5: warning: link 'flyttad': {server}/moved redirects to {server}/ok"
        in result.err
    )
    assert (
        "source/intro.md:5: error: link 'fel adress' has a malformed e-mail address" in result.err
    )
    assert "3 external checked" in result.out

    offline = run_cli("check", "links", "--offline", "--project", str(root))
    assert "3 external not checked (offline)" in offline.out
    assert "returned status 404" not in offline.err


def test_strict_fails_on_a_redirect_warning(make_project: MakeProject, server: str) -> None:
    root = make_project({"source/intro.md": f"# Inledning\n\n[flyttad]({server}/moved)\n"})
    assert run_cli("check", "links", "--project", str(root)).code == 0
    assert run_cli("check", "links", "--strict", "--project", str(root)).code == 1


def test_malformed_credit_source(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "pictures.yaml"
    text = path.read_text("utf-8").replace(
        "source: Ritad för denna rapport", "source: https://exempel .se/bild", 1
    )
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "exempel .se" in row)
    result = run_cli("check", "credits", "--project", str(root))
    assert result.code == 1
    assert (
        f"source/pictures.yaml:{line}: error: images/tradgardsmastaren.svg: source:" in result.err
    )


def test_preflight_finds_a_print_pdf_without_bleed(built: Built, tmp_path: Path) -> None:
    root = _copy_built(built, tmp_path / "p")
    build = root / "build"
    shutil.copy(build / f"{SLUG}-{VERSION}.pdf", build / f"{SLUG}-{VERSION}-print.pdf")
    result = run_cli("check", "preflight", "--project", str(root))
    assert result.code == 1
    assert f"build/{SLUG}-{VERSION}-print.pdf: error:" in result.err
    assert "bleed" in result.err and "OutputIntents" in result.err


def test_preflight_before_a_build_says_what_to_do(make_project: MakeProject) -> None:
    root = make_project({})
    result = run_cli("check", "preflight", "--project", str(root))
    assert result.code == 2
    assert (
        f"build/{SLUG}-{VERSION}.pdf: error: not built yet: run `reportpipe build` first"
        in result.err
    )
