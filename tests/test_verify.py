"""``meshgen verify``: strict schemas from CRDs, Kubernetes and charts, and what it reports.

Output folders are written from strings here; a MANIFEST.json gives each file its kind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.errors import InputError, UsageError
from generator.verify.crds import strict_schema
from generator.verify.kube import kubernetes_schemas, schema_file_name
from generator.verify.run import VerifyReport, verify_output
from generator.verify.sources import CRDS_ENV, find_sources
from generator.verify.values import ANY, chart_defaults, key_path_problems
from tests.helpers import SEED, write_tree

GATEWAY = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: cross-network-gateway
  namespace: istio-system
spec:
  selector:
    istio: eastwestgateway
  servers:
    - port: {number: 15443, name: tls, protocol: TLS}
      tls: {mode: AUTO_PASSTHROUGH}
      hosts: ["*.local"]
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: default
spec:
  selector: {app: reviews}
  ports:
    - {name: http, port: 9080}
"""
OPERATOR = """\
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane
  namespace: istio-system
spec:
  profile: remote
  values:
    global:
      meshID: mesh1
      multiCluster: {clusterName: iks}
      remotePilotAddress: 203.0.113.50
    istiodRemote:
      injectionPath: /inject/cluster/iks/net/network1
    gateways:
      istio-ingressgateway:
        injectionTemplate: gateway
  components:
    ingressGateways:
      - name: istio-eastwestgateway
        enabled: true
        label: {istio: eastwestgateway}
        k8s:
          env:
            - {name: ISTIO_META_REQUESTED_NETWORK_VIEW, value: network1}
          service:
            ports:
              - {name: tls, port: 15443, targetPort: 15443}
"""
ISTIOD_VALUES = """\
profile: remote
global:
  meshID: mesh1
  multiCluster: {clusterName: iks}
  configCluster: true
istiodRemote:
  injectionPath: /inject/cluster/iks/net/network1
env: {ANY_NAME: any value}
"""
GATEWAY_VALUES = """\
name: istio-eastwestgateway
networkGateway: network1
labels: {istio: eastwestgateway, topology.istio.io/network: network1}
"""
STRONGSWAN_VALUES = """\
ipsec: {auto: start, esp: aes256gcm16-ecp384}
local: {subnet: 10.0.0.0/24}
remote: {gateway: 198.51.100.20}
"""
KINDS = {
    "c/mesh.yaml": "manifests",
    "c/app.yaml": "manifests",
    "c/istio/control-plane.yaml": "istio-operator",
    "c/istio/istiod-values.yaml": "helm-values:istio/istiod",
    "c/istio/eastwest-gateway-values.yaml": "helm-values:istio/gateway",
    "c/vpn/values.yaml": "helm-values:iks-charts/strongswan",
    "c/kustomization.yaml": "kustomization",
    "c/istio/cacerts.sh": "script",
}
GOOD = {
    "c/mesh.yaml": GATEWAY,
    "c/app.yaml": SERVICE,
    "c/istio/control-plane.yaml": OPERATOR,
    "c/istio/istiod-values.yaml": ISTIOD_VALUES,
    "c/istio/eastwest-gateway-values.yaml": GATEWAY_VALUES,
    "c/vpn/values.yaml": STRONGSWAN_VALUES,
    "c/kustomization.yaml": "resources: [app.yaml, mesh.yaml]\n",
    "c/istio/cacerts.sh": "#!/bin/sh\n",
}
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<doc>\d+): (?P<subject>[^:]+): (?P<path>[^:]+): (?P<message>.+)$")


def output(root: Path, files: dict[str, str], kinds: dict[str, str] | None = None) -> Path:
    """An output folder ``root/lab/`` holding ``files``, with its MANIFEST.json."""
    kinds = kinds or KINDS
    manifest = {"generator": "meshgen",
                "files": {path: {"kind": kinds[path], "sha256": ""} for path in files}}
    write_tree(root / "lab", {**files, "MANIFEST.json": json.dumps(manifest)})
    return root


def run(reference_dir: Path, root: Path, **files: str) -> VerifyReport:
    """verify_output over GOOD with some files replaced (keys use __ for /)."""
    replaced = {**GOOD, **{k.replace("__", "/"): v for k, v in files.items()}}
    return verify_output(output(root, replaced), ["lab"], crds=reference_dir / "istio-1.30.3",
                         strongswan_values=reference_dir / "iks-strongswan-2.10.7", environ={})


def messages(report: VerifyReport) -> list[str]:
    return [f"{f.file}:{f.document}: {f.subject}: {f.path}: {f.message}"
            for f in sorted(report.findings)]


# --- CRD to strict JSON Schema ---------------------------------------------------------------


def test_objects_listing_properties_are_closed() -> None:
    schema = strict_schema({
        "type": "object",
        "properties": {
            "port": {"type": "object", "properties": {"number": {"type": "integer"}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    })
    assert schema["additionalProperties"] is False
    assert schema["properties"]["port"]["additionalProperties"] is False
    assert schema["properties"]["labels"]["additionalProperties"] == {"type": "string"}


def test_kubernetes_extensions_become_json_schema() -> None:
    schema = strict_schema({
        "type": "object",
        "x-kubernetes-validations": [{"rule": "self.a > 0", "message": "CEL"}],
        "properties": {
            "generation": {"anyOf": [{"type": "integer"}, {"type": "string"}],
                           "x-kubernetes-int-or-string": True},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                     "properties": {"known": {"type": "string"}}},
            "maybe": {"type": "string", "nullable": True},
        },
        "oneOf": [{"required": ["generation"], "properties": {"generation": {}}}],
    })
    assert "x-kubernetes-validations" not in json.dumps(schema)
    assert schema["properties"]["generation"] == {"type": ["integer", "string"]}
    assert "additionalProperties" not in schema["properties"]["free"]
    assert schema["properties"]["maybe"]["type"] == ["string", "null"]
    assert "additionalProperties" not in schema["oneOf"][0]  # a branch narrows, not closes


def test_kubernetes_schema_files_and_cached_validators() -> None:
    assert schema_file_name("apps/v1", "Deployment") == "deployment-apps-v1.json"
    assert schema_file_name("v1", "Service") == "service-v1.json"
    assert schema_file_name("rbac.authorization.k8s.io/v1", "Role") == "role-rbac-v1.json"
    schemas = kubernetes_schemas()
    assert schemas is kubernetes_schemas()
    first = schemas.validator("v1", "Service")
    assert first is not None and first is schemas.validator("v1", "Service")
    assert schemas.validator("v1", "NoSuchKind") is None
    assert schemas.validator("example.com/v1", "Deployment") is None


def test_key_paths_of_chart_defaults() -> None:
    defaults = chart_defaults({
        "_internal_defaults_do_not_set": {"env": {}, "global": {"proxy": {"image": "x"}},
                                          "enabled": True, "tolerations": []},
        "notes": None,
        "free": ANY,
    })
    good = {"env": {"ANY": "1"}, "global": {"proxy": {"image": "y"}}, "enabled": False,
            "tolerations": [{}], "notes": {"a": [1]}, "free": 3}
    assert list(key_path_problems(good, defaults)) == []
    assert list(key_path_problems({"env": "A=1\n"}, defaults)) == []  # {} also means unset
    bad = {"global": {"proxy": "x", "proxi": {}}, "enabled": "yes", "tolerations": {}}
    assert list(key_path_problems(bad, defaults)) == [
        (("global", "proxy"), "expected a mapping, got str"),
        (("global", "proxi"), "unknown key 'proxi' (not among the chart's values); did you "
                              "mean 'proxy'?"),
        (("enabled",), "expected true or false, got 'yes'"),
        (("tolerations",), "expected a list, got a mapping"),
    ]


# --- reference data: good and bad objects ------------------------------------------------------


def test_good_objects_pass(reference_dir: Path, tmp_path: Path) -> None:
    report = run(reference_dir, tmp_path)
    assert report.ok, messages(report)
    assert report.objects == 6
    assert report.skipped == [("lab/c/istio/cacerts.sh", "not Kubernetes objects")]


def test_unknown_field_in_an_istio_object(reference_dir: Path, tmp_path: Path) -> None:
    bad = GATEWAY.replace("      hosts:", "      bogus: 1\n      hosts:")
    report = run(reference_dir, tmp_path, **{"c__mesh.yaml": bad})
    assert messages(report) == [
        "lab/c/mesh.yaml:1: Gateway/cross-network-gateway: spec.servers[0]: Additional "
        "properties are not allowed ('bogus' was unexpected)"]


def test_wrong_type_in_an_istio_object(reference_dir: Path, tmp_path: Path) -> None:
    bad = GATEWAY.replace("number: 15443", 'number: "15443"')
    report = run(reference_dir, tmp_path, **{"c__mesh.yaml": bad})
    assert messages(report) == [
        "lab/c/mesh.yaml:1: Gateway/cross-network-gateway: spec.servers[0].port.number: "
        "'15443' is not of type 'integer'"]


def test_enum_and_metadata_of_an_istio_object(reference_dir: Path, tmp_path: Path) -> None:
    bad = GATEWAY.replace("AUTO_PASSTHROUGH", "AUTO").replace("  namespace: istio-system",
                                                              "  namespace: istio-system\n  x: 1")
    found = messages(run(reference_dir, tmp_path, **{"c__mesh.yaml": bad}))
    assert len(found) == 2
    assert "metadata: Additional properties are not allowed ('x' was unexpected)" in found[0]
    assert "spec.servers[0].tls.mode: 'AUTO' is not one of" in found[1]


def test_unknown_kind_fails(reference_dir: Path, tmp_path: Path) -> None:
    istio_kind = GATEWAY.replace("kind: Gateway", "kind: Gateway2")
    k8s_kind = SERVICE.replace("kind: Service", "kind: Servic")
    report = run(reference_dir, tmp_path, **{"c__mesh.yaml": istio_kind, "c__app.yaml": k8s_kind})
    assert not report.ok
    found = messages(report)
    assert "no schema for v1 Servic in Kubernetes 1.32.0" in found[0]
    assert "no schema for networking.istio.io/v1 Gateway2 in the CRDs from --crds" in found[1]


def test_builtin_kind_is_strict(reference_dir: Path, tmp_path: Path) -> None:
    bad = SERVICE.replace("    - {name: http, port: 9080}", "    - {name: http, prot: 9080}")
    bad += "---\n" + SERVICE.replace("  name: reviews\n", "")
    found = messages(run(reference_dir, tmp_path, **{"c__app.yaml": bad}))
    assert found == [
        "lab/c/app.yaml:1: Service/reviews: spec.ports[0]: 'port' is a required property",
        "lab/c/app.yaml:1: Service/reviews: spec.ports[0]: Additional properties are not "
        "allowed ('prot' was unexpected)",
        "lab/c/app.yaml:2: Service/?: metadata: metadata.name is required",
    ]


def test_istio_operator_checks(reference_dir: Path, tmp_path: Path) -> None:
    bad = (OPERATOR.replace("  profile: remote", "  profile: remote\n  profil: x")
           .replace("injectionPath:", "injectionPth:")
           .replace("targetPort: 15443", "targetPort: [1]")
           .replace("meshID: mesh1", "meshID: mesh1\n      externalIstiod: maybe"))
    found = messages(run(reference_dir, tmp_path, **{"c__istio__control-plane.yaml": bad}))
    assert found == [
        "lab/c/istio/control-plane.yaml:1: IstioOperator/control-plane: spec: Additional "
        "properties are not allowed ('profil' was unexpected)",
        "lab/c/istio/control-plane.yaml:1: IstioOperator/control-plane: "
        "spec.components.ingressGateways[0].k8s.service.ports[0].targetPort: [1] is not of "
        "type 'string', 'null'",
        "lab/c/istio/control-plane.yaml:1: IstioOperator/control-plane: "
        "spec.values.global.externalIstiod: expected true or false, got 'maybe'",
        "lab/c/istio/control-plane.yaml:1: IstioOperator/control-plane: "
        "spec.values.istiodRemote.injectionPth: unknown key 'injectionPth' (not among the "
        "chart's values); did you mean 'injectionPath'?",
    ]


def test_chart_values_checks(reference_dir: Path, tmp_path: Path) -> None:
    report = run(
        reference_dir, tmp_path,
        **{
            "c__istio__istiod-values.yaml": ISTIOD_VALUES + "global2: {}\nistiodRemote2: 1\n",
            "c__istio__eastwest-gateway-values.yaml": GATEWAY_VALUES + "networkGateways: x\n",
            "c__vpn__values.yaml": STRONGSWAN_VALUES.replace("auto: start", "autostart: 1"),
        },
    )
    found = messages(report)
    assert found[0].startswith("lab/c/istio/eastwest-gateway-values.yaml:1: "
                               "values(istio/gateway): (top level): Additional properties")
    assert "'networkGateways' was unexpected" in found[0]
    assert found[1:] == [
        "lab/c/istio/istiod-values.yaml:1: values(istio/istiod): global2: unknown key "
        "'global2' (not among the chart's values); did you mean 'global'?",
        "lab/c/istio/istiod-values.yaml:1: values(istio/istiod): istiodRemote2: unknown key "
        "'istiodRemote2' (not among the chart's values); did you mean 'istiodRemote'?",
        "lab/c/vpn/values.yaml:1: values(iks-charts/strongswan): ipsec.autostart: unknown key "
        "'autostart' (not among the chart's values); did you mean 'auto'?",
    ]


def test_kustomization_lists_only_manifests(reference_dir: Path, tmp_path: Path) -> None:
    report = run(reference_dir, tmp_path, **{
        "c__kustomization.yaml": "resources: [app.yaml, istio/istiod-values.yaml, gone.yaml]\n"})
    assert [f.message for f in report.findings] == [
        "istio/istiod-values.yaml holds helm-values:istio/istiod, not objects kubectl applies",
        "gone.yaml is not a generated file of this topology",
    ]


def test_missing_chart_defaults_are_reported_not_passed(reference_dir: Path,
                                                        tmp_path: Path) -> None:
    report = verify_output(output(tmp_path, GOOD), ["lab"],
                           crds=reference_dir / "istio-1.30.3/crd-all.gen.yaml", environ={})
    assert report.ok
    skipped = dict(report.skipped)
    assert skipped["lab/c/vpn/values.yaml"] == "no defaults or schema of chart " \
                                               "iks-charts/strongswan given"
    assert "no defaults or schema of chart istio/istiod given" in skipped.values()
    assert skipped["lab/c/istio/control-plane.yaml"].startswith("spec.values:")
    assert "not checked: " in report.summary()


# --- finding the CRDs -------------------------------------------------------------------------


def test_istio_objects_without_crds_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=f"--crds PATH .* {CRDS_ENV}"):
        verify_output(output(tmp_path, GOOD), ["lab"], environ={})


def test_crds_from_the_environment(reference_dir: Path, tmp_path: Path) -> None:
    report = verify_output(output(tmp_path, GOOD), ["lab"],
                           environ={CRDS_ENV: str(reference_dir / "istio-1.30.3")})
    assert report.ok, messages(report)
    sources = find_sources(None, None, {CRDS_ENV: str(reference_dir / "istio-1.30.3")})
    assert sources.crds_from == f"${CRDS_ENV}"
    assert sources.istiod_defaults is not None and sources.gateway_schema is not None


def test_an_istio_release_folder_is_understood(reference_dir: Path, tmp_path: Path) -> None:
    release = tmp_path / "istio-1.30.3"
    layout = {
        "manifests/charts/base/files/crd-all.gen.yaml": "crd-all.gen.yaml",
        "manifests/charts/gateway/values.schema.json": "gateway-values.schema.json",
        "manifests/charts/istio-control/istio-discovery/values.yaml": "istiod-values.yaml",
        "manifests/charts/base/values.yaml": "base-values.yaml",
    }
    for target, name in layout.items():
        (release / target).parent.mkdir(parents=True, exist_ok=True)
        (release / target).symlink_to(reference_dir / "istio-1.30.3" / name)
    sources = find_sources(release, None, {})
    assert sources.crd_files == (release / "manifests/charts/base/files/crd-all.gen.yaml",)
    assert sources.base_defaults == release / "manifests/charts/base/values.yaml"


def test_crds_given_but_none_found(tmp_path: Path) -> None:
    empty = tmp_path / "crds.yaml"
    empty.write_text(SERVICE, encoding="utf-8")
    with pytest.raises(UsageError, match="no CustomResourceDefinition"):
        verify_output(output(tmp_path / "out", GOOD), ["lab"], crds=empty, environ={})


def test_missing_output_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run meshgen build first"):
        verify_output(tmp_path, ["nothing-here"], environ={})
    with pytest.raises(UsageError, match="no such file"):
        find_sources(tmp_path / "absent", None, {})


def test_a_kind_meshgen_does_not_write_is_a_finding(reference_dir: Path,
                                                   tmp_path: Path) -> None:
    kinds = {**KINDS, "c/vpn/values.yaml": "helm-values:other/chart", "c/istio/cacerts.sh": "sh"}
    report = verify_output(output(tmp_path, GOOD, kinds), ["lab"],
                           crds=reference_dir / "istio-1.30.3", environ={})
    assert messages(report) == [
        "lab/c/istio/cacerts.sh:1: -: : unknown kind 'sh' in MANIFEST.json",
        "lab/c/vpn/values.yaml:1: -: : unknown kind 'helm-values:other/chart' in MANIFEST.json",
    ]


def test_listed_but_missing_file(reference_dir: Path, tmp_path: Path) -> None:
    root = output(tmp_path, GOOD)
    (root / "lab/c/app.yaml").unlink()
    report = verify_output(root, ["lab"], crds=reference_dir / "istio-1.30.3", environ={})
    assert [f.message for f in report.findings] == [
        "listed in MANIFEST.json but missing; run meshgen build"]


# --- the command ------------------------------------------------------------------------------


def test_command_reports_text_and_json(reference_dir: Path, project: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRDS_ENV, raising=False)
    topology = project / "topologies" / SEED.name
    topology.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["build", "-q"]) == 0
    capsys.readouterr()
    assert main(["verify"]) == 2
    assert "--crds" in capsys.readouterr().err

    crds = str(reference_dir / "istio-1.30.3")
    assert main(["verify", "--crds", crds]) == 0
    err = capsys.readouterr().err
    passed = re.search(r"verified (\d+) objects in (\d+) files: all pass .* ms per object", err)
    assert passed, err

    gateway = project / "output/icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml"
    gateway.write_text(gateway.read_text().replace("number: 8080", "number: high"))
    assert main(["verify", "--crds", crds]) == 1
    out, _ = capsys.readouterr()
    (line,) = out.splitlines()
    match = LINE.match(line)
    assert match is not None, line
    assert match.group("file") == "icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml"
    assert (match.group("doc"), match.group("subject")) == ("1", "Gateway/bookinfo-gateway")
    assert match.group("path") == "spec.servers[0].port.number"

    assert main(["verify", "--crds", crds, "--format", "json"]) == 1
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["problems"] == [{
        "file": "icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml", "document": 1, "line": 2,
        "rule": "verify-object", "subject": "Gateway/bookinfo-gateway",
        "path": "spec.servers[0].port.number",
        "message": "'high' is not of type 'integer'"}]
    # The same objects and files as the passing run counted, and the two timing figures.
    assert (report["objects"], report["files"]) == (int(passed[1]), int(passed[2]))
    assert sorted(report["timing"]) == ["load_ms", "per_object_ms"]
    assert all(isinstance(v, (int, float)) for v in report["timing"].values())
