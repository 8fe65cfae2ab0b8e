"""What a target is: a pure function from the model to files, plus the runbook steps that
apply them, in phases; and the positions of manifests in a cluster's kustomization.

The files themselves are :class:`~generator.artifacts.Artifact` values (the artifact contract).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..artifacts import Artifact
from ..model import SecretRef, Topology


class Phase(enum.IntEnum):
    """Order of the runbook; steps of one phase keep the order their target gives.

    The first two are for GitOps delivery only and run only when asked for (``--phase``): what
    no controller can do, and the Secrets Flux reads the pre-shared keys from. The last,
    Istio's own check of the installed mesh, runs only with ``--verify``.
    """

    BOOTSTRAP = 5
    FLUX_SECRETS = 6
    VPN = 10
    VPN_CHECK = 20
    ROOT_CA = 30
    ISTIO_PRIMARY = 40
    ISTIO_GATEWAY = 50
    ISTIO_EXPOSE = 60
    ISTIO_REMOTE = 70
    ISTIO_SECRETS = 80
    ISTIO_REMOTE_GATEWAY = 85
    APPS = 90
    DESTINATION_RULES = 100
    TRAFFIC_FIRST = 110
    TRAFFIC_LATER = 120
    VERIFY = 130


@dataclass(frozen=True, slots=True)
class Step:
    """One runbook step: shell commands (already quoted) run against one cluster's context."""

    phase: Phase
    title: str
    commands: tuple[str, ...]
    cluster: str | None = None
    notes: tuple[str, ...] = ()
    optional: bool = False
    """Not part of the default run: a later traffic stage the operator runs when ready, or a
    step of GitOps delivery (run by its phase)."""
    stage: int | None = None
    """The traffic stage (1 = the first) the step applies; the runbook selects steps by it."""
    secrets: tuple[SecretRef, ...] = ()
    """Secrets the commands read; the runbook checks they are set before the step runs."""
    tools: tuple[str, ...] = ()
    """Programs the scripts the step calls run (say openssl, or helm inside a helper), beyond
    those its commands name; the runbook's preflight checks every one of them."""
    folders: tuple[ReleaseFolder, ...] = ()
    """Folders named by environment variables that the commands read from."""


@dataclass(frozen=True, slots=True)
class ReleaseFolder:
    """A folder the operator unpacks and names in an environment variable (a release of a
    product meshgen does not ship), recognised by a file it holds."""

    variable: str
    holds: str
    """A path, relative to the folder, that must exist in it."""
    what: str


@dataclass(frozen=True)
class Target:
    """A pure function from the model to files, plus the runbook steps that apply them."""

    name: str
    artifacts: Callable[[Topology], Iterable[Artifact]]
    steps: Callable[[Topology], Iterable[Step]] = lambda _t: ()


class Order(enum.IntEnum):
    """Positions in a cluster's kustomization.yaml: namespaces before what lives in them."""

    NAMESPACES = 0
    MESH = 10
    APPS = 20
