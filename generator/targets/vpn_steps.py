"""Runbook steps of the VPN: install each end's chart release, then check every tunnel.

The pre-shared key never appears on a command line or in the trace of ``set -x``: it goes
from the variable or file the topology names into a ``mktemp`` file (mode 0600, outside
output/, removed when the step's subshell exits) and from there to ``--set-file``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from ..model import Cluster, SecretRef, Topology
from .base import Phase, Step
from .shell import key_file_word
from .vpn_ends import (
    CHART,
    CHART_REPO_NAME,
    CHART_REPO_URL,
    CHART_VERSION,
    NAMESPACE,
    LinkEnd,
    chart_fullname,
    link_ends,
    release_name,
)

q = shlex.quote


def kube(cluster: Cluster) -> str:
    return f"--context {q(cluster.context)} --namespace {NAMESPACE}"


def _helm_install(end: LinkEnd, key_file: str) -> str:
    return (
        f"helm upgrade --install {q(end.release)} {CHART} --version {CHART_VERSION} "
        f"--kube-context {q(end.local.context)} --namespace {NAMESPACE} "
        f"-f {q(end.folder + '/values.yaml')} --set-file preshared.secret={key_file} --wait"
    )


def _key_to_temp_file(psk: SecretRef, link: str) -> str:
    """Commands (for a subshell) that leave the key in "$psk_file", or stop with a message."""
    if psk.kind == "env":
        source = f"printenv {q(psk.name)} | tr -d '\\n'"
        missing = f"set {psk.name} to the pre-shared key of link {link}"
    else:
        source = f"tr -d '\\n' < {key_file_word(psk.name)}"
        missing = f"{psk.name} must hold the pre-shared key of link {link}"
    return (
        'psk_file="$(mktemp)"; trap \'rm -f "$psk_file"\' EXIT; '
        f'{source} > "$psk_file"; '
        f'[ -s "$psk_file" ] || {{ echo {q(missing)} >&2; exit 1; }}'
    )


def install_command(end: LinkEnd) -> str:
    # A key file goes through the temporary file too: a trailing newline (echo KEY > file)
    # would otherwise become part of the key on the chart's ends and not on a gateway's.
    key_file = '"$psk_file"'
    return (f"(set -eu; {_key_to_temp_file(end.link.psk, end.link.name)}; "
            f"{_helm_install(end, key_file)})")


def _gateway_commands(end: LinkEnd) -> tuple[str, ...]:
    conf_dir = "/etc/swanctl/conf.d"
    secrets = f"{conf_dir}/{end.secrets_file}"
    opening = (f"secrets {{\\n    ike-{end.connection} {{\\n        id-1 = {end.local.name}\\n"
               f"        id-2 = {end.peer.name}\\n        secret = 0s")
    return (
        f"install -m 0644 {q(end.folder + '/swanctl.conf')} "
        f"{q(f'{conf_dir}/{end.connection}.conf')}",
        f"(set -eu; umask 077; {_key_to_temp_file(end.link.psk, end.link.name)}; "
        f"{{ printf {q(opening)}; base64 < \"$psk_file\" | tr -d '\\n'; "
        f"printf '\\n    }}\\n}}\\n'; }} > {q(secrets)})",
        "swanctl --load-all",
    )


def install_steps(t: Topology) -> Iterator[Step]:
    ends = list(link_ends(t))
    if not ends:
        return
    yield Step(
        Phase.VPN,
        "Add the Helm repository of the strongSwan chart",
        (f"helm repo add {CHART_REPO_NAME} {CHART_REPO_URL} --force-update",
         f"helm repo update {CHART_REPO_NAME}"),
        notes=(f"IBM's {CHART} chart runs one strongSwan VPN pod per release; ICP ran the "
               "same chart.",),
    )
    for end in ends:
        psk = end.link.psk
        role = ("starts the tunnel" if end.initiates
                else f"listens on {end.listen_address}")
        notes = [
            f"{end.local.name} {role}; {end.peer.name}'s ranges "
            f"{end.remote_subnets} are reached through it.",
            f"The pre-shared key comes from {psk}"
            + (" (a relative path is read from the folder apply.sh is started from)"
               if psk.kind == "file" and not psk.name.startswith(("/", "~")) else "")
            + "; both ends of the link must get the same key.",
        ]
        if not end.initiates:
            notes.append("Installed before the other end so that it listens when that end "
                         "starts the tunnel.")
        yield Step(
            Phase.VPN,
            f"strongSwan on {end.local.name}: tunnel to {end.peer.name} ({end.release})",
            (install_command(end),),
            end.local.name,
            tuple(notes),
            secrets=(psk,),
        )
    for end in ends:
        yield Step(
            Phase.VPN,
            f"Instead of the chart: {end.local.name}'s end of the tunnel to {end.peer.name} "
            "on a strongSwan gateway",
            _gateway_commands(end),
            end.local.name,
            (
                f"Only where {end.local.name}'s end runs on a strongSwan 5.9+ host at "
                f"{end.listen_address if not end.initiates else end.local.vpn_gateway} rather "
                "than in the cluster: run these there, as "
                "root.",
                f"The key goes to /etc/swanctl/conf.d/{end.secrets_file} (mode 0600), which "
                "the installed swanctl.conf includes.",
            ),
            optional=True,
            secrets=(end.link.psk,),
        )


def _pod_ip(cluster: Cluster, release: str) -> str:
    return (f"kubectl {kube(cluster)} get pod --selector app=strongswan,release={q(release)} "
            "--output 'jsonpath={.items[0].status.podIP}'")


def check_steps(t: Topology) -> Iterator[Step]:
    for end in link_ends(t):
        local, peer = end.local, end.peer
        back = release_name(local.name)
        variable = "PEER_POD_IP"
        yield Step(
            Phase.VPN_CHECK,
            f"Check the tunnel from {local.name} to {peer.name}",
            (
                f"helm test {q(end.release)} --kube-context {q(local.context)} "
                f"--namespace {NAMESPACE}",
                f'{variable}="$({_pod_ip(peer, back)})"',
                f"kubectl {kube(local)} exec deploy/{q(chart_fullname(end.release))} -- "
                f'sudo ping -c 3 "${variable}"',
            ),
            local.name,
            (
                "helm test runs the chart's check-config and check-state tests: the config "
                "is valid and the tunnel ESTABLISHED.",
                f"Then {local.name}'s VPN pod pings the VPN pod of {peer.name}, a pod address "
                f"in {peer.pod_cidr}: it crosses the tunnel only if both pod ranges are routed "
                "through it without SNAT.",
            ),
        )


def steps(t: Topology) -> Iterator[Step]:
    yield from install_steps(t)
    yield from check_steps(t)
