"""HTML to PDF bytes with WeasyPrint, for one edition profile.

Three promises are kept here:
- nothing outside the project folder and nothing on the network is read: the URL
  fetcher refuses it and the refusal fails the build;
- what WeasyPrint only logs (a missing alt text, an unreadable picture, a font that
  cannot be loaded) fails the build too, so a PDF that claims PDF/UA or PDF/X never
  lacks what the profile needs;
- the bytes depend on the content and the pinned dependencies only: dates come from
  the edition, the file identifier and the XMP document id are derived from the
  content, and fonts are always subset with the HarfBuzz of the pinned uharfbuzz wheel,
  whatever the machine has installed (see weasy.py, the one module that touches
  WeasyPrint's internals, and only while a render runs).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
import weasyprint
from weasyprint import Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from reportpipe.content import OutputIntent
from reportpipe.findings import Finding, error, warning
from reportpipe.project import Project
from reportpipe.weasy import UnsupportedWeasyPrintError, check_version, patched


@dataclass(frozen=True)
class Profile:
    """An edition of the report: which PDF variant, which extra stylesheet, which name."""

    name: str
    variant: str
    suffix: str
    look: str  # the edition stylesheet, styles/<look>.css, added to styles/report.css
    tagged: bool = True
    attach_sources: bool = False
    output_intent: bool = False


SCREEN = Profile(name="screen", variant="pdf/ua-1", suffix="", look="screen")
PRINT = Profile(name="print", variant="pdf/x-4", suffix="-print", look="print", output_intent=True)
ARCHIVE = Profile(
    name="archive", variant="pdf/a-3a", suffix="-archive", look="screen", attach_sources=True
)
PROFILES = (SCREEN, PRINT)  # what `build` makes; `release` adds ARCHIVE


class RefusedResourceError(Exception):
    pass


class ProjectFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """Serves files of the project folder and nothing else."""

    def __init__(self, project: Project) -> None:
        super().__init__(allowed_protocols={"file"})
        self.project = project
        self.problems: dict[str, str] = {}  # what was refused or missing -> why

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            return self._refuse(url, f"refused to load {url}: builds use no network")
        requested = Path(unquote(parts.path))
        path = self.project.inside(requested)
        if path is None:
            return self._refuse(
                url, f"refused to load {url}: builds read only files inside the project"
            )
        if not path.is_file():
            return self._refuse(url, f"file not found: {self.project.shown(requested)}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.problems[url] = why
        raise RefusedResourceError(why)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _captured() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


# A vendored font that cannot be read means text set in some other face.
_FONT_FAILURE = re.compile(r"^Font-face .* cannot be loaded")
_AT_LINE = re.compile(r"\bat (\d+):\d+")
_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")


def _finisher(seed: bytes, intent: OutputIntent | None) -> Any:
    """A WeasyPrint finisher that replaces PDF/X's random xmpMM:DocumentID by one derived
    from `seed` and names the output intent as `intent` says."""
    stable = f"xmp.did:{uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16])}".encode()

    def finish(document: Any, pdf: Any) -> None:
        if intent is not None:
            for entry in pdf.catalog.get("OutputIntents", []):
                entry["OutputConditionIdentifier"] = pydyf.String(intent.identifier)
                entry["RegistryName"] = pydyf.String(intent.registry)
                entry["Info"] = pydyf.String(intent.info)
        for obj in pdf.objects:
            chunks = getattr(obj, "stream", None)
            if isinstance(chunks, list) and any(
                isinstance(c, bytes) and b"xmp.did:" in c for c in chunks
            ):
                obj.stream = [
                    _DOCUMENT_ID.sub(stable, c) if isinstance(c, bytes) else c for c in chunks
                ]

    return finish


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    findings: tuple[Finding, ...]


def render_pdf(
    html: str,
    *,
    root: Path,
    stylesheets: list[Path],
    profile: Profile,
    epoch: int,
    identifier: bytes,
    shown_html: str,
    intent: OutputIntent | None = None,
    fonts_allowed: frozenset[str] = frozenset(),
    attachments: Sequence[Attachment] = (),
) -> Rendered:
    """Render one edition. Errors WeasyPrint reports come back as error findings and
    the caller must not write the PDF then."""
    try:
        check_version()
    except UnsupportedWeasyPrintError as exc:  # the environment, not the content
        return Rendered(pdf=b"", pages=0, findings=(error("constraints.txt", None, str(exc)),))
    project = Project(root)
    fetcher = ProjectFetcher(project)
    font_config = FontConfiguration()
    color_profiles: dict[str, Any] = {}  # filled by @color-profile rules
    findings: list[Finding] = []
    with _captured() as log, patched(epoch):
        try:
            css = []
            for sheet in stylesheets:
                before = len(log.records)
                css.append(
                    weasyprint.CSS(
                        filename=str(sheet),
                        url_fetcher=fetcher,
                        font_config=font_config,
                        color_profiles=color_profiles,
                    )
                )
                for record in log.records[before:]:  # what this stylesheet made WeasyPrint say
                    record.stylesheet = project.shown(sheet)
            document = weasyprint.HTML(
                string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher
            ).render(
                font_config=font_config,
                color_profiles=color_profiles,
                stylesheets=css,
                pdf_variant=profile.variant,
                pdf_tags=profile.tagged,
            )
            pdf = document.write_pdf(
                pdf_variant=profile.variant,
                pdf_tags=profile.tagged,
                pdf_identifier=identifier,
                attachments=list(attachments),
                finisher=_finisher(identifier + profile.name.encode(), intent),
            )
        except URLFetchingError as exc:  # WeasyPrint lets some fetch errors through
            if not fetcher.problems:
                findings.append(error(shown_html, None, f"cannot load a resource: {exc}"))
            document, pdf = None, b""
    findings.extend(error(shown_html, None, why) for why in fetcher.problems.values())
    fonts = {font.family for font in document.fonts.values()} if document else set()
    for family in sorted(fonts - fonts_allowed):
        findings.append(
            error(
                shown_html,
                None,
                f"{profile.name} edition uses the system font {family!r}: some text asks for a "
                "family, weight or character the fonts in styles/fonts/ do not have",
            )
        )
    base = root.as_uri() + "/"
    for record in log.records:
        message = record.getMessage().replace(base, "")
        if any(url.replace(base, "") in message for url in fetcher.problems):
            continue  # already said, with the reason
        serious = record.levelno >= logging.ERROR or _FONT_FAILURE.search(message)
        make = error if serious else warning
        origin = getattr(record, "stylesheet", None)
        if origin is not None:  # "… at LINE:COLUMN" is a place in that stylesheet
            at = _AT_LINE.search(message)
            findings.append(make(str(origin), int(at.group(1)) if at else None, message))
        else:
            findings.append(make(shown_html, None, f"WeasyPrint ({profile.name}): {message}"))
    pages = len(document.pages) if document else 0
    return Rendered(pdf=pdf, pages=pages, findings=tuple(findings))
