"""JSON Schemas of the content files, generated from the content model, so an editor
(VS Code's YAML extension, through `# yaml-language-server: $schema=…`) completes and
checks keys while the author writes. `nox -s schema` regenerates `schema/`; a test
fails when the committed files differ from what the model gives."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from reportpipe.checkconfig import ChecksConfig
from reportpipe.content import PicturesFile, ReportFile, ScenariosFile
from reportpipe.distribution import DistributionFile

#: schema/<name>.schema.json for source/<name>.yaml
MODELS: dict[str, type[BaseModel]] = {
    "report": ReportFile,
    "scenarios": ScenariosFile,
    "pictures": PicturesFile,
    "checks": ChecksConfig,
    "distribution": DistributionFile,
}


def schema_text(name: str) -> str:
    schema = MODELS[name].model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"reportpipe source/{name}.yaml",
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def schemas() -> dict[str, str]:
    """File name -> text of every schema."""
    return {f"{name}.schema.json": schema_text(name) for name in MODELS}


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
