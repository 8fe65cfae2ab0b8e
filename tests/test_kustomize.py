"""Each cluster folder is ``kubectl apply -k``-able: its kustomization lists the plain manifests,
namespaces first, and real ``kubectl kustomize`` renders every folder of every example."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import check_file, render
from generator.artifacts import Artifact, Kind
from generator.model import Cluster, Role, Topology
from generator.output.writer import write_tree
from generator.targets.base import Order
from generator.targets.kustomize import kustomizations
from tests.helpers import TOPOLOGIES, require_program

EXAMPLES = sorted(TOPOLOGIES.glob("*.yaml"))


def built(tmp_path: Path, source: Path) -> tuple[Topology, Path]:
    checked = check_file(source)
    assert checked.valid, [str(p) for p in checked.problems]
    assert checked.topology is not None
    tree = render(checked.topology)
    write_tree(tmp_path, tree)
    return checked.topology, tmp_path / tree.name


def objects_in(path: Path) -> list[tuple[str, str, str]]:
    return [(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
            for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_kubectl_kustomize_renders_every_cluster_folder(tmp_path: Path, source: Path) -> None:
    require_program("kubectl")
    topology, folder = built(tmp_path, source)
    for cluster in topology.clusters:
        directory = folder / cluster.name
        done = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"{cluster.name}: {done.stderr}"
        rendered = [d for d in yaml.safe_load_all(done.stdout) if d]
        listed = yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
        expected = Counter(o for path in listed for o in objects_in(directory / path))
        got = Counter((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
                      for d in rendered)
        assert got == expected, cluster.name
        kinds = [d["kind"] for d in rendered]
        assert kinds[: kinds.count("Namespace")] == ["Namespace"] * kinds.count("Namespace")


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_kustomizations_list_exactly_the_plain_manifests(tmp_path: Path, source: Path) -> None:
    topology, folder = built(tmp_path, source)
    manifest = yaml.safe_load((folder / "MANIFEST.json").read_text())["files"]
    for cluster in topology.clusters:
        listed = yaml.safe_load((folder / cluster.name / "kustomization.yaml").read_text())
        assert listed["resources"][0] == "namespaces.yaml"
        for path in listed["resources"]:
            assert manifest[f"{cluster.name}/{path}"]["kind"] == Kind.MANIFESTS
            assert not path.startswith("traffic/"), "traffic is applied in stages by the runbook"
        apps = sorted(p.split("/", 1)[1] for p in manifest
                      if p.startswith(f"{cluster.name}/apps/"))
        assert [p for p in listed["resources"] if p.startswith("apps/")] == apps


def cluster(name: str) -> Cluster:
    return Cluster(name, Role.PRIMARY, "10.0.0.0/16", "10.1.0.0/16")


def test_kustomization_orders_by_position_then_path() -> None:
    topology = Topology("t", (cluster("a"), cluster("b")))
    artifacts = [
        Artifact("a/apps/zeta.yaml", "", Kind.MANIFESTS, Order.APPS),
        Artifact("a/apps/alpha.yaml", "", Kind.MANIFESTS, Order.APPS),
        Artifact("a/istio/mesh.yaml", "", Kind.MANIFESTS, Order.MESH),
        Artifact("a/namespaces.yaml", "", Kind.MANIFESTS, Order.NAMESPACES),
        Artifact("a/traffic/01-x.yaml", "", Kind.MANIFESTS),
        Artifact("a/vpn/b/values.yaml", "", Kind.STRONGSWAN_VALUES),
        Artifact("b/namespaces.yaml", "", Kind.MANIFESTS, Order.NAMESPACES),
        Artifact("ab/namespaces.yaml", "", Kind.MANIFESTS, Order.NAMESPACES),
    ]
    made = {k.path: yaml.safe_load(k.text) for k in kustomizations(topology, artifacts)}
    assert all(k.kind == Kind.KUSTOMIZATION for k in kustomizations(topology, artifacts))
    resources: dict[str, Any] = {p: d["resources"] for p, d in made.items()}
    assert resources == {
        "a/kustomization.yaml": ["namespaces.yaml", "istio/mesh.yaml", "apps/alpha.yaml",
                                 "apps/zeta.yaml"],
        "b/kustomization.yaml": ["namespaces.yaml"],
    }
