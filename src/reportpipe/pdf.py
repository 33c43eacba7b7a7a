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
  WeasyPrint's internals, and only while a render runs); WeasyPrint sees the project
  under one fixed URL whatever its folder (stableurls), so raster pictures, which it
  names after their URL, get the same names everywhere.
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

from reportpipe import gate
from reportpipe.content import OutputIntent
from reportpipe.findings import Finding, error, warning
from reportpipe.printready import PrintReady, make_print_ready, palette
from reportpipe.project import Project
from reportpipe.stableurls import BASE, real_path, stable_url
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
    print_ready: bool = False  # CMYK only, no annotations, marks in a slug (printready.py)
    pdfua: bool = False  # declare PDF/UA-1 too (for a PDF/A variant)


SCREEN = Profile(name="screen", variant="pdf/ua-1", suffix="", look="screen")
PRINT = Profile(
    name="print",
    variant="pdf/x-4",
    suffix="-print",
    look="print",
    output_intent=True,
    print_ready=True,
)
ARCHIVE = Profile(
    name="archive",
    variant="pdf/a-3a",
    suffix="-archive",
    look="screen",
    attach_sources=True,
    pdfua=True,
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
        # Project files come under one fixed URL, whatever the folder (see stableurls).
        stable = real_path(url, self.project.root)
        requested = stable if stable is not None else Path(unquote(parts.path))
        located = self.project.located(requested)  # styles/<name>: the project's or the theme's
        path = self.project.inside(located)
        if path is None:
            return self._refuse(
                url, f"refused to load {url}: builds read only files inside the project"
            )
        if not path.exists():
            return self._refuse(url, f"file not found: {self.project.shown(requested)}")
        try:
            body = gate.read(located, self.project.roots)
        except gate.Refusal as exc:
            return self._refuse(url, f"refused to load {self.project.shown(requested)}: {exc}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

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

#: PDF/UA identification for a PDF/A file: PDF/A allows only predefined XMP schemas
#: unless an extension schema describes the others, so pdfuaid comes with its description.
PDFUA_IN_PDFA = b"""<rdf:Description rdf:about="" \
xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" \
xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"><pdfaExtension:schemas><rdf:Bag>\
<rdf:li rdf:parseType="Resource">\
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>\
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>part</pdfaProperty:name>\
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>\
<pdfaProperty:category>internal</pdfaProperty:category>\
<pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>\
</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas>\
</rdf:Description><rdf:Description rdf:about="" \
xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1" />"""


def _finisher(
    seed: bytes,
    intent: OutputIntent | None,
    *,
    print_ready: list[PrintReady] | None = None,
    print_stylesheets: Sequence[str] = (),
    pdfua: bool = False,
) -> Any:
    """A WeasyPrint finisher that replaces PDF/X's random xmpMM:DocumentID by one derived
    from `seed` and names the output intent as `intent` says. With `print_ready` (a list
    to report into) it also makes the print edition PDF/X-4-clean (see printready.py),
    taking CMYK values from `print_stylesheets`; with `pdfua` it declares PDF/UA-1 in the
    XMP of a PDF/A file."""
    stable = f"xmp.did:{uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16])}".encode()

    def xmp(chunk: bytes) -> bytes:
        if pdfua and b"pdfaid:part" in chunk:
            chunk = chunk.replace(b"</rdf:RDF>", PDFUA_IN_PDFA + b"</rdf:RDF>", 1)
        return _DOCUMENT_ID.sub(stable, chunk)

    def finish(document: Any, pdf: Any) -> None:
        if print_ready is not None:
            print_ready.append(make_print_ready(pdf, palette(print_stylesheets)))
        if intent is not None:
            for entry in pdf.catalog.get("OutputIntents", []):
                entry["OutputConditionIdentifier"] = pydyf.String(intent.identifier)
                entry["RegistryName"] = pydyf.String(intent.registry)
                entry["Info"] = pydyf.String(intent.info)
        for obj in pdf.objects:  # the XMP packet, found once: not the pages' content streams
            chunks = getattr(obj, "stream", None)
            if getattr(obj, "extra", {}).get("Type") == "/Metadata" and isinstance(chunks, list):
                obj.stream = [xmp(c) if isinstance(c, bytes) else c for c in chunks]

    return finish


@dataclass(frozen=True)
class PlacedPicture:
    """A raster picture as laid out: where it came from and how large it is drawn."""

    src: str  # the <img> src, relative to the project
    page: int  # 1-based
    inches: tuple[float, float]  # drawn width and height
    pixels: tuple[int, int]


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    findings: tuple[Finding, ...]
    pictures: tuple[PlacedPicture, ...] = ()


def _placed_pictures(document: Any) -> tuple[PlacedPicture, ...]:
    """Every raster <img> of the laid-out document with its drawn size (object-fit
    applied), read from WeasyPrint's boxes before the PDF is written."""
    from weasyprint.images import RasterImage
    from weasyprint.layout.replaced import replacedbox_layout

    found = []
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants():
            image = getattr(box, "replacement", None)
            element = getattr(box, "element", None)
            if not isinstance(image, RasterImage) or element is None or not box.width:
                continue
            width, height, _, _ = replacedbox_layout(box)
            if width > 0 and height > 0:
                src = unquote(str(element.get("src") or ""))
                inches = (width / 96, height / 96)  # CSS pixels
                found.append(PlacedPicture(src, number, inches, (image.width, image.height)))
    return tuple(found)


def render_pdf(
    html: str,
    *,
    root: Path,
    stylesheets: list[Path],  # as styles/<name> of the project, wherever the file is
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
    print_ready: list[PrintReady] | None = [] if profile.print_ready else None
    sheets_text = (
        [project.located(s).read_text("utf-8") for s in stylesheets] if profile.print_ready else []
    )
    with _captured() as log, patched(epoch):
        try:
            css = []
            for sheet in stylesheets:
                before = len(log.records)
                css.append(
                    weasyprint.CSS(
                        url=stable_url(project.shown(sheet)),
                        url_fetcher=fetcher,
                        font_config=font_config,
                        color_profiles=color_profiles,
                    )
                )
                for record in log.records[before:]:  # what this stylesheet made WeasyPrint say
                    record.stylesheet = project.shown(sheet)
            document = weasyprint.HTML(string=html, base_url=BASE, url_fetcher=fetcher).render(
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
                finisher=_finisher(
                    identifier + profile.name.encode(),
                    intent,
                    print_ready=print_ready,
                    print_stylesheets=sheets_text,
                    pdfua=profile.pdfua,
                ),
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
        message = record.getMessage().replace(base, "").replace(BASE, "")
        if any(url.replace(base, "").replace(BASE, "") in message for url in fetcher.problems):
            continue  # already said, with the reason
        serious = record.levelno >= logging.ERROR or _FONT_FAILURE.search(message)
        make = error if serious else warning
        origin = getattr(record, "stylesheet", None)
        if origin is not None:  # "… at LINE:COLUMN" is a place in that stylesheet
            at = _AT_LINE.search(message)
            findings.append(make(str(origin), int(at.group(1)) if at else None, message))
        else:
            findings.append(make(shown_html, None, f"WeasyPrint ({profile.name}): {message}"))
    for done in print_ready or ():
        for rgb in sorted(done.unmatched):
            shown = "#{:02x}{:02x}{:02x}".format(*rgb)
            findings.append(
                warning(
                    shown_html,
                    None,
                    f"print edition: colour {shown} has no CMYK value in the print stylesheet "
                    "(a custom property with this value in report.css and a device-cmyk() one "
                    "in print.css); it was converted by formula",
                )
            )
    pages = len(document.pages) if document else 0
    pictures = _placed_pictures(document) if document else ()
    return Rendered(pdf=pdf, pages=pages, findings=tuple(findings), pictures=pictures)
