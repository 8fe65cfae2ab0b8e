"""Where ``meshgen verify`` finds the CRDs and chart files of the release being installed.

None of them ship with meshgen: they belong to the Istio release (and strongSwan chart, and
GitOps controllers) the operator installs. ``--crds PATH`` (else ``$MESHGEN_ISTIO_CRDS``) names
either a CRD file or a folder: an unpacked Istio release, or a folder holding
``crd-all.gen.yaml`` and the chart files under the flat names below. ``--strongswan-values
PATH`` (else ``$MESHGEN_STRONGSWAN_VALUES``) names the strongSwan chart's ``values.yaml`` or its
folder. ``--gitops-schemas DIR`` (else ``$MESHGEN_GITOPS_SCHEMAS``) names the folder of the
Flux and Argo CD CRD schemas (see :mod:`.gitops`).

What is not given is downloaded once into the cache (:mod:`.download`) from the addresses in
the ``[verify]`` settings: the files of the Istio release each topology names, the values of
the strongSwan chart version meshgen targets, and the schemas of the Flux and Argo CD kinds the
GitOps trees hold, from a public CRD catalogue at a pinned commit. For the releases, chart and
schemas meshgen targets, the sha256 of each file is known here and nothing else is accepted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceUnavailable, UsageError
from .download import Cache, Wanted
from .gitops import schema_file_name

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
    if gitops is not None and not gitops.is_dir():
        raise UsageError(f"{gitops_from} {gitops}: no such folder")
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


# --- downloaded -------------------------------------------------------------------------------

KNOWN_SHA256: dict[str, dict[str, str]] = {
    "1.30.3": {
        "crd-all.gen.yaml": "dcb43ff6b9af2f629b80b6a82597f5a91db259c757e66cc5353ac007da28351a",
        "gateway-values.schema.json":
            "6a58a62ea7417ed4e7dd18d25d0a674ce888a18d4b44fc832e876e2d7aa7c1f6",
        "istiod-values.yaml": "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1",
        "base-values.yaml": "3543b89cb620ad6f8cfab3910cdf3e5d1f4af8d73d30cb73b3b36c65d3da6f56",
    },
}
"""sha256 of each file of the Istio releases meshgen targets, as that release's tag holds it."""

STRONGSWAN_CHARTS: dict[str, tuple[str, str]] = {
    "2.10.7": ("c51b536d5d3fcc79a4f2a6f430416e89456d03cd",
               "fe7525f525b9f23646107d655ae4e946550e03d5f9e0f421342d2a9a75ad44da"),
}
"""Chart version: the commit of IBM-Cloud/iks-strongswan holding it, and its values.yaml's
sha256 (the repository keeps one chart version at a time, so a commit pins it)."""

CRD_CATALOGUE = "datreeio/CRDs-catalog"
CRD_CATALOGUE_COMMIT = "d852d5d065244a6e82b2d94ede954e84489603c9"
"""The catalogue's commit that brought its Flux schemas to Flux 2.9.4 (its Argo CD schemas were
brought to Argo CD 3.5.0 just before); every file below has these bytes there."""

GITOPS_SCHEMAS: dict[tuple[str, str], str] = {
    ("argoproj.io/v1alpha1", "Application"):
        "99c37877b0626eaf21f42f70f4fc432a4b820de548d88ed90cc75381adf5192c",
    ("argoproj.io/v1alpha1", "ApplicationSet"):
        "8377e243914da95a594f772f002e0609856f657ec2bb483b99e57e8c3679ae71",
    ("argoproj.io/v1alpha1", "AppProject"):
        "5b3f7b75f59e5821d06cedc6b0667b3f5a0d5efd2c9b6cb606cd4da40755a121",
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"):
        "73e96c113f28b430121890e75b5980c3712bda9b7bde223a82149b40b83406bb",
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"):
        "cd96ea111d7714520858e28fc9491d3c814edc5d3262281d2faaf8179e327bbb",
    ("source.toolkit.fluxcd.io/v1", "GitRepository"):
        "a2d45b725be48be738a88c5496b6091404aa3c1f7b2de43fc18001847ff09172",
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"):
        "3654278e3515016930c2ca8dbd0055c944a81176f62637568646763d145215db",
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"):
        "880ebb8213431782a7d20061931034f033e5fe545e8e93dd0a6f565a8f79955f",
}
"""The sha256 of the strict JSON Schema of each Flux and Argo CD kind meshgen's GitOps trees
may hold, as :data:`CRD_CATALOGUE` keeps it (``<group>/<kind>_<version>.json``, the kind in
lower case) at :data:`CRD_CATALOGUE_COMMIT`."""

CRDS_INSTEAD = f"pass --crds PATH (an unpacked Istio release or its crd-all.gen.yaml) or set " \
               f"{CRDS_ENV}"
STRONGSWAN_INSTEAD = f"pass --strongswan-values PATH or set {STRONGSWAN_ENV}"
GITOPS_INSTEAD = f"pass --gitops-schemas DIR (a folder of <group>_<kind>_<version>.json " \
                 f"schemas) or set {GITOPS_ENV}"
GITOPS_DOWNLOADED = "the downloaded schemas in"
"""How downloaded GitOps schemas were chosen (for messages, before their folder)."""


def _address(template: str, setting: str, instead: str, **fields: str) -> str:
    """``template`` with ``fields`` filled in; a placeholder it cannot fill is the setting's
    mistake, said as such."""
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join(f"{{{name}}}" for name in fields)
        raise SourceUnavailable(
            f"the [verify] setting {setting} = {template!r} cannot be filled in "
            f"({type(exc).__name__}: {exc}); it takes {known}; correct it, or {instead}"
        ) from None


def release_sources(version: str, cache: Cache, url: str) -> Sources:
    """The CRDs and chart files of Istio ``version``, from the cache (downloaded once)."""
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        raise SourceUnavailable(
            f"Istio {version}: the files of a release are downloaded by its full version; "
            f"write a patch release in istio.version (such as {version}.0), or "
            f"{CRDS_INSTEAD}")
    known = KNOWN_SHA256.get(version, {})
    found: dict[str, Path] = {}
    for role, (release_path, flat) in _RELEASE_FILES.items():
        address = _address(url, "istio-url", CRDS_INSTEAD, version=version,
                           path=release_path, file=flat)
        found[role] = cache.get(Wanted(f"istio-{version}", flat, address, known.get(flat, "")),
                                CRDS_INSTEAD)
    return Sources(crd_files=(found["crds"],), gateway_schema=found["gateway_schema"],
                   istiod_defaults=found["istiod_defaults"], base_defaults=found["base_defaults"],
                   crds_from=f"Istio {version}'s crd-all.gen.yaml")


def chart_values(chart_version: str, cache: Cache, url: str) -> Path:
    """The strongSwan chart's values.yaml of ``chart_version``, from the cache."""
    commit, digest = STRONGSWAN_CHARTS.get(chart_version, ("", ""))
    if "{commit}" in url and not commit:
        raise SourceUnavailable(f"strongSwan chart {chart_version}: meshgen does not know "
                                f"where its values.yaml is; {STRONGSWAN_INSTEAD}")
    address = _address(url, "strongswan-url", STRONGSWAN_INSTEAD, version=chart_version,
                       commit=commit)
    return cache.get(Wanted(f"strongswan-{chart_version}", "values.yaml", address, digest),
                     STRONGSWAN_INSTEAD)


def catalogue_schemas(kinds: Iterable[tuple[str, str]], cache: Cache, url: str) -> Path:
    """The cache folder holding the schema of each ``(apiVersion, kind)`` of ``kinds`` that
    :data:`GITOPS_SCHEMAS` knows, each downloaded once; a kind it does not know gets no schema
    (its objects are reported as having none, never passed)."""
    group_folder = f"crds-catalog-{CRD_CATALOGUE_COMMIT[:12]}"
    for api_version, kind in sorted(set(kinds)):
        digest = GITOPS_SCHEMAS.get((api_version, kind))
        if digest is None:
            continue
        group, _, version = api_version.rpartition("/")
        address = _address(url, "gitops-url", GITOPS_INSTEAD, commit=CRD_CATALOGUE_COMMIT,
                           group=group, kind=kind.lower(), version=version)
        cache.get(Wanted(group_folder, schema_file_name(api_version, kind), address, digest),
                  GITOPS_INSTEAD)
    return cache.root / group_folder
