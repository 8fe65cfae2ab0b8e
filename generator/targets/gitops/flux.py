"""``output/<name>/flux/<cluster>/``: what each cluster's Flux reconciles.

The cluster's Flux is pointed at ``flux/<cluster>/`` (a Kustomization of its own, see the
GitOps page). That folder holds the source (a GitRepository when the topology names the
repository, else the ``flux-system`` one that ``flux bootstrap`` made) and a chain of Flux
Kustomizations whose ``dependsOn`` follows the runbook: the strongSwan releases, the namespaces,
the Istio charts, the Istio config their CRDs serve, the apps, the traffic config. Each unit's
folder is a kustomization over files the other targets wrote (``../../../<cluster>/...``):
Flux's kustomize-controller builds with no load restriction inside the repository, so nothing
is copied. Helm values files become ConfigMaps (a configMapGenerator over the generated file)
that the HelmReleases read with ``valuesFrom``; each link's pre-shared key comes from a Secret
that is never in git (``targetPath: preshared.secret``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ...artifacts import Artifact, Kind
from ...model import Cluster, ControlPlanePath, Topology
from ...yamlout import Commented, dump, dump_all
from ..istio.objects import ISTIOD_VPN_NAME
from ..namespaces import ISTIO_NAMESPACE
from ..vpn.ends import CHART_REPO_NAME, CHART_REPO_URL, CHART_VERSION, NAMESPACE, LinkEnd
from .units import ISTIO_CHART_REPOSITORY, ClusterUnits, Release, cluster_units, short_name

FOLDER = "flux"
NAMESPACE_FLUX = "flux-system"
BOOTSTRAP_SOURCE = "flux-system"
"""The GitRepository ``flux bootstrap`` makes, read when the topology names no repository."""
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
HELM_API = "helm.toolkit.fluxcd.io/v2"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_CONFIG_API = "kustomize.config.k8s.io/v1beta1"
INTERVAL = "10m"
SOURCE_INTERVAL = "1m"
VALUES_KEY = "values.yaml"
PSK_KEY = "psk"
PSK_TARGET = "preshared.secret"
ISTIO_REPOSITORY = "istio"
REMOTE_PILOT_CONFIGMAP = "istio-remote-pilot"
"""Made on a remote by ``apply.sh --phase bootstrap`` when the east-west address is not known."""
REMOTE_PILOT_KEY = "address"
WATCH_LABEL = {"reconcile.fluxcd.io/watch": "Enabled"}
UP = "../../../"
"""From a unit's folder back to ``output/<name>/``."""


def folder(cluster: str, unit: str = "") -> str:
    return f"{FOLDER}/{cluster}" + (f"/{unit}" if unit else "")


def source_name(t: Topology) -> str:
    return short_name(t.name) if t.delivery.repository_url else BOOTSTRAP_SOURCE


def kustomization_name(t: Topology, unit: str) -> str:
    return short_name(t.name, unit)


def values_configmap(release: str) -> str:
    return f"{release}-values"


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE_FLUX}


# --- objects ---------------------------------------------------------------------------------


def git_repository(t: Topology) -> dict[str, Any]:
    delivery = t.delivery
    url = delivery.repository_url or ""
    spec: dict[str, Any] = {"interval": SOURCE_INTERVAL, "url": url,
                            "ref": {"branch": delivery.branch}}
    if url.startswith("ssh://"):
        spec["secretRef"] = Commented(
            {"name": BOOTSTRAP_SOURCE},
            "the deploy key flux bootstrap stored; for another repository make one with\n"
            "flux create secret git",
        )
    return {"apiVersion": SOURCE_API, "kind": "GitRepository",
            "metadata": _metadata(source_name(t)), "spec": spec}


def helm_repository(name: str, url: str) -> dict[str, Any]:
    return {"apiVersion": SOURCE_API, "kind": "HelmRepository", "metadata": _metadata(name),
            "spec": {"interval": "1h", "url": url}}


def _values_from_file(release: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "name": values_configmap(release), "valuesKey": VALUES_KEY}


def helm_release(name: str, chart: str, version: str, repository: str, namespace: str,
                 values_from: list[Any], after: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": INTERVAL,
        "releaseName": name,
        "targetNamespace": namespace,
        "chart": {"spec": {"chart": chart, "version": version,
                           "sourceRef": {"kind": "HelmRepository", "name": repository}}},
    }
    if after:
        spec["dependsOn"] = [{"name": after}]
    spec["valuesFrom"] = values_from
    return {"apiVersion": HELM_API, "kind": "HelmRelease", "metadata": _metadata(name),
            "spec": spec}


def strongswan_release(end: LinkEnd) -> dict[str, Any]:
    secret = end.link.psk.secret_name or ""
    key = Commented(
        {"kind": "Secret", "name": secret, "valuesKey": PSK_KEY, "targetPath": PSK_TARGET,
         "literal": True},
        f"the pre-shared key of the link ({end.link.psk}), from a Secret that is never in git:\n"
        f"create {secret} in {NAMESPACE_FLUX} with key {PSK_KEY} (kubectl, SOPS or External "
        "Secrets)",
    )
    return helm_release(end.release, "strongswan", CHART_VERSION, CHART_REPO_NAME, NAMESPACE,
                        [_values_from_file(end.release), key])


def pilot_address_in_git(t: Topology, primary: Cluster) -> bool:
    """True when the remotes' values in git can name the address they reach istiod at: the
    reserved address of the east-west gateway (a cluster IP inside the VPN is known only once
    the Service exists)."""
    return t.istio.path is ControlPlanePath.EASTWEST_GATEWAY and bool(primary.east_west_ip)


def istio_release(t: Topology, units: ClusterUnits, release: Release) -> dict[str, Any]:
    values: list[Any] = [_values_from_file(release.name)]
    cluster = units.cluster
    primary = t.config_cluster_of(cluster)
    if (release.chart == "istiod" and not cluster.is_primary and primary is not None
            and not pilot_address_in_git(t, primary)):
        what = (f"the cluster IP of {ISTIOD_VPN_NAME} on {primary.name} (istiod inside the VPN), "
                "known once\nthe Service exists" if t.istio.path is ControlPlanePath.VPN else
                f"the address of {primary.name}'s east-west gateway, known once its load "
                "balancer\nhas one")
        values.append(Commented(
            {"kind": "ConfigMap", "name": REMOTE_PILOT_CONFIGMAP, "valuesKey": REMOTE_PILOT_KEY,
             "targetPath": "global.remotePilotAddress"},
            f"{what}: apply.sh --phase bootstrap writes it here; until then this release waits",
        ))
    return helm_release(release.name, release.chart, t.istio.version, ISTIO_REPOSITORY,
                        ISTIO_NAMESPACE, values, release.after)


def kustomization(t: Topology, cluster: str, unit: str, after: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": INTERVAL,
        "retryInterval": "1m",
        "timeout": "10m",
        "path": "./" + t.delivery.in_repository(f"{t.name}/{folder(cluster, unit)}"),
        "prune": True,
        "wait": True,
        "sourceRef": {"kind": "GitRepository", "name": source_name(t)},
    }
    if after:
        spec["dependsOn"] = [{"name": kustomization_name(t, after)}]
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": _metadata(kustomization_name(t, unit)), "spec": spec}


def kustomize_file(resources: Sequence[str], generated: Sequence[tuple[str, str]] = (),
                   namespace: str | None = None) -> dict[str, Any]:
    """A kustomization.yaml: ``resources``, and ConfigMaps (name, values file) whose names stay
    as written so that a HelmRelease can name them."""
    document: dict[str, Any] = {"apiVersion": KUSTOMIZE_CONFIG_API, "kind": "Kustomization"}
    if namespace:
        document["namespace"] = namespace
    document["resources"] = list(resources)
    if generated:
        document["configMapGenerator"] = [
            {"name": name, "files": [f"{VALUES_KEY}={UP}{path}"]} for name, path in generated
        ]
        document["generatorOptions"] = Commented(
            {"disableNameSuffixHash": True, "labels": dict(WATCH_LABEL)},
            "names as the HelmReleases write them; helm-controller watches the labelled\n"
            "ConfigMaps and upgrades a release when its values change",
        )
    return document


# --- the tree --------------------------------------------------------------------------------


def _unit_files(t: Topology, units: ClusterUnits) -> Iterator[tuple[str, Artifact]]:
    """(unit, file) for each unit the cluster has, in the runbook's order."""
    c = units.cluster.name

    def kustomize(unit: str, document: dict[str, Any]) -> Artifact:
        return Artifact(f"{folder(c, unit)}/kustomization.yaml", dump(document),
                        Kind.KUSTOMIZATION)

    if units.links:
        releases = [helm_repository(CHART_REPO_NAME, CHART_REPO_URL),
                    *(strongswan_release(end) for end in units.links)]
        generated = [(values_configmap(end.release), f"{end.folder}/values.yaml")
                     for end in units.links]
        yield "vpn", kustomize("vpn", kustomize_file(["releases.yaml"], generated,
                                                           NAMESPACE_FLUX))
        yield "vpn", Artifact(f"{folder(c, 'vpn')}/releases.yaml", dump_all(releases),
                                    Kind.FLUX)
    yield "namespaces", kustomize("namespaces",
                                        kustomize_file([UP + p for p in units.namespaces]))
    if units.releases:
        releases = [helm_repository(ISTIO_REPOSITORY, ISTIO_CHART_REPOSITORY),
                    *(istio_release(t, units, r) for r in units.releases)]
        generated = [(values_configmap(r.name), r.values) for r in units.releases]
        yield "istio", kustomize("istio", kustomize_file(["releases.yaml"], generated,
                                                               NAMESPACE_FLUX))
        yield "istio", Artifact(f"{folder(c, 'istio')}/releases.yaml",
                                      dump_all(releases), Kind.FLUX)
    for unit, paths in (("mesh", units.mesh), ("apps", units.apps),
                        ("traffic", units.traffic)):
        if paths:
            yield unit, kustomize(unit, kustomize_file([UP + p for p in paths]))


def artifacts(t: Topology, written: Sequence[Artifact]) -> Iterator[Artifact]:
    for units in cluster_units(t, written):
        c = units.cluster.name
        chain: list[dict[str, Any]] = []
        previous: str | None = None
        for unit, artifact in _unit_files(t, units):
            yield artifact
            if unit != previous:
                chain.append(kustomization(t, c, unit, previous))
                previous = unit
        top = ["sync.yaml"]
        if t.delivery.repository_url:
            yield Artifact(f"{folder(c)}/source.yaml", dump(git_repository(t)), Kind.FLUX)
            top.insert(0, "source.yaml")
        yield Artifact(f"{folder(c)}/sync.yaml", dump_all(chain), Kind.FLUX)
        yield Artifact(f"{folder(c)}/kustomization.yaml", dump(kustomize_file(top)),
                       Kind.KUSTOMIZATION)
