"""The model: its defaults against the schema file, the builder's partial models, the
discriminators and the questions the model answers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import generator.model.build
import generator.model.objects
from generator.api import check_file
from generator.catalog import catalogs
from generator.cli import main
from generator.errors import Member
from generator.model import (
    Istio,
    MatchKind,
    RouteForm,
    SecretKind,
    SecretRef,
    Topology,
    VpnLink,
    build_model,
    schema_defaults,
)
from generator.model.defaults import PLACES, as_json
from generator.model.objects import WRITTEN
from generator.targets.runbook import Requirement
from generator.targets.shell import INVOKED_FROM, key_file_word
from generator.targets.vpn.ends import link_ends
from generator.targets.vpn.scripts import gateway_script
from tests.helpers import ROOT, seed, valid_data

SCHEMA_FILE = ROOT / "schemas" / "topology.schema.json"

def minimal() -> dict[str, Any]:
    """The tests' valid topology with every defaulted value left out, an app defined in it
    (one service, one port, one version) and a stage in each form of route."""
    data = valid_data()
    del data["istio"]
    data["vpn"] = [{"between": ["west", "east"], "psk": {"env": "LAB_PSK"}}]
    data["apps"] = [{
        "name": "shop",
        "services": [{"name": "web", "ports": [{"port": 8080}],
                      "versions": [{"name": "v1", "image": "example/web:1"}]}],
        "placement": {"east": ["web-v1"]},
    }]
    data["traffic"] = [
        {"name": "all-v1", "routes": {"web": "v1"}},
        {"name": "half", "routes": {"web": {"v1": 100}}},
        {"name": "ruled", "routes": {"web": [
            {"match": {"headers": {"end-user": {"exact": "jason"}},
                       "uri": {"prefix": "/api"}}, "to": "v1"},
            {"to": "v1"},
        ]}},
    ]
    return data


def built(data: dict[str, Any], broken: frozenset[tuple[str | int, ...]] = frozenset()
          ) -> Topology:
    return build_model(data, catalogs(), broken)


def checked(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return check_file(path, "lab.yaml")


# --- defaults: the model's fields, restated by the schema file -------------------------------


def file_defaults(node: dict[str, Any], path: str = "", root: dict[str, Any] | None = None,
                  seen: set[str] | None = None) -> Iterator[tuple[str, object]]:
    """Each ``default`` of the schema file by field path, in the schema reference's notation;
    the forms of an entry (a link, a full mesh, hubs and spokes: ``then`` and ``else`` of an
    ``if``, by ``$ref``) share the entry's path, and each is read once."""
    root = node if root is None else root
    seen = set() if seen is None else seen
    if "$ref" in node and node["$ref"] not in seen:
        seen.add(node["$ref"])
        name = node["$ref"].removeprefix("#/$defs/")
        yield from file_defaults(root["$defs"][name], path, root, seen)
    if path and "default" in node:
        yield path, node["default"]
    for key, child in node.get("properties", {}).items():
        yield from file_defaults(child, f"{path}.{key}" if path else key, root, seen)
    if isinstance(node.get("items"), dict):
        yield from file_defaults(node["items"], f"{path}[]", root, seen)
    for choice in (*node.get("oneOf", ()), *node.get("anyOf", ()),
                   *(node[k] for k in ("then", "else") if k in node)):
        yield from file_defaults(choice, path, root, seen)


def count_defaults(node: object) -> int:
    if isinstance(node, dict):
        return ("default" in node) + sum(count_defaults(v) for v in node.values())
    if isinstance(node, list):
        return sum(count_defaults(v) for v in node)
    return 0


def test_the_schema_file_states_the_models_defaults() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    found = list(file_defaults(schema))
    assert count_defaults(schema) == len(found), "a default outside the fields' paths"
    model = schema_defaults()
    assert {path for path, _ in found} == set(model)
    # A link and each set form restate the link's defaults: all of them must agree.
    assert [(path, value) for path, value in found if model[path] != value] == []


def test_every_object_with_defaults_has_a_place() -> None:
    objects = vars(generator.model.objects).values()
    defaulted = {c for c in objects if isinstance(c, type) and dataclasses.is_dataclass(c)
                 and any(WRITTEN in f.metadata for f in dataclasses.fields(c))}
    assert defaulted == set(PLACES)


def test_what_is_left_out_gets_the_schemas_default() -> None:
    stated = dict(file_defaults(json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))))
    full = built(minimal())
    service = full.apps[0].services[0]
    found = {Topology: built({"name": "lab", "clusters": minimal()["clusters"]}),
             Istio: full.istio, type(full.clusters[0]): full.clusters[0],
             type(full.vpn[0]): full.vpn[0], type(service.ports[0]): service.ports[0],
             type(service.versions[0]): service.versions[0],
             type(full.delivery): full.delivery}
    assert set(found) == set(PLACES)
    for cls, obj in found.items():
        for f in dataclasses.fields(cls):
            if WRITTEN in f.metadata:
                place = PLACES[cls]
                path = f"{place}.{f.metadata[WRITTEN]}" if place else f.metadata[WRITTEN]
                assert as_json(getattr(obj, f.name)) == stated[path], path


def test_what_is_written_wins_over_the_default() -> None:
    data = minimal()
    data["istio"] = {"mtls": "permissive", "model": "multi-primary", "meshID": "m2"}
    data["vpn"][0].update({"closeAction": "hold", "dpd": {"delay": "10s"},
                           "allowWeakCrypto": True})
    t = built(data)
    assert (t.istio.mtls_strict, t.istio.mtls_given, t.istio.model.value, t.istio.mesh_id) == (
        False, True, "multi-primary", "m2")
    link = t.vpn[0]
    assert (link.close_action, link.dpd_delay, link.dpd_action, link.allow_weak_crypto) == (
        "hold", "10s", "restart", True)


# --- partial models: one explicit way to leave a part out ------------------------------------


def test_a_part_without_a_value_it_needs_is_left_out() -> None:
    data = minimal()
    del data["clusters"][1]["podCIDR"]
    t = built(data, frozenset({("clusters", 1, "podCIDR")}))
    assert [c.name for c in t.clusters] == ["east"]
    assert t.incomplete == {"clusters"}


def test_what_can_be_read_of_an_entry_left_out_is_kept() -> None:
    data = minimal()
    data["clusters"][1]["podCIDR"] = 7
    data["apps"].append({"name": "broken", "catalog": "bookinfo", "placement": "east"})
    data["vpn"].append({"between": "east", "psk": {"env": "K"}})
    broken = frozenset({("clusters", 1, "podCIDR"), ("apps", 1, "placement"),
                        ("vpn", 1, "between")})
    t = built(data, broken)
    assert [c.name for c in t.clusters] == ["east"]
    assert [(e.section, e.at, e.name) for e in t.left_out] == [
        ("clusters", ("clusters", 1), "west"), ("vpn", ("vpn", 1), None),
        ("apps", ("apps", 1), "broken")]
    west, link, app = t.left_out
    assert west.role is not None and west.role.value == "remote"
    assert t.role_of("west") is west.role and t.role_of("east") is t.clusters[0].role
    assert link.between is None and t.unread("vpn", "between")
    assert sorted(app.services or ()) == ["details", "productpage", "ratings", "reviews"]
    assert not t.no_cluster_named("west") and t.no_cluster_named("north")
    assert t.primary_names == ("east",) and not t.unread("clusters", "role")


def test_a_left_out_entry_with_an_unreadable_name_makes_every_name_uncertain() -> None:
    data = minimal()
    data["clusters"][1]["name"] = ["west"]
    t = built(data, frozenset({("clusters", 1, "name")}))
    assert t.unread("clusters", "name")
    assert not t.no_cluster_named("anything")


def test_a_stage_loses_only_the_route_that_failed() -> None:
    data = minimal()
    data["traffic"][0]["routes"] = {"web": "v1", "api": {"v1": "50%"}}
    t = built(data, frozenset({("traffic", 0, "routes", "api", "v1")}))
    assert [r.service for r in t.traffic[0].routes] == ["web"]
    assert t.left_out == ()


def test_a_value_of_the_wrong_type_the_schema_did_not_name_leaves_its_part_out() -> None:
    """The schema reports one failure of a oneOf; a weight written as text next to it reaches
    the builder, which leaves the stage out instead of handing a check a string to add up."""
    data = minimal()
    data["traffic"][1]["routes"]["web"] = {"v1": "100%"}
    data["istio"] = {"mtls": 1}
    t = built(data)
    assert [s.name for s in t.traffic] == ["all-v1", "ruled"]
    assert t.istio == Istio()
    assert t.incomplete == {"traffic", "istio"}


def test_two_mistakes_in_one_list_of_rules_are_both_reported_not_a_crash(tmp_path: Path
                                                                         ) -> None:
    data = minimal()
    data["traffic"][2]["routes"]["web"][0]["match"]["headers"]["end-user"] = {"exacxt": "j"}
    data["traffic"][2]["routes"]["web"][1]["to"] = {"v1": "50%"}
    result = checked(tmp_path, data)
    assert [p.rule for p in result.errors] == ["unknown-field", "wrong-type"]
    # The route that failed is left out of its stage; the stage itself stays.
    assert result.topology is not None and result.topology.traffic[2].routes == ()


def test_a_comparison_of_an_unknown_kind_is_left_out_and_the_rule_keeps_its_match() -> None:
    data = minimal()
    data["traffic"][2]["routes"]["web"][0]["match"]["headers"]["end-user"] = {"exacxt": "j"}
    (route,) = built(data).traffic[2].routes
    match = route.rules[0].match
    assert match is not None and match.headers == ()
    assert match.uri is not None and match.uri.kind is MatchKind.PREFIX


def test_a_bug_in_the_builder_surfaces_even_beside_schema_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def buggy(*_args: object) -> object:
        raise KeyError("a bug, not a schema failure")

    monkeypatch.setattr(generator.model.build, "_stage", buggy)
    data = minimal()
    data["clusters"][1]["role"] = "spare"  # a schema error, so the bug has company
    with pytest.raises(KeyError, match="a bug"):
        checked(tmp_path, data)
    assert main(["validate", str(tmp_path / "lab.yaml")]) == 3
    assert "internal error: KeyError" in capsys.readouterr().err


# --- discriminators ----------------------------------------------------------------------------


def test_route_forms_and_match_kinds() -> None:
    t = built(minimal())
    assert [s.routes[0].form for s in t.traffic] == [RouteForm.VERSION, RouteForm.SPLIT,
                                                     RouteForm.RULES]
    match = t.traffic[2].routes[0].rules[0].match
    assert match is not None and match.uri is not None
    assert [m.kind for _, m in match.headers] + [match.uri.kind] == [MatchKind.EXACT,
                                                                     MatchKind.PREFIX]


@pytest.mark.parametrize(("kind", "name", "relative"), [
    (SecretKind.ENV, "LAB_PSK", False),
    (SecretKind.FILE, "keys/lab.psk", True),
    (SecretKind.FILE, "/etc/keys/lab.psk", False),
    (SecretKind.FILE, "~/keys/lab.psk", False),
    (SecretKind.FILE, "~", False),
    (SecretKind.FILE, "~other/lab.psk", True),  # a folder named ~other: bash would not expand it
])
def test_a_relative_key_file_is_read_from_where_apply_sh_starts(
        kind: SecretKind, name: str, relative: bool) -> None:
    ref = SecretRef(kind, name)
    assert (ref.is_env, ref.relative) == (kind is SecretKind.ENV, relative)
    assert str(ref) == f"{{{kind.value}: {name}}}"
    if ref.is_env:
        return
    label = Requirement(ref, "a key").label
    assert label.endswith("relative to the folder apply.sh is started from)") == relative
    assert key_file_word(ref).startswith(f'"${{{INVOKED_FROM}:-$PWD}}"/') == relative
    t = built(minimal())
    link = dataclasses.replace(t.vpn[0], psk=ref)
    script = gateway_script(next(link_ends(dataclasses.replace(t, vpn=(link,)))))
    assert ("(relative to the folder it is started from)" in script) == relative


def test_the_builder_reads_both_kinds_of_key_reference() -> None:
    data = minimal()
    data["vpn"].append({"between": ["east", "west"], "psk": {"file": "keys/lab.psk"}})
    refs = [link.psk for link in built(data).vpn]
    assert refs == [SecretRef(SecretKind.ENV, "LAB_PSK"), SecretRef(SecretKind.FILE,
                                                                    "keys/lab.psk")]


# --- questions the model answers ---------------------------------------------------------------


def test_which_primaries_drive_remotes_and_which_clusters_are_ingresses() -> None:
    t = seed()
    icp, iks = t.cluster("icp"), t.cluster("iks")
    assert icp is not None and iks is not None
    assert (t.has_remotes(icp), t.has_remotes(iks)) == (True, False)
    assert (t.is_ingress(icp), t.is_ingress(iks)) == (True, False)
    assert t.remotes_of("icp") == (iks,)
    data = minimal()
    data["clusters"][1]["role"] = "primary"
    data["istio"] = {"model": "multi-primary"}
    data["apps"][0]["ingress"] = "west"
    t = built(data)
    assert [t.has_remotes(c) for c in t.clusters] == [False, False]
    assert [t.is_ingress(c) for c in t.clusters] == [False, True]


def test_a_link_given_a_pools_address_keeps_every_other_value() -> None:
    link = VpnLink(
        "b", "a", SecretRef(SecretKind.FILE, "keys/a-b.psk"), ("a", "b"), key_exchange="ikev1",
        ike="aes128-sha256-modp2048", esp="aes128-sha256", ike_lifetime="8h", lifetime="2h",
        margin_time="5m", dpd_action="clear", dpd_delay="10s", close_action="none",
        allow_weak_crypto=True, at=("vpn", 3, Member("full mesh", "link a-b")))
    given = link.listening_at("198.51.100.7", ("clusters", 0, "listenPool"))
    assert given == dataclasses.replace(link, listen_address="198.51.100.7",
                                        listen_at=("clusters", 0, "listenPool"))
    defaults = {f.name: f.default for f in dataclasses.fields(VpnLink)}
    assert [f.name for f in dataclasses.fields(VpnLink)
            if getattr(link, f.name) == defaults[f.name]] == ["listen_address", "listen_at"]
