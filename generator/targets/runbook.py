"""``apply.sh``: every target's runbook steps as one ordered, selectable shell script.

Steps run in phase order (a phase keeps the order its target gave) in one shell, so a
variable set by one step is seen by the later ones. Optional steps (later traffic stages) run
only when asked for. Each command is written once, as text: a small runner shows it exactly as
written, variable references unexpanded, then evaluates it, with xtrace off so that a secret
passed through a variable is never printed. Secrets a step needs (the topology's PSK
references) are checked before anything runs. The options and the step list come first in the
script and the steps' text last, so ``--help`` and ``--list`` answer without reading the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..artifacts import Artifact, Kind
from ..model import SecretRef, Topology
from ..templating import render_template
from ..text import one_line
from .base import Phase, ReleaseFolder, Step
from .platform import kubernetes_range
from .shell import INVOKED_FROM, KEY_FILE_LIMIT, key_file_word

SCRIPT = "apply.sh"
BY_PHASE = frozenset({Phase.BOOTSTRAP, Phase.FLUX_SECRETS})
"""Phases whose steps are run by naming the phase (``--phase bootstrap``)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """Something a step needs from the operator's environment, checked before anything runs:
    a pre-shared key (a variable or a file) or a release folder named by a variable."""

    ref: SecretRef | ReleaseFolder
    purpose: str

    @property
    def kind(self) -> str:
        """``env``, ``file`` or ``folder``: how apply.sh checks it."""
        if isinstance(self.ref, ReleaseFolder):
            return "folder"
        return "env" if self.ref.is_env else "file"

    @property
    def label(self) -> str:
        if isinstance(self.ref, ReleaseFolder):
            return f"environment variable {self.ref.variable} ({self.purpose})"
        if self.ref.is_env:
            return f"environment variable {self.ref.name} ({self.purpose})"
        where = ", relative to the folder apply.sh is started from" if self.ref.relative else ""
        return f"file {self.ref.name} ({self.purpose}{where})"

    @property
    def reference(self) -> str:
        """The variable's name, or the file's path as one bash word (it never expands the
        key's content)."""
        if isinstance(self.ref, ReleaseFolder):
            return self.ref.variable
        return self.ref.name if self.ref.is_env else key_file_word(self.ref)

    @property
    def holds(self) -> str:
        """For a folder: the file that must be in it."""
        return self.ref.holds if isinstance(self.ref, ReleaseFolder) else ""


def requirements(t: Topology, steps: Iterable[Step] = ()) -> list[Requirement]:
    """The secret references of the topology, once each, in the order of its VPN links; then
    the release folders the steps read, in step order."""
    found: dict[SecretRef | ReleaseFolder, Requirement] = {}
    for link in t.vpn:
        if link.psk not in found:
            found[link.psk] = Requirement(link.psk, f"pre-shared key of VPN link {link.name}")
    for step in steps:
        for folder in step.folders:
            found.setdefault(folder, Requirement(folder, folder.what))
    return list(found.values())


KNOWN_TOOLS = ("kubectl", "helm", "istioctl", "openssl")
"""The programs the preflight checks, in the order it checks them: kubectl, helm and istioctl
at a version that fits, openssl by its presence."""
CLUSTER_TOOLS = frozenset({"kubectl", "helm", "istioctl"})
"""Programs that talk to a cluster: a step using one needs every context to answer."""
_NAMED = re.compile(r"(?:^|[|;&]|\$\()\s*(" + "|".join(KNOWN_TOOLS) + r")\b", re.MULTILINE)


def step_tools(step: Step) -> tuple[str, ...]:
    """The programs a step runs: those its commands name, and those it declares for the
    scripts it calls; the known ones first, in :data:`KNOWN_TOOLS` order."""
    # Most commands call a helper script and name no known tool: the pattern is searched only
    # in those that hold a tool's name at all.
    named = {m.group(1) for command in step.commands
             if any(tool in command for tool in KNOWN_TOOLS)
             for m in _NAMED.finditer(command)}
    used = named | set(step.tools)
    return (*(tool for tool in KNOWN_TOOLS if tool in used),
            *sorted(used - set(KNOWN_TOOLS)))


_PHASE_WORDS = {phase: phase.name.lower().replace("_", "-") for phase in Phase}
"""Each phase as apply.sh names it (``vpn-check``)."""


@dataclass(frozen=True, slots=True)
class NumberedStep:
    number: int
    step: Step
    needs: tuple[int, ...]
    """Numbers (from 1) of the requirements this step uses."""
    tools: tuple[str, ...]
    """The programs the step runs (:func:`step_tools`), found once: the runbook lists them
    for each step and for all of them."""
    title: str
    """The step's title on one line, as the listing and the script print it."""

    @property
    def phase(self) -> str:
        return _PHASE_WORDS[self.step.phase]

    @property
    def notes(self) -> str:
        return "\n".join(one_line(note) for note in self.step.notes)


def ordered(steps: Iterable[Step], reqs: Sequence[Requirement]) -> list[NumberedStep]:
    """Steps by phase (stable), numbered from 1, each with the requirements it uses.

    A requirement no step declares is taken to be used by every VPN step, so it is still
    checked before the tunnel is set up.
    """
    by_phase = sorted(steps, key=lambda s: s.phase)
    number = {r.ref: k for k, r in enumerate(reqs, start=1)}
    declared = {ref for step in by_phase for ref in (*step.secrets, *step.folders)}
    undeclared = tuple(number[r.ref] for r in reqs if r.ref not in declared)
    numbered = []
    for index, step in enumerate(by_phase, start=1):
        needs = sorted({number[ref] for ref in (*step.secrets, *step.folders) if ref in number})
        if step.phase is Phase.VPN:
            needs = sorted({*needs, *undeclared})
        numbered.append(NumberedStep(index, step, tuple(needs), step_tools(step),
                                     one_line(step.title)))
    return numbered


def listing(numbered: Sequence[NumberedStep]) -> list[str]:
    """The lines ``apply.sh --list`` prints."""
    if not numbered:
        return ["(no steps)"]
    number_width = len(str(len(numbered)))
    phase_width = max(len("phase"), *(len(n.phase) for n in numbered))
    cluster_width = max(len("cluster"), *(len(n.step.cluster or "-") for n in numbered))
    head = f"{'#':>{number_width}}  {'phase':<{phase_width}}  {'cluster':<{cluster_width}}  step"
    lines = [head]
    for n in numbered:
        title = n.title
        if n.step.optional:
            how = f"--stage {n.step.stage}" if n.step.stage else (
                f"--phase {n.phase}" if n.step.phase in BY_PHASE else
                "--verify" if n.step.phase is Phase.VERIFY else f"--step {n.number}")
            title += f"  [optional: {how}]"
        lines.append(f"{n.number:>{number_width}}  {n.phase:<{phase_width}}  "
                     f"{n.step.cluster or '-':<{cluster_width}}  {title}")
    return lines


def stage_lines(t: Topology) -> list[str]:
    return [f"  {k}. {stage.name}" + (f": {one_line(stage.description)}"
                                      if stage.description else "")
            for k, stage in enumerate(t.traffic, start=1)]


def command_starts(numbered: Sequence[NumberedStep]) -> list[int]:
    """Where each step's commands start in the list of every step's commands, in order.

    Element 0 is unused (step N is element N) and one more element closes the last step, so
    step N's commands are elements ``starts[N]`` up to, not including, ``starts[N + 1]``.
    """
    starts = [0, 0]
    for n in numbered:
        starts.append(starts[-1] + len(n.step.commands))
    return starts


def runbook_id(t: Topology, numbered: Sequence[NumberedStep]) -> str:
    """A digest of the topology's name and every step, which apply.sh writes in its record of
    completed steps: ``--resume`` goes on only with the runbook that made the record."""
    steps = [[n.phase, n.step.title, list(n.step.commands), n.step.optional, n.step.stage]
             for n in numbered]
    text = json.dumps([t.name, steps], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def render(t: Topology, steps: Iterable[Step]) -> str:
    steps = list(steps)
    reqs = requirements(t, steps)
    numbered = ordered(steps, reqs)
    used = {tool for n in numbered for tool in n.tools}
    tools = [*(tool for tool in KNOWN_TOOLS if tool in used), *sorted(used - set(KNOWN_TOOLS))]
    stage_count = max((n.step.stage or 0 for n in numbered), default=0)
    return render_template(
        "apply.sh.j2",
        topology=t,
        description=one_line(t.description),
        steps=numbered,
        requirements=reqs,
        invoked_from=INVOKED_FROM,
        listing=listing(numbered),
        stages=stage_lines(t),
        stage_count=stage_count,
        one_line=one_line,
        starts=command_starts(numbered),
        phase_option=bool(t.delivery.gitops),
        tools=tools,
        cluster_tools=sorted(CLUSTER_TOOLS),
        kubernetes=kubernetes_range(t.istio),
        key_limit=KEY_FILE_LIMIT,
        runbook_id=runbook_id(t, numbered),
        mesh_check=any(n.step.phase is Phase.VERIFY for n in numbered),
        vpn_check=any(n.step.phase is Phase.VPN_CHECK for n in numbered),
    )


def artifacts(t: Topology, steps: Iterable[Step]) -> list[Artifact]:
    return [Artifact(SCRIPT, render(t, steps), Kind.SCRIPT, executable=True)]
