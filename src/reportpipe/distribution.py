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
import smtplib
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError

from reportpipe.content import Edition, Record, ReportFile, Text, load_model
from reportpipe.findings import Finding, InputError, error
from reportpipe.mailaddress import checked_address
from reportpipe.project import Project
from reportpipe.render import render_template

DISTRIBUTION_FILE = "distribution.yaml"
LEDGER = "deliveries.jsonl"
Email = Annotated[str, Field(strict=True), AfterValidator(checked_address)]
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


class Recipient(Record):
    municipality: Text
    organisation: Text
    email: Email
    role: Text | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] = "sv"


class Smtp(Record):
    host: Text
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    user: Text | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    timeout: Annotated[float, Field(gt=0, le=300)] = 30.0
    per_minute: Annotated[float, Field(gt=0, le=6000)] = 30.0


class Sender(Record):
    name: Text
    email: Email


class DistributionFile(Record):
    sample: bool = False  # a list of example addresses: never sent anywhere but localhost
    sender: Sender
    smtp: Smtp | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)


def load_distribution(project: Project) -> DistributionFile:
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
        name = f"letter.{recipient.language}.txt.j2"
        if not (project.templates / name).is_file():
            name = "letter.txt.j2"
        values = {
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
                        project.shown(project.templates / name),
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


@dataclass(frozen=True)
class LedgerState:
    served: frozenset[str]  # a `sent` line: delivered
    uncertain: frozenset[str]  # a `sending` line with no result: may have been delivered


def read_ledger(ledger: Path) -> LedgerState:
    """Who has this edition. A delivery whose result was never written (the run was
    killed between handing the message over and recording it) is uncertain: it is not
    sent again without --resend, so no municipality gets the report twice by accident."""
    if not ledger.is_file():
        return LedgerState(frozenset(), frozenset())
    last: dict[str, str] = {}
    for line in ledger.read_text("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        if isinstance(entry, dict) and isinstance(entry.get("email"), str):
            address, result = entry["email"].lower(), str(entry.get("result"))
            if last.get(address) != "sent":
                last[address] = result
    return LedgerState(
        frozenset(a for a, r in last.items() if r == "sent"),
        frozenset(a for a, r in last.items() if r == "sending"),
    )


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
        if self.handle.tell():
            self.handle.seek(self.handle.tell() - 1)
            if self.handle.read(1) != "\n":
                self.handle.write("\n")  # end a line torn by a crash

    def append(self, entry: dict[str, str]) -> None:
        self.handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


class ServerUnreachableError(Exception):
    pass


def _connect(settings: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
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


def send_letters(
    letters: list[Letter],
    *,
    settings: Smtp,
    ledger: Ledger,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, int]:
    """Send each letter. A recipient's refusal or a dropped connection fails that
    letter only; a server that cannot be reached (or logged in to) stops the run, since
    every further letter would fail the same way. Returns (sent, failed)."""
    client: smtplib.SMTP | None = None
    sent = failed = 0
    pause = 60.0 / settings.per_minute
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
                return sent, failed + len(letters) - number
            ledger.append({**entry, "result": "sending"})
            try:
                client.send_message(letter.message)
            except smtplib.SMTPRecipientsRefused as exc:
                detail = "; ".join(
                    f"{code} {msg.decode(errors='replace')}"
                    for code, msg in exc.recipients.values()
                )
                ledger.append({**entry, "result": "failed", "detail": detail})
                progress(f"  refused: {address}: {detail}")
                failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                ledger.append(
                    {**entry, "result": "failed", "detail": f"{type(exc).__name__}: {exc}"}
                )
                progress(f"  failed: {address}: {exc}")
                failed += 1
                client.close()
                client = None  # reconnect for the next letter
            else:
                ledger.append({**entry, "result": "sent"})
                progress(f"  sent: {address}")
                sent += 1
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return sent, failed
