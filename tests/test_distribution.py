"""Distribution against a real SMTP server on 127.0.0.1 (aiosmtpd) that the tests start:
every recipient gets exactly one message whose attachment is byte-identical to the
archived PDF; refusals and dropped connections are recorded and retried next run."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from conftest import SLUG, VERSION, copy_project, free_port, run_cli
from smtp import RECIPIENTS, Inbox, distribute, inbox_at, ledger_entries, point_at


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with inbox_at(monkeypatch, timeout=None) as inbox:
        yield inbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with the committed 1.0.0 archive and the sample recipients."""
    return copy_project(tmp_path / "p", archive=True)


def _attachment(message: Message) -> tuple[str, bytes]:
    for part in message.walk():
        if part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return str(part.get_filename()), payload
    raise AssertionError("no attachment")


def test_dry_run_writes_one_reviewable_message_per_recipient(project: Path) -> None:
    result = distribute(project)
    assert result.code == 0, result.err
    outbox = sorted((project / "build" / "outbox" / VERSION).glob("*.eml"))
    assert [p.name.split("-", 1)[1].removesuffix(".eml") for p in outbox] == RECIPIENTS
    archived = (project / "archive" / VERSION / "data" / f"{SLUG}-{VERSION}.pdf").read_bytes()
    message = email.message_from_bytes(outbox[0].read_bytes(), policy=email.policy.default)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "Jobbregionen – Dokumentation från workshop Umeå 12 nov 2015 (utgåva 1.0.0)"
    assert message["Message-ID"] and message["Date"]
    assert "Umeå kommun" in str(email.header.make_header(email.header.decode_header(message["To"])))
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Nytt i den här utgåvan: Första utgåvan." in text
    import hashlib

    assert hashlib.sha256(archived).hexdigest() in text
    assert _attachment(message) == (f"{SLUG}-{VERSION}.pdf", archived)
    assert not (project / "archive" / VERSION / "deliveries.jsonl").exists()


def test_send_reaches_everyone_once_and_a_second_run_sends_none(
    project: Path, inbox: Inbox
) -> None:
    result = distribute(project, "--send")
    assert result.code == 0, result.out + result.err
    received = inbox.received()
    assert sorted(received) == sorted(RECIPIENTS)
    archived = (project / "archive" / VERSION / "data" / f"{SLUG}-{VERSION}.pdf").read_bytes()
    for message in received.values():
        assert _attachment(message)[1] == archived
    assert [e["result"] for e in ledger_entries(project)] == ["sending", "sent"] * len(RECIPIENTS)
    assert run_cli("verify", VERSION, "--project", str(project)).code == 0  # ledger is beside

    again = distribute(project, "--send")
    assert again.code == 0
    assert "nobody left to send edition 1.0.0 to" in again.out
    assert len(inbox.messages) == len(RECIPIENTS)


@pytest.mark.parametrize(
    ("refused", "dropped"),
    [
        pytest.param(RECIPIENTS[0], RECIPIENTS[2], id="first-refused-third-dropped"),
        pytest.param(RECIPIENTS[1], RECIPIENTS[3], id="second-refused-fourth-dropped"),
    ],
)
def test_refused_and_dropped_recipients_are_counted_as_failures_and_retried_next_run(
    project: Path, inbox: Inbox, refused: str, dropped: str
) -> None:
    inbox.refuse.add(refused)
    inbox.hang_up_at_rcpt.add(dropped)
    first = distribute(project, "--send")
    assert first.code == 1
    assert f"refused: {refused}: 550 5.1.1 mailbox unavailable" in first.out
    assert f"failed: {dropped}: Connection unexpectedly closed" in first.out
    assert f"{len(RECIPIENTS) - 2} sent, 2 failed, 0 uncertain" in first.out
    assert sorted(inbox.received()) == sorted(set(RECIPIENTS) - {refused, dropped})
    failed = {e["email"] for e in ledger_entries(project) if e["result"] == "failed"}
    assert failed == {refused, dropped}
    # the ledger is UTF-8 text with the names as written (read with grep as well as jq)
    ledger = (project / "archive" / VERSION / "deliveries.jsonl").read_text("utf-8")
    assert '"municipality": "Umeå"' in ledger and '"municipality": "Skellefteå"' in ledger

    inbox.refuse.clear()
    inbox.hang_up_at_rcpt.clear()
    second = distribute(project, "--send")
    assert second.code == 0, second.out + second.err
    assert "sending edition 1.0.0 to 2 of 7 recipients" in second.out
    assert sorted(inbox.received()) == sorted(RECIPIENTS)


def test_resend_is_explicit(project: Path, inbox: Inbox) -> None:
    assert distribute(project, "--send").code == 0
    result = distribute(project, "--send", "--resend", RECIPIENTS[0])
    assert result.code == 0
    assert len(inbox.messages) == len(RECIPIENTS) + 1
    unknown = distribute(project, "--send", "--resend", "nobody@x.example")
    assert unknown.code == 2 and "not a recipient" in unknown.err


def test_a_changed_edition_is_not_sent(project: Path, inbox: Inbox) -> None:
    pdf = project / "archive" / VERSION / "data" / f"{SLUG}-{VERSION}.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%")
    result = distribute(project, "--send")
    assert result.code == 1
    assert "no longer matches its checksums: nothing sent" in result.out
    assert inbox.messages == []


def test_sample_list_is_never_sent_to_a_real_server(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTPIPE_SMTP_HOST", "smtp.reglab.example")
    result = distribute(project, "--send")
    assert result.code == 2
    assert "this is a sample list (sample: true)" in result.err


def test_bad_recipients_are_reported_with_lines(project: Path) -> None:
    path = project / "source" / "distribution.yaml"
    text = path.read_text("utf-8")
    text = text.replace("registrator@lycksele.example", "registrator@umea.example")
    text = text.replace("registrator@vindeln.example", "registrator at vindeln")
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    dup = [i for i, line in enumerate(lines, 1) if "registrator@umea.example" in line]
    bad = next(i for i, line in enumerate(lines, 1) if "registrator at vindeln" in line)
    result = distribute(project)
    assert result.code == 2
    assert f"source/distribution.yaml:{bad}: error: recipients.#5.email:" in result.err
    project2 = project  # the duplicate is found once the syntax is right
    path.write_text(text.replace("registrator at vindeln", "registrator@vindeln.example"), "utf-8")
    result = distribute(project2)
    assert result.code == 2
    for line in dup:
        assert (
            f"source/distribution.yaml:{line}: error: registrator@umea.example is listed more than once"
            in result.err
        )


def test_an_unrecorded_result_is_never_sent_again_by_itself(project: Path, inbox: Inbox) -> None:
    ledger = project / "archive" / VERSION / "deliveries.jsonl"
    # a run killed after handing the first letter over, before recording the result,
    # leaving a torn line behind
    entry = {"email": RECIPIENTS[0], "result": "sending", "message_id": "<x@y>"}
    ledger.write_text(json.dumps(entry) + '\n{"email": "torn', encoding="utf-8")
    result = distribute(project, "--send")
    assert f"uncertain: {RECIPIENTS[0]}" in result.out
    assert sorted(inbox.received()) == sorted(RECIPIENTS[1:])
    assert result.code == 0
    again = distribute(project, "--send")
    assert again.code == 1 and f"uncertain: {RECIPIENTS[0]}" in again.out
    assert distribute(project, "--send", "--resend", RECIPIENTS[0]).code == 0
    assert sorted(inbox.received()) == sorted(RECIPIENTS)


def test_an_unreachable_server_stops_the_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, "127.0.0.1", free_port(), timeout=None)  # nothing listens there
    result = distribute(project, "--send")
    assert result.code == 1
    assert "cannot reach 127.0.0.1" in result.out and "nothing more sent" in result.out
    assert f"0 sent, {len(RECIPIENTS)} failed" in result.out


def test_preview_file_names_cannot_leave_the_outbox(project: Path) -> None:
    path = project / "source" / "distribution.yaml"
    original = path.read_text("utf-8")
    # A path in the address: refused by the address check itself (no leading dot, no "..")
    path.write_text(
        original.replace("registrator@umea.example", "../../../../../../tmp/PWNED@umea.example"),
        encoding="utf-8",
    )
    refused = distribute(project)
    assert refused.code == 2
    assert "recipients.#1.email: value error, not a valid e-mail address" in refused.err
    assert not (project / "build" / "outbox").exists()
    # A slash is allowed in an address; the preview's file name still stays in the outbox
    path.write_text(
        original.replace("registrator@umea.example", "tmp/PWNED@umea.example"), encoding="utf-8"
    )
    result = distribute(project)
    assert result.code == 0, result.err
    outbox = project / "build" / "outbox" / VERSION
    assert len(list(outbox.glob("*.eml"))) == len(RECIPIENTS)
    assert any("PWNED" in p.name for p in outbox.iterdir())  # kept inside the outbox


def _with_language(project: Path, language: str) -> int:
    """Give the first recipient `language:`; return the line it is on."""
    path = project / "source" / "distribution.yaml"
    text = path.read_text("utf-8")
    anchor = "    email: registrator@umea.example\n"
    text = text.replace(anchor, f"{anchor}    language: {language}\n", 1)
    path.write_text(text, "utf-8")
    return text.splitlines().index(f"    language: {language}") + 1


def _letter(path: Path) -> tuple[str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return subject, body.get_content()


def test_each_recipient_gets_the_letter_in_their_language(project: Path) -> None:
    _with_language(project, "en")
    result = distribute(project)
    assert result.code == 0, result.err
    outbox = sorted((project / "build" / "outbox" / VERSION).glob("*.eml"))
    subject, english = _letter(outbox[0])
    assert subject.endswith("(edition 1.0.0)")
    assert english.startswith("To Umeå kommun, Arbetsmarknadsavdelningen\n\nHello,\n")
    assert "edition 1.0.0 of November 29, 2026." in english
    assert "The report's theme: Scenarion – Regionens roll i arbetsmarknadspolitiken\n" in english
    assert "Hej!" not in english and "Med vänliga hälsningar" not in english
    subject, swedish = _letter(outbox[1])  # no language given: the report's, Swedish
    assert subject.endswith("(utgåva 1.0.0)")
    assert "utgåva 1.0.0 den 29 november 2026." in swedish
    # The theme as written (not lower-cased), and no stray full stop after it.
    assert "Rapportens tema: Scenarion – Regionens roll i arbetsmarknadspolitiken\n" in swedish


def test_a_language_without_a_letter_is_an_error_at_its_line(project: Path) -> None:
    line = _with_language(project, "de")
    result = distribute(project)
    assert result.code == 2
    assert (
        f"source/distribution.yaml:{line}: error: registrator@umea.example: there is no "
        "cover letter in 'de' (letters: en, sv); write styles/templates/letter.de.txt.j2 "
        "or give the recipient another language" in result.err
    )
    assert not (project / "build" / "outbox").exists()
