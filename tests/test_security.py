"""Hostile content: a build that tries every way out reads nothing outside the project,
makes no network request (a local server records any), says what it refused, and an
interrupted build (kill -9) leaves the previous outputs as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from conftest import SLUG, VERSION, Built, MakeProject, override, run_cli


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _record(self) -> None:
        _Recorder.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = _record  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_every_way_out_is_refused_and_named(make_project: MakeProject, recorder: str) -> None:
    css = (
        f"@import url({recorder}/import.css);\n"
        f"@font-face {{ font-family: Ut; src: url({recorder}/font.woff); }}\n"
        f"body {{ background: url({recorder}/background.png); }}\n"
        ".cover { background-image: url(file:///etc/passwd); }\n"
        "h3 { font-family: 'Source Sans 3', Ut; }\n"
    )
    root = make_project({"styles/screen.css": css})
    template = override(root, "templates/report.html.j2")
    text = template.read_text("utf-8").replace(
        "</head>",
        f'<link rel="stylesheet" href="{recorder}/linked.css">\n'
        '<link rel="attachment" href="file:///etc/passwd">\n</head>',
        1,
    )
    text = text.replace(
        "<body>",
        f'<body>\n<img src="{recorder}/pixel.png" alt="spårpixel">\n'
        f'<object data="{recorder}/object.svg" type="image/svg+xml"></object>\n'
        '<img src="' + "../" * 30 + 'etc/hostname" alt="x">\n',
        1,
    )
    template.write_text(text, encoding="utf-8")
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert _Recorder.seen == [], "the build made network requests"
    for refused in (
        f"refused to load {recorder}/import.css: builds use no network",
        f"refused to load {recorder}/font.woff: builds use no network",
        f"refused to load {recorder}/background.png: builds use no network",
        f"refused to load {recorder}/linked.css: builds use no network",
        f"refused to load {recorder}/pixel.png: builds use no network",
        "refused to load file:///etc/passwd: builds read only files inside the project",
        "refused to load file:///etc/hostname: builds read only files inside the project",
    ):
        assert refused in result.err, refused
    assert "Traceback" not in result.err
    assert not list((root / "build").glob("*.pdf"))


def test_symlinks_out_of_the_project_are_refused(make_project: MakeProject, tmp_path: Path) -> None:
    secret = tmp_path / "secret.svg"
    secret.write_text("<svg xmlns='http://www.w3.org/2000/svg'><title>hemligt</title></svg>")
    root = make_project({})
    picture = root / "source" / "images" / "loket.svg"
    picture.unlink()
    picture.symlink_to(secret)
    chapter = root / "source" / "intro.md"
    chapter.unlink()
    chapter.symlink_to(tmp_path / "elsewhere.md")
    (tmp_path / "elsewhere.md").write_text("# Utanför\n", encoding="utf-8")
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert (
        "source/pictures.yaml:" in result.err
        and "'images/loket.svg': is not a file inside source/" in result.err
    )
    assert "chapter 'intro.md' is not a file in source/" in result.err


def test_raw_html_is_rendered_as_text(make_project: MakeProject) -> None:
    intro = (
        "# Inledning\n\n<script>alert('x')</script>\n\n"
        '<iframe src="file:///etc/passwd"></iframe> och <object data="http://127.0.0.1:9/x"></object>\n'
    )
    root = make_project({"source/intro.md": intro})
    result = run_cli("build", "--project", str(root))
    assert result.code == 0, result.err
    html = (root / "build" / "html" / f"{SLUG}-{VERSION}.html").read_text("utf-8")
    assert "<script>" not in html and "<iframe" not in html and "<object" not in html
    # shown as the text the author wrote (with the report's typographic quotes)
    assert "<p>&lt;script&gt;alert(’x’)&lt;/script&gt;</p>" in html
    assert "<p>&lt;iframe src=”file:///etc/passwd”&gt;&lt;/iframe&gt; och &lt;object" in html


def test_kill_9_in_the_middle_of_a_build_keeps_the_previous_outputs(built_copy: Built) -> None:
    root = built_copy.root  # built once, through the CLI, in the session
    build = root / "build"
    before = {p.relative_to(build): p.read_bytes() for p in build.rglob("*") if p.is_file()}
    (root / "source" / "intro.md").write_text("# Inledning\n\nEn ändrad text.\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "reportpipe", "build", "--project", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "] rendering " in line:  # after the progress line's elapsed time
            break
    else:
        pytest.fail("the build never started rendering")
    os.killpg(process.pid, signal.SIGKILL)  # the build and its workers, mid-render
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    after = {
        p.relative_to(build): p.read_bytes()
        for p in build.rglob("*")
        if p.is_file() and not p.name.endswith(".tmp")
    }
    assert after == before
