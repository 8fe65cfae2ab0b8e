"""Runbook steps of the VPN: install each end's chart release, then check every cluster's tunnels.

Each step is one short call of a helper (:mod:`.vpn_scripts`) per link end. The pre-shared key
is named by reference only (``--psk-env NAME`` or ``--psk-file PATH``); the helper reads it into
a private temporary file for helm, so it never appears on a command line or in a trace.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from ...model import SecretRef, Topology
from ..base import Phase, Step
from ..shell import key_file_word
from .ends import CHART, CHART_REPO_NAME, CHART_REPO_URL, LinkEnd, link_ends, release_name
from .scripts import CHECK_HELPER, GATEWAY_SCRIPT, INSTALL_HELPER

q = shlex.quote


def psk_option(psk: SecretRef) -> str:
    if psk.is_env:
        return f"--psk-env {q(psk.name)}"
    return f"--psk-file {key_file_word(psk)}"


def install_command(end: LinkEnd) -> str:
    return (f"./{INSTALL_HELPER} --context {q(end.local.context)} --release {q(end.release)} "
            f"--values {q(end.folder + '/values.yaml')} {psk_option(end.link.psk)}")


def check_command(end: LinkEnd) -> str:
    return (f"./{CHECK_HELPER} --context {q(end.local.context)} --release {q(end.release)} "
            f"--peer-context {q(end.peer.context)} "
            f"--peer-release {q(release_name(end.local.name))}")


def install_steps(t: Topology) -> Iterator[Step]:
    ends = list(link_ends(t))
    if not ends:
        return
    yield Step(
        Phase.VPN,
        "Add the Helm repository of the strongSwan chart",
        (f"helm repo add {CHART_REPO_NAME} {CHART_REPO_URL} --force-update",
         f"helm repo update {CHART_REPO_NAME}"),
        notes=(
            f"IBM's {CHART} chart runs one strongSwan VPN pod per release; ICP ran the same "
            "chart. Each end of a link is one release, installed by the steps that follow.",
            f"{INSTALL_HELPER} hands helm the link's pre-shared key, named in the step by "
            "--psk-env or --psk-file, through a private temporary file; both ends of a link "
            "read the same key. A relative key file is read from the folder apply.sh is "
            "started from.",
            "The listening ends are installed first, so that they listen when the other ends "
            "start their tunnels.",
            f"Where an end runs on a strongSwan gateway host rather than in its cluster, run "
            f"<cluster>/vpn/<peer>/{GATEWAY_SCRIPT} there as root instead of that end's step.",
        ),
    )
    for end in ends:
        how = (f"starts the tunnel to {end.listen_address}" if end.initiates
               else f"listens on {end.listen_address}")
        yield Step(
            Phase.VPN,
            f"strongSwan on {end.local.name}: tunnel to {end.peer.name} ({end.release})",
            (install_command(end),),
            end.local.name,
            (f"{end.local.name} {how}; {end.peer.name}'s ranges {end.remote_subnets} are "
             "reached through it.",),
            secrets=(end.link.psk,),
            tools=("helm",),
        )


def _check_title(cluster: str, peers: list[str]) -> str:
    if len(peers) == 1:
        return f"Check the tunnel from {cluster} to {peers[0]}"
    if len(peers) <= 3:
        return f"Check the tunnels from {cluster} to {', '.join(peers)}"
    return f"Check the {len(peers)} tunnels from {cluster}"


def check_steps(t: Topology) -> Iterator[Step]:
    """One step per cluster with a VPN, checking each of its ends in turn."""
    ends_of: dict[str, list[LinkEnd]] = {}
    for end in link_ends(t):
        ends_of.setdefault(end.local.name, []).append(end)
    for cluster in t.clusters:
        own = ends_of.get(cluster.name)
        if not own:
            continue
        yield Step(
            Phase.VPN_CHECK,
            _check_title(cluster.name, [end.peer.name for end in own]),
            tuple(check_command(end) for end in own),
            cluster.name,
            (
                f"For each tunnel, {CHECK_HELPER} runs helm test (the chart's check-config and "
                "check-state tests: the config is valid and the tunnel ESTABLISHED).",
                f"Then {cluster.name}'s VPN pod pings the peer's VPN pod at its pod address: "
                "the ping crosses the tunnel only if both pod ranges are routed through it "
                "without SNAT.",
            ),
            tools=("helm", "kubectl"),
        )


def steps(t: Topology) -> Iterator[Step]:
    yield from install_steps(t)
    yield from check_steps(t)
