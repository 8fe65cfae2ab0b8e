"""meshgen verify with no flags: the Istio release each topology names (and the strongSwan
chart's values) downloaded once into the cache, checked by sha256 and reused; served here by a
local HTTP server from the reference files, read in place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.cli import main
from generator.verify.download import SUMS
from generator.verify.sources import KNOWN_SHA256
from tests.helpers import SEED, TOPOLOGIES, FileServer, edited, serve_folder

CRDS = "istio-1.30.3/crd-all.gen.yaml"


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
