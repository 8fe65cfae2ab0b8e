"""The VPN target: chart values that mirror each other, swanctl.conf, the runbook steps and
the helpers they call.

Real tunnels built from these files are in tests/e2e.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import check_file, render
from generator.model import SecretKind, SecretRef, Topology
from generator.output.writer import write_tree
from generator.targets.base import Phase, Step
from generator.targets.vpn import target as vpn
from generator.targets.vpn.ends import (
    LinkEnd,
    chart_fullname,
    link_ends,
    release_name,
)
from generator.targets.vpn.steps import install_command
from tests.helpers import (
    SEED,
    TOPOLOGIES,
    VALID,
    edited,
    require_program,
    require_root,
    topology_of,
)

DURATION = re.compile(r"^[0-9]+[smh]?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
TOPOLOGY_FILES = sorted(TOPOLOGIES.glob("*.yaml"))


topology = functools.cache(topology_of)


@functools.cache
def files(path: Path) -> dict[str, bytes]:
    return render(topology(path)).files


def values_of(path: Path, local: str, peer: str) -> dict[str, Any]:
    loaded = yaml.safe_load(files(path)[f"{local}/vpn/{peer}/values.yaml"])
    assert isinstance(loaded, dict)
    return loaded


def link_params() -> Iterator[object]:
    for path in TOPOLOGY_FILES:
        t = topology(path)
        for link in t.vpn:
            yield pytest.param(path, link.initiator, link.responder, id=f"{t.name}:{link.name}")


def leaf_paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            yield from leaf_paths(value, (*prefix, key))
        else:
            yield (*prefix, key)


def swanctl_settings(text: str) -> dict[str, str]:
    """Settings of a swanctl.conf as dotted paths (connections.vpn-x.local.id = ...)."""
    found: dict[str, str] = {}
    stack: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.endswith("{"):
            stack.append(line[:-1].strip())
        elif line == "}":
            stack.pop()
        elif "=" in line:
            key, _, value = line.partition("=")
            found[".".join((*stack, key.strip()))] = value.strip()
        elif line:
            found[line] = ""
    assert not stack, "unbalanced braces"
    return found


# --- values.yaml ----------------------------------------------------------------------------


def test_seed_values_are_the_article_settings() -> None:
    icp, iks = values_of(SEED, "icp", "iks"), values_of(SEED, "iks", "icp")
    assert icp["local"]["subnet"] == "10.0.0.0/24,10.1.0.0/16"
    assert iks["remote"]["subnet"] == "10.0.0.0/24,10.1.0.0/16"
    assert icp["remote"]["subnet"] == "172.21.0.0/16,172.30.0.0/16"
    assert (iks["ipsec"]["auto"], icp["ipsec"]["auto"]) == ("start", "add")
    assert iks["remote"]["gateway"] == "203.0.113.10"
    assert icp["loadBalancerIP"] == "203.0.113.10"
    assert icp["enablePodSNAT"] == iks["enablePodSNAT"] == "false"


@pytest.mark.parametrize(("path", "initiator", "responder"), list(link_params()))
def test_the_two_ends_mirror_each_other(path: Path, initiator: str, responder: str) -> None:
    t = topology(path)
    start, listen = values_of(path, initiator, responder), values_of(path, responder, initiator)
    assert start["local"]["subnet"] == listen["remote"]["subnet"]
    assert listen["local"]["subnet"] == start["remote"]["subnet"]
    assert start["local"]["id"] == listen["remote"]["id"] == initiator
    assert listen["local"]["id"] == start["remote"]["id"] == responder
    shared = ("keyexchange", "ike", "esp", "ikelifetime", "lifetime", "margintime", "dpdaction",
              "closeaction")
    assert {k: start["ipsec"][k] for k in shared} == {k: listen["ipsec"][k] for k in shared}
    assert [start["ipsec"]["auto"], listen["ipsec"]["auto"]] == ["start", "add"]
    link = next(link for link in t.vpn if {initiator, responder} == set(link.between))
    peer = t.cluster(responder)
    assert peer is not None
    address = link.listen_address or peer.vpn_gateway
    assert start["remote"]["gateway"] == address
    assert "gateway" not in listen["remote"]  # the chart's %any: it accepts the initiator
    assert listen["loadBalancerIP"] == address
    assert "loadBalancerIP" not in start


@pytest.mark.parametrize("path", TOPOLOGY_FILES, ids=lambda p: p.stem)
def test_every_key_is_one_the_chart_knows(reference_dir: Path, path: Path) -> None:
    chart = yaml.safe_load((reference_dir / "iks-strongswan-2.10.7" / "values.yaml")
                           .read_text(encoding="utf-8"))
    for name in files(path):
        if not name.endswith("/values.yaml") or "/vpn/" not in name:
            continue
        for key_path in leaf_paths(yaml.safe_load(files(path)[name])):
            node: Any = chart
            for key in key_path:
                assert isinstance(node, Mapping) and key in node, f"{name}: {'.'.join(key_path)}"
                node = node[key]


@pytest.mark.parametrize("path", TOPOLOGY_FILES, ids=lambda p: p.stem)
def test_no_secret_anywhere(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = topology(path)
    planted = "planted-key-4b1d9"
    for link in t.vpn:
        if link.psk.is_env:
            monkeypatch.setenv(link.psk.name, planted)
    rendered = render(t).files
    for name, content in rendered.items():
        assert planted.encode() not in content, name
        if "/vpn/" in name and name.endswith("values.yaml"):
            keys = {k for p in leaf_paths(yaml.safe_load(content)) for k in p}
            assert not keys & {"preshared", "secret", "overRideIpsecSecrets"}, name
        if name.endswith("swanctl.conf"):
            settings = swanctl_settings(content.decode())
            assert not [k for k in settings if k.endswith("secret")], name


def test_durations_are_in_the_form_the_chart_accepts(project: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "    psk: {env: ICP_IKS_PSK}\n",
        "    psk: {env: ICP_IKS_PSK}\n    ikeLifetime: 90m\n    lifetime: \"3600\"\n"
        "    marginTime: 300s\n    dpd: {delay: 10s}\n")
    path = project / "topologies" / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    t = topology(path)
    tree = render(t).files
    for local, peer in (("icp", "iks"), ("iks", "icp")):
        ipsec = yaml.safe_load(tree[f"{local}/vpn/{peer}/values.yaml"])["ipsec"]
        assert (ipsec["ikelifetime"], ipsec["lifetime"], ipsec["margintime"]) == (
            "90m", "3600", "300s")
        for key in ("ikelifetime", "lifetime", "margintime"):
            assert DURATION.match(ipsec[key])
        assert ipsec["additionalOptions"] == "dpddelay=10s"
        settings = swanctl_settings(tree[f"{local}/vpn/{peer}/swanctl.conf"].decode())
        conn = f"connections.vpn-{peer}"
        assert settings[f"{conn}.rekey_time"] == "85m"  # 90m less the 5m margin
        assert settings[f"{conn}.children.vpn-{peer}.rekey_time"] == "55m"
        assert settings[f"{conn}.children.vpn-{peer}.life_time"] == "3600"
        assert settings[f"{conn}.dpd_delay"] == "10s"


# --- swanctl.conf ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "initiator", "responder"), list(link_params()))
def test_swanctl_ends_mirror_each_other(path: Path, initiator: str, responder: str) -> None:
    start = swanctl_settings(files(path)[f"{initiator}/vpn/{responder}/swanctl.conf"].decode())
    listen = swanctl_settings(files(path)[f"{responder}/vpn/{initiator}/swanctl.conf"].decode())
    s, ls = f"connections.vpn-{responder}", f"connections.vpn-{initiator}"
    s_child, l_child = f"{s}.children.vpn-{responder}", f"{ls}.children.vpn-{initiator}"
    assert start[f"{s_child}.local_ts"] == listen[f"{l_child}.remote_ts"]
    assert start[f"{s_child}.remote_ts"] == listen[f"{l_child}.local_ts"]
    assert start[f"{s}.local.id"] == listen[f"{ls}.remote.id"] == initiator
    assert start[f"{s}.remote.id"] == listen[f"{ls}.local.id"] == responder
    assert start[f"{s}.remote_addrs"] == listen[f"{ls}.local_addrs"]
    assert start[f"{s}.proposals"] == listen[f"{ls}.proposals"]
    assert start[f"{s_child}.esp_proposals"] == listen[f"{l_child}.esp_proposals"]
    assert (start[f"{s_child}.start_action"], listen[f"{l_child}.start_action"]) == (
        "start", "none")
    assert start[f"{s_child}.mode"] == listen[f"{l_child}.mode"] == "tunnel"
    assert start[f"include vpn-{responder}.secrets"] == ""


def test_swanctl_conf_of_the_seed_initiator() -> None:
    settings = swanctl_settings(files(SEED)["iks/vpn/icp/swanctl.conf"].decode())
    conn, child = "connections.vpn-icp", "connections.vpn-icp.children.vpn-icp"
    assert settings[f"{conn}.version"] == "2"
    assert settings[f"{conn}.local_addrs"] == "198.51.100.20"
    assert settings[f"{conn}.remote_addrs"] == "203.0.113.10"
    assert settings[f"{conn}.proposals"] == "aes256gcm16-prfsha384-ecp384"
    assert settings[f"{conn}.local.auth"] == settings[f"{conn}.remote.auth"] == "psk"
    assert settings[f"{child}.local_ts"] == "172.21.0.0/16,172.30.0.0/16"
    assert settings[f"{child}.remote_ts"] == "10.0.0.0/24,10.1.0.0/16"
    assert settings[f"{child}.esp_proposals"] == "aes256gcm16-ecp384"
    assert settings[f"{child}.rekey_time"] == "51m"  # 1h less the 9m margin
    assert settings[f"{child}.dpd_action"] == "restart"
    assert settings[f"{child}.close_action"] == "start"  # the chart's auto on the initiator


# --- several peers, long names ----------------------------------------------------------------


def test_a_cluster_with_two_peers_gets_one_release_each() -> None:
    mesh = TOPOLOGIES / "three-cluster-mesh.yaml"
    t = topology(mesh)
    for cluster in t.clusters:
        peers = sorted(link.peer_of(cluster.name) for link in t.links_of(cluster.name))
        assert len(peers) == 2
        found = sorted(n.split("/")[2] for n in files(mesh)
                       if n.startswith(f"{cluster.name}/vpn/") and n.endswith("values.yaml"))
        assert found == peers
    installs = [c for s in vpn.TARGET.steps(t) if s.phase is Phase.VPN
                for c in s.commands if c.startswith("./vpn-install.sh ")]
    pattern = re.compile(r"--context (\S+) --release (\S+) ")
    releases = [m.groups()[::-1] for m in map(pattern.search, installs) if m]
    assert len(releases) == len(installs)
    assert sorted(releases) == sorted(
        (f"vpn-{link.peer_of(c.name)}", c.context) for c in t.clusters
        for link in t.links_of(c.name))


# A peer name too long for "vpn-<peer>" in 35 characters keeps the start of that name and adds
# the first eight hex digits of the SHA-256 of the peer name (here from sha256sum).
LONG_EAST = "a" * 40 + "-east"
LONG_EAST_RELEASE = "vpn-" + "a" * 22 + "-32a382dc"


def test_release_names_fit_the_charts_limits() -> None:
    expected = {
        "icp": "vpn-icp",
        "x" * 31: "vpn-" + "x" * 31,  # 35 characters: still whole
        "x" * 32: "vpn-" + "x" * 22 + "-c62e4615",
        LONG_EAST: LONG_EAST_RELEASE,
        "a" * 40 + "-west": "vpn-" + "a" * 22 + "-bec2156c",
    }
    names = [release_name(peer) for peer in expected]
    assert names == list(expected.values())
    for name in names:
        assert len(name) <= 35 and DNS_LABEL.match(name), name
    # The chart's objects are "<release cut to 35, no trailing '-'>-strongswan".
    assert [chart_fullname(n) for n in names] == [f"{n}-strongswan" for n in names]
    assert chart_fullname("vpn-" + "x" * 30 + "-tail") == "vpn-" + "x" * 30 + "-strongswan"


# --- the runbook ----------------------------------------------------------------------------


def steps_of(path: Path) -> list[Step]:
    return list(vpn.TARGET.steps(topology(path)))


def test_steps_install_listeners_first_then_check_every_cluster() -> None:
    found = steps_of(SEED)
    assert "helm repo add iks-charts https://icr.io/helm/iks-charts" in found[0].commands[0]
    installs = [s for s in found if s.phase is Phase.VPN and s.cluster]
    assert [s.cluster for s in installs] == ["icp", "iks"]
    for step, release in zip(installs, ["vpn-iks", "vpn-icp"], strict=True):
        (command,) = step.commands
        assert command == (f"./vpn-install.sh --context {step.cluster}-admin --release {release} "
                           f"--values {step.cluster}/vpn/{release[4:]}/values.yaml "
                           "--psk-env ICP_IKS_PSK")
        assert step.secrets == (SecretRef(SecretKind.ENV, "ICP_IKS_PSK"),)
    assert not [s for s in found if s.optional], "the gateway alternative is a script per end"
    checks = [s for s in found if s.phase is Phase.VPN_CHECK]
    assert [(s.cluster, s.commands) for s in checks] == [
        ("icp", ("./vpn-check.sh --context icp-admin --release vpn-iks --peer-context iks-admin "
                 "--peer-release vpn-icp",)),
        ("iks", ("./vpn-check.sh --context iks-admin --release vpn-icp --peer-context icp-admin "
                 "--peer-release vpn-iks",)),
    ]


def test_one_check_step_per_cluster_covers_every_end() -> None:
    t = topology(TOPOLOGIES / "hub-and-spoke.yaml")
    checks = [s for s in vpn.TARGET.steps(t) if s.phase is Phase.VPN_CHECK]
    assert [s.cluster for s in checks] == [c.name for c in t.clusters if t.links_of(c.name)]
    release = re.compile(r"^\./vpn-check\.sh --context \S+ --release (\S+) ")
    checked = sorted((s.cluster, m.group(1)) for s in checks for c in s.commands
                     if (m := release.match(c)))
    assert checked == sorted((end.local.name, end.release) for end in link_ends(t))


def test_every_end_has_a_gateway_script_named_in_its_swanctl_conf() -> None:
    for path in TOPOLOGY_FILES:
        tree = render(topology(path))
        for end in link_ends(topology(path)):
            script = f"{end.folder}/install-gateway.sh"
            assert script in tree.executable and tree.kinds[script] == "script"
            conf = tree.files[f"{end.folder}/swanctl.conf"].decode()
            header = conf.split("\n\n", 1)[0]
            assert "install-gateway.sh beside this file" in header
            assert f"/etc/swanctl/conf.d/{end.connection}.conf" in header
    for helper in ("vpn-install.sh", "vpn-check.sh"):
        assert helper in render(topology(SEED)).executable


@pytest.fixture
def fake_tools(tmp_path: Path) -> Path:
    """helm and kubectl on PATH that record their arguments and any key file handed over."""
    require_program("bash", package="bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "helm").write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$@" >> "$RECORD/args"\n'
        'for arg in "$@"; do case "$arg" in preshared.secret=*)\n'
        '  file="${arg#preshared.secret=}"; cp "$file" "$RECORD/key"\n'
        '  stat -c %a "$file" > "$RECORD/mode"; echo "$file" > "$RECORD/path";;\n'
        "esac; done\n",
        encoding="utf-8",
    )
    (bin_dir / "kubectl").write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "kubectl $*" >> "$RECORD/kubectl"\n'
        'case "$*" in *jsonpath*) printf 192.0.2.44 ;; esac\n',
        encoding="utf-8",
    )
    for tool in ("helm", "kubectl"):
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def on_disk(t: Topology, folder: Path) -> Path:
    """The rendered output/<topology>/, where the runbook's commands run."""
    tree = render(t)
    write_tree(folder, tree)
    return folder / tree.name


def run_step(command: str, bin_dir: Path, record: Path, env: dict[str, str],
             cwd: Path) -> subprocess.CompletedProcess[str]:
    """A runbook command in bash, traced, with tracing passed on to the scripts it starts.

    Temporary files go to ``<record>/tmp``, which must be empty again afterwards.
    """
    record.mkdir(exist_ok=True)
    scratch = record / "tmp"
    scratch.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.endswith("_PSK")}
    done = subprocess.run(["bash", "-xc", command], capture_output=True, text=True, timeout=30,
                          env={**base, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                               "RECORD": str(record), "SHELLOPTS": "xtrace",
                               "TMPDIR": str(scratch)},
                          cwd=cwd, check=False)
    assert not list(scratch.iterdir()), "a temporary file was left behind"
    return done


def seed_end(local: str, path: Path = SEED) -> LinkEnd:
    return next(e for e in link_ends(topology(path)) if e.local.name == local)


def test_install_step_passes_the_key_in_a_private_temporary_file(
        fake_tools: Path, tmp_path: Path) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    key = "s3cret-Key with spaces"
    record = tmp_path / "rec"
    done = run_step(install_command(seed_end("iks")), fake_tools, record,
                    {"ICP_IKS_PSK": key + "\n"}, tree)
    assert done.returncode == 0, done.stderr
    assert (record / "key").read_text() == key  # the newline of `echo KEY` is not part of it
    assert (record / "mode").read_text().strip() == "600"
    key_path = Path((record / "path").read_text().strip())
    assert key_path.parent == record / "tmp"  # mktemp's, outside output/; removed afterwards
    assert key not in done.stderr and key not in (record / "args").read_text()
    assert "+ set +x" in done.stderr, "the helper was not traced until it turned tracing off"
    assert (record / "args").read_text().splitlines() == [
        "upgrade", "--install", "vpn-icp", "iks-charts/strongswan", "--version", "2.10.7",
        "--kube-context", "iks-admin", "--namespace", "kube-system",
        "-f", "iks/vpn/icp/values.yaml", "--set-file", f"preshared.secret={key_path}", "--wait"]


def test_install_step_reads_a_key_file(fake_tools: Path, tmp_path: Path, project: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("psk: {env: ICP_IKS_PSK}",
                                                    "psk: {file: keys/icp-iks.psk}")
    path = project / "topologies" / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    (project / "keys").mkdir()
    (project / "keys" / "icp-iks.psk").write_text("from-a-file\n", encoding="utf-8")
    tree = on_disk(topology(path), tmp_path / "out")
    command = install_command(seed_end("icp", path))
    assert "--psk-file \"${MESHGEN_INVOKED_FROM:-$PWD}\"/keys/icp-iks.psk" in command
    # As apply.sh runs it: from the output folder, keys read from where apply.sh started.
    done = run_step(command, fake_tools, tmp_path / "rec",
                    {"MESHGEN_INVOKED_FROM": str(project)}, tree)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "rec" / "key").read_text() == "from-a-file"


KEY_FILE_CASES = [
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),  # never opened: it would hang
    (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text(""), "must hold the pre-shared key"),
    (lambda p: p.write_text("\n"), "must hold the pre-shared key"),
    (lambda p: p.write_text("k" * 4097), "is larger than 4096 bytes"),
]


@pytest.mark.parametrize(("make", "why"), KEY_FILE_CASES)
def test_install_helper_refuses_a_key_file_that_is_no_small_regular_file(
        fake_tools: Path, tmp_path: Path, make: Any, why: str) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    key = tmp_path / "key.psk"
    make(key)
    done = run_step(f"./vpn-install.sh --context c --release r --values v --psk-file {key}",
                    fake_tools, tmp_path / "rec", {}, tree)
    assert done.returncode == 1, done.stderr
    assert f"vpn-install.sh: {key} {why}" in done.stderr
    assert not (tmp_path / "rec" / "args").exists(), "helm ran"


def test_install_helper_refuses_a_variable_name_that_is_none(fake_tools: Path,
                                                             tmp_path: Path) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    done = run_step("./vpn-install.sh --context c --release r --values v --psk-env 'a[$(id)]'",
                    fake_tools, tmp_path / "rec", {}, tree)
    assert done.returncode == 1
    assert "is not the name of an environment variable" in done.stderr
    assert not (tmp_path / "rec" / "args").exists()


@pytest.mark.parametrize("source", ["env", "file"])
def test_a_key_that_cannot_be_written_stops_the_install(
        fake_tools: Path, tmp_path: Path, source: str) -> None:
    """No file may grow (ulimit -f 0): the key's temporary file cannot be written, and the
    helper says so instead of handing helm an empty key."""
    tree = on_disk(topology(SEED), tmp_path / "out")
    key = tmp_path / "key.psk"
    key.write_text("s3cret\n")
    option = "--psk-env ICP_IKS_PSK" if source == "env" else f"--psk-file {key}"
    done = run_step(f"ulimit -f 0; ./vpn-install.sh --context c --release r --values v {option}",
                    fake_tools, tmp_path / "rec", {"ICP_IKS_PSK": "s3cret"}, tree)
    assert done.returncode == 1, done.stderr
    assert "vpn-install.sh: could not write the pre-shared key of release r of context c" \
        in done.stderr
    assert not (tmp_path / "rec" / "args").exists(), "helm ran"
    assert "s3cret" not in done.stderr


GATEWAY_ON_A_FULL_DISK = (
    # A private mount namespace: /etc/swanctl is a 4 KiB tmpfs, which swanctl.conf fills.
    'mount -t tmpfs -o size=4k tmpfs /etc/swanctl && mkdir /etc/swanctl/conf.d && '
    'cd "$1" && exec bash ./install-gateway.sh'
)


def test_a_key_file_that_cannot_be_written_stops_the_gateway_script(tmp_path: Path) -> None:
    require_root()
    require_program("unshare", "mount", package="util-linux")
    require_program("/etc/swanctl", package="strongswan-swanctl")
    tree = on_disk(topology(SEED), tmp_path / "out")
    folder = tree / "iks" / "vpn" / "icp"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run(["unshare", "--mount", "bash", "-c", GATEWAY_ON_A_FULL_DISK, "gw",
                           str(folder)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "ICP_IKS_PSK": "s3cret", "TMPDIR": str(scratch)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("install-gateway.sh: could not write the key file /etc/swanctl/conf.d/"
            ".vpn-icp.secrets.") in done.stderr
    assert "/etc/swanctl/conf.d/vpn-icp.secrets is unchanged" in done.stderr
    assert not list(scratch.iterdir()), "the temporary key file was left behind"


def test_install_step_stops_without_a_key(fake_tools: Path, tmp_path: Path) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    done = run_step(install_command(seed_end("icp")), fake_tools, tmp_path / "rec", {}, tree)
    assert done.returncode == 1
    assert "vpn-install.sh: set ICP_IKS_PSK to the pre-shared key of release vpn-iks" in done.stderr
    assert not (tmp_path / "rec" / "args").exists()


def test_key_file_is_private(fake_tools: Path, tmp_path: Path) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    done = run_step("umask 000; " + install_command(seed_end("icp")), fake_tools,
                    tmp_path / "rec", {"ICP_IKS_PSK": "k"}, tree)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(int((tmp_path / "rec" / "mode").read_text(), 8)) == 0o600


@pytest.mark.parametrize("arguments", [
    "--context c --release r --psk-env K",
    "--context c --release r --values v",
    "--context c --release r --values v --psk-env K --psk-file f",
    "--context c --release r --values v --psk-env",
    "--context c --release r --values v --psk-env K --force",
])
def test_install_helper_refuses_bad_arguments(fake_tools: Path, tmp_path: Path,
                                              arguments: str) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    done = run_step(f"./vpn-install.sh {arguments}", fake_tools, tmp_path / "rec", {"K": "k"},
                    tree)
    assert done.returncode == 2
    assert "vpn-install.sh: " in done.stderr and "Usage: vpn-install.sh" in done.stderr
    assert not (tmp_path / "rec" / "args").exists()


@pytest.mark.parametrize("release", [
    "vpn-icp",
    LONG_EAST_RELEASE,
    "vpn-" + "x" * 30 + "-tail",  # cut to 35 characters it ends in '-', which the chart drops
])
def test_check_helper_tests_the_release_and_pings_the_peer(
        fake_tools: Path, tmp_path: Path, release: str) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    record = tmp_path / "rec"
    done = run_step(f"./vpn-check.sh --context 'here;ctx' --release {release} "
                    "--peer-context there --peer-release vpn-here", fake_tools, record, {}, tree)
    assert done.returncode == 0, done.stderr
    assert (record / "args").read_text().splitlines() == [
        "test", release, "--kube-context", "here;ctx", "--namespace", "kube-system"]
    assert (record / "kubectl").read_text().splitlines() == [
        "kubectl --context there --namespace kube-system get pod --selector "
        "app=strongswan,release=vpn-here --output jsonpath={.items[0].status.podIP}",
        f"kubectl --context here;ctx --namespace kube-system exec deploy/{chart_fullname(release)}"
        " -- sudo ping -c 3 192.0.2.44",
    ]


def test_check_helper_stops_when_the_peer_has_no_vpn_pod(fake_tools: Path, tmp_path: Path
                                                         ) -> None:
    tree = on_disk(topology(SEED), tmp_path / "out")
    (fake_tools / "kubectl").write_text("#!/bin/sh\n", encoding="utf-8")
    done = run_step("./vpn-check.sh --context a --release vpn-b --peer-context b "
                    "--peer-release vpn-a", fake_tools, tmp_path / "rec", {}, tree)
    assert done.returncode == 1
    assert "no VPN pod of release vpn-a in context b" in done.stderr


# --- checks ---------------------------------------------------------------------------------

# West's pods inside east's pod range: allowed on per-cluster networks, but not through a link.
PER_CLUSTER_LAB = edited(VALID, ("  network: flat\n", "  network: per-cluster\n"),
                         ("    podCIDR: 172.30.0.0/16\n", "    podCIDR: 10.1.128.0/17\n"),
                         ("  - between: [west, east]\n", "  - between: [west, east]  # HERE\n"))

SHARED_LISTENER = """\
name: lab
clusters:
  - {name: hub, role: primary, podCIDR: 10.1.0.0/16, serviceCIDR: 10.0.0.0/24,
     vpnGateway: 203.0.113.10}
  - {name: one, role: remote, podCIDR: 10.2.0.0/16, serviceCIDR: 10.3.0.0/24,
     vpnGateway: 198.51.100.20}
  - {name: two, role: remote, podCIDR: 10.4.0.0/16, serviceCIDR: 10.5.0.0/24,
     vpnGateway: 192.0.2.30}
vpn:
  - between: [one, hub]
    psk: {env: ONE_PSK}
  - between: [two, hub]  # HERE
    psk: {env: TWO_PSK}
"""


@pytest.mark.parametrize(("text", "rule"), [(PER_CLUSTER_LAB, "link-subnet-overlap"),
                                            (SHARED_LISTENER, "gateway-shared")])
def test_link_rules_point_at_the_link(project: Path, text: str, rule: str) -> None:
    path = project / "topologies" / "lab.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "# HERE" in row)
    found = [p for p in check_file(path).errors if p.rule == rule]
    assert found, [p.format() for p in check_file(path).problems]
    assert found[0].location is not None and found[0].location.line == line
    assert "localSubnetNAT" in found[0].hint or rule != "link-subnet-overlap"


def test_a_hub_listens_on_one_address_per_link(project: Path) -> None:
    text = SHARED_LISTENER.replace("  - between: [two, hub]  # HERE\n",
                                   "  - between: [two, hub]\n    listenAddress: 203.0.113.11\n")
    path = project / "topologies" / "lab.yaml"
    path.write_text(text, encoding="utf-8")
    assert not [p for p in check_file(path).errors if p.rule == "gateway-shared"]


def test_a_listen_address_of_another_cluster_is_refused(project: Path) -> None:
    text = SHARED_LISTENER.replace("  - between: [two, hub]  # HERE\n",
                                   "  - between: [two, hub]\n"
                                   "    listenAddress: 198.51.100.20  # HERE\n")
    path = project / "topologies" / "lab.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "# HERE" in row)
    found = [p for p in check_file(path).errors if p.rule == "gateway-shared"]
    assert [p.location.line for p in found if p.location] == [line]
    assert "'one'" in found[0].message


def test_a_hub_that_starts_every_tunnel_is_fine(project: Path) -> None:
    text = SHARED_LISTENER.replace("[one, hub]", "[hub, one]").replace("[two, hub]", "[hub, two]")
    path = project / "topologies" / "lab.yaml"
    path.write_text(text, encoding="utf-8")
    assert not [p for p in check_file(path).errors if p.rule == "gateway-shared"]


# --- determinism ----------------------------------------------------------------------------


def test_vpn_files_are_the_same_in_another_process() -> None:
    mesh = TOPOLOGIES / "three-cluster-mesh.yaml"
    here = {n: c for n, c in files(mesh).items() if "/vpn/" in n}
    # Both ends of each of the three links, each with the chart's values and ipsec.conf, a
    # swanctl.conf and the script that installs it on a gateway.
    ends = [("dallas", "frankfurt"), ("dallas", "tokyo"), ("frankfurt", "dallas"),
            ("frankfurt", "tokyo"), ("tokyo", "dallas"), ("tokyo", "frankfurt")]
    assert sorted(here) == [f"{local}/vpn/{peer}/{name}" for local, peer in ends
                            for name in ("install-gateway.sh", "ipsec.conf", "swanctl.conf",
                                         "values.yaml")]
    script = (
        "import hashlib, sys\n"
        "from pathlib import Path\n"
        "from generator.api import check_file, render\n"
        "t = check_file(Path(sys.argv[1])).topology\n"
        "for n, c in sorted(render(t).files.items()):\n"
        "    if '/vpn/' in n: print(n, hashlib.sha256(c).hexdigest())\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(mesh)], capture_output=True,
                          text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "977", "LC_ALL": "C"},
                          cwd=TOPOLOGIES.parent)
    expected = "".join(f"{n} {hashlib.sha256(c).hexdigest()}\n" for n, c in sorted(here.items()))
    assert done.stdout == expected
