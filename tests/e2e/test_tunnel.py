"""Real strongSwan tunnels from the generated configs, for every link of every topology.

Each end of a link is a network namespace running its own daemon. The generated swanctl.conf
of each end is installed the way its comment says (conf.d plus a secrets file beside it); the
generated ipsec.conf runs under starter as in the chart's VPN pod, after a check that it is
what the chart renders from the generated values.yaml. Each end's install-gateway.sh, copied
alone to its gateway, installs the same tunnel as root. A tunnel counts as working when its
CHILD_SA is installed at both ends, pings between pod and service addresses cross it in both
directions, and the SA's byte counters grow. Mismatched pairs must not come up.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
import re
import secrets
import stat
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml

from generator.api import check_file, render
from generator.artifacts import RenderedTree
from generator.model import Cluster, SecretKind, SecretRef, Topology, VpnLink
from generator.targets.vpn.ends import release_name
from tests.helpers import TOPOLOGIES, topology_of

from .chart import chart_sections, parse_ipsec_conf
from .netlab import ChildSa, Lab, LabError, Site, host_in, wait_for

pytestmark = pytest.mark.e2e

UP_TIMEOUT = 20.0
"""Bound on a tunnel coming up; on a mismatched pair, on the failure being reported."""

# Strong suites other than the topologies' own, for pairs that must not agree.
OTHER_PROPOSALS = {"ike": "aes128gcm16-prfsha256-ecp256", "esp": "aes128gcm16-ecp256"}
FAILURE_NOTICE = {"psk": "AUTHENTICATION_FAILED", "ike": "NO_PROPOSAL_CHOSEN",
                  "esp": "NO_PROPOSAL_CHOSEN"}
SEED = "icp-iks-bookinfo"


@functools.cache
def tree_of(t: Topology) -> RenderedTree:
    """The rendered tree: once per topology file, afresh for a changed copy (no source)."""
    if t.source:
        return _tree_of_path(TOPOLOGIES / t.source)
    return render(t)


def files_of(t: Topology) -> dict[str, bytes]:
    return tree_of(t).files


@functools.cache
def _tree_of_path(path: Path) -> RenderedTree:
    return render(topology_of(path))


def _link_params(keys: str = "any") -> Iterator[object]:
    """Every link of every example (``keys``: ``any``, or only those whose key is an ``env``
    variable)."""
    for path in sorted(TOPOLOGIES.glob("*.yaml")):
        checked = check_file(path)
        if checked.topology is None or not checked.valid:
            # Listed all the same, so the test fails on it rather than leaving it out.
            yield pytest.param(path, 0, id=f"{path.stem}:invalid")
            continue
        for index, link in enumerate(checked.topology.vpn):
            if keys in ("any", "env" if link.psk.is_env else "file"):
                yield pytest.param(path, index, id=f"{checked.topology.name}:{link.name}")


def _mesh_params() -> Iterator[object]:
    for path in sorted(TOPOLOGIES.glob("*.yaml")):
        checked = check_file(path)
        t = checked.topology
        if t is not None and any(len(t.links_of(c.name)) > 1 for c in t.clusters):
            yield pytest.param(path, id=t.name)


LINKS = list(_link_params())
ENV_KEY_LINKS = list(_link_params("env"))
"""The links whose key the test can hand over as a variable (a key file is the operator's)."""
MESHES = list(_mesh_params())
SEED_LINK = [p for p in LINKS if getattr(p, "id", "").startswith(f"{SEED}:")] or LINKS[:1]


# --- setting up ------------------------------------------------------------------------------


def ends(t: Topology, link: VpnLink) -> tuple[Cluster, Cluster]:
    initiator, responder = t.cluster(link.initiator), t.cluster(link.responder)
    assert initiator is not None and responder is not None
    return initiator, responder


def open_sites(lab: Lab, t: Topology, links: Iterable[VpnLink]) -> dict[str, Site]:
    """A namespace per cluster on these links, a veth per link, an address in every range."""
    links = list(links)
    names = sorted({name for link in links for name in (link.initiator, link.responder)})
    sites = {name: lab.site(name) for name in names}
    for name, site in sites.items():
        cluster = t.cluster(name)
        assert cluster is not None
        for cidr in cluster.cidrs:
            lab.add_address(site, host_in(cidr))
    for link in links:
        a, b = ends(t, link)
        listen = t.listen_address(link)
        assert a.vpn_gateway and listen
        lab.connect(sites[a.name], a.vpn_gateway, sites[b.name], listen)
    return sites


def install_swanctl(site: Site, generated: bytes, local: str, peer: str, secret: str) -> None:
    """Install one generated swanctl.conf as its comment says: conf.d plus the secrets file."""
    root = site.folder / "swanctl"
    conf_d = root / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    (root / "swanctl.conf").write_text("include conf.d/*.conf\n", encoding="utf-8")
    text = generated.decode("utf-8")
    include = re.search(r"^include (\S+)$", text, re.MULTILINE)
    assert include, "swanctl.conf must pull its secret in with include"
    assert not re.search(r"^\s*secret\s*=", text, re.MULTILINE), "a secret in swanctl.conf"
    (conf_d / f"{peer}.conf").write_bytes(generated)
    encoded = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    secrets_file = conf_d / include.group(1)
    secrets_file.write_text(
        f"secrets {{\n    ike-{peer} {{\n        id-1 = {local}\n        id-2 = {peer}\n"
        f"        secret = 0s{encoded}\n    }}\n}}\n", encoding="utf-8")
    secrets_file.chmod(0o600)


def load_swanctl(site: Site) -> None:
    site.swanctl("--load-all", "--file", str(site.folder / "swanctl" / "swanctl.conf"))


def child_towards(site: Site, peer: Cluster) -> ChildSa | None:
    for child in site.installed():
        if set(child.remote_ts) == set(peer.cidrs):
            return child
    return None


def wait_until_up(pairs: Iterable[tuple[Site, Cluster]]) -> dict[tuple[str, str], ChildSa]:
    pairs = list(pairs)

    def all_up() -> dict[tuple[str, str], ChildSa] | None:
        found = {}
        for site, peer in pairs:
            child = child_towards(site, peer)
            if child is None:
                return None
            found[(site.label, peer.name)] = child
        return found

    try:
        return wait_for("the CHILD_SAs", all_up, UP_TIMEOUT)
    except LabError as exc:
        logs = "\n".join(f"--- {site.label}\n{site.log_text()[-3000:]}" for site, _ in pairs)
        raise AssertionError(f"{exc}\n{logs}") from None


def assert_traffic_crosses(t: Topology, sites: dict[str, Site], link: VpnLink) -> None:
    """Pod to pod and pod to service, both ways; then every SA counter of the link grew."""
    a, b = ends(t, link)
    pairs = [(sites[a.name], b), (sites[b.name], a)]
    before = wait_until_up(pairs)
    for site, here, there in ((sites[a.name], a, b), (sites[b.name], b, a)):
        source = host_in(here.pod_cidr)
        for target in (host_in(there.pod_cidr), host_in(there.service_cidr)):
            assert site.ping(source, target), (
                f"{here.name} pod {source} cannot reach {target} in {there.name}")
    after = wait_until_up(pairs)
    for key, child in after.items():
        assert child.bytes_out > before[key].bytes_out, f"{key}: nothing sent through the SA"
        assert child.bytes_in > before[key].bytes_in, f"{key}: nothing received through the SA"


def assert_stays_down(t: Topology, sites: dict[str, Site], link: VpnLink, notice: str) -> None:
    a, b = ends(t, link)
    initiator, responder = sites[a.name], sites[b.name]
    wait_for(f"{notice} in the initiator's log", lambda: notice in initiator.log_text(),
             UP_TIMEOUT)
    assert child_towards(initiator, b) is None and child_towards(responder, a) is None
    assert not initiator.ping(host_in(a.pod_cidr), host_in(b.pod_cidr))


def generated(t: Topology, local: Cluster, peer: Cluster, name: str) -> bytes:
    return files_of(t)[f"{local.name}/vpn/{peer.name}/{name}"]


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "index"), LINKS)
def test_swanctl_tunnel_carries_traffic(lab: Lab, path: Path, index: int) -> None:
    t = topology_of(path)
    link = t.vpn[index]
    initiator, responder = ends(t, link)
    sites = open_sites(lab, t, [link])
    secret = secrets.token_urlsafe(24)
    for local, peer in ((responder, initiator), (initiator, responder)):
        site = sites[local.name]
        lab.start_charon(site)
        install_swanctl(site, generated(t, local, peer, "swanctl.conf"), local.name,
                        peer.name, secret)
        load_swanctl(site)
    assert_traffic_crosses(t, sites, link)


@pytest.mark.parametrize(("path", "index"), LINKS)
def test_chart_ipsec_conf_is_rendered_from_the_values(
        reference_dir: Path, path: Path, index: int) -> None:
    t = topology_of(path)
    defaults = yaml.safe_load(
        (reference_dir / "iks-strongswan-2.10.7" / "values.yaml").read_text(encoding="utf-8"))
    for local, peer in (ends(t, t.vpn[index]), ends(t, t.vpn[index])[::-1]):
        values = yaml.safe_load(generated(t, local, peer, "values.yaml"))
        ipsec_conf = generated(t, local, peer, "ipsec.conf").decode("utf-8")
        assert parse_ipsec_conf(ipsec_conf) == chart_sections(defaults, values)


@pytest.mark.parametrize(("path", "index"), LINKS)
def test_chart_ipsec_conf_tunnel_carries_traffic(lab: Lab, path: Path, index: int) -> None:
    t = topology_of(path)
    link = t.vpn[index]
    initiator, responder = ends(t, link)
    sites = open_sites(lab, t, [link])
    secret = secrets.token_urlsafe(24)
    for local, peer in ((responder, initiator), (initiator, responder)):
        site = sites[local.name]
        conf = site.folder / "ipsec.conf"
        conf.write_bytes(generated(t, local, peer, "ipsec.conf"))
        lab.start_starter(site, conf, secret)
    assert_traffic_crosses(t, sites, link)


@pytest.mark.parametrize("path", MESHES)
def test_every_tunnel_of_a_mesh_at_once(lab: Lab, path: Path) -> None:
    """One daemon per cluster loads all its ends; every tunnel comes up beside the others."""
    t = topology_of(path)
    sites = open_sites(lab, t, t.vpn)
    keys = {link.name: secrets.token_urlsafe(24) for link in t.vpn}
    for site in sites.values():
        lab.start_charon(site)
    # As the runbook does: every listening end first, then the ends that start the tunnels.
    for starting in (False, True):
        for link in t.vpn:
            initiator, responder = ends(t, link)
            local, peer = (initiator, responder) if starting else (responder, initiator)
            install_swanctl(sites[local.name], generated(t, local, peer, "swanctl.conf"),
                            local.name, peer.name, keys[link.name])
        for site in sites.values():
            load_swanctl(site)
    for link in t.vpn:
        assert_traffic_crosses(t, sites, link)


@pytest.mark.parametrize("mismatch", ["psk", "ike", "esp"])
@pytest.mark.parametrize(("path", "index"), SEED_LINK)
def test_mismatched_pair_stays_down(lab: Lab, path: Path, index: int, mismatch: str) -> None:
    t = topology_of(path)
    link = t.vpn[index]
    initiator, responder = ends(t, link)
    other = t
    if mismatch in OTHER_PROPOSALS:
        changed = (dataclasses.replace(link, ike=OTHER_PROPOSALS["ike"]) if mismatch == "ike"
                   else dataclasses.replace(link, esp=OTHER_PROPOSALS["esp"]))
        other = dataclasses.replace(t, vpn=tuple(changed if x is link else x for x in t.vpn),
                                    source="")
    sites = open_sites(lab, t, [link])
    secret = secrets.token_urlsafe(24)
    for local, peer, source in ((responder, initiator, t), (initiator, responder, other)):
        site = sites[local.name]
        lab.start_charon(site)
        key = secret + "-other" if mismatch == "psk" and local is initiator else secret
        install_swanctl(site, generated(source, local, peer, "swanctl.conf"), local.name,
                        peer.name, key)
        load_swanctl(site)
    assert_stays_down(t, sites, link, FAILURE_NOTICE[mismatch])


GATEWAY_SCRIPT = "install-gateway.sh"
# In a private mount namespace: the site's folder as /etc/swanctl, its daemon's socket where
# swanctl looks for it, then the script, traced, from the folder given.
IN_GATEWAY = ('mount --bind "$1" /etc/swanctl && mount -t tmpfs tmpfs /run && '
              'ln -s "$2" /run/charon.vici && cd "$3" && exec bash -x "$4"')


def copy_of_end(t: Topology, local: Cluster, peer: Cluster, folder: Path) -> Path:
    """Only the end's folder, as an operator copies it to the gateway host."""
    prefix = f"{local.name}/vpn/{peer.name}/"
    tree = tree_of(t)
    folder.mkdir(parents=True)
    for name, content in tree.files.items():
        if name.startswith(prefix):
            target = folder / name[len(prefix):]
            target.write_bytes(content)
            target.chmod(tree.mode(name))
    return folder


def run_gateway_scripts(lab: Lab, t: Topology, link: VpnLink, key: str, cwd: Path,
                        env: dict[str, str]) -> None:
    """Each end's install-gateway.sh, run as its comment says, on that end's gateway."""
    initiator, responder = ends(t, link)
    sites = open_sites(lab, t, [link])
    for local, peer in ((responder, initiator), (initiator, responder)):
        site = sites[local.name]
        lab.start_charon(site)
        etc = site.folder / "etc-swanctl"
        (etc / "conf.d").mkdir(parents=True)
        (etc / "swanctl.conf").write_text("include conf.d/*.conf\n", encoding="utf-8")
        scratch = site.folder / "tmp"
        scratch.mkdir()
        script = copy_of_end(t, local, peer, site.folder / "copy") / GATEWAY_SCRIPT
        assert os.access(script, os.X_OK)
        done = subprocess.run(
            ["unshare", "--mount", "bash", "-c", IN_GATEWAY, "gateway", str(etc),
             str(site.folder / "charon.vici"), str(cwd), str(script)],
            capture_output=True, text=True, timeout=30, check=False,
            env={**os.environ, **env, "TMPDIR": str(scratch)})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "+ set +x" in done.stderr, "the script was not traced up to where it stops that"
        assert key not in done.stdout + done.stderr  # not even in the shell's trace
        installed = sorted(p.name for p in (etc / "conf.d").iterdir())
        release = release_name(peer.name)
        assert installed == [f"{release}.conf", f"{release}.secrets"]
        secrets_file = etc / "conf.d" / installed[1]
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
        encoded = base64.b64encode(key.encode()).decode()
        assert f"        secret = 0s{encoded}\n" in secrets_file.read_text(encoding="utf-8")
        assert not list(scratch.iterdir()), "the temporary key file was left behind"
    assert_traffic_crosses(t, sites, link)


@pytest.mark.parametrize(("path", "index"), ENV_KEY_LINKS)
def test_gateway_scripts_set_up_the_tunnel(lab: Lab, path: Path, index: int) -> None:
    """Each end's install-gateway.sh, copied alone to its gateway and run there as root,
    installs the config and a key file only root reads, loads both, and the tunnel carries
    traffic."""
    t = topology_of(path)
    link = t.vpn[index]
    key = secrets.token_urlsafe(24)
    run_gateway_scripts(lab, t, link, key, lab.folder, {link.psk.name: key})


@pytest.mark.parametrize(("path", "index"), SEED_LINK)
def test_gateway_scripts_read_a_key_file(lab: Lab, path: Path, index: int) -> None:
    """With psk: {file: <relative path>} the scripts read the key from where they are started;
    the newline of `echo KEY > file` is not part of the key."""
    t = topology_of(path)
    link = dataclasses.replace(t.vpn[index], psk=SecretRef(SecretKind.FILE, "keys/link.psk"))
    t = dataclasses.replace(t, vpn=tuple(link if k == index else x for k, x in enumerate(t.vpn)),
                            source="")
    key = secrets.token_urlsafe(24)
    operator = lab.folder / "operator"
    (operator / "keys").mkdir(parents=True)
    (operator / "keys" / "link.psk").write_text(key + "\n", encoding="utf-8")
    run_gateway_scripts(lab, t, link, key, operator, {})
