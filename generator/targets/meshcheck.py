"""``mesh-check.sh`` and the runbook's ``verify`` phase: Istio's own check of a multicluster
install (istio.io, "Verify the installation"), run with ``apply.sh --verify`` once the mesh is up.

Each primary's istiod must list every other cluster as synced; the helloworld and curl samples
of the topology's Istio release (from the unpacked release, as the guide takes them) go into a
``sample`` namespace of every cluster, helloworld v1 on the first and v2 on the second; from
each cluster, curl calls helloworld until both versions have answered, a bounded number of
times; then the samples are removed. Istio 1.0 has none of this (no ``remote-clusters``, no
such samples): its runbook's ``--verify`` runs the VPN checks only.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..artifacts import Artifact, Kind
from ..model import Cluster, Topology
from ..templating import render_template
from .base import Phase, ReleaseFolder, Step, Target
from .shell import Shell, command, kubectl, pipe

SCRIPT = "mesh-check.sh"
NAMESPACE = "sample"
SERVICE = "helloworld"
CLIENT = "curl"
URL = f"{SERVICE}.{NAMESPACE}:5000/hello"
VERSIONS = ("v1", "v2")
"""The helloworld versions of the sample, placed on the first clusters in topology order."""
HELLOWORLD = "samples/helloworld/helloworld.yaml"
CURL = "samples/curl/curl.yaml"
RELEASE_VARIABLE = "ISTIO_RELEASE_DIR"
SYNC_TRIES = 12
CURL_TRIES = 20
PAUSE_SECONDS = 5
SCRIPT_TOOLS = ("istioctl", "kubectl")
"""What the script runs: istioctl for ``--synced``, kubectl for ``--answers``."""


def release_folder(t: Topology) -> ReleaseFolder:
    return ReleaseFolder(RELEASE_VARIABLE, HELLOWORLD,
                         f"the unpacked Istio {t.istio.version} release, for its helloworld "
                         "and curl samples")


def mesh_clusters(t: Topology) -> tuple[Cluster, ...]:
    """The clusters Istio is installed on, in topology order."""
    return tuple(c for c in t.clusters if t.config_cluster_of(c) is not None)


def placed_versions(t: Topology) -> dict[str, str]:
    """Cluster name -> the helloworld version deployed there (the first clusters only)."""
    return {c.name: v for c, v in zip(mesh_clusters(t), VERSIONS, strict=False)}


def _sample(t: Topology, cluster: Cluster, version: str | None) -> Step:
    def release_file(path: str) -> Shell:
        return Shell(f'"${RELEASE_VARIABLE}"/{path}')

    apply = ("apply", "--namespace", NAMESPACE, "-f")
    commands = [
        pipe(kubectl(cluster, "create", "namespace", NAMESPACE, "--dry-run=client", "-o", "yaml"),
             kubectl(cluster, "apply", "-f", "-")),
        kubectl(cluster, "label", "namespace", NAMESPACE, "istio-injection=enabled",
                "--overwrite"),
        kubectl(cluster, *apply, release_file(HELLOWORLD), "-l", f"service={SERVICE}"),
    ]
    deployments = [f"deployment/{CLIENT}"]
    if version is not None:
        commands.append(kubectl(cluster, *apply, release_file(HELLOWORLD), "-l",
                                f"version={version}"))
        deployments.insert(0, f"deployment/{SERVICE}-{version}")
    commands += [
        kubectl(cluster, *apply, release_file(CURL)),
        kubectl(cluster, "--namespace", NAMESPACE, "wait", "--for=condition=Available",
                "--timeout=300s", *deployments),
    ]
    what = f"helloworld {version} and curl" if version else "the helloworld Service and curl"
    return Step(
        Phase.VERIFY,
        f"Deploy {what} (Istio {t.istio.version}'s samples) on {cluster.name}",
        tuple(commands),
        cluster.name,
        (f"In namespace {NAMESPACE}, with sidecar injection; every cluster has the helloworld "
         "Service, so the name resolves everywhere.",),
        optional=True,
        folders=(release_folder(t),),
    )


def steps(t: Topology) -> Iterator[Step]:
    if t.istio.legacy:
        return
    clusters = mesh_clusters(t)
    names = [c.name for c in clusters]
    for primary in t.primaries:
        others = [n for n in names if n != primary.name]
        if not others:
            continue
        yield Step(
            Phase.VERIFY,
            f"Check that istiod on {primary.name} has every other cluster synced",
            (command(f"./{SCRIPT}", "--context", primary.context, "--synced", ",".join(others),
                     "--tries", str(SYNC_TRIES)),),
            primary.name,
            optional=True,
            tools=SCRIPT_TOOLS,
        )
    placed = placed_versions(t)
    for cluster in clusters:
        yield _sample(t, cluster, placed.get(cluster.name))
    expected = ",".join(placed.values())
    for cluster in clusters:
        yield Step(
            Phase.VERIFY,
            f"Call helloworld from {cluster.name} until {' and '.join(placed.values())} answer",
            (command(f"./{SCRIPT}", "--context", cluster.context, "--answers", expected,
                     "--tries", str(CURL_TRIES)),),
            cluster.name,
            optional=True,
            tools=SCRIPT_TOOLS,
        )
    for cluster in clusters:
        yield Step(
            Phase.VERIFY,
            f"Remove the samples from {cluster.name}",
            (kubectl(cluster, "delete", "namespace", NAMESPACE, "--ignore-not-found"),),
            cluster.name,
            optional=True,
        )


def artifacts(t: Topology) -> Iterator[Artifact]:
    if t.istio.legacy:
        return
    yield Artifact(SCRIPT, render_template("mesh-check.sh.j2", name=SCRIPT, namespace=NAMESPACE,
                                           client=CLIENT, url=URL, pause=PAUSE_SECONDS),
                   Kind.SCRIPT, executable=True)


TARGET = Target("mesh check", artifacts, steps)
