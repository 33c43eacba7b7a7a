"""The committed JSON Schemas (schema/) are what the content model gives: a model field
changed without `nox -s schema` fails here."""

from __future__ import annotations

import json

from conftest import REPO
from reportpipe.schema import MODELS, schemas


def test_committed_schemas_are_current() -> None:
    committed = {p.name: p.read_text("utf-8") for p in (REPO / "schema").glob("*.json")}
    assert committed == schemas(), "the model changed: run `nox -s schema` and commit schema/"


def test_schemas_describe_the_keys_authors_write() -> None:
    report = json.loads(schemas()["report.schema.json"])
    assert report["additionalProperties"] is False  # a misspelt key is flagged in the editor
    assert {"slug", "lang", "title", "editions"} <= set(report["properties"])
    assert set(report["required"]) >= {"slug", "lang", "title", "editions"}
    scenarios = json.loads(schemas()["scenarios.schema.json"])
    place = scenarios["$defs"]["Scenario"]["properties"]["place"]
    assert place["enum"] == [
        "top-left",
        "top-right",
        "bottom-left",
        "bottom-right",
        "center",
        "outside",
    ]
    assert set(MODELS) == {"report", "scenarios", "pictures", "checks", "distribution"}
