"""The Markdown stage: raw HTML policy, empty links, pictures relative to the file."""

from __future__ import annotations

from reportpipe.markdown import ResolvedImage, render_markdown


def _resolve(reference: str) -> ResolvedImage | None:
    if ".." in reference:
        return None
    return ResolvedImage(f"source/{reference}", reference, f"Bild: {reference}, CC0-1.0")


def test_raw_html_is_shown_as_text_never_interpreted() -> None:
    text = 'Före\n\n<script>alert(1)</script>\n\nInline <iframe src="file:///etc/passwd"></iframe> här.\n'
    fragment = render_markdown(text, shown="source/x.md", resolve_image=_resolve)
    assert "<script>" not in fragment.html and "<iframe" not in fragment.html
    assert "&lt;script&gt;" in fragment.html and "&lt;iframe" in fragment.html


def test_empty_link_becomes_plain_text_with_a_warning_at_its_line() -> None:
    text = "# Rubrik\n\nSe [bildspelet](#) och [tomt]().\n"
    fragment = render_markdown(text, shown="source/x.md", resolve_image=_resolve)
    assert "<a" not in fragment.html
    assert '<span class="link-without-target">bildspelet</span>' in fragment.html
    assert [str(f) for f in fragment.findings] == [
        "source/x.md:3: warning: link 'bildspelet' has no target; it is shown as plain text until one is given",
        "source/x.md:3: warning: link 'tomt' has no target; it is shown as plain text until one is given",
    ]


def test_pictures_resolve_relative_to_the_file_and_need_alt_text() -> None:
    text = "Text\n\n![En karta](images/karta.svg)\n\n![](../../etc/passwd)\n"
    fragment = render_markdown(text, shown="source/x.md", resolve_image=_resolve)
    assert (
        '<figure class="picture"><img alt="En karta" src="source/images/karta.svg">'
        '<figcaption class="credit" data-credit-for="images/karta.svg">'
        "Bild: images/karta.svg, CC0-1.0</figcaption></figure>"
    ) in fragment.html
    messages = [str(f) for f in fragment.findings]
    assert messages == [
        "source/x.md:5: error: picture '../../etc/passwd' is not a file inside the project; "
        "give a path relative to this Markdown file",
        "source/x.md:5: error: picture '../../etc/passwd' has no alternative text: ![text](../../etc/passwd)",
    ]


def test_headings_get_ids_and_start_at_level_two() -> None:
    fragment = render_markdown(
        "# Inledning\n\n## Frågor & svar\n", shown="s", resolve_image=_resolve
    )
    assert '<h2 id="inledning">Inledning</h2>' in fragment.html
    assert [(h.level, h.anchor, h.text) for h in fragment.headings] == [
        (2, "inledning", "Inledning"),
        (3, "fragor-svar", "Frågor & svar"),
    ]


def test_swedish_quotation_marks() -> None:
    fragment = render_markdown("Han sa \"hej\" och 'då'.", shown="s", resolve_image=_resolve)
    assert "”hej”" in fragment.html and "’då’" in fragment.html


def test_list_items_hold_no_paragraphs_for_pdf_ua() -> None:
    """Loose lists and footnotes give `<li><p>`, which WeasyPrint tags as a P inside LI:
    veraPDF fails PDF/UA-1 7.2-20 on it. The paragraphs become the item's own text."""
    text = "A claim.[^1]\n\n- loose one\n\n- loose *two*\n\n    second para\n\n[^1]: The note.\n"
    html = render_markdown(text, shown="x.md", resolve_image=lambda _: None).html
    assert "<p>" not in html.split("<ul>", 1)[1]
    assert "<li>loose one\n</li>" in html
    assert "<li>loose <em>two</em>\n<br>second para\n</li>" in html
    assert '<li id="fn-1">The note.&#160;<a class="footnote-backref"' in html
