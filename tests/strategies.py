"""Hypothesis strategies: valid topologies (as plain data) and mutations of topology files.

:func:`topologies` draws topologies that satisfy every rule by construction: disjoint canonical
ranges, public gateways outside them, one primary (primary-remote) or several (multi-primary),
each listening address serving one VPN link, and on a flat network a tunnel between every
remote and its primary and between any two clusters whose workloads call each other. Apps are
Bookinfo from the catalog and/or inline apps whose placed workloads always find their callees
somewhere; traffic stages only name versions that run.

:func:`mutants` takes the text of a topology and breaks it: byte flips, deleted or repeated
lines, shifted indentation, renamed and deleted keys, values of the wrong type.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import random
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The default run is quick and reproducible: few examples, derandomized, no example database.
# MESHGEN_LONG_FUZZ=1 runs MESHGEN_FUZZ_EXAMPLES (default 2000) random examples per property
# and keeps failures in Hypothesis' database, so a second run replays them.
LONG_FUZZ = bool(os.environ.get("MESHGEN_LONG_FUZZ"))
_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("meshgen-quick", max_examples=12, derandomize=True, database=None,
                          deadline=None, suppress_health_check=_SLOW_DATA)
settings.register_profile("meshgen-long",
                          max_examples=int(os.environ.get("MESHGEN_FUZZ_EXAMPLES", "2000")),
                          deadline=None, print_blob=True, suppress_health_check=_SLOW_DATA)


def fuzz_settings(quick_examples: int) -> settings:
    """Settings for one property: ``quick_examples`` in the default run; the long run's
    count under MESHGEN_LONG_FUZZ."""
    if LONG_FUZZ:
        return settings(settings.get_profile("meshgen-long"))
    return settings(settings.get_profile("meshgen-quick"), max_examples=quick_examples)

Data = dict[str, Any]

# /16 blocks of the private ranges; each range is drawn inside its own block, so no two overlap.
SLOTS: tuple[int, ...] = tuple(
    [int(ipaddress.IPv4Address(f"10.{k}.0.0")) for k in range(256)]
    + [int(ipaddress.IPv4Address(f"172.{k}.0.0")) for k in range(16, 32)]
    + [int(ipaddress.IPv4Address("192.168.0.0"))]
)
# Documentation ranges (TEST-NET-1/2/3): public-looking, never inside a cluster range.
PUBLIC: tuple[str, ...] = tuple(f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113")
                                for host in range(1, 255))
# Extra listening addresses of clusters that listen on more than one link (shared address space).
LISTEN: tuple[str, ...] = tuple(f"100.64.{k // 250}.{k % 250 + 1}" for k in range(1000))

STRONG_IKE = ("aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256",
              "aes256-sha384-ecp384", "chacha20poly1305-prfsha256-x25519",
              "aes256-sha256-modp3072", "aes256gcm16-prfsha384-ecp384,aes128-sha256-modp3072",
              "aes256gcm16-prfsha384-ecp384!")
STRONG_ESP = ("aes256gcm16-ecp384", "aes128gcm16", "aes256-sha256", "chacha20poly1305",
              "aes256gcm16-ecp384,aes128gcm16-ecp256", "aes256-sha512-modp4096!")
WEAK_IKE = ("3des-sha1-modp1024", "aes128-sha1-modp2048")
WEAK_ESP = ("3des-sha1", "aes128-md5")
VERSIONS = ("1.30.3", "1.30", "1.24.2", "1.20", "1.0")
REGEXES = ("^/api/v[0-9]+/", ".*", "[a-z]+", "^/(login|logout)$")

BOOKINFO_WORKLOADS = ("productpage-v1", "details-v1", "ratings-v1", "reviews-v1", "reviews-v2",
                      "reviews-v3")
BOOKINFO_CALLS: dict[str, tuple[str, ...]] = {
    "productpage-v1": ("details", "reviews"),
    "reviews-v2": ("ratings",),
    "reviews-v3": ("ratings",),
}
BOOKINFO_SERVICES = ("details", "ratings", "reviews", "productpage")

# Free text as people type it: letters of any script, digits, punctuation, symbols, spaces.
TEXT = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), max_size=40)


def dns_labels(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.from_regex(rf"[a-z]([-a-z0-9]{{0,{max_size - 2}}}[a-z0-9])?", fullmatch=True)


def contexts() -> st.SearchStrategy[str]:
    """kubectl context names: anything the schema allows, shell metacharacters included."""
    allowed = "".join(chr(c) for c in range(33, 127) if chr(c) not in "'\"`$\\")
    return st.text(st.sampled_from(allowed), min_size=1, max_size=24)


def _range_in_slot(draw: st.DrawFn, slot: int, shortest: int, longest: int) -> str:
    prefix = draw(st.integers(shortest, longest))
    offset = draw(st.integers(0, 2 ** (prefix - 16) - 1)) << (32 - prefix)
    return str(ipaddress.IPv4Network((slot + offset, prefix)))


def _duration(seconds: int, draw: st.DrawFn) -> str:
    """``seconds`` written in one of the units the chart accepts (exactly, no rounding)."""
    units = [("", 1), ("s", 1)] + [(u, f) for u, f in (("m", 60), ("h", 3600))
                                  if seconds % f == 0]
    unit, factor = draw(st.sampled_from(units))
    return f"{seconds // factor}{unit}"


@st.composite
def clusters_part(draw: st.DrawFn, count: int, legacy: bool
                  ) -> tuple[list[Data], str, str, list[str]]:
    """Clusters, the mesh model and network mode, and the names of the primaries."""
    names = draw(st.lists(dns_labels(), min_size=count, max_size=count, unique=True))
    model = "primary-remote" if legacy else draw(st.sampled_from(["primary-remote",
                                                                  "multi-primary"]))
    network = "flat" if legacy else draw(st.sampled_from(["flat", "per-cluster"]))
    primary_count = 1 if model == "primary-remote" else draw(st.integers(2, count))
    primary_at = draw(st.sets(st.integers(0, count - 1), min_size=primary_count,
                              max_size=primary_count))
    primaries = [names[i] for i in sorted(primary_at)]
    slots = draw(st.lists(st.sampled_from(SLOTS), min_size=2 * count, max_size=2 * count,
                          unique=True))
    addresses = draw(st.lists(st.sampled_from(PUBLIC), min_size=2 * count, max_size=2 * count,
                              unique=True))
    shared_network = draw(st.none() | dns_labels()) if network == "flat" else None
    clusters = []
    for i, name in enumerate(names):
        role = "primary" if i in primary_at else "remote"
        cluster: Data = {"name": name}
        if draw(st.booleans()):
            cluster["description"] = draw(TEXT)
        cluster["provider"] = draw(st.sampled_from(["icp", "iks", "generic"]))
        if draw(st.booleans()):
            cluster["context"] = draw(contexts())
        cluster["role"] = role
        if role == "remote" and (model == "multi-primary" or draw(st.booleans())):
            cluster["primary"] = draw(st.sampled_from(primaries))
        cluster["podCIDR"] = _range_in_slot(draw, slots[2 * i], 16, 22)
        cluster["serviceCIDR"] = _range_in_slot(draw, slots[2 * i + 1], 16, 26)
        cluster["vpnGateway"] = addresses[2 * i]
        if shared_network is not None:
            cluster["network"] = shared_network
        elif network == "per-cluster" and draw(st.booleans()):
            cluster["network"] = f"{name}-net"  # never equal to a default '<other>-network'
        if not legacy and draw(st.booleans()):
            cluster["eastWestGatewayIP"] = addresses[2 * i + 1]
        clusters.append(cluster)
    return clusters, model, network, primaries


@st.composite
def bookinfo_app(draw: st.DrawFn, clusters: list[str], primaries: list[str]) -> Data:
    """Bookinfo with a random set of workloads that is closed under its calls."""
    chosen = set(draw(st.sets(st.sampled_from(BOOKINFO_WORKLOADS), min_size=1)))
    if "productpage-v1" in chosen:
        chosen.add("details-v1")
        if not chosen & {"reviews-v1", "reviews-v2", "reviews-v3"}:
            chosen.add(draw(st.sampled_from(["reviews-v1", "reviews-v2", "reviews-v3"])))
    if chosen & {"reviews-v2", "reviews-v3"}:
        chosen.add("ratings-v1")
    app: Data = {"name": "bookinfo", "catalog": "bookinfo"}
    if draw(st.booleans()):
        app["namespace"] = draw(st.sampled_from(["default", "bookinfo"]) | dns_labels())
    if "productpage-v1" in chosen and draw(st.booleans()):
        app["ingress"] = draw(st.sampled_from(primaries))
    app["placement"] = _placement(draw, [w for w in BOOKINFO_WORKLOADS if w in chosen],
                                  clusters)
    return app


def _placement(draw: st.DrawFn, workloads: list[str], clusters: list[str]
               ) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for workload in workloads:
        for cluster in draw(st.sets(st.sampled_from(clusters), min_size=1, max_size=3)):
            where.setdefault(cluster, []).append(workload)
    return {c: where[c] for c in clusters if c in where}


@st.composite
def inline_app(draw: st.DrawFn, name: str, service_names: list[str], clusters: list[str],
               primaries: list[str]) -> Data:
    services = []
    placed: list[str] = []
    for service in service_names:
        others = [s for s in service_names if s != service]
        ports = draw(st.lists(st.integers(1, 65535), min_size=1, max_size=3, unique=True))
        port_names = draw(st.lists(dns_labels(max_size=15), min_size=len(ports),
                                   max_size=len(ports), unique=True))
        entry: Data = {"name": service,
                       "ports": [{"name": n, "port": p} if j or draw(st.booleans())
                                 else {"port": p}
                                 for j, (n, p) in enumerate(zip(port_names, ports, strict=True))]}
        if draw(st.booleans()):
            entry["ports"][0]["targetPort"] = draw(st.integers(1, 65535))
        if draw(st.booleans()):
            entry["serviceAccount"] = draw(dns_labels())
        if draw(st.booleans()) and others:
            entry["calls"] = draw(st.lists(st.sampled_from(others), unique=True, max_size=2))
        version_names = draw(st.lists(dns_labels(max_size=6), min_size=1, max_size=3,
                                      unique=True))
        versions = []
        for version in version_names:
            v: Data = {"name": version, "image": f"registry.example/{name}/{service}:{version}"}
            if draw(st.booleans()) and others:
                v["calls"] = draw(st.lists(st.sampled_from(others), unique=True, max_size=2))
            if draw(st.booleans()):
                v["replicas"] = draw(st.integers(0, 3))
            if draw(st.booleans()):
                v["env"] = draw(st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}",
                                                              fullmatch=True),
                                                TEXT, max_size=2))
            if draw(st.booleans()):
                v["emptyDirs"] = draw(st.dictionaries(dns_labels(max_size=8),
                                                      st.sampled_from(["/tmp", "/data",
                                                                       "/var/cache/x"]),
                                                      max_size=2))
            versions.append(v)
        entry["versions"] = versions
        services.append(entry)
        # Every service runs somewhere, so every call finds its callee.
        chosen = draw(st.sets(st.sampled_from(version_names), min_size=1))
        placed.extend(f"{service}-{v}" for v in version_names if v in chosen)
    app: Data = {"name": name}
    if draw(st.booleans()):
        app["description"] = draw(TEXT)
    app["services"] = services
    if draw(st.booleans()):
        app["namespace"] = draw(dns_labels())
    if draw(st.booleans()):
        target = draw(st.sampled_from(services))
        entry_point: Data = {"service": target["name"]}
        if draw(st.booleans()):
            entry_point["port"] = draw(st.sampled_from([p["port"] for p in target["ports"]]))
        entry_point["uris"] = draw(st.lists(string_matches(), min_size=1, max_size=3))
        app["entry"] = entry_point
        if draw(st.booleans()):
            app["ingress"] = draw(st.sampled_from(primaries))
    app["placement"] = _placement(draw, placed, clusters)
    return app


def string_matches() -> st.SearchStrategy[Data]:
    return st.one_of(
        st.builds(lambda v: {"exact": v}, TEXT),
        st.builds(lambda v: {"prefix": "/" + v}, TEXT),
        st.builds(lambda v: {"regex": v}, st.sampled_from(REGEXES)),
    )


@st.composite
def destinations(draw: st.DrawFn, versions: list[str]) -> Any:
    if len(versions) == 1 or draw(st.booleans()):
        return draw(st.sampled_from(versions))
    chosen = draw(st.lists(st.sampled_from(versions), min_size=1, unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(chosen) - 1,
                                max_size=len(chosen) - 1)))
    bounds = [0, *cuts, 100]
    return {v: bounds[k + 1] - bounds[k] for k, v in enumerate(chosen)}


@st.composite
def stages(draw: st.DrawFn, deployed: dict[str, list[str]]) -> list[Data]:
    if not deployed:
        return []
    names = draw(st.lists(dns_labels(), max_size=3, unique=True))
    out = []
    for name in names:
        services = draw(st.lists(st.sampled_from(sorted(deployed)), min_size=1, unique=True))
        routes: Data = {}
        for service in services:
            versions = deployed[service]
            if draw(st.booleans()):
                routes[service] = draw(destinations(versions))
                continue
            rules = []
            for _ in range(draw(st.integers(0, 2))):
                match: Data = {}
                if draw(st.booleans()):
                    match["headers"] = draw(st.dictionaries(
                        st.from_regex(r"[a-z0-9][-a-z0-9_.]{0,12}", fullmatch=True),
                        string_matches(), min_size=1, max_size=2))
                if not match or draw(st.booleans()):
                    match["uri"] = draw(string_matches())
                rules.append({"match": match, "to": draw(destinations(versions))})
            rules.append({"to": draw(destinations(versions))})
            routes[service] = rules
        stage: Data = {"name": name}
        if draw(st.booleans()):
            stage["description"] = draw(TEXT)
        stage["routes"] = routes
        out.append(stage)
    return out


def _deployed_versions(apps: list[Data]) -> dict[str, list[str]]:
    placed = {w for app in apps for ws in app["placement"].values() for w in ws}
    out: dict[str, list[str]] = {}
    for app in apps:
        if app.get("catalog") == "bookinfo":
            for workload in BOOKINFO_WORKLOADS:
                service, version = workload.rsplit("-", 1)
                if workload in placed:
                    out.setdefault(service, []).append(version)
        else:
            for svc in app["services"]:
                for v in svc["versions"]:
                    if f"{svc['name']}-{v['name']}" in placed:
                        out.setdefault(svc["name"], []).append(v["name"])
    return out


def _spanning_tree(clusters: list[Data], primaries: list[str]) -> list[tuple[str, str]]:
    """(parent, child) edges joining every cluster: the primaries in a chain, each remote
    under its primary. Parents start the tunnels, so each cluster listens on one link at most
    (its parent's) and the first primary on none."""
    edges = list(itertools.pairwise(primaries))
    edges += [(str(c.get("primary", primaries[0])), str(c["name"])) for c in clusters
              if c["role"] == "remote"]
    return edges


def _orient(pairs: list[tuple[str, str]], listening: set[str]
            ) -> list[tuple[tuple[str, str], bool]]:
    """(initiator, responder) for each pair, and whether the responder already listens on its
    vpnGateway (then the link needs a listenAddress of its own)."""
    out = []
    for a, b in pairs:
        for initiator, responder in ((a, b), (b, a)):
            if responder not in listening:
                listening.add(responder)
                out.append(((initiator, responder), False))
                break
        else:
            out.append(((a, b), True))
    return out


@st.composite
def vpn_link(draw: st.DrawFn, ends: tuple[str, str], index: int,
             listen_address: str | None = None) -> Data:
    """A link that ``ends[0]`` starts and ``ends[1]`` listens for."""
    initiator = ends[0]
    between = draw(st.permutations(ends))
    link: Data = {"between": between}
    if between[0] != initiator or draw(st.booleans()):
        link["initiator"] = initiator
    if listen_address is not None:
        link["listenAddress"] = listen_address
    if draw(st.booleans()):
        link["keyExchange"] = "ikev2"
    weak = draw(st.integers(0, 9)) == 0
    if weak:
        link["ike"] = draw(st.sampled_from(WEAK_IKE))
        link["esp"] = draw(st.sampled_from(WEAK_ESP))
        link["allowWeakCrypto"] = True
    else:
        if draw(st.booleans()):
            link["ike"] = draw(st.sampled_from(STRONG_IKE))
        if draw(st.booleans()):
            link["esp"] = draw(st.sampled_from(STRONG_ESP))
    if draw(st.booleans()):
        margin = draw(st.sampled_from([60, 300, 540, 600]))
        link["marginTime"] = _duration(margin, draw)
        link["lifetime"] = _duration(margin + draw(st.sampled_from([60, 600, 3000])), draw)
        link["ikeLifetime"] = _duration(margin + draw(st.sampled_from([3600, 10200])), draw)
    if draw(st.booleans()):
        link["dpd"] = {"action": draw(st.sampled_from(["restart", "clear", "hold", "none"])),
                       "delay": _duration(draw(st.sampled_from([10, 30, 60])), draw)}
    if draw(st.booleans()):
        link["closeAction"] = draw(st.sampled_from(["auto", "none", "clear", "hold",
                                                    "restart"]))
    a, b = between
    if draw(st.booleans()):
        link["psk"] = {"env": f"PSK_{index}_{a.upper().replace('-', '_')}"}
    else:
        link["psk"] = {"file": draw(st.sampled_from([f"secrets/{a}-{b}.psk",
                                                     f"~/.secrets/{a}-{b}.psk",
                                                     f"/etc/meshgen/{a}-{b}.psk"]))}
    return link


@st.composite
def topologies(draw: st.DrawFn, min_clusters: int = 2, max_clusters: int = 20) -> Data:
    """A valid topology, as the data a topology file holds.

    On a flat network pods talk over the tunnels, and each cluster can listen on one tunnel
    only; so the clusters are joined by a spanning tree, and each app lives on one cluster or
    on the two ends of one tree edge. On per-cluster networks apps go anywhere.
    """
    count = draw(st.integers(min_clusters, max_clusters))
    version = draw(st.sampled_from(VERSIONS))
    legacy = version == "1.0"
    clusters, model, network, primaries = draw(clusters_part(count, legacy))
    names = [c["name"] for c in clusters]
    topology: Data = {"apiVersion": "meshgen/v1", "name": draw(dns_labels(max_size=30))}
    if draw(st.booleans()):
        topology["description"] = draw(TEXT)
    istio: Data = {"version": version}
    if draw(st.booleans()):
        istio["meshID"] = draw(dns_labels())
    istio["model"] = model
    istio["network"] = network
    if draw(st.booleans()):
        istio["mtls"] = draw(st.sampled_from(["strict", "permissive"]))
    topology["istio"] = istio
    topology["clusters"] = clusters

    tree = _spanning_tree(clusters, primaries) if network == "flat" else []
    roles = {c["name"]: c for c in clusters}

    def home() -> tuple[list[str], list[str]]:
        """Clusters an app may run in, and primaries that may hold its ingress."""
        if network != "flat":
            return names, primaries
        if draw(st.booleans()) and tree:
            where = list(draw(st.sampled_from(tree)))
        else:
            where = [draw(st.sampled_from(names))]
        gateways = [c for c in where if roles[c]["role"] == "primary"]
        if not gateways:  # a lone remote: its primary is one tunnel away
            gateways = [parent for parent, child in tree if child == where[0]]
        return where, gateways

    apps: list[Data] = []
    if draw(st.booleans()):
        apps.append(draw(bookinfo_app(*home())))
    inline_count = draw(st.integers(0 if apps else 1, 2))
    app_names = draw(st.lists(dns_labels().filter(lambda n: n != "bookinfo"),
                              min_size=inline_count, max_size=inline_count, unique=True))
    service_names = draw(st.lists(dns_labels(max_size=10).filter(
        lambda n: n not in BOOKINFO_SERVICES), min_size=3 * inline_count,
        max_size=3 * inline_count, unique=True))
    for k, app_name in enumerate(app_names):
        size = draw(st.integers(1, 3))
        apps.append(draw(inline_app(app_name, service_names[3 * k:3 * k + size], *home())))

    listening = {child for _, child in tree}
    extra = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)),
                          max_size=3))
    known = {frozenset(edge) for edge in tree}
    wanted = []
    for pair in extra:
        if pair[0] != pair[1] and frozenset(pair) not in known:
            known.add(frozenset(pair))
            wanted.append(pair)
    links = [(edge, False) for edge in tree] + _orient(wanted, listening)
    links = draw(st.permutations(links))
    topology["vpn"] = [
        draw(vpn_link(ends, i, LISTEN[i] if own_address else None))
        for i, (ends, own_address) in enumerate(links)
    ]
    topology["apps"] = apps
    topology["traffic"] = draw(stages(_deployed_versions(apps)))
    return topology


def to_yaml(data: Data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


# --- mutations ------------------------------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = (
    None, True, "yes", 0, -1, 2**70, 1.5, float("inf"), "", "x" * 300, [], [1, "a"], {},
    {"env": "X"}, {"a": {"b": {"c": [None]}}}, "10.0.0.0/8", "../../etc", "203.0.113.9",
)
SYNTAX_BYTES = b":-[]{}&*!|>'\"%@`#,?\t\n\r\x00\xff\xfe\xc3 "


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _typo(key: str, rng: random.Random) -> str:
    if not key:
        return "x"
    i = rng.randrange(len(key))
    choice = rng.randrange(4)
    if choice == 0:
        return key[:i] + key[i + 1:] or "k"
    if choice == 1:
        return key[:i] + rng.choice("abcxyz_-") + key[i:]
    if choice == 2:
        return key.swapcase()
    return key + "s"


def mutate_data(data: Any, rng: random.Random) -> Any:
    """Rename, delete or retype one field, or repeat a list item (in place; returns data)."""
    paths = [p for p in _paths(data) if p]
    if not paths:
        return data
    path = rng.choice(paths)
    parent = _parent(data, path)
    last = path[-1]
    action = rng.randrange(4)
    if action == 0 and isinstance(parent, dict):
        parent[_typo(str(last), rng)] = parent.pop(last)
    elif action == 1:
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    elif action == 2 and isinstance(parent, list):
        parent.insert(last, parent[last])
    else:
        parent[last] = rng.choice(WRONG_VALUES)
    return data


def mutate_text(raw: bytes, rng: random.Random) -> bytes:
    """One byte- or line-level change."""
    if not raw:
        return bytes([rng.choice(SYNTAX_BYTES)])
    lines = raw.split(b"\n")
    action = rng.randrange(6)
    if action == 0:
        i = rng.randrange(len(raw))
        return raw[:i] + bytes([raw[i] ^ rng.randrange(1, 256)]) + raw[i + 1:]
    if action == 1:
        del lines[rng.randrange(len(lines))]
    elif action == 2:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif action == 3:
        i = rng.randrange(len(lines))
        lines[i] = lines[i][2:] if lines[i].startswith(b"  ") and rng.random() < 0.5 else (
            b"  " + lines[i])
    elif action == 4:
        i = rng.randrange(len(raw) + 1)
        return raw[:i] + bytes([rng.choice(SYNTAX_BYTES)]) + raw[i:]
    else:
        return raw[:rng.randrange(len(raw))]
    return b"\n".join(lines)


def mutate(text: str, rng: random.Random, changes: int) -> bytes:
    """``changes`` mutations: first of the data (when it reads as YAML), then of the bytes."""
    raw = text.encode("utf-8")
    data_changes = rng.randrange(changes + 1)
    if data_changes:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict):
            for _ in range(data_changes):
                data = mutate_data(data, rng)
            raw = to_yaml(data).encode("utf-8")
    for _ in range(changes - data_changes):
        raw = mutate_text(raw, rng)
    return raw


def mutants(texts: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Broken versions of the drawn topology texts (the random choices are Hypothesis')."""
    make: Callable[[str, random.Random, int], bytes] = mutate
    return st.builds(make, texts, st.randoms(use_true_random=False), st.integers(1, 4))
