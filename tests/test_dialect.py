"""The Markdown dialect of issue 11: tables with captions, footnotes, definition lists,
a width on pictures, and a warning for what would otherwise print as raw text; and the
messages that lead to the fix (missing picture files, tabs in YAML, no lock)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from conftest import MakeProject, run_cli
from reportpipe.archive import lock_record
from reportpipe.findings import InputError
from reportpipe.markdown import ResolvedImage, render_markdown
from reportpipe.project import Project


def _resolve(reference: str) -> ResolvedImage | str | None:
    return ResolvedImage(f"source/{reference}", reference, f"Bild: {reference}, CC0-1.0")


def _render(text: str, prefix: str = "") -> tuple[str, list[str]]:
    fragment = render_markdown(
        text, shown="source/x.md", resolve_image=_resolve, footnote_prefix=prefix
    )
    return fragment.html, [str(f) for f in fragment.findings]


def test_pipe_table_with_caption_before_or_after() -> None:
    table = "| Grupp | Poäng |\n| --- | ---: |\n| A | 4 |\n"
    for text in (f"Table: Resultat\n\n{table}", f"{table}\nTable: Resultat\n"):
        html, findings = _render(text)
        assert html.startswith("<table>\n<caption>Resultat</caption><thead>")
        assert "<th>Grupp</th>" in html and '<td style="text-align: right;">4</td>' in html
        assert "Table:" not in html and findings == []


def test_a_paragraph_saying_table_elsewhere_stays_text() -> None:
    html, _ = _render("Table: inte en rubrik\n\nVanlig text.\n")
    assert "<p>Table: inte en rubrik</p>" in html and "<caption>" not in html


def test_footnotes_are_numbered_with_ids_per_chapter_and_link_back() -> None:
    html, findings = _render("Text[^a] och mer[^b].\n\n[^a]: Ett.\n[^b]: Två.\n", "intro")
    assert '<sup id="fnref-intro-a"><a class="footnote-ref" href="#fn-intro-a">1</a></sup>' in html
    assert '<sup id="fnref-intro-b"><a class="footnote-ref" href="#fn-intro-b">2</a></sup>' in html
    assert '<li id="fn-intro-a">' in html
    assert '<a class="footnote-backref" href="#fnref-intro-a" title="1">↑</a>' in html
    assert findings == []


def test_definition_lists() -> None:
    html, findings = _render("Begrepp\n:   Förklaringen.\n")
    assert html == "<dl>\n<dt>Begrepp</dt>\n<dd>Förklaringen.</dd>\n</dl>"
    assert findings == []


def test_a_picture_takes_a_width_and_nothing_else() -> None:
    html, findings = _render("![Ett foto](images/a.png){width=50%}\n")
    assert '<img alt="Ett foto" src="source/images/a.png" style="width: 50%">' in html
    assert findings == []
    html, findings = _render("![Ett foto](images/a.png){width=60mm}\n")
    assert 'style="width: 60mm"' in html
    html, findings = _render('![Ett foto](images/a.png){width="1px;position:fixed" onclick=x}\n')
    assert "style" not in html and "onclick" not in html
    assert findings == [
        "source/x.md:1: warning: picture width '1px;position:fixed' is not understood; write it "
        "as a share of the text width or a length, like {width=50%} or {width=60mm}",
        "source/x.md:1: warning: attribute 'onclick=x' is ignored: only pictures take "
        "attributes, and only a width, like ![text](images/photo.jpg){width=50%}",
    ]


def test_attributes_on_anything_but_a_picture_are_reported() -> None:
    html, findings = _render("# Rubrik {#egen .klass}\n")
    assert html == '<h2 id="rubrik">Rubrik</h2>'
    assert findings == [
        "source/x.md:1: warning: attribute 'id=egen' is ignored: only pictures take attributes, "
        "and only a width, like ![text](images/photo.jpg){width=50%}",
        "source/x.md:1: warning: attribute '.klass' is ignored: only pictures take attributes, "
        "and only a width, like ![text](images/photo.jpg){width=50%}",
    ]


def test_a_table_that_did_not_parse_is_reported_at_its_line() -> None:
    html, findings = _render("Text.\n\n| Grupp | Scenario |\n| A | Loket |\n")
    assert "<table>" not in html
    assert findings == [
        "source/x.md:3: warning: this looks like a table but is printed as text: a pipe table "
        "needs a header row, then a separator row like | --- | --- |, with no blank line "
        "between rows"
    ]


def test_raw_html_is_reported_at_its_line_and_stays_text() -> None:
    html, findings = _render("Text.\n\nHär är <b>fet</b> text.\n\n`<i>` i kod är kod.\n")
    assert "&lt;b&gt;fet&lt;/b&gt;" in html
    assert findings == [
        "source/x.md:3: warning: raw HTML <b> is not interpreted and is printed as text; "
        "write Markdown instead"
    ]


def test_a_misspelled_markdown_picture_is_missing_with_the_nearest_name(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {"source/intro.md": "# Inledning\n\nText.\n\n![Loket](images/lokett.svg)\n"}
    )
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert (
        "source/intro.md:5: error: picture file 'images/lokett.svg' is missing from source/; "
        "did you mean 'images/loket.svg'?"
    ) in result.err.splitlines()


def test_a_missing_picture_without_a_near_name_says_only_that(make_project: MakeProject) -> None:
    root = make_project({"source/intro.md": "# Inledning\n\n![Karta](kartor/region.png)\n"})
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert (
        "source/intro.md:3: error: picture file 'kartor/region.png' is missing from source/"
    ) in result.err.splitlines()


def test_a_tab_in_yaml_says_indent_with_spaces(make_project: MakeProject) -> None:
    root = make_project({})
    path = root / "source" / "report.yaml"
    path.write_text(path.read_text("utf-8").replace("  - intro.md", "\t- intro.md"), "utf-8")
    line = path.read_text("utf-8").splitlines().index("\t- intro.md") + 1
    result = run_cli("build", "--project", str(root))
    assert result.code == 2
    assert (
        f"source/report.yaml:{line}: error: YAML syntax: a tab where YAML expects spaces: "
        "indent with spaces, not tabs"
    ) in result.err.splitlines()
    assert "found character" not in result.err


def test_the_lock_is_the_projects_own_when_it_has_one(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_bytes(b"weasyprint==70.0\n")
    assert lock_record(Project(tmp_path), "1.0.0") == b"weasyprint==70.0\n"


def test_without_a_lock_the_installed_versions_are_recorded(tmp_path: Path) -> None:
    record = lock_record(Project(tmp_path), "2.0.0").decode()
    assert record.startswith("# The distributions installed when edition 2.0.0 was released")
    assert f"\nweasyprint=={metadata.version('weasyprint')}\n" in record.lower()


def test_a_release_that_cannot_record_the_versions_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metadata, "distributions", lambda: [])
    with pytest.raises(InputError) as caught:
        lock_record(Project(tmp_path), "1.0.0")
    assert [str(f) for f in caught.value.findings] == [
        "constraints.txt: error: cannot record the versions that build this edition: add a "
        "lock file to the project (pip freeze --exclude reportpipe > constraints.txt)"
    ]
