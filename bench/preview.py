"""Preview refresh times: `python bench/preview.py [--runs N]` (or `nox -s bench_preview`).

The shipped report is copied to a temporary folder and previewed in this process, as
`reportpipe preview` does (a warm builder thread watching source/ and styles/). Each run
changes one word in a chapter (alternately in source/intro.md and in scenarios.yaml) and
measures, from the moment the file is saved, how long until the web edition is shown
and until the screen PDF's pages are shown (polling interval included). Targets: web
≤ 0.3 s, PDF pages ≤ 1.5 s. Results go to build/bench/preview.json; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from reportpipe.preview import Preview  # noqa: E402 - after the path is set
from reportpipe.project import Project  # noqa: E402


def _wait(preview: Preview, test: object, limit: float = 120.0) -> float:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        with preview.lock:
            if test(preview.state):  # type: ignore[operator]
                return time.perf_counter()
        time.sleep(0.005)
    raise TimeoutError("preview did not refresh")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportpipe-bench-preview-") as tmp:
        root = Path(tmp)
        for part in ("source", "styles"):
            shutil.copytree(REPO / part, root / part)
        preview = Preview(Project(root), say=lambda _: None)
        started = time.perf_counter()
        watcher = threading.Thread(target=preview.watch, daemon=True)
        watcher.start()
        _wait(preview, lambda s: s.thumbnails and not s.building)
        first = time.perf_counter() - started
        files = [root / "source" / "intro.md", root / "source" / "scenarios.yaml"]
        words = [("Syftet", "Målet"), ("Svag formell roll", "Svag formell ROLL")]
        web, pdf = [], []
        for run in range(args.runs):
            path, (old, new) = files[run % 2], words[run % 2]
            text = path.read_text("utf-8")
            with preview.lock:
                version = preview.state.version
            saved = time.perf_counter()
            path.write_text(text.replace(old, new, 1) if old in text else text.replace(new, old, 1))
            shown = _wait(preview, lambda s, v=version: s.version > v and s.building == "pdf")
            pages = _wait(preview, lambda s, v=version: s.version > v + 1 and not s.building)
            web.append(shown - saved)
            pdf.append(pages - saved)
            time.sleep(0.3)
        preview.shutdown()
        watcher.join(30)
    result = {
        "machine": f"{platform.python_version()} on {os.cpu_count()} cores",
        "first_preview_s": round(first, 3),
        "web_refresh_s": [round(x, 3) for x in web],
        "pdf_refresh_s": [round(x, 3) for x in pdf],
        "web_refresh_median_s": round(statistics.median(web), 3),
        "pdf_refresh_median_s": round(statistics.median(pdf), 3),
    }
    out = REPO / "build" / "bench" / "preview.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"first preview (cold: imports, fonts): {first:.2f} s")
    print(f"web edition shown after a save: median {result['web_refresh_median_s']} s (≤ 0.3)")
    print(f"PDF pages shown after a save:   median {result['pdf_refresh_median_s']} s (≤ 1.5)")


if __name__ == "__main__":
    main()
