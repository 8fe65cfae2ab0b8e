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
    data = {"name": "t", "clusters": [{"name": "c", "role": "primary", "podCIDR": "10.0.0.0/16",
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
