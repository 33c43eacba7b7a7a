"""The web edition of the shipped report: content, accessibility markup, self-containment."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import Built, MakeProject, run_cli
from pdfutil import page_texts, squash
from test_report_pdf import SEED_BULLETS, SEED_PARAGRAPHS, SEED_QUESTIONS


class _Page(HTMLParser):
    """The page's text (what a reader or screen reader gets) and every address it uses."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.addresses: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        if tag == "style":
            self._skip += 1
        if tag == "img":
            self.images.append(values)
        for name in ("src", "href"):
            if values.get(name):
                self.addresses.append(str(values[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _read(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    return page


@pytest.fixture(scope="module")
def web(built: Built) -> Path:
    return built.root / "build" / "web"


@pytest.fixture(scope="module")
def page(web: Path) -> _Page:
    return _read(web / "index.html")


def test_build_writes_the_web_edition_and_says_so(built: Built, web: Path) -> None:
    assert "wrote build/web/index.html" in built.result.out
    assert (web / "web.css").is_file()
    assert sorted(p.name for p in (web / "fonts").iterdir()) == [
        "SourceSans3-Bold.otf",
        "SourceSans3-Italic.otf",
        "SourceSans3-Regular.otf",
        "SourceSans3-SemiBold.otf",
    ]


def test_every_seed_phrase_of_the_pdf_is_in_the_web_edition(built: Built, page: _Page) -> None:
    pdf = squash("".join(page_texts(built.screen)))
    web = squash("".join(page.text))
    phrases = [squash(p) for p in SEED_BULLETS + SEED_QUESTIONS + SEED_PARAGRAPHS]
    in_pdf = [p for p in phrases if p in pdf]
    assert len(in_pdf) == len(phrases) > 70
    assert [p for p in in_pdf if p not in web] == []


def test_every_heading_of_the_pdf_outline_is_a_heading_of_the_page(built: Built, web: Path) -> None:
    from pdfutil import outline_titles

    html = (web / "index.html").read_text("utf-8")
    headings = {
        squash(re.sub(r"<[^>]+>", "", h))
        for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.S)
    }
    titles = [squash(t) for t in outline_titles(built.screen)]
    assert titles and [t for t in titles if t not in headings] == []


def test_language_skip_link_and_landmarks(page: _Page) -> None:
    tags = page.tags
    assert tags[0] == ("html", {"lang": "sv"})
    first_in_body = next(i for i, (t, _) in enumerate(tags) if t == "body") + 1
    assert tags[first_in_body] == ("a", {"class": "skip-link", "href": "#main"})
    assert "Hoppa till innehållet" in page.text
    names = [t for t, _ in tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert names.count(landmark) == 1, landmark
    assert ("main", {"id": "main", "tabindex": "-1"}) in tags
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in tags)


def test_pictures_have_alt_text_credits_and_are_beside_the_page(
    page: _Page, web: Path, built: Built
) -> None:
    assert len(page.images) == 8
    for image in page.images:
        assert image["alt"], image
        assert (web / str(image["src"])).read_bytes() == (
            built.root / "source" / str(image["src"]).removeprefix("pictures/")
        ).read_bytes()
    html = (web / "index.html").read_text("utf-8")
    assert html.count('data-credit-for="images/') == 16  # under each picture and in the table
    assert 'id="bildforteckning" data-picture-credits' in html
    assert 'id="om-rapporten"' in html and "Utgåva" in html


def test_the_cross_is_inline_svg_with_a_name_and_a_scoped_stylesheet(web: Path) -> None:
    html = (web / "index.html").read_text("utf-8")
    assert html.count("<svg") == 2
    assert 'role="img" aria-labelledby="cross-overview-title cross-overview-desc"' in html
    for style in re.findall(r"<style>(.*?)</style>", html, re.S):
        selectors = [
            s.strip() for rule in re.findall(r"([^{}]+)\{", style) for s in rule.split(",")
        ]
        assert selectors and all(s.startswith("svg.scenario-cross.") for s in selectors)


def test_no_address_leaves_the_folder(page: _Page, web: Path) -> None:
    for address in page.addresses:
        if address.startswith("#"):
            continue
        assert "://" not in address and not address.startswith(("/", "//")), address
        assert (web / address).is_file(), address
    css = (web / "web.css").read_text("utf-8")
    for url in re.findall(r"url\(([^)]+)\)", css):
        assert (web / url.strip("'\"")).is_file(), url
    text = (web / "index.html").read_text("utf-8") + css
    assert "@import" not in text and "<script" not in text


def test_only_the_web_edition(make_project: MakeProject) -> None:
    root = make_project({})
    result = run_cli("build", "--edition", "web", "--project", str(root))
    assert result.code == 0, result.err
    assert (root / "build" / "web" / "index.html").is_file()
    assert list((root / "build").glob("*.pdf")) == []
    assert "rendering" not in result.out


def test_a_stylesheet_asking_for_a_missing_font_stops_the_build(make_project: MakeProject) -> None:
    root = make_project(
        {"styles/web.css": "body { color: #111; }\n@font-face { src: url(fonts/none.woff2); }\n"}
    )
    result = run_cli("build", "--edition", "web", "--project", str(root))
    assert result.code == 2
    assert "styles/web.css:2: error: fonts/none.woff2: no such file in the theme" in result.err
    assert not (root / "build" / "web").exists()


def test_a_stylesheet_asking_for_the_web_is_refused(make_project: MakeProject) -> None:
    root = make_project({"styles/web.css": "@import url(https://example.org/x.css);\n"})
    result = run_cli("build", "--edition", "web", "--project", str(root))
    assert result.code == 2
    assert "styles/web.css:1: error: @import: the web edition has one stylesheet" in (result.err)


def test_a_picture_no_longer_used_leaves_the_web_folder(make_project: MakeProject) -> None:
    root = make_project({})
    assert run_cli("build", "--edition", "web", "--project", str(root)).code == 0
    stale = root / "build" / "web" / "pictures" / "images" / "old.svg"
    stale.write_text("<svg/>", encoding="utf-8")
    result = run_cli("build", "--edition", "web", "--force", "--project", str(root))
    assert result.code == 0, result.err
    assert not stale.exists()
    assert (root / "build" / "web" / "pictures" / "images" / "loket.svg").is_file()


def test_a_font_from_the_web_is_refused(make_project: MakeProject) -> None:
    root = make_project(
        {"styles/web.css": "@font-face { src: url(https://example.org/f.woff2); }\n"}
    )
    result = run_cli("build", "--edition", "web", "--project", str(root))
    assert result.code == 2
    assert (
        "styles/web.css:1: error: https://example.org/f.woff2: the web edition loads only files of the theme"
        in result.err
    )
