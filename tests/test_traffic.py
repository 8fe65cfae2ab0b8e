"""Traffic: DestinationRules per deployed version and one VirtualService file per stage, on
the clusters that hold Istio config; the seed's stages are Istio's Bookinfo samples."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.artifacts import Kind
from generator.model import Topology
from generator.targets import apps, traffic
from generator.targets.base import Phase
from tests.helpers import INLINE_APP, model_of, seed, seed_data


def files_of(t: Topology) -> dict[str, list[dict[str, Any]]]:
    return {a.path: list(yaml.safe_load_all(a.text)) for a in traffic.artifacts(t)}


def route_to(host: str, subset: str, weight: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"destination": {"host": host, "subset": subset}}
    if weight is not None:
        entry["weight"] = weight
    return entry


def virtual_service(host: str, http: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": host},
        "spec": {"hosts": [host], "http": http},
    }


# Istio's samples/bookinfo/networking files, written out from their documented content.
VIRTUAL_SERVICE_ALL_V1 = [
    virtual_service(host, [{"route": [route_to(host, "v1")]}])
    for host in ("productpage", "reviews", "ratings", "details")
]
VIRTUAL_SERVICE_REVIEWS_JASON_V2_V3 = [
    virtual_service("reviews", [
        {"match": [{"headers": {"end-user": {"exact": "jason"}}}],
         "route": [route_to("reviews", "v2")]},
        {"route": [route_to("reviews", "v3")]},
    ]),
]
VIRTUAL_SERVICE_REVIEWS_50_V3 = [
    virtual_service("reviews", [
        {"route": [route_to("reviews", "v1", 50), route_to("reviews", "v3", 50)]},
    ]),
]


def without_namespace(documents: list[dict[str, Any]], namespace: str = "default"
                      ) -> dict[str, dict[str, Any]]:
    """Objects by name, each checked to carry the app's namespace, which is then dropped (the
    samples are applied to the current namespace and don't name one)."""
    out = {}
    for document in documents:
        document = copy.deepcopy(document)
        assert document["metadata"].pop("namespace") == namespace
        out[document["metadata"]["name"]] = document
    return out


def test_seed_stages_reproduce_the_istio_samples() -> None:
    files = files_of(seed())
    expected = {
        "icp/traffic/01-all-v1.yaml": VIRTUAL_SERVICE_ALL_V1,
        "icp/traffic/02-reviews-jason-v2-v3.yaml": VIRTUAL_SERVICE_REVIEWS_JASON_V2_V3,
        "icp/traffic/03-reviews-50-v3.yaml": VIRTUAL_SERVICE_REVIEWS_50_V3,
    }
    for path, sample in expected.items():
        assert without_namespace(files[path]) == {d["metadata"]["name"]: d for d in sample}


def test_destination_rules_have_a_subset_per_deployed_version() -> None:
    rules = without_namespace(files_of(seed())["icp/traffic/destination-rules.yaml"])
    subsets = {name: [s["name"] for s in r["spec"]["subsets"]] for name, r in rules.items()}
    assert subsets == {"details": ["v1"], "ratings": ["v1"], "reviews": ["v1", "v2", "v3"],
                       "productpage": ["v1"]}
    assert rules["reviews"] == {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "reviews"},
        "spec": {"host": "reviews", "subsets": [
            {"name": v, "labels": {"version": v}} for v in ("v1", "v2", "v3")]},
    }


def test_versions_placed_nowhere_get_no_subset(tmp_path: Path) -> None:
    data = seed_data()
    app = copy.deepcopy(INLINE_APP)
    app["services"].append({"name": "admin", "ports": [{"port": 8000}],
                            "versions": [{"name": "v1", "image": "example.org/admin:1"}]})
    app["placement"] = {"icp": ["cart-v2"], "iks": ["web-v1"]}
    data["apps"] = [app]
    data["traffic"] = [{"name": "cart-v2", "routes": {"cart": "v2"}}]
    rules = without_namespace(
        files_of(model_of(tmp_path, data))["icp/traffic/destination-rules.yaml"], "shop")
    # cart v1 runs nowhere; admin not at all.
    assert {n: [s["name"] for s in r["spec"]["subsets"]] for n, r in rules.items()} == {
        "web": ["v1"], "cart": ["v2"]}


def test_only_config_clusters_hold_traffic(tmp_path: Path) -> None:
    assert {p.split("/")[0] for p in files_of(seed())} == {"icp"}
    data = seed_data()
    data["istio"]["model"] = "multi-primary"
    data["clusters"][1]["role"] = "primary"
    files = files_of(model_of(tmp_path, data))
    for cluster in ("icp", "iks"):
        assert sorted(p for p in files if p.startswith(f"{cluster}/")) == [
            f"{cluster}/traffic/01-all-v1.yaml",
            f"{cluster}/traffic/02-reviews-jason-v2-v3.yaml",
            f"{cluster}/traffic/03-reviews-50-v3.yaml",
            f"{cluster}/traffic/destination-rules.yaml",
        ]
        assert files[f"{cluster}/traffic/02-reviews-jason-v2-v3.yaml"] == \
            files["icp/traffic/02-reviews-jason-v2-v3.yaml"]


def test_every_kind_of_rule(tmp_path: Path) -> None:
    data = seed_data()
    data["traffic"] = [{"name": "rules", "routes": {"reviews": [
        {"match": {"headers": {"end-user": {"prefix": "ja"}, "x-canary": {"regex": "^(1|yes)$"}},
                   "uri": {"prefix": "/reviews/"}},
         "to": {"v2": 20, "v3": 80}},
        {"match": {"uri": {"exact": "/reviews/0"}}, "to": "v3"},
        {"to": "v1"},
    ]}}]
    (document,) = files_of(model_of(tmp_path, data))["icp/traffic/01-rules.yaml"]
    assert document["spec"]["http"] == [
        {"match": [{"uri": {"prefix": "/reviews/"},
                    "headers": {"end-user": {"prefix": "ja"},
                                "x-canary": {"regex": "^(1|yes)$"}}}],
         "route": [route_to("reviews", "v2", 20), route_to("reviews", "v3", 80)]},
        {"match": [{"uri": {"exact": "/reviews/0"}}], "route": [route_to("reviews", "v3")]},
        {"route": [route_to("reviews", "v1")]},
    ]


def test_stage_files_sort_in_stage_order(tmp_path: Path) -> None:
    data = seed_data()
    data["traffic"] = [{"name": f"s{k}", "routes": {"reviews": "v1" if k % 2 else "v3"}}
                       for k in range(1, 101)]
    names = [p.rsplit("/", 1)[1] for p in files_of(model_of(tmp_path, data))
             if "/traffic/" in p and "destination" not in p]
    assert names[:2] == ["001-s1.yaml", "002-s2.yaml"] and names[-1] == "100-s100.yaml"
    assert names == sorted(names)


def test_traffic_files_are_manifests_outside_the_kustomization() -> None:
    for artifact in traffic.artifacts(seed()):
        assert (artifact.kind, artifact.kustomize) == (Kind.MANIFESTS, None)


def test_steps_apply_rules_then_stages_in_turn() -> None:
    steps = list(traffic.steps(seed()))
    assert [(s.phase, s.stage, s.optional, s.commands) for s in steps] == [
        (Phase.DESTINATION_RULES, None, False,
         ("kubectl --context icp-admin apply -f icp/traffic/destination-rules.yaml",)),
        (Phase.TRAFFIC_FIRST, 1, False,
         ("kubectl --context icp-admin apply -f icp/traffic/01-all-v1.yaml",)),
        (Phase.TRAFFIC_LATER, 2, True,
         ("kubectl --context icp-admin replace -f icp/traffic/02-reviews-jason-v2-v3.yaml",)),
        (Phase.TRAFFIC_LATER, 3, True,
         ("kubectl --context icp-admin replace -f icp/traffic/03-reviews-50-v3.yaml",)),
    ]
    assert steps[2].notes[0] == "User jason sees reviews v2 (on ICP); everyone else v3 (on IKS)."


def test_a_later_stage_that_creates_a_route_applies_it(tmp_path: Path) -> None:
    data = seed_data()
    data["traffic"] = [{"name": "first", "routes": {"reviews": "v1"}},
                       {"name": "second", "routes": {"reviews": "v2", "ratings": "v1"}}]
    later = [s for s in traffic.steps(model_of(tmp_path, data)) if s.stage == 2]
    assert later[0].commands == ("kubectl --context icp-admin apply -f "
                                 "icp/traffic/02-second.yaml",)
    assert "ratings" in later[0].notes[-1]


def test_no_stages_no_stage_files(tmp_path: Path) -> None:
    data = seed_data()
    data["traffic"] = []
    t = model_of(tmp_path, data)
    assert sorted(files_of(t)) == ["icp/traffic/destination-rules.yaml"]
    assert [s.phase for s in traffic.steps(t)] == [Phase.DESTINATION_RULES]


@pytest.mark.parametrize(("version", "api", "port"), [
    ("1.0", "networking.istio.io/v1alpha3", 80),
    ("1.21.6", "networking.istio.io/v1beta1", 8080),
    ("1.22", "networking.istio.io/v1", 8080),
])
def test_api_version_follows_the_istio_release(tmp_path: Path, version: str, api: str,
                                               port: int) -> None:
    data = seed_data()
    data["istio"]["version"] = version
    t = model_of(tmp_path, data)
    for documents in files_of(t).values():
        assert {d["apiVersion"] for d in documents} == {api}
    ingress = next(a for a in apps.artifacts(t) if a.path == "icp/traffic/ingress-bookinfo.yaml")
    gateway, entry = yaml.safe_load_all(ingress.text)
    assert (gateway["apiVersion"], entry["apiVersion"]) == (api, api)
    assert gateway["spec"]["servers"][0]["port"]["number"] == port
