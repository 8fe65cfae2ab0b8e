"""The four files of a link end, rendered once per shape and filled in for every other end.

The files of two ends differ only where they print the clusters' names, contexts, ranges and
addresses, the key's variable and the listening address: everything else (the link's
settings, which end starts, where the listening address comes from) gives a handful of shapes
for a whole mesh. The first end of each shape is rendered through the ordinary functions
(:mod:`.values` with the one YAML emitter, :mod:`.configs` and :mod:`.scripts` through their
templates) with a marker in place of each such value; the result, cut at its markers, is
the frame every later end of that shape is filled into. The templates stay
the only source of the text: a frame is made from them in memory at first use.

A value is filled in only where printing it cannot depend on what it is: it is a plain token
that YAML, the shell and :func:`~generator.text.one_line` all write as it is, and a cluster
name keeps its release name ``vpn-<name>``. Any other end (and any frame in which a marker
came out changed) is rendered directly.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
import shlex
from collections.abc import Callable, Iterable

from ...model import Cluster, VpnLink
from ...text import one_line
from ...yamlout import dump, scalar, written_as_is
from .configs import chart_ipsec_conf, swanctl_conf
from .ends import LinkEnd, release_name
from .scripts import gateway_script
from .values import chart_values

_MARK = "x7meshgenslot{:02d}x"
_MARKS = re.compile(r"x7meshgenslot(\d\d)x")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@%+=-]*")

CLUSTER_TOKENS = ("name", "context", "pod_cidr", "service_cidr", "vpn_gateway", "east_west_ip",
                  "primary")
"""Fields of a cluster an end's files print as they are (or not at all). Where a cluster or
a link is written (``at``, a link's ``listen_at``) is never printed: it is left out of every
shape."""

_NONE, _EMPTY = -1, -2
"""In a shape's pattern, a value that is None or empty: kept as it is, never filled in."""

Files = tuple[str, str, str, str]
"""values.yaml, ipsec.conf, swanctl.conf and install-gateway.sh of one end."""


def render_end(end: LinkEnd) -> Files:
    """The four files of ``end``, straight from the values and the templates."""
    values = chart_values(end)
    return (dump(values), chart_ipsec_conf(values.value), swanctl_conf(end), gateway_script(end))


def _token_shape(value: str) -> bool:
    """True when the shell and :func:`~generator.text.one_line` print ``value`` as it is."""
    return (_TOKEN.fullmatch(value) is not None and "meshgenslot" not in value.lower()
            and shlex.quote(value) == value and one_line(value) == value)


@functools.cache
def plain_token(value: str) -> bool:
    """True when every way an end's files print ``value`` leaves it as it is."""
    return _token_shape(value) and scalar(value) == value


_cluster_tokens = operator.attrgetter(*CLUSTER_TOKENS)


def _values(end: LinkEnd) -> list[str | None]:
    """The values an end's files print as they are, in a fixed order of places."""
    link, psk = end.link, end.link.psk
    return [*_cluster_tokens(end.local), *_cluster_tokens(end.peer), link.initiator,
            link.responder, *link.between, psk.name if psk.is_env else None,
            link.listen_address, end.listen_address]


_LINK_PRINTED = ("initiator", "responder", "between", "psk", "listen_address", "listen_at", "at")
"""Fields of a link its ends' files print (or that are never printed): all but these make
its shape."""
_link_settings = operator.attrgetter(
    *(f.name for f in dataclasses.fields(VpnLink) if f.name not in _LINK_PRINTED))


class Frames:
    """The frames of one render: each end's files from the frame of its shape. Given the
    ends to come, whether each of their values is plain is told for all of them at once (one
    YAML dump of them all, not one each)."""

    def __init__(self, ends: Iterable[LinkEnd] = ()) -> None:
        self._frames: dict[tuple[object, ...], tuple[Frame, Frame, Frame, Frame] | None] = {}
        self._shapes: dict[object, int] = {}
        """Each shape of a cluster or a link met so far, numbered: frames are found by the
        numbers (a cluster's shape holds all of it, too much to hash for every end)."""
        self._clusters: dict[int, tuple[Cluster, int, bool]] = {}
        self._links: dict[int, tuple[VpnLink, int]] = {}
        candidates = [v for v in {v for end in ends for v in _values(end) if v}
                      if _token_shape(v)]
        self._known_plain = frozenset(written_as_is(candidates))

    def _plain_token(self, value: str) -> bool:
        return value in self._known_plain or plain_token(value)

    def _plain_name(self, name: str) -> bool:
        return self._plain_token(name) and release_name(name) == f"vpn-{name}"

    def files(self, end: LinkEnd) -> Files:
        link = end.link
        values = _values(end)
        seen: dict[str, int] = {}
        pattern = tuple([_NONE if v is None else _EMPTY if not v else seen.setdefault(v, i)
                         for i, v in enumerate(values)])
        _, local, local_named = self._cluster(end.local)
        _, peer, peer_named = self._cluster(end.peer)
        if not (local_named and peer_named and all(
                self._plain_token(v) for v in seen.keys() - self._known_plain)):
            return render_end(end)
        key = (pattern, self._shape(link), local, peer)
        if key in self._frames:
            frames = self._frames[key]
        else:
            frames = self._frames[key] = self._frame(end, pattern)
        if frames is None:
            return render_end(end)
        filled = [v or "" for v in values]
        return (frames[0].fill(filled), frames[1].fill(filled), frames[2].fill(filled),
                frames[3].fill(filled))

    def _cluster(self, cluster: Cluster) -> tuple[Cluster, int, bool]:
        """The cluster, the number of its shape (the cluster with its printed values
        blanked), and whether its name is printed as it is, release names too."""
        found = self._clusters.get(id(cluster))
        if found is None or found[0] is not cluster:
            blank = dataclasses.replace(cluster, name="", context="", pod_cidr="", service_cidr="",
                                        vpn_gateway=None, east_west_ip=None, primary=None,
                                        at=())
            found = self._clusters[id(cluster)] = (
                cluster, self._number(blank), self._plain_name(cluster.name))
        return found

    def _shape(self, link: VpnLink) -> int:
        """The number of the link's shape: its settings, what kind of key it has (and which
        file, for a key file) and whether it has a listening address of its own."""
        found = self._links.get(id(link))
        if found is None or found[0] is not link:
            psk = link.psk
            shape = ("link", _link_settings(link), psk.kind, "" if psk.is_env else psk.name,
                     link.listen_address is None)
            found = self._links[id(link)] = (link, self._number(shape))
        return found[1]

    def _number(self, shape: object) -> int:
        return self._shapes.setdefault(shape, len(self._shapes))

    def _frame(self, end: LinkEnd, pattern: tuple[int, ...]
               ) -> tuple[Frame, Frame, Frame, Frame] | None:
        """The frames of ``end``'s shape, or None when a marker did not come out as it went
        in (then the ends of this shape are rendered directly)."""
        marks = [None if p == _NONE else "" if p == _EMPTY else _MARK.format(p)
                 for p in pattern]
        n = len(CLUSTER_TOKENS)

        def mark(at: int) -> str:
            found = marks[at]
            assert found is not None, "a field that is never None"
            return found

        def masked(cluster: Cluster, at: int) -> Cluster:
            return dataclasses.replace(
                cluster, name=mark(at), context=mark(at + 1), pod_cidr=mark(at + 2),
                service_cidr=mark(at + 3), vpn_gateway=marks[at + 4],
                east_west_ip=marks[at + 5], primary=marks[at + 6], at=())

        link, at = end.link, 2 * n
        psk = link.psk if marks[at + 4] is None else dataclasses.replace(link.psk,
                                                                         name=mark(at + 4))
        marked = LinkEnd(
            dataclasses.replace(link, initiator=mark(at), responder=mark(at + 1),
                                between=(mark(at + 2), mark(at + 3)), psk=psk,
                                listen_address=marks[at + 5], listen_at=(), at=()),
            masked(end.local, 0), masked(end.peer, n), mark(at + 6))
        values, ipsec, swanctl, script = (_compiled(text) for text in render_end(marked))
        if values is None or ipsec is None or swanctl is None or script is None:
            return None
        return values, ipsec, swanctl, script


class Frame:
    """One file of a shape: its text with a ``%s`` in each gap, and which of an end's values
    goes in each."""

    __slots__ = ("pick", "text")

    def __init__(self, texts: list[str], fields: list[int], last: str) -> None:
        self.text = "%s".join(part.replace("%", "%%") for part in (*texts, last))
        self.pick: Callable[[list[str]], tuple[str, ...]] = (
            (lambda values: ()) if not fields
            else (lambda values: (values[fields[0]],)) if len(fields) == 1
            else operator.itemgetter(*fields))

    def fill(self, values: list[str]) -> str:
        return self.text % self.pick(values)


def _compiled(text: str) -> Frame | None:
    """The frame of ``text``; None when what is left of a marker shows that one was changed
    on its way."""
    parts = _MARKS.split(text)
    texts = parts[0:-1:2]
    if any("meshgenslot" in part.lower() for part in (*texts, parts[-1])):
        return None
    return Frame(texts, [int(field) for field in parts[1::2]], parts[-1])
