"""The resolved model written out as topology data, in the schema's own field names.

Every default is applied and every link set made into its links: what a short topology means,
for a reviewer to read and a script to query (``meshgen show``). The data is itself a topology:
validated and built, it gives the same output as the file it was resolved from.

Values the model keeps as "not written" because a target treats them apart are left out as
well: a port's ``targetPort`` (the Service then has none), an entry's ``port`` (the first port
of the service), an app's ``entry`` and services when they come from the catalog, and the
``mtls`` and ``controlPlanePath`` of an Istio 1.0 mesh (settings that version does not have,
unless written) and the delivery's
``activeStage`` when it names none (the first stage). Listen-address pools are not shown: each
link shows the address it was given.
"""

from __future__ import annotations

from typing import Any

from .objects import (
    App,
    Cluster,
    Delivery,
    Destination,
    HttpMatch,
    HttpRule,
    Istio,
    Port,
    Role,
    RouteForm,
    Service,
    ServiceRoute,
    Stage,
    StringMatch,
    Topology,
    Version,
    VpnLink,
)

Data = dict[str, Any]


def resolved_data(t: Topology) -> Data:
    """``t`` as topology data, every default written out and every set made into links."""
    out: Data = {"name": t.name}
    if t.description:
        out["description"] = t.description
    out["istio"] = _istio(t.istio)
    out["clusters"] = [_cluster(c) for c in t.clusters]
    out["vpn"] = [_link(link) for link in t.vpn]
    out["apps"] = [_app(app) for app in t.apps]
    out["traffic"] = [_stage(stage) for stage in t.traffic]
    out["delivery"] = _delivery(t.delivery)
    return out


def _delivery(d: Delivery) -> Data:
    repository: Data = {}
    if d.repository_url is not None:
        repository["url"] = d.repository_url
    repository.update(branch=d.branch, path=d.path)
    out: Data = {"gitops": [c.value for c in d.gitops], "repository": repository}
    if d.active_stage is not None:
        out["activeStage"] = d.active_stage
    return out


def _istio(i: Istio) -> Data:
    out: Data = {"version": i.version, "meshID": i.mesh_id, "model": i.model.value,
                 "network": i.network.value}
    if not i.legacy or i.mtls_given:
        out["mtls"] = i.mtls.value
    if not i.legacy or i.path_given is not None:
        out["controlPlanePath"] = i.path.value
    return out


def _cluster(c: Cluster) -> Data:
    out: Data = {"name": c.name}
    if c.description:
        out["description"] = c.description
    out.update(provider=c.provider, context=c.context, role=c.role.value)
    if c.role is Role.REMOTE and c.primary is not None:
        out["primary"] = c.primary
    out.update(podCIDR=c.pod_cidr, serviceCIDR=c.service_cidr)
    if c.vpn_gateway is not None:
        out["vpnGateway"] = c.vpn_gateway
    out["network"] = c.network
    if c.east_west_ip is not None:
        out["eastWestGatewayIP"] = c.east_west_ip
    return out


def _link(link: VpnLink) -> Data:
    out: Data = {"between": list(link.between), "initiator": link.initiator}
    if link.listen_address is not None:
        out["listenAddress"] = link.listen_address
    out.update(keyExchange=link.key_exchange, ike=link.ike, esp=link.esp,
               ikeLifetime=link.ike_lifetime, lifetime=link.lifetime,
               marginTime=link.margin_time,
               dpd={"action": link.dpd_action, "delay": link.dpd_delay},
               closeAction=link.close_action, psk={link.psk.kind.value: link.psk.name},
               allowWeakCrypto=link.allow_weak_crypto)
    return out


def _app(app: App) -> Data:
    out: Data = {"name": app.name}
    if app.description:
        out["description"] = app.description
    if app.catalog is not None:
        out["catalog"] = app.catalog
    else:
        out["services"] = [_service(s) for s in app.services]
        if app.entry is not None:
            entry: Data = {"service": app.entry.service}
            if app.entry.port is not None:
                entry["port"] = app.entry.port
            entry["uris"] = [_match(m) for m in app.entry.uris]
            out["entry"] = entry
    out["namespace"] = app.namespace
    if app.ingress is not None:
        out["ingress"] = app.ingress
    placement: Data = {}
    for p in app.placement:
        placement.setdefault(p.cluster, []).extend(p.workloads)
    out["placement"] = placement
    return out


def _service(s: Service) -> Data:
    return {"name": s.name, "ports": [_port(p) for p in s.ports],
            "serviceAccount": s.service_account, "versions": [_version(v) for v in s.versions]}


def _port(p: Port) -> Data:
    out: Data = {"name": p.name, "port": p.port}
    if p.target_port is not None:
        out["targetPort"] = p.target_port
    return out


def _version(v: Version) -> Data:
    out: Data = {"name": v.name, "image": v.image, "calls": list(v.calls),
                 "replicas": v.replicas}
    if v.env:
        out["env"] = dict(v.env)
    if v.empty_dirs:
        out["emptyDirs"] = dict(v.empty_dirs)
    return out


def _stage(stage: Stage) -> Data:
    out: Data = {"name": stage.name}
    if stage.description:
        out["description"] = stage.description
    out["routes"] = {route.service: _route(route) for route in stage.routes}
    return out


def _route(route: ServiceRoute) -> Any:
    if route.form is RouteForm.RULES:
        return [_rule(rule) for rule in route.rules]
    return _to(route.rules[0].destinations)


def _rule(rule: HttpRule) -> Data:
    out: Data = {}
    if rule.match is not None:
        out["match"] = _http_match(rule.match)
    out["to"] = _to(rule.destinations)
    return out


def _to(destinations: tuple[Destination, ...]) -> Any:
    if len(destinations) == 1 and destinations[0].weight is None:
        return destinations[0].version
    return {d.version: d.weight for d in destinations}


def _http_match(match: HttpMatch) -> Data:
    out: Data = {}
    if match.headers:
        out["headers"] = {name: _match(m) for name, m in match.headers}
    if match.uri is not None:
        out["uri"] = _match(match.uri)
    return out


def _match(m: StringMatch) -> Data:
    return {m.kind.value: m.value}
