"""Delivery: what GitOps controllers need that the runbook does not."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from ..errors import Problem
from ..model import Controller, ControlPlanePath, SecretRef, Topology
from .registry import check


@check()
def repository_given(t: Topology) -> Iterator[Problem]:
    delivery = t.delivery
    if delivery.uses(Controller.ARGOCD) and delivery.repository_url is None:
        yield Problem(
            "delivery-repository",
            "Argo CD needs the URL of the repository it reads the output from",
            (*delivery.at, "gitops"),
            "add delivery.repository.url, the clone URL Argo CD has access to (for example "
            "ssh://git@github.com/example/fleet.git)",
        )


@check()
def helm_install_for_gitops(t: Topology) -> Iterator[Problem]:
    if t.delivery.gitops and t.istio.legacy:
        yield Problem(
            "istio-version",
            "GitOps delivery installs Istio from its Helm charts, which Istio 1.0 does not have",
            (*t.delivery.at, "gitops"),
            "deliver an Istio 1.0 topology with the runbook only (leave out delivery.gitops), "
            "or use Istio 1.20 or later",
        )


@check("traffic")
def active_stage_exists(t: Topology) -> Iterator[Problem]:
    wanted = t.delivery.active_stage
    if wanted is None or t.active_stage is not None:
        return
    known = [stage.name for stage in t.traffic]
    close = difflib.get_close_matches(wanted, known, n=1)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif known:
        hint = f"stages: {', '.join(known)}"
    else:
        hint = "the topology has no traffic stages: leave out activeStage"
    yield Problem("active-stage", f"no traffic stage named '{wanted}'",
                  (*t.delivery.at, "activeStage"), hint)


@check("vpn")
def keys_have_secret_names(t: Topology) -> Iterator[Problem]:
    if not t.delivery.uses(Controller.FLUX):
        return
    owners: dict[str, SecretRef] = {}
    for link in t.vpn:
        ref = link.psk
        if not ref.name:
            continue  # a malformed reference: the schema reported it
        name = ref.secret_name
        if name is None:
            what = "variable" if ref.is_env else "file name"
            yield Problem(
                "delivery-key-reference",
                f"Flux reads this link's key from a Secret named after the {what} in {ref}, "
                f"and '{ref.name}' makes no valid Secret name",
                (*link.at, "psk"),
                "name the variable or file with letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit (ICP_IKS_PSK becomes Secret icp-iks-psk)",
            )
            continue
        other = owners.setdefault(name, ref)
        if other != ref:
            yield Problem(
                "delivery-key-reference",
                f"Flux would read both {other} and {ref} from Secret {name}",
                (*link.at, "psk"),
                "give different keys names that differ in more than case, '_' or '-' (or the "
                "folder), or let the links share one reference",
            )


@check("clusters")
def argocd_has_addresses(t: Topology) -> Iterator[Problem]:
    if not t.delivery.uses(Controller.ARGOCD) or t.istio.legacy:
        return
    inside_vpn = t.istio.path is ControlPlanePath.VPN
    for cluster in t.primaries:
        if t.has_remotes(cluster) and (inside_vpn or not cluster.east_west_ip):
            where = (f"the cluster IP through which they reach istiod on {cluster.name} inside "
                     "the VPN" if inside_vpn else f"the address of {cluster.name}'s east-west "
                     "gateway")
            yield Problem(
                "delivery-address",
                f"Argo CD installs the remotes of {cluster.name} from values in git, which "
                f"need {where}; it cannot read it from the cluster",
                cluster.at,
                ("set istio.controlPlanePath: eastwest-gateway and " if inside_vpn else "set ")
                + f"eastWestGatewayIP on {cluster.name} and reserve that address for the "
                "gateway's load balancer (or deliver with Flux, which takes it from a ConfigMap "
                "apply.sh --phase bootstrap writes)",
            )
