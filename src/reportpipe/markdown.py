"""Markdown to safe HTML fragments.

Raw HTML policy: authors write Markdown only. Raw HTML blocks and inline tags are not
interpreted; they come out as visible, escaped text, so nothing pasted from a web page
or an e-mail can script, embed or fetch anything.

Link policy: a link leads to the web (`https:`, `http:`), to an e-mail address
(`mailto:`) or to a place in the report (`#id`). Links to files or other schemes
(`javascript:`, `file:`, relative paths) are errors: in a PDF sent by e-mail they lead
nowhere or somewhere unsafe. Links with no target are rendered as plain text and
reported as warnings, since the editor has to supply the address.

Dialect: Python-Markdown with pipe tables (a paragraph `Table: caption` right before or
after a table becomes its caption), footnotes (`[^1]`, listed at the chapter's end and
linked both ways), definition lists and attributes on pictures (`{width=50%}`; nothing
else). What would otherwise come out as raw text (a table that did not parse, raw HTML,
attributes on anything but a picture) is reported as a warning at its line.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import markdown as md
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListTreeprocessor, get_attrs_and_remainder
from markdown.extensions.toc import slugify
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, ETX, STX

from reportpipe.findings import Finding, error, warning
from reportpipe.project import project_url


@dataclass(frozen=True)
class ResolvedImage:
    path: str  # project-relative
    key: str  # the name its credit is listed under
    credit: str | None  # the credit line to print under it, if it has one


#: Turns an image reference, as written in Markdown, into a project file, or None when
#: the reference does not name a file of the project, or a message saying what is wrong.
ImageResolver = Callable[[str], ResolvedImage | str | None]


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str
    line: int | None = None


@dataclass(frozen=True)
class ImageRef:
    written: str  # as in the Markdown
    path: str  # project-relative, as the resolver gave it
    key: str  # the name its credit is listed under
    line: int | None
    alt: str


@dataclass(frozen=True)
class LinkRef:
    url: str  # as written, stripped; "" or "#" for a link with no target
    text: str
    line: int | None


@dataclass(frozen=True)
class Fragment:
    html: str
    headings: tuple[Heading, ...]
    findings: tuple[Finding, ...]
    images: tuple[ImageRef, ...] = ()
    links: tuple[LinkRef, ...] = ()


LINK_SCHEMES = ("https://", "http://", "mailto:")


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return None if at < 0 else text.count("\n", 0, at) + 1


def _first_line(text: str, *needles: str) -> int | None:
    """The line of the first of `needles` found in `text` (tried in order)."""
    for needle in needles:
        if needle and (line := _line_of(text, needle)) is not None:
            return line
    return None


#: A character escaped with a backslash (`\*`), as Markdown keeps it until the end.
_ESCAPED = re.compile(f"{STX}([0-9]+){ETX}")


def _plain(text: str) -> str:
    """Text as written: Markdown hides e-mail autolinks (<a@b.se>) behind character
    references with a placeholder for "&", and escaped characters behind numbered
    markers; undo both so messages and checks see the text."""
    text = _ESCAPED.sub(lambda found: chr(int(found.group(1))), text)
    return unescape(text.replace(AMP_SUBSTITUTE, "&")) if AMP_SUBSTITUTE in text else text


_NESTING = re.compile(r"(?:[ \t]*(?:[-*+>]|\d{1,9}[.)])(?=[ \t]|$))+")


def deepest_line(text: str) -> int | None:
    """The line that nests most (list markers and quotes at its start, indentation)."""
    best, where = 0, None
    for number, line in enumerate(text.split("\n"), 1):
        match = _NESTING.match(line)
        depth = (len(line) - len(line.lstrip())) // 4
        if match:
            depth += len(re.findall(r"[-*+>]|\d+[.)]", match.group()))
        if depth > best:
            best, where = depth, number
    return where


#: Lists and quotes nested deeper than this are refused: no report needs them, and
#: WeasyPrint's layout recurses once per level.
MAX_NESTING = 20
_NESTERS = frozenset({"ul", "ol", "blockquote"})


def _nesting(element: ET.Element) -> int:
    """How deeply lists and quotes nest in `element` (iteratively: no recursion)."""
    deepest = 0
    stack = [(element, 0)]
    while stack:
        node, depth = stack.pop()
        depth += node.tag in _NESTERS
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in node)
    return deepest


class _References(Treeprocessor):
    """Resolves image sources and checks link targets, collecting findings."""

    def __init__(self, parser: md.Markdown, text: str, shown: str, resolve: ImageResolver):
        super().__init__(parser)
        self.text, self.shown, self.resolve = text, shown, resolve
        self.findings: list[Finding] = []
        self.images: list[ImageRef] = []
        self.links: list[LinkRef] = []

    def run(self, root: ET.Element) -> None:
        if (depth := _nesting(root)) > MAX_NESTING:
            self.findings.append(
                error(
                    self.shown,
                    deepest_line(self.text),
                    f"lists or quotes nested {depth} levels deep; the limit is {MAX_NESTING}",
                )
            )
            root.clear()  # nothing of it is rendered
            return
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "img":
                    self._image(parent, child)
                elif child.tag == "a":
                    self._link(child)
                elif child.tag == "table":
                    self._caption_table(parent, child)
        for item in root.iter("li"):
            _unwrap_paragraphs(item)
        self._raw_leftovers(root)

    def _caption_table(self, parent: ET.Element, table: ET.Element) -> None:
        """A paragraph `Table: …` right before or after a table becomes its caption."""
        children = list(parent)
        at = children.index(table)
        for near in (children[at - 1 : at], children[at + 1 : at + 2]):
            for p in near:
                text = "".join(p.itertext())
                if p.tag == "p" and _CAPTION.match(text):
                    caption = ET.Element("caption")
                    caption.text, caption[:] = p.text, list(p)
                    caption.text = _CAPTION.sub("", caption.text or "", count=1)
                    parent.remove(p)
                    table.insert(0, caption)
                    return

    def _raw_leftovers(self, root: ET.Element) -> None:
        """Warn about Markdown the dialect does not know, which would print as raw text."""
        for p in root.iter("p"):
            text = "".join(p.itertext())
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if len(lines) >= 2 and sum(line.startswith("|") for line in lines) >= 2:
                self.findings.append(
                    warning(
                        self.shown,
                        _line_of(self.text, lines[0]),
                        "this looks like a table but is printed as text: a pipe table needs "
                        "a header row, then a separator row like | --- | --- |, with no "
                        "blank line between rows",
                    )
                )
        for element in root.iter():
            if element.tag in ("code", "pre"):
                continue
            for piece in (element.text, element.tail):
                for tag in _RAW_HTML.findall(piece or ""):
                    self.findings.append(
                        warning(
                            self.shown,
                            _line_of(self.text, tag),
                            f"raw HTML {tag} is not interpreted and is printed as text; "
                            "write Markdown instead",
                        )
                    )

    def _image(self, parent: ET.Element, img: ET.Element) -> None:
        src = img.get("src", "")
        alt = img.get("alt", "")
        line = _first_line(self.text, f"]({src}", f"](<{src}>", f"]: {src}", f"![{alt}]", src)
        resolved = self.resolve(src)
        if isinstance(resolved, str):
            self.findings.append(error(self.shown, line, resolved))
        elif resolved is None:
            self.findings.append(
                error(
                    self.shown,
                    line,
                    f"picture {src!r} is not a file inside the project; "
                    "give a path relative to this Markdown file",
                )
            )
        else:
            img.set("src", project_url(resolved.path))
            self.images.append(ImageRef(src, resolved.path, resolved.key, line, img.get("alt", "")))
            self._caption(parent, img, resolved)
        if not img.get("alt", "").strip():
            self.findings.append(
                error(self.shown, line, f"picture {src!r} has no alternative text: ![text]({src})")
            )

    @staticmethod
    def _caption(parent: ET.Element, img: ET.Element, resolved: ResolvedImage) -> None:
        """Print the credit under the picture: a picture alone in its paragraph becomes
        a figure with the credit as caption; a picture within text gets it after it."""
        if resolved.credit is None:
            return
        alone = parent.tag == "p" and len(parent) == 1 and not (parent.text or "").strip()
        alone = alone and not (img.tail or "").strip()
        credit = ET.Element("figcaption" if alone else "span")
        credit.set("class", "credit")
        credit.set("data-credit-for", resolved.key)
        credit.text = resolved.credit
        if alone:
            parent.tag = "figure"
            parent.set("class", "picture")
            parent.append(credit)
        else:
            credit.tail, img.tail = img.tail, None
            parent.insert(list(parent).index(img) + 1, credit)

    def _link(self, a: ET.Element) -> None:
        href = _plain(a.get("href") or "").strip()
        label = _plain("".join(a.itertext()))
        # inline [x](…), [x](<…>), reference [x][ref] with [ref]: …, autolink <…>
        line = (
            _first_line(
                self.text,
                f"]({href}",
                f"](<{href}>",
                f"<{href}>",
                f"<{href.removeprefix('mailto:')}>",
                f"]: {href}",
                f"]: <{href}>",
                f"[{label}]",
                href,
            )
            if href
            else _first_line(self.text, f"[{label}]", label)
        )
        self.links.append(LinkRef(href, label, line))
        if href.lower().startswith(LINK_SCHEMES) or (href.startswith("#") and len(href) > 1):
            return
        if href not in ("", "#"):
            self.findings.append(
                error(
                    self.shown,
                    line,
                    f"link {label!r} leads to {href!r}; a report link must be a web address "
                    "(https://…), an e-mail address (mailto:…) or a place in the report (#id)",
                )
            )
            a.set("href", "#")
            return
        self.findings.append(
            warning(
                self.shown,
                line,
                f"link {label!r} has no target; it is shown as plain text until one is given",
            )
        )
        a.tag = "span"
        a.attrib.clear()
        a.set("class", "link-without-target")


_CAPTION = re.compile(r"^\s*Table:\s*")
_RAW_HTML = re.compile(r"<[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")  # opening tags
#: A picture's width: a share of the text block or a length.
_WIDTH = re.compile(r"^\d{1,3}(\.\d{1,2})?(%|mm|cm)$")


class _PictureAttributes(AttrListTreeprocessor):
    """attr_list, restricted: `{width=…}` on pictures and nothing else (authors write
    content, not markup); everything else is dropped and reported."""

    def __init__(self, parser: md.Markdown, text: str, shown: str) -> None:
        super().__init__(parser)
        self.text, self.shown = text, shown
        self.findings: list[Finding] = []

    def assign_attrs(self, elem: ET.Element, attrs_string: str, *, strict: bool = False) -> str:
        attrs, remainder = get_attrs_and_remainder(attrs_string)
        if strict and remainder:
            return remainder
        line = _line_of(self.text, "{" + attrs_string) or _line_of(self.text, attrs_string)
        for key, value in attrs:
            if elem.tag == "img" and key == "width" and value and _WIDTH.match(value):
                elem.set("style", f"width: {value}")
            elif elem.tag == "img" and key == "width":
                self.findings.append(
                    warning(
                        self.shown,
                        line,
                        f"picture width {value!r} is not understood; write it as a share "
                        "of the text width or a length, like {width=50%} or {width=60mm}",
                    )
                )
            else:
                shown = key if value is None else f".{value}" if key == "." else f"{key}={value}"
                self.findings.append(
                    warning(
                        self.shown,
                        line,
                        f"attribute {shown!r} is ignored: only pictures take attributes, "
                        "and only a width, like ![text](images/photo.jpg){width=50%}",
                    )
                )
        return remainder


def _unwrap_paragraphs(item: ET.Element) -> None:
    """A list item's paragraphs (loose lists, footnotes) become its own text, a line
    break between two: WeasyPrint tags a paragraph inside a list item as a child of LI,
    where PDF/UA-1 (7.2, test 20: LI holds only Lbl and LBody) allows none."""
    paragraphs = [child for child in item if child.tag == "p"]
    for n, paragraph in enumerate(paragraphs):
        at = list(item).index(paragraph)
        inline = list(paragraph)
        if n and paragraph.text is not None:
            paragraph.text = paragraph.text.lstrip()
        if n:  # a line break where the paragraph began
            br = ET.Element("br")
            br.tail = paragraph.text
            inline.insert(0, br)
        elif at == 0:
            item.text = (item.text or "").strip() + (paragraph.text or "")
        else:
            previous = item[at - 1]
            previous.tail = (previous.tail or "") + (paragraph.text or "")
        if inline:
            inline[-1].tail = (inline[-1].tail or "") + (paragraph.tail or "")
        elif n == 0 and at == 0:
            item.text = (item.text or "") + (paragraph.tail or "")
        item.remove(paragraph)
        for offset, child in enumerate(inline):
            item.insert(at + offset, child)


class _Policy(Extension):
    def __init__(self, text: str, shown: str, resolve: ImageResolver) -> None:
        super().__init__()
        self.args = (text, shown, resolve)
        self.references: _References | None = None
        self.attributes: _PictureAttributes | None = None

    def extendMarkdown(self, parser: md.Markdown) -> None:  # noqa: N802 - Markdown's API
        parser.preprocessors.deregister("html_block")
        parser.inlinePatterns.deregister("html")
        text, shown, _ = self.args
        self.attributes = _PictureAttributes(parser, text, shown)
        parser.treeprocessors.register(self.attributes, "attr_list", 8)  # replaces attr_list
        self.references = _References(parser, *self.args)
        parser.treeprocessors.register(self.references, "reportpipe_references", 1)


_TAG = re.compile(r"<[^>]+>")


#: Quotation marks when the caller names none: Swedish, the first report's language.
SWEDISH_QUOTES = {
    "left-double-quote": "\u201d",  # Swedish uses ” … ” and ’ … ’
    "right-double-quote": "\u201d",
    "left-single-quote": "\u2019",
    "right-single-quote": "\u2019",
}


def render_markdown(
    text: str,
    *,
    shown: str,
    resolve_image: ImageResolver,
    heading_base: int = 2,
    quotes: dict[str, str] | None = None,
    footnote_prefix: str = "",
) -> Fragment:
    """Convert one Markdown document; `# Title` becomes `<h{heading_base}>`; straight
    quotes become the language's typographic ones (`quotes`, smarty's substitutions).
    Footnote ids are `fn-<footnote_prefix>-<n>`, so chapters' footnotes never share an id."""
    policy = _Policy(text, shown, resolve_image)
    converter = md.Markdown(
        extensions=[
            "toc",
            "sane_lists",
            "smarty",
            "tables",
            "def_list",
            "attr_list",
            "footnotes",
            policy,
        ],
        extension_configs={
            "footnotes": {
                "SEPARATOR": f"-{footnote_prefix}-" if footnote_prefix else "-",
                "BACKLINK_TEXT": "\u2191",  # ↑, a glyph the vendored fonts have
                "BACKLINK_TITLE": "%d",
            },
            # ASCII ids: PDF viewers mishandle named destinations with other characters.
            "toc": {"baselevel": heading_base, "slugify": slugify, "permalink": False},
            "smarty": {"substitutions": quotes or SWEDISH_QUOTES},
        },
        output_format="html",
    )
    html = converter.convert(text)
    headings = tuple(_flatten(getattr(converter, "toc_tokens", [])))
    references = policy.references
    findings = tuple(references.findings) if references else ()
    findings += tuple(policy.attributes.findings) if policy.attributes else ()
    images = tuple(references.images) if references else ()
    links = tuple(references.links) if references else ()
    headings = tuple(
        Heading(h.level, h.anchor, h.text, _heading_line(text, h.text)) for h in headings
    )
    return Fragment(html=html, headings=headings, findings=findings, images=images, links=links)


#: A document that sets up every extension and syntax a chapter can use: Python-Markdown
#: and the regular expression cache compile their patterns on first use.
_WARM_UP = """# Rubrik {#r}

Text med *betoning*, **stark**, `kod`, "citat"[^1] och [en länk](https://example.org).

- punkt

| a | b |
| - | - |
| 1 | 2 |

Term
: definition

> citat

![bild](bild.png)

[^1]: Fotnot.
"""


@functools.cache
def warm_up() -> None:
    """Convert a fixed document once in this process, so that processes forked from it
    (the time-bounded chapter conversions) find Python-Markdown's patterns compiled: a
    first conversion costs about 7 ms more than later ones, for every chapter."""
    render_markdown(_WARM_UP, shown="(warm-up)", resolve_image=lambda reference: None)


def _heading_line(text: str, heading: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#") and line.lstrip("#").strip() == heading:
            return number
    return None


def _flatten(tokens: list[dict[str, object]]) -> list[Heading]:
    out: list[Heading] = []
    for token in tokens:
        name = str(token["name"])
        out.append(
            Heading(int(str(token["level"])), str(token["id"]), unescape(_TAG.sub("", name)))
        )
        children = token.get("children")
        if isinstance(children, list):
            out.extend(_flatten(children))
    return out
