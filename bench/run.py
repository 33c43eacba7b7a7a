"""The reportpipe benchmark: `python3 -m nox -s bench` (or `python bench/run.py`).

Measures, on the shipped report and on generated content 10x and 100x its size:
- a whole build in one process against the time spent inside WeasyPrint (HTML parsing,
  layout and PDF writing) in that same process, editions one after the other, as a ratio;
- the wall time of a build with the editions in parallel (the default);
- the no-change and one-change rebuild as a user runs it (a new process each time);
- peak memory and PDF sizes;
- the link check: 500 external links against local servers answering after 100 ms,
  and the internal links of the 100x report (`check links --offline`, a new process);
- the first build of the shipped report (its screen and print editions, a fresh copy,
  so no cache) with this engine and with the previous one (`--baseline`, by default the
  last commit that subset fonts with fontTools), alternating in the same run, as a
  ratio (target <= 0.5); and this engine's default build, which adds the web edition.
Medians of several runs; results go to build/bench/results.json and a Markdown table on
standard output. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import reportpipe.editions  # noqa: E402 - after the path is set
from reportpipe.cli import main  # noqa: E402


def copy_project(target: Path, scale: int, *, origin: Path = REPO) -> Path:
    """The shipped project (of `origin`), with `scale` times its groups, pictures and
    chapters."""
    for part in ("source", "styles"):
        shutil.copytree(origin / part, target / part)
    if scale == 1:
        return target
    source = target / "source"
    scenarios = yaml.safe_load((source / "scenarios.yaml").read_text("utf-8"))
    pictures = yaml.safe_load((source / "pictures.yaml").read_text("utf-8"))
    for scenario in scenarios["scenarios"]:
        groups = []
        for copy in range(scale):
            for group in scenario.get("groups", []):
                if copy == 0:
                    groups.append(group)
                    continue
                picture = group["picture"].replace(".svg", f"-{copy}.svg")
                shutil.copy(source / group["picture"], source / picture)
                pictures["pictures"][picture] = pictures["pictures"][group["picture"]]
                groups.append(
                    {
                        **group,
                        "id": f"{group['id']}-{copy}",
                        "title": f"{group['title']} {copy}",
                        "picture": picture,
                    }
                )
        if groups:
            scenario["groups"] = groups
    (source / "scenarios.yaml").write_text(yaml.safe_dump(scenarios, allow_unicode=True), "utf-8")
    (source / "pictures.yaml").write_text(yaml.safe_dump(pictures, allow_unicode=True), "utf-8")
    report = yaml.safe_load((source / "report.yaml").read_text("utf-8"))
    intro = (
        (source / "intro.md")
        .read_text("utf-8")
        .replace("[Aurora Pellis bildspel](#)", "Aurora Pellis bildspel")
    )
    for copy in range(1, scale):
        name = f"intro-{copy}.md"
        (source / name).write_text(
            intro.replace("# Inledning", f"# Inledning, del {copy + 1}"), "utf-8"
        )
        report["chapters"].append(name)
    (source / "report.yaml").write_text(yaml.safe_dump(report, allow_unicode=True), "utf-8")
    return target


@contextlib.contextmanager
def weasyprint_clock() -> Iterator[list[float]]:
    """Time spent inside reportpipe.pdf.render_pdf, where WeasyPrint runs."""
    spent: list[float] = []
    editions: Any = reportpipe.editions  # render_pdf is its import, patched where it is used
    original = editions.render_pdf

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    editions.render_pdf = timed
    try:
        yield spent
    finally:
        editions.render_pdf = original


def quiet(call: Callable[[], int]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call()


def in_process(root: Path, runs: int) -> dict[str, float]:
    """Median whole build and WeasyPrint time, editions one after the other."""
    args = ["build", "--force", "--jobs", "1", "--project", str(root)]
    quiet(lambda: main(args))  # warm up: imports, font caches
    totals, inside = [], []
    for _ in range(runs):
        with weasyprint_clock() as spent:
            started = time.perf_counter()
            assert quiet(lambda: main(args)) == 0
            totals.append(time.perf_counter() - started)
        inside.append(sum(spent))
    total, weasy = statistics.median(totals), statistics.median(inside)
    return {"build_s": total, "weasyprint_s": weasy, "ratio": total / weasy}


def wall(command: list[str], runs: int, before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_memory_mb(root: Path) -> float:
    """Peak resident memory of a fresh build process and its workers. The build is a
    grandchild: Linux carries a process's peak over fork and exec, so a build started
    straight from this (large) process would report this process's size."""
    build = [sys.executable, "-m", "reportpipe", "build", "--force", "--project", str(root)]
    code = (
        "import resource, subprocess, sys; "
        f"subprocess.run({build!r}, check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = (
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return int(out) / 1024


class Slow(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        time.sleep(0.1)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def link_check(hosts: int, links: int, settings: str) -> float:
    servers = []
    for _ in range(hosts):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = copy_project(Path(tmp), 1)
            urls = [
                f"http://127.0.0.1:{servers[i % hosts].server_address[1]}/page-{i}"
                for i in range(links)
            ]
            text = "# Inledning\n\n" + "\n\n".join(f"[länk {i}]({u})" for i, u in enumerate(urls))
            (root / "source" / "intro.md").write_text(text + "\n", "utf-8")
            (root / "source" / "checks.yaml").write_text(f"links:\n{settings}", "utf-8")
            started = time.perf_counter()
            quiet(lambda: main(["check", "links", "--project", str(root)]))
            return time.perf_counter() - started
    finally:
        for httpd in servers:
            httpd.shutdown()


def measure(scale: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p", scale)
        row: dict[str, Any] = {"scale": scale}
        row.update(in_process(root, runs))
        command = [sys.executable, "-m", "reportpipe", "build", "--project", str(root)]
        row["parallel_build_s"] = wall([*command, "--force"], runs)
        subprocess.run(command, check=True, capture_output=True)
        row["no_change_s"] = wall(command, max(runs, 5))
        intro = root / "source" / "intro.md"
        row["one_change_s"] = wall(
            command, runs, lambda: intro.write_text(intro.read_text("utf-8") + " ", "utf-8")
        )
        row["peak_mb"] = peak_memory_mb(root)
        screen = next(p for p in (root / "build").glob("*.pdf") if not p.stem.endswith("-print"))
        printed = screen.with_name(f"{screen.stem}-print.pdf")
        row["pdf_kib"] = {
            "screen": round(screen.stat().st_size / 1024),
            "print": round(printed.stat().st_size / 1024),
        }
        import pypdf

        row["pages"] = len(pypdf.PdfReader(screen).pages)
        # as a user runs it, in a new process: this one has grown with the builds, and
        # each chapter's Markdown is converted in a process forked from it
        check = [sys.executable, "-m", "reportpipe", "check", "links", "--offline"]
        row["internal_links_s"] = wall([*check, "--project", str(root)], runs)
        return row


def table(results: dict[str, Any]) -> str:
    columns = [
        "content",
        "pages",
        "build with editions in turn",
        "inside WeasyPrint",
        "ratio",
        "build in parallel",
        "no-change rebuild",
        "one-change rebuild",
        "peak memory",
        "screen / print PDF",
        "internal link check (new process)",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in results["sizes"]:
        sizes = " / ".join(f"{v} KiB" for v in row["pdf_kib"].values())
        cells = [
            f"{row['scale']}× ",
            str(row["pages"]),
            f"{row['build_s']:.2f} s",
            f"{row['weasyprint_s']:.2f} s",
            f"{row['ratio']:.3f}",
            f"{row['parallel_build_s']:.2f} s",
            f"{row['no_change_s']:.2f} s",
            f"{row['one_change_s']:.2f} s",
            f"{row['peak_mb']:.0f} MB",
            sizes,
            f"{row['internal_links_s']:.2f} s",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| 500 external links, 100 ms each | wall time |")
    lines.append("| --- | --- |")
    for name, seconds in results["links"].items():
        lines.append(f"| {name} | {seconds:.2f} s |")
    return "\n".join(lines)


#: The last engine that subset fonts with fontTools (and cached the subsets).
BASELINE = "889634b"


def baseline_engine(ref: str, target: Path) -> Path:
    """The `src/` folder of commit `ref` of this repository, unpacked into `target` with
    that commit's `source/` and `styles/` beside it: an older engine builds the shipped
    report as it stood then (the same words; the look was not packaged yet)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "src", "source", "styles"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


#: Run in a fresh interpreter: import the engine (WeasyPrint included), then time one
#: build; prints the seconds after start-up and the whole process's time so far.
_TIMED_BUILD = """
import sys, time
import reportpipe.cli, reportpipe.editions, reportpipe.pdf
started = time.perf_counter()
code = reportpipe.cli.main(["build", "--project", *sys.argv[1:]])
print(time.perf_counter() - started, file=sys.stderr)
sys.exit(code)
"""


#: The previous engine's whole build: the screen and print editions (it had no other).
BOTH_EDITIONS = ("--edition", "screen", "--edition", "print")


def first_build(engine: Path, bytecode: Path, options: tuple[str, ...] = ()) -> tuple[float, float]:
    """Wall time of `reportpipe build` (with `options`; the editions in parallel as by
    default) of a fresh copy of the shipped report (as it stands beside `engine`'s src/)
    with the engine code in `engine`: the whole process (interpreter start and imports
    included), and the build after start-up. Compiled modules are kept under
    `bytecode`, as an installed engine has them (this workplace sets
    PYTHONDONTWRITEBYTECODE, which would compile every module of the engine again in
    every run)."""
    env = {**os.environ, "PYTHONPATH": str(engine), "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p", 1, origin=engine.parent)
        command = [sys.executable, "-P", "-c", _TIMED_BUILD, str(root), *options]
        started = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=tmp)
        whole = time.perf_counter() - started
    return whole, float(done.stderr.strip().splitlines()[-1])


def first_build_ratio(ref: str, runs: int) -> dict[str, Any]:
    """This engine's first build against the baseline's, measured alternately, after
    one untimed build with each (which compiles their modules): the same work (the
    screen and print editions), and this engine's default build, which adds the web
    edition the previous engine did not have."""
    with tempfile.TemporaryDirectory() as tmp:
        old_engine = baseline_engine(ref, Path(tmp))
        bytecode = Path(tmp) / "bytecode"
        for engine in (old_engine, REPO / "src"):
            first_build(engine, bytecode)
        new, old, default = [], [], []
        for _ in range(runs):
            old.append(first_build(old_engine, bytecode))
            new.append(first_build(REPO / "src", bytecode, BOTH_EDITIONS))
            default.append(first_build(REPO / "src", bytecode))
    result: dict[str, Any] = {"baseline": ref, "runs": runs}
    for i, part in enumerate(("process", "after_startup")):
        result[f"baseline_{part}_s"] = statistics.median(t[i] for t in old)
        result[f"this_engine_{part}_s"] = statistics.median(t[i] for t in new)
        result[f"with_web_{part}_s"] = statistics.median(t[i] for t in default)
        # the median of the runs' own ratios: each run's builds follow one another, so
        # a slow minute of a noisy machine weighs on both sides of its ratio
        result[f"{part}_ratio"] = statistics.median(
            n[i] / o[i] for n, o in zip(new, old, strict=True)
        )
        result[f"with_web_{part}_ratio"] = statistics.median(
            d[i] / o[i] for d, o in zip(default, old, strict=True)
        )
    pairs = sorted(n[1] / o[1] for n, o in zip(new, old, strict=True))
    result["after_startup_ratio_quartiles"] = statistics.quantiles(pairs, n=4)
    result["after_startup_pairs_at_most_half"] = sum(r <= 0.5 for r in pairs)
    return result


def subset_timing(runs: int) -> dict[str, dict[str, float]]:
    """Milliseconds to subset each vendored font to the characters of the shipped content:
    fontTools with WeasyPrint's options (the previous path) against HarfBuzz from the
    uharfbuzz wheel (reportpipe.weasy)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from reportpipe.weasy import harfbuzz_subset

    text = "".join(p.read_text("utf-8") for p in sorted((REPO / "source").glob("*.*")))

    class Font:  # what subsetting reads of weasyprint.pdf.fonts.Font
        def __init__(self, data: bytes) -> None:
            self.file_content, self.index, self.family = data, 0, ""
            self.missing: dict[int, int] = {}  # codepoint -> glyph id

    fonts = sorted((REPO / "src" / "reportpipe" / "themes" / "default" / "fonts").glob("*.otf"))
    if not fonts:
        raise SystemExit("bench: no vendored fonts found in the packaged theme")
    results = {}
    for path in fonts:
        data = path.read_bytes()
        cmap = TTFont(path).getBestCmap()
        gids = {TTFont(path).getGlyphID(cmap[ord(c)]): c for c in set(text) if ord(c) in cmap}
        fonttools, harfbuzz = [], []
        for _ in range(runs):
            started = time.perf_counter()
            options = subset.Options(
                retain_gids=True,
                passthrough_tables=True,
                ignore_missing_glyphs=True,
                hinting=False,
                desubroutinize=True,
                notdef_outline=False,
            )
            options.drop_tables += ["GSUB", "GPOS", "SVG"]
            subsetter = subset.Subsetter(options)
            subsetter.populate(gids=gids)
            font = TTFont(io.BytesIO(data))
            subsetter.subset(font)
            font.save(io.BytesIO())
            fonttools.append(time.perf_counter() - started)
            started = time.perf_counter()
            harfbuzz_subset(Font(data), gids, False)
            harfbuzz.append(time.perf_counter() - started)
        results[path.name] = {
            "glyphs": len(gids),
            "fonttools_ms": statistics.median(fonttools) * 1000,
            "harfbuzz_ms": statistics.median(harfbuzz) * 1000,
        }
    return results


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--scales", default="1,10,100", help="content sizes, comma-separated")
    parser.add_argument(
        "--baseline", default=BASELINE, help="the engine to compare the first build with"
    )
    parser.add_argument(
        "--first-build-only", action="store_true", help="measure only the first-build ratio"
    )
    args = parser.parse_args()
    print(f"measuring the first build against {args.baseline}…", file=sys.stderr, flush=True)
    first = first_build_ratio(args.baseline, max(args.runs, 3))
    low, mid, high = first["after_startup_ratio_quartiles"]
    summary = (
        f"first build of the shipped report (screen and print editions, no cache), medians "
        f"of {first['runs']} runs (times, and each run's ratio), this engine / previous "
        f"engine ({args.baseline}):\n"
        f"  whole process: {first['this_engine_process_s']:.2f} s / "
        f"{first['baseline_process_s']:.2f} s, ratio {first['process_ratio']:.2f}\n"
        f"  after start-up (imports done): {first['this_engine_after_startup_s']:.2f} s / "
        f"{first['baseline_after_startup_s']:.2f} s, ratio {first['after_startup_ratio']:.2f}"
        f" (target <= 0.5); quartiles of the runs' ratios {low:.2f} / {mid:.2f} / "
        f"{high:.2f}, {first['after_startup_pairs_at_most_half']} of {first['runs']} runs "
        "at most 0.5\n"
        f"  this engine's default build (adds the web edition): whole process "
        f"{first['with_web_process_s']:.2f} s, ratio {first['with_web_process_ratio']:.2f}; "
        f"after start-up {first['with_web_after_startup_s']:.2f} s, "
        f"ratio {first['with_web_after_startup_ratio']:.2f}"
    )
    subsets = subset_timing(max(args.runs, 3))
    summary += "\nsubsetting one font to the shipped content's characters, median:"
    for name, row in subsets.items():
        summary += (
            f"\n  {name} ({row['glyphs']} glyphs): fontTools {row['fonttools_ms']:.0f} ms, "
            f"HarfBuzz {row['harfbuzz_ms']:.1f} ms"
        )
    if args.first_build_only:
        print(summary)
        return
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        },
        "first_build": first,
        "subset_ms": subsets,
        "sizes": [],
        "links": {},
    }
    for scale in (int(s) for s in args.scales.split(",")):
        print(f"measuring {scale}× content…", file=sys.stderr, flush=True)
        results["sizes"].append(measure(scale, args.runs if scale < 100 else 1))
    print("measuring the link check…", file=sys.stderr, flush=True)
    results["links"] = {
        "50 hosts, default settings (2 per host, 32 at once)": link_check(
            50, 500, "  budget: 120\n"
        ),
        "1 host, default settings (2 per host)": link_check(1, 500, "  budget: 120\n"),
        "1 host, per_host: 32": link_check(1, 500, "  budget: 120\n  per_host: 32\n"),
        "one at a time (concurrency: 1), estimated": 500 * 0.1,
    }
    out = REPO / "build" / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), "utf-8")
    print(json.dumps(results["machine"]))
    print(table(results))
    print()
    print(summary)


if __name__ == "__main__":
    run()
