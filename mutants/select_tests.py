"""The test command cosmic-ray runs for each mutant (written into its config by
`mutants/run.py`).

Arguments: the mutated module (relative to the work copy), its unmutated text, the
coverage map (line -> node ids of the tests that run it) and the module's test files.
The mutant is tried first against the tests that run the changed lines, stopping at the
first failure. Only when they all pass (or a changed line is run by no test in this
process, e.g. only in a CLI subprocess) does it meet every test of the module, so a
mutant counts as surviving only after the whole set missed it.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from pathlib import Path

PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
FAILED = 1  # pytest's exit status when a test failed; any other status proves nothing


def changed_lines(original: list[str], mutated: list[str]) -> set[int]:
    """The 1-based numbers of the original lines the mutation touched."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, original, mutated, autojunk=False)
    for tag, first, last, _, _ in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(first + 1, max(last, first + 1) + 1))
    return changed


def covering_tests(lines: set[int], coverage_map: dict[str, list[str]]) -> list[str] | None:
    """The tests that run every changed line, or None when a line is run by none."""
    chosen: set[str] = set()
    for line in lines:
        tests = coverage_map.get(str(line))
        if not tests:
            return None
        chosen.update(tests)
    return sorted(chosen) or None


def quickest_first(tests: list[str], durations: Path) -> list[str]:
    """The tests ordered by the seconds each took unmutated (from mutants/contexts.py)."""
    try:
        seconds = json.loads(durations.read_text("utf-8"))
    except (OSError, ValueError):
        return tests
    return sorted(tests, key=lambda test: (seconds.get(test, 0.0), test))


def main(argv: list[str]) -> int:
    module, original, coverage_json, *files = argv
    lines = changed_lines(
        Path(original).read_text("utf-8").splitlines(),
        Path(module).read_text("utf-8").splitlines(),
    )
    tests = covering_tests(lines, json.loads(Path(coverage_json).read_text("utf-8")))
    if tests is not None:
        durations = coverage_json.replace(".lines.json", ".coverage.durations.json")
        tests = quickest_first(tests, Path(durations))
        first = subprocess.run([*PYTEST, *tests], check=False).returncode
        if first == FAILED:
            return FAILED
    return subprocess.run([*PYTEST, *files], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
