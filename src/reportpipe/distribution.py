"""Sending an archived edition to its recipients, once each, with a record.

The recipients and the sender are in source/distribution.yaml; the cover letter is the
template styles/templates/letter.txt.j2 (its first line is `Subject: …`). Every message
carries the screen edition exactly as archived, and its SHA-256 in the text. Each attempt
is appended to archive/<version>/deliveries.jsonl (beside the bag's payload, so the
edition's checksums stay as they were): a re-run sends only to recipients without a
successful delivery there.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import smtplib
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from babel.dates import format_date
from pydantic import AfterValidator, Field, ValidationError

from reportpipe.catalogue import babel_locale
from reportpipe.content import Edition, Record, ReportFile, Text, load_model
from reportpipe.findings import Finding, InputError, error
from reportpipe.mailaddress import checked_address
from reportpipe.project import Project
from reportpipe.render import render_template

if TYPE_CHECKING:
    from typing_extensions import Buffer

DISTRIBUTION_FILE = "distribution.yaml"
LEDGER = "deliveries.jsonl"
Email = Annotated[str, Field(strict=True), AfterValidator(checked_address)]
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(
            "must be one line of text: line breaks and control characters would end up in "
            "an e-mail header"
        )
    return value


#: Text that goes into an e-mail header (a name): one line, no control characters.
Line = Annotated[str, Field(min_length=1, strict=True), AfterValidator(_one_line)]


class Recipient(Record):
    municipality: Line
    organisation: Line
    email: Email
    role: Line | None = None
    #: The language of the recipient's letter; the report's language when not given.
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None


class Smtp(Record):
    host: Text
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    user: Text | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    timeout: Annotated[float, Field(gt=0, le=300)] = 30.0
    per_minute: Annotated[float, Field(gt=0, le=6000)] = 30.0


class Sender(Record):
    name: Line
    email: Email


class DistributionFile(Record):
    sample: bool = False  # a list of example addresses: never sent anywhere but localhost
    sender: Sender
    smtp: Smtp | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)


def letter_name(language: str) -> str:
    return f"templates/letter.{language}.txt.j2"


def letter_languages(project: Project) -> list[str]:
    """The languages the look has a cover letter in (the project's and the theme's)."""
    names = project.style_files()
    return sorted(
        name.removeprefix("templates/letter.").removesuffix(".txt.j2")
        for name in names
        if name.startswith("templates/letter.") and name.endswith(".txt.j2")
    )


def load_distribution(project: Project, *, lang: str | None) -> DistributionFile:
    """The recipients, each with a letter in their language (`lang`, the report's, when
    a recipient names none): a language without a letter is an error at its line, never
    a letter in another language. With `lang` None, letters are not looked at."""
    path = project.source / DISTRIBUTION_FILE
    findings: list[Finding] = []
    parsed = load_model(project, path, DistributionFile, findings)
    if parsed is None:
        raise InputError(findings)
    seen = Counter(r.email.lower() for r in parsed.value.recipients)
    for i, recipient in enumerate(parsed.value.recipients):
        if seen[recipient.email.lower()] > 1:
            findings.append(
                error(
                    parsed.shown,
                    parsed.line("recipients", i, "email"),
                    f"{recipient.email} is listed more than once; each recipient once",
                )
            )
        language = recipient.language or lang
        if language is not None and not project.style(letter_name(language)).is_file():
            at = ("language",) if recipient.language else ()
            findings.append(
                error(
                    parsed.shown,
                    parsed.line("recipients", i, *at),
                    f"{recipient.email}: there is no cover letter in {language!r} (letters: "
                    f"{', '.join(letter_languages(project)) or 'none'}); write "
                    f"styles/{letter_name(language)} or give the recipient another language",
                )
            )
    if findings:
        raise InputError(findings)
    return parsed.value


def smtp_settings(config: Smtp | None, shown: str) -> Smtp:
    """The SMTP settings: the file's, overridden by REPORTPIPE_SMTP_* variables."""
    values = config.model_dump() if config else {}
    for key in ("host", "port", "user", "security", "timeout", "per_minute"):
        if (value := os.environ.get(f"REPORTPIPE_SMTP_{key.upper()}")) is not None:
            values[key] = value or None  # set but empty: not given
    if "host" not in values:
        raise InputError(
            [error(shown, None, "no SMTP server: give smtp: host: here or REPORTPIPE_SMTP_HOST")]
        )
    try:
        return Smtp.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise InputError(
            [
                error(shown, None, f"smtp.{'.'.join(map(str, e['loc']))}: {e['msg'].lower()}")
                for e in exc.errors()
            ]
        ) from None


@dataclass(frozen=True)
class Letter:
    recipient: Recipient
    message: EmailMessage


@dataclass(frozen=True)
class ArchivedEdition:
    """What the letters say about the archived edition."""

    meta: ReportFile
    edition: Edition
    pdf: Path
    sha256: str


def archived_edition(meta: ReportFile, version: str, pdf: Path) -> ArchivedEdition:
    edition = next((e for e in meta.editions if e.version == version), None)
    if edition is None:
        raise InputError(
            [error(str(pdf.parent), None, f"the archived report.yaml has no edition {version}")]
        )
    return ArchivedEdition(meta, edition, pdf, hashlib.sha256(pdf.read_bytes()).hexdigest())


def write_letters(
    project: Project,
    distribution: DistributionFile,
    archived: ArchivedEdition,
    *,
    now: dt.datetime,
) -> Iterator[Letter]:
    attachment = archived.pdf.read_bytes()
    domain = distribution.sender.email.split("@", 1)[1]
    for recipient in distribution.recipients:
        language = recipient.language or archived.meta.lang
        name = letter_name(language).removeprefix("templates/")
        locale = babel_locale(language)
        values = {
            "date": lambda d, locale=locale: format_date(d, format="long", locale=locale),
            "meta": archived.meta,
            "edition": archived.edition,
            "recipient": recipient,
            "file_name": archived.pdf.name,
            "size_kib": round(len(attachment) / 1024),
            "sha256": archived.sha256,
            "sender": distribution.sender,
        }
        text = render_template(project, name, values)
        first, _, body = text.partition("\n")
        if not first.startswith("Subject: "):
            raise InputError(
                [
                    error(
                        project.shown(project.style(f"templates/{name}")),
                        None,
                        "the letter's first line must be 'Subject: …'",
                    )
                ]
            )
        message = EmailMessage()
        message["Subject"] = first.removeprefix("Subject: ").strip()
        message["From"] = formataddr((distribution.sender.name, distribution.sender.email))
        message["To"] = formataddr((recipient.organisation, recipient.email))
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(idstring=archived.edition.version, domain=domain)
        message.set_content(body.lstrip("\n"))
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename=archived.pdf.name
        )
        yield Letter(recipient, message)


def _ends_a_line(path: Path) -> bool:
    """Whether the file's last byte ends a line (read as bytes: a crash may have torn the
    last line inside a character such as the å of Umeå)."""
    with path.open("rb") as raw:
        raw.seek(-1, os.SEEK_END)
        return raw.read(1) == b"\n"


@dataclass(frozen=True)
class LedgerState:
    served: frozenset[str]  # a `sent` line: delivered
    uncertain: frozenset[str]  # may have been delivered: never resent without --resend
    last: dict[str, dict[str, str]]  # each address's deciding line, for --status


def read_ledger(ledger: Path) -> LedgerState:
    """Who has this edition. A delivery is uncertain when the message was handed over
    (DATA ended) and no final answer came (`uncertain` line), or when its result was
    never written (a `sending` line last: the run was killed in between). Uncertain
    recipients are not sent again without --resend, so no municipality gets the report
    twice by accident."""
    if not ledger.is_file():
        return LedgerState(frozenset(), frozenset(), {})
    last: dict[str, dict[str, str]] = {}
    for line in ledger.read_text("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        if isinstance(entry, dict) and isinstance(entry.get("email"), str):
            address = entry["email"].lower()
            if last.get(address, {}).get("result") != "sent":
                last[address] = {str(k): str(v) for k, v in entry.items()}
    return LedgerState(
        frozenset(a for a, e in last.items() if e.get("result") == "sent"),
        frozenset(a for a, e in last.items() if e.get("result") in UNCERTAIN),
        last,
    )


#: Ledger results that mean "may have been delivered".
UNCERTAIN = ("sending", "uncertain")


class Ledger:
    """The delivery record, opened once, locked against a second run, appended to with
    each line flushed to disk before the next step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.handle = path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                [error(str(path), None, f"cannot write the ledger: {exc.strerror}")]
            ) from None
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise InputError(
                [error(str(path), None, "another distribution of this edition is running")]
            ) from None
        self.handle.seek(0, os.SEEK_END)
        if self.handle.tell() and not _ends_a_line(path):
            self.handle.write("\n")  # end a line torn by a crash (even inside a character)

    def append(self, entry: dict[str, str]) -> None:
        self.handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


class ServerUnreachableError(Exception):
    pass


def _ends_data(data: object) -> bool:
    """The message text with its final CRLF.CRLF (smtplib sends it in one piece; a
    lone dot line never occurs earlier, smtplib doubles leading dots)."""
    return isinstance(data, bytes) and data.endswith(b"\r\n.\r\n")


class _SMTP(smtplib.SMTP):
    """Knows whether the current message was handed over (DATA ended)."""

    handed_over = False

    def send(self, s: Buffer | str) -> None:
        if _ends_data(s):
            self.handed_over = True  # set before: a partial send is uncertain too
        super().send(s)


class _SMTPSSL(smtplib.SMTP_SSL):
    handed_over = False

    def send(self, s: Buffer | str) -> None:
        if _ends_data(s):
            self.handed_over = True
        super().send(s)


def _connect(settings: Smtp) -> _SMTP | _SMTPSSL:
    context = ssl.create_default_context()
    client: _SMTP | _SMTPSSL | None = None
    try:
        if settings.security == "tls":
            client = _SMTPSSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = _SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                client.starttls(context=context)
        if settings.user:
            password = os.environ.get("REPORTPIPE_SMTP_PASSWORD")
            if password is None:
                raise InputError(
                    [
                        error(
                            "REPORTPIPE_SMTP_PASSWORD", None, f"set it to log in as {settings.user}"
                        )
                    ]
                )
            client.login(settings.user, password)
    except (smtplib.SMTPException, OSError) as exc:
        if client is not None:
            client.close()
        raise ServerUnreachableError(f"{type(exc).__name__}: {exc}") from exc
    except BaseException:
        if client is not None:
            client.close()
        raise
    return client


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    uncertain: list[str] = field(default_factory=list)


def send_letters(
    letters: list[Letter],
    *,
    settings: Smtp,
    ledger: Ledger,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send each letter. A recipient's refusal or a dropped connection before the
    message was handed over fails that letter only (it is retried next run); a message
    handed over without a final answer is `uncertain` (never retried by itself); a
    server that cannot be reached (or logged in to) stops the run, since every further
    letter would fail the same way."""
    client: _SMTP | _SMTPSSL | None = None
    outcome = Outcome()
    pause = 60.0 / settings.per_minute
    finished = False
    try:
        for number, letter in enumerate(letters):
            if number:
                sleep(pause)
            address = letter.recipient.email
            entry = {
                "email": address,
                "municipality": letter.recipient.municipality,
                "message_id": str(letter.message["Message-ID"]),
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            try:
                if client is None:
                    client = _connect(settings)
            except ServerUnreachableError as exc:
                progress(f"  cannot reach {settings.host}: {exc}; stopped, nothing more sent")
                outcome.failed += len(letters) - number
                finished = True
                return outcome
            ledger.append({**entry, "result": "sending"})
            client.handed_over = False
            try:
                client.send_message(letter.message)
            except smtplib.SMTPRecipientsRefused as exc:
                detail = "; ".join(
                    f"{code} {msg.decode(errors='replace')}"
                    for code, msg in exc.recipients.values()
                )
                ledger.append({**entry, "result": "failed", "detail": detail})
                progress(f"  refused: {address}: {detail}")
                outcome.failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
                answered = isinstance(exc, smtplib.SMTPResponseException)
                if client.handed_over and not answered:
                    ledger.append({**entry, "result": "uncertain", "detail": detail})
                    progress(
                        f"  uncertain: {address}: the message was handed over but no final "
                        f"answer came ({exc}); not resent without --resend"
                    )
                    outcome.uncertain.append(address)
                else:
                    ledger.append({**entry, "result": "failed", "detail": detail})
                    progress(f"  failed: {address}: {exc}")
                    outcome.failed += 1
                client.close()
                client = None  # reconnect for the next letter
            else:
                ledger.append({**entry, "result": "sent"})
                progress(f"  sent: {address}")
                outcome.sent += 1
        finished = True
    finally:
        if client is not None:
            try:
                if finished:
                    client.quit()
                else:  # stopped by --timeout or an interrupt: do not wait on the server
                    client.close()
            except (smtplib.SMTPException, OSError):
                client.close()
    return outcome


def delivery_status(
    distribution: DistributionFile, state: LedgerState
) -> list[tuple[str, str, str]]:
    """(address, state, detail) for every recipient of the list, then for addresses the
    ledger knows that the list no longer has."""
    rows = []
    listed = set()
    for recipient in distribution.recipients:
        address = recipient.email.lower()
        listed.add(address)
        rows.append((recipient.email, *_state(state.last.get(address))))
    for address, entry in sorted(state.last.items()):
        if address not in listed:
            kind, detail = _state(entry)
            rows.append((address, kind, f"{detail} (no longer in the list)".strip()))
    return rows


def _state(entry: dict[str, str] | None) -> tuple[str, str]:
    if entry is None:
        return "not sent", ""
    result = entry.get("result", "")
    when = entry.get("time", "")
    detail = entry.get("detail", "")
    if result == "sent":
        return "sent", when
    if result in UNCERTAIN:
        why = detail or "the run stopped before the result was recorded"
        return "uncertain", f"{when} {why}; check with the recipient, then --resend".strip()
    return "failed", f"{when} {detail}".strip()
