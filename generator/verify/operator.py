"""IstioOperator, which istioctl reads and no cluster stores (no CRD since Istio 1.24).

What is checked, without a CRD:

* the document: ``apiVersion: install.istio.io/v1alpha1``, ``kind: IstioOperator``, strict
  Kubernetes ``metadata``;
* ``spec``: only the fields istioctl knows (profile, installPackagePath, hub, tag, namespace,
  revision, compatibilityVersion, meshConfig, components, values, unvalidatedValues), with their
  types;
* ``spec.components``: the known components (base, pilot, cni, ztunnel, istiodRemote, gateway,
  ingressGateways, egressGateways), each with enabled/namespace/hub/tag/k8s (gateways also name
  and label), and ``k8s`` field by field, its Kubernetes parts (env, service, resources,
  affinity, probes, volumes, ...) against the strict Kubernetes definitions;
* ``spec.values`` (when the istiod and base chart defaults are given): top-level keys of Istio's
  values API; below ``global``, ``pilot`` (the istiod chart's own keys), ``base``,
  ``istiodRemote``, ``telemetry``, ``sidecarInjectorWebhook`` and ``experimental``, the key
  paths of the charts' defaults; ``gateways.istio-ingressgateway`` / ``istio-egressgateway``
  against the gateway settings of the values API. ``meshConfig``, ``cni``, ``ztunnel`` and
  ``gatewayClasses`` belong to other APIs and charts and are not checked below their key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .kube import OBJECT_META, KubernetesSchemas, Validator, definition
from .values import ANY, ValuesProblem, key_path_problems, merge, schema_problems

API_VERSION = "install.istio.io/v1alpha1"

_STRING: dict[str, Any] = {"type": "string"}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_STRING_MAP: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
_TAG: dict[str, Any] = {"type": ["string", "integer", "number"]}


def _closed(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


_KUBERNETES_RESOURCES = _closed(
    affinity=definition("io.k8s.api.core.v1.Affinity"),
    env=_list_of(definition("io.k8s.api.core.v1.EnvVar")),
    hpaSpec=definition("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec"),
    imagePullPolicy={"enum": ["Always", "IfNotPresent", "Never"]},
    nodeSelector=_STRING_MAP,
    podDisruptionBudget=definition("io.k8s.api.policy.v1.PodDisruptionBudgetSpec"),
    podAnnotations=_STRING_MAP,
    priorityClassName=_STRING,
    readinessProbe=definition("io.k8s.api.core.v1.Probe"),
    replicaCount={"type": "integer", "minimum": 0},
    resources=definition("io.k8s.api.core.v1.ResourceRequirements"),
    service=definition("io.k8s.api.core.v1.ServiceSpec"),
    strategy=definition("io.k8s.api.apps.v1.DeploymentStrategy"),
    tolerations=_list_of(definition("io.k8s.api.core.v1.Toleration")),
    serviceAnnotations=_STRING_MAP,
    securityContext=definition("io.k8s.api.core.v1.PodSecurityContext"),
    volumes=_list_of(definition("io.k8s.api.core.v1.Volume")),
    volumeMounts=_list_of(definition("io.k8s.api.core.v1.VolumeMount")),
    overlays=_list_of(_closed(
        apiVersion=_STRING, kind=_STRING, name=_STRING,
        patches=_list_of(_closed(path=_STRING, value={})),
    )),
)
_COMPONENT_FIELDS: dict[str, Any] = {
    "enabled": _BOOLEAN, "namespace": _STRING, "hub": _STRING, "tag": _TAG,
    "k8s": _KUBERNETES_RESOURCES,
}
_COMPONENT = _closed(**_COMPONENT_FIELDS)
_GATEWAY = {**_closed(**_COMPONENT_FIELDS, name=_STRING, label=_STRING_MAP),
            "required": ["name"]}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind"],
    "properties": {
        "apiVersion": {"const": API_VERSION},
        "kind": {"const": "IstioOperator"},
        "metadata": OBJECT_META,
        "spec": _closed(
            profile=_STRING,
            installPackagePath=_STRING,
            hub=_STRING,
            tag=_TAG,
            namespace=_STRING,
            revision=_STRING,
            compatibilityVersion=_STRING,
            meshConfig={"type": "object"},
            components=_closed(
                base=_closed(enabled=_BOOLEAN, k8s=_KUBERNETES_RESOURCES),
                pilot=_COMPONENT,
                cni=_COMPONENT,
                ztunnel=_COMPONENT,
                istiodRemote=_COMPONENT,
                gateway=_COMPONENT,
                ingressGateways=_list_of(_GATEWAY),
                egressGateways=_list_of(_GATEWAY),
            ),
            values={"type": "object"},
            unvalidatedValues={},
        ),
    },
}

# Top-level fields of Istio's values API (values_types.proto), and where each is checked.
_OTHER_API = frozenset({"cni", "ztunnel", "meshConfig", "gatewayClasses", "istio_cni"})
_SCALARS = frozenset({"revision", "ownerName", "defaultRevision", "profile",
                      "compatibilityVersion", "revisionTags"})
_FROM_ISTIOD = ("telemetry", "sidecarInjectorWebhook", "istiodRemote", "experimental")
VALUES_FIELDS = frozenset({"gateways", "global", "pilot", "base", *_OTHER_API, *_SCALARS,
                           *_FROM_ISTIOD})

# Settings of values.gateways.istio-ingressgateway (IngressGatewayConfig of the values API).
_INGRESS_GATEWAY_KEYS = (
    "additionalContainers", "autoscaleEnabled", "autoscaleMax", "autoscaleMin", "configVolumes",
    "cpu", "customService", "enabled", "env", "externalTrafficPolicy", "ingressPorts",
    "injectionTemplate", "ipFamilies", "ipFamilyPolicy", "labels", "loadBalancerIP",
    "loadBalancerSourceRanges", "memory", "name", "nodeSelector", "podAnnotations",
    "podAntiAffinityLabelSelector", "podAntiAffinityTermLabelSelector", "ports",
    "replicaCount", "resources", "rollingMaxSurge", "rollingMaxUnavailable", "runAsRoot",
    "secretVolumes", "serviceAccount", "serviceAnnotations", "tolerations", "type",
)
_INGRESS_ONLY = ("externalTrafficPolicy", "ingressPorts", "loadBalancerIP",
                 "loadBalancerSourceRanges", "replicaCount")


def values_defaults(istiod: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """A defaults tree for ``spec.values`` from the istiod and base chart defaults."""
    tree: dict[str, Any] = {key: ANY for key in _OTHER_API | _SCALARS}
    tree["global"] = merge(istiod.get("global") or {}, base.get("global") or {})
    tree["base"] = merge(istiod.get("base") or {}, base.get("base") or {})
    for key in _FROM_ISTIOD:
        tree[key] = istiod.get(key) or ANY
    tree["pilot"] = {key: value for key, value in istiod.items() if key not in VALUES_FIELDS}
    tree["pilot"]["enabled"] = False
    ingress = dict.fromkeys(_INGRESS_GATEWAY_KEYS, ANY)
    egress = {k: v for k, v in ingress.items() if k not in _INGRESS_ONLY}
    tree["gateways"] = {
        **(istiod.get("gateways") or {}),
        "enabled": False,
        "istio-ingressgateway": ingress,
        "istio-egressgateway": egress,
    }
    return tree


class OperatorCheck:
    def __init__(self, kubernetes: KubernetesSchemas,
                 values_tree: Mapping[str, Any] | None) -> None:
        self.validator: Validator = kubernetes.compile(SCHEMA)
        self.values_tree = values_tree

    @property
    def checks_values(self) -> bool:
        return self.values_tree is not None

    def problems(self, document: Any) -> Iterator[ValuesProblem]:
        yield from schema_problems(self.validator, document)
        values = (document.get("spec") or {}).get("values") if isinstance(document, Mapping) \
            else None
        if self.values_tree is not None and isinstance(values, Mapping):
            yield from key_path_problems(values, self.values_tree, ("spec", "values"))
