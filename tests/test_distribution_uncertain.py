"""The uncertain case: a message handed over (DATA ended) without a final answer is
never sent again by itself; overall time bounds for distribute and check. Against raw
SMTP servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import VERSION, copy_project, run_cli
from smtp import RECIPIENTS, distribute, ledger_entries, point_at


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = "normal"  # normal | close-after-data | late-reply-once | no-greeting
        self.delivered: Counter[str] = Counter()  # whole messages received, by recipient
        self.lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    server: Server

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        if self.server.mode == "no-greeting":
            for _ in range(600):  # a greeting that never ends, one line at a time
                self._say("220-still greeting")
                time.sleep(0.2)
            return
        self._say("220 test server")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._say("250 test")
            elif command.startswith("MAIL"):
                recipients = []
                self._say("250 OK")
            elif command.startswith("RCPT"):
                recipients.append(line.decode().split("<", 1)[1].split(">", 1)[0])
                self._say("250 OK")
            elif command == "DATA":
                self._say("354 go ahead")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                with self.server.lock:
                    self.server.delivered.update(recipients)
                    mode = self.server.mode
                    if mode == "late-reply-once":
                        self.server.mode = "normal"
                if mode == "close-after-data":
                    return  # the whole message arrived; no answer, the line drops
                if mode == "late-reply-once":
                    time.sleep(2.5)  # after the client's 1 s timeout
                self._say("250 accepted")
            elif command == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    smtp = Server()
    thread = threading.Thread(target=smtp.serve_forever, daemon=True)
    thread.start()
    point_at(monkeypatch, "127.0.0.1", smtp.server_address[1], timeout=1)
    yield smtp
    smtp.shutdown()
    smtp.server_close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "p", archive=True)


def _send(root: Path, *args: str) -> tuple[int, str, str]:
    result = distribute(root, "--send", *args)
    return result.code, result.out, result.err


def _handed_over_without_an_answer(project: Path, server: Server, mode: str) -> str:
    """Send with the server in `mode`: every whole message arrives, some without a final
    answer, so the run exits 1. Its output."""
    server.mode = mode
    code, out, _ = _send(project)
    assert code == 1
    assert server.delivered == Counter(RECIPIENTS)
    return out


def _a_rerun_sends_nothing(project: Path, server: Server) -> None:
    """A further run, the server answering normally: nobody is sent anything again."""
    server.mode = "normal"
    code, out, _ = _send(project)
    assert code == 1 and "nobody left to send edition 1.0.0 to" in out
    assert server.delivered == Counter(RECIPIENTS)


def test_a_server_that_hangs_up_after_the_message_is_never_sent_twice(
    project: Path, server: Server
) -> None:
    out = _handed_over_without_an_answer(project, server, "close-after-data")
    assert f"0 sent, 0 failed, {len(RECIPIENTS)} uncertain" in out
    assert out.index("uncertain (handed over, no final answer") < out.index(RECIPIENTS[-1], -200)
    assert all(
        e["result"] == "uncertain" for e in ledger_entries(project) if e["result"] != "sending"
    )
    _a_rerun_sends_nothing(project, server)

    status = distribute(project, "--status")
    assert status.code == 0, status.err
    assert f"0 sent, 0 failed, {len(RECIPIENTS)} uncertain, 0 not sent" in status.out
    assert "SMTPServerDisconnected" in status.out

    code, out, _ = _send(project, "--resend", RECIPIENTS[2])  # only by name
    assert code == 0, out
    assert "1 sent, 0 failed, 0 uncertain" in out
    listed = out.split("uncertain (handed over, no final answer")[-1].splitlines()
    assert sorted(x.strip() for x in listed[1:-1]) == sorted(set(RECIPIENTS) - {RECIPIENTS[2]})
    assert server.delivered[RECIPIENTS[2]] == 2 and sum(server.delivered.values()) == 8
    status = distribute(project, "--status")
    line = next(x for x in status.out.splitlines() if RECIPIENTS[2] in x)
    assert line.split()[1] == "sent"


def test_an_answer_after_the_timeout_is_uncertain_and_the_others_go_on(
    project: Path, server: Server
) -> None:
    out = _handed_over_without_an_answer(project, server, "late-reply-once")
    assert f"uncertain: {RECIPIENTS[0]}: the message was handed over" in out
    assert f"{len(RECIPIENTS) - 1} sent, 0 failed, 1 uncertain" in out
    _a_rerun_sends_nothing(project, server)


def test_a_greeting_that_never_ends_is_bounded_by_timeout(project: Path, server: Server) -> None:
    server.mode = "no-greeting"
    started = time.monotonic()
    code, _, err = _send(project, "--timeout", "1")
    assert time.monotonic() - started < 20
    assert code == 2
    assert "distribute: error: stopped after 1 s (--timeout)" in err
    assert "Traceback" not in err
    assert not server.delivered
    assert not (project / "archive" / VERSION / "deliveries.jsonl").read_text("utf-8")


def test_a_line_break_in_a_recipient_field_is_reported_with_its_line(project: Path) -> None:
    path = project / "source" / "distribution.yaml"
    text = path.read_text("utf-8")
    organisation = next(line for line in text.splitlines() if "organisation:" in line)
    line = text.splitlines().index(organisation) + 1
    evil = organisation.split(":", 1)[0] + ': "Kommun\\r\\nBcc: evil@attacker.example"'
    path.write_text(text.replace(organisation, evil, 1), encoding="utf-8")
    result = distribute(project)
    assert result.code == 2
    assert (
        f"source/distribution.yaml:{line}: error: recipients.#1.organisation: value error, "
        "must be one line of text" in result.err
    )
    assert "Traceback" not in result.err
    assert not (project / "build" / "outbox").exists()


def test_check_is_bounded_by_timeout(project: Path) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        intro = project / "source" / "intro.md"
        intro.write_text(
            intro.read_text("utf-8") + f"\nSe [tyst](http://127.0.0.1:{port}/).\n",
            encoding="utf-8",
        )
        started = time.monotonic()
        result = run_cli("check", "links", "--timeout", "1", "--project", str(project))
    assert time.monotonic() - started < 30
    assert result.code == 2, result.out + result.err
    assert "check: error: stopped after 1 s (--timeout)" in result.err


def test_status_needs_no_server_and_shows_who_has_nothing_yet(project: Path) -> None:
    pdf = next((project / "archive" / VERSION / "data").glob("*-print.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"%")  # even a bag that no longer verifies
    result = distribute(project, "--status")
    assert result.code == 0, result.err
    assert f"0 sent, 0 failed, 0 uncertain, {len(RECIPIENTS)} not sent" in result.out
    rows = [line.split() for line in result.out.splitlines() if line.startswith("  ")]
    assert [(r[0], " ".join(r[1:])) for r in rows] == [(a, "not sent") for a in RECIPIENTS]
    assert not (project / "archive" / VERSION / "deliveries.jsonl").exists()
