"""The words the tool itself prints into a report, per language.

A catalogue is a YAML file of the theme, `locales/<lang>.yaml`; the English one is the
reference that every other language must match key for key. A project's
`styles/locales/<lang>.yaml` overrides single strings (or adds a language) and wins key by
key. A key missing for the report's language is an error naming the key and the language,
never a silent fallback to another language. Placeholders are plain `{name}` fields: the
names the reference uses for that key, or `{name_lower}` for the same value in lower case;
no attribute access, indexing or format specs, so a catalogue cannot reach into Python.

Dates and numbers are formatted by Babel for the report's language.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import babel
import babel.dates
import babel.numbers

from reportpipe.findings import Finding, InputError, error
from reportpipe.project import THEME, Project
from reportpipe.yamlfile import LocatedDict, line_of, load_mapping

REFERENCE = "en"
LOWER = "_lower"


@dataclass(frozen=True)
class Catalogue:
    lang: str
    words: Mapping[str, str]
    where: Mapping[str, str] = field(default_factory=dict)  # key -> file it came from

    def __call__(self, key: str, /, **values: object) -> str:
        """The string `key` with its placeholders filled in."""
        if key not in self.words:
            raise KeyError(f"no string {key!r} in the {self.lang!r} catalogue")
        return fill(self.words[key], values)

    def css(self, key: str, /, **raw: str) -> str:
        """The string `key` as a CSS `content` value: its text as CSS strings, each
        placeholder replaced by the CSS given for it (e.g. page="counter(page)")."""
        parts = []
        for literal, name, _, _ in string.Formatter().parse(self.words[key]):
            if literal:
                parts.append(_css_string(literal))
            if name is not None:
                if name not in raw:
                    raise KeyError(f"placeholder {{{name}}} is not filled in here")
                parts.append(raw[name])
        return " ".join(parts) or '""'

    def date(self, value: dt.date) -> str:
        return babel.dates.format_date(value, format="long", locale=babel_locale(self.lang))

    def number(self, value: float) -> str:
        return babel.numbers.format_decimal(value, locale=babel_locale(self.lang))

    def quoted(self, text: str) -> str:
        return f"{self.words['quote_open']}{text}{self.words['quote_close']}"

    @property
    def smarty(self) -> dict[str, str]:
        """Python-Markdown's smarty substitutions for the language's quotation marks."""
        return {
            "left-double-quote": self.words["quote_open"],
            "right-double-quote": self.words["quote_close"],
            "left-single-quote": self.words["quote_inner_open"],
            "right-single-quote": self.words["quote_inner_close"],
        }


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + escaped.replace("\n", "\\a ") + '"'


def babel_locale(lang: str) -> babel.Locale:
    try:
        return babel.Locale.parse(lang.replace("-", "_"))
    except (ValueError, babel.UnknownLocaleError):
        return babel.Locale.parse(lang.split("-")[0])


def fields(template: str) -> list[str]:
    """The placeholder names of `template`; ValueError for anything but `{name}`."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}}}")
        names.append(name)
    return names


def fill(template: str, values: Mapping[str, object]) -> str:
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if name in values:
            out.append(str(values[name]))
        elif name.endswith(LOWER) and name.removesuffix(LOWER) in values:
            out.append(str(values[name.removesuffix(LOWER)]).lower())
        else:
            raise KeyError(f"placeholder {{{name}}} is not filled in here")
    return "".join(out)


def catalogue_files(project: Project, lang: str) -> list[Path]:
    """The catalogue files for `lang`, packaged theme first, the project's override last."""
    files = [THEME / "locales" / f"{lang}.yaml", project.styles / "locales" / f"{lang}.yaml"]
    return [f for f in files if f.exists() or f.is_symlink()]


def _read(project: Project, path: Path, findings: list[Finding]) -> LocatedDict | None:
    shown = project.shown(path)
    if project.inside(path) is None:
        findings.append(error(shown, None, "points outside the project; copy the file in"))
        return None
    try:
        return load_mapping(path, shown, roots=project.roots)
    except InputError as exc:
        findings.extend(exc.findings)
        return None


def load_catalogue(project: Project, lang: str, *, lang_at: tuple[str, int | None]) -> Catalogue:
    """The catalogue for `lang`, checked against the reference: every key present, no
    unknown key, only allowed placeholders. `lang_at` is where the language was asked
    for (file, line), for the message when there is no catalogue at all."""
    findings: list[Finding] = []
    reference_file = THEME / "locales" / f"{REFERENCE}.yaml"
    reference: LocatedDict = _read(project, reference_file, findings) or LocatedDict()
    files = catalogue_files(project, lang)
    if not files:
        raise InputError(
            [
                error(
                    *lang_at,
                    f"lang {lang!r}: the theme has no catalogue of its words for this "
                    f"language; add styles/locales/{lang}.yaml (a translation of "
                    f"{project.shown(reference_file)})",
                )
            ]
        )
    words: dict[str, str] = {}
    where: dict[str, str] = {}
    reported: set[str] = set()  # keys with a problem already said
    for path in files:
        data = _read(project, path, findings)
        if data is None:
            continue
        shown = project.shown(path)
        for key, value in data.items():
            line = line_of(data, (key,))
            reported.add(str(key))
            if key not in reference:
                findings.append(
                    error(shown, line, f"{key!r} is not a string of the theme; check its spelling")
                )
                continue
            if not isinstance(value, str) or not value:
                findings.append(error(shown, line, f"{key!r}: give a text"))
                continue
            allowed = set(fields(str(reference[key])))
            allowed |= {name + LOWER for name in allowed}
            try:
                unknown = [name for name in fields(value) if name not in allowed]
            except ValueError as exc:
                findings.append(
                    error(shown, line, f"{key!r}: {exc} is not allowed; write {{name}} only")
                )
                continue
            if unknown:
                known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
                findings.append(
                    error(
                        shown,
                        line,
                        f"{key!r}: {{{unknown[0]}}} is not filled in here (placeholders: {known})",
                    )
                )
                continue
            words[str(key)] = value
            where[str(key)] = shown
            reported.discard(str(key))
    for key in reference:
        if key not in words and key not in reported:
            findings.append(
                error(
                    project.shown(files[-1]),
                    None,
                    f"the {lang!r} catalogue has no string {key!r} (English: "
                    f"{reference[key]!r}); add it",
                )
            )
    if findings:
        raise InputError(findings)
    return Catalogue(lang, words, where)
