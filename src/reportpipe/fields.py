"""Text templates written in content (`credit_line: "Bild: {creator}"`): plain field
names in braces, nothing else.

`str.format` would let content reach Python attributes (`{creator.upper}` prints a
method and a memory address), index into values (`{creator[0]}`) or ask for a
1.5-gigabyte padding (`{creator:>1500000000}`). Here a template may hold only the
documented field names, with no attribute, index, conversion or format spec; `{{` and
`}}` give literal braces. Templates are checked when the content is loaded and filled
by this module, never by `str.format`.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping


def template_problem(template: str, allowed: Collection[str]) -> str | None:
    """Why `template` is not a plain field template over `allowed`, or None."""
    names = ", ".join("{" + name + "}" for name in allowed)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"{exc}; write braces as {{{{ and }}}}, fields as {names}"
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in allowed:
            shown = "{" + field + "}"
            return f"{shown} is not a field of a picture; use {names}"
        if conversion is not None or spec:
            extra = f"!{conversion}" if conversion is not None else f":{spec}"
            return f"{{{field}{extra}}}: conversions and format specs are not allowed; use {names}"
    return None


def fill(template: str, values: Mapping[str, object]) -> str:
    """The template with each field replaced by its value ("" for None); the template
    must have passed `template_problem`."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            value = values[field]
            out.append("" if value is None else str(value))
    return "".join(out)
