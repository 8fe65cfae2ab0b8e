"""The topology file reference, generated from ``schemas/topology.schema.json``.

Every field is listed with its type, whether it is required, its default, its constraints and
its description, so the page cannot drift from the schema that validates topologies.
References to shared definitions (``$ref``) become links to their own sections.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from ..inputs.project import DNS_LABEL
from ..inputs.schema import enum_meanings, topology_schema
from .markup import Cell, esc, md_text, table

Schema = Mapping[str, Any]
_DEF_PREFIX = "#/$defs/"
_CONSTRAINTS = (
    ("minLength", "at least", "character", "characters"),
    ("maxLength", "at most", "character", "characters"),
    ("minimum", "at least", "", ""),
    ("maximum", "at most", "", ""),
    ("minItems", "at least", "item", "items"),
    ("maxItems", "at most", "item", "items"),
    ("minProperties", "at least", "entry", "entries"),
    ("maxProperties", "at most", "entry", "entries"),
)


def _anchor(definition: str) -> str:
    return f"def-{definition.lower()}"


def _link(ref: str) -> str:
    name = ref.removeprefix(_DEF_PREFIX)
    return f'<a href="#{_anchor(name)}"><code>{esc(name)}</code></a>'


def type_of(node: Schema) -> str:
    """The kind of value a field holds, as HTML (``list of string``, ``map: name → ...``)."""
    if "$ref" in node:
        return _link(str(node["$ref"]))
    choices = node.get("oneOf") or node.get("anyOf")
    if choices and all(set(c) == {"format"} for c in choices):
        return esc(f"{node.get('type', 'string')} (" + " or ".join(
            str(c["format"]) for c in choices) + " address)")
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        return "list of " + (type_of(items) if items else "anything")
    if kind == "object" or "additionalProperties" in node or "properties" in node:
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            key = node.get("propertyNames", {}).get("description", "name")
            return f"map: {esc(_key_word(key))} \u2192 {type_of(extra)}"
        return "mapping"
    if choices:
        return " or ".join(type_of(c) for c in choices)
    if isinstance(kind, list):
        return esc(" or ".join(str(k) for k in kind))
    return esc(str(kind)) if kind else "any"


def _key_word(description: str) -> str:
    """``A cluster name.`` -> ``cluster name``: the key of a map, in a few words."""
    words = description.rstrip(".").split()
    if words and words[0].lower() in ("a", "an", "the"):
        words = words[1:]
    return " ".join(words) or "name"


def constraints(node: Schema) -> str:
    parts: list[str] = []
    if "enum" in node:
        meanings = enum_meanings(node)
        parts.append("one of " + ", ".join(
            f"<code>{esc(v)}</code>" + (f" ({esc(meanings[str(v)])})" if str(v) in meanings
                                        else "") for v in node["enum"]))
    if "const" in node:
        parts.append(f"exactly <code>{esc(json.dumps(node['const']))}</code>")
    if node.get("pattern") == DNS_LABEL:
        parts.append("a DNS label (lower-case letters, digits and '-')")
    elif "pattern" in node:
        parts.append(f"matches <code>{esc(node['pattern'])}</code>")
    if "format" in node:
        parts.append(f"format {esc(node['format'])}")
    for keyword, bound, one, many in _CONSTRAINTS:
        if keyword in node:
            count = node[keyword]
            unit = one if count == 1 else many
            parts.append(esc(f"{bound} {count} {unit}".rstrip()))
    if node.get("uniqueItems"):
        parts.append("no item twice")
    names = node.get("propertyNames", {})
    if names.get("pattern") == DNS_LABEL:
        parts.append("keys are DNS labels")
    elif "pattern" in names:
        parts.append(f"keys match <code>{esc(names['pattern'])}</code>")
    return "; ".join(parts)


def _about(node: Schema) -> str:
    parts = [esc(node.get("description", ""))] if node.get("description") else []
    allowed = constraints(node)
    if allowed:
        parts.append(f"<em>Allowed:</em> {allowed}")
    if "x-meshgen-hint" in node:
        parts.append(f"<em>Hint:</em> {esc(node['x-meshgen-hint'])}")
    examples = node.get("examples")
    if examples:
        shown = ", ".join(f"<code>{esc(json.dumps(e))}</code>" for e in examples[:2])
        parts.append(f"Example: {shown}")
    return "<br>".join(parts)


def _summary(node: Schema, path: str, required: bool) -> Cell:
    """The field's path, then its type, whether it is required and its default."""
    parts = [f"<code>{esc(path)}</code>" if path else "", type_of(node)]
    if required:
        parts.append("<strong>required</strong>")
    if "default" in node:
        parts.append(f"default <code>{esc(json.dumps(node['default']))}</code>")
    return Cell("<br>".join(p for p in parts if p))


def field_rows(node: Schema, path: str, required: bool = False) -> Iterator[list[Cell | str]]:
    """A row for ``node`` (unless it is the start) and for every field nested in it."""
    if path:
        yield [_summary(node, path, required), Cell(_about(node))]
    yield from _nested(node, path)


def forms(node: object) -> list[tuple[str, Schema]]:
    """The forms an entry takes when the schema tells them apart by ``if``/``then``/``else``
    (a VPN link, a full mesh, hubs and spokes): each shared definition's name and schema."""
    if not isinstance(node, Mapping):
        return []
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix(_DEF_PREFIX)
        return [(name, topology_schema()["$defs"][name])]
    if "if" not in node:
        return []
    found = dict([*forms(node.get("then")), *forms(node.get("else"))])
    return list(found.items())


def _nested(node: Schema, path: str) -> Iterator[list[Cell | str]]:
    if "$ref" in node:
        return
    needed = set(node.get("required", ()))
    for key, child in node.get("properties", {}).items():
        yield from field_rows(child, f"{path}.{key}" if path else key, key in needed)
    items = node.get("items")
    for _, form in forms(items):
        yield from _nested(form, f"{path}[]")
    if isinstance(items, Mapping) and "$ref" not in items:
        yield from _nested(items, f"{path}[]")
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and "properties" in extra:
        key = _key_word(node.get("propertyNames", {}).get("description", "name"))
        yield from _nested(extra, f"{path}.<{key.replace(' ', '-')}>")
    for choice in node.get("oneOf", ()):
        if "properties" in choice:
            yield from _nested(choice, path)


HEADERS = ("Field", "Description")


def _section(title: str, anchor: str, node: Schema, path: str) -> str:
    items = node.get("items", {})
    if forms(items):
        return _forms_section(title, anchor, node, path)
    rows = list(_nested(node, path))
    text = f"## {md_text(title)} {{#{anchor}}}\n\n"
    if node.get("description"):
        text += md_text(node["description"]) + "\n\n"
    if "x-meshgen-hint" in node and "items" not in node:
        text += f"*Hint:* {md_text(node['x-meshgen-hint'])}\n\n"
    items = node.get("items", {})
    if isinstance(items, Mapping) and items.get("description"):
        text += f"Each entry: {md_text(items['description'])}\n\n"
        if "x-meshgen-hint" in items:
            text += f"*Hint:* {md_text(items['x-meshgen-hint'])}\n\n"
    choices = node.get("oneOf", ())
    if choices and not any("properties" in c for c in choices):
        text += "One of:\n\n" + "".join(
            f"- {type_of(c)}" + (f": {md_text(c['description'])}" if c.get("description") else "")
            + "\n" for c in choices) + "\n"
    if rows:
        text += table(HEADERS, rows, "meshgen-schema") + "\n"
    return text


def _forms_section(title: str, anchor: str, node: Schema, path: str) -> str:
    """A list whose entries take one of several forms: each form under a heading of its own
    (the shared definition's anchor), with its fields."""
    items: Schema = node["items"]
    text = f"## {md_text(title)} {{#{anchor}}}\n\n"
    if node.get("description"):
        text += md_text(node["description"]) + "\n\n"
    if items.get("description"):
        text += f"Each entry: {md_text(items['description'])}\n\n"
    found = forms(items)
    text += "".join(f"- {_link(_DEF_PREFIX + name)}: {md_text(form.get('description', ''))}\n"
                    for name, form in found) + "\n"
    for name, form in found:
        text += (f"### {md_text(name)} {{#{_anchor(name)}}}\n\n"
                 + table(HEADERS, list(_nested(form, f"{path}[]")), "meshgen-schema") + "\n")
    return text


def schema_page() -> str:
    schema = topology_schema()
    needed = set(schema.get("required", ()))
    top = schema.get("properties", {})
    out = [
        "# Topology file reference\n\n",
        "Every field of a topology file, generated from `schemas/topology.schema.json` "
        "(also printed by `meshgen schema`). Editors that read the "
        "`# yaml-language-server: $schema=...` line complete and check these fields as you "
        "type.\n\n",
        md_text(schema.get("description", "")) + "\n\n",
        "## Top level {#top-level}\n\n",
        table(HEADERS, [row for key, child in top.items()
                        for row in islice(field_rows(child, key, key in needed), 1)],
              "meshgen-schema"),
        "\n",
    ]
    for key, child in top.items():
        if any(True for _ in _nested(child, key)):
            out.append(_section(f"{key}", f"field-{key.lower()}", child, key))
    in_place = {name for child in top.values() for name, _ in forms(child.get("items"))}
    definitions = {name: node for name, node in schema.get("$defs", {}).items()
                   if name not in in_place}
    if definitions:
        out.append("## Shared definitions {#definitions}\n\n"
                   "Parts of the schema used in more than one place.\n\n")
        for name, node in definitions.items():
            section = _section(name, _anchor(name), node, "")
            # Definitions sit one level below the section heading.
            out.append("#" + section)
            if not any(True for _ in _nested(node, "")):
                out.append(table(("Value", "Description"),
                                 [[_summary(node, "", False), Cell(_about(node))]],
                                 "meshgen-schema") + "\n")
    return "".join(out)
