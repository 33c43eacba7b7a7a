"""Text templates in content hold plain field names only; each refusal says why, and
filling never goes through `str.format`."""

from __future__ import annotations

import pytest

from reportpipe.fields import fill, template_problem

FIELDS = ("creator", "licence")
USE = "use {creator}, {licence}"


@pytest.mark.parametrize(
    "template", ["Bild: {creator}", "{creator}, {licence}", "{{lit}} {creator}", "", "no fields"]
)
def test_plain_templates_pass(template: str) -> None:
    assert template_problem(template, FIELDS) is None


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{x}", f"{{x}} is not a field of a picture; {USE}"),
        ("{}", f"{{}} is not a field of a picture; {USE}"),
        ("{creator.upper}", f"{{creator.upper}} is not a field of a picture; {USE}"),
        ("{creator[0]}", f"{{creator[0]}} is not a field of a picture; {USE}"),
        ("ok {creator} then {x}", f"{{x}} is not a field of a picture; {USE}"),
        # literal braces come out of the parser as pieces without a field: keep looking
        ("{{lit}} {x}", f"{{x}} is not a field of a picture; {USE}"),
        ("{{ {creator!r}", f"{{creator!r}}: conversions and format specs are not allowed; {USE}"),
        ("{creator!r}", f"{{creator!r}}: conversions and format specs are not allowed; {USE}"),
        ("{creator:>9}", f"{{creator:>9}}: conversions and format specs are not allowed; {USE}"),
        ("{licence!s:>3}", f"{{licence!s}}: conversions and format specs are not allowed; {USE}"),
        (
            "{",
            "Single '{' encountered in format string; write braces as {{ and }}, fields as "
            "{creator}, {licence}",
        ),
        (
            "a }",
            "Single '}' encountered in format string; write braces as {{ and }}, fields as "
            "{creator}, {licence}",
        ),
    ],
)
def test_each_refusal_says_why(template: str, problem: str) -> None:
    assert template_problem(template, FIELDS) == problem


def test_fill_replaces_fields_keeps_literals_and_gives_none_as_empty() -> None:
    values = {"creator": "Anna {x}", "licence": None}
    assert fill("Bild: {creator}, {licence}. {{x}}", values) == "Bild: Anna {x}, . {x}"
    assert fill("{licence}{creator}", {"creator": 0, "licence": 1.5}) == "1.50"
    assert fill("", values) == ""
