"""The apps target: Bookinfo split as in the article, stubs only where a caller needs one,
inline apps, and the ingress objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from generator.artifacts import Kind
from generator.catalog import catalogs
from generator.inputs.schema import topology_schema
from generator.model import Topology
from generator.targets import apps
from generator.targets.base import Order, Phase
from tests.helpers import INLINE_APP, ROOT, model_of, seed, seed_data

CATALOG = ROOT / "generator" / "catalog" / "bookinfo.yaml"
BOOKINFO_SERVICES = ("details", "ratings", "reviews", "productpage")


def documents(t: Topology) -> dict[str, list[dict[str, Any]]]:
    return {a.path: list(yaml.safe_load_all(a.text)) for a in apps.artifacts(t)}


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# --- the catalog ---------------------------------------------------------------------------


def test_catalog_is_an_app_definition_the_schema_accepts() -> None:
    schema = topology_schema()
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    validator = jsonschema.Draft202012Validator(
        {"$ref": schema["$id"] + "#/properties/apps/items"}, registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    app = {"name": "bookinfo", "placement": {"somewhere": []}, **catalog}
    assert [e.message for e in validator.iter_errors(app)] == []
    broken = copy.deepcopy(app)
    broken["services"][0]["versions"][0]["imagePullPolicy"] = "Always"
    assert list(validator.iter_errors(broken)), "the app schema must refuse unknown fields"


def test_catalog_holds_the_bookinfo_facts() -> None:
    catalog = catalogs()["bookinfo"]
    services = {s["name"]: s for s in catalog["services"]}
    assert tuple(services) == BOOKINFO_SERVICES
    for name, service in services.items():
        assert service["ports"] == [{"name": "http", "port": 9080}]
        assert service["serviceAccount"] == f"bookinfo-{name}"
        for version in service["versions"]:
            assert version["image"] == (
                f"registry.istio.io/release/examples-bookinfo-{name}-{version['name']}:1.20.3")
    assert [v["name"] for v in services["reviews"]["versions"]] == ["v1", "v2", "v3"]
    t = seed()
    app = t.apps[0]
    calls = {w.name: w.version.calls for w in app.workloads.values()}
    assert calls == {
        "details-v1": (), "ratings-v1": (), "reviews-v1": (),
        "reviews-v2": ("ratings",), "reviews-v3": ("ratings",),
        "productpage-v1": ("details", "reviews"),
    }
    assert catalog["entry"]["service"] == "productpage"


# --- the seed split ------------------------------------------------------------------------


def test_seed_split_is_the_articles() -> None:
    files = documents(seed())
    assert set(files) == {"icp/apps/bookinfo.yaml", "iks/apps/bookinfo.yaml",
                          "icp/traffic/ingress-bookinfo.yaml"}
    iks = files["iks/apps/bookinfo.yaml"]
    assert [(d["kind"], d["metadata"]["name"]) for d in iks] == [
        ("ServiceAccount", "bookinfo-reviews"),
        ("Service", "ratings"),
        ("Service", "reviews"),
        ("Deployment", "reviews-v3"),
    ]
    services = by_kind(iks, "Service")
    assert "selector" not in services["ratings"]["spec"], "ratings runs only on icp: a stub"
    assert services["reviews"]["spec"]["selector"] == {"app": "reviews"}

    icp = files["icp/apps/bookinfo.yaml"]
    assert sorted(by_kind(icp, "Deployment")) == sorted(
        ["productpage-v1", "details-v1", "ratings-v1", "reviews-v1", "reviews-v2"])
    icp_services = by_kind(icp, "Service")
    assert sorted(icp_services) == sorted(BOOKINFO_SERVICES)
    assert all(s["spec"]["selector"] == {"app": n} for n, s in icp_services.items())
    assert sorted(by_kind(icp, "ServiceAccount")) == sorted(
        f"bookinfo-{s}" for s in BOOKINFO_SERVICES)
    # Accounts, then Services, then Deployments.
    kinds = [d["kind"] for d in icp]
    assert kinds == sorted(kinds, key=["ServiceAccount", "Service", "Deployment"].index)


def test_objects_follow_the_bookinfo_sample() -> None:
    iks = documents(seed())["iks/apps/bookinfo.yaml"]
    labels = {"app": "reviews", "version": "v3"}
    assert by_kind(iks, "Deployment")["reviews-v3"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "reviews-v3", "namespace": "default", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "bookinfo-reviews",
                    "containers": [{
                        "name": "reviews",
                        "image": "registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3",
                        "imagePullPolicy": "IfNotPresent",
                        "env": [{"name": "LOG_DIR", "value": "/tmp/logs"}],
                        "ports": [{"containerPort": 9080}],
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                                         {"name": "wlp-output",
                                          "mountPath": "/opt/ibm/wlp/output"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}},
                                {"name": "wlp-output", "emptyDir": {}}],
                },
            },
        },
    }
    assert by_kind(iks, "ServiceAccount")["bookinfo-reviews"] == {
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "bookinfo-reviews", "namespace": "default",
                     "labels": {"account": "reviews"}},
    }
    assert by_kind(iks, "Service")["reviews"] == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "reviews", "namespace": "default",
                     "labels": {"app": "reviews", "service": "reviews"}},
        "spec": {"ports": [{"port": 9080, "name": "http"}], "selector": {"app": "reviews"}},
    }


def test_stub_carries_a_comment_naming_where_the_service_runs() -> None:
    text = next(a.text for a in apps.artifacts(seed()) if a.path == "iks/apps/bookinfo.yaml")
    assert "# Stub: ratings runs in icp." in text


# --- which clusters get stubs --------------------------------------------------------------


@pytest.mark.parametrize(("placement", "stubs"), [
    # reviews-v1 does not call ratings: no stub for it.
    ({"icp": ["productpage-v1", "details-v1", "ratings-v1", "reviews-v2", "reviews-v3"],
      "iks": ["reviews-v1"]}, {"icp": [], "iks": []}),
    # productpage alone calls details and reviews, which run only on icp.
    ({"icp": ["details-v1", "ratings-v1", "reviews-v1"], "iks": ["productpage-v1"]},
     {"icp": [], "iks": ["details", "reviews"]}),
    # reviews runs in both clusters; the ratings callee only on iks.
    ({"icp": ["productpage-v1", "details-v1", "reviews-v2"], "iks": ["reviews-v3", "ratings-v1"]},
     {"icp": ["ratings"], "iks": []}),
])
def test_stubs_only_where_a_caller_lacks_its_callee(
        tmp_path: Path, placement: dict[str, list[str]], stubs: dict[str, list[str]]) -> None:
    data = seed_data()
    data["apps"][0]["placement"] = placement
    data["traffic"] = []
    t = model_of(tmp_path, data)
    app = t.apps[0]
    for cluster, expected in stubs.items():
        assert [s.name for s in apps.stubbed_services(app, cluster)] == expected
        docs = documents(t)[f"{cluster}/apps/bookinfo.yaml"]
        selectorless = [d["metadata"]["name"] for d in docs
                        if d["kind"] == "Service" and "selector" not in d["spec"]]
        assert selectorless == expected
        running = {w.service.name for w in app.placed_in(cluster)}
        assert sorted(by_kind(docs, "Service")) == sorted(running | set(expected))


# --- an app defined in the topology --------------------------------------------------------


def inline_topology(tmp_path: Path) -> Topology:
    data = seed_data()
    data["apps"] = [copy.deepcopy(INLINE_APP)]
    data["traffic"] = [{"name": "cart-v1", "routes": {"cart": "v1"}}]
    return model_of(tmp_path, data)


def test_inline_app(tmp_path: Path) -> None:
    files = documents(inline_topology(tmp_path))
    assert set(files) == {"icp/apps/shop.yaml", "iks/apps/shop.yaml",
                          "icp/traffic/ingress-shop.yaml"}
    iks = files["iks/apps/shop.yaml"]
    assert {d["metadata"]["namespace"] for d in iks} == {"shop"}, "namespace defaults to the app"
    assert sorted(by_kind(iks, "ServiceAccount")) == ["carts", "shop-web"]
    web = by_kind(iks, "Service")["web"]
    assert web["spec"] == {
        "ports": [{"port": 80, "name": "http", "targetPort": 8080},
                  {"port": 9090, "name": "grpc-admin"}],
        "selector": {"app": "web"},
    }
    deployment = by_kind(iks, "Deployment")["web-v1"]
    assert deployment["spec"]["replicas"] == 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 8080}, {"containerPort": 9090}]
    assert "env" not in container and "volumeMounts" not in container
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "shop-web"
    # web calls cart, whose v2 runs on iks too: no stub there. icp runs cart only: no stub.
    assert all("selector" in s["spec"] for s in by_kind(iks, "Service").values())
    icp = files["icp/apps/shop.yaml"]
    cart = by_kind(icp, "Deployment")["cart-v1"]["spec"]["template"]["spec"]["containers"][0]
    assert cart["env"] == [{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "3"}]
    assert sorted(by_kind(icp, "Service")) == ["cart"]

    gateway, entry = files["icp/traffic/ingress-shop.yaml"]
    assert gateway["metadata"] == {"name": "shop-gateway", "namespace": "shop"}
    assert entry["spec"]["http"] == [{
        "match": [{"uri": {"prefix": "/"}}, {"uri": {"regex": "^/api/v[0-9]+/"}}],
        "route": [{"destination": {"host": "web", "port": {"number": 80}}}],
    }]


# --- the ingress -----------------------------------------------------------------------------


def test_ingress_gateway_and_entry_virtual_service() -> None:
    gateway, entry = documents(seed())["icp/traffic/ingress-bookinfo.yaml"]
    assert gateway == {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "bookinfo-gateway", "namespace": "default"},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"},
                         "hosts": ["*"]}],
        },
    }
    assert entry == {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "bookinfo", "namespace": "default"},
        "spec": {
            "hosts": ["*"],
            "gateways": ["bookinfo-gateway"],
            "http": [{
                "match": [{"uri": {"exact": "/productpage"}}, {"uri": {"prefix": "/static"}},
                          {"uri": {"exact": "/login"}}, {"uri": {"exact": "/logout"}},
                          {"uri": {"prefix": "/api/v1/products"}}],
                "route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}],
            }],
        },
    }


def test_no_ingress_objects_without_an_ingress(tmp_path: Path) -> None:
    data = seed_data()
    del data["apps"][0]["ingress"]
    files = documents(model_of(tmp_path, data))
    assert not [p for p in files if "ingress" in p]


def test_kinds_and_kustomization_positions() -> None:
    for artifact in apps.artifacts(seed()):
        assert artifact.kind == Kind.MANIFESTS
        if "/apps/" in artifact.path:
            assert artifact.kustomize == Order.APPS
        else:
            # Istio config: its CRDs exist only once Istio is installed; the runbook applies it.
            assert artifact.kustomize is None


def test_steps_apply_each_cluster_folder_then_the_ingress() -> None:
    steps = list(apps.steps(seed()))
    assert {s.phase for s in steps} == {Phase.APPS}
    assert [(s.cluster, s.commands[0]) for s in steps] == [
        ("icp", "kubectl --context icp-admin apply -k icp"),
        ("iks", "kubectl --context iks-admin apply -k iks"),
        ("icp", "kubectl --context icp-admin apply -f icp/traffic/ingress-bookinfo.yaml"),
    ]
    assert steps[1].commands[1] == (
        "kubectl --context iks-admin --namespace default wait --for=condition=Available "
        "--timeout=300s deployment/reviews-v3")


def test_output_does_not_depend_on_the_order_workloads_are_listed(tmp_path: Path) -> None:
    data = seed_data()
    first = {a.path: a.text for a in apps.artifacts(model_of(tmp_path, data))}
    data["apps"][0]["placement"]["icp"].reverse()
    assert {a.path: a.text for a in apps.artifacts(model_of(tmp_path, data))} == first
