"""Shared fixtures: project paths, the reference data, and skip-or-fail for missing tools."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGIES = ROOT / "topologies"
IN_CI = bool(os.environ.get("CI"))


def unavailable(reason: str) -> None:
    """Skip where something the test needs is missing; fail instead under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this cannot be skipped)", pytrace=False)
    pytest.skip(reason)


def require_root() -> None:
    if os.geteuid() != 0:
        unavailable("needs root (network namespaces)")


def require_program(*names: str, package: str = "") -> None:
    missing = [n for n in names if shutil.which(n) is None and not Path(n).exists()]
    if missing:
        where = f" (Debian package {package})" if package else ""
        unavailable(f"needs {', '.join(missing)}{where}")


def find_reference() -> Path | None:
    candidates = [
        os.environ.get("MESHGEN_REFERENCE", ""),
        str(ROOT.parent / "shared" / "reference"),
        "/work/shared/reference",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference data (real Istio CRDs, chart values), read in place."""
    found = find_reference()
    if found is None:
        unavailable("reference data not found (set MESHGEN_REFERENCE to shared/reference)")
    assert found is not None
    return found


def write_tree(base: Path, tree: Mapping[str, str | bytes | Mapping]) -> None:  # type: ignore[type-arg]
    """Create files from a nested dict: names to text, bytes or further dicts."""
    for name, content in tree.items():
        path = base / name
        if isinstance(content, Mapping):
            path.mkdir(parents=True, exist_ok=True)
            write_tree(path, content)
        elif isinstance(content, bytes):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder (topologies/, output/) as the working directory."""
    (tmp_path / "topologies").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


SEED = TOPOLOGIES / "icp-iks-bookinfo.yaml"
