"""meshgen as a user gets it: the sdist and wheel that ``python -m build`` makes, installed with
pip into a fresh virtual environment (and with pipx), used in a new git repository outside this
checkout from ``init`` to ``verify``.

Building and installing need the packages meshgen depends on, from the package index as pip is
set up; the test extra brings ``build``, ``setuptools`` and ``pipx`` so the build runs without
an isolated environment of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from generator import __version__
from tests.helpers import (
    ROOT,
    SchemaStore,
    catalogue_route,
    catalogue_url,
    require_program,
    schema_errors,
    serve_folder,
    unavailable,
)

pytestmark = pytest.mark.slow

LIMIT = 900  # seconds for one install or build; only stops a hung child


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                              input=input_text, timeout=LIMIT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(args)} did not finish within {LIMIT} s")


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from a copy of the files git tracks (so the checkout is
    not written to) the way a release is: the sdist first, the wheel from the sdist."""
    require_program("git", package="git")
    source = tmp_path_factory.mktemp("source")
    tracked = _ok(_run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       ROOT)).stdout.split("\0")
    for name in filter(None, tracked):
        if name.startswith("output/") or not (ROOT / name).is_file():
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
              str(source)], source))
    return out


def test_every_package_is_packaged() -> None:
    """Each folder of generator/ with an __init__.py is listed in pyproject.toml (a quick
    check; the installed wheel below is the thorough one)."""
    from tests.helpers import TOML as tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "generator").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("meshgen-*.whl")
    return wheel


def test_the_wheel_and_sdist_carry_what_meshgen_reads(dist: Path) -> None:
    assert _wheel(dist).name == f"meshgen-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(_wheel(dist)).namelist())
    for needed in ("generator/schemas/topology.schema.json", "generator/catalog/bookinfo.yaml",
                   "generator/templates/apply.sh.j2", "generator/templates/new-topology.yaml.j2",
                   "generator/docs/builtin-mkdocs.yml", "generator/docs/meshgen.css"):
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(_wheel(dist)).read(entry_points).decode()
    assert "meshgen = generator.cli:main" in text
    assert "meshgen = generator.docs.plugin:MeshgenPlugin" in text
    (sdist,) = dist.glob("meshgen-*.tar.gz")
    assert sdist.name == f"meshgen-{__version__}.tar.gz"


@dataclass
class Installed:
    meshgen: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel in a fresh virtual environment, by pip."""
    venv = tmp_path_factory.mktemp("venv")
    _ok(_run([sys.executable, "-m", "venv", str(venv)], venv))
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                str(_wheel(dist))], venv)
    if pip.returncode != 0 and "Could not find a version" in pip.stderr + pip.stdout:
        unavailable(f"pip cannot reach the package index for meshgen's dependencies:\n"
                    f"{pip.stderr[-2000:]}")
    _ok(pip)
    cache = tmp_path_factory.mktemp("user-cache")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MESHGEN_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
               XDG_CACHE_HOME=str(cache), no_proxy="127.0.0.1", NO_COLOR="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    yield Installed(venv / "bin" / "meshgen", env)


def test_pipx_installs_the_wheel(dist: Path, tmp_path: Path) -> None:
    pipx = shutil.which("pipx") or str(Path(sys.executable).parent / "pipx")
    require_program(pipx, package="pipx (the test extra)")
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "home"),
           "PIPX_BIN_DIR": str(tmp_path / "bin"), "PIPX_MAN_DIR": str(tmp_path / "man")}
    _ok(_run([pipx, "install", str(_wheel(dist))], tmp_path, env))
    done = _ok(_run([str(tmp_path / "bin" / "meshgen"), "--version"], tmp_path, env))
    assert done.stdout.strip() == f"meshgen {__version__}"


def test_a_new_project_from_init_to_verify(installed: Installed, tmp_path: Path,
                                           reference_dir: Path, schemastore: SchemaStore
                                           ) -> None:
    repo = tmp_path / "infra"
    assert ROOT not in repo.parents
    _ok(_run(["git", "init", "-q", str(repo)], tmp_path))

    def meshgen(*args: str, cwd: Path = repo, code: int = 0, stdin: str | None = None
                ) -> subprocess.CompletedProcess[str]:
        done = _run([str(installed.meshgen), *args], cwd, installed.env, stdin)
        assert done.returncode == code, f"meshgen {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return done

    meshgen("init", "--name", "lab")
    topology = repo / "topologies" / "lab.yaml"
    assert topology.read_text().startswith(
        "# yaml-language-server: $schema=../schemas/topology.schema.json\n")
    assert "\napiVersion: meshgen/v1 " in topology.read_text()

    # An edit: a mistake first, then a third traffic stage and delivery by Flux too.
    text = topology.read_text()
    topology.write_text(text.replace("podCIDR: 172.30.0.0/16", "podCIDR: 10.1.0.0/16"))
    meshgen("validate", code=1)
    annotations = meshgen("validate", "--format", "github", code=1).stdout
    assert "::error file=topologies/lab.yaml,line=" in annotations
    assert "title=cidr-overlap::" in annotations
    sarif = json.loads(meshgen("validate", "--format", "sarif", code=1).stdout)
    assert not schema_errors(schemastore.validator(
        "https://json.schemastore.org/sarif-2.1.0.json"), sarif)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"cidr-overlap"}
    topology.write_text(text + "  - name: reviews-v3\n    routes:\n      reviews: v3\n"
                        "delivery:\n  gitops: [flux]\n"
                        "  repository: {url: https://git.example.com/infra.git}\n")
    assert "topologies/lab.yaml: valid" in meshgen("validate").stderr
    report = json.loads(meshgen("validate", "--format", "json").stdout)
    assert report == [{"file": "topologies/lab.yaml", "valid": True, "problems": []}]
    assert meshgen("validate", "--format", "github").stdout == ""
    piped = meshgen("validate", "-", stdin=topology.read_text())
    assert "<stdin>: valid" in piped.stderr

    meshgen("build")
    assert (repo / "output" / "lab" / "apply.sh").is_file()
    assert (repo / "output" / "lab" / "east" / "traffic" / "03-reviews-v3.yaml").is_file()
    assert (repo / "output" / "lab" / "flux" / "east" / "sync.yaml").is_file()
    meshgen("check")
    namespaces = repo / "output" / "lab" / "east" / "namespaces.yaml"
    namespaces.write_text(namespaces.read_text() + "# by hand\n")
    drift = meshgen("check", "--format", "github", code=1).stdout
    assert drift.startswith("::error file=output/lab/east/namespaces.yaml,title=output-drift::")
    meshgen("build", "-q")
    meshgen("check")

    # The git status shows only what a user commits: the record of the build is ignored.
    _ok(_run(["git", "add", "-A"], repo, installed.env))
    staged = _ok(_run(["git", "diff", "--cached", "--name-only"], repo, installed.env)).stdout
    assert ".meshgen" not in staged and "output/lab/apply.sh" in staged

    # The site, strict, without a mkdocs.yml; nothing written but site/ (which git ignores).
    meshgen("docs")
    assert "lab" in (repo / "site" / "topologies" / "lab.html").read_text()
    assert not (repo / "mkdocs.yml").exists() and not (repo / "docs").exists()

    # verify: downloaded from a local server once (the Flux schemas at the paths the CRD
    # catalogue gives them), then from the cache alone.
    with serve_folder(reference_dir, route=catalogue_route("gitops/")) as server:
        settings = repo / "meshgen.toml"
        settings.write_text(settings.read_text() + "\n[verify]\n"
                            f'istio-url = "{server.url}/istio-{{version}}/{{file}}"\n'
                            f'strongswan-url = "{server.url}/iks-strongswan-{{version}}/'
                            'values.yaml"\n'
                            f'gitops-url = "{catalogue_url(server)}"\n')
        first = meshgen("verify")
        assert "all pass" in first.stderr and "downloading" in first.stderr
        # Istio's four files, the chart's values and the schemas of the four Flux kinds.
        assert len(server.requests) == 9
        assert len([r for r in server.requests if "/CRDs-catalog/" in r]) == 4
    offline = meshgen("verify", "--offline")
    assert "all pass" in offline.stderr and "downloading" not in offline.stderr
    cached = Path(installed.env["XDG_CACHE_HOME"]) / "meshgen" / "schemas"
    assert (cached / "istio-1.30.3" / "SHA256SUMS").is_file()
    assert len(list(cached.glob("crds-catalog-*/*_v*.json"))) == 4

    # Completion scripts for the three shells.
    for shell in ("bash", "zsh", "fish"):
        assert "meshgen" in meshgen("completion", shell).stdout

    # From a subfolder, the project is found as git finds its repository.
    deep = repo / "docs-notes" / "deeper"
    deep.mkdir(parents=True)
    assert "../../topologies/lab.yaml: valid" in meshgen("validate", cwd=deep).stderr
    assert "../../output/ is up to date" in meshgen("check", cwd=deep).stderr

    # The CI workflow init wrote is one GitHub accepts.
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "meshgen.yml").read_text())
    assert not schema_errors(schemastore.validator(
        "https://json.schemastore.org/github-workflow.json"), workflow)
