"""veraPDF through `reportpipe validate`: it passes the shipped editions and names the rule a
broken PDF breaks. The tests that start Java skip (saying why) where veraPDF cannot run;
`nox -s tests` installs what it needs. JVM starts are few: each costs seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from conftest import SLUG, VERSION, Built, MakeProject, override, run_cli
from reportpipe.validate import Job, ValidatorUnavailableError, toolchain, validate


def _unavailable() -> str | None:
    try:
        toolchain()
    except ValidatorUnavailableError as exc:
        return str(exc)
    return None


needs_verapdf = pytest.mark.skipif(
    _unavailable() is not None, reason=f"veraPDF cannot run here: {_unavailable()}"
)

PAGE = '<html lang="sv"><head><title>Prov</title></head><body><h1>Rubrik</h1><p>Text</p>'


def _pdf(folder: Path, name: str, body: str, variant: str | None = "pdf/ua-1") -> Path:
    path = folder / name
    html = weasyprint.HTML(string=PAGE + body + "</body></html>", base_url=f"{folder}/")
    html.write_pdf(path, pdf_variant=variant)
    return path


@needs_verapdf
def test_verapdf_passes_the_screen_edition_and_names_each_broken_rule(
    built: Built, tmp_path: Path
) -> None:
    Image.new("RGB", (40, 40), (200, 40, 40)).save(tmp_path / "bild.png")
    jobs = [
        Job(built.screen, "screen.pdf", "ua1"),
        Job(_pdf(tmp_path, "untagged.pdf", "", variant=None), "untagged.pdf", "ua1"),
        Job(_pdf(tmp_path, "no-alt.pdf", '<img src="bild.png">'), "no-alt.pdf", "ua1"),
        Job(_pdf(tmp_path, "skips.pdf", "<h3>Nivå tre</h3><p>x</p>"), "skips.pdf", "ua1"),
        Job(_pdf(tmp_path, "levels.pdf", "<h2>Nivå två</h2><p>x</p>"), "levels.pdf", "ua1"),
        Job(tmp_path / "bild.png", "bild.png", "ua1"),  # not a PDF at all
    ]
    result = validate(jobs, cache=tmp_path / "cache")
    assert result.validator.startswith("veraPDF 1.")
    verdicts = {v.job.shown: v for v in result.verdicts}
    assert verdicts["screen.pdf"].passed and verdicts["screen.pdf"].checks > 10_000
    assert verdicts["levels.pdf"].passed
    failed = {
        name: {(r.clause, r.test) for r in verdicts[name].failed}
        for name in ("untagged.pdf", "no-alt.pdf", "skips.pdf")
    }
    assert {("6.2", 1), ("7.1", 11)} <= failed["untagged.pdf"]  # not marked, no structure
    assert failed["no-alt.pdf"] == {("7.3", 1)}  # Figure without alternative text
    assert failed["skips.pdf"] == {("7.4.2", 1)}  # H1 then H3
    assert not result.passed
    assert verdicts["bild.png"].problem and not verdicts["bild.png"].passed
    messages = [str(f) for f in result.findings()]
    assert (
        "no-alt.pdf: error: PDF/UA-1 (ISO 14289-1:2014) clause 7.3, test 1 failed once: "
        "Figure tags shall include an alternative representation"
    ) in "\n".join(messages)
    assert any(m.startswith("bild.png: error: veraPDF could not validate it:") for m in messages)
    assert not any(m.startswith(("screen.pdf", "levels.pdf")) for m in messages)
    assert list((tmp_path / "cache").glob("*/Validate.class"))  # compiled once, kept


@needs_verapdf
def test_validate_command_fails_on_a_broken_template(make_project: MakeProject) -> None:
    root = make_project({})
    template = override(root, "templates/report.html.j2")
    text = template.read_text("utf-8")
    broken = text.replace(
        '<h2 id="innehall">{{ t("contents") }}</h2>', '<h3 id="innehall">{{ t("contents") }}</h3>'
    )
    assert broken != text
    template.write_text(broken, encoding="utf-8")
    assert run_cli("build", "--project", str(root), "--edition", "screen").code == 0
    result = run_cli("validate", "--project", str(root))
    assert result.code == 1, result.out + result.err
    shown = f"build/{SLUG}-{VERSION}.pdf"
    assert f"{shown}: error: PDF/UA-1 (ISO 14289-1:2014) clause 7.4.2, test 1 failed" in result.err
    assert f"validate: {shown} PDF/UA-1: FAIL (1 rule(s) of" in result.out
    assert "archive edition" in result.out  # not built, so not validated, and said so
    assert (root / "build" / "reports" / "validate.json").is_file()
    assert "Traceback" not in result.err


def test_validate_without_a_build_or_without_jaxb_exits_2(
    make_project: MakeProject, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project({})
    result = run_cli("validate", "--project", str(root))
    assert result.code == 2
    assert (
        f"build/{SLUG}-{VERSION}.pdf: error: not built: run `reportpipe build` first" in result.err
    )

    monkeypatch.setenv("REPORTPIPE_JAXB_DIR", str(root / "nowhere"))
    result = run_cli("validate", "--project", str(built.root))
    assert result.code == 2
    assert "validate: error: veraPDF cannot run:" in result.err
    assert "apt-get install openjdk-17-jdk-headless libjaxb-api-java libjaxb-java" in result.err
    assert "Traceback" not in result.err
