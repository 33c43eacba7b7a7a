"""The test command cosmic-ray runs for each mutant (written into its config by
`mutants/run.py`).

Arguments: the mutated module (relative to the work copy), its unmutated text and the
selection made from coverage (build/mutants/NAME.lines.json, see run._selection).

A mutant meets only the tests that can notice it: those that run its changed lines in
the test process, with the tests sharing a wide fixture that one of them set up. A line
run only at import concerns the tests that run the body of the function or class it
belongs to (a default, a decorator, a class attribute), or every test (a constant at
module level, or a definition no test runs); a line no
test runs in-process may still run in a subprocess a test starts (coverage does not see
inside those), so it meets the tests that start subprocesses. The tests run quickest
first and stop at the first failure. A mutant they all miss meets the tests that start
subprocesses before it counts as a survivor; a mutant on lines no test runs at all, in
a module no test reaches through a subprocess, survives without a run.
"""

from __future__ import annotations

import ast
import difflib
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
SURVIVED = 0


def changed_lines(original: list[str], mutated: list[str]) -> set[int]:
    """The 1-based numbers of the original lines the mutation touched."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, original, mutated, autojunk=False)
    for tag, first, last, _, _ in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(first + 1, max(last, first + 1) + 1))
    return changed


def statement_starts(source: str) -> dict[int, list[int]]:
    """For each line, where the statements around it begin, innermost first (with the
    first decorator of a decorated definition): coverage measures a statement at its
    first line, so a mutant inside a long call or a signature is found there."""
    spans: list[tuple[int, int, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            decorators = [d.lineno for d in getattr(node, "decorator_list", [])]
            spans.append(
                (node.lineno, node.end_lineno or node.lineno, min([node.lineno, *decorators]))
            )
    starts: dict[int, list[int]] = {}
    for first, last, decorated in sorted(spans, reverse=True):  # innermost (latest) first
        for line in range(decorated, last + 1):
            starts.setdefault(line, []).extend([first, decorated])
    return starts


def definitions(source: str) -> dict[int, list[tuple[int, int]]]:
    """For each line inside functions or classes, their lines, innermost first."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            decorators = [d.lineno for d in node.decorator_list]
            spans.append((min([node.lineno, *decorators]), node.end_lineno or node.lineno))
    inside: dict[int, list[tuple[int, int]]] = {}
    for first, last in sorted(spans, key=lambda span: span[1] - span[0]):  # innermost first
        for line in range(first, last + 1):
            inside.setdefault(line, []).append((first, last))
    return inside


def users_of(
    line: int, selection: dict[str, Any], inside: dict[int, list[tuple[int, int]]]
) -> set[str]:
    """The tests that run the body of the innermost function or class around `line` that
    any test runs: for a line run at import (a default, a decorator, a class attribute),
    or one run where coverage does not look (a forked worker), the tests that can feel it.
    Empty at module level, or when no test runs any definition around it."""
    for first, last in inside.get(line, []):
        found: set[str] = set()
        for number in range(first, last + 1):
            found.update(selection["lines"].get(str(number), ()))
        if found:
            return found
    return set()


def measured_line(line: int, selection: dict[str, Any], starts: dict[int, list[int]]) -> int | None:
    """The line coverage measured for a change on `line`: itself, or the first line of
    the statement it is part of (coverage measures a long statement at its start)."""
    known = set(map(int, selection["lines"])) | set(selection["at_import"])
    for candidate in [line, *starts.get(line, [])[:2]]:
        if candidate in known:
            return candidate
    return None


def chosen_tests(
    lines: set[int],
    selection: dict[str, Any],
    starts: dict[int, list[int]] | None = None,
    inside: dict[int, list[tuple[int, int]]] | None = None,
) -> list[str]:
    """The tests that can notice a change on `lines`, quickest first: those that ran
    them in the test process; for a line run only at import, those that run its
    function or class (else every test); for a line no test ran in-process, those that
    run the function around it (it may run in a forked worker, which coverage does not
    see)."""
    chosen: set[str] = set()
    at_import = set(selection["at_import"])
    for changed in lines:
        line = measured_line(changed, selection, starts or {})
        if line is None:  # (the subprocess tests come after them, see main)
            chosen.update(users_of(changed, selection, inside or {}))
        elif line in at_import:
            chosen.update(users_of(line, selection, inside or {}) or selection["all"])
        else:
            chosen.update(selection["lines"].get(str(line), ()))
    return quickest(chosen, selection)


def quickest(tests: Iterable[str], selection: dict[str, Any]) -> list[str]:
    seconds = selection["seconds"]
    return sorted(tests, key=lambda test: (seconds.get(test, 0.0), test))


def main(argv: list[str]) -> int:
    module, original, selection_json = argv[:3]
    source = Path(original).read_text("utf-8")
    lines = changed_lines(source.splitlines(), Path(module).read_text("utf-8").splitlines())
    selection = json.loads(Path(selection_json).read_text("utf-8"))
    tests = chosen_tests(lines, selection, statement_starts(source), definitions(source))
    if tests:
        code = subprocess.run([*PYTEST, *tests], check=False).returncode
        if code != SURVIVED:
            return code
    # before it counts as a survivor: the tests that run our code in subprocesses, which
    # coverage could not credit with any line
    others = [t for t in quickest(selection["spawning"], selection) if t not in tests]
    if not others:
        print("no test runs the mutated lines" if not tests else "")
        return SURVIVED
    return subprocess.run([*PYTEST, *others], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
