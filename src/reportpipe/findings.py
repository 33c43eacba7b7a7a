"""Findings: what a stage has to say about the user's files.

Logging policy (after WeasyPrint's logger.py): an *error* is something that makes the
output wrong or unsafe (bad content, a resource that cannot be read, a PDF that would
not meet its profile); a *warning* is something an editor should decide on but that
still gives a correct document; progress is not a finding and goes to the CLI's output.
`--strict` turns warnings into failures at the end of a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int | None
    level: Level
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.level}: {self.message}"


def error(path: str, line: int | None, message: str) -> Finding:
    return Finding(path, line, Level.ERROR, message)


def warning(path: str, line: int | None, message: str) -> Finding:
    return Finding(path, line, Level.WARNING, message)


class InputError(Exception):
    """The user's files cannot be turned into a report; exit code 2."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(str(f) for f in findings))
        self.findings = findings
