"""A link to a file (`file:`, in any spelling or form) is refused at build time: exit 2,
the Markdown file and line named, nothing written."""

from __future__ import annotations

import pytest

from conftest import MakeProject, run_cli
from reportpipe.markdown import ResolvedImage, render_markdown

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
