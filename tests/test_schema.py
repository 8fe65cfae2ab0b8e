from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.catalog import catalogs
from generator.inputs.schema import topology_schema, validate_structure, validator_class
from tests.helpers import ROOT, SEED


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def test_schema_is_valid_2020_12() -> None:
    schema = topology_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json.loads((ROOT / "schemas" / "topology.schema.json").read_text())


def test_every_object_with_properties_is_closed_and_every_field_described() -> None:
    for path, node in walk(topology_schema()):
        if isinstance(node.get("properties"), dict):
            assert node.get("additionalProperties") is False, path
            for name, field in node["properties"].items():
                assert field.get("description"), f"{path}/properties/{name}"


def test_schema_has_examples_that_validate() -> None:
    schema = topology_schema()
    assert schema["examples"]
    for example in schema["examples"]:
        assert validate_structure(example) == []


def test_seed_passes_the_schema() -> None:
    assert validate_structure(yaml.safe_load(SEED.read_text())) == []


@pytest.mark.parametrize("name", sorted(catalogs()))
def test_bundled_catalogs_have_the_shape_of_an_inline_app(name: str) -> None:
    definition = catalogs()[name]
    app = {"name": name, "placement": {"c": []}, **definition}
    app.pop("description", None)
    data = {"apiVersion": "meshgen/v1", "name": "t",
            "clusters": [{"name": "c", "role": "primary", "podCIDR": "10.0.0.0/16",
                          "serviceCIDR": "10.1.0.0/16"}], "apps": [app]}
    assert validate_structure(data) == []


def test_schema_problems_are_named_and_located_by_path() -> None:
    data = yaml.safe_load(SEED.read_text())
    data["clusters"][0]["podCIDR"] = 7
    data["clusters"][1]["rol"] = "remote"
    data["vpn"][0]["ikeLifetime"] = "1d"
    found = {(p.rule, p.path) for p in validate_structure(data)}
    assert ("wrong-type", ("clusters", 0, "podCIDR")) in found
    assert ("unknown-field", ("clusters", 1, "rol")) in found
    assert ("invalid-value", ("vpn", 0, "ikeLifetime")) in found


def test_unquoted_version_gets_a_quoting_hint() -> None:
    data = yaml.safe_load(SEED.read_text())
    data["istio"]["version"] = 1.0
    (problem,) = validate_structure(data)
    assert problem.rule == "wrong-type" and "quote" in problem.hint


# --- did-you-mean, folded typos, enum meanings ---------------------------------------------------


def seed_with(*edits: tuple[tuple[str | int, ...], Any]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SEED.read_text())
    for path, value in edits:
        holder: Any = data
        for key in path[:-1]:
            holder = holder[key]
        if value is None:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
    return data


def test_a_misspelt_required_field_is_one_error_with_the_field_it_meant() -> None:
    data = seed_with((("clusters", 1, "podCIDR"), None),
                     (("clusters", 1, "podCidr"), "172.30.0.0/16"))
    (problem,) = validate_structure(data)
    assert (problem.rule, problem.path, problem.on_key) == (
        "unknown-field", ("clusters", 1, "podCidr"), True)
    assert problem.hint == "did you mean 'podCIDR'? It is required here."


@pytest.mark.parametrize(("written", "meant"), [
    ("podCidr", "podCIDR"),        # case alone: before any edit distance
    ("PODCIDR", "podCIDR"),
    ("vpngateway", "vpnGateway"),
    ("provdier", "provider"),      # two letters swapped: one edit
    ("contxt", "context"),
    ("eastWestGatewayIp", "eastWestGatewayIP"),
])
def test_did_you_mean_compares_case_first_then_edits(written: str, meant: str) -> None:
    data = seed_with((("clusters", 0, written), "x"))
    data["clusters"][0].pop(meant, None)
    hints = {p.path[-1]: p.hint for p in validate_structure(data) if p.rule == "unknown-field"}
    assert hints[written].startswith(f"did you mean '{meant}'?")


def test_a_field_far_from_every_allowed_one_gets_the_list_instead() -> None:
    data = seed_with((("clusters", 0, "zone"), "eu"))
    (problem,) = validate_structure(data)
    assert problem.hint.startswith("known fields here: context, description, eastWestGatewayIP")


def test_only_fields_allowed_at_that_path_are_suggested() -> None:
    # 'meshID' is a field of istio, not of a cluster; a cluster offers nothing close.
    data = seed_with((("clusters", 0, "meshId"), "m"), (("istio", "meshID"), None),
                     (("istio", "meshId"), "m"))
    hints = {p.path: p.hint for p in validate_structure(data)}
    assert hints[("istio", "meshId")] == "did you mean 'meshID'?"
    assert hints[("clusters", 0, "meshId")].startswith("known fields here:")


def test_a_field_written_twice_in_two_spellings_is_named() -> None:
    data = seed_with((("clusters", 0, "PodCIDR"), "10.9.0.0/16"))
    (problem,) = validate_structure(data)
    assert problem.hint == "did you mean 'podCIDR'? It is written too."


def test_an_enum_error_says_what_each_value_means() -> None:
    data = seed_with((("clusters", 0, "provider"), "gke"))
    (problem,) = validate_structure(data)
    assert problem.message == "'gke' is not one of 'icp', 'iks', 'generic'"
    # GKE is named in the meaning of 'generic', so that is the value suggested.
    assert problem.hint.startswith("did you mean 'generic'? 'icp': IBM Cloud Private; ")
    assert "'generic': any other cloud: GKE, EKS, AKS, kind" in problem.hint


def test_an_enum_value_in_the_wrong_case_is_suggested_in_the_right_one() -> None:
    data = seed_with((("istio", "model"), "Multi-Primary"))
    (problem,) = validate_structure(data)
    assert problem.hint.startswith("did you mean 'multi-primary'? 'primary-remote': ")


def test_every_enum_says_what_each_of_its_values_means() -> None:
    """The meanings are written once, beside each enum, one for each value: the schema page,
    editors and error messages all read them from there."""
    enums = [(path, node) for path, node in walk(topology_schema()) if "enum" in node]
    assert len(enums) >= 9
    for path, node in enums:
        meanings = node.get("enumDescriptions")
        assert isinstance(meanings, list) and len(meanings) == len(node["enum"]), path
        assert all(isinstance(m, str) and m.strip() for m in meanings), path


def test_every_mistake_in_a_list_of_rules_is_reported() -> None:
    data = seed_with((("traffic", 1, "routes", "reviews", 0, "match", "headers", "end-user"),
                      {"exatc": "jason"}),
                     (("traffic", 1, "routes", "reviews", 1, "to"), {"v3": "100%"}))
    found = [(p.rule, p.path) for p in validate_structure(data)]
    assert found == [
        ("unknown-field", ("traffic", 1, "routes", "reviews", 0, "match", "headers",
                           "end-user", "exatc")),
        ("wrong-type", ("traffic", 1, "routes", "reviews", 1, "to", "v3")),
    ]


# --- patterns match whole values; every string and number is bounded -----------------------


def patterns() -> list[tuple[str, str]]:
    """(where, pattern) of every ``pattern`` in the schema, ``propertyNames`` included."""
    return [(path, node["pattern"]) for path, node in walk(topology_schema())
            if isinstance(node.get("pattern"), str)]


def test_every_pattern_is_anchored_at_both_ends() -> None:
    """Editors search a pattern with ECMA-262 regexes; anchored, the search means the whole
    value there as it does in meshgen's whole-value match."""
    assert len(patterns()) >= 30
    for where, pattern in patterns():
        assert pattern.startswith("^") and pattern.endswith("$"), where


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
@pytest.mark.parametrize(("where", "pattern"), patterns())
def test_no_pattern_takes_a_line_break_after_a_valid_value(where: str, pattern: str,
                                                           data: st.DataObject) -> None:
    """Python's ``$`` matches before a final newline, so ``re.search`` would let "west\\n"
    through ``^[a-z0-9]...$``; the schema's validator matches the whole value."""
    value = data.draw(st.from_regex(pattern, fullmatch=True).filter(
        lambda v: "\n" not in v and "\r" not in v))
    check = validator_class()({"type": "string", "pattern": pattern})
    assert check.is_valid(value), where
    for ending in ("\n", "\r\n"):
        assert not check.is_valid(value + ending), where
        assert not check.is_valid(ending + value), where


@pytest.mark.parametrize("field", ["name", "clusters.0.name", "clusters.1.context",
                                   "clusters.0.network", "istio.meshID", "traffic.0.name",
                                   "vpn.0.psk.env", "vpn.0.lifetime", "istio.version"])
def test_a_trailing_newline_is_refused_in_a_topology(field: str) -> None:
    data = yaml.safe_load(SEED.read_text())
    *parents, last = [int(p) if p.isdigit() else p for p in field.split(".")]
    holder = data
    for part in parents:
        holder = holder[part]
    holder[last] = f"{holder.get(last, 'x')}\n"
    found = [(p.rule, p.path) for p in validate_structure(data)]
    assert found == [("control-character", (*parents, last))]


def test_the_pattern_alone_refuses_a_trailing_newline() -> None:
    """Without the control-character rule in front, the schema still refuses it."""
    data = yaml.safe_load(SEED.read_text())
    data["clusters"][0]["name"] = "icp\n"
    errors = list(validator_class()(topology_schema()).iter_errors(data))
    assert [(e.validator, list(e.absolute_path)) for e in errors] == [
        ("pattern", ["clusters", 0, "name"])]


def test_every_string_is_bounded() -> None:
    """A string the schema does not bound could be copied into the output at any length (a
    description is bounded by the limit-description rule)."""
    unbounded = [path for path, node in walk(topology_schema())
                 if node.get("type") == "string" and "maxLength" not in node
                 and "enum" not in node and "anyOf" not in node
                 and not path.endswith("/description")]
    assert unbounded == []
    names = [path for path, node in walk(topology_schema()) if path.endswith("/propertyNames")]
    assert names and all("maxLength" in resolve(path) for path in names)


def resolve(path: str) -> dict[str, Any]:
    node: Any = topology_schema()
    for part in path.split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    assert isinstance(node, dict)
    return node


def test_weights_are_written_without_a_fraction() -> None:
    data = yaml.safe_load(SEED.read_text())
    data["traffic"][2]["routes"]["reviews"] = {"v1": 50.0, "v3": 50.0}
    found = validate_structure(data)
    assert sorted((p.rule, p.path[-1]) for p in found) == [("wrong-type", "v1"),
                                                           ("wrong-type", "v3")]
    assert {p.hint for p in found} == {
        "write a whole number without a decimal point: 50, not 50.0"}


def test_ports_and_replicas_are_written_without_a_fraction() -> None:
    data = yaml.safe_load(SEED.read_text())
    data["apps"][0] = {
        "name": "shop", "ingress": "icp",
        "services": [{"name": "web", "ports": [{"port": 80.0, "targetPort": 8080.0}],
                      "versions": [{"name": "v1", "image": "x", "replicas": 2.0}]}],
        "entry": {"service": "web", "port": 80.0, "uris": [{"prefix": "/"}]},
        "placement": {"icp": ["web-v1"]}}
    data["traffic"] = []
    found = {(p.rule, p.path) for p in validate_structure(data)}
    service = ("apps", 0, "services", 0)
    assert found == {("wrong-type", (*service, "ports", 0, "port")),
                     ("wrong-type", (*service, "ports", 0, "targetPort")),
                     ("wrong-type", (*service, "versions", 0, "replicas")),
                     ("wrong-type", ("apps", 0, "entry", "port"))}


def test_service_names_start_with_a_letter() -> None:
    data = yaml.safe_load(SEED.read_text())
    data["apps"][0] = {"name": "shop", "services": [
        {"name": "2fa", "ports": [{"port": 80}], "versions": [{"name": "v1", "image": "x"}]}],
        "placement": {"icp": ["2fa-v1"]}}
    data["traffic"] = []
    (problem,) = validate_structure(data)
    assert (problem.rule, problem.path) == ("invalid-value", ("apps", 0, "services", 0, "name"))
    assert "DNS-1035" in problem.message and "starts with a lower-case letter" in problem.hint
