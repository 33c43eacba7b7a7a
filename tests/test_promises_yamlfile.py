"""The YAML reader: every node knows its line, every refusal names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportpipe.findings import InputError
from reportpipe.yamlfile import MAX_TEXT_BYTES, LocatedDict, LocatedList, line_of, load_mapping

TEXT = "title: x\nnested:\n  inner: 1\nitems:\n  - a\n  - {k: v}\n"


def _load(tmp_path: Path, text: str | bytes) -> LocatedDict:
    path = tmp_path / "f.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_mapping(path, "source/f.yaml", roots=[tmp_path])


def _refusal(tmp_path: Path, text: str | bytes) -> list[str]:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, text)
    return [str(f) for f in caught.value.findings]


def test_mappings_and_lists_know_their_lines(tmp_path: Path) -> None:
    data = _load(tmp_path, TEXT)
    assert data.line == 1
    assert isinstance(data["nested"], LocatedDict) and data["nested"].line == 3
    assert isinstance(data["items"], LocatedList) and data["items"].line == 5
    assert data["items"].item_lines == [5, 6]
    assert data["items"][1].line == 6
    assert line_of(data, ("nested", "inner")) == 3
    assert line_of(data, ("items", 1, "k")) == 6
    assert line_of(data, ("items", 7)) == 4  # past the end: the list's key
    assert line_of(data, ()) == 1


def test_a_control_character_is_named_at_its_line(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "a: 1\nb: 2\nc: x\x07y\n") == [
        "source/f.yaml:3: error: YAML syntax: the character U+0007 is not allowed in YAML text"
    ]


def test_a_long_bad_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    messages = _refusal(tmp_path, f"a: !!int {'9' * 60}x\n")
    assert len(messages) == 1 and f"'{'9' * 37}...'" in messages[0], messages
    short = _refusal(tmp_path, f"a: !!int {'9' * 39}x\n")
    assert f"'{'9' * 39}x'" in short[0], short


def test_a_file_over_the_limit_says_the_limit_in_megabytes(tmp_path: Path) -> None:
    assert MAX_TEXT_BYTES == 2 * 1024 * 1024
    messages = _refusal(tmp_path, b"a: " + b"x" * MAX_TEXT_BYTES + b"\n")
    assert len(messages) == 1 and messages[0].startswith("source/f.yaml: error: ")
    assert messages[0].endswith("; content files may be at most 2 MB: split it"), messages


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    text = b"a: " + b"x" * (MAX_TEXT_BYTES - 4) + b"\n"
    assert len(text) == MAX_TEXT_BYTES
    assert len(_load(tmp_path, text)["a"]) == MAX_TEXT_BYTES - 4
