"""Link sets, cluster defaults and listen-address pools, and the resolved model (meshgen show).

A topology written with sets and the same topology written link by link (by the simple loops
here, not by meshgen's expansion) build the same output; hypothesis draws set shapes and holds
the expansion to its rules; a problem in one link of a set points at the set and names the link;
``meshgen show`` writes a topology that builds what the original builds.
"""

from __future__ import annotations

import collections
import copy
import ipaddress
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.synthetic import synthetic
from generator.api import build, check_file, render
from generator.catalog import catalogs
from generator.checks.sets import set_keys_distinct
from generator.docs.deferred import fill_now
from generator.docs.sources import collect
from generator.docs.topology_page import topology_page
from generator.errors import Member
from generator.inputs.schema import topology_schema, validate_structure
from generator.model import Chosen, SetForm, Starts, Topology, build_model
from generator.model.linksets import MAX_LINKS
from generator.model.pools import pool_addresses
from tests.helpers import TOPOLOGIES, run_cli, topology_of
from tests.strategies import fuzz_settings

Data = dict[str, Any]


# --- topologies written both ways -------------------------------------------------------------


def clusters(names: list[str], primaries: int = 1, pool: int = 0) -> list[Data]:
    """Clusters with disjoint ranges and gateways; the first ``primaries`` are primaries, each
    remote driven by one in turn; ``pool``: a listenPool of that many addresses each."""
    out = []
    for i, name in enumerate(names):
        entry: Data = {"name": name, "role": "primary" if i < primaries else "remote",
                       "podCIDR": f"10.{i}.0.0/16", "serviceCIDR": f"172.16.{i}.0/24",
                       "vpnGateway": f"100.64.0.{i + 1}"}
        if i >= primaries and primaries > 1:
            entry["primary"] = names[i % primaries]
        if pool:
            entry["listenPool"] = [f"100.65.{i}.{k + 1}" for k in range(pool)]
        out.append(entry)
    return out


def topology(names: list[str], vpn: list[Data], primaries: int = 1, pool: int = 0,
             **more: Any) -> Data:
    data: Data = {"apiVersion": "meshgen/v1", "name": "lab"}
    if primaries > 1:
        data["istio"] = {"model": "multi-primary"}
    data.update(more)
    data["clusters"] = clusters(names, primaries, pool)
    data["vpn"] = vpn
    return data


def by_hand(data: Data, links: list[tuple[str, str, str | None, Data]]) -> Data:
    """``data`` with its vpn written link by link: (first, second, initiator or None, settings),
    each listening cluster's addresses handed out as the pools promise (its vpnGateway first,
    then its pool in order), and no pool left."""
    out = copy.deepcopy(data)
    pools = {c["name"]: list(c.pop("listenPool", [])) for c in out["clusters"]}
    listening: set[str] = set()
    vpn = []
    for a, b, starts, settings in links:
        link: Data = {"between": [a, b], **settings}
        if starts is not None:
            link["initiator"] = starts
        listener = b if starts in (None, a) else a
        if listener in listening and pools[listener]:
            link["listenAddress"] = pools[listener].pop(0)
        listening.add(listener)
        vpn.append(link)
    out["vpn"] = vpn
    return out


def written(tmp_path: Path, data: Data, folder: str) -> Path:
    path = tmp_path / folder / "topologies" / "lab.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def assert_same_output(tmp_path: Path, short: Data, long: Data) -> None:
    """Both topologies validate, and ``meshgen build`` writes the same files for them: byte for
    byte, but for the digest of the source file that MANIFEST.json records."""
    trees = []
    for folder, data in (("short", short), ("long", long)):
        path = written(tmp_path, data, folder)
        checked = check_file(path, "topologies/lab.yaml")
        assert checked.valid, [p.format() for p in checked.problems]
        build([path], tmp_path / folder / "output")
        trees.append(read_tree(tmp_path / folder / "output" / "lab"))
    assert trees[0].keys() == trees[1].keys()
    differing = [name for name in trees[0] if trees[0][name] != trees[1][name]]
    assert differing == ["MANIFEST.json"]
    manifests = [json.loads(tree["MANIFEST.json"]) for tree in trees]
    assert manifests[0]["topology"]["sha256"] != manifests[1]["topology"]["sha256"]
    for manifest in manifests:
        del manifest["topology"]["sha256"]
    assert manifests[0] == manifests[1]


def read_tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


NAMES = [f"c{i:02d}" for i in range(7)]
Expected = list[tuple[str, str, str | None, Data]]
"""Each link a shape makes: its two clusters, the initiator when it is not the first, and the
fields written for it alone."""
SHAPES: dict[str, tuple[Data, Expected]] = {}


def _shape_full_mesh_first() -> tuple[Data, Expected]:
    psk = {"env": "PSK_<a>_<b>"}
    short = topology(NAMES, [{"fullMesh": "all", "psk": psk}], pool=6)
    links: Expected = [(a, b, None, {"psk": {"env": f"PSK_{a.upper()}_{b.upper()}"}})
                       for a, b in itertools.combinations(NAMES, 2)]
    return short, links


def _shape_balanced_subset_with_override() -> tuple[Data, Expected]:
    members = ["c03", "c00", "c05", "c01", "c06"]
    ike = "aes128gcm16-prfsha256-ecp256"
    override = {"between": ["c05", "c00"], "psk": {"file": "keys/special.psk"}}
    short = topology(NAMES, [
        {"fullMesh": members, "initiator": "balanced", "ike": ike, "lifetime": "2h",
         "psk": {"file": "keys/<a>-<b>.psk"}},
        override,
        {"between": ["c02", "c00"], "psk": {"env": "C02_PSK"}},
        {"between": ["c04", "c00"], "psk": {"env": "C04_PSK"}},
    ], pool=4, clusterDefaults={"provider": "iks", "context": "<name>-admin"})
    for c in short["clusters"]:
        if c["name"] == "c06":
            c["context"] = "ops-six"
    n = len(members)
    links: Expected = []
    for i, j in itertools.combinations(range(n), 2):
        a, b = members[i], members[j]
        if {a, b} == {"c05", "c00"}:
            continue
        starts = a if 2 * (j - i) <= n else b
        links.append((a, b, None if starts == a else starts,
                      {"ike": ike, "lifetime": "2h", "psk": {"file": f"keys/{a}-{b}.psk"}}))
    links += [("c05", "c00", None, {"psk": {"file": "keys/special.psk"}}),
              ("c02", "c00", None, {"psk": {"env": "C02_PSK"}}),
              ("c04", "c00", None, {"psk": {"env": "C04_PSK"}})]
    return short, links


def _shape_two_hubs() -> tuple[Data, Expected]:
    hubs, spokes = ["c00", "c01"], ["c04", "c02", "c06"]
    short = topology(NAMES, [
        {"hubs": hubs, "spokes": spokes, "initiator": "hubs", "esp": "aes256gcm16",
         "psk": {"env": "HUB_<hub>_SPOKE_<spoke>"}},
        {"between": ["c00", "c01"], "psk": {"env": "HUBS_PSK"}},
        {"hubs": ["c00"], "spokes": ["c03", "c05"], "psk": {"env": "SHARED_PSK"}},
    ], pool=3)
    links: Expected = [
        (s, h, h, {"esp": "aes256gcm16", "psk": {"env": f"HUB_{h.upper()}_SPOKE_{s.upper()}"}})
        for s in spokes for h in hubs]
    links.append(("c00", "c01", None, {"psk": {"env": "HUBS_PSK"}}))
    links += [(s, "c00", None, {"psk": {"env": "SHARED_PSK"}}) for s in ("c03", "c05")]
    return short, links


def _shape_remotes_of_their_primaries() -> tuple[Data, Expected]:
    short = topology(NAMES, [
        {"hubs": ["c00", "c01", "c02"], "spokes": "remotes", "psk": {"env": "PSK_<spoke>"}},
        {"fullMesh": ["c00", "c01", "c02"], "initiator": "balanced",
         "psk": {"env": "PRIMARIES_<a>_<b>"}},
    ], primaries=3, pool=4)
    links: Expected = [(s, NAMES[i % 3], None, {"psk": {"env": f"PSK_{s.upper()}"}})
                       for i, s in enumerate(NAMES) if i >= 3]
    links += [("c00", "c01", None, {"psk": {"env": "PRIMARIES_C00_C01"}}),
              ("c00", "c02", "c02", {"psk": {"env": "PRIMARIES_C00_C02"}}),
              ("c01", "c02", None, {"psk": {"env": "PRIMARIES_C01_C02"}})]
    return short, links


SHAPES = {
    "full mesh of all, the first of each pair starts": _shape_full_mesh_first(),
    "part of them, balanced, one link replaced": _shape_balanced_subset_with_override(),
    "two hubs that start, a hub with a shared key": _shape_two_hubs(),
    "each remote to its own primary": _shape_remotes_of_their_primaries(),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_set_builds_what_its_links_written_one_by_one_build(tmp_path: Path,
                                                              shape: str) -> None:
    short, links = SHAPES[shape]
    long = by_hand(short, links)
    for c in long["clusters"]:  # the defaults spelled out too
        for key, value in short.get("clusterDefaults", {}).items():
            c.setdefault(key, value.replace("<name>", c["name"]))
    long.pop("clusterDefaults", None)
    assert_same_output(tmp_path, short, long)


@pytest.mark.parametrize(("count", "primaries", "vpn"), [
    (10, 1, "mesh"), (12, 1, "hub"), (12, 3, "hub"), (9, 2, "mesh")])
def test_the_benchmarks_topologies_build_the_same_with_sets_or_without(
        tmp_path: Path, count: int, primaries: int, vpn: str) -> None:
    with_sets = synthetic(count, primaries, vpn)
    without = synthetic(count, primaries, vpn, sets=False)
    assert any("fullMesh" in e or "hubs" in e for e in with_sets["vpn"])
    assert all("between" in e for e in without["vpn"])
    for data in (with_sets, without):
        data["name"] = "lab"
    assert_same_output(tmp_path, with_sets, without)


def test_the_200_cluster_full_mesh_is_a_short_file() -> None:
    data = synthetic(200, 1, "mesh")
    text = yaml.safe_dump(data, sort_keys=False, width=200)
    assert len(data["vpn"]) == 1
    assert len(text.encode()) < 1024 * 1024  # the loader's limit; link by link it is far over
    t = build_model(data, catalogs())
    assert len(t.vpn) == 200 * 199 // 2 and t.incomplete == frozenset()
    assert len({link.listen_address for link in t.vpn if link.listen_address}) == len(
        [link for link in t.vpn if link.listen_address])


# --- the expansion's rules, for shapes hypothesis draws ----------------------------------------


NAME = st.from_regex(r"[a-z]{1,2}(-[a-z]{1,2})?", fullmatch=True)


@st.composite
def set_shapes(draw: st.DrawFn) -> tuple[Data, Data]:
    """A topology of 2 to 12 clusters (some primaries) and one set over them."""
    names = draw(st.lists(NAME, min_size=2, max_size=12, unique=True))
    primaries = draw(st.integers(1, max(1, len(names) // 3)))
    data = topology(names, [], primaries=primaries)
    if draw(st.booleans()):
        order = draw(st.permutations(names))
        listed = order[:draw(st.integers(2, len(names)))]
        entry: Data = {"fullMesh": draw(st.sampled_from(["all", listed])),
                       "initiator": draw(st.sampled_from(["first", "balanced"])),
                       "psk": {"env": "PSK_<a>_<b>"}}
    else:
        hubs = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        others = [n for n in names if n not in hubs]
        spokes = draw(st.sampled_from(["all", "remotes"])
                      | st.lists(st.sampled_from(others), min_size=1, unique=True)
                      if others else st.just("all"))
        entry = {"hubs": hubs, "spokes": spokes,
                 "initiator": draw(st.sampled_from(["spokes", "hubs"])),
                 "psk": {"file": "keys/<hub>-<spoke>.psk"}}
    data["vpn"] = [entry]
    return data, entry


@fuzz_settings(40)
@given(set_shapes())
def test_a_set_makes_each_pair_once_with_its_rule_and_its_own_key(shape: tuple[Data, Data]
                                                                  ) -> None:
    data, entry = shape
    t = build_model(data, catalogs())
    (s,) = t.link_sets
    links = t.vpn
    pairs = [frozenset(link.between) for link in links]
    assert len(set(pairs)) == len(pairs) and all(len(p) == 2 for p in pairs)
    assert all(link.from_set and link.entry == ("vpn", 0) for link in links)
    assert [link.at[-1] for link in links] == [Member(s.form.value, f"link {link.name}")
                                               for link in links]
    names = [c["name"] for c in data["clusters"]]
    if s.form is SetForm.FULL_MESH:
        members = names if entry["fullMesh"] == "all" else entry["fullMesh"]
        assert s.members == tuple(members)
        assert pairs == [frozenset(p) for p in itertools.combinations(members, 2)]
        place = {m: k for k, m in enumerate(members)}
        assert all(place[link.between[0]] < place[link.between[1]] for link in links)
        started = collections.Counter(link.initiator for link in links)
        if s.starts is Starts.FIRST:
            assert all(link.initiator == link.between[0] for link in links)
        else:
            n = len(members)
            assert {started[m] for m in members} <= {(n - 1) // 2, n // 2}
    else:
        hubs = entry["hubs"]
        t_cluster = {c.name: c for c in t.clusters}
        if entry["spokes"] == "remotes":
            spokes = [n for n in names if n not in hubs and t_cluster[n].primary in hubs
                      and not t_cluster[n].is_primary]
            assert [tuple(link.between) for link in links] == [
                (sp, t_cluster[sp].primary) for sp in spokes]
        else:
            spokes = [n for n in names if n not in hubs] if entry["spokes"] == "all" else (
                entry["spokes"])
            assert [tuple(link.between) for link in links] == [
                (sp, h) for sp in spokes for h in hubs]
        expected = Starts.SPOKES if entry["initiator"] == "spokes" else Starts.HUBS
        assert s.starts is expected
        assert all(link.initiator == link.between[0 if expected is Starts.SPOKES else 1]
                   for link in links)
    assert s.links == len(links) == s.planned
    # Each link names its own key, unless names run together, which is then reported.
    keys = collections.Counter((link.psk.kind, link.psk.name) for link in links)
    clashes = list(set_keys_distinct(t))
    assert bool(clashes) == any(n > 1 for n in keys.values())
    if all("-" not in n for n in names):
        assert not clashes


def test_a_set_of_remotes_links_each_to_its_own_primary_alone() -> None:
    t = build_model(topology(NAMES, [{"hubs": ["c00", "c01"], "spokes": "remotes",
                                       "psk": {"env": "K_<spoke>_<hub>"}}], primaries=2),
                    catalogs())
    assert [link.name for link in t.vpn] == ["c02-c00", "c03-c01", "c04-c00", "c05-c01",
                                             "c06-c00"]
    assert [link.psk.name for link in t.vpn][:2] == ["K_C02_C00", "K_C03_C01"]
    assert t.link_sets[0].chosen is Chosen.REMOTES


def test_a_link_written_on_its_own_wins_and_stays_where_it_is_written() -> None:
    data = topology(NAMES[:4], [
        {"between": ["c03", "c01"], "psk": {"env": "OWN"}, "ike": "aes128gcm16-prfsha256-ecp256"},
        {"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}},
    ], pool=3)
    t = build_model(data, catalogs())
    assert [link.name for link in t.vpn] == ["c03-c01", "c00-c01", "c00-c02", "c00-c03",
                                             "c01-c02", "c02-c03"]
    own = t.vpn[0]
    assert (own.psk.name, own.ike, own.from_set) == ("OWN", "aes128gcm16-prfsha256-ecp256", False)
    (s,) = t.link_sets
    assert (s.planned, s.links, s.replaced) == (6, 5, ("c01-c03",))


# --- cluster defaults and pools ---------------------------------------------------------------


def test_cluster_defaults_fill_what_a_cluster_leaves_out() -> None:
    data = topology(["east", "west"], [{"between": ["west", "east"], "psk": {"env": "K"}}],
                    clusterDefaults={"provider": "iks", "context": "<name>-admin",
                                     "network": "lan"})
    data["clusters"][1].update(provider="icp", context="west-ops")
    t = build_model(data, catalogs())
    east, west = t.clusters
    assert (east.provider, east.context, east.network) == ("iks", "east-admin", "lan")
    assert (west.provider, west.context, west.network) == ("icp", "west-ops", "lan")
    assert east.from_defaults == {"provider", "context", "network"}
    assert west.where("context") == ("clusters", 1, "context")
    assert east.where("context") == ("clusterDefaults", "context")


def test_a_network_pattern_names_each_clusters_network() -> None:
    data = topology(["east", "west"], [], istio={"network": "per-cluster"},
                    clusterDefaults={"network": "<name>-net"})
    assert [c.network for c in build_model(data, catalogs()).clusters] == ["east-net",
                                                                          "west-net"]


@pytest.mark.parametrize(("pool", "addresses"), [
    (["203.0.113.7"], ["203.0.113.7"]),
    (["203.0.113.8/30"], ["203.0.113.9", "203.0.113.10"]),
    (["203.0.113.8/31", "203.0.113.12/32"], ["203.0.113.8", "203.0.113.9", "203.0.113.12"]),
    (["2001:db8::/126"], ["2001:db8::1", "2001:db8::2", "2001:db8::3"]),
    (["2001:db8::8/127"], ["2001:db8::8", "2001:db8::9"]),
])
def test_a_pool_stands_for_its_usable_addresses_in_order(pool: list[str],
                                                         addresses: list[str]) -> None:
    assert [str(a) for a in pool_addresses(pool)] == addresses
    hosts = list(ipaddress.ip_network(pool[0]).hosts())
    if len(pool) == 1 and "/" in pool[0]:
        assert [str(a) for a in hosts] == addresses  # as ipaddress counts usable hosts


def test_pool_addresses_go_in_link_order_skipping_every_address_in_use() -> None:
    names = ["hub", "a", "b", "c", "d"]
    data = topology(names, [
        {"between": ["a", "hub"], "listenAddress": "203.0.113.2", "psk": {"env": "A"}},
        {"hubs": ["hub"], "spokes": ["b", "c", "d"], "psk": {"env": "PSK_<spoke>"}},
    ])
    data["clusters"][0]["listenPool"] = ["203.0.113.0/29"]
    data["clusters"][2]["vpnGateway"] = "203.0.113.3"  # b's gateway is in the hub's pool
    t = build_model(data, catalogs())
    assert [(link.name, link.listen_address) for link in t.vpn] == [
        ("a-hub", "203.0.113.2"), ("b-hub", None), ("c-hub", "203.0.113.1"),
        ("d-hub", "203.0.113.4")]
    assert t.vpn[2].listen_at == ("clusters", 0, "listenPool")
    assert t.unaddressed == frozenset()


def test_clusters_share_a_pool_written_once() -> None:
    data = topology(NAMES[:5], [{"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}}],
                    clusterDefaults={"listenPool": ["198.51.100.0/28"]})
    t = build_model(data, catalogs())
    given = [link.listen_address for link in t.vpn if link.listen_address]
    assert given == [f"198.51.100.{k}" for k in range(1, 7)]
    assert {link.listen_at for link in t.vpn if link.listen_address} == {
        ("clusterDefaults", "listenPool")}


# --- what is reported, and where ---------------------------------------------------------------


def problems_of(tmp_path: Path, data: Data) -> list[str]:
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return [p.format().splitlines()[0] for p in check_file(path, "lab.yaml").problems]


def test_a_problem_in_one_link_points_at_the_set_and_names_the_link(tmp_path: Path) -> None:
    names = [f"c{i:03d}" for i in range(50)]
    data = topology(names, [
        {"between": ["c000", "c001"], "psk": {"env": "ONE"}},
        {"between": ["c000", "c002"], "psk": {"env": "TWO"}},
        {"fullMesh": "all", "initiator": "balanced", "psk": {"env": "PSK_<a>_<b>"}},
    ], istio={"network": "per-cluster"},
        clusterDefaults={"listenPool": ["198.18.0.0/20"]})
    data["clusters"][42]["podCIDR"] = data["clusters"][7]["podCIDR"]
    text = yaml.safe_dump(data, sort_keys=False)
    line = text.splitlines().index("- fullMesh: all") + 1
    assert problems_of(tmp_path, data) == [
        f"lab.yaml:{line}:3: error[link-subnet-overlap]: vpn[2] (full mesh), link c007-c042: "
        "c042.podCIDR (10.7.0.0/16) overlaps c007.podCIDR (10.7.0.0/16) across this tunnel"]


def test_a_problem_every_link_of_a_set_shares_is_reported_once(tmp_path: Path) -> None:
    data = topology(NAMES, [{"fullMesh": "all", "ike": "3des-sha1-modp1024",
                             "psk": {"env": "PSK_<a>_<b>"}}], pool=6)
    del data["clusters"][3]["vpnGateway"]
    found = problems_of(tmp_path, data)
    assert len(found) == 2, found
    assert found[0].endswith(
        "error[gateway-missing]: vpn[0]: cluster 'c03' is an end of a VPN link but has no "
        "vpnGateway (6 links of this full mesh: c00-c03, c01-c03, c02-c03 and 3 more)")
    assert found[1].endswith("error[weak-crypto]: vpn[0].ike: ike proposal uses weak "
                             "algorithms: 3DES, MODP-1024, SHA-1 (21 links of this full mesh: "
                             "c00-c01, c00-c02, c00-c03 and 18 more)")


def test_two_sets_that_make_one_link_are_reported_and_a_link_alone_is_not(
        tmp_path: Path) -> None:
    data = topology(NAMES[:4], [
        {"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}},
        {"between": ["c01", "c00"], "psk": {"env": "MINE"}},
        {"hubs": ["c00"], "spokes": "all", "initiator": "hubs", "psk": {"env": "H_<spoke>"}},
    ], pool=4)
    assert [p.split(": ", 1)[1] for p in problems_of(tmp_path, data)] == [
        "error[duplicate-link]: vpn[2]: this link is already made by the full mesh at vpn[0] "
        "(2 links of this hub and spoke: c02-c00, c03-c00)"]


def test_a_set_without_pools_says_which_cluster_needs_addresses(tmp_path: Path) -> None:
    data = topology(NAMES[:4], [{"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}}])
    found = problems_of(tmp_path, data)
    assert [p.split("]: ", 1)[1] for p in found] == [
        "vpn[0] (full mesh), link c01-c02: 'c02' listens on 100.64.0.3 for more than one "
        "link; each listening chart release claims its address and UDP ports 500 and 4500",
        "vpn[0]: 'c03' listens on 100.64.0.4 for more than one link; each listening chart "
        "release claims its address and UDP ports 500 and 4500 (2 links of this full mesh: "
        "c01-c03, c02-c03)"]


def test_too_many_links_are_refused_before_any_is_made(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    import generator.model.linksets as linksets

    monkeypatch.setattr(linksets, "MAX_LINKS", 20)
    data = topology(NAMES, [{"between": ["c01", "c00"], "psk": {"env": "K"}},
                            {"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}},
                            {"hubs": ["c00"], "spokes": "all", "psk": {"env": "H_<spoke>"}}],
                    pool=6)
    t = build_model(data, catalogs())
    assert [s.expanded for s in t.link_sets] == [False, False]
    assert [link.name for link in t.vpn] == ["c01-c00"] and "vpn" in t.incomplete
    (found,) = problems_of(tmp_path, data)
    assert "error[limit-links]: vpn[1].fullMesh: this full mesh stands for 21 links, which " \
           "takes the topology to 22; the limit is 20" in found
    assert MAX_LINKS >= 200 * 199 // 2  # the benchmarks' 200-cluster mesh fits


# --- the schema describes the new forms ------------------------------------------------------


def test_a_set_shares_the_links_settings_as_the_schema_writes_them() -> None:
    defs = topology_schema()["$defs"]
    link = defs["vpnLink"]["properties"]
    for form in ("fullMesh", "hubAndSpoke"):
        props = defs[form]["properties"]
        shared = set(props) & set(link)
        assert shared >= {"ike", "esp", "keyExchange", "lifetime", "dpd", "allowWeakCrypto"}
        for key in shared - {"psk", "initiator"}:
            assert props[key] == link[key], (form, key)
        for example in defs[form]["examples"]:
            assert validate_structure(topology(["hub", *NAMES], [example])) == []
    assert validate_structure(topology(NAMES, [
        {"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}},
        {"hubs": ["c00"], "spokes": "remotes", "psk": {"file": "keys/<hub>-<spoke>.psk"}},
    ], clusterDefaults={"provider": "iks", "context": "<name>-admin",
                        "network": "<name>-net", "listenPool": ["100.96.0.0/24"]})) == []


@pytest.mark.parametrize(("entry", "rule", "where"), [
    ({"fullMesh": "everything", "psk": {"env": "K"}}, "invalid-value", ("vpn", 0, "fullMesh")),
    ({"fullMesh": "all", "psk": {"env": "PSK_<hub>"}}, "invalid-value",
     ("vpn", 0, "psk", "env")),
    ({"fullMesh": "all", "psk": "secret"}, "literal-secret", ("vpn", 0, "psk")),
    ({"hubs": ["c00"], "spokes": "others", "psk": {"env": "K"}}, "invalid-value",
     ("vpn", 0, "spokes")),
    ({"spokes": "all", "psk": {"env": "K"}}, "missing-field", ("vpn", 0, "hubs")),
    ({"fullMesh": "all", "between": ["c00", "c01"], "psk": {"env": "K"}}, "unknown-field",
     ("vpn", 0, "fullMesh")),
    ({"hubs": ["c00"], "psk": {"env": "K"}}, "missing-field", ("vpn", 0, "spokes")),
    ({"psk": {"env": "K"}}, "missing-field", ("vpn", 0, "between")),
    ({"between": ["c00", "c01"], "psk": {"env": "PSK_<a>"}}, "invalid-value",
     ("vpn", 0, "psk", "env")),
])
def test_the_schema_tells_the_forms_apart(entry: Data, rule: str,
                                          where: tuple[str | int, ...]) -> None:
    found = validate_structure(topology(NAMES, [entry]))
    assert [(p.rule, p.path) for p in found] == [(rule, where)]


# --- the resolved model: meshgen show ----------------------------------------------------------


def shown_round_trip(tmp_path: Path, source: Path) -> None:
    """``meshgen show`` of ``source``, read back as a topology, builds what ``source`` builds."""
    run = run_cli("show", str(source), cwd=tmp_path)
    assert run.returncode == 0, run.output
    resolved = yaml.safe_load(run.stdout)
    assert "clusterDefaults" not in resolved
    assert all("between" in link and "initiator" in link for link in resolved["vpn"])
    copy_path = tmp_path / "shown" / source.name
    copy_path.parent.mkdir(exist_ok=True)
    copy_path.write_text(run.stdout, encoding="utf-8")
    original, again = topology_of(source), topology_of(copy_path)
    trees = [render(t) for t in (original, again)]
    assert trees[0].files.keys() == trees[1].files.keys()
    assert [p for p in trees[0].files if trees[0].files[p] != trees[1].files[p]] == [
        "MANIFEST.json"]
    # Showing the resolved model again changes nothing: it is resolved already.
    assert run_cli("show", str(copy_path), cwd=tmp_path).stdout.split("\n", 1)[1] == \
        run.stdout.split("\n", 1)[1]


@pytest.mark.parametrize("name", sorted(p.name for p in TOPOLOGIES.glob("*.yaml")))
def test_show_writes_a_topology_that_builds_the_same(tmp_path: Path, name: str) -> None:
    shown_round_trip(tmp_path, TOPOLOGIES / name)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_show_of_a_set_writes_its_links_one_by_one(tmp_path: Path, shape: str) -> None:
    shown_round_trip(tmp_path, written(tmp_path, SHAPES[shape][0], "src"))


def test_show_of_the_benchmarks_hubs_and_spokes(tmp_path: Path) -> None:
    shown_round_trip(tmp_path, written(tmp_path, synthetic(12, 3, "hub"), "src"))


def test_show_prints_json_and_several_topologies(tmp_path: Path) -> None:
    mesh = TOPOLOGIES / "twelve-cluster-mesh.yaml"
    run = run_cli("show", str(mesh), "--format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.output
    data = json.loads(run.stdout)
    assert data == yaml.safe_load(run_cli("show", str(mesh), cwd=tmp_path).stdout)
    assert len(data["vpn"]) == 66 and data["clusters"][1]["context"] == "frankfurt-admin"
    both = run_cli("show", str(mesh), str(TOPOLOGIES / "icp-iks-bookinfo.yaml"), cwd=tmp_path)
    assert [d["name"] for d in yaml.safe_load_all(both.stdout)] == [
        "twelve-cluster-mesh", "icp-iks-bookinfo"]
    listed = json.loads(run_cli("show", str(mesh), str(TOPOLOGIES / "icp-iks-bookinfo.yaml"),
                                "--format", "json", cwd=tmp_path).stdout)
    assert [d["name"] for d in listed] == ["twelve-cluster-mesh", "icp-iks-bookinfo"]


def test_show_refuses_an_invalid_topology_with_its_errors(tmp_path: Path) -> None:
    data = topology(NAMES[:3], [{"fullMesh": ["c00", "c01", "c09"], "psk": {"env": "K_<a>"}}])
    path = written(tmp_path, data, "bad")
    run = run_cli("show", str(path), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert "error[unknown-reference]: vpn[0].fullMesh[2]: no cluster named 'c09'" in run.stderr


# --- the site shows a set as a set ----------------------------------------------------------


def test_the_site_shows_a_set_in_one_row_with_its_links_a_click_away(tmp_path: Path) -> None:
    (tmp_path / "topologies").mkdir()
    (tmp_path / "topologies" / "mesh.yaml").write_bytes(
        (TOPOLOGIES / "twelve-cluster-mesh.yaml").read_bytes())
    (doc,) = collect(tmp_path / "topologies", tmp_path / "output", tmp_path)
    page = fill_now(topology_page(doc))
    vpn = page[page.index("## VPN"):page.index("## Istio")]
    assert ("full mesh of 12 clusters, 66 links (1 replaced by a link written on its own), "
            "keys PSK_&lt;a&gt;_&lt;b&gt;") in vpn
    rows = vpn[:vpn.index("<details")].count("<tr>")
    assert rows == 2  # the header and the set
    details = vpn[vpn.index('<details class="note meshgen-set" id="vpn-set-0">'):]
    assert "the 65 links the full mesh makes" in details
    assert details[:details.index("</details>")].count("<tr>") == 66
    assert "PSK_TOKYO_SYDNEY" in details and "### Links written on their own" in vpn
    assert "dallas \u2194 frankfurt" in vpn.replace("&#45;", "-")


def test_the_example_is_a_short_file() -> None:
    text = (TOPOLOGIES / "twelve-cluster-mesh.yaml").read_text("utf-8")
    assert len(text.splitlines()) < 150
    t = topology_of(TOPOLOGIES / "twelve-cluster-mesh.yaml")
    assert len(t.clusters) >= 10 and len(t.vpn) == 66
    assert isinstance(t, Topology) and t.link_sets[0].form is SetForm.FULL_MESH


def test_a_set_of_every_cluster_stands_aside_when_a_cluster_was_left_out(tmp_path: Path
                                                                          ) -> None:
    """A cluster that failed the schema is not built, so which links ``fullMesh: all`` stands
    for is not known: the checks that need every link say nothing of the links it may lack,
    and the one mistake is reported once."""
    data = topology(NAMES[:4], [{"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}}], pool=3)
    data["clusters"][2]["podCIDR"] = 10
    data["apps"] = [{"name": "bookinfo", "catalog": "bookinfo",
                     "placement": {"c00": ["productpage-v1", "details-v1"],
                                   "c02": ["reviews-v1", "ratings-v1"]}}]
    found = problems_of(tmp_path, data)
    assert [line.split(": ", 2)[1] for line in found] == ["error[wrong-type]"], found
    t = build_model(data, catalogs(), frozenset({("clusters", 2, "podCIDR")}))
    assert "vpn" in t.incomplete and t.unread("vpn", "between")
    assert [link.name for link in t.vpn] == ["c00-c01", "c00-c03", "c01-c03"]
