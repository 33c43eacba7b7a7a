"""What the distribution tests share: the sample recipients, the edition's ledger, an
SMTP server on this machine (aiosmtpd) that keeps what it receives, and the tool's
REPORTPIPE_SMTP_* settings pointed at a test server.

- `RECIPIENTS`: the addresses of source/distribution.yaml, in its order.
- `distribute(project, *args)`: `reportpipe distribute VERSION ARGS` for the project, run
  in this process (`run_cli`).
- `ledger_entries(root)`: the lines of archive/VERSION/deliveries.jsonl, read.
- `Inbox`: an aiosmtpd handler that keeps the messages and can refuse an address or
  hang up at RCPT or after DATA.
- `point_at(monkeypatch, host, port, ...)`: the settings for a server without login or
  pacing (6000 letters a minute).
- `smtp_server(handler)`: aiosmtpd on a free port while the block runs (yields the port);
  `inbox_at(monkeypatch, ...)`: the same with the settings pointed at it (yields the
  Inbox).
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from conftest import REPO, VERSION, CliResult, free_port, run_cli

RECIPIENTS: list[str] = [
    r["email"]
    for r in yaml.safe_load((REPO / "source" / "distribution.yaml").read_text("utf-8"))[
        "recipients"
    ]
]


def distribute(project: Path, *args: str) -> CliResult:
    return run_cli("distribute", VERSION, *args, "--project", str(project))


def ledger_entries(root: Path) -> list[dict[str, str]]:
    path = root / "archive" / VERSION / "deliveries.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


class Inbox:
    """Keeps the messages; refuses an address, or hangs up without an answer at RCPT
    (before the message is handed over) or after DATA (the whole message arrived)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.hang_up_at_rcpt: set[str] = set()
        self.hang_up_after_data: set[str] = set()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's naming
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.hang_up_at_rcpt:
            server.transport.close()  # the line drops before the message is handed over
            return "421 4.3.0 closing connection"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        if self.hang_up_after_data & set(envelope.rcpt_tos):
            server.transport.close()  # the whole message arrived; no answer
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        """Every recipient of every message, sorted (twice if sent twice)."""
        return sorted(r for rcpts, _ in self.messages for r in rcpts)

    def received(self) -> dict[str, Message]:
        """The message each recipient got, read; a recipient with two fails the test."""
        out: dict[str, Message] = {}
        for rcpts, data in self.messages:
            for rcpt in rcpts:
                assert rcpt not in out, f"{rcpt} received two messages"
                out[rcpt] = email.message_from_bytes(data, policy=email.policy.default)
        return out


def point_at(
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    port: int,
    *,
    security: str = "none",
    user: str = "",
    timeout: float | None = 5,
) -> None:
    """Set the REPORTPIPE_SMTP_* settings for the server at `host`:`port`; a `timeout`
    of None leaves the tool's default."""
    monkeypatch.setenv("REPORTPIPE_SMTP_HOST", host)
    monkeypatch.setenv("REPORTPIPE_SMTP_PORT", str(port))
    monkeypatch.setenv("REPORTPIPE_SMTP_SECURITY", security)
    monkeypatch.setenv("REPORTPIPE_SMTP_USER", user)
    monkeypatch.setenv("REPORTPIPE_SMTP_PER_MINUTE", "6000")
    if timeout is not None:
        monkeypatch.setenv("REPORTPIPE_SMTP_TIMEOUT", str(timeout))


@contextmanager
def smtp_server(handler: Inbox, host: str = "127.0.0.1", **options: Any) -> Iterator[int]:
    """aiosmtpd with `handler` on a free port of `host` (Controller `options` such as
    ssl_context or authenticator) while the block runs; yields the port."""
    port = free_port(host)
    controller = Controller(handler, hostname=host, port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def inbox_at(
    monkeypatch: pytest.MonkeyPatch,
    *,
    host: str = "127.0.0.1",
    security: str = "none",
    user: str = "",
    timeout: float | None = 5,
    **options: Any,
) -> Iterator[Inbox]:
    """A new Inbox served by `smtp_server`, with the settings pointed at it."""
    inbox = Inbox()
    with smtp_server(inbox, host, **options) as port:
        point_at(monkeypatch, host, port, security=security, user=user, timeout=timeout)
        yield inbox
