"""What the strongSwan chart's config map makes of a values file, for comparison.

The chart (iks-charts/strongswan 2.10.7) merges the values file over its defaults and writes
ipsec.conf one setting a line: ``config setup``, ``conn %default`` with the lifetimes,
proposals and fixed choices, then ``conn k8s-conn`` with both ends. This module does the same
from the generated values.yaml and the chart's own default values, read in place, so a test
can tell whether the generated ipsec.conf is what the VPN pod would run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Sections = list[tuple[str, list[tuple[str, str]]]]


def merge(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of a values file over the chart's defaults (maps merge, the rest replaces)."""
    merged = dict(defaults)
    for key, value in values.items():
        base = merged.get(key)
        if isinstance(value, Mapping) and isinstance(base, Mapping):
            merged[key] = merge(base, value)
        else:
            merged[key] = value
    return merged


def _listed(value: Any) -> str:
    return str(value).replace("\n", ",").replace(" ", "")


def chart_sections(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> Sections:
    v = merge(defaults, values)
    ipsec, local, remote = v["ipsec"], v["local"], v["remote"]
    if v.get("overRideIpsecConf") or v.get("zoneLoadBalancer"):
        raise ValueError("values take a branch of the chart this comparison does not cover")
    close = ipsec["closeaction"]
    if close == "auto":
        close = "restart" if ipsec["auto"] == "start" else "none"
    default: list[tuple[str, str]] = [
        ("ikelifetime", str(ipsec["ikelifetime"])),
        ("lifetime", str(ipsec["lifetime"])),
        ("margintime", str(ipsec["margintime"])),
        ("keyingtries", str(ipsec["keyingtries"])),
        ("keyexchange", str(ipsec["keyexchange"])),
        ("authby", "psk"),
        ("mobike", "no"),
        ("closeaction", close),
        ("dpdaction", str(ipsec["dpdaction"])),
    ]
    if ipsec.get("esp"):
        default.append(("esp", _listed(ipsec["esp"])))
    if ipsec.get("ike"):
        default.append(("ike", _listed(ipsec["ike"])))
    default += [("type", "tunnel"), ("forceencaps", "yes")]
    if ipsec.get("additionalOptions"):
        for line in str(ipsec["additionalOptions"]).splitlines():
            key, _, value = line.strip().partition("=")
            default.append((key, value))
    connection = [
        ("auto", str(ipsec["auto"])),
        ("left", "%any"),
        ("leftsubnet", _listed(local["subnet"])),
        ("leftallowany", "yes"),
        ("leftid", str(local["id"])),
        ("right", str(remote["gateway"])),
        ("rightsubnet", _listed(remote["subnet"])),
        ("rightid", str(remote["id"])),
        ("rightallowany", "yes"),
    ]
    return [("config setup", [("uniqueids", "yes")]), ("conn %default", default),
            ("conn k8s-conn", connection)]


def parse_ipsec_conf(text: str) -> Sections:
    """Sections of an ipsec.conf and their settings, in order; comments left out."""
    sections: Sections = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line[0].isspace():
            sections.append((" ".join(line.split()), []))
        else:
            key, _, value = line.strip().partition("=")
            sections[-1][1].append((key.strip(), value.strip()))
    return sections
