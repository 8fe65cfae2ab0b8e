from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml

from generator.catalog import catalogs
from generator.inputs.schema import topology_schema, validate_structure
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
