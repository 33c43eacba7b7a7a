"""Settings of the checks (`reportpipe check`), from source/checks.yaml.

Every exclusion carries a reason, and the checks print the reason each time an
exclusion is used, so what is skipped is always said.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reportpipe.content import Record, Text, load_model
from reportpipe.findings import Finding, InputError
from reportpipe.project import Project

CONFIG_FILE = "checks.yaml"


class LinkExclusion(Record):
    """Skip links whose URL starts with `url`, or whose text is `text`."""

    url: Text | None = None
    text: Text | None = None
    reason: Text


class LinksConfig(Record):
    timeout: Annotated[float, Field(gt=0, le=120)] = 10.0  # seconds for one request
    budget: Annotated[float, Field(gt=0, le=3600)] = 60.0  # seconds for all external links
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    backoff: Annotated[float, Field(ge=0, le=60)] = 0.5  # first wait; doubles each retry
    max_retry_after: Annotated[float, Field(ge=0, le=600)] = 30.0
    per_host: Annotated[int, Field(ge=1, le=32)] = 2  # requests at once to one host
    concurrency: Annotated[int, Field(ge=1, le=256)] = 32  # requests at once in all
    accept: tuple[int, ...] = (200, 203, 204, 206)
    cache_max_age: Annotated[float, Field(ge=0)] = 86400.0  # seconds; 0 turns caching off
    exclude: tuple[LinkExclusion, ...] = ()


class CreditExclusion(Record):
    """Accept a finding about one picture's field, for a stated reason."""

    picture: Text
    field: Text
    reason: Text


DEFAULT_LICENCES = (
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-3.0",
    "CC-BY-SA-3.0",
    "CC-PDDC",
    "OFL-1.1",
    "MIT",
    "Apache-2.0",
)


class CreditsConfig(Record):
    licences: tuple[Text, ...] = DEFAULT_LICENCES
    exclude: tuple[CreditExclusion, ...] = ()


class PreflightConfig(Record):
    min_print_dpi: Annotated[float, Field(gt=0)] = 300.0
    warn_screen_dpi: Annotated[float, Field(gt=0)] = 150.0
    max_screen_mb: Annotated[float, Field(gt=0)] = 5.0


class ChecksConfig(Record):
    links: LinksConfig = LinksConfig()
    credits: CreditsConfig = CreditsConfig()
    preflight: PreflightConfig = PreflightConfig()


def load_checks_config(project: Project) -> ChecksConfig:
    path = project.source / CONFIG_FILE
    if not path.exists():
        return ChecksConfig()
    findings: list[Finding] = []
    parsed = load_model(project, path, ChecksConfig, findings)
    if parsed is None:
        raise InputError(findings)
    return parsed.value
