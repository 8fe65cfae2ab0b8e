"""Where ``meshgen verify`` finds the CRDs and chart files of the release being installed.

None of them ship with meshgen: they belong to the Istio release (and strongSwan chart) the
operator installs. ``--crds PATH`` (else ``$MESHGEN_ISTIO_CRDS``) names either a CRD file or a
folder: an unpacked Istio release, or a folder holding ``crd-all.gen.yaml`` and the chart
files under the flat names below. ``--strongswan-values PATH`` (else
``$MESHGEN_STRONGSWAN_VALUES``) names the strongSwan chart's ``values.yaml`` or its folder.
``--gitops-schemas DIR`` (else ``$MESHGEN_GITOPS_SCHEMAS``) names the folder of the Flux and
Argo CD CRD schemas (see :mod:`.gitops`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

CRDS_ENV = "MESHGEN_ISTIO_CRDS"
STRONGSWAN_ENV = "MESHGEN_STRONGSWAN_VALUES"
GITOPS_ENV = "MESHGEN_GITOPS_SCHEMAS"

# Each role: where an Istio release keeps the file, then the flat name beside the CRDs.
_RELEASE_FILES = {
    "crds": ("manifests/charts/base/files/crd-all.gen.yaml", "crd-all.gen.yaml"),
    "gateway_schema": ("manifests/charts/gateway/values.schema.json",
                       "gateway-values.schema.json"),
    "istiod_defaults": ("manifests/charts/istio-control/istio-discovery/values.yaml",
                        "istiod-values.yaml"),
    "base_defaults": ("manifests/charts/base/values.yaml", "base-values.yaml"),
}

# Values files laid flat beside the CRDs: not CRDs themselves.
_FLAT_VALUES = frozenset(flat for role, (_, flat) in _RELEASE_FILES.items() if role != "crds")


@dataclass(frozen=True)
class Sources:
    crd_files: tuple[Path, ...] = ()
    gateway_schema: Path | None = None
    istiod_defaults: Path | None = None
    base_defaults: Path | None = None
    strongswan_defaults: Path | None = None
    crds_from: str = ""
    """How the CRDs were chosen (for messages): the option or the environment variable."""
    gitops_schemas: Path | None = None
    gitops_from: str = ""
    """How the GitOps schemas were chosen (for messages)."""


def _find(folder: Path, role: str) -> Path | None:
    for relative in _RELEASE_FILES[role]:
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


def find_sources(crds: Path | None, strongswan: Path | None,
                 environ: Mapping[str, str] | None = None,
                 gitops: Path | None = None) -> Sources:
    env = os.environ if environ is None else environ
    gitops_from = "--gitops-schemas"
    if gitops is None and env.get(GITOPS_ENV):
        gitops, gitops_from = Path(env[GITOPS_ENV]), f"${GITOPS_ENV}"
    crds_from = "--crds"
    if crds is None and env.get(CRDS_ENV):
        crds, crds_from = Path(env[CRDS_ENV]), f"${CRDS_ENV}"
    if strongswan is None and env.get(STRONGSWAN_ENV):
        strongswan = Path(env[STRONGSWAN_ENV])
    found: dict[str, Path | None] = dict.fromkeys(_RELEASE_FILES)
    crd_files: tuple[Path, ...] = ()
    if crds is not None:
        if crds.is_file():
            crd_files = (crds,)
        elif crds.is_dir():
            found = {role: _find(crds, role) for role in _RELEASE_FILES}
            known = found["crds"]
            crd_files = (known,) if known else tuple(sorted(
                p for p in crds.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                and p.name not in _FLAT_VALUES
            ))
        else:
            raise UsageError(f"{crds_from} {crds}: no such file or folder")
    strongswan_defaults = None
    if strongswan is not None:
        strongswan_defaults = strongswan / "values.yaml" if strongswan.is_dir() else strongswan
        if not strongswan_defaults.is_file():
            raise UsageError(f"strongSwan chart values {strongswan_defaults}: no such file")
    return Sources(
        crd_files=crd_files,
        gateway_schema=found["gateway_schema"],
        istiod_defaults=found["istiod_defaults"],
        base_defaults=found["base_defaults"],
        strongswan_defaults=strongswan_defaults,
        crds_from=crds_from if crds is not None else "",
        gitops_schemas=gitops,
        gitops_from=gitops_from if gitops is not None else "",
    )
