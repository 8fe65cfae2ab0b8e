"""meshgen docs in a project without a mkdocs.yml (the built-in configuration) and with one of
the project's own (the plugin adds the topology pages to it); --serve in both cases."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from generator.docs.command import BUILTIN
from generator.docs.offline_search import INDEX_SCRIPT, SHIM
from tests.helpers import ROOT, SEED, child_env, write_tree

PACKAGE_DOCS = ROOT / "generator" / "docs"


@pytest.fixture
def mesh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built project named "lab-mesh" with the seed topology and nothing else."""
    root = tmp_path / "lab-mesh"
    write_tree(root, {"topologies": {SEED.name: SEED.read_text()}})
    monkeypatch.chdir(root)
    assert main(["build", "-q"]) == 0
    return root


def test_the_built_in_configuration_is_meshgen_s_own_site(tmp_path: Path) -> None:
    builtin = yaml.safe_load((PACKAGE_DOCS / BUILTIN).read_text())
    own = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    for key in ("theme", "markdown_extensions", "validation", "use_directory_urls", "extra"):
        assert builtin[key] == own[key], key
    assert builtin["plugins"] == [p for p in own["plugins"]
                                  if not (isinstance(p, dict) and "meshgen" in p)]


def test_a_site_without_mkdocs_yml(mesh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (mesh / "sub").mkdir()
    import os

    os.chdir(mesh / "sub")
    assert main(["docs"]) == 0, capsys.readouterr().err
    site = mesh / "site"
    assert "site written to ../site/" in capsys.readouterr().err
    home = (site / "index.html").read_text()
    assert "<title>lab-mesh</title>" in home
    assert "topologies/icp-iks-bookinfo.html" in home
    assert (site / "topologies" / "icp-iks-bookinfo.html").is_file()
    assert (site / "reference" / "rules.html").is_file()
    assert (site / "assets" / "meshgen.css").read_text() == \
        (PACKAGE_DOCS / "meshgen.css").read_text()
    # Search works from disk as on meshgen's own site: the index and worker as scripts.
    assert (site / INDEX_SCRIPT).is_file() and (site / SHIM).is_file()
    assert SHIM in home
    # Nothing but the site was written into the project; no page asks for another host.
    assert sorted(p.name for p in mesh.iterdir()) == ["output", "site", "sub", "topologies"]
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis" not in text and "https://unpkg" not in text, page


def test_site_name_and_folder_come_from_the_settings(mesh: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (mesh / "meshgen.toml").write_text('site-name = "Lab mesh handbook"\nsite-dir = "public"\n')
    assert main(["docs"]) == 0, capsys.readouterr().err
    assert "<title>Lab mesh handbook</title>" in (mesh / "public" / "index.html").read_text()


def test_the_project_s_own_mkdocs_yml_gains_the_topology_pages(
        mesh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(mesh, {
        "mkdocs.yml": "site_name: Infra handbook\nnav:\n  - Home: index.md\n"
                      "  - Runbooks: runbooks.md\ntheme:\n  name: material\n  font: false\n",
        "docs": {"index.md": "# Infra\n\nOur handbook.\n", "runbooks.md": "# Runbooks\n"}})
    assert main(["docs"]) == 0, capsys.readouterr().err
    site = mesh / "site"
    home = (site / "index.html").read_text()
    assert "Our handbook." in home and "Runbooks" in home
    assert 'href="topologies/icp-iks-bookinfo/"' in home  # the nav's new section
    assert (site / "topologies" / "icp-iks-bookinfo" / "index.html").is_file()
    assert (site / "assets" / "meshgen.css").is_file()
    # A configuration that lists the plugin keeps it as configured (here: another folder).
    shutil.move(mesh / "topologies", mesh / "mesh")
    (mesh / "mkdocs.yml").write_text(
        "site_name: Infra handbook\nplugins:\n  - search\n  - meshgen:\n"
        "      topologies: mesh\n")
    (mesh / "meshgen.toml").write_text('topologies = "mesh"\n')
    assert main(["docs"]) == 0, capsys.readouterr().err
    assert (site / "topologies" / "icp-iks-bookinfo" / "index.html").is_file()


def test_strict_warnings_fail_the_build(mesh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (mesh / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Missing: missing.md\n")
    (mesh / "docs").mkdir()
    (mesh / "docs" / "index.md").write_text("# x\n")
    assert main(["docs"]) == 1
    assert "missing.md" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("own_config", [False, True])
def test_serve_in_both_cases(mesh: Path, own_config: bool) -> None:
    if own_config:
        write_tree(mesh, {"mkdocs.yml": "site_name: Handbook\n",
                          "docs": {"index.md": "# Handbook\n"}})
    address = f"127.0.0.1:{_free_port()}"
    page_path = "topologies/icp-iks-bookinfo" + ("/" if own_config else ".html")
    with subprocess.Popen([sys.executable, "-m", "generator", "docs", "--serve", "-a", address],
                          cwd=mesh, env=child_env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as server:
        try:
            page = ""
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(
                            f"http://{address}/{page_path}",
                            timeout=5) as response:
                        page = response.read().decode()
                        break
                except OSError:
                    time.sleep(0.5)
            stopped = server.poll() is not None and server.stderr is not None
            assert "icp-iks-bookinfo" in page, (
                server.stderr.read().decode() if stopped and server.stderr else
                "no page within 90 s")
        finally:
            server.terminate()
            server.wait(timeout=30)
