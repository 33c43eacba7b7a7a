"""Property tests: whatever an author writes into a content file, loading it either
succeeds or fails with findings that name a file; never anything else."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from reportpipe.content import load_report
from reportpipe.findings import InputError
from reportpipe.project import open_project

FILES = ("report.yaml", "scenarios.yaml", "pictures.yaml", "intro.md")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _load_or_findings(root: Path) -> None:
    try:
        load_report(open_project(root))
    except InputError as exc:
        assert exc.findings, "an InputError without findings"
        for finding in exc.findings:
            assert finding.path.startswith(("source", "styles")), finding
            assert finding.message


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(FILES[:3]), data=values)
def test_any_yaml_value_loads_or_is_reported(tmp_path: Path, name: str, data: object) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _load_or_findings(root)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(FILES), raw=st.binary(max_size=300))
def test_any_bytes_load_or_are_reported(tmp_path: Path, name: str, raw: bytes) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / name).write_bytes(raw)
    _load_or_findings(root)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(
        st.sampled_from([*"[]()<>!#*_`:/.- \nabcåäö\"'&;=", "http://", "javascript:", "mailto:"]),
        max_size=60,
    ).map("".join)
)
def test_any_markdown_loads_or_is_reported(tmp_path: Path, text: str) -> None:
    root = tmp_path / "p"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles", dirs_exist_ok=True)
    (root / "source" / "intro.md").write_text(text, "utf-8")
    _load_or_findings(root)
