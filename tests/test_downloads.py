"""meshgen verify with no flags: the Istio release each topology names (and the strongSwan
chart's values, and the Flux and Argo CD schemas of a topology delivered by GitOps) downloaded
once into the cache, checked by sha256 and reused; served here by a local HTTP server from the
reference files, read in place (the GitOps schemas at the paths the CRD catalogue gives them)."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.cli import main
from generator.inputs.settings import VerifySettings
from generator.verify.download import SUMS
from generator.verify.sources import (
    CRD_CATALOGUE_COMMIT,
    GITOPS_SCHEMAS,
    KNOWN_SHA256,
    catalogue_schemas,
)
from tests.helpers import (
    SEED,
    TOPOLOGIES,
    FileServer,
    catalogue_route,
    catalogue_url,
    edited,
    serve_folder,
)

CRDS = "istio-1.30.3/crd-all.gen.yaml"
GITOPS_TOPOLOGY = TOPOLOGIES / "gitops-bookinfo.yaml"
CATALOGUE = f"crds-catalog-{CRD_CATALOGUE_COMMIT[:12]}"
"""The cache folder of the downloaded GitOps schemas."""
HELM_RELEASE = "helm.toolkit.fluxcd.io_helmrelease_v2.json"


@pytest.fixture
def server(reference_dir: Path) -> Iterator[FileServer]:
    with serve_folder(reference_dir, slow_seconds=5) as served:
        yield served


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Downloads on, into a cache of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.delenv("MESHGEN_OFFLINE", raising=False)
    monkeypatch.delenv("MESHGEN_ISTIO_CRDS", raising=False)
    monkeypatch.delenv("MESHGEN_STRONGSWAN_VALUES", raising=False)
    monkeypatch.delenv("MESHGEN_GITOPS_SCHEMAS", raising=False)
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(folder))
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return folder


def _settings(project: Path, url: str, prefix: str = "", timeout: float = 10) -> None:
    (project / "meshgen.toml").write_text(
        "[verify]\n"
        f'istio-url = "{url}/{prefix}istio-{{version}}/{{file}}"\n'
        f'strongswan-url = "{url}/{prefix}iks-strongswan-{{version}}/values.yaml"\n'
        f"timeout = {timeout}\n")


@pytest.fixture
def built(seeded: Path) -> Path:
    assert main(["build", "-q"]) == 0
    return seeded


def test_downloaded_once_recorded_and_reused(built: Path, server: FileServer, cache: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url)
    assert main(["verify"]) == 0
    err = capsys.readouterr().err
    assert "verified" in err and "all pass" in err and "not checked: 0" not in err
    assert sorted(server.requests) == sorted([
        "/istio-1.30.3/crd-all.gen.yaml", "/istio-1.30.3/gateway-values.schema.json",
        "/istio-1.30.3/istiod-values.yaml", "/istio-1.30.3/base-values.yaml",
        "/iks-strongswan-2.10.7/values.yaml"])
    assert "downloaded istio-1.30.3/crd-all.gen.yaml" in err
    sums = (cache / "istio-1.30.3" / SUMS).read_text()
    assert f"{KNOWN_SHA256['1.30.3']['crd-all.gen.yaml']}  crd-all.gen.yaml\n" in sums
    # Every chart values file was checked: nothing was left out for want of defaults.
    assert "no defaults" not in err and "chart defaults" not in err

    server.requests.clear()
    assert main(["verify"]) == 0
    assert server.requests == []
    assert "downloading" not in capsys.readouterr().err
    assert main(["verify", "--offline"]) == 0


def test_offline_with_nothing_cached_names_what_to_pass(built: Path, cache: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["verify", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "istio-1.30.3/crd-all.gen.yaml is not in the cache" in err
    assert "--offline" in err and "pass --crds PATH" in err
    assert not cache.exists() or not any(cache.rglob("*.yaml"))


def test_a_404_is_a_clear_error(built: Path, server: FileServer, cache: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url, prefix="nowhere/")
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert "cannot download istio-1.30.3/crd-all.gen.yaml" in err
    assert "the server answered 404" in err and "--crds PATH" in err
    assert "Traceback" not in err


def test_a_connection_closed_early_caches_nothing(built: Path, server: FileServer,
                                                  cache: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url, prefix="truncated/")
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert "the connection closed after" in err and "before the whole file came" in err
    assert not (cache / CRDS).exists()


def test_a_truncated_file_sent_as_whole_fails_its_known_hash(
        built: Path, server: FileServer, cache: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url, prefix="short/")
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert "not the" in err and "(truncated or altered); nothing was cached" in err
    assert not (cache / CRDS).exists()


def test_a_cached_file_whose_hash_changed_is_fetched_again(
        built: Path, server: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url)
    assert main(["verify"]) == 0
    cached = cache / CRDS
    cached.write_bytes(cached.read_bytes()[:1000])
    capsys.readouterr()
    assert main(["verify", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "no longer has the sha256 recorded when it was downloaded" in err
    server.requests.clear()
    assert main(["verify"]) == 0
    assert "changed since it was downloaded; fetching it again" in capsys.readouterr().err
    assert server.requests == ["/istio-1.30.3/crd-all.gen.yaml"]
    assert cached.read_bytes() == (reference_dir / CRDS).read_bytes()


def test_a_server_that_does_not_answer_times_out(built: Path, server: FileServer, cache: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _settings(built, server.url, prefix="slow/", timeout=0.5)
    started = time.monotonic()
    assert main(["verify"]) == 2
    assert time.monotonic() - started < 5  # the server would answer after 5 s
    assert "no answer within 0.5 s" in capsys.readouterr().err


def test_each_topology_gets_its_own_release(project: Path, server: FileServer, cache: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # A release meshgen knows no hashes for is recorded on first download (served here from
    # the 1.30.3 files); the Istio 1.0 example is checked against the release meshgen targets.
    seed = SEED.read_text()
    (project / "topologies" / "older.yaml").write_text(edited(
        seed, ("name: icp-iks-bookinfo", "name: older"),
        ('version: "1.30.3"', 'version: "1.29.1"')))
    legacy = TOPOLOGIES / "icp-iks-istio-1-0.yaml"
    (project / "topologies" / legacy.name).write_text(legacy.read_text())
    (project / "meshgen.toml").write_text(
        "[verify]\n"
        f'istio-url = "{server.url}/istio-1.30.3/{{file}}"\n'
        f'strongswan-url = "{server.url}/iks-strongswan-{{version}}/values.yaml"\n')
    assert main(["build", "-q"]) == 0
    assert main(["verify"]) == 0
    err = capsys.readouterr().err
    assert "icp-iks-istio-1-0: Istio 1.0 published its CRDs without schemas" in err
    assert (cache / "istio-1.29.1" / "crd-all.gen.yaml").is_file()
    assert (cache / "istio-1.30.3" / "crd-all.gen.yaml").is_file()
    assert len([r for r in server.requests if r.endswith("crd-all.gen.yaml")]) == 2


def test_a_version_without_its_patch_release_cannot_be_downloaded(
        project: Path, server: FileServer, cache: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    (project / "topologies" / "lab.yaml").write_text(edited(
        SEED.read_text(), ('version: "1.30.3"', 'version: "1.30"')))
    _settings(project, server.url)
    assert main(["build", "-q"]) == 0
    assert main(["verify"]) == 2
    assert "write a patch release in istio.version (such as 1.30.0)" in \
        capsys.readouterr().err


# --- the Flux and Argo CD schemas -----------------------------------------------------------


@pytest.fixture
def catalogue(reference_dir: Path) -> Iterator[FileServer]:
    """The GitOps reference schemas at the catalogue's paths, nothing else."""
    with serve_folder(reference_dir / "gitops", slow_seconds=5, route=catalogue_route()) as served:
        yield served


@pytest.fixture
def gitops_built(project: Path) -> Path:
    """A project holding the topology delivered by Flux and Argo CD, built."""
    shutil.copy(GITOPS_TOPOLOGY, project / "topologies" / GITOPS_TOPOLOGY.name)
    assert main(["build", "-q"]) == 0
    return project


def _gitops_settings(project: Path, catalogue: FileServer, prefix: str = "",
                     timeout: float = 10, more: str = "") -> None:
    (project / "meshgen.toml").write_text(
        f'[verify]\ngitops-url = "{catalogue_url(catalogue, prefix)}"\ntimeout = {timeout}\n'
        + more)


def _given(reference_dir: Path) -> list[str]:
    """The options that give the Istio and strongSwan files: only the GitOps schemas are
    left to download."""
    return ["--crds", str(reference_dir / "istio-1.30.3"),
            "--strongswan-values", str(reference_dir / "iks-strongswan-2.10.7")]


def test_meshgen_asks_the_catalogue_at_the_pinned_commit() -> None:
    address = VerifySettings().gitops_url.format(
        commit=CRD_CATALOGUE_COMMIT, group="helm.toolkit.fluxcd.io", kind="helmrelease",
        version="v2")
    assert address == ("https://raw.githubusercontent.com/datreeio/CRDs-catalog/"
                       "d852d5d065244a6e82b2d94ede954e84489603c9/helm.toolkit.fluxcd.io/"
                       "helmrelease_v2.json")


def test_the_known_hashes_are_those_of_the_reference_schemas(reference_dir: Path) -> None:
    from generator.verify.gitops import schema_file_name

    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in (reference_dir / "gitops").glob("*.json")}
    assert {schema_file_name(*key): digest for key, digest in GITOPS_SCHEMAS.items()} == on_disk


def test_gitops_schemas_downloaded_once_only_those_needed_and_reused(
        gitops_built: Path, server: FileServer, catalogue: FileServer, cache: Path,
        reference_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _settings(gitops_built, server.url)
    with (gitops_built / "meshgen.toml").open("a") as settings:
        settings.write(f'gitops-url = "{catalogue_url(catalogue)}"\n')
    assert main(["verify"]) == 0
    err = capsys.readouterr().err
    assert "all pass" in err
    # The kinds the trees hold: no ApplicationSet, no OCIRepository.
    base = f"/datreeio/CRDs-catalog/{CRD_CATALOGUE_COMMIT}"
    assert sorted(catalogue.requests) == sorted(f"{base}/{path}" for path in [
        "argoproj.io/application_v1alpha1.json", "argoproj.io/appproject_v1alpha1.json",
        "helm.toolkit.fluxcd.io/helmrelease_v2.json",
        "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
        "source.toolkit.fluxcd.io/gitrepository_v1.json",
        "source.toolkit.fluxcd.io/helmrepository_v1.json"])
    folder = cache / CATALOGUE
    assert f"downloaded {CATALOGUE}/{HELM_RELEASE}" in err
    sums = (folder / SUMS).read_text()
    assert f"{GITOPS_SCHEMAS[('helm.toolkit.fluxcd.io/v2', 'HelmRelease')]}  {HELM_RELEASE}\n" \
        in sums
    assert len(sums.splitlines()) == 6
    for cached in folder.glob("*.json"):
        assert cached.read_bytes() == (reference_dir / "gitops" / cached.name).read_bytes()

    catalogue.requests.clear()
    assert main(["verify"]) == 0
    assert catalogue.requests == []
    assert main(["verify", "--offline"]) == 0

    # What the downloaded schemas check is checked: an unknown field is found.
    releases = gitops_built / "output" / "gitops-bookinfo" / "flux" / "icp" / "vpn" / \
        "releases.yaml"
    releases.write_text(releases.read_text().replace("targetPath:", "targetPaht:"))
    capsys.readouterr()
    assert main(["verify", "--offline"]) == 1
    assert "targetPaht" in capsys.readouterr().out


def test_no_gitops_delivery_downloads_no_gitops_schema(
        built: Path, server: FileServer, catalogue: FileServer, cache: Path) -> None:
    _settings(built, server.url)
    with (built / "meshgen.toml").open("a") as settings:
        settings.write(f'gitops-url = "{catalogue_url(catalogue)}"\n')
    assert main(["verify"]) == 0
    assert catalogue.requests == []
    assert not (cache / CATALOGUE).exists()


def test_a_given_gitops_folder_wins_over_the_download(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _gitops_settings(gitops_built, catalogue)
    given = _given(reference_dir)
    assert main(["verify", *given, "--gitops-schemas", str(reference_dir / "gitops")]) == 0
    monkeypatch.setenv("MESHGEN_GITOPS_SCHEMAS", str(reference_dir / "gitops"))
    assert main(["verify", *given]) == 0
    assert catalogue.requests == []
    assert not (cache / CATALOGUE).exists()


@pytest.mark.parametrize("how", ["option", "setting"])
def test_offline_without_the_gitops_schemas_names_the_flag(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str], how: str) -> None:
    _gitops_settings(gitops_built, catalogue, more="offline = true\n" if how == "setting"
                     else "")
    offline = ["--offline"] if how == "option" else []
    assert main(["verify", *_given(reference_dir), *offline]) == 2
    err = capsys.readouterr().err
    assert f"{CATALOGUE}/argoproj.io_appproject_v1alpha1.json is not in the cache" in err
    assert "pass --gitops-schemas DIR" in err and "MESHGEN_GITOPS_SCHEMAS" in err
    assert catalogue.requests == []


@pytest.mark.parametrize(("prefix", "says"), [
    ("nowhere/", "the server answered 404"),
    ("truncated/", "before the whole file came"),
    ("short/", "(truncated or altered); nothing was cached"),
])
def test_a_gitops_schema_that_does_not_come_whole_is_a_clear_error(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str], prefix: str, says: str) -> None:
    _gitops_settings(gitops_built, catalogue, prefix)
    assert main(["verify", *_given(reference_dir)]) == 2
    err = capsys.readouterr().err
    assert f"cannot download {CATALOGUE}/" in err or "not the" in err
    assert says in err and "pass --gitops-schemas DIR" in err
    assert "Traceback" not in err
    assert not any((cache / CATALOGUE).glob("*.json"))


def test_a_gitops_schema_at_another_commit_is_not_found(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The local catalogue serves the pinned commit alone: the address must carry it.
    (gitops_built / "meshgen.toml").write_text(
        f'[verify]\ngitops-url = "{catalogue.url}/datreeio/CRDs-catalog/main/{{group}}/'
        f'{{kind}}_{{version}}.json"\n')
    assert main(["verify", *_given(reference_dir)]) == 2
    assert "the server answered 404" in capsys.readouterr().err


def test_a_gitops_schema_server_that_does_not_answer_times_out(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _gitops_settings(gitops_built, catalogue, "slow/", timeout=0.5)
    started = time.monotonic()
    assert main(["verify", *_given(reference_dir)]) == 2
    assert time.monotonic() - started < 5  # the server would answer after 5 s
    err = capsys.readouterr().err
    assert "no answer within 0.5 s" in err and "pass --gitops-schemas DIR" in err


def test_a_cached_gitops_schema_whose_hash_changed_is_fetched_again(
        gitops_built: Path, catalogue: FileServer, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _gitops_settings(gitops_built, catalogue)
    given = _given(reference_dir)
    assert main(["verify", *given]) == 0
    cached = cache / CATALOGUE / HELM_RELEASE
    cached.write_bytes(cached.read_bytes()[:1000])
    capsys.readouterr()
    assert main(["verify", *given, "--offline"]) == 2
    err = capsys.readouterr().err
    assert "no longer has the sha256 recorded" in err and "--gitops-schemas DIR" in err
    catalogue.requests.clear()
    assert main(["verify", *given]) == 0
    assert catalogue.requests == [
        f"/datreeio/CRDs-catalog/{CRD_CATALOGUE_COMMIT}/helm.toolkit.fluxcd.io/helmrelease_v2.json"]
    assert cached.read_bytes() == (reference_dir / "gitops" / HELM_RELEASE).read_bytes()


def test_a_gitops_address_meshgen_cannot_fill_in_is_the_settings_mistake(
        gitops_built: Path, cache: Path, reference_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    (gitops_built / "meshgen.toml").write_text(
        '[verify]\ngitops-url = "http://127.0.0.1:9/{file}"\n')
    assert main(["verify", *_given(reference_dir)]) == 2
    err = capsys.readouterr().err
    assert "the [verify] setting gitops-url" in err and "{commit}, {group}" in err
    assert "Traceback" not in err


def test_an_object_of_a_kind_without_a_known_schema_is_reported_not_downloaded(
        tmp_path: Path, catalogue: FileServer) -> None:
    from generator.verify.download import Cache

    folder = catalogue_schemas([("source.toolkit.fluxcd.io/v1", "Bucket")],
                               Cache(tmp_path / "cache"), catalogue_url(catalogue))
    assert catalogue.requests == [] and not folder.exists()
