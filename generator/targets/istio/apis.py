"""The newest versions of Istio's APIs that a release serves.

Networking and security were promoted to ``v1`` in Istio 1.22; earlier releases of the
east-west gateway install (1.20, 1.21) serve ``v1beta1``, and Istio 1.0 served networking as
``v1alpha3``.
"""

from __future__ import annotations

from ...model import Istio

_V1_SINCE = 22


def networking_api(istio: Istio) -> str:
    if istio.legacy:
        return "networking.istio.io/v1alpha3"
    return "networking.istio.io/v1" if istio.minor >= _V1_SINCE else "networking.istio.io/v1beta1"


def security_api(istio: Istio) -> str:
    return "security.istio.io/v1" if istio.minor >= _V1_SINCE else "security.istio.io/v1beta1"
