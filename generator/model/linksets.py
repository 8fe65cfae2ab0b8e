"""Link sets: one entry of ``vpn`` that stands for many links, made into plain links here.

A full mesh joins every two of its clusters; a hub and spoke joins each spoke to its hubs. Each
link a set makes is an ordinary :class:`~.objects.VpnLink` with the set's settings, its own
pre-shared key reference (the set's pattern filled in with the link's two clusters) and, as its
``at``, the set's entry with the link named as a :class:`~generator.errors.Member`, so a problem
found in it points at the set's line and names the link. Checks and targets see plain links.

The order is part of the output (release order, the runbook), so it is fixed: a full mesh pairs
the first cluster with each later one, then the second with each later one, and so on; a hub and
spoke goes spoke by spoke, each spoke's links in the order of the hubs.

A link written on its own wins over the link a set makes for the same two clusters: the set's
link is left out, and the one written alone stays where it is written. Two sets that make the
same link, or two links written alone for one pair, are reported (``duplicate-link``).

Names a set cannot use (an unknown cluster, a cluster named twice, a hub among the spokes) are
left out of it and reported by the checks. A topology whose sets would make more than
:data:`MAX_LINKS` links is not expanded past that: the set that crosses the limit and those after
it make none, and the checks report it (``limit-links``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..errors import Member
from .objects import Chosen, Cluster, LinkSet, SecretKind, SecretRef, SetForm, Starts, VpnLink

MAX_LINKS = 25_000
"""Most VPN links a topology may have once its sets are made: a full mesh of 224 clusters.
Each link is two chart releases with their files, so this bounds what a short file can ask
meshgen to write."""

PLACEHOLDERS: Mapping[SetForm, tuple[str, str]] = {
    SetForm.FULL_MESH: ("a", "b"),
    SetForm.HUB_AND_SPOKE: ("spoke", "hub"),
}
"""The names a set's key pattern fills in, for the two clusters of each link in the order of
its ``between``: the earlier and the later cluster of a full mesh; the spoke and the hub."""
_PLACEHOLDER = re.compile(r"<(a|b|hub|spoke)>")


@dataclass(frozen=True)
class Resolved:
    """The links of a topology's ``vpn``, its sets made into links."""

    links: tuple[VpnLink, ...]
    sets: tuple[LinkSet, ...]
    unmade: tuple[LinkSet, ...]
    """Sets whose links are not all known: a set that names a cluster that was not built (it
    does not exist, or was left out), one that chooses its clusters by a word when some were
    left out, or one not made because the topology would have had more than
    :data:`MAX_LINKS` links."""


def resolve_links(entries: Sequence[VpnLink | LinkSet], clusters: Sequence[Cluster],
                  every_cluster: bool = True) -> Resolved:
    """Every link of ``entries`` in order, each set made into its links; a link written on
    its own replaces the one a set would make for the same two clusters. ``every_cluster`` is
    False when clusters were left out of ``clusters``: a set that chooses its clusters by a
    word (all, remotes) then makes the links it can, but which it stands for is not known."""
    known: dict[str, Cluster] = {}
    for c in clusters:
        known.setdefault(c.name, c)
    total = sum(1 for e in entries if isinstance(e, VpnLink))
    planned: list[LinkSet] = []
    unmade: list[LinkSet] = []
    over = False
    for entry in entries:
        if isinstance(entry, VpnLink):
            continue
        members, count = _plan(entry, known)
        if not over and total + count > MAX_LINKS:
            over = True
        unsure = entry.chosen is not None and not every_cluster
        if over or unsure or not _names_known(entry, known):
            unmade.append(entry)
        total += 0 if over else count
        planned.append(dataclasses.replace(entry, members=members, planned=count,
                                           expanded=not over))
    alone = {frozenset(e.between) for e in entries if isinstance(e, VpnLink)}
    links: list[VpnLink] = []
    sets: list[LinkSet] = []
    made = iter(planned)
    for entry in entries:
        if isinstance(entry, VpnLink):
            links.append(entry)
            continue
        link_set = next(made)
        own: list[VpnLink] = []
        replaced: list[str] = []
        if link_set.expanded:
            for link in _links(link_set, known):
                if frozenset(link.between) in alone:
                    replaced.append(link.name)
                else:
                    own.append(link)
        links.extend(own)
        sets.append(dataclasses.replace(link_set, links=len(own), replaced=tuple(replaced)))
    return Resolved(tuple(links), tuple(sets), tuple(unmade))


def _names_known(link_set: LinkSet, known: Mapping[str, Cluster]) -> bool:
    return all(name in known for name in (*link_set.clusters, *link_set.hubs, *link_set.spokes))


def _usable(names: Sequence[str], known: Mapping[str, Cluster],
            leave_out: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """``names`` that are known clusters, each once, in order, without ``leave_out``."""
    return tuple(n for n in dict.fromkeys(names) if n in known and n not in leave_out)


def _full_mesh(link_set: LinkSet, known: Mapping[str, Cluster]) -> tuple[str, ...]:
    chosen = list(known) if link_set.chosen is Chosen.ALL else link_set.clusters
    return _usable(chosen, known)


def _hubs_and_spokes(link_set: LinkSet, known: Mapping[str, Cluster]
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    hubs = _usable(link_set.hubs, known)
    if link_set.chosen is Chosen.ALL:
        return hubs, _usable(list(known), known, frozenset(hubs))
    if link_set.chosen is Chosen.REMOTES:
        drivers = set(hubs)
        return hubs, tuple(c.name for c in known.values()
                           if not c.is_primary and c.primary in drivers and c.name not in drivers)
    return hubs, _usable(link_set.spokes, known, frozenset(hubs))


def _plan(link_set: LinkSet, known: Mapping[str, Cluster]) -> tuple[tuple[str, ...], int]:
    """The clusters the set joins, and how many links it stands for (counted, not made)."""
    if link_set.form is SetForm.FULL_MESH:
        members = _full_mesh(link_set, known)
        return members, len(members) * (len(members) - 1) // 2
    hubs, spokes = _hubs_and_spokes(link_set, known)
    per_spoke = 1 if link_set.chosen is Chosen.REMOTES else len(hubs)
    return (*hubs, *spokes), len(spokes) * per_spoke


def _pairs(link_set: LinkSet, known: Mapping[str, Cluster]) -> Iterator[tuple[str, str]]:
    """The pairs the set links, in the order of its links, each as the link's ``between``
    has it: a full mesh's earlier cluster first; the spoke, then its hub. A set of remotes
    links each remote to its own primary alone."""
    if link_set.form is SetForm.FULL_MESH:
        members = _full_mesh(link_set, known)
        n = len(members)
        for i in range(n):
            for j in range(i + 1, n):
                yield members[i], members[j]
        return
    hubs, spokes = _hubs_and_spokes(link_set, known)
    for spoke in spokes:
        if link_set.chosen is Chosen.REMOTES:
            yield spoke, known[spoke].primary or ""
        else:
            for hub in hubs:
                yield spoke, hub


def _links(link_set: LinkSet, known: Mapping[str, Cluster]) -> Iterator[VpnLink]:
    place = {name: k for k, name in enumerate(link_set.members)}
    n = len(link_set.members)
    form = link_set.form.value
    pattern = link_set.psk
    key = key_names(pattern, link_set.form)
    for a, b in _pairs(link_set, known):
        starts = _starter(link_set.starts, a, b, place, n)
        yield link_set.template.replaced(
            between=(a, b),
            initiator=starts,
            responder=b if starts == a else a,
            psk=SecretRef(pattern.kind, key(a, b)),
            at=(*link_set.at, Member(form, f"link {a}-{b}")),
        )


def _starter(rule: Starts, a: str, b: str, place: Mapping[str, int], n: int) -> str:
    """Which of ``a`` and ``b`` (as the link's ``between`` has them) starts the tunnel."""
    if rule is Starts.BALANCED:
        # The clusters sit on a circle in the set's order; each starts the links to those up
        # to half way round after it, so each starts about half of its links.
        return a if 2 * (place[b] - place[a]) <= n else b
    if rule is Starts.HUBS:
        return b
    return a  # FIRST: the earlier cluster; SPOKES: the spoke


def key_names(pattern: SecretRef, form: SetForm) -> Callable[[str, str], str]:
    """The set's key pattern, filled in for the link between two clusters ``a`` and ``b`` by
    the function returned. In an environment variable's name a cluster is written in capitals
    with ``_`` for ``-`` (``spoke-a`` -> ``SPOKE_A``); in a file's path as it is. The pattern
    is read once for all the set's links, into a format string that takes the two names."""
    first, second = PLACEHOLDERS[form]

    def piece(index: int, text: str) -> str:
        if index % 2 == 0:  # text between placeholders, as written
            return text.replace("{", "{{").replace("}", "}}")
        return "{0}" if text == first else "{1}" if text == second else f"<{text}>"

    template = "".join(piece(i, text) for i, text in enumerate(_PLACEHOLDER.split(pattern.name)))
    if pattern.kind is not SecretKind.ENV:
        return template.format
    return lambda a, b: template.format(_env_name(a), _env_name(b))


def _env_name(cluster: str) -> str:
    return cluster.upper().replace("-", "_")


def fills_in(pattern: SecretRef) -> bool:
    """True when the pattern names each link's own key (it has a placeholder); a pattern
    without one gives every link of its set the same key, as written."""
    return _PLACEHOLDER.search(pattern.name) is not None
