"""GitOps delivery: the Flux and Argo CD trees, checked against the controllers' real CRD schemas
(read in place from the shared reference, made strict), rendered by real ``kubectl kustomize``,
ordered as the runbook is, with the pre-shared keys never in git and only the active traffic
stage in what the controllers reconcile; and the runbook's bootstrap phase."""

from __future__ import annotations

import itertools
import posixpath
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import render
from generator.artifacts import Kind, RenderedTree
from generator.errors import UsageError
from generator.model import Topology
from generator.output.writer import write_tree
from generator.targets.base import Phase
from generator.verify.gitops import GitOpsSchemas
from generator.verify.kube import kubernetes_schemas
from generator.verify.run import verify_output
from generator.verify.values import schema_problems
from tests.helpers import (
    TOPOLOGIES,
    model_of,
    require_program,
    seed_data,
    topology_of,
)

EXAMPLE = TOPOLOGIES / "gitops-bookinfo.yaml"
REPOSITORY = {"url": "https://git.example.com/fleet.git", "branch": "release",
              "path": "deploy/output"}
FLUX_ORDER = ["vpn", "namespaces", "istio", "mesh", "apps", "traffic"]
"""The runbook's order: VPN, namespaces (with the root CA), Istio, its config, apps, traffic."""


def with_delivery(data: dict[str, Any], **delivery: Any) -> dict[str, Any]:
    data["delivery"] = delivery
    return data


def variants(tmp_path: Path) -> list[Topology]:
    """Topologies that take each path of the trees: the example; Flux with no repository and an
    east-west address read at bootstrap; multi-primary and per-cluster networks with both."""
    seed = with_delivery(seed_data(), gitops=["flux"], activeStage="reviews-50-v3")
    seed["name"] = "flux-only"
    found = [topology_of(EXAMPLE), model_of(tmp_path, seed)]
    for name in ("multi-primary", "three-networks", "three-cluster-mesh", "hub-and-spoke"):
        data = yaml.safe_load((TOPOLOGIES / f"{name}.yaml").read_text(encoding="utf-8"))
        data["name"] = f"{name}-gitops"
        # Argo CD needs the remotes' address of istiod in git: a reserved gateway address.
        data["istio"]["controlPlanePath"] = "eastwest-gateway"
        for cluster in data["clusters"]:
            if cluster["role"] == "primary":
                cluster["eastWestGatewayIP"] = f"192.0.2.{10 + len(found)}"
        found.append(model_of(tmp_path, with_delivery(data, gitops=["flux", "argocd"],
                                                      repository=REPOSITORY)))
    return found


def documents(tree: RenderedTree, path: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(tree.files[path].decode()) if d]


def gitops_objects(tree: RenderedTree) -> Iterator[tuple[str, Any]]:
    for path, kind in tree.kinds.items():
        if kind in (Kind.FLUX, Kind.ARGOCD):
            for document in documents(tree, path):
                yield path, document


@pytest.fixture(scope="module")
def schemas(reference_dir: Path) -> GitOpsSchemas:
    return GitOpsSchemas(reference_dir / "gitops", "--gitops-schemas",
                         kubernetes_schemas().registry)


# --- the real CRD schemas ------------------------------------------------------------------


def test_every_flux_and_argocd_object_passes_its_strict_crd_schema(
        tmp_path: Path, schemas: GitOpsSchemas) -> None:
    seen: set[str] = set()
    for t in variants(tmp_path):
        tree = render(t)
        for path, document in gitops_objects(tree):
            validator = schemas.validator(document["apiVersion"], document["kind"])
            assert validator is not None, (path, document["kind"])
            assert list(schema_problems(validator, document)) == [], (t.name, path)
            seen.add(document["kind"])
    assert seen == {"GitRepository", "HelmRepository", "HelmRelease", "Kustomization",
                    "AppProject", "Application"}


def test_the_schemas_are_strict(schemas: GitOpsSchemas) -> None:
    """An unknown field anywhere, the top level included, is refused."""
    release: dict[str, Any] = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
               "metadata": {"name": "x", "namespace": "flux-system"},
               "spec": {"interval": "10m", "valuesFrom": [
                   {"kind": "Secret", "name": "k", "targetPath": "preshared.secret"}]}}
    validator = schemas.validator("helm.toolkit.fluxcd.io/v2", "HelmRelease")
    assert validator is not None
    assert list(schema_problems(validator, release)) == []
    for broken in ({**release, "extra": 1},
                   {**release, "spec": {**release["spec"], "valueFrom": []}},
                   {**release, "spec": {"interval": "10m",
                                        "valuesFrom": [{"kind": "Secret", "name": "k",
                                                        "secretKey": "psk"}]}},
                   {**release, "metadata": {"name": "x", "labels": {"a": 1}}}):
        assert list(schema_problems(validator, broken)), broken


# --- Flux ----------------------------------------------------------------------------------


def chain(tree: RenderedTree, cluster: str) -> list[dict[str, Any]]:
    return documents(tree, f"flux/{cluster}/sync.yaml")


def test_each_clusters_kustomizations_depend_on_each_other_in_the_runbooks_order() -> None:
    t = topology_of(EXAMPLE)
    tree = render(t)
    for cluster, expected in (("icp", FLUX_ORDER), ("iks", ["vpn", "namespaces", "istio",
                                                            "apps"])):
        kustomizations = chain(tree, cluster)
        names = [k["metadata"]["name"] for k in kustomizations]
        assert names == [f"{t.name}-{unit}" for unit in expected]
        assert "dependsOn" not in kustomizations[0]["spec"]
        for before, after in itertools.pairwise(kustomizations):
            assert after["spec"]["dependsOn"] == [{"name": before["metadata"]["name"]}]
        for k in kustomizations:
            unit = k["metadata"]["name"].removeprefix(f"{t.name}-")
            assert k["spec"]["path"] == f"./output/{t.name}/flux/{cluster}/{unit}"
            assert k["spec"]["sourceRef"] == {"kind": "GitRepository", "name": t.name}
            assert k["spec"]["wait"] is True
    source = documents(tree, "flux/icp/source.yaml")[0]
    assert source["spec"]["url"] == t.delivery.repository_url
    assert source["spec"]["ref"] == {"branch": "main"}


def test_flux_without_a_repository_reads_the_bootstrapped_source(tmp_path: Path) -> None:
    t = variants(tmp_path)[1]
    tree = render(t)
    assert "flux/icp/source.yaml" not in tree.files
    assert {k["spec"]["sourceRef"]["name"] for k in chain(tree, "icp")} == {"flux-system"}
    assert documents(tree, "flux/icp/kustomization.yaml")[0]["resources"] == ["sync.yaml"]


def test_helm_releases_are_pinned_and_read_the_generated_values_files() -> None:
    t = topology_of(EXAMPLE)
    tree = render(t)
    releases = {d["metadata"]["name"]: d for d in documents(tree, "flux/icp/istio/releases.yaml")
                if d["kind"] == "HelmRelease"}
    assert list(releases) == ["istio-base", "istiod", "istio-ingressgateway",
                              "istio-eastwestgateway"]
    kustomization = documents(tree, "flux/icp/istio/kustomization.yaml")[0]
    generated = {g["name"]: g["files"] for g in kustomization["configMapGenerator"]}
    for release in releases.values():
        assert release["spec"]["chart"]["spec"]["version"] == t.istio.version
        assert release["spec"]["targetNamespace"] == "istio-system"
        (values,) = release["spec"]["valuesFrom"]
        assert values["kind"] == "ConfigMap"
        (entry,) = generated[values["name"]]
        key, _, path = entry.partition("=")
        assert key == values["valuesKey"]
        assert posixpath.normpath(f"flux/icp/istio/{path}") in tree.files
    assert releases["istiod"]["spec"]["dependsOn"] == [{"name": "istio-base"}]


def test_the_key_comes_from_a_secret_and_never_lands_in_git(tmp_path: Path) -> None:
    t = topology_of(EXAMPLE)
    tree = render(t)
    for cluster, release in (("icp", "vpn-iks"), ("iks", "vpn-icp")):
        found = {d["metadata"]["name"]: d for d in
                 documents(tree, f"flux/{cluster}/vpn/releases.yaml")}
        key = found[release]["spec"]["valuesFrom"][1]
        assert key == {"kind": "Secret", "name": "icp-iks-psk", "valuesKey": "psk",
                       "targetPath": "preshared.secret", "literal": True}
    everything = b"".join(tree.files.values())
    assert b"kind: Secret\n" not in everything.replace(b"- kind: Secret\n", b"")
    secret = "not-in-git-0123456789"
    assert secret.encode() not in everything


def rendered(folder: Path, *options: str) -> list[dict[str, Any]]:
    done = subprocess.run(["kubectl", "kustomize", *options, str(folder)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{folder}: {done.stderr}"
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def test_kubectl_kustomize_renders_every_folder_flux_reads(tmp_path: Path) -> None:
    """Flux's kustomize-controller builds without kustomize's load restriction, inside the
    repository: so does this, and every path stays inside the topology's folder."""
    require_program("kubectl")
    for t in variants(tmp_path):
        tree = render(t)
        write_tree(tmp_path / "out", tree)
        top = tmp_path / "out" / t.name
        folders = sorted({posixpath.dirname(p) for p, k in tree.kinds.items()
                          if k == Kind.KUSTOMIZATION and p.startswith("flux/")})
        for folder in folders:
            objects = rendered(top / folder, "--load-restrictor=LoadRestrictionsNone")
            assert objects, folder
            listed = documents(tree, f"{folder}/kustomization.yaml")[0]
            for resource in listed["resources"]:
                assert posixpath.normpath(f"{folder}/{resource}") in tree.files
            for generator in listed.get("configMapGenerator", ()):
                path = posixpath.normpath(f"{folder}/{generator['files'][0].partition('=')[2]}")
                made = next(o for o in objects if o["kind"] == "ConfigMap"
                            and o["metadata"]["name"] == generator["name"])
                assert made["data"]["values.yaml"] == tree.files[path].decode()
                assert made["metadata"]["namespace"] == "flux-system"
        for cluster in t.clusters:  # the folder a cluster's Flux is pointed at needs nothing more
            kinds = {o["kind"] for o in rendered(top / "flux" / cluster.name)}
            assert kinds <= {"GitRepository", "Kustomization"}


def test_a_remote_waits_for_the_istiod_address_the_bootstrap_hands_it(
        tmp_path: Path) -> None:
    t = variants(tmp_path)[1]
    tree = render(t)
    istiod = next(d for d in documents(tree, "flux/iks/istio/releases.yaml")
                  if d["metadata"]["name"] == "istiod")
    assert istiod["spec"]["valuesFrom"][1] == {
        "kind": "ConfigMap", "name": "istio-remote-pilot", "valuesKey": "address",
        "targetPath": "global.remotePilotAddress"}
    script = tree.files["apply.sh"].decode()
    # The seed's remote reaches istiod inside the VPN: the cluster IP of istiod-vpn.
    assert ("kubectl --context icp-admin -n istio-system wait --for=create service/istiod-vpn "
            "--timeout=15m") in script
    assert 'ISTIOD_ICP="$(icp/istio/istiod-address.sh)"' in script
    assert ("kubectl --context iks-admin -n flux-system create configmap istio-remote-pilot "
            "--from-literal=address=\"$ISTIOD_ICP\"") in script


# --- Argo CD -------------------------------------------------------------------------------


def wave(application: dict[str, Any]) -> int:
    return int(application["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_argocd_applications_sync_in_the_runbooks_order_across_clusters() -> None:
    t = topology_of(EXAMPLE)
    tree = render(t)
    icp = {a["metadata"]["name"].removeprefix(f"{t.name}-icp-"): a
           for a in documents(tree, "argocd/applications/icp.yaml")}
    iks = {a["metadata"]["name"].removeprefix(f"{t.name}-iks-"): a
           for a in documents(tree, "argocd/applications/iks.yaml")}
    assert list(icp) == ["namespaces", "istio-base", "istiod", "istio-ingressgateway",
                         "istio-eastwestgateway", "mesh", "apps", "traffic"]
    assert [wave(a) for a in icp.values()] == sorted(wave(a) for a in icp.values())
    assert wave(icp["namespaces"]) == Phase.ROOT_CA
    assert wave(icp["istiod"]) < wave(icp["istio-eastwestgateway"]) < wave(iks["istiod"])
    assert wave(iks["istio-base"]) < wave(iks["istiod"]) < wave(icp["apps"])
    assert not [a for a in {**icp, **iks} if "vpn" in a]  # the key cannot be referenced
    istiod = iks["istiod"]["spec"]
    chart, values = istiod["sources"]
    assert (chart["chart"], chart["targetRevision"]) == ("istiod", t.istio.version)
    assert chart["helm"]["valueFiles"] == [f"$values/output/{t.name}/iks/istio/istiod-values.yaml"]
    assert values == {"repoURL": t.delivery.repository_url, "targetRevision": "main",
                      "ref": "values"}
    assert f"{t.name}/iks/istio/istiod-values.yaml" in {f"{t.name}/{p}" for p in tree.files}
    root = documents(tree, "argocd/root.yaml")
    assert [d["kind"] for d in root] == ["AppProject", "Application"]
    assert root[1]["spec"]["source"]["path"] == f"output/{t.name}/argocd/applications"
    assert {d["name"] for d in root[0]["spec"]["destinations"] if "name" in d} == {"icp", "iks"}


def included(application: dict[str, Any]) -> list[str]:
    source = application["spec"]["source"]
    pattern = source["directory"]["include"]
    names = pattern.strip("{}").split(",")
    return [f"{source['path']}/{name}" for name in names]


def test_argocd_reads_the_files_the_runbook_applies(tmp_path: Path) -> None:
    for t in variants(tmp_path)[2:]:
        tree = render(t)
        for path in (p for p in tree.files if p.startswith("argocd/applications/")):
            for application in documents(tree, path):
                spec = application["spec"]
                if "source" in spec:
                    for file in included(application):
                        assert file.startswith(f"deploy/output/{t.name}/")
                        assert file.removeprefix(f"deploy/output/{t.name}/") in tree.files
                else:
                    (values,) = spec["sources"][0]["helm"]["valueFiles"]
                    assert values.removeprefix(f"$values/deploy/output/{t.name}/") in tree.files
                    assert spec["sources"][1]["targetRevision"] == "release"


# --- the active stage ----------------------------------------------------------------------


def test_only_the_active_stage_is_reconciled_and_promoting_it_is_one_line(
        tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    before = render(topology_of(EXAMPLE))
    data["delivery"]["activeStage"] = "reviews-50-v3"
    after = render(model_of(tmp_path, data))
    changed = sorted(p for p in before.files if p != "MANIFEST.json"
                     and before.files[p] != after.files.get(p))
    assert changed == ["argocd/applications/icp.yaml", "flux/icp/traffic/kustomization.yaml"]
    for tree, stage in ((before, "02-reviews-jason-v2-v3.yaml"), (after, "03-reviews-50-v3.yaml")):
        resources = documents(tree, "flux/icp/traffic/kustomization.yaml")[0]["resources"]
        assert [r.rpartition("/")[2] for r in resources] == [
            "destination-rules.yaml", "ingress-bookinfo.yaml", stage]
        traffic = documents(tree, "argocd/applications/icp.yaml")[-1]
        assert [f.rpartition("/")[2] for f in included(traffic)][-1] == stage
    lines = [tree.files["flux/icp/traffic/kustomization.yaml"].splitlines()
             for tree in (before, after)]
    diff = [(a, b) for a, b in zip(*lines, strict=True) if a != b]
    assert len(diff) == 1
    assert tree.files["icp/traffic/01-all-v1.yaml"]  # the runbook keeps every stage


# --- the runbook's bootstrap phase ---------------------------------------------------------


def run_apply(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(folder / "apply.sh"), *args], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def test_phase_bootstrap_runs_only_what_no_controller_can_do(tmp_path: Path) -> None:
    t = topology_of(EXAMPLE)
    write_tree(tmp_path, render(t))
    folder = tmp_path / t.name
    listing = run_apply(folder, "--list").stdout
    assert "bootstrap" in listing and "[optional: --phase bootstrap]" in listing
    done = run_apply(folder, "--phase", "bootstrap", "--dry-run")
    assert done.returncode == 0, done.stderr
    banners = [line for line in done.stdout.splitlines() if line.startswith("# Step ")]
    assert [b.split("] ", 1)[1] for b in banners] == [
        "Plug the mesh's root CA into icp",
        "Check the address of the east-west gateway of icp", "Let istiod on icp read iks"]
    assert "istioctl create-remote-secret --context iks-admin --name=iks" in done.stdout
    assert "serviceaccount/istio-reader-service-account" in done.stdout
    default = run_apply(folder, "--dry-run")
    assert "bootstrap" not in default.stdout.split("# Step ", 2)[1]
    secrets = run_apply(folder, "--phase", "flux-secrets", "--dry-run")
    assert "./flux-secret.sh --context icp-admin --name icp-iks-psk --psk-env ICP_IKS_PSK" \
        in secrets.stdout
    unknown = run_apply(folder, "--phase", "nonsense")
    assert unknown.returncode == 2 and "no step of phase 'nonsense'" in unknown.stderr


def test_runbook_only_topologies_have_no_bootstrap_and_no_phase_option() -> None:
    t = topology_of(TOPOLOGIES / "icp-iks-bookinfo.yaml")
    tree = render(t)
    assert not [p for p in tree.files if p.startswith(("flux/", "argocd/"))]
    assert b"--phase" not in tree.files["apply.sh"]


# --- verify --------------------------------------------------------------------------------


def test_verify_needs_the_gitops_schemas_and_checks_with_them(
        tmp_path: Path, reference_dir: Path) -> None:
    t = topology_of(EXAMPLE)
    tree = render(t)
    write_tree(tmp_path, tree)
    istio = reference_dir / "istio-1.30.3"
    with pytest.raises(UsageError, match="--gitops-schemas"):
        verify_output(tmp_path, [t.name], crds=istio, environ={})
    report = verify_output(tmp_path, [t.name], crds=istio, environ={},
                           gitops_schemas=reference_dir / "gitops")
    assert report.ok, report.lines()
    path = tmp_path / t.name / "flux/icp/vpn/releases.yaml"
    path.write_text(path.read_text().replace("targetPath:", "targetPaht:"), encoding="utf-8")
    bad = verify_output(tmp_path, [t.name], crds=istio,
                        environ={"MESHGEN_GITOPS_SCHEMAS": str(reference_dir / "gitops")})
    assert [f.file for f in bad.findings] == [f"{t.name}/flux/icp/vpn/releases.yaml"]
    with pytest.raises(UsageError, match="no such folder"):
        verify_output(tmp_path, [t.name], crds=istio, environ={},
                      gitops_schemas=tmp_path / "missing")
