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
    assert line_of(data, ("items", 2)) == 4  # just past the end too
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
    assert messages == [
        "source/f.yaml: error: the file is 2.0 MB; content files may be at most 2 MB: split it"
    ]


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    text = b"a: " + b"x" * (MAX_TEXT_BYTES - 4) + b"\n"
    assert len(text) == MAX_TEXT_BYTES
    assert len(_load(tmp_path, text)["a"]) == MAX_TEXT_BYTES - 4


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        ("12345678901234567890", "'2026-13-45T10:00:00.12345678901234567890'"),  # 40: whole
        ("123456789012345678901", "'2026-13-45T10:00:00.12345678901234567...'"),  # 41: 37 + ...
    ],
)
def test_a_bad_value_is_shown_whole_up_to_40_characters(
    tmp_path: Path, fraction: str, shown: str
) -> None:
    assert _refusal(tmp_path, f"a: 2026-13-45T10:00:00.{fraction}\n") == [
        f"source/f.yaml:1: error: YAML value: {shown}: not a valid value (month must be in 1..12)"
    ]


def test_a_key_that_is_a_set_is_not_plain_text(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "? !!set {a: null}\n: v\n") == [
        "source/f.yaml:1: error: YAML syntax: a key must be plain text"
    ]


def test_a_key_written_twice_after_a_merge_is_still_a_duplicate(tmp_path: Path) -> None:
    text = "base: &b {x: 1}\nm:\n  <<: *b\n  y: 1\n  y: 2\n"
    assert _refusal(tmp_path, text) == [
        "source/f.yaml:5: error: YAML syntax: duplicate key 'y' (first given on line 4)"
    ]
    merged = _load(tmp_path, "base: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n")  # overriding is fine
    assert merged["m"] == {"x": 2}


def test_a_nul_on_a_later_line_is_named_at_that_line(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "a: 1\nb: 2\nc: x\x00y\n") == [
        "source/f.yaml:3: error: YAML syntax: the character U+0000 is not allowed in YAML text"
    ]


def test_yaml_nested_too_deeply_is_one_error_at_the_file(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n") == [
        "source/f.yaml: error: YAML nested too deeply to be content; flatten the structure"
    ]


def test_a_location_stops_at_the_first_step_the_data_does_not_have(tmp_path: Path) -> None:
    data = _load(tmp_path, "title: x\nnested:\n  inner: 1\n")
    assert line_of(data, ("nope", "title")) == 1  # not title's line: the path ends at "nope"
    assert line_of(data, ("nested", "nope", "inner")) == 2


def test_a_folder_in_place_of_a_content_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").mkdir()
    with pytest.raises(InputError) as caught:
        load_mapping(tmp_path / "f.yaml", "source/f.yaml", roots=[tmp_path])
    assert [str(f) for f in caught.value.findings] == [
        "source/f.yaml: error: is a folder, not a file"
    ]


def test_a_control_character_after_a_leading_empty_line_counts_that_line(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "\na: 1\nc: x\x00y\n") == [
        "source/f.yaml:3: error: YAML syntax: the character U+0000 is not allowed in YAML text"
    ]
