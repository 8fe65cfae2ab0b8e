"""The artifact contract: kinds and charts as MANIFEST.json names them, and who may import it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.artifacts import (
    MANIFEST,
    Artifact,
    Chart,
    Kind,
    indented_json,
    render_tree,
    require_inside,
    taken,
)


def test_kinds_are_written_as_before() -> None:
    """The values are what every committed MANIFEST.json holds: renaming one changes output."""
    assert [k.value for k in Kind] == [
        "manifests", "kustomization", "flux", "argocd", "istio-operator", "strongswan-config",
        "script", "text",
        "helm-values:istio/base", "helm-values:istio/istiod", "helm-values:istio/gateway",
        "helm-values:iks-charts/strongswan"]


def test_each_chart_has_one_kind_of_values_and_back() -> None:
    assert [(c.value, c.repository) for c in Chart] == [
        ("istio/base", "istio"), ("istio/istiod", "istio"), ("istio/gateway", "istio"),
        ("iks-charts/strongswan", "iks-charts")]
    assert {c.values for c in Chart} == {k for k in Kind if k.chart is not None}
    assert all(chart.values.chart is chart for chart in Chart)
    assert Kind.MANIFESTS.chart is None and Kind.SCRIPT.chart is None


def test_a_kind_reads_as_its_value_everywhere() -> None:
    kind = Kind.ISTIOD_VALUES
    assert (str(kind), f"{kind}", f"{kind:>24}", json.dumps(kind)) == (
        "helm-values:istio/istiod", "helm-values:istio/istiod",
        "helm-values:istio/istiod", '"helm-values:istio/istiod"')
    assert f"{Chart.STRONGSWAN} 2.10.7" == "iks-charts/strongswan 2.10.7"
    assert kind == "helm-values:istio/istiod"


def test_a_kind_is_named_or_not() -> None:
    assert Kind.named("helm-values:istio/gateway") is Kind.ISTIO_GATEWAY_VALUES
    assert Kind.named("helm-values:other/chart") is None
    assert Kind.named("") is None


def test_the_manifest_records_each_kind() -> None:
    tree = render_tree("lab", "lab.yaml", "0" * 64, [
        Artifact("east/vpn/west/values.yaml", "a: 1\n", Chart.STRONGSWAN.values),
        Artifact("apply.sh", "#!/bin/sh\n", Kind.SCRIPT, executable=True)])
    manifest = json.loads(tree.files[MANIFEST])
    assert {path: entry["kind"] for path, entry in manifest["files"].items()} == {
        "apply.sh": "script", "east/vpn/west/values.yaml": "helm-values:iks-charts/strongswan"}
    assert tree.kinds["apply.sh"] is Kind.SCRIPT


INDEXES = st.recursive(
    st.text() | st.integers() | st.booleans() | st.none(),
    lambda inner: st.dictionaries(st.text(), inner, max_size=4), max_leaves=30)


@given(INDEXES)
def test_indented_json_is_what_the_json_module_writes(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, sort_keys=True)


PATHS = st.lists(st.sampled_from(["", ".", "..", "...", ".a", "a", "b.sh", "a\\b", "a\0",
                                   "c d", "é"]), min_size=1, max_size=4).map("/".join)


@given(PATHS)
def test_a_path_is_plain_when_each_of_its_parts_is_a_name(path: str) -> None:
    parts = path.split("/")
    plain = not ("\\" in path or "\0" in path or any(p in ("", ".", "..") for p in parts))
    try:
        require_inside(path)
    except ValueError:
        assert not plain
    else:
        assert plain


NAMES = st.text(st.characters(blacklist_characters="/\\\0"), min_size=1).filter(
    lambda name: name not in (".", ".."))


@given(st.dictionaries(NAMES, st.tuples(st.sampled_from(list(Kind)), st.booleans()),
                       max_size=6), st.text(), st.text())
def test_the_manifest_is_what_the_json_module_writes(
        files: dict[str, tuple[Kind, bool]], source: str, sha256: str) -> None:
    artifacts = [Artifact(f"d/{name}", "text\n", kind, executable=executable)
                 for name, (kind, executable) in files.items()]
    text = render_tree("lab", source, sha256, artifacts).files[MANIFEST].decode("utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    written = json.loads(text)["files"]
    assert {path: (Kind(entry["kind"]), entry.get("mode") == "0755")
            for path, entry in written.items()} == {
        f"d/{name}": value for name, value in files.items()}
    assert all(set(entry) <= {"kind", "mode", "sha256"} for entry in written.values())


def test_a_tree_takes_its_artifacts_one_at_a_time() -> None:
    artifacts = [Artifact("a/one.txt", "1\n", Kind.TEXT), Artifact("b.sh", "#!/bin/sh\n",
                                                                  Kind.SCRIPT, executable=True)]
    tree = render_tree("lab", "lab.yaml", "0" * 64, taken(artifacts))
    assert artifacts == []
    assert list(tree.files) == ["MANIFEST.json", "a/one.txt", "b.sh"]
    assert tree.executable == {"b.sh"}
