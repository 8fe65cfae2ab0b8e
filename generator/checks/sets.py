"""Link sets and listen-address pools: the names a set uses, the keys its pattern makes, how
many links it stands for, and whether each listening cluster has an address for every link.

A set's links are checked like every other link by the other checks; a problem found in one
points at the set's line and names the link. :func:`gather` then reports a problem that many
links of one set share once, with the links it concerns, instead of once per link.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator

from ..errors import FieldPath, Location, Member, Problem, dotted, written_path
from ..model import Chosen, LinkSet, SetForm, Topology, VpnLink
from ..model.linksets import PLACEHOLDERS, fills_in
from .addresses import cidr_problem
from .registry import check, unknown_cluster

SHOWN_LINKS = 3
"""Links named in a problem that many links of a set share; the rest are counted."""


def _written_names(s: LinkSet) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Each list of cluster names the set writes, with its key."""
    if s.form is SetForm.FULL_MESH:
        yield "fullMesh", s.clusters
    else:
        yield "hubs", s.hubs
        yield "spokes", s.spokes


@check()
def set_names(t: Topology) -> Iterator[Problem]:
    """Every name a set writes is a cluster, named once; no hub is also a spoke."""
    for s in t.link_sets:
        hubs = set(s.hubs)
        for key, names in _written_names(s):
            first: dict[str, int] = {}
            for k, name in enumerate(names):
                at: FieldPath = (*s.at, key, k)
                if name in first:
                    yield Problem(
                        "set-repeats-cluster",
                        f"cluster '{name}' is named twice in this {s.form.value} (first at "
                        f"{key}[{first[name]}])",
                        at,
                        "name each cluster once: a set links each pair of its clusters once",
                    )
                    continue
                first[name] = k
                if t.no_cluster_named(name):
                    yield unknown_cluster(t, name, at)
                elif key == "spokes" and name in hubs:
                    yield Problem(
                        "set-hub-is-spoke",
                        f"'{name}' is a hub of this set and cannot also be one of its spokes",
                        at,
                        "a cluster is not linked to itself: remove it from spokes (spokes: all "
                        "leaves the hubs out)",
                    )


@check()
def sets_make_links(t: Topology) -> Iterator[Problem]:
    """A set that joins no pair is a mistake. (One that takes the topology past the most links
    meshgen makes is a limit: :func:`~generator.checks.limits.links_within_limit`.)"""
    for s in t.link_sets:
        if not s.expanded:
            return  # the limit stopped the expansion here; the sets after it were not made
        if s.planned == 0 and _names_fit(t, s):
            yield Problem("set-empty", _why_empty(s), (*s.at, s.listing),
                          "name the clusters to join, or remove the entry")


def _names_fit(t: Topology, s: LinkSet) -> bool:
    """True when :func:`set_names` finds nothing wrong with the names the set writes."""
    written = [n for _, names in _written_names(s) for n in names]
    return (len(set(s.hubs) | set(s.spokes) | set(s.clusters)) == len(written)
            and all(t.cluster(n) is not None for n in written)
            and not (s.chosen is not None and "clusters" in t.incomplete))


def _why_empty(s: LinkSet) -> str:
    if s.form is SetForm.FULL_MESH:
        return "this full mesh joins fewer than two clusters, so it makes no link"
    if s.chosen is Chosen.REMOTES:
        return "no remote is driven by a hub of this set, so it makes no link"
    return "this set has no spoke that is not a hub, so it makes no link"


@check()
def set_keys_distinct(t: Topology) -> Iterator[Problem]:
    """A key pattern with a placeholder names each link's own key: two links must not come out
    with the same name. (A pattern without one shares one key on purpose.)"""
    users: dict[tuple[str, str], list[VpnLink]] = defaultdict(list)
    for link in t.vpn:
        if link.psk.name:
            users[(link.psk.kind.value, link.psk.name)].append(link)
    for s in t.link_sets:
        if not fills_in(s.psk):
            continue
        clashes = list(dict.fromkeys(
            (link.psk.kind.value, link.psk.name) for link in t.links_of_set(s)
            if len(users[(link.psk.kind.value, link.psk.name)]) > 1))
        if not clashes:
            continue
        sharing = users[clashes[0]]
        mine = [link for link in sharing if link.entry == s.at]
        others = [link for link in sharing if link.entry != s.at]
        key = mine[0].psk
        said = (f"the pattern {s.psk.name} gives {' and '.join(_between(x) for x in mine)} the "
                f"same key {key}" if len(mine) > 1 else
                f"the pattern {s.psk.name} gives {_between(mine[0])} the key {key}")
        if others:
            said += f", which {_describe(others[0])} reads too"
        more = len(clashes) - 1
        if more:
            said += (f"; {more} more key{' is' if more == 1 else 's are'} shared by links of "
                     "this set")
        yield Problem("psk-pattern-clash", said, (*s.at, "psk"), _clash_hint(s))


def _between(link: VpnLink) -> str:
    return f"the link between {link.between[0]} and {link.between[1]}"


def _clash_hint(s: LinkSet) -> str:
    first, second = (f"<{p}>" for p in PLACEHOLDERS[s.form])
    missing = [p for p in (first, second) if p not in s.psk.name]
    if missing:
        return (f"the pattern leaves out {missing[0]}: write both {first} and {second} so each "
                f"link names its own key, or no placeholder at all to share one key on purpose")
    return ("cluster names may contain '-', which an environment variable's name writes as "
            f"'_': put something between the placeholders that no name gives (such as "
            f"{first}__{second}),"
            " or write the link whose key clashes on its own")


def _describe(link: VpnLink) -> str:
    if link.from_set:
        return f"link {link.name} of {dotted(link.entry)}"
    return f"the link at {dotted(link.at)}"


@check()
def pools_valid(t: Topology) -> Iterator[Problem]:
    """Each block of a pool is a canonical CIDR range (an entry without '/' is an address,
    which the schema checks)."""
    seen: set[FieldPath] = set()
    for c in t.clusters:
        where = c.where("listenPool")
        if where in seen:
            continue
        seen.add(where)
        for k, entry in enumerate(c.listen_pool):
            if "/" in entry:
                problem = cidr_problem(entry, (*where, k))
                if problem is not None:
                    yield problem


@check()
def pools_large_enough(t: Topology) -> Iterator[Problem]:
    if not t.unaddressed:
        return
    lacking = Counter(link.responder for link in t.vpn if link.at in t.unaddressed)
    listening = Counter(link.responder for link in t.vpn)
    for c in t.clusters:
        short = lacking.get(c.name, 0)
        if not short:
            continue
        lacking.pop(c.name)
        served = listening[c.name] - short
        source = " (from clusterDefaults)" if "listenPool" in c.from_defaults else ""
        yield Problem(
            "listen-pool-too-small",
            f"cluster '{c.name}' listens on {listening[c.name]} links, but its vpnGateway and "
            f"listenPool{source} have addresses for {served}: {short} "
            f"get{'s' if short == 1 else ''} none",
            c.where("listenPool"),
            f"add {short} more address{'es' if short != 1 else ''} to the pool (an address, or "
            f"a CIDR block such as 203.0.113.16/29), or let '{c.name}' start some of its links "
            "(initiator: balanced in a full mesh, initiator: hubs where it is a spoke)",
        )


# --- one problem for the links of a set that share it ------------------------------------------


def gather(problems: Iterable[Problem], locate: Callable[[FieldPath, bool], Location]
           ) -> list[Problem]:
    """``problems`` (located by ``locate``) with those that several links of one set share
    (same rule, same place in the file, same message) reported once, naming the links; others
    as they are. A field of a link that the set does not write (its ``between``) is left out
    of the path shown: the link's name says it."""
    groups: dict[tuple[object, ...], list[Problem]] = {}
    order: list[tuple[object, ...]] = []
    for found in problems:
        member = _member_index(found.path)
        problem = (found.located(locate(found.path, found.on_key)) if found.location is None
                   else found)
        if member is None:
            key: tuple[object, ...] = (id(problem),)
        else:
            if len(problem.path) > member + 1 and problem.location == locate(
                    problem.path[:member], False):
                problem = Problem(problem.rule, problem.message, problem.path[:member + 1],
                                  problem.hint, problem.severity, problem.on_key,
                                  problem.location)
            key = (problem.rule, problem.severity, problem.location, problem.message,
                   problem.path[:member])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(problem)
    return [_one(groups[key]) for key in order]


def _member_index(path: FieldPath) -> int | None:
    return next((k for k, part in enumerate(path) if isinstance(part, Member)), None)


def _one(same: list[Problem]) -> Problem:
    first = same[0]
    if len(same) == 1:
        return first
    member = _member_index(first.path)
    assert member is not None
    names = [part.name.removeprefix("link ") for p in same for part in p.path
             if isinstance(part, Member)]
    form = first.path[member]
    assert isinstance(form, Member)
    shown = ", ".join(names[:SHOWN_LINKS])
    rest = f" and {len(names) - SHOWN_LINKS:,} more" if len(names) > SHOWN_LINKS else ""
    rests = {written_path(p.path[member + 1:]) for p in same}
    below = rests.pop() if len(rests) == 1 else ()
    return Problem(first.rule, f"{first.message} ({len(names):,} links of this {form.form}: "
                   f"{shown}{rest})", (*first.path[:member], *below), first.hint,
                   first.severity, first.on_key, first.location)
