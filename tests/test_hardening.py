"""Smaller guarantees of the hardening round: bounded work, plain content templates,
readable e-mail autolinks."""

from __future__ import annotations

import time

import pytest

from reportpipe.fields import fill, template_problem
from reportpipe.markdown import render_markdown
from reportpipe.timebound import DeepRecursionError, TookTooLongError, run_bounded


def _forever() -> None:
    while True:
        pass


def _deep(n: int = 0) -> int:
    return _deep(n + 1)


def test_bounded_work_returns_its_value_or_is_killed_at_the_deadline() -> None:
    assert run_bounded(lambda: {"a": (1, 2)}, 5) == {"a": (1, 2)}
    started = time.monotonic()
    with pytest.raises(TookTooLongError, match=r"took longer than 0\.5 s"):
        run_bounded(_forever, 0.5)
    assert time.monotonic() - started < 3
    with pytest.raises(DeepRecursionError):
        run_bounded(_deep, 5)


def test_content_templates_hold_plain_fields_only() -> None:
    fields = ("creator", "licence", "permission")
    assert template_problem("Bild: {creator}, {licence} {{x}}", fields) is None
    assert fill("Bild: {creator}, {licence} {{x}}", {"creator": "A", "licence": "CC0-1.0"}) == (
        "Bild: A, CC0-1.0 {x}"
    )
    assert fill("{creator}{permission}", {"creator": "A", "permission": None}) == "A"
    for bad in ("{creator.upper}", "{creator[0]}", "{creator!r}", "{creator:>9}", "{}", "{0}"):
        assert template_problem(bad, fields), bad


def test_e_mail_autolinks_keep_their_address() -> None:
    fragment = render_markdown(
        "# A\n\nSkriv till <registrator@umea.example>.\n",
        shown="s.md",
        resolve_image=lambda _: None,
    )
    assert not fragment.findings
    (link,) = fragment.links
    assert (link.url, link.text, link.line) == (
        "mailto:registrator@umea.example",
        "registrator@umea.example",
        3,
    )
