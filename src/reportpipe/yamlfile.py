"""YAML reading that remembers where every key and item stood.

Content errors must name a line, so mappings and sequences come back as subclasses of
dict and list that carry the line of each key and item. Duplicate keys, which plain
PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml

from reportpipe import gate
from reportpipe.findings import Finding, InputError, error


class LocatedDict(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    line: int
    item_lines: list[int]


class _Constructing:
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A scalar Python cannot hold (a 5 000-digit integer, the date 2026-13-45)
        becomes a YAML error at its line instead of a Python traceback."""
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, OverflowError, TypeError) as exc:
            raise _ValueProblem(
                None, None, f"{_scalar(node)}: {_why(exc)}", node.start_mark
            ) from None


class _ValueProblem(yaml.constructor.ConstructorError):
    """A well-formed YAML value that Python cannot hold."""


def _scalar(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _code(character: object) -> int:
    return (
        ord(character)
        if isinstance(character, str) and len(character) == 1
        else int(str(character))
    )


def _why(exc: Exception) -> str:
    if "digits" in str(exc):
        return "a number with too many digits"
    return f"not a valid value ({exc})"


def _key(loader: yaml.SafeLoader, key_node: yaml.Node) -> str:
    key = loader.construct_object(key_node, deep=True)
    if not isinstance(key, Hashable) or isinstance(key, list | dict):
        raise yaml.constructor.ConstructorError(
            None, None, "a key must be plain text", key_node.start_mark
        )
    return str(key)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LocatedDict:
    # Keys written twice in this mapping are errors; keys that a merge (`<<: *base`)
    # brings in may be overridden, as YAML intends.
    own: dict[str, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key, line = _key(loader, key_node), key_node.start_mark.line + 1
        if key in own:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first given on line {own[key]})",
                key_node.start_mark,
            )
        own[key] = line
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = _key(loader, key_node)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


class _Loader(_Constructing, yaml.SafeLoader):
    """PyYAML's own parser: its messages are the ones a user reads."""


#: libyaml's parser (in PyYAML's wheels), about fifteen times faster. A file it loads
#: gives the same values and lines; a file it refuses is read again with _Loader, so
#: every message and line stays PyYAML's.
_FastLoader: Any = None
if hasattr(yaml, "CSafeLoader"):

    class _CLoader(_Constructing, yaml.CSafeLoader):
        pass

    _FastLoader = _CLoader

for _kind in (_Loader, _FastLoader):
    if _kind is not None:
        _kind.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        _kind.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


#: The largest content file (YAML, Markdown, template, stylesheet) a build reads.
MAX_TEXT_BYTES = 2 * 1024 * 1024


def read_text(
    path: Path,
    shown: str,
    *,
    roots: Sequence[Path],
    referrer: str | None = None,
    line: int | None = None,
) -> str:
    """Read a UTF-8 text file through the gate (a BOM is tolerated), or explain why it
    cannot be read; a refusal names `referrer` and `line` when given."""
    try:
        data = gate.read(path, roots, limit=MAX_TEXT_BYTES)
    except gate.Refusal as exc:
        reason = str(exc)
        if "the limit is" in reason and "grew" not in reason:
            reason = (
                f"{reason.split(';')[0]}; content files may be at most "
                f"{MAX_TEXT_BYTES // 2**20} MB: split it"
            )
        if referrer is not None:
            raise InputError([error(referrer, line, f"{shown}: {reason}")]) from None
        raise InputError([error(shown, None, reason)]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[: exc.start].count(b"\n") + 1
        raise InputError(
            [error(shown, at, "not valid UTF-8 text; save the file as UTF-8")]
        ) from None
    return text.replace("\r\n", "\n")


def load_mapping(path: Path, shown: str, *, roots: Sequence[Path]) -> LocatedDict:
    """Load a YAML file whose top level must be a mapping."""
    text = read_text(path, shown, roots=roots)
    if _FastLoader is not None:
        try:
            data = yaml.load(text, Loader=_FastLoader)
        except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
            pass  # the same file again below, for PyYAML's message
        else:
            if isinstance(data, LocatedDict):
                return data
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if "'\\t'" in problem:  # PyYAML: found character '\t' that cannot start any token
            problem = "a tab where YAML expects spaces: indent with spaces, not tabs"
        kind = "YAML value" if isinstance(exc, _ValueProblem) else "YAML syntax"
        raise InputError([error(shown, line, f"{kind}: {problem}")]) from None
    except yaml.reader.ReaderError as exc:
        # a NUL byte or another control character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(
            [
                error(
                    shown,
                    line,
                    f"YAML syntax: the character U+{_code(exc.character):04X} is not allowed "
                    "in YAML text",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([error(shown, None, f"YAML syntax: {exc}")]) from None
    except RecursionError:
        raise InputError(
            [error(shown, None, "YAML nested too deeply to be content; flatten the structure")]
        ) from None
    if not isinstance(data, LocatedDict):
        raise InputError(
            [error(shown, 1, "expected a mapping of keys to values at the top of the file")]
        )
    return data


def line_of(data: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest node along `loc` (a pydantic error location)."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LocatedDict) and isinstance(part, str) and part in node:
            line = node.key_lines[part]
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


__all__ = ["Finding", "LocatedDict", "LocatedList", "line_of", "load_mapping", "read_text"]
