"""The runbook's steps for GitOps delivery: what no controller can do, run once.

``apply.sh --phase bootstrap`` plugs the mesh's root CA into every cluster (the CA's keys never
go to git), reads the load balancer address of each primary's east-west gateway once the
controller has installed it, or the cluster IP of the Service through which remotes reach istiod
inside the VPN (and, for Flux, hands it to the remotes in a ConfigMap their istiod
release reads), and creates the remote secrets (a token no controller may hold in git).
``apply.sh --phase flux-secrets`` creates the Secrets the strongSwan HelmReleases read the
pre-shared keys from, with kubectl, from the references the runbook reads; SOPS or External
Secrets do the same from git or a vault. Every step is left out of the default run.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterator

from ...artifacts import Artifact, Kind
from ...model import Cluster, Controller, ControlPlanePath, SecretRef, Topology
from ...templating import render_template
from ..base import Phase, Step
from ..istio import paths as p
from ..istio.objects import ISTIOD_VPN_NAME
from ..istio.steps import remote_secret_steps, root_ca_steps, watched_clusters
from ..namespaces import ISTIO_NAMESPACE
from ..shell import Shell, kubectl, pipe
from ..vpn.ends import link_ends
from ..vpn.scripts import key_handling
from ..vpn.steps import psk_option
from .flux import NAMESPACE_FLUX, PSK_KEY, PSK_TARGET, REMOTE_PILOT_CONFIGMAP, REMOTE_PILOT_KEY

SECRET_HELPER = "flux-secret.sh"
READER_ACCOUNT = "istio-reader-service-account"
"""The service account ``istioctl create-remote-secret`` makes a token for."""
WAIT = "--timeout=15m"


def _bootstrap(step: Step) -> Step:
    return dataclasses.replace(step, phase=Phase.BOOTSTRAP, optional=True)


def _istiod_address_step(t: Topology, primary: Cluster) -> Step:
    variable = p.istiod_variable(primary)
    commands = [kubectl(primary, "-n", ISTIO_NAMESPACE, "wait", "--for=create",
                        f"service/{ISTIOD_VPN_NAME}", WAIT),
                f'{variable}="$({shlex.quote(p.path(primary, p.ISTIOD_ADDRESS))})"']
    commands += _handed_to_remotes(t, primary, variable)
    return Step(
        Phase.BOOTSTRAP,
        f"Hand the address of istiod of {primary.name} inside the VPN to its remotes",
        tuple(commands),
        primary.name,
        (f"Waits until Flux has applied Service {ISTIOD_VPN_NAME} on {primary.name}, reads its "
         f"cluster IP (in the service range the VPN carries), then writes it to ConfigMap "
         f"{REMOTE_PILOT_CONFIGMAP} in {NAMESPACE_FLUX} of each remote: their istiod releases "
         "wait for it.",),
        optional=True,
    )


def _handed_to_remotes(t: Topology, primary: Cluster, variable: str) -> list[str]:
    return [pipe(
        kubectl(remote, "-n", NAMESPACE_FLUX, "create", "configmap", REMOTE_PILOT_CONFIGMAP,
                Shell(f'--from-literal={REMOTE_PILOT_KEY}="${variable}"'),
                "--dry-run=client", "-o", "yaml"),
        kubectl(remote, "apply", "-f", "-"),
    ) for remote in t.remotes_of(primary.name)]


def _address_step(t: Topology, primary: Cluster) -> Step:
    if t.istio.path is ControlPlanePath.VPN:
        return _istiod_address_step(t, primary)
    script = shlex.quote(p.path(primary, p.EASTWEST_ADDRESS))
    if primary.east_west_ip:
        return Step(
            Phase.BOOTSTRAP,
            f"Check the address of the east-west gateway of {primary.name}",
            (f"{script} >/dev/null",),
            primary.name,
            (f"Waits until the controller has installed the east-west gateway of "
             f"{primary.name} and its load balancer has an address, and stops unless it is "
             f"{primary.east_west_ip} (eastWestGatewayIP), the address the remotes' values in "
             "git name.",),
            optional=True,
            tools=("kubectl",),
        )
    variable = p.address_variable(primary)
    commands = [f'{variable}="$({script})"', *_handed_to_remotes(t, primary, variable)]
    return Step(
        Phase.BOOTSTRAP,
        f"Hand the address of {primary.name}'s east-west gateway to its remotes",
        tuple(commands),
        primary.name,
        (f"Waits until Flux has installed the east-west gateway of {primary.name} and its load "
         f"balancer has an address, then writes it to ConfigMap {REMOTE_PILOT_CONFIGMAP} in "
         f"{NAMESPACE_FLUX} of each remote: their istiod releases wait for it.",),
        optional=True,
    )


def _secret_step(step: Step, other: Cluster) -> Step:
    """A remote-secret step that first waits for the account whose token it takes."""
    wait = kubectl(other, "-n", ISTIO_NAMESPACE, "wait", "--for=create",
                   f"serviceaccount/{READER_ACCOUNT}", WAIT)
    return dataclasses.replace(_bootstrap(step), commands=(wait, *step.commands), notes=(
        *step.notes,
        f"It waits until the controller has installed Istio on {other.name}, whose charts "
        f"make the service account {READER_ACCOUNT}.",
    ))


def _flux_secret_steps(t: Topology) -> Iterator[Step]:
    by_cluster: dict[str, dict[str, SecretRef]] = {}
    for end in link_ends(t):
        name = end.link.psk.secret_name
        if name is not None:
            by_cluster.setdefault(end.local.name, {}).setdefault(name, end.link.psk)
    for cluster in t.clusters:
        keys = by_cluster.get(cluster.name, {})
        if not keys:
            continue
        yield Step(
            Phase.FLUX_SECRETS,
            f"Secrets of the pre-shared keys for Flux on {cluster.name}",
            tuple(f"./{SECRET_HELPER} --context {shlex.quote(cluster.context)} --name "
                  f"{shlex.quote(name)} {psk_option(ref)}" for name, ref in keys.items()),
            cluster.name,
            (f"Each Secret in {NAMESPACE_FLUX} holds one key under {PSK_KEY}; the strongSwan "
             f"HelmReleases read it into {PSK_TARGET}. With SOPS or External Secrets, make the "
             "same Secrets that way instead of running this step.",),
            optional=True,
            secrets=tuple(keys.values()),
            tools=("kubectl",),
        )


def steps(t: Topology) -> Iterator[Step]:
    if not t.delivery.gitops or t.istio.legacy:
        return
    for step in root_ca_steps(t):
        yield _bootstrap(step)
    for primary in t.primaries:
        if t.has_remotes(primary):
            yield _address_step(t, primary)
    for primary in t.primaries:
        for other, step in zip(watched_clusters(t, primary), remote_secret_steps(t, primary),
                               strict=True):
            yield _secret_step(step, other)
    if t.delivery.uses(Controller.FLUX):
        yield from _flux_secret_steps(t)


def helper(t: Topology) -> list[Artifact]:
    """``flux-secret.sh``, when Flux delivers a topology with VPN links."""
    if not t.delivery.uses(Controller.FLUX) or not t.vpn:
        return []
    text = render_template("flux-psk-secret.sh.j2", name=SECRET_HELPER,
                           namespace=NAMESPACE_FLUX, key=PSK_KEY, target=PSK_TARGET,
                           key_handling=key_handling())
    return [Artifact(SECRET_HELPER, text, Kind.SCRIPT, executable=True)]
