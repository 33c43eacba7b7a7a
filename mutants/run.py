"""Mutation testing of the modules that carry the README's promises (`nox -s mutants`).

For each module named in mutants/config.toml (or only those given as arguments), a copy
of the project is made under build/mutants/work/NAME, cosmic-ray mutates the copy's
src/reportpipe/NAME.py one small change at a time and runs only the tests mapped to that
module against each mutant (PYTHONPATH points at the copy, so CLI subprocesses see the
mutant too). A mutant the tests do not notice survives; survivors listed as equivalent
in the config are left out of the score. The report goes to build/mutants/report.md
(and report.json, one session database per module); the score per module is printed.
Exit status 1 when a module scores below the target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "build" / "mutants"
SKIP = {".git", ".nox", "build", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@dataclass
class Score:
    module: str
    killed: int = 0
    equivalent: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    other: int = 0  # incompetent mutants (the mutated code does not even run)
    seconds: float = 0.0
    failed: str = ""  # why the module could not be measured

    @property
    def counted(self) -> int:
        return self.killed + len(self.survived)

    @property
    def ratio(self) -> float:
        if self.failed:
            return 0.0
        return self.killed / self.counted if self.counted else 1.0


def _copy_project(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        REPO,
        target,
        ignore=lambda folder, names: [
            n for n in names if n in SKIP or n == "__pycache__" or n.endswith(".egg-info")
        ],
    )
    # a repository of its own: the archive's tests clone the project and ask git whether
    # the committed editions are unchanged
    git = ["git", "-c", "user.name=mutants", "-c", "user.email=mutants@localhost"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "mutants: work copy"]):
        subprocess.run([*git, *step], cwd=target, check=True, capture_output=True)


def _cosmic(*args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cosmic_ray.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"cosmic-ray {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _coverage_map(name: str, spec: dict[str, Any], work: Path, env: dict[str, str]) -> float:
    """Run the module's tests once under coverage, each test in its own context, and
    write which tests run each line of the module (build/mutants/NAME.lines.json).
    Returns the seconds the run took (the mutants' timeout is a multiple of it)."""
    data = OUT / f"{name}.coverage"
    data.unlink(missing_ok=True)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable, "-m", "coverage", "run", f"--data-file={data}",
            f"--source={work / 'src' / 'reportpipe'}", "-m", "pytest", "-q",
            "-p", "no:cacheprovider", "-p", "contexts", *spec["tests"],
        ],
        cwd=work,
        env={**env, "PYTHONPATH": f"{work / 'src'}{os.pathsep}{REPO / 'mutants'}"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"mutants: {name}: the tests fail unmutated:\n{done.stdout[-3000:]}")
    import coverage  # the mutants extra

    measured = coverage.CoverageData(basename=str(data))
    measured.read()
    tests = json.loads(Path(f"{data}.tests.json").read_text("utf-8"))
    module = str(work / "src" / "reportpipe" / f"{name}.py")
    (OUT / f"{name}.lines.json").write_text(
        json.dumps(_selection(measured, module, tests)), "utf-8"
    )
    return seconds


def _selection(measured: Any, module: str, tests: dict[str, Any]) -> dict[str, Any]:
    """Which tests can notice a mutant on each line of `module` (mutants/select_tests.py
    reads this): the tests that ran the line, and every test using a wide fixture that
    one of them set up (the fixture's lines ran only once, for the first of them); lines
    run only outside any test (at import) are marked so; tests that start subprocesses
    meet every mutant."""
    users: dict[str, set[str]] = {}
    for test, uses in tests["uses"].items():
        for fixture in uses:
            users.setdefault(fixture, set()).add(test)
    lines: dict[str, list[str]] = {}
    at_import: list[int] = []
    for number, contexts in measured.contexts_by_lineno(module).items():
        ran = {c for c in contexts if c}
        if not ran:
            at_import.append(number)
            continue
        for test in list(ran):
            for fixture in tests["set_up"].get(test, ()):
                ran |= users.get(fixture, set())
        lines[str(number)] = sorted(ran)
    seconds = tests["seconds"]
    return {
        "lines": lines,
        "at_import": sorted(at_import),
        "spawning": tests["spawning"],
        "all": sorted(seconds, key=lambda t: (seconds[t], t)),
        "seconds": seconds,
    }


def _survivors_again(session: Path, original: Path, module: Path) -> bool:
    """With --again: forget the survivors' results of the last run so that only they run
    again (against today's tests). Only while the module's text is what was mutated then:
    otherwise every mutant runs."""
    if not (session.is_file() and original.is_file()):
        return False
    if original.read_bytes() != module.read_bytes():
        print(f"mutants: {module.name} changed since the last run: every mutant runs", flush=True)
        return False
    try:
        with sqlite3.connect(session) as db:
            db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
    except sqlite3.Error:  # a session cut short before cosmic-ray made it
        return False
    return True


def _run_module(
    name: str, spec: dict[str, Any], config: dict[str, Any], *, again: bool = False
) -> Score:
    work = OUT / "work" / name
    _copy_project(work)
    module = f"src/reportpipe/{name}.py"
    original = OUT / f"{name}.original.py"
    session = OUT / f"{name}.sqlite"
    again = again and _survivors_again(session, original, work / module)
    shutil.copyfile(work / module, original)
    env = {**os.environ, "PYTHONPATH": str(work / "src"), "PYTHONWARNINGS": "ignore"}
    # compiled once, so a mutant's test run compiles only the mutated module
    subprocess.run([sys.executable, "-m", "compileall", "-q", "src"], cwd=work, check=True)
    print(f"mutants: {name}: which of {spec['tests']} run each line…", flush=True)
    baseline = _coverage_map(name, spec, work, env)
    command = " ".join(
        [
            sys.executable, str(REPO / "mutants" / "select_tests.py"), module, str(original),
            str(OUT / f"{name}.lines.json"),
        ]
    )  # fmt: skip
    exclude = json.dumps(config.get("exclude-operators", []))
    cfg = OUT / f"{name}.toml"
    cfg.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {float(spec.get('timeout', max(60.0, 4 * baseline)))}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = {exclude}\n",
        encoding="utf-8",
    )
    if not again:
        session.unlink(missing_ok=True)
        _cosmic("init", str(cfg), str(session), cwd=work, env=env)
    # the operators left out by the config, also in a session made before it said so
    subprocess.run(
        [sys.executable, "-m", "cosmic_ray.tools.filters.operators_filter", str(session), str(cfg)],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    print(f"mutants: {name}: each mutant against the tests that run its line", flush=True)
    _cosmic("exec", str(cfg), str(session), cwd=work, env=env)
    return _score(name, _cosmic("dump", str(session), cwd=work, env=env), work, config)


def _score(name: str, dump: str, work: Path, config: dict[str, Any]) -> Score:
    source = (work / "src" / "reportpipe" / f"{name}.py").read_text("utf-8")
    lines = source.splitlines()
    equivalent = {
        (e["operator"], e["line"].strip(), e.get("column")): e["reason"]
        for e in config.get("equivalent", [])
        if e["module"] in (name, "*")
    }
    score = Score(name)
    excluded = re.compile("|".join(f"(?:{e})" for e in config.get("exclude-operators", [])))
    for row in dump.splitlines():
        item, result = json.loads(row)
        mutation = item["mutations"][0]
        if excluded.pattern and excluded.match(mutation["operator_name"]):
            continue  # left out by the config (a session made before it said so)
        if result is None:
            score.other += 1
            continue
        line_no = mutation["start_pos"][0]
        text = lines[line_no - 1].strip()
        label = (
            f"{name}.py:{line_no}: {mutation['operator_name']} #{mutation['occurrence']}: {text}"
        )
        outcome = result.get("test_outcome")
        if result.get("worker_outcome") != "normal":
            if result.get("worker_outcome") == "skipped":
                continue
            score.other += 1
        elif outcome == "killed":
            score.killed += 1
        elif outcome == "survived":
            key = (mutation["operator_name"], text)
            reason = equivalent.get((*key, mutation["start_pos"][1])) or equivalent.get(
                (*key, None)
            )
            if reason is None:
                score.survived.append(label)
            else:
                score.equivalent.append(f"{label}  (equivalent: {reason})")
        else:
            score.other += 1
    return score


def _report(scores: list[Score], target: float) -> str:
    out = ["# Mutation scores", ""]
    out += [
        "| module | killed | survived | equivalent | incompetent | score | minutes |",
        "|---" * 7 + "|",
    ]
    for s in scores:
        if s.failed:
            out.append(f"| {s.module} | not measured: see the log | | | | | |")
            continue
        out.append(
            f"| {s.module} | {s.killed} | {len(s.survived)} | {len(s.equivalent)} "
            f"| {s.other} | {s.ratio:.0%} | {s.seconds / 60:.1f} |"
        )
    out += ["", f"Target: {target:.0%} of the non-equivalent mutants killed in each module.", ""]
    for s in scores:
        for title, rows in (("Survivors", s.survived), ("Equivalent", s.equivalent)):
            if rows:
                out += [f"## {title}: {s.module}", "", *(f"- `{r}`" for r in rows), ""]
    return "\n".join(out)


def _scored_only(name: str, config: dict[str, Any]) -> Score:
    """The score of the module's last run, from its session, with today's config."""
    work, session = OUT / "work" / name, OUT / f"{name}.sqlite"
    if not session.is_file():
        sys.exit(f"mutants: {name}: no earlier run to score")
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    return _score(name, _cosmic("dump", str(session), cwd=work, env=env), work, config)


def _timed(
    name: str, spec: dict[str, Any], config: dict[str, Any], again: bool, report_only: bool
) -> Score:
    started = time.monotonic()
    try:
        if report_only:
            score = _scored_only(name, config)
        else:
            score = _run_module(name, spec, config, again=again)
    except SystemExit as exc:  # said at once: the other modules go on
        print(f"mutants: {name}: not measured: {exc}", flush=True)
        score = Score(name, failed=str(exc))
    score.seconds = time.monotonic() - started
    print(
        f"mutants: {name}: {score.ratio:.0%} killed ({score.killed} of {score.counted}; "
        f"{len(score.equivalent)} equivalent, {score.other} incompetent; "
        f"{score.seconds / 60:.1f} min)",
        flush=True,
    )
    return score


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mutants/run.py", description=__doc__)
    parser.add_argument("modules", nargs="*", help="module names (default: all in the config)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="modules tested at once"
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="run only the last run's survivors again (after new tests); the other results "
        "are kept while the module is unchanged",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: score the last runs again (after the config named equivalents)",
    )
    args = parser.parse_args(argv)
    config = tomllib.loads((REPO / "mutants" / "config.toml").read_text("utf-8"))
    modules: dict[str, Any] = config["modules"]
    names = args.modules or list(modules)
    unknown = [n for n in names if n not in modules]
    if unknown:
        print(f"mutants: unknown module(s) {', '.join(unknown)}; known: {', '.join(modules)}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    target = float(config.get("target", 0.9))
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        scores = list(
            pool.map(lambda n: _timed(n, modules[n], config, args.again, args.report_only), names)
        )
    report = _report(scores, target)
    previous = OUT / "report.json"
    kept = {}
    if previous.is_file() and args.modules:  # a partial run keeps the other modules' rows
        kept = {row["module"]: row for row in json.loads(previous.read_text("utf-8"))}
    rows = kept | {s.module: s.__dict__ | {"score": s.ratio} for s in scores}
    (OUT / "report.md").write_text(report, encoding="utf-8")
    previous.write_text(json.dumps(list(rows.values()), indent=1), "utf-8")
    print(report)
    return 0 if all(s.ratio >= target for s in scores) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
