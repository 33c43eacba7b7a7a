"""The delivery ledger: once an address has a `sent` line, no later line (a failure, a
`sending` left by a crash, an `uncertain`, a torn line) makes it unsent, so a rerun
never mails a municipality twice; what --status shows follows the deciding line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportpipe.distribution import (
    DistributionFile,
    Ledger,
    delivery_status,
    read_ledger,
)
from reportpipe.findings import InputError


def _write(path: Path, *entries: dict[str, str] | str) -> Path:
    lines = [e if isinstance(e, str) else json.dumps(e) for e in entries]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _line(email: str, result: str, **more: str) -> dict[str, str]:
    return {"email": email, "result": result, "time": "2026-11-29T10:00:00Z", **more}


@pytest.mark.parametrize("later", ["failed", "sending", "uncertain", "bounced"])
def test_a_later_line_never_overrides_sent(tmp_path: Path, later: str) -> None:
    ledger = _write(
        tmp_path / "deliveries.jsonl",
        _line("a@kommun.se", "sending"),
        _line("a@kommun.se", "sent"),
        _line("A@Kommun.se", later, detail="later"),
    )
    state = read_ledger(ledger)
    assert state.served == frozenset({"a@kommun.se"})
    assert state.uncertain == frozenset()
    assert state.last["a@kommun.se"]["result"] == "sent"


def test_the_last_line_decides_until_one_says_sent(tmp_path: Path) -> None:
    ledger = _write(
        tmp_path / "deliveries.jsonl",
        _line("a@kommun.se", "sending"),
        _line("a@kommun.se", "failed", detail="550 no such user"),
        _line("b@kommun.se", "sending"),  # killed before the result was written
        _line("c@kommun.se", "sending"),
        _line("c@kommun.se", "uncertain", detail="no answer after DATA"),
        _line("d@kommun.se", "sending"),
        _line("d@kommun.se", "uncertain"),
        _line("d@kommun.se", "failed", detail="refused"),
    )
    state = read_ledger(ledger)
    assert state.served == frozenset()
    assert state.uncertain == frozenset({"b@kommun.se", "c@kommun.se"})
    assert {a: e["result"] for a, e in state.last.items()} == {
        "a@kommun.se": "failed",
        "b@kommun.se": "sending",
        "c@kommun.se": "uncertain",
        "d@kommun.se": "failed",
    }


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    ledger = _write(
        tmp_path / "deliveries.jsonl",
        _line("a@kommun.se", "sent"),
        '{"email": "b@kommun.se", "res',
        '["b@kommun.se", "sent"]',
        json.dumps({"email": 7, "result": "sent"}),
        json.dumps({"result": "sent"}),
        "",
        _line("c@kommun.se", "sent"),
    )
    state = read_ledger(ledger)
    assert state.served == frozenset({"a@kommun.se", "c@kommun.se"})
    assert set(state.last) == {"a@kommun.se", "c@kommun.se"}


def test_no_ledger_is_nobody_served(tmp_path: Path) -> None:
    state = read_ledger(tmp_path / "deliveries.jsonl")
    assert (state.served, state.uncertain, state.last) == (frozenset(), frozenset(), {})


def test_status_follows_the_deciding_line_and_lists_addresses_gone_from_the_list(
    tmp_path: Path,
) -> None:
    ledger = _write(
        tmp_path / "deliveries.jsonl",
        _line("a@kommun.se", "sent"),
        _line("a@kommun.se", "failed", detail="later failure"),
        _line("b@kommun.se", "sending"),
        _line("c@kommun.se", "failed", detail="550 no such user"),
        _line("old@kommun.se", "sent"),
    )
    recipients = [
        {"municipality": m, "organisation": "Kommunen", "email": f"{m.lower()}@kommun.se"}
        for m in ("A", "B", "C", "D")
    ]
    distribution = DistributionFile.model_validate(
        {"sender": {"name": "Reglab", "email": "info@reglab.se"}, "recipients": recipients}
    )
    when = "2026-11-29T10:00:00Z"
    assert delivery_status(distribution, read_ledger(ledger)) == [
        ("a@kommun.se", "sent", when),
        (
            "b@kommun.se",
            "uncertain",
            f"{when} the run stopped before the result was recorded; check with the "
            "recipient, then --resend",
        ),
        ("c@kommun.se", "failed", f"{when} 550 no such user"),
        ("d@kommun.se", "not sent", ""),
        ("old@kommun.se", "sent", f"{when} (no longer in the list)"),
    ]


def test_the_ledger_ends_a_torn_line_and_refuses_a_second_writer(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.jsonl"
    path.write_text(json.dumps(_line("a@kommun.se", "sent")) + '\n{"email": "b@k', "utf-8")
    ledger = Ledger(path)
    try:
        with pytest.raises(InputError) as caught:
            Ledger(path)
        assert [str(f) for f in caught.value.findings] == [
            f"{path}: error: another distribution of this edition is running"
        ]
        ledger.append(_line("c@kommun.se", "sent"))
        # flushed at once: readable before the ledger is closed
        assert read_ledger(path).served == frozenset({"a@kommun.se", "c@kommun.se"})
    finally:
        ledger.close()
    lines = path.read_text("utf-8").splitlines()
    assert lines[1] == '{"email": "b@k' and json.loads(lines[2])["email"] == "c@kommun.se"
    Ledger(path).close()  # the lock went with the first writer


def test_a_line_torn_inside_a_character_is_ended_and_read_around(tmp_path: Path) -> None:
    """A crash while writing "Umeå" can cut the line between the two bytes of å."""
    path = tmp_path / "ledger.jsonl"
    sent = json.dumps({"email": "a@umea.se", "municipality": "Umeå", "result": "sent"})
    path.write_bytes(sent.encode() + b'\n{"email": "b@umea.se", "municipality": "Ume\xc3')
    ledger = Ledger(path)
    ledger.append({"email": "c@umea.se", "result": "sent"})
    ledger.close()
    assert path.read_bytes().endswith(b'"Ume\xc3\n{"email": "c@umea.se", "result": "sent"}\n')
    assert read_ledger(path).served == frozenset({"a@umea.se", "c@umea.se"})
