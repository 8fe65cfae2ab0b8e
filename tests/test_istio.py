"""The Istio target: what each mesh shape installs where, and the runbook steps applying it."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import CheckedTopology, check_file, render
from generator.artifacts import Artifact, Kind, RenderedTree
from generator.model import Topology
from generator.targets.base import Phase, Step
from generator.targets.istio import target as istio
from generator.verify.run import verify_output
from tests.helpers import SEED, TOPOLOGIES, require_program

EXAMPLES = sorted(TOPOLOGIES.glob("*.yaml"))
THREE_NETWORKS = TOPOLOGIES / "three-networks.yaml"
MULTI_PRIMARY = TOPOLOGIES / "multi-primary.yaml"
ISTIO_KINDS = {"Gateway", "VirtualService", "PeerAuthentication", "DestinationRule"}


def checked(path: Path, edit: Iterable[tuple[str, str]] = (), tmp: Path | None = None
            ) -> CheckedTopology:
    """``path`` checked, after replacing text in it (written to ``tmp``)."""
    text = path.read_text(encoding="utf-8")
    for old, new in edit:
        assert old in text, old
        text = text.replace(old, new)
    if tmp is not None:
        target = tmp / path.name
        target.write_text(text, encoding="utf-8")
        path = target
    result = check_file(path)
    assert result.errors == (), "\n".join(p.format() for p in result.errors)
    assert result.topology is not None
    return result


def topology(path: Path, edit: Iterable[tuple[str, str]] = (), tmp: Path | None = None
             ) -> Topology:
    result = checked(path, edit, tmp)
    assert result.topology is not None
    return result.topology


GATEWAY_PATH = ("  mtls: strict\n", "  mtls: strict\n  controlPlanePath: eastwest-gateway\n")


def gateway_seed(tmp: Path, *more: tuple[str, str]) -> Topology:
    """The seed with its remote reaching istiod through the primary's east-west gateway."""
    return topology(SEED, [GATEWAY_PATH, *more], tmp)


def legacy_seed(tmp: Path) -> Topology:
    return topology(SEED, [('version: "1.30.3"', 'version: "1.0"')], tmp)


def files(t: Topology) -> dict[str, Artifact]:
    return {a.path: a for a in istio.TARGET.artifacts(t)}


def steps(t: Topology) -> list[Step]:
    """Steps in runbook order: by phase, then as the target gives them."""
    return sorted(istio.TARGET.steps(t), key=lambda s: s.phase)


def docs(artifact: Artifact) -> list[Any]:
    return [d for d in yaml.safe_load_all(artifact.text) if d is not None]


def doc(artifact: Artifact) -> Any:
    (only,) = docs(artifact)
    return only


def commands(t: Topology) -> list[str]:
    return [c for s in steps(t) for c in s.commands]


def write(tree: RenderedTree, root: Path) -> None:
    for path, data in tree.files.items():
        target = root / tree.name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(tree.mode(path))


# --- every example -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_builds_with_an_istio_install_per_cluster(path: Path) -> None:
    t = topology(path)
    tree = render(t)
    for cluster in t.clusters:
        has_ca = cluster.is_primary and not t.istio.legacy
        assert (f"{cluster.name}/istio/cacerts.sh" in tree.files) == has_ca
        if not t.istio.legacy:
            assert f"{cluster.name}/istio/control-plane.yaml" in tree.files
            assert tree.kinds[f"{cluster.name}/istio/control-plane.yaml"] == Kind.ISTIO_OPERATOR


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_passes_the_strict_checks(path: Path, reference_dir: Path,
                                                tmp_path: Path) -> None:
    t = topology(path)
    write(render(t), tmp_path)
    report = verify_output(tmp_path, [t.name], crds=reference_dir / "istio-1.30.3",
                           strongswan_values=reference_dir / "iks-strongswan-2.10.7",
                           environ={}, gitops_schemas=reference_dir / "gitops")
    assert report.ok, "\n".join(report.lines())
    assert {reason for _, reason in report.skipped} <= {"not Kubernetes objects"}
    istio_objects = [
        d for p, data in render(t).files.items() if p.endswith(".yaml")
        for d in yaml.safe_load_all(data) if isinstance(d, dict) and d.get("kind") in ISTIO_KINDS
    ]
    assert istio_objects and report.objects >= len(istio_objects)


def test_istio_objects_of_the_legacy_install_pass(reference_dir: Path, tmp_path: Path) -> None:
    t = legacy_seed(tmp_path)
    write(render(t), tmp_path / "out")
    report = verify_output(tmp_path / "out", [t.name], crds=reference_dir / "istio-1.30.3",
                           environ={})
    assert report.ok, "\n".join(report.lines())


def test_no_secret_is_generated_and_remote_secrets_are_piped(tmp_path: Path) -> None:
    for path in EXAMPLES:
        t = topology(path)
        for artifact in files(t).values():
            if artifact.kind == Kind.MANIFESTS:
                assert all(d["kind"] != "Secret" for d in docs(artifact)), artifact.path
    seed = topology(SEED)
    assert ("istioctl create-remote-secret --context iks-admin --name=iks | kubectl --context "
            "icp-admin apply -f -") in commands(seed)


# --- primary-remote, the seed -------------------------------------------------------------


def test_primary_gets_mesh_settings_and_external_istiod() -> None:
    out = files(topology(SEED))
    spec = doc(out["icp/istio/control-plane.yaml"])["spec"]
    assert spec["values"]["global"] == {
        "meshID": "mesh1", "multiCluster": {"clusterName": "icp"}, "network": "network1",
        "externalIstiod": True,
    }
    helm = doc(out["icp/istio/istiod-values.yaml"])
    assert helm["global"] == spec["values"]["global"]
    assert out["icp/istio/istiod-values.yaml"].kind == "helm-values:istio/istiod"
    assert out["icp/istio/base-values.yaml"].kind == "helm-values:istio/base"


def test_ingress_gateway_exists_where_an_app_enters() -> None:
    out = files(topology(SEED))
    (gateway,) = doc(out["icp/istio/control-plane.yaml"])["spec"]["components"]["ingressGateways"]
    assert gateway == {"name": "istio-ingressgateway", "enabled": True,
                       "label": {"istio": "ingressgateway", "app": "istio-ingressgateway"}}
    helm = doc(out["icp/istio/ingress-gateway-values.yaml"])
    assert helm["name"] == "istio-ingressgateway"
    assert helm["labels"]["istio"] == "ingressgateway"


def test_eastwest_gateway_and_expose_istiod_on_the_primary(tmp_path: Path) -> None:
    out = files(gateway_seed(tmp_path))
    spec = doc(out["icp/istio/eastwest-gateway.yaml"])["spec"]
    assert spec["profile"] == "empty"
    (gateway,) = spec["components"]["ingressGateways"]
    assert gateway["label"] == {"istio": "eastwestgateway", "app": "istio-eastwestgateway",
                                "topology.istio.io/network": "network1"}
    assert gateway["k8s"]["env"] == [{"name": "ISTIO_META_REQUESTED_NETWORK_VIEW",
                                      "value": "network1"}]
    assert [(p["name"], p["port"]) for p in gateway["k8s"]["service"]["ports"]] == [
        ("status-port", 15021), ("tls", 15443), ("tls-istiod", 15012), ("tls-webhook", 15017)]
    assert spec["values"]["gateways"]["istio-ingressgateway"]["injectionTemplate"] == "gateway"
    helm = doc(out["icp/istio/eastwest-gateway-values.yaml"])
    assert (helm["name"], helm["networkGateway"]) == ("istio-eastwestgateway", "network1")

    gw, vs = docs(out["icp/istio/expose-istiod.yaml"])
    assert (gw["kind"], gw["metadata"]["name"], vs["metadata"]["name"]) == (
        "Gateway", "istiod-gateway", "istiod-vs")
    assert [(s["port"]["number"], s["port"]["name"], s["tls"]["mode"]) for s in
            gw["spec"]["servers"]] == [(15012, "tls-istiod", "PASSTHROUGH"),
                                       (15017, "tls-istiodwebhook", "PASSTHROUGH")]
    routes = [(r["match"][0]["port"], r["route"][0]["destination"]["port"]["number"])
              for r in vs["spec"]["tls"]]
    assert routes == [(15012, 15012), (15017, 443)]
    assert "iks/istio/eastwest-gateway.yaml" not in out  # one network: remotes need none


def test_remote_gets_remote_profile_and_gateway_address_read_at_apply_time(
        tmp_path: Path) -> None:
    t = gateway_seed(tmp_path)
    out = files(t)
    operator = out["iks/istio/control-plane.yaml"]
    spec = doc(operator)["spec"]
    assert spec["profile"] == "remote"
    assert spec["values"]["istiodRemote"]["injectionPath"] == "/inject/cluster/iks/net/network1"
    assert "remotePilotAddress" not in spec["values"]["global"]
    assert "apply.sh reads it" in operator.text  # the file says where the address comes from
    helm = doc(out["iks/istio/istiod-values.yaml"])
    assert helm["profile"] == "remote"
    assert helm["global"]["configCluster"] is True
    assert helm["istiodRemote"]["injectionPath"] == "/inject/cluster/iks/net/network1"
    assert doc(out["iks/istio/base-values.yaml"]) == {"profile": "remote"}

    ordered = commands(t)
    read = ordered.index('EASTWEST_ICP="$(icp/istio/eastwest-address.sh)"')
    install = next(i for i, c in enumerate(ordered) if c.startswith(
        "istioctl install --context iks-admin"))
    assert read < install
    assert ordered[install].endswith('--set values.global.remotePilotAddress="$EASTWEST_ICP"')
    script = out["icp/istio/eastwest-address.sh"].text
    assert "kubectl --context=\"$context\" -n istio-system get svc istio-eastwestgateway" in script
    assert "{.status.loadBalancer.ingress[0].$1}" in script


def test_known_eastwest_address_is_written_into_the_remote(tmp_path: Path) -> None:
    t = gateway_seed(tmp_path, ("    vpnGateway: 203.0.113.10\n",
                                "    vpnGateway: 203.0.113.10\n"
                                "    eastWestGatewayIP: 203.0.113.50\n"))
    out = files(t)
    assert doc(out["iks/istio/control-plane.yaml"])["spec"]["values"]["global"][
        "remotePilotAddress"] == "203.0.113.50"
    assert doc(out["iks/istio/istiod-values.yaml"])["global"]["remotePilotAddress"] == \
        "203.0.113.50"
    assert not any("$EASTWEST_ICP" in c for c in commands(t))
    assert "expected=203.0.113.50" in out["icp/istio/eastwest-address.sh"].text


def test_mtls_is_strict_unless_permissive(tmp_path: Path) -> None:
    strict = doc(files(topology(SEED))["icp/istio/peer-authentication.yaml"])
    assert strict == {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                      "metadata": {"name": "default", "namespace": "istio-system"},
                      "spec": {"mtls": {"mode": "STRICT"}}}
    relaxed = topology(SEED, [("mtls: strict", "mtls: permissive")], tmp_path)
    out = files(relaxed)
    assert doc(out["icp/istio/peer-authentication.yaml"])["spec"]["mtls"]["mode"] == "PERMISSIVE"
    assert "iks/istio/peer-authentication.yaml" not in out  # config clusters only


def test_runbook_phases_and_contexts() -> None:
    t = topology(SEED)
    ordered = steps(t)
    assert [s.phase for s in ordered] == [
        Phase.ROOT_CA, Phase.ISTIO_PRIMARY, Phase.ISTIO_EXPOSE, Phase.ISTIO_REMOTE,
        Phase.ISTIO_SECRETS]
    for step in ordered:
        cluster = t.cluster(step.cluster or "")
        assert cluster is not None
        assert any(f"--context {cluster.context} " in c for c in step.commands), step
        for command in step.commands:
            shlex.split(command)  # every command is well-formed shell


def test_values_from_the_topology_are_shell_quoted(tmp_path: Path) -> None:
    t = topology(SEED, [("context: iks-admin", "context: iks&admin")], tmp_path)
    joined = "\n".join(commands(t))
    assert "--context 'iks&admin' " in joined
    assert "--context iks&admin" not in joined


def test_root_ca_step_for_every_cluster_running_istiod() -> None:
    t = topology(MULTI_PRIMARY)
    ca = [s for s in steps(t) if s.phase is Phase.ROOT_CA]
    assert [s.cluster for s in ca] == ["east", "west"]
    for step in ca:
        joined = " ".join(step.commands)
        assert "create secret generic cacerts" in joined
        for name in ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"):
            assert f"/{step.cluster}/{name}" in joined
        assert "$HOME/.meshgen/multi-primary/ca" in joined  # outside output/


def test_cacerts_script_makes_one_root_for_the_mesh(tmp_path: Path) -> None:
    require_program("openssl", package="openssl")
    t = topology(MULTI_PRIMARY)
    tree = render(t)
    write(tree, tmp_path / "out")
    ca_dir = tmp_path / "ca"
    for cluster in ("east", "west", "east"):  # the second run for east changes nothing
        script = tmp_path / "out" / t.name / cluster / "istio/cacerts.sh"
        subprocess.run([str(script), str(ca_dir)], check=True, cwd=tmp_path / "out" / t.name,
                       capture_output=True)
    root = (ca_dir / "root-cert.pem").read_bytes()
    for cluster in ("east", "west"):
        folder = ca_dir / cluster
        assert (folder / "root-cert.pem").read_bytes() == root
        chain = (folder / "cert-chain.pem").read_text()
        assert chain.count("BEGIN CERTIFICATE") == 2
        subprocess.run(["openssl", "verify", "-CAfile", str(ca_dir / "root-cert.pem"),
                        str(folder / "ca-cert.pem")], check=True, capture_output=True)
        text = subprocess.run(["openssl", "x509", "-in", str(folder / "ca-cert.pem"), "-noout",
                               "-text"], check=True, capture_output=True, text=True).stdout
        assert "CA:TRUE, pathlen:0" in text
        assert (folder / "ca-key.pem").stat().st_mode & 0o077 == 0
    east = (ca_dir / "east/ca-cert.pem").read_bytes()
    assert east != (ca_dir / "west/ca-cert.pem").read_bytes()


def test_scripts_are_shellcheck_clean(tmp_path: Path) -> None:
    require_program("shellcheck", package="shellcheck")
    scripts: list[Path] = []
    for t in [topology(p) for p in EXAMPLES] + [legacy_seed(tmp_path)]:
        write(render(t), tmp_path / "out")
        scripts += [tmp_path / "out" / t.name / a.path for a in files(t).values()
                    if a.kind == Kind.SCRIPT]
    result = subprocess.run(["shellcheck", "--shell=bash", *map(str, scripts)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# --- per-cluster networks ------------------------------------------------------------------


def test_per_cluster_networks_build_without_any_vpn() -> None:
    assert "vpn:" not in THREE_NETWORKS.read_text(encoding="utf-8")
    t = topology(THREE_NETWORKS)
    assert t.vpn == ()
    tree = render(t)
    assert not any("/vpn/" in path for path in tree.files)
    out = files(t)
    networks = {}
    for cluster in t.clusters:
        spec = doc(out[f"{cluster.name}/istio/eastwest-gateway.yaml"])["spec"]
        networks[cluster.name] = spec["values"]["global"]["network"]
        namespace = yaml.safe_load(tree.files[f"{cluster.name}/namespaces.yaml"]
                                   .decode().split("---")[0])
        assert namespace["metadata"]["labels"]["topology.istio.io/network"] == cluster.network
    assert networks == {"central": "network1", "east": "network2", "west": "network3"}
    (server,) = doc(out["central/istio/cross-network-gateway.yaml"])["spec"]["servers"]
    assert server == {"port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                      "tls": {"mode": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}
    assert "east/istio/cross-network-gateway.yaml" not in out
    east = doc(out["east/istio/control-plane.yaml"])["spec"]["values"]
    assert east["global"]["remotePilotAddress"] == "203.0.113.50"
    assert east["istiodRemote"]["injectionPath"] == "/inject/cluster/east/net/network2"


def test_remote_gateways_come_after_the_remote_secrets() -> None:
    ordered = steps(topology(THREE_NETWORKS))
    titles = [s.title for s in ordered]
    assert titles.index("Let istiod on central read east") < titles.index(
        "Install the east-west gateway on east")
    assert titles.index("Install the east-west gateway on central") < titles.index(
        "Install the remote profile on east")


# --- multi-primary ---------------------------------------------------------------------------


def test_multi_primary_has_two_full_planes_and_secrets_both_ways() -> None:
    t = topology(MULTI_PRIMARY)
    out = files(t)
    for name in ("east", "west"):
        spec = doc(out[f"{name}/istio/control-plane.yaml"])["spec"]
        assert spec["profile"] == "default"
        assert spec["values"]["global"] == {"meshID": "mesh1",
                                            "multiCluster": {"clusterName": name},
                                            "network": "network1"}
        assert "profile" not in doc(out[f"{name}/istio/istiod-values.yaml"])
        assert f"{name}/istio/peer-authentication.yaml" in out
        assert f"{name}/istio/expose-istiod.yaml" not in out
    secrets = [c for c in commands(t) if "create-remote-secret" in c]
    assert secrets == [
        "istioctl create-remote-secret --context west-admin --name=west | kubectl --context "
        "east-admin apply -f -",
        "istioctl create-remote-secret --context east-admin --name=east | kubectl --context "
        "west-admin apply -f -",
    ]
    assert [s.cluster for s in steps(t) if s.phase is Phase.ISTIO_PRIMARY] == ["east", "west"]


# --- Istio 1.0, as the article ran it --------------------------------------------------------


ARTICLE_SELECTORS = {
    "PILOT_POD_IP": "istio=pilot",
    "POLICY_POD_IP": "istio-mixer-type=policy",
    "STATSD_POD_IP": "istio=statsd-prom-bridge",
    "TELEMETRY_POD_IP": "istio-mixer-type=telemetry",
    "ZIPKIN_POD_IP": "app=jaeger",
}


def test_legacy_seed_installs_the_demo_plane_from_the_release(tmp_path: Path) -> None:
    t = legacy_seed(tmp_path)
    primary = [s for s in steps(t) if s.phase is Phase.ISTIO_PRIMARY]
    assert [s.cluster for s in primary] == ["icp"]
    assert primary[0].commands[1:] == (
        'kubectl --context icp-admin apply -f '
        '"$ISTIO_1_0_DIR"/install/kubernetes/helm/istio/templates/crds.yaml',
        'kubectl --context icp-admin apply -f "$ISTIO_1_0_DIR"/install/kubernetes/istio-demo.yaml',
    )
    out = files(t)
    assert not any(p.endswith(".yaml") for p in out)  # nothing of Istio 1.30 is generated


def test_legacy_remote_values_read_the_five_pod_ips(tmp_path: Path) -> None:
    t = legacy_seed(tmp_path)
    script = files(t)["iks/istio/istio-remote-values.sh"]
    assert script.kind == Kind.SCRIPT and script.executable
    for variable, selector in ARTICLE_SELECTORS.items():
        assert f'{variable}="$(pod_ip {selector})"' in script.text
    assert "--context=\"$context\" -n istio-system get pod -l \"$1\"" in script.text
    assert "-o jsonpath='{.items[0].status.podIP}'" in script.text
    assert "context=icp-admin" in script.text  # read on the primary
    assert "istio/istio#4822" in script.text
    values_text = script.text.split("cat <<EOF\n", 1)[1].split("\nEOF", 1)[0]
    filled = values_text
    for n, variable in enumerate(ARTICLE_SELECTORS, 1):
        filled = filled.replace(f"${{{variable}}}", f"10.1.0.{n}")
    assert yaml.safe_load(filled) == {"global": {
        "remotePilotAddress": "10.1.0.1",
        "remotePolicyAddress": "10.1.0.2",
        "remoteTelemetryAddress": "10.1.0.4",
        "remoteZipkinAddress": "10.1.0.5",
        "proxy": {"envoyStatsd": {"enabled": True, "host": "10.1.0.3"}},
    }}


def test_legacy_remote_install_and_credentials(tmp_path: Path) -> None:
    t = legacy_seed(tmp_path)
    ordered = steps(t)
    (remote,) = [s for s in ordered if s.phase is Phase.ISTIO_REMOTE]
    assert remote.cluster == "iks"
    joined = "\n".join(remote.commands)
    assert "iks/istio/istio-remote-values.sh >" in joined
    assert '"$ISTIO_1_0_DIR"/install/kubernetes/helm/istio-remote' in joined
    assert "kubectl --context iks-admin apply -f" in joined
    assert any("istio/istio#4822" in n for n in remote.notes)
    (secret,) = [s for s in ordered if s.phase is Phase.ISTIO_SECRETS]
    assert secret.cluster == "icp"
    assert secret.commands[-2:] == (
        'kubectl --context icp-admin create secret generic iks --from-file '
        '"$STATE_DIR"/kubeconfigs/iks -n istio-system',
        "kubectl --context icp-admin label secret iks istio/multiCluster=true -n istio-system",
    )
    assert '$HOME/.meshgen/' in secret.commands[0]  # the kubeconfig stays outside output/
    kubeconfig = files(t)["iks/istio/kubeconfig.sh"].text
    assert "serviceaccount istio-multi" in kubeconfig
    assert "context=iks-admin" in kubeconfig


FAKE_KUBECTL = r"""#!/usr/bin/env bash
# Answers the kubeconfig script's questions like a cluster on Kubernetes >= 1.24 would, and
# records every command line it is given.
printf '%s\n' "$*" >> "$RECORD"
case "$*" in
  *"jsonpath={.clusters[0].cluster.server}"*) printf 'https://203.0.113.99:6443' ;;
  *"get serviceaccount istio-multi"*) printf '' ;;
  *"certificate-authority-data"*) printf 'Q0EgREFUQQ==' ;;
  *"create token istio-multi"*) printf '%s' "$FAKE_TOKEN" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"""


def test_kubeconfig_script_keeps_the_token_off_command_lines(tmp_path: Path) -> None:
    require_program("bash")
    script = tmp_path / "kubeconfig.sh"
    script.write_text(files(legacy_seed(tmp_path))["iks/istio/kubeconfig.sh"].text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    token = "tok-3f9a2c-not-for-argv"
    out = tmp_path / "state" / "iks"
    done = subprocess.run(
        ["bash", str(script), str(out)], capture_output=True, text=True, timeout=30,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD": str(tmp_path / "argv"),
             "FAKE_TOKEN": token},
    )
    assert done.returncode == 0, done.stderr
    assert token not in (tmp_path / "argv").read_text() + done.stdout + done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    config = yaml.safe_load(out.read_text())
    assert config["users"] == [{"name": "iks", "user": {"token": token}}]
    assert config["clusters"][0]["cluster"]["server"] == "https://203.0.113.99:6443"
    assert config["current-context"] == "iks"


@pytest.mark.parametrize(("version", "served"), [("1.21.6", "v1beta1"), ("1.30.3", "v1")])
def test_istio_objects_use_the_api_version_the_release_serves(tmp_path: Path, version: str,
                                                               served: str) -> None:
    """networking.istio.io and security.istio.io came to v1 in Istio 1.22."""
    t = topology(THREE_NETWORKS, [('version: "1.30.3"', f'version: "{version}"')], tmp_path)
    versions = {
        (d["apiVersion"], d["kind"])
        for path, data in render(t).files.items() if path.endswith(".yaml")
        for d in yaml.safe_load_all(data) if isinstance(d, dict) and "apiVersion" in d
        and d["apiVersion"].split("/")[0] in ("networking.istio.io", "security.istio.io")
    }
    assert {kind for _, kind in versions} >= {"Gateway", "VirtualService", "DestinationRule",
                                               "PeerAuthentication"}
    assert {api.split("/")[1] for api, _ in versions} == {served}


# --- read against Istio 1.30.3's own charts and guides ---------------------------------------


def _pod_labels_of_the_gateway_chart(values: dict[str, Any]) -> list[str]:
    """Label keys of the gateway pod as the 1.30.3 ``istio/gateway`` chart writes them
    (templates/deployment.yaml): every ``labels`` entry but app and istio, then the network
    label that ``networkGateway`` adds."""
    keys = ["sidecar.istio.io/inject", "app", "istio", "app.kubernetes.io/name"]
    keys += [k for k in values.get("labels", {}) if k not in ("app", "istio")]
    if values.get("networkGateway"):
        keys.append("topology.istio.io/network")
    return keys


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_gateway_chart_writes_the_network_label_once(path: Path) -> None:
    """A key written twice is a duplicate that kustomize and GitOps post-renderers refuse."""
    t = topology(path)
    values = [doc(a) for p, a in files(t).items() if p.endswith("eastwest-gateway-values.yaml")]
    for value in values:
        keys = _pod_labels_of_the_gateway_chart(value)
        assert len(keys) == len(set(keys)), keys
        assert value["networkGateway"]
        # The chart's own labels from the name are the ones the Gateways select.
        assert value["name"] == "istio-eastwestgateway"


def test_a_reserved_eastwest_address_is_asked_of_the_cloud() -> None:
    out = files(topology(THREE_NETWORKS))
    (gateway,) = doc(out["central/istio/eastwest-gateway.yaml"])["spec"]["components"][
        "ingressGateways"]
    assert gateway["k8s"]["service"]["loadBalancerIP"] == "203.0.113.50"
    assert doc(out["central/istio/eastwest-gateway-values.yaml"])["service"] == {
        "loadBalancerIP": "203.0.113.50"}
    for remote in ("east", "west"):  # no address given: the cloud picks one
        (gateway,) = doc(out[f"{remote}/istio/eastwest-gateway.yaml"])["spec"]["components"][
            "ingressGateways"]
        assert "loadBalancerIP" not in gateway["k8s"]["service"]
        assert "service" not in doc(out[f"{remote}/istio/eastwest-gateway-values.yaml"])


def test_the_requested_address_passes_the_chart_schema(reference_dir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import json
    schema = json.loads((reference_dir / "istio-1.30.3" / "gateway-values.schema.json")
                        .read_text(encoding="utf-8"))
    values = doc(files(topology(THREE_NETWORKS))["central/istio/eastwest-gateway-values.yaml"])
    validator = jsonschema.Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(values)] == []


HELM_REPO = "helm repo add istio https://istio-release.storage.googleapis.com/charts"


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "1-0" not in p.stem],
                         ids=lambda p: p.stem)
def test_helm_installs_are_pinned_to_the_topology_release(path: Path) -> None:
    t = topology(path)
    notes = [n for s in steps(t) for n in s.notes]
    installs = [part.strip() for n in notes for part in n.split(";")
                if "helm install" in part]
    assert installs
    for install in installs:
        assert re.search(r"helm install \S+ istio/\S+ ", install), install
        assert f" --version {t.istio.version}" in install, install
    first = next(i for i, n in enumerate(notes) if "helm install" in n)
    assert HELM_REPO in notes[first]


def test_remotes_of_one_control_plane_hold_no_ca_key() -> None:
    """In primary-remote a remote runs no istiod: its workloads get their certificates from
    the primary, so no intermediate CA key is put there."""
    for path in (SEED, TOPOLOGIES / "three-cluster-mesh.yaml", THREE_NETWORKS):
        t = topology(path)
        out = files(t)
        ca = [s for s in steps(t) if s.phase is Phase.ROOT_CA]
        assert [s.cluster for s in ca] == [c.name for c in t.primaries]
        for remote in t.remotes:
            assert f"{remote.name}/istio/cacerts.sh" not in out
            assert not any("ca-key.pem" in c and f"--context {remote.context} " in c
                           for c in commands(t))
    t = topology(MULTI_PRIMARY)  # every cluster runs istiod: each keeps its own
    assert [s.cluster for s in steps(t) if s.phase is Phase.ROOT_CA] == ["east", "west"]


def test_remotes_get_their_namespaces_before_the_remote_profile() -> None:
    t = topology(SEED)
    ordered = commands(t)
    namespaces = ordered.index("kubectl --context iks-admin apply -f iks/namespaces.yaml")
    install = next(i for i, c in enumerate(ordered)
                   if c.startswith("istioctl install --context iks-admin"))
    assert namespaces < install


def test_istio_1_0_makes_no_claim_of_a_shared_root(tmp_path: Path) -> None:
    """Istio 1.0's security.selfSigned defaults to true, which makes Citadel ignore cacerts:
    no cacerts steps, no cacerts scripts and no word of Citadel using a shared root."""
    t = legacy_seed(tmp_path)
    assert not [s for s in steps(t) if s.phase is Phase.ROOT_CA]
    assert not [p for p in files(t) if p.endswith("cacerts.sh")]
    assert not any("cacerts" in c for c in commands(t))
    citadel = [n for s in steps(t) for n in s.notes if "Citadel" in n]
    assert citadel and all("self-signed" in n and "selfSigned" in n for n in citadel)


def test_remote_gateways_are_labelled_as_gateways() -> None:
    """Steps are listed under a phase that says what they do."""
    t = topology(THREE_NETWORKS)
    for step in steps(t):
        if step.title.startswith("Install the east-west gateway"):
            assert "gateway" in step.phase.name.lower(), (step.title, step.phase)
        if step.title.startswith("Let istiod"):
            assert step.phase is Phase.ISTIO_SECRETS


# --- the control plane through the tunnel ----------------------------------------------------


def test_a_flat_remote_reaches_istiod_inside_the_vpn() -> None:
    """The seed's remote reaches istiod at the ClusterIP of a Service on the primary: an IP in
    the primary's service range, which the VPN link carries, serving 15012 (xDS and the CA)
    and 15017 (the injection webhook, which the remote's API server calls through its own
    istiod Service). No public east-west gateway is installed."""
    t = topology(SEED)
    out = files(t)
    for gone in ("eastwest-gateway.yaml", "eastwest-gateway-values.yaml", "expose-istiod.yaml",
                 "eastwest-address.sh"):
        assert f"icp/istio/{gone}" not in out
    service = doc(out["icp/istio/istiod-vpn.yaml"])
    assert service == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "istiod-vpn", "namespace": "istio-system"},
        "spec": {"type": "ClusterIP", "selector": {"app": "istiod", "istio": "pilot"},
                 "ports": [{"name": "tcp-istiod", "port": 15012, "targetPort": 15012,
                            "protocol": "TCP"},
                           {"name": "tcp-webhook", "port": 15017, "targetPort": 15017,
                            "protocol": "TCP"}]},
    }
    assert out["icp/istio/istiod-vpn.yaml"].kustomize is not None
    ordered = commands(t)
    applied = ordered.index("kubectl --context icp-admin apply -f icp/istio/istiod-vpn.yaml")
    read = ordered.index('ISTIOD_ICP="$(icp/istio/istiod-address.sh)"')
    install = next(i for i, c in enumerate(ordered)
                   if c.startswith("istioctl install --context iks-admin"))
    assert applied < read < install
    assert ordered[install].endswith('--set values.global.remotePilotAddress="$ISTIOD_ICP"')
    operator = out["iks/istio/control-plane.yaml"].text
    assert "istiod-vpn" in operator and "10.0.0.0/24" in operator
    script = out["icp/istio/istiod-address.sh"]
    assert script.kind == Kind.SCRIPT and script.executable
    assert "istio/istio#45014" in script.text


def test_an_explicit_gateway_path_keeps_the_public_gateway(tmp_path: Path) -> None:
    t = gateway_seed(tmp_path)
    out = files(t)
    assert "icp/istio/istiod-vpn.yaml" not in out
    assert {"icp/istio/eastwest-gateway.yaml", "icp/istio/expose-istiod.yaml"} <= set(out)
    assert not any("ISTIOD_ICP" in c for c in commands(t))


FAKE_SERVICE_KUBECTL = """#!/usr/bin/env bash
printf '%s\n' "$*" >> "$RECORD"
printf '%s' "$CLUSTER_IP"
"""


@pytest.mark.parametrize(("service_cidr", "cluster_ip", "status"), [
    ("10.0.0.0/24", "10.0.0.17", 0),
    ("10.0.0.0/24", "10.0.1.17", 1),
    ("192.168.0.0/16", "192.168.255.254", 0),
    ("192.168.0.0/15", "192.169.3.4", 0),
    ("192.168.0.0/15", "192.170.3.4", 1),
    ("10.0.0.0/24", "", 1),
    ("10.0.0.0/24", "None", 1),
    ("fd00:10:96::/112", "fd00:10:96::a", 0),
    ("fd00:10:96::/112", "fd00:10:97::a", 1),
    ("fd00:10:96::/108", "fd00:10:96:0:0:0:f:1", 0),
    ("fd00:10:96::/108", "fd00:10:96::10:1", 1),
])
def test_the_istiod_address_is_read_and_must_lie_in_the_service_range(
        tmp_path: Path, service_cidr: str, cluster_ip: str, status: int) -> None:
    require_program("bash")
    t = topology(SEED, [("serviceCIDR: 10.0.0.0/24", f"serviceCIDR: {service_cidr}")],
                 tmp_path)
    script = tmp_path / "istiod-address.sh"
    script.write_text(files(t)["icp/istio/istiod-address.sh"].text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_SERVICE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CLUSTER_IP": cluster_ip,
                               "RECORD": str(tmp_path / "argv")})
    assert done.returncode == status, done.stderr
    assert (tmp_path / "argv").read_text() == (
        "--context icp-admin -n istio-system get service istiod-vpn "
        "-o jsonpath={.spec.clusterIP}\n")
    if status == 0:
        assert done.stdout == cluster_ip + "\n"
    else:
        assert done.stdout == "" and "istiod-vpn" in done.stderr
        assert service_cidr in done.stderr or cluster_ip in ("", "None")


def test_the_diagram_and_the_page_say_how_remotes_reach_istiod(tmp_path: Path) -> None:
    from generator.docs.diagram import diagram_svg
    svg = diagram_svg(topology(SEED))
    assert "iks reaches istiod on icp over the VPN" in svg
    svg = diagram_svg(gateway_seed(tmp_path))
    assert "iks reaches istiod on icp through its east-west gateway" in svg
