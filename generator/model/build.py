"""Building the model from topology data that went through the schema.

The builder reads what a topology writes and nothing more: defaults come from the model's
fields (:mod:`.defaults`). It may be handed data that failed the schema, with the paths of the
failures: a list entry (cluster, link, app, stage) that lost a value it cannot do without is
left out and its section marked incomplete, so checks that need the whole section stand aside
instead of reporting consequences of the first mistake.

Such an entry is recognised in one way only. The readers below raise :class:`_Unbuildable`
where a required value is missing or a value has the wrong type; :func:`build_model` catches it
where it leaves the entry out (and where it falls back to the default Istio settings). Any
other exception is a bug in meshgen and is not caught.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from typing import Any, TypeVar

from ..errors import FieldPath
from .clusterdefaults import with_defaults
from .linksets import resolve_links
from .objects import (
    FLAT_NETWORK,
    WRITTEN,
    App,
    Chosen,
    Cluster,
    Controller,
    ControlPlanePath,
    Delivery,
    Destination,
    Entry,
    HttpMatch,
    HttpRule,
    Istio,
    LeftOut,
    LinkSet,
    MatchKind,
    NetworkMode,
    Placement,
    Port,
    Role,
    RouteForm,
    SecretKind,
    SecretRef,
    Service,
    ServiceRoute,
    SetForm,
    Stage,
    Starts,
    StringMatch,
    Topology,
    Version,
    VpnLink,
    any_under,
)
from .pools import assign_addresses

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

Raw = Mapping[str, Any]


class _Unbuildable(Exception):
    """This part of the topology cannot be built: a value it needs is missing or has the
    wrong type. The schema has said why; the part is left out."""


def build_model(
    data: Raw,
    catalogs: Mapping[str, Raw],
    broken: frozenset[FieldPath] = frozenset(),
    source: str = "",
    source_sha256: str = "",
) -> Topology:
    """Build the model from data that passed the schema, except entries under ``broken``.

    ``broken`` holds paths of schema failures: the list entry (cluster, link, app, stage) that
    contains each is left out and its section is marked incomplete, as is an entry that the
    schema let through without what it needs. What can still be read of each entry left out
    (its name, a cluster's role, a link's ends, an app's services) is kept as a
    :class:`LeftOut`, so the other entries are checked as fully as before. A traffic stage
    loses only the routes that failed.
    """
    incomplete: set[str] = set()
    left_out: list[LeftOut] = []
    top_broken = {p[0] for p in broken if p and isinstance(p[0], str)}

    def leave_out(section: str, at: FieldPath, raw: object) -> None:
        incomplete.add(section)
        left_out.append(_left_out(section, at, raw, broken, catalogs))

    def entries(section: str, own: frozenset[str] = frozenset()) -> Iterator[tuple[int, Raw]]:
        """Entries of a list section, with fields that failed the schema left out (except
        those named in ``own``, whose failures the entry's builder sorts out itself)."""
        items = data.get(section)
        if (section,) in broken or not isinstance(items, list | type(None)):
            leave_out(section, (section,), None)  # entries that cannot be told apart
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or (section, i) in broken:
                leave_out(section, (section, i), item)
                continue
            bad = {p[2] for p in broken if len(p) > 2 and p[:2] == (section, i)} - own
            yield i, {k: v for k, v in item.items() if k not in bad}

    def built(section: str, make: Callable[[int, Raw], T],
              own: frozenset[str] = frozenset()) -> tuple[T, ...]:
        """Model objects of a section; an entry that cannot be built is left out and the
        section marked incomplete."""
        out = []
        for i, item in entries(section, own):
            try:
                out.append(make(i, item))
            except _Unbuildable:
                leave_out(section, (section, i), data[section][i])
        return tuple(out)

    given = data.get("istio")
    istio_raw: Raw = given if isinstance(given, Mapping) else {}
    if "istio" in top_broken:
        incomplete.add("istio")
        istio_raw = {k: v for k, v in istio_raw.items() if not any_under(broken, ("istio", k))}
    try:
        istio = _istio(istio_raw)
    except _Unbuildable:
        incomplete.add("istio")
        istio = Istio()

    delivery = _delivery(data.get("delivery"), broken)
    if any_under(broken, ("delivery",)):
        incomplete.add("delivery")

    shared = data.get("clusterDefaults")
    defaults: Raw = shared if isinstance(shared, Mapping) else {}
    if "clusterDefaults" in top_broken:
        incomplete.add("clusters")
        defaults = {k: v for k, v in defaults.items()
                    if not any_under(broken, ("clusterDefaults", k))}
    lone_primary = _lone_primary(data.get("clusters"))
    clusters = built("clusters", lambda i, c: _cluster(i, c, istio, lone_primary, defaults))
    resolved = resolve_links(built("vpn", _vpn_entry), clusters,
                             every_cluster="clusters" not in incomplete)
    for unmade in resolved.unmade:  # which clusters it was meant to join is not known
        incomplete.add("vpn")
        left_out.append(LeftOut("vpn", unmade.at))
    links, unaddressed = assign_addresses(resolved.links, clusters)
    apps = built("apps", lambda i, a: _app(i, a, catalogs))
    stages = built("traffic", lambda i, s: _stage(i, s, broken), frozenset({"routes"}))
    name = data.get("name")
    return Topology(
        name=name if isinstance(name, str) and "name" not in top_broken else "",
        description=str(data.get("description") or ""),
        istio=istio,
        clusters=clusters,
        vpn=links,
        apps=apps,
        traffic=stages,
        delivery=delivery,
        link_sets=resolved.sets,
        unaddressed=unaddressed,
        source=source,
        source_sha256=source_sha256,
        incomplete=frozenset(incomplete),
        failed=broken,
        left_out=tuple(left_out),
    )


def _left_out(section: str, at: FieldPath, raw: object, broken: frozenset[FieldPath],
              catalogs: Mapping[str, Raw]) -> LeftOut:
    """What can be read of an entry that cannot be built: values of the right type that did
    not fail the schema (a name that is not a DNS label is still the name it is called by)."""
    item: Raw = raw if isinstance(raw, Mapping) else {}

    def read(key: str, kind: type[T]) -> T | None:
        try:
            return _maybe(item, key, kind)
        except _Unbuildable:
            return None

    def sound(key: str) -> bool:
        return not any_under(broken, (*at, key))

    name = read("name", str)
    role = None
    if section == "clusters" and sound("role"):
        try:
            role = _choice(item.get("role"), Role, "role")
        except _Unbuildable:
            role = None
    between = None
    if section == "vpn" and sound("between"):
        try:
            between = _strings(item.get("between"), "between")
        except _Unbuildable:
            between = None
    services = _service_names(item, catalogs) if section == "apps" else None
    return LeftOut(section, at, name, role, between, services)


def _service_names(app: Raw, catalogs: Mapping[str, Raw]) -> tuple[str, ...] | None:
    """Names of the services an app defines (from its catalog, or written inline); None when
    they cannot be read."""
    catalog = app.get("catalog")
    definition = catalogs.get(catalog) if isinstance(catalog, str) else app
    services = definition.get("services") if definition is not None else None
    if not isinstance(services, list):
        return None
    names = [s.get("name") if isinstance(s, Mapping) else None for s in services]
    return tuple(str(n) for n in names) if all(isinstance(n, str) for n in names) else None


# --- readers: a value of the expected type, or _Unbuildable ---------------------------------


def _typed(value: object, kind: type[T], what: str) -> T:
    """``value`` when it is a ``kind`` (``true`` is no integer here, as in the schema)."""
    if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
        return value
    raise _Unbuildable(what)


def _need(raw: Raw, key: str, kind: type[T]) -> T:
    """The value at ``key``, which must be written."""
    return _typed(raw.get(key), kind, key)


def _maybe(raw: Raw, key: str, kind: type[T]) -> T | None:
    """The value at ``key``, or None when it is left out."""
    value = raw.get(key)
    return None if value is None else _typed(value, kind, key)


def _choice(value: object, kind: type[E], what: str) -> E:
    """One of the values of the enum ``kind``."""
    try:
        return kind(_typed(value, str, what))
    except ValueError:
        raise _Unbuildable(what) from None


def _strings(value: object, what: str) -> tuple[str, ...]:
    return tuple(_typed(v, str, what) for v in _typed(value, list, what))


def _string_pairs(value: object, what: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, _typed(v, str, what)) for k, v in _typed(value, dict, what).items())


@functools.cache
def _defaulted(cls: type) -> tuple[tuple[str, tuple[str, ...], object], ...]:
    """Field name, key path and default of each field of ``cls`` a topology may leave out."""
    return tuple((f.name, tuple(f.metadata[WRITTEN].split(".")), f.default)
                 for f in fields(cls) if WRITTEN in f.metadata)


def _written(cls: type, raw: Raw) -> dict[str, Any]:
    """The defaulted fields of ``cls`` that ``raw`` writes, read as their default's type; the
    fields left out keep their defaults."""
    given: dict[str, Any] = {}
    for name, (*outer, key), default in _defaulted(cls):
        holder = raw
        for part in outer:
            holder = _maybe(holder, part, dict) or {}
        value = holder.get(key)
        if value is None:
            continue
        if isinstance(default, enum.Enum):
            given[name] = _choice(value, type(default), key)
        else:
            given[name] = _typed(value, type(default), key)
    return given


# --- the parts -------------------------------------------------------------------------------


def _istio(raw: Raw) -> Istio:
    path = raw.get("controlPlanePath")
    return Istio(mtls_given="mtls" in raw,
                 path_given=None if path is None else _choice(path, ControlPlanePath,
                                                              "controlPlanePath"),
                 **_written(Istio, raw))


def _delivery(raw: object, broken: frozenset[FieldPath]) -> Delivery:
    """The delivery as written; a value that failed the schema is read as left out."""
    if not isinstance(raw, Mapping):
        return Delivery()

    def value(*path: str) -> object:
        holder: object = raw
        for part in path:
            if not isinstance(holder, Mapping):
                return None
            holder = holder.get(part)
        return None if any_under(broken, ("delivery", *path)) else holder

    controllers = value("gitops")
    gitops = tuple(dict.fromkeys(
        Controller(c) for c in (controllers if isinstance(controllers, list) else ())
        if c in _CONTROLLERS))
    url, branch, path, stage = (value("repository", "url"), value("repository", "branch"),
                                value("repository", "path"), value("activeStage"))
    given: dict[str, Any] = {}
    if isinstance(branch, str):
        given["branch"] = branch
    if isinstance(path, str):
        given["path"] = path
    return Delivery(gitops=gitops, repository_url=url if isinstance(url, str) else None,
                    active_stage=stage if isinstance(stage, str) else None, **given)


_CONTROLLERS = frozenset(c.value for c in Controller)


def _lone_primary(raw: object) -> str | None:
    """The name of the one cluster written as a primary, when there is exactly one: a remote
    that names no primary is driven by it."""
    if not isinstance(raw, list):
        return None
    primaries = [c.get("name") for c in raw
                 if isinstance(c, Mapping) and c.get("role") == Role.PRIMARY.value]
    only = primaries[0] if len(primaries) == 1 else None
    return only if isinstance(only, str) else None


def _cluster(i: int, written: Raw, istio: Istio, lone_primary: str | None, defaults: Raw
             ) -> Cluster:
    name = _need(written, "name", str)
    raw, from_defaults = with_defaults(written, defaults, name)
    role = _choice(raw.get("role"), Role, "role")
    given = _maybe(raw, "primary", str)
    context = _maybe(raw, "context", str)
    network = _maybe(raw, "network", str)
    if network is None:
        network = FLAT_NETWORK if istio.network is NetworkMode.FLAT else f"{name}-network"
    return Cluster(
        name=name,
        role=role,
        pod_cidr=_need(raw, "podCIDR", str),
        service_cidr=_need(raw, "serviceCIDR", str),
        context=name if context is None else context,
        primary=given if given is not None else (lone_primary if role is Role.REMOTE else None),
        primary_given=given is not None,
        vpn_gateway=_maybe(raw, "vpnGateway", str),
        network=network,
        east_west_ip=_maybe(raw, "eastWestGatewayIP", str),
        description=_maybe(raw, "description", str) or "",
        listen_pool=_strings(raw.get("listenPool", []), "listenPool"),
        from_defaults=from_defaults,
        at=("clusters", i),
        **_written(Cluster, raw),
    )


def _vpn_entry(i: int, raw: Raw) -> VpnLink | LinkSet:
    """A link written on its own, or a set of links (made into links by
    :mod:`.linksets`)."""
    if "fullMesh" in raw:
        return _link_set(i, raw, SetForm.FULL_MESH)
    if "hubs" in raw or "spokes" in raw:
        return _link_set(i, raw, SetForm.HUB_AND_SPOKE)
    return _link(i, raw)


_STARTS = {SetForm.FULL_MESH: (Starts.FIRST, Starts.BALANCED),
           SetForm.HUB_AND_SPOKE: (Starts.SPOKES, Starts.HUBS)}
"""The rules each form of set knows, its default first."""


def _link_set(i: int, raw: Raw, form: SetForm) -> LinkSet:
    at: FieldPath = ("vpn", i)
    rules = _STARTS[form]
    given = raw.get("initiator")
    starts = rules[0] if given is None else _choice(given, Starts, "initiator")
    if starts not in rules:
        raise _Unbuildable("initiator")
    template = VpnLink(initiator="", responder="", psk=_psk(raw.get("psk")), at=at,
                       **_written(VpnLink, raw))
    if form is SetForm.FULL_MESH:
        clusters, chosen = _names_or_word(raw.get("fullMesh"), "fullMesh", (Chosen.ALL,))
        return LinkSet(form, starts, template, clusters=clusters, chosen=chosen, at=at)
    spokes, chosen = _names_or_word(raw.get("spokes"), "spokes", (Chosen.ALL, Chosen.REMOTES))
    return LinkSet(form, starts, template, hubs=_strings(raw.get("hubs"), "hubs"),
                   spokes=spokes, chosen=chosen, at=at)


def _names_or_word(value: object, what: str, words: tuple[Chosen, ...]
                   ) -> tuple[tuple[str, ...], Chosen | None]:
    """Cluster names as a list, or one of ``words`` that chooses them."""
    if isinstance(value, str):
        word = _choice(value, Chosen, what)
        if word not in words:
            raise _Unbuildable(what)
        return (), word
    return _strings(value, what), None


def _link(i: int, raw: Raw) -> VpnLink:
    between = _strings(raw.get("between"), "between")
    if len(between) != 2:
        raise _Unbuildable("between")
    a, b = between
    initiator = _maybe(raw, "initiator", str)
    if initiator is None:
        initiator = a
    return VpnLink(
        between=(a, b),
        initiator=initiator,
        responder=b if initiator == a else a,
        psk=_psk(raw.get("psk")),
        listen_address=_maybe(raw, "listenAddress", str),
        at=("vpn", i),
        **_written(VpnLink, raw),
    )


def _psk(raw: object) -> SecretRef:
    # A literal or malformed key is reported by the schema and left out here; the rest of the
    # link is still checked.
    if raw is None:
        return SecretRef(SecretKind.ENV, "")
    kind, name = _single(raw, "psk")
    return SecretRef(_choice(kind, SecretKind, "psk"), _typed(name, str, "psk"))


def _single(raw: object, what: str) -> tuple[str, object]:
    """The one key and value of a mapping that must have exactly one."""
    mapping = _typed(raw, dict, what)
    if len(mapping) != 1:
        raise _Unbuildable(what)
    ((key, value),) = mapping.items()
    return key, value


def _string_match(raw: object) -> StringMatch | None:
    """The comparison, or None for one of an unknown kind: the schema reports an unknown key
    as an unknown field, and the model leaves it out like every unknown field."""
    kind, value = _single(raw, "match")
    if kind not in _MATCH_KINDS:
        return None
    return StringMatch(MatchKind(kind), _typed(value, str, "match"))


_MATCH_KINDS = frozenset(k.value for k in MatchKind)


def _app(i: int, raw: Raw, catalogs: Mapping[str, Raw]) -> App:
    at: FieldPath = ("apps", i)
    name = _need(raw, "name", str)
    catalog = _maybe(raw, "catalog", str)
    if catalog is not None:
        definition: Raw = catalogs.get(catalog, {})
        services_at: FieldPath = (*at, "catalog")
    elif "services" in raw:
        definition = raw
        services_at = (*at, "services")
    else:
        # Both left out because they failed the schema: without a definition every placement
        # would be reported as an unknown workload.
        raise _Unbuildable("services")
    services = tuple(
        _service(_typed(s, dict, "services"), name,
                 services_at if catalog is not None else (*services_at, j))
        for j, s in enumerate(_typed(definition.get("services", []), list, "services"))
    )
    entry_raw = _maybe(definition, "entry", dict)
    entry = None
    if entry_raw:
        entry = Entry(
            service=_need(entry_raw, "service", str),
            port=_maybe(entry_raw, "port", int),
            uris=_known(_string_match(u) for u in _need(entry_raw, "uris", list)),
            at=(*at, "entry") if "entry" in raw else services_at,
        )
    placement = tuple(
        Placement(cluster, _strings(workloads, "placement"), (*at, "placement", cluster))
        for cluster, workloads in _need(raw, "placement", dict).items()
    )
    description = _maybe(raw, "description", str)
    if description is None:
        description = _maybe(definition, "description", str) or ""
    namespace = _maybe(raw, "namespace", str)
    return App(
        name=name,
        namespace=name if namespace is None else namespace,
        services=services,
        placement=placement,
        catalog=catalog,
        ingress=_maybe(raw, "ingress", str),
        entry=entry,
        description=description,
        at=at,
    )


def _service(raw: Raw, app: str, at: FieldPath) -> Service:
    name = _need(raw, "name", str)
    shared_calls = _strings(raw["calls"], "calls") if "calls" in raw else ()
    versions = tuple(
        _version(_typed(v, dict, "versions"), shared_calls,
                 (*at, "versions", k) if at and at[-1] != "catalog" else at)
        for k, v in enumerate(_need(raw, "versions", list))
    )
    ports = tuple(_port(_typed(p, dict, "ports")) for p in _need(raw, "ports", list))
    account = _maybe(raw, "serviceAccount", str)
    return Service(
        name=name,
        ports=ports,
        service_account=f"{app}-{name}" if account is None else account,
        versions=versions,
        at=at,
    )


def _port(raw: Raw) -> Port:
    return Port(_need(raw, "port", int), target_port=_maybe(raw, "targetPort", int),
                **_written(Port, raw))


def _version(raw: Raw, shared_calls: tuple[str, ...], at: FieldPath) -> Version:
    return Version(
        name=_need(raw, "name", str),
        image=_need(raw, "image", str),
        calls=_strings(raw["calls"], "calls") if "calls" in raw else shared_calls,
        env=_string_pairs(raw.get("env", {}), "env"),
        empty_dirs=_string_pairs(raw.get("emptyDirs", {}), "emptyDirs"),
        at=at,
        **_written(Version, raw),
    )


def _destinations(raw: object) -> tuple[Destination, ...]:
    if isinstance(raw, str):
        return (Destination(raw),)
    return tuple(Destination(version, _typed(weight, int, "weight"))
                 for version, weight in _typed(raw, dict, "to").items())


def _stage(i: int, raw: Raw, broken: frozenset[FieldPath]) -> Stage:
    """A stage, without the routes that failed the schema: each route is checked on its own,
    so a mistake in one leaves the others to be checked."""
    at: FieldPath = ("traffic", i)
    if (*at, "routes") in broken:
        raise _Unbuildable("routes")
    routes = []
    for service, spec in _need(raw, "routes", dict).items():
        route_at: FieldPath = (*at, "routes", service)
        if any_under(broken, route_at):
            continue
        if isinstance(spec, list):
            rules = tuple(_rule(_typed(rule, dict, "rules"), (*route_at, k))
                          for k, rule in enumerate(spec))
            form = RouteForm.RULES
        else:
            rules = (HttpRule(_destinations(spec), None, route_at),)
            form = RouteForm.VERSION if isinstance(spec, str) else RouteForm.SPLIT
        routes.append(ServiceRoute(service, form, rules, route_at))
    return Stage(_need(raw, "name", str), tuple(routes),
                 _maybe(raw, "description", str) or "", at)


def _rule(raw: Raw, at: FieldPath) -> HttpRule:
    match = _maybe(raw, "match", dict)
    return HttpRule(
        destinations=_destinations(raw.get("to")),
        match=None if match is None else _match(match),
        at=at,
    )


def _match(raw: Raw) -> HttpMatch:
    """The conditions of a rule; one that compares in an unknown way is left out, and the rule
    still has its match (so rule order is checked as written)."""
    headers = tuple((name, found) for name, m in (_maybe(raw, "headers", dict) or {}).items()
                    if (found := _string_match(m)) is not None)
    uri = raw.get("uri")
    return HttpMatch(headers, None if uri is None else _string_match(uri))


def _known(matches: Iterable[StringMatch | None]) -> tuple[StringMatch, ...]:
    return tuple(m for m in matches if m is not None)
