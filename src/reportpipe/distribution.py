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
import hashlib
import json
import os
import re
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

import jinja2
from pydantic import Field, ValidationError

from reportpipe.content import Edition, Record, ReportFile, Text, load_model
from reportpipe.findings import Finding, InputError, error
from reportpipe.project import Project

DISTRIBUTION_FILE = "distribution.yaml"
LEDGER = "deliveries.jsonl"
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$")
Email = Annotated[str, Field(pattern=_EMAIL.pattern, strict=True)]
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
    edition = next(e for e in meta.editions if e.version == version)
    return ArchivedEdition(meta, edition, pdf, hashlib.sha256(pdf.read_bytes()).hexdigest())


def write_letters(
    project: Project,
    distribution: DistributionFile,
    archived: ArchivedEdition,
    *,
    now: dt.datetime,
) -> Iterator[Letter]:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(project.templates),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text
        keep_trailing_newline=True,
    )
    attachment = archived.pdf.read_bytes()
    domain = distribution.sender.email.split("@", 1)[1]
    for recipient in distribution.recipients:
        name = f"letter.{recipient.language}.txt.j2"
        try:
            template = env.get_template(name)
        except jinja2.TemplateNotFound:
            template = env.get_template("letter.txt.j2")
        text = template.render(
            meta=archived.meta,
            edition=archived.edition,
            recipient=recipient,
            file_name=archived.pdf.name,
            size_kib=round(len(attachment) / 1024),
            sha256=archived.sha256,
            sender=distribution.sender,
        )
        first, _, body = text.partition("\n")
        if not first.startswith("Subject: "):
            raise InputError(
                [
                    error(
                        f"{project.shown(project.templates)}/{template.name}",
                        1,
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


def served(ledger: Path) -> set[str]:
    """Addresses that already have a successful delivery in the ledger."""
    if not ledger.is_file():
        return set()
    done = set()
    for line in ledger.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash: that delivery is retried
        if entry.get("result") == "sent":
            done.add(str(entry.get("email", "")).lower())
    return done


def _append(ledger: Path, entry: dict[str, str]) -> None:
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _connect(settings: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            client.starttls(context=context)
    if settings.user:
        password = os.environ.get("REPORTPIPE_SMTP_PASSWORD")
        if password is None:
            client.close()
            raise InputError(
                [error("REPORTPIPE_SMTP_PASSWORD", None, "set it to log in as " + settings.user)]
            )
        client.login(settings.user, password)
    return client


def send_letters(
    letters: list[Letter],
    *,
    settings: Smtp,
    ledger: Path,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, int]:
    """Send each letter; one failure never stops the others. Returns (sent, failed)."""
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
                client.send_message(letter.message)
            except smtplib.SMTPRecipientsRefused as exc:
                detail = "; ".join(
                    f"{code} {msg.decode(errors='replace')}"
                    for code, msg in exc.recipients.values()
                )
                _append(ledger, {**entry, "result": "failed", "detail": detail})
                progress(f"  refused: {address}: {detail}")
                failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                _append(
                    ledger, {**entry, "result": "failed", "detail": f"{type(exc).__name__}: {exc}"}
                )
                progress(f"  failed: {address}: {exc}")
                failed += 1
                if client is not None:
                    try:
                        client.close()
                    finally:
                        client = None
            else:
                _append(ledger, {**entry, "result": "sent"})
                progress(f"  sent: {address}")
                sent += 1
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return sent, failed
