"""Istio 1.0, as the ICP/IKS article installed it: remotes find the control plane by pod IP.

The primary runs ``istio-demo.yaml`` from an Istio 1.0 release folder (``$ISTIO_1_0_DIR``).
Each remote gets the ``istio-remote`` chart, with values a generated script reads on the primary
at apply time: the IPs of the pilot, policy, statsd, telemetry and zipkin pods. The primary
reads each remote's API server with a kubeconfig for the remote's ``istio-multi`` service
account, stored as a labelled secret. Pod IPs change when pods restart, so this install breaks
on the first restart of a control plane pod (istio/istio#4822); it is kept to reproduce the
article, and the 1.20+ install replaces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...artifacts import Artifact, Kind
from ...model import Cluster, Topology
from ...templating import render_template
from ...yamlout import dump
from ..base import Phase, ReleaseFolder, Step
from ..namespaces import ISTIO_NAMESPACE
from ..shell import Shell, kubectl
from . import paths as p
from .objects import note
from .paths import q
from .steps import apply_namespaces

RELEASE = '"$ISTIO_1_0_DIR"'
REQUIRE_RELEASE = (
    ': "${ISTIO_1_0_DIR:?set ISTIO_1_0_DIR to an unpacked Istio 1.0 release folder}"'
)
CRDS = "install/kubernetes/helm/istio/templates/crds.yaml"
DEMO = "install/kubernetes/istio-demo.yaml"
RELEASE_FOLDER = ReleaseFolder("ISTIO_1_0_DIR", DEMO, "an unpacked Istio 1.0 release folder")
REMOTE_CHART = "install/kubernetes/helm/istio-remote"

# Shell variable, pod label selector on the primary, as the article reads them.
POD_SELECTORS = (
    ("PILOT_POD_IP", "istio=pilot"),
    ("POLICY_POD_IP", "istio-mixer-type=policy"),
    ("STATSD_POD_IP", "istio=statsd-prom-bridge"),
    ("TELEMETRY_POD_IP", "istio-mixer-type=telemetry"),
    ("ZIPKIN_POD_IP", "app=jaeger"),
)

FRAGILE = (
    "Pod IPs change when a pod restarts: after any restart of a control plane pod on the "
    "primary, run this step again (istio/istio#4822). Istio 1.20+ installs avoid this with a "
    "stable address: a Service's cluster IP inside the VPN, or an east-west gateway."
)


def remote_values() -> dict[str, Any]:
    """The istio-remote chart values, with shell variables the script fills in."""
    return {
        "global": {
            "remotePilotAddress": note("${PILOT_POD_IP}", "pod IPs on the primary, read "
                                            "when this script runs; they change when a pod "
                                            "restarts (istio/istio#4822)"),
            "remotePolicyAddress": "${POLICY_POD_IP}",
            "remoteTelemetryAddress": "${TELEMETRY_POD_IP}",
            "remoteZipkinAddress": "${ZIPKIN_POD_IP}",
            "proxy": {"envoyStatsd": {"enabled": True, "host": "${STATSD_POD_IP}"}},
        },
    }


def artifacts(t: Topology) -> Iterator[Artifact]:
    for remote in t.remotes:
        primary = t.config_cluster_of(remote)
        if primary is None:
            continue
        yield Artifact(
            p.path(remote, p.LEGACY_REMOTE_VALUES),
            render_template(
                "istio-remote-values.sh.j2", remote=remote.name, primary=primary.name,
                context=primary.context, selectors=POD_SELECTORS, values=dump(remote_values()),
                istio_namespace=ISTIO_NAMESPACE,
            ),
            Kind.SCRIPT,
            executable=True,
        )
        yield Artifact(
            p.path(remote, p.LEGACY_KUBECONFIG),
            render_template(
                "istio-kubeconfig.sh.j2", remote=remote.name, primary=primary.name,
                context=remote.context, path=p.path(remote, p.LEGACY_KUBECONFIG),
                istio_namespace=ISTIO_NAMESPACE,
            ),
            Kind.SCRIPT,
            executable=True,
        )


def _primary_step(cluster: Cluster) -> Step:
    return Step(
        Phase.ISTIO_PRIMARY,
        f"Install the Istio 1.0 control plane on {cluster.name}",
        (
            REQUIRE_RELEASE,
            kubectl(cluster, "apply", "-f", Shell(f"{RELEASE}/{q(CRDS)}")),
            kubectl(cluster, "apply", "-f", Shell(f"{RELEASE}/{q(DEMO)}")),
        ),
        cluster.name,
        (
            "The CRDs first, then the whole demo control plane, from the Istio 1.0 release "
            "folder in $ISTIO_1_0_DIR.",
            "istio-demo.yaml leaves mutual TLS off, as the article ran it: istio.mtls has no "
            "effect on an Istio 1.0 install.",
            "Citadel keeps the self-signed root it makes in each cluster (Istio 1.0's "
            "security.selfSigned defaults to true, which ignores a cacerts secret): with mutual "
            "TLS off the clusters need no shared root.",
        ),
        folders=(RELEASE_FOLDER,),
    )


def _remote_step(t: Topology, remote: Cluster, primary: Cluster) -> Step:
    values = Shell(f'"$STATE_DIR"/{q(remote.name + "-istio-remote-values.yaml")}')
    manifest = Shell(f'"$STATE_DIR"/{q(remote.name + "-istio-remote.yaml")}')
    return Step(
        Phase.ISTIO_REMOTE,
        f"Install istio-remote on {remote.name}, pointed at {primary.name}'s pod IPs",
        (
            REQUIRE_RELEASE,
            apply_namespaces(remote),
            p.state_dir(t),
            'mkdir -p "$STATE_DIR"',
            f"{q(p.path(remote, p.LEGACY_REMOTE_VALUES))} > {values}",
            f"helm template istio-remote {RELEASE}/{REMOTE_CHART} --namespace {ISTIO_NAMESPACE} "
            f"-f {values} > {manifest}",
            kubectl(remote, "apply", "-f", manifest),
        ),
        remote.name,
        (
            f"The script reads the pilot, policy, statsd, telemetry and zipkin pod IPs on "
            f"{primary.name} and writes the istio-remote chart values.",
            FRAGILE,
        ),
        folders=(RELEASE_FOLDER,),
    )


def _secret_step(t: Topology, remote: Cluster, primary: Cluster) -> Step:
    kubeconfig = Shell(f'"$STATE_DIR"/kubeconfigs/{q(remote.name)}')
    return Step(
        Phase.ISTIO_SECRETS,
        f"Give {primary.name} the credentials of {remote.name}",
        (
            p.state_dir(t),
            f"{q(p.path(remote, p.LEGACY_KUBECONFIG))} {kubeconfig}",
            kubectl(primary, "-n", ISTIO_NAMESPACE, "delete", "secret", remote.name,
                    "--ignore-not-found"),
            kubectl(primary, "create", "secret", "generic", remote.name, "--from-file", kubeconfig,
                    "-n", ISTIO_NAMESPACE),
            kubectl(primary, "label", "secret", remote.name, "istio/multiCluster=true",
                    "-n", ISTIO_NAMESPACE),
        ),
        primary.name,
        (
            f"The kubeconfig of {remote.name}'s istio-multi service account is built in "
            "$STATE_DIR/kubeconfigs, outside output/: it holds a token.",
        ),
    )


def steps(t: Topology) -> Iterator[Step]:
    for cluster in t.primaries:
        yield _primary_step(cluster)
    for remote in t.remotes:
        primary = t.config_cluster_of(remote)
        if primary is not None:
            yield _remote_step(t, remote, primary)
    for remote in t.remotes:
        primary = t.config_cluster_of(remote)
        if primary is not None:
            yield _secret_step(t, remote, primary)
