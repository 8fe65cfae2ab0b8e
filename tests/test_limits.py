"""The limits on what one topology may make: the estimate they are checked on holds what the
targets really write, the largest benchmarks stay under them, and each is reported by name."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.synthetic import synthetic
from generator.api import render
from generator.catalog import catalogs
from generator.checks import limits, run_checks
from generator.model import Topology, build_model, linksets
from generator.rules import RULES
from generator.targets import runbook_steps
from tests.helpers import INLINE_APP, TOPOLOGIES, seed_data

LIMIT_RULES = ("limit-description", "limit-primaries", "limit-stages", "limit-links",
               "limit-files", "limit-steps", "limit-output-bytes")


def model(data: dict[str, Any]) -> Topology:
    return build_model(data, catalogs(), frozenset(), f"{data['name']}.yaml", "0" * 64)


def renamed(data: dict[str, Any], width: int = 57) -> dict[str, Any]:
    """``data`` with every cluster name made ``width`` characters long."""
    text = yaml.safe_dump(data, sort_keys=False)
    for name in sorted((c["name"] for c in data["clusters"]), reverse=True):
        text = text.replace(name, f"n{name}".ljust(width, "x"))
    renamed: dict[str, Any] = yaml.safe_load(text)
    return renamed


def with_istio(data: dict[str, Any], **istio: str) -> dict[str, Any]:
    data["istio"].update(istio)
    data["name"] += "-" + "-".join(istio.values()).replace(".", "")
    if istio.get("network") == "per-cluster":
        data["vpn"] = []
    return data


def long_strings() -> dict[str, Any]:
    """Every free string long, with the quotes that cost most to quote."""
    data = renamed(synthetic(6, 2, "mesh"), 63)
    data["name"] = "long-strings"
    data["description"] = "'" * 1000
    for cluster in data["clusters"]:
        cluster["context"] = "ctx-" + "y" * 240
    for link in data["vpn"]:
        link["ike"] = ",".join(["aes256gcm16-prfsha384-ecp384"] * 17)
        link["esp"] = ",".join(["aes256gcm16-ecp384"] * 25)
        link["psk"] = {"file": "keys/it's a 'key'" + "'" * 200}
    services = data["apps"][0]["services"]
    for service in services:
        for version in service["versions"]:
            version["image"] = "registry.example/" + "i" * 480
            version["env"] = {f"E{i}": "'v" * 500 for i in range(3)}
            version["emptyDirs"] = {"scratch": "/" + "'" * 900}
    match = {"headers": {"x-h" + "h" * 200: {"exact": "\"'" * 500}}, "uri": {"regex": "a" * 1000}}
    data["traffic"] = [
        {"name": f"s{i}", "description": "it's " * 200,
         "routes": {s["name"]: [{"match": match, "to": "v2"}, {"to": "v1"}] for s in services}}
        for i in range(10)]
    return data


def stubs_everywhere() -> dict[str, Any]:
    """Services called from every cluster and run in many: each stub names the clusters."""
    data = with_istio(synthetic(40, 1, "hub"), network="per-cluster")
    for service in data["apps"][0]["services"]:
        service["calls"] = sorted({*service["calls"], "c000-s0", "c001-s0"})
    placement = data["apps"][0]["placement"]
    for cluster in list(placement)[2:20]:
        placement[cluster] = [*placement[cluster], "c001-s0-v1"]
    return data


def many_stages() -> dict[str, Any]:
    data = synthetic(4, 4, "mesh")
    data["name"] = "many-stages"
    data["traffic"] = [{"name": f"st{i}", "description": "d" * 1000,
                        "routes": {"c000-s0": "v1"}} for i in range(100)]
    return data


def delivered(data: dict[str, Any], *controllers: str, long: bool = True) -> dict[str, Any]:
    """``data`` delivered by GitOps controllers too, from a repository with long names (or a
    usual one)."""
    data["name"] += "-" + "-".join(controllers)
    if "argocd" in controllers:  # Argo CD hands remotes the gateway's address from git
        data["istio"]["controlPlanePath"] = "eastwest-gateway"
        for k, cluster in enumerate(data["clusters"]):
            if cluster["role"] == "primary":
                cluster["eastWestGatewayIP"] = f"198.18.{k // 250}.{k % 250 + 1}"
    repository = ({"url": "https://git.example/" + "r" * 2000, "path": "p/" * 300 + "q",
                   "branch": "b" * 255} if long else
                  {"url": "https://github.com/example/mesh-fleet.git"})
    data["delivery"] = {"gitops": list(controllers), "repository": repository}
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def inline_app() -> dict[str, Any]:
    data = seed_data()
    data["name"] = "inline"
    data["apps"] = [INLINE_APP]
    data["traffic"] = []
    return data


SHAPES: dict[str, Callable[[], dict[str, Any]]] = {
    **{p.stem: functools.partial(read_yaml, p) for p in sorted(TOPOLOGIES.glob("*.yaml"))},
    "mesh-20": lambda: synthetic(20, 1, "mesh"),
    "mesh-20-long-file-name": lambda: {**synthetic(20, 1, "mesh"), "name": "m" * 63},
    "hub-30-five-primaries": lambda: synthetic(30, 5, "hub"),
    "mesh-12-all-primaries": lambda: synthetic(12, 12, "mesh"),
    "per-cluster-networks": lambda: with_istio(synthetic(12, 3, "hub"), network="per-cluster"),
    "istio-1-0": lambda: with_istio(synthetic(8, 1, "mesh"), version="1.0"),
    "long-names-mesh": lambda: renamed(synthetic(16, 1, "mesh")),
    "long-names-istio-1-0": lambda: with_istio(renamed(synthetic(10, 1, "mesh")), version="1.0"),
    "long-strings": long_strings,
    "stubs-everywhere": stubs_everywhere,
    "many-stages": many_stages,
    "inline-app": inline_app,
    "flux-mesh-10": lambda: delivered(synthetic(10, 1, "mesh"), "flux"),
    "argocd-hub-30-five-primaries": lambda: delivered(synthetic(30, 5, "hub"), "argocd"),
    "flux-and-argocd-long-names": lambda: delivered(renamed(synthetic(12, 4, "mesh")), "flux",
                                                    "argocd"),
    "flux-and-argocd-per-cluster": lambda: delivered(
        with_istio(synthetic(12, 3, "hub"), network="per-cluster"), "flux", "argocd"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_estimate_bounds_what_the_targets_write(shape: str) -> None:
    """The estimate never falls short of the output, and never overshoots by much: enough to
    trust a limit checked on it, close enough that real meshes keep their margin."""
    t = model(SHAPES[shape]())
    assert not [p for p in run_checks(t) if p.severity.value == "error"]
    tree = render(t)
    files, size = len(tree.files), sum(len(data) for data in tree.files.values())
    steps = len(runbook_steps(t))
    e = limits.estimate(t)
    assert files <= e.files <= 2 * files
    assert steps <= e.steps <= 2 * steps
    assert size <= e.bytes <= 2.5 * size


@pytest.mark.slow
@pytest.mark.parametrize(("clusters", "primaries", "vpn", "gitops"), [
    (100, 1, "mesh", False), (200, 1, "mesh", False), (200, 5, "hub", False),
    (200, 1, "mesh", True)])
def test_the_largest_benchmarks_stay_within_every_limit(clusters: int, primaries: int,
                                                        vpn: str, gitops: bool) -> None:
    """The 200-cluster full mesh (19,900 links, 160,415 files, 365 MiB when built) is what
    link sets will let a topology say in a few lines; it must stay valid, delivered by Flux
    and Argo CD too."""
    data = synthetic(clusters, primaries, vpn)
    if gitops:
        data = delivered(data, "flux", "argocd", long=False)
    t = model(data)
    assert [p.format() for p in run_checks(t)] == []
    e = limits.estimate(t)
    assert e.files < 0.7 * limits.MAX_FILES
    assert e.bytes < (0.9 if gitops else 0.75) * limits.MAX_OUTPUT_BYTES
    assert e.steps < 0.5 * limits.MAX_STEPS


@pytest.mark.slow
def test_too_many_files_is_refused_at_the_section_that_makes_them() -> None:
    """260 clusters in a full mesh written link by link (33,670 links)."""
    t = model(synthetic(260, 1, "mesh", sets=False))
    found = [(p.rule, p.path, p.on_key) for p in limits.output_within_limits(t)]
    assert found == [("limit-files", ("vpn",), True), ("limit-output-bytes", ("vpn",), True)]


def test_a_mesh_written_as_one_entry_is_refused_at_its_line(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A full mesh is one entry but every link it stands for is counted: a limit the links pass
    points at the set's line and names it."""
    monkeypatch.setattr(limits, "MAX_FILES", 10_000)
    data = synthetic(60, 1, "mesh")
    data["vpn"].insert(0, {"between": ["c000", "c001"], "psk": {"env": "FIRST_PSK"}})
    t = model(data)
    (problem,) = limits.output_within_limits(t)
    assert (problem.rule, problem.path, problem.on_key) == (
        "limit-files", ("vpn", 1, "fullMesh"), True)
    assert problem.message.endswith(
        "most of it comes from the VPN links (four files and a step for each end), and most "
        "of those from vpn[1] (full mesh of 60 clusters, 1,769 links)")


def test_a_set_past_the_most_links_is_not_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """260 clusters in a full mesh written as one entry: 33,670 links, more than meshgen makes;
    the set is refused at its line before one of them is made."""
    t = model(synthetic(260, 1, "mesh"))
    assert t.vpn == ()
    (problem,) = limits.links_within_limit(t)
    assert (problem.rule, problem.path) == ("limit-links", ("vpn", 0, "fullMesh"))
    assert "33,670 links" in problem.message
    assert list(limits.output_within_limits(t)) == []


def test_the_check_reads_the_model_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is rendered to tell that a topology makes too much."""
    def no_rendering(*_args: object) -> None:
        raise AssertionError("rendered")

    monkeypatch.setattr("generator.api.render", no_rendering)
    monkeypatch.setattr("generator.targets.render_artifacts", no_rendering)
    t = model(many_stages())
    assert limits.estimate(t).files > 0
    assert list(limits.output_within_limits(t)) == []


@pytest.mark.parametrize("rule", LIMIT_RULES)
def test_each_limit_is_in_the_rules_reference_with_its_value(rule: str) -> None:
    assert RULES[rule].stage == "check"
    values = {"limit-description": f"{limits.MAX_DESCRIPTION:,}",
              "limit-primaries": f"{limits.MAX_PRIMARIES}",
              "limit-stages": f"{limits.MAX_STAGES}",
              "limit-links": f"{linksets.MAX_LINKS:,}",
              "limit-files": f"{limits.MAX_FILES:,}",
              "limit-steps": f"{limits.MAX_STEPS:,}",
              "limit-output-bytes": f"{limits.MAX_OUTPUT_BYTES // 2**20} MiB"}
    assert values[rule] in RULES[rule].meaning


def test_a_long_description_is_refused_wherever_it_is(tmp_path: Path) -> None:
    data = seed_data()
    long = "x" * (limits.MAX_DESCRIPTION + 1)
    data["description"] = long
    data["clusters"][1]["description"] = long
    data["traffic"][0]["description"] = "x" * limits.MAX_DESCRIPTION  # at the limit: fine
    found = [(p.rule, p.path) for p in limits.descriptions_short(model(data))]
    assert found == [("limit-description", ("description",)),
                     ("limit-description", ("clusters", 1, "description"))]

