"""Distribution promises the other distribution tests leave open: the documented SMTP
defaults and bounds, a real list (no `sample:`) going to a server that is not this
machine's name for itself, the letter's attachment size, the ledger's own file, exact
counts of failures, and implicit TLS (`security: tls`) knowing when a message was handed
over. The servers are real (aiosmtpd) on loopback addresses; the TLS one uses the test
certificate in tests/fixtures/tls (a test CA trusted through SSL_CERT_FILE)."""

from __future__ import annotations

import datetime as dt
import gc
import ssl
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from conftest import FIXTURES, VERSION, copy_project, free_port
from reportpipe.archive import archived_report
from reportpipe.distribution import (
    DistributionFile,
    Ledger,
    Letter,
    Outcome,
    Smtp,
    archived_edition,
    load_distribution,
    send_letters,
    smtp_settings,
    write_letters,
)
from reportpipe.findings import InputError
from reportpipe.project import Project
from smtp import RECIPIENTS, Inbox, distribute, inbox_at, ledger_entries, smtp_server

TLS = FIXTURES / "tls"
SETTINGS = ("HOST", "PORT", "USER", "SECURITY", "TIMEOUT", "PER_MINUTE")


@pytest.fixture
def tls_inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An SMTP server speaking implicit TLS (SMTPS) with a certificate for 127.0.0.1,
    whose test CA the client trusts through SSL_CERT_FILE (ssl's default paths)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "server.pem", TLS / "server-key.pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "ca.pem"))
    with inbox_at(monkeypatch, security="tls", ssl_context=context) as inbox:
        yield inbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "p", archive=True)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Smtp:
    for key in SETTINGS:
        monkeypatch.delenv(f"REPORTPIPE_SMTP_{key}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(f"REPORTPIPE_SMTP_{key.upper()}", value)
    return smtp_settings(None, "source/distribution.yaml")


def _refused(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        _settings(monkeypatch, **env)
    return [str(f) for f in caught.value.findings]


def test_smtp_defaults_are_the_submission_port_starttls_and_a_30_s_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch, host="smtp.kommun.example")
    assert settings.model_dump() == {
        "host": "smtp.kommun.example",
        "port": 587,
        "user": None,
        "security": "starttls",
        "timeout": 30.0,
        "per_minute": 30.0,
    }


@pytest.mark.parametrize(
    ("key", "value", "taken"),
    [
        pytest.param(key, value, taken, id=f"{key}={value}")
        for key, value, taken in [
            ("timeout", "0.5", 0.5),
            ("timeout", "300", 300.0),
            ("port", "1", 1),
            ("port", "65535", 65535),
            ("per_minute", "0.5", 0.5),
            ("per_minute", "6000", 6000.0),
        ]
    ],
)
def test_an_smtp_setting_at_the_edge_of_its_bounds_is_taken(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, taken: float
) -> None:
    """The timeout is above 0 and at most 300 s, the port 1 to 65535, the rate above 0
    and at most 6000 letters a minute."""
    assert getattr(_settings(monkeypatch, host="h", **{key: value}), key) == taken


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        pytest.param(key, value, problem, id=f"{key}={value}")
        for key, value, problem in [
            ("timeout", "0", "greater than 0"),
            ("timeout", "-0.5", "greater than 0"),
            ("timeout", "300.5", "less than or equal to 300"),
            ("port", "0", "greater than or equal to 1"),
            ("port", "65536", "less than or equal to 65535"),
            ("per_minute", "0", "greater than 0"),
            ("per_minute", "6000.5", "less than or equal to 6000"),
        ]
    ],
)
def test_an_smtp_setting_beyond_its_bounds_is_refused(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, problem: str
) -> None:
    assert _refused(monkeypatch, host="h", **{key: value}) == [
        f"source/distribution.yaml: error: smtp.{key}: input should be {problem}"
    ]


def test_a_list_without_sample_is_sent_to_a_server_that_is_not_a_local_name(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """127.0.0.2 is not one of the names a sample list may go to; a real list may."""
    path = project / "source" / "distribution.yaml"
    path.write_text(path.read_text("utf-8").replace("sample: true\n", ""), "utf-8")
    with inbox_at(monkeypatch, host="127.0.0.2") as inbox:
        result = distribute(project, "--send")
        assert result.code == 0, result.out + result.err
        assert f"{len(RECIPIENTS)} sent, 0 failed, 0 uncertain" in result.out
        assert inbox.recipients() == sorted(RECIPIENTS)


def test_the_letter_states_the_attachment_size_in_kib_rounded(project: Path) -> None:
    """1 500 000 bytes are 1464.8 KiB: the letter says 1465 (not 1466 or 1463, what
    dividing by 1023 or 1025 would give)."""
    root = Project(project)
    meta = archived_report(root, VERSION)
    pdf = project / "edition.pdf"
    pdf.write_bytes(b"%PDF-" + bytes(1_500_000 - 5))
    letters = list(
        write_letters(
            root,
            load_distribution(root, lang=meta.lang),
            archived_edition(meta, VERSION, pdf),
            now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        )
    )
    assert len(letters) == len(RECIPIENTS)
    for letter in letters:
        body = letter.message.get_body(preferencelist=("plain",))
        assert body is not None
        text = " ".join(body.get_content().split())
        assert "(edition.pdf, 1465 KiB)" in text
        # the message id is the sender's domain's
        assert str(letter.message["Message-ID"]).endswith("@reglab.example>")


def test_a_ledger_that_cannot_be_opened_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.jsonl"
    path.mkdir()  # a folder where the ledger should be
    with pytest.raises(InputError) as caught:
        Ledger(path)
    assert [str(f) for f in caught.value.findings] == [
        f"{path}: error: cannot write the ledger: Is a directory"
    ]


def test_a_ledger_with_whole_lines_gets_no_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.jsonl"
    first = '{"email": "a@kommun.se", "result": "sent"}\n'
    path.write_text(first, "utf-8")
    ledger = Ledger(path)
    try:
        ledger.append({"email": "b@kommun.se", "result": "sending"})
    finally:
        ledger.close()
    assert path.read_text("utf-8") == first + '{"email": "b@kommun.se", "result": "sending"}\n'


def test_implicit_tls_tells_a_drop_before_the_message_from_one_after_it(
    project: Path, tls_inbox: Inbox
) -> None:
    """Over `security: tls`: a line dropped at RCPT fails that letter (retried next run);
    one dropped after the whole message is uncertain (never resent by itself)."""
    dropped, unanswered = RECIPIENTS[1], RECIPIENTS[4]
    tls_inbox.hang_up_at_rcpt.add(dropped)
    tls_inbox.hang_up_after_data.add(unanswered)
    result = distribute(project, "--send")
    assert result.code == 1
    assert f"failed: {dropped}: Connection unexpectedly closed" in result.out
    assert f"uncertain: {unanswered}: the message was handed over" in result.out
    assert f"{len(RECIPIENTS) - 2} sent, 1 failed, 1 uncertain" in result.out
    results = {e["email"]: e["result"] for e in ledger_entries(project) if e["result"] != "sending"}
    assert results == {
        **{a: "sent" for a in RECIPIENTS},
        dropped: "failed",
        unanswered: "uncertain",
    }
    assert tls_inbox.recipients() == sorted(set(RECIPIENTS) - {dropped})

    tls_inbox.hang_up_at_rcpt.clear()
    again = distribute(project, "--send")
    assert again.code == 0, again.out + again.err
    assert f"sending edition {VERSION} to 1 of {len(RECIPIENTS)} recipients" in again.out
    assert tls_inbox.recipients() == sorted(RECIPIENTS)


class QuitInbox(Inbox):
    """Also notes each QUIT; with `drop_quit`, hangs up on it without an answer."""

    def __init__(self) -> None:
        super().__init__()
        self.quits = 0
        self.drop_quit = False

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.quits += 1
        if self.drop_quit:
            server.transport.close()
        return "221 Bye"


@pytest.fixture
def quit_inbox() -> Iterator[tuple[QuitInbox, int]]:
    handler = QuitInbox()
    with smtp_server(handler) as port:
        yield handler, port


def _letters(project: Path) -> list[Letter]:
    root = Project(project)
    meta = archived_report(root, VERSION)
    pdf = next((project / "archive" / VERSION / "data").glob(f"*-{VERSION}.pdf"))
    return list(
        write_letters(
            root,
            load_distribution(root, lang=meta.lang),
            archived_edition(meta, VERSION, pdf),
            now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        )
    )


def _smtp(port: int, per_minute: float = 6000) -> Smtp:
    return Smtp.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "timeout": 5,
            "per_minute": per_minute,
        }
    )


def _send(
    tmp_path: Path,
    letters: list[Letter],
    settings: Smtp,
    progress: Callable[[str], None],
    **options: Any,
) -> Outcome:
    """send_letters with a ledger of its own in tmp_path, closed afterwards."""
    ledger = Ledger(tmp_path / "deliveries.jsonl")
    try:
        return send_letters(letters, settings=settings, ledger=ledger, progress=progress, **options)
    finally:
        ledger.close()


def test_letters_are_paced_by_per_minute(
    project: Path, tmp_path: Path, quit_inbox: tuple[QuitInbox, int]
) -> None:
    inbox, port = quit_inbox
    letters = _letters(project)[:3]
    pauses: list[float] = []
    outcome = _send(
        tmp_path, letters, _smtp(port, per_minute=40), lambda _: None, sleep=pauses.append
    )
    assert (outcome.sent, outcome.failed, outcome.uncertain) == (3, 0, [])
    assert pauses == [1.5, 1.5]  # 40 a minute: 1.5 s between letters, none before the first
    assert inbox.quits == 1


class StoppedError(Exception):
    """Stands for --timeout's alarm or an interrupt in the middle of a run."""


def test_a_run_stopped_midway_hangs_up_without_waiting_for_the_server(
    project: Path, tmp_path: Path, quit_inbox: tuple[QuitInbox, int]
) -> None:
    inbox, port = quit_inbox

    def progress(line: str) -> None:
        if line.startswith("  sent: "):
            raise StoppedError

    with pytest.raises(StoppedError):
        _send(tmp_path, _letters(project), _smtp(port), progress)
    assert inbox.recipients() == [RECIPIENTS[0]]
    assert inbox.quits == 0  # the connection was closed, no QUIT sent and waited on


def test_a_server_that_hangs_up_on_quit_spoils_nothing(
    project: Path, tmp_path: Path, quit_inbox: tuple[QuitInbox, int]
) -> None:
    inbox, port = quit_inbox
    inbox.drop_quit = True
    said: list[str] = []
    outcome = _send(tmp_path, _letters(project), _smtp(port), said.append)
    assert (outcome.sent, outcome.failed, outcome.uncertain) == (len(RECIPIENTS), 0, [])
    assert said == [f"  sent: {a}" for a in RECIPIENTS]
    assert inbox.quits == 1
    assert inbox.recipients() == sorted(RECIPIENTS)


def _distribution(count: int) -> DistributionFile:
    return DistributionFile.model_validate(
        {
            "sender": {"name": "Reglab", "email": "info@reglab.example"},
            "recipients": [
                {"municipality": "Umeå", "organisation": "Kommunen", "email": f"{n}@umea.example"}
                for n in range(count)
            ],
        }
    )


def test_a_distribution_needs_at_least_one_recipient() -> None:
    assert [r.email for r in _distribution(1).recipients] == ["0@umea.example"]
    with pytest.raises(ValidationError) as caught:
        _distribution(0)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("recipients",), "too_short")
    ]


def _recipients_error(project: Path, old: str, new: str) -> list[str]:
    path = project / "source" / "distribution.yaml"
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    with pytest.raises(InputError) as caught:
        load_distribution(Project(project), lang=None)
    return [str(f) for f in caught.value.findings]


def test_a_one_letter_name_is_a_name_and_an_empty_one_is_not(project: Path) -> None:
    path = project / "source" / "distribution.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("organisation: Umeå kommun", "organisation: U", 1), "utf-8")
    assert load_distribution(Project(project), lang=None).recipients[0].organisation == "U"
    line = text.splitlines().index("    organisation: Umeå kommun") + 1
    assert _recipients_error(project, "organisation: U\n", 'organisation: ""\n') == [
        f"source/distribution.yaml:{line}: error: recipients.#1.organisation: string should "
        "have at least 1 character"
    ]


@pytest.mark.parametrize("key", ["organisation", "email"])
def test_names_and_addresses_must_be_text_not_binary(project: Path, key: str) -> None:
    """YAML's !!binary gives bytes; they are not taken for text."""
    text = (project / "source" / "distribution.yaml").read_text("utf-8")
    value = {"organisation": "Umeå kommun", "email": "registrator@umea.example"}[key]
    line = text.splitlines().index(f"    {key}: {value}") + 1
    # base64 of "registrator@umea.example"
    encoded = "!!binary cmVnaXN0cmF0b3JAdW1lYS5leGFtcGxl"
    assert _recipients_error(project, f"{key}: {value}\n", f"{key}: {encoded}\n") == [
        f"source/distribution.yaml:{line}: error: recipients.#1.{key}: input should be a "
        "valid string"
    ]


def test_the_letters_listed_are_only_the_letter_templates(project: Path) -> None:
    templates = project / "styles" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "letter.css").write_text("/* not a letter */\n", "utf-8")
    (templates / "memo.txt.j2").write_text("not a letter\n", "utf-8")
    text = (project / "source" / "distribution.yaml").read_text("utf-8")
    anchor = "    email: registrator@umea.example\n"
    line = text.splitlines().index(anchor.rstrip("\n")) + 1
    assert _recipients_error(project, anchor, f"{anchor}    language: de\n") == [
        f"source/distribution.yaml:{line + 1}: error: registrator@umea.example: there is no "
        "cover letter in 'de' (letters: en, sv); write styles/templates/letter.de.txt.j2 or "
        "give the recipient another language"
    ]


@pytest.fixture
def login_inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, list[str]]]:
    """A server that lets `jobbregionen` in with the password `hemligt` (AUTH without
    TLS, as a test server on this machine may); notes each login that succeeded."""
    logins: list[str] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"jobbregionen",
            b"hemligt",
        )
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # a refusal is answered 535

    with inbox_at(
        monkeypatch, user="jobbregionen", authenticator=authenticator, auth_require_tls=False
    ) as inbox:
        yield inbox, logins


def _unclosed_sockets(call: Callable[[], object]) -> list[str]:
    """The ResourceWarnings of sockets left open by `call` (and collected after it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        call()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_login_with_the_password_from_the_environment(
    project: Path, login_inbox: tuple[Inbox, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, logins = login_inbox
    monkeypatch.setenv("REPORTPIPE_SMTP_PASSWORD", "hemligt")
    result = distribute(project, "--send")
    assert result.code == 0, result.out + result.err
    assert logins == ["jobbregionen"]  # once: the connection serves every letter
    assert inbox.recipients() == sorted(RECIPIENTS)


def test_a_user_without_a_password_is_an_error_that_leaves_no_connection_open(
    project: Path, login_inbox: tuple[Inbox, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, logins = login_inbox
    monkeypatch.delenv("REPORTPIPE_SMTP_PASSWORD", raising=False)
    results = []
    unclosed = _unclosed_sockets(lambda: results.append(distribute(project, "--send")))
    assert results[0].code == 2
    assert "REPORTPIPE_SMTP_PASSWORD: error: set it to log in as jobbregionen" in results[0].err
    assert unclosed == []
    assert logins == [] and inbox.messages == []


def test_a_refused_login_stops_the_run_and_leaves_no_connection_open(
    project: Path, login_inbox: tuple[Inbox, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, logins = login_inbox
    monkeypatch.setenv("REPORTPIPE_SMTP_PASSWORD", "fel")
    results = []
    unclosed = _unclosed_sockets(lambda: results.append(distribute(project, "--send")))
    assert results[0].code == 1
    assert "cannot reach 127.0.0.1: SMTPAuthenticationError: (535" in results[0].out
    assert f"0 sent, {len(RECIPIENTS)} failed, 0 uncertain" in results[0].out
    assert unclosed == []
    assert logins == [] and inbox.messages == []


def test_a_server_gone_midway_fails_exactly_the_letters_left(project: Path, tmp_path: Path) -> None:
    """The third letter's connection drops; the server is gone when the fourth would
    reconnect: 2 sent, the third failed, the last four failed unsent."""
    port = free_port()
    inbox = Inbox()
    inbox.hang_up_at_rcpt.add(RECIPIENTS[2])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    said: list[str] = []

    def progress(line: str) -> None:
        said.append(line)
        if line.startswith("  failed: "):
            controller.stop()

    outcome = _send(tmp_path, _letters(project), _smtp(port), progress)
    assert (outcome.sent, outcome.failed, outcome.uncertain) == (2, len(RECIPIENTS) - 2, [])
    assert said[-1].startswith("  cannot reach 127.0.0.1: ")
    assert said[-1].endswith("; stopped, nothing more sent")
    assert inbox.recipients() == sorted(RECIPIENTS[:2])
