"""A link to a file (`file:`, in any spelling or form) is refused at build time: exit 2,
the Markdown file and line named, nothing written."""

from __future__ import annotations

import pytest

from conftest import MakeProject, run_cli
from reportpipe.markdown import (
    Fragment,
    ImageRef,
    LinkRef,
    ResolvedImage,
    deepest_line,
    render_markdown,
)

RULE = (
    "a report link must be a web address (https://…), an e-mail address (mailto:…) or a "
    "place in the report (#id)"
)


def _resolve(reference: str) -> ResolvedImage | None:
    return None


@pytest.mark.parametrize(
    ("source", "href", "line"),
    [
        ("Se [planen](file:///etc/passwd).", "file:///etc/passwd", 3),
        ("Se [planen](FILE:///C:/plan.pdf).", "FILE:///C:/plan.pdf", 3),
        ("Se [planen](<file:plan.pdf>).", "file:plan.pdf", 3),
        # a reference link: the line where its address is written
        ("Se [planen][p].\n\n[p]: file:///srv/plan.pdf", "file:///srv/plan.pdf", 5),
        ("Se [planen](plan.pdf).", "plan.pdf", 3),
        ("Se [planen](javascript:alert(1)).", "javascript:alert(1)", 3),
        ("Se [planen](https:/example.se).", "https:/example.se", 3),
    ],
)
def test_a_link_that_is_not_web_mail_or_anchor_is_an_error_at_its_line(
    source: str, href: str, line: int
) -> None:
    fragment = render_markdown(
        f"# Rubrik\n\n{source}\n", shown="source/x.md", resolve_image=_resolve
    )
    assert [str(f) for f in fragment.findings] == [
        f"source/x.md:{line}: error: link 'planen' leads to {href!r}; {RULE}"
    ]
    assert 'href="#"' in fragment.html and "file:" not in fragment.html.lower()


@pytest.mark.parametrize(
    "href", ["https://example.se/", "HTTP://example.se/", "mailto:a@example.se", "#rubrik"]
)
def test_web_mail_and_anchor_links_pass(href: str) -> None:
    fragment = render_markdown(
        f"# Rubrik\n\n[planen]({href})\n", shown="source/x.md", resolve_image=_resolve
    )
    assert fragment.findings == ()
    assert f'href="{href}"' in fragment.html


def test_build_refuses_a_file_link_and_writes_nothing(make_project: MakeProject) -> None:
    intro = "# Inledning\n\nText.\n\nSe [den interna planen](file:///srv/plan.pdf) här.\n"
    root = make_project({"source/intro.md": intro})
    result = run_cli("build", "--project", str(root))
    assert result.code == 2, result.err
    assert (
        "source/intro.md:5: error: link 'den interna planen' leads to 'file:///srv/plan.pdf'; "
        f"{RULE}" in result.err.splitlines()
    )
    assert "Traceback" not in result.err
    assert not (root / "build").exists() or not list((root / "build").rglob("*.pdf"))


# --- Findings name the right line; pictures, captions, list items come out right ---


def _credited(reference: str) -> ResolvedImage:
    name = reference.rsplit("/", 1)[-1]
    return ResolvedImage(path=f"images/{name}", key=name, credit="Foto: K")


def _render(text: str) -> Fragment:
    return render_markdown(text, shown="s.md", resolve_image=_credited)


def _messages(fragment: Fragment) -> list[str]:
    return [str(f) for f in fragment.findings]


TABLE = "| A | B |\n| - | - |\n| 1 | 2 |"
TABLE_HTML = (
    "<thead>\n<tr>\n<th>A</th>\n<th>B</th>\n</tr>\n</thead>\n"
    "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>"
)
NOT_A_TABLE = (
    "this looks like a table but is printed as text: a pipe table needs a header row, "
    "then a separator row like | --- | --- |, with no blank line between rows"
)


def test_a_finding_on_the_first_line_is_reported_at_line_1() -> None:
    fragment = _render("| a |\n| b |")
    assert _messages(fragment) == [f"s.md:1: warning: {NOT_A_TABLE}"]


def test_a_finding_after_a_leading_blank_line_is_reported_at_line_2() -> None:
    fragment = _render("\n[a](plan.pdf)")
    assert [f.line for f in fragment.findings] == [2]
    assert fragment.links[0].line == 2


def test_two_lines_of_text_without_pipes_are_no_table_and_no_warning() -> None:
    fragment = _render("one\ntwo")
    assert fragment.findings == ()
    assert fragment.html == "<p>one\ntwo</p>"


def test_an_e_mail_autolink_is_checked_and_listed_as_written() -> None:
    fragment = _render("<a@b.se>")
    assert fragment.findings == ()
    assert fragment.links == (LinkRef(url="mailto:a@b.se", text="a@b.se", line=1),)


def test_headings_carry_the_line_they_are_written_on() -> None:
    fragment = _render("# A\n\ntext\n\n## B")
    assert [(h.level, h.anchor, h.text, h.line) for h in fragment.headings] == [
        (2, "a", "A", 1),
        (3, "b", "B", 5),
    ]


def test_resolved_pictures_are_listed_in_the_fragment() -> None:
    fragment = _render("Text.\n\n![a](pics/a.png)")
    assert fragment.images == (
        ImageRef(written="pics/a.png", path="images/a.png", key="a.png", line=3, alt="a"),
    )


# --- Table captions ---


def test_a_caption_paragraph_right_after_a_table_becomes_its_caption() -> None:
    fragment = _render(f"{TABLE}\n\nTable: Cap")
    assert fragment.html == f"<table>\n<caption>Cap</caption>{TABLE_HTML}"


def test_a_caption_paragraph_two_blocks_after_a_table_stays_a_paragraph() -> None:
    fragment = _render(f"{TABLE}\n\nText.\n\nTable: Cap")
    assert fragment.html == f"<table>\n{TABLE_HTML}\n<p>Text.</p>\n<p>Table: Cap</p>"


def test_a_heading_right_before_a_table_is_not_its_caption() -> None:
    fragment = _render(f"## Res\n\n{TABLE}")
    assert fragment.html == f'<h3 id="res">Res</h3>\n<table>\n{TABLE_HTML}'


# --- Pictures ---


def test_two_pictures_in_one_paragraph_get_their_credits_inline() -> None:
    fragment = _render("![a](a.png) ![b](b.png)")
    assert fragment.html == (
        '<p><img alt="a" src="images/a.png">'
        '<span class="credit" data-credit-for="a.png">Foto: K</span> '
        '<img alt="b" src="images/b.png">'
        '<span class="credit" data-credit-for="b.png">Foto: K</span></p>'
    )


def test_a_width_followed_by_a_stray_brace_is_still_applied() -> None:
    fragment = _render("![a](a.png){width=50%}}")
    assert fragment.findings == ()
    assert fragment.html == (
        '<p><img alt="a" src="images/a.png" style="width: 50%">'
        '<span class="credit" data-credit-for="a.png">Foto: K</span>}</p>'
    )


# --- Nesting ---


def _quotes(levels: int) -> str:
    return "Text.\n\n" + "> " * levels + "x\n"


def test_twenty_levels_of_quotes_are_allowed() -> None:
    fragment = _render(_quotes(20))
    assert fragment.findings == ()
    assert fragment.html.count("<blockquote>") == 20


def test_twenty_one_levels_of_quotes_are_refused_at_their_line() -> None:
    fragment = _render(_quotes(21))
    assert _messages(fragment) == [
        "s.md:3: error: lists or quotes nested 21 levels deep; the limit is 20"
    ]
    assert fragment.html == ""


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a\n- b\n", 2),
        ("- a\n        x", 2),  # eight spaces: two levels of indentation
        ("- - a\n         x", 1),  # nine spaces: still two levels, not deeper
        ("text\nmore", None),
    ],
)
def test_deepest_line_counts_markers_and_indentation(text: str, line: int | None) -> None:
    assert deepest_line(text) == line


# --- Paragraphs in list items become the item's own text ---


def test_a_loose_item_starting_with_emphasis_keeps_its_text() -> None:
    fragment = _render("- *a* and *b* end\n\n- c")
    assert fragment.html == ("<ul>\n<li><em>a</em> and <em>b</em> end\n</li>\n<li>c\n</li>\n</ul>")


def test_a_second_paragraph_starting_with_emphasis_follows_a_line_break() -> None:
    fragment = _render("- x\n\n    *y* z")
    assert fragment.html == "<ul>\n<li>x\n<br><em>y</em> z\n</li>\n</ul>"


def test_a_paragraph_after_a_quote_in_an_item_follows_the_quote() -> None:
    fragment = _render("- > q\n\n    para")
    assert fragment.html == ("<ul>\n<li>\n<blockquote>\n<p>q</p>\n</blockquote>\npara</li>\n</ul>")


def test_a_paragraph_with_emphasis_after_a_quote_in_an_item_follows_the_quote() -> None:
    fragment = _render("- > q\n\n    para *e* f\n\n- g")
    assert fragment.html == (
        "<ul>\n<li>\n<blockquote>\n<p>q</p>\n</blockquote>\npara <em>e</em> f\n</li>\n"
        "<li>g\n</li>\n</ul>"
    )


def test_a_spaced_out_width_is_reported_at_its_own_line() -> None:
    fragment = _render("Text.\n\n![a](a.png){ width=abc }\n\nEnd.\n\nEnd.\n")
    assert _messages(fragment) == [
        "s.md:3: warning: picture width 'abc' is not understood; write it as a share of "
        "the text width or a length, like {width=50%} or {width=60mm}"
    ]


def test_a_caption_between_a_first_table_and_a_paragraph_becomes_its_caption() -> None:
    fragment = _render(f"{TABLE}\n\nTable: Cap\n\nEnd.")
    assert fragment.html == f"<table>\n<caption>Cap</caption>{TABLE_HTML}\n<p>End.</p>"


def test_one_line_starting_with_a_pipe_is_no_table() -> None:
    fragment = _render("one\n| two")
    assert fragment.findings == ()


def test_raw_html_after_inline_code_is_still_reported() -> None:
    fragment = _render("`x`\n\nA <span> b")
    assert _messages(fragment) == [
        "s.md:3: warning: raw HTML <span> is not interpreted and is printed as text; "
        "write Markdown instead"
    ]


def test_a_picture_after_text_gets_its_credit_right_after_it() -> None:
    fragment = _render("Look ![a](a.png)")
    assert fragment.html == (
        '<p>Look <img alt="a" src="images/a.png">'
        '<span class="credit" data-credit-for="a.png">Foto: K</span></p>'
    )


def test_a_picture_within_text_gets_its_credit_right_after_it() -> None:
    fragment = _render("Look ![a](a.png) and *b*.")
    assert fragment.html == (
        '<p>Look <img alt="a" src="images/a.png">'
        '<span class="credit" data-credit-for="a.png">Foto: K</span> and <em>b</em>.</p>'
    )


def test_a_bare_hash_is_a_link_without_target() -> None:
    fragment = _render("[a](#)")
    assert _messages(fragment) == [
        "s.md:1: warning: link 'a' has no target; it is shown as plain text until one is given"
    ]
    assert fragment.html == '<p><span class="link-without-target">a</span></p>'


def test_a_one_letter_anchor_is_a_place_in_the_report() -> None:
    fragment = _render("[a](#b)")
    assert fragment.findings == ()
    assert fragment.html == '<p><a href="#b">a</a></p>'


def test_a_second_paragraph_with_two_inline_parts_keeps_their_order() -> None:
    fragment = _render("- x\n\n    *y* and *w* z")
    assert fragment.html == "<ul>\n<li>x\n<br><em>y</em> and <em>w</em> z\n</li>\n</ul>"


def test_a_heading_line_is_the_heading_not_a_paragraph_with_its_words() -> None:
    fragment = _render("A\n\n# A")
    assert [h.line for h in fragment.headings] == [3]


def test_an_escaped_character_in_a_link_label_is_shown_as_written() -> None:
    fragment = render_markdown(
        "# Rubrik\n\nSe [a \\*b](plan.pdf).\n", shown="source/x.md", resolve_image=_resolve
    )
    assert [str(f) for f in fragment.findings] == [
        f"source/x.md:3: error: link 'a *b' leads to 'plan.pdf'; {RULE}"
    ]
    assert [link.text for link in fragment.links] == ["a *b"]
