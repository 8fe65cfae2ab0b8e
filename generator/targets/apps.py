"""``<cluster>/apps/<app>.yaml``: the workloads placed in each cluster, their Services, and
selector-less stub Services for callees that run only elsewhere; the app's ingress Gateway and
entry VirtualService on its ingress cluster.

A cluster gets a stub for a callee when it runs a caller of that service but no workload of
it: the stub makes the name resolve there, and Istio supplies the endpoints from the clusters
that do run it. The ingress objects are Istio config, so they stay out of the kustomization
(their CRDs exist only once Istio is installed) and the runbook applies them after the apps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..artifacts import Artifact, Kind
from ..model import App, Cluster, Istio, Service, Topology, Workload
from ..yamlout import Commented, dump_all
from .base import Order, Phase, Step, Target
from .istio.apis import networking_api
from .shell import kubectl

INGRESS_SELECTOR = {"istio": "ingressgateway"}
ROLLOUT_TIMEOUT = "300s"


def app_file(cluster: str, app: App) -> str:
    return f"{cluster}/apps/{app.name}.yaml"


def ingress_file(cluster: str, app: App) -> str:
    # Under traffic/ with the other Istio config the runbook applies; app names are DNS
    # labels, so "ingress-<app>" can't collide with destination-rules.yaml or NN-<stage>.yaml.
    return f"{cluster}/traffic/ingress-{app.name}.yaml"


# --- what runs where -----------------------------------------------------------------------


def services_running(app: App, cluster: str) -> tuple[Service, ...]:
    """Services with a workload in ``cluster``, in the app's order."""
    here = {w.service.name for w in app.placed_in(cluster)}
    return tuple(s for s in app.services if s.name in here)


def stubbed_services(app: App, cluster: str) -> tuple[Service, ...]:
    """Callees of workloads in ``cluster`` that have no workload there, in the app's order."""
    workloads = app.placed_in(cluster)
    here = {w.service.name for w in workloads}
    called = {callee for w in workloads for callee in w.version.calls}
    return tuple(s for s in app.services if s.name in called and s.name not in here)


def _placed_in_order(app: App, cluster: str) -> tuple[Workload, ...]:
    """Workloads of ``cluster`` in the app's service and version order, not as listed."""
    placed = {w.name for w in app.placed_in(cluster)}
    return tuple(w for name, w in app.workloads.items() if name in placed)


# --- objects -------------------------------------------------------------------------------


def _metadata(name: str, app: App, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": app.namespace, "labels": labels}


def service_account(app: App, service: Service) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(service.service_account, app, {"account": service.name}),
    }


def _service_ports(service: Service) -> list[dict[str, Any]]:
    ports = []
    for port in service.ports:
        entry: dict[str, Any] = {"port": port.port, "name": port.name}
        if port.target_port is not None:
            entry["targetPort"] = port.target_port
        ports.append(entry)
    return ports


def kubernetes_service(app: App, service: Service) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(service.name, app, {"app": service.name, "service": service.name}),
        "spec": {"ports": _service_ports(service), "selector": {"app": service.name}},
    }


def stub_service(app: App, service: Service, runs_in: tuple[str, ...]) -> Commented:
    document = kubernetes_service(app, service)
    del document["spec"]["selector"]
    where = ", ".join(runs_in) or "no cluster"
    return Commented(document, f"Stub: {service.name} runs in {where}. Without a selector this "
                               "Service only makes the name resolve here;\nIstio sends the "
                               "requests to the endpoints in the other clusters.")


def deployment(app: App, workload: Workload) -> dict[str, Any]:
    service, version = workload.service, workload.version
    labels = {"app": service.name, "version": version.name}
    container: dict[str, Any] = {
        "name": service.name,
        "image": version.image,
        "imagePullPolicy": "IfNotPresent",
    }
    if version.env:
        container["env"] = [{"name": k, "value": v} for k, v in version.env]
    container["ports"] = [{"containerPort": p.container_port} for p in service.ports]
    pod_spec: dict[str, Any] = {"serviceAccountName": service.service_account,
                                "containers": [container]}
    if version.empty_dirs:
        container["volumeMounts"] = [{"name": n, "mountPath": path}
                                     for n, path in version.empty_dirs]
        pod_spec["volumes"] = [{"name": n, "emptyDir": {}} for n, _ in version.empty_dirs]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(workload.name, app, dict(labels)),
        "spec": {
            "replicas": version.replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }


def cluster_documents(app: App, cluster: str) -> list[Any]:
    """Everything of ``app`` for ``cluster``: accounts, Services and stubs, Deployments."""
    running = services_running(app, cluster)
    stubs = {s.name for s in stubbed_services(app, cluster)}
    documents: list[Any] = [service_account(app, s) for s in running]
    here = {s.name for s in running}  # an app's services have names of their own
    for service in app.services:
        if service.name in here:
            documents.append(kubernetes_service(app, service))
        elif service.name in stubs:
            documents.append(stub_service(app, service, app.clusters_of_service(service.name)))
    documents.extend(deployment(app, w) for w in _placed_in_order(app, cluster))
    return documents


def gateway_name(app: App) -> str:
    return f"{app.name}-gateway"


def ingress_port(istio: Istio) -> int:
    """Where the ingress gateway's proxy listens: 8080 since it runs unprivileged; Istio 1.0's
    ran as root on port 80."""
    return 80 if istio.legacy else 8080


def ingress_documents(istio: Istio, app: App) -> list[dict[str, Any]]:
    """The ingress Gateway and the entry VirtualService (Istio's Bookinfo shape)."""
    assert app.entry is not None
    api = networking_api(istio)
    entry = app.entry
    service = app.service(entry.service)
    port = entry.port or (service.ports[0].port if service and service.ports else None)
    destination: dict[str, Any] = {"host": entry.service}
    if port is not None:
        destination["port"] = {"number": port}
    gateway = {
        "apiVersion": api,
        "kind": "Gateway",
        "metadata": {"name": gateway_name(app), "namespace": app.namespace},
        "spec": {
            "selector": dict(INGRESS_SELECTOR),
            "servers": [{
                "port": {"number": ingress_port(istio), "name": "http", "protocol": "HTTP"},
                "hosts": ["*"],
            }],
        },
    }
    virtual_service = {
        "apiVersion": api,
        "kind": "VirtualService",
        "metadata": {"name": app.name, "namespace": app.namespace},
        "spec": {
            "hosts": ["*"],
            "gateways": [gateway_name(app)],
            "http": [{
                "match": [{"uri": {m.kind.value: m.value}} for m in entry.uris],
                "route": [{"destination": destination}],
            }],
        },
    }
    return [gateway, virtual_service]


def _ingress_cluster(t: Topology, app: App) -> Cluster | None:
    if app.ingress is None or app.entry is None:
        return None
    return t.cluster(app.ingress)


# --- the target ----------------------------------------------------------------------------


def artifacts(t: Topology) -> Iterator[Artifact]:
    for app in t.apps:
        for cluster in t.clusters:
            documents = cluster_documents(app, cluster.name)
            if documents:
                yield Artifact(app_file(cluster.name, app), dump_all(documents), Kind.MANIFESTS,
                               Order.APPS)
        ingress = _ingress_cluster(t, app)
        if ingress is not None:
            yield Artifact(ingress_file(ingress.name, app),
                           dump_all(ingress_documents(t.istio, app)), Kind.MANIFESTS)


def steps(t: Topology) -> Iterator[Step]:
    for cluster in t.clusters:
        commands = [kubectl(cluster, "apply", "-k", cluster.name)]
        placed = {app.name: _placed_in_order(app, cluster.name) for app in t.apps}
        hosted = [app for app in t.apps if placed[app.name]]
        for app in hosted:
            names = [f"deployment/{w.name}" for w in placed[app.name]]
            commands.append(kubectl(cluster, "--namespace", app.namespace, "wait",
                                     "--for=condition=Available", f"--timeout={ROLLOUT_TIMEOUT}",
                                     *names))
        what = ", ".join(app.name for app in hosted)
        yield Step(
            Phase.APPS,
            f"Apply {cluster.name}/ (namespaces" + (f" and {what})" if what else ")"),
            tuple(commands),
            cluster.name,
            ("kubectl apply -k applies every plain Kubernetes object of the cluster folder, "
             "namespaces first; the wait ends when each Deployment is available.",),
        )
    for app in t.apps:
        ingress = _ingress_cluster(t, app)
        if ingress is None or app.entry is None:
            continue
        yield Step(
            Phase.APPS,
            f"Expose {app.name} through the ingress gateway of {ingress.name}",
            (kubectl(ingress, "apply", "-f", ingress_file(ingress.name, app)),),
            ingress.name,
            (f"Gateway {gateway_name(app)} (port {ingress_port(t.istio)}) and VirtualService "
             f"{app.name} send requests to {app.entry.service}.",),
        )


TARGET = Target("apps", artifacts, steps)
