"""The runbook's parts on the pages: the summary by phase (the overview and the runbook page)
and the steps with their commands (the runbook page and, when the runbook is long, each
cluster's page for the steps run against it)."""

from __future__ import annotations

from collections.abc import Sequence, Sized

from ..model import Topology
from ..targets.base import Phase
from ..targets.runbook import NumberedStep
from ..text import one_line
from .highlight import code_block
from .markup import Cell, esc, table

LISTED_STEPS = 120
"""More steps than this and the overview summarises them by phase."""

PHASE_WORDS = {
    Phase.VPN: "VPN tunnels",
    Phase.VPN_CHECK: "VPN checks",
    Phase.ROOT_CA: "Shared root CA",
    Phase.ISTIO_PRIMARY: "Istio control planes",
    Phase.ISTIO_GATEWAY: "East-west gateways",
    Phase.ISTIO_EXPOSE: "Exposing istiod and services",
    Phase.ISTIO_REMOTE: "Istio on remotes",
    Phase.ISTIO_SECRETS: "Remote secrets",
    Phase.ISTIO_REMOTE_GATEWAY: "East-west gateways of remotes",
    Phase.APPS: "Apps",
    Phase.DESTINATION_RULES: "Destination rules",
    Phase.TRAFFIC_FIRST: "First traffic stage",
    Phase.TRAFFIC_LATER: "Later traffic stages",
}


def summarised(steps: Sized) -> bool:
    """Whether the overview shows the steps by phase (and cluster pages list them)."""
    return len(steps) > LISTED_STEPS


def phase_words(phase: Phase) -> str:
    return PHASE_WORDS.get(phase, phase.name.lower().replace("_", " "))


def _step_heading(t: Topology, item: NumberedStep, phase: bool = False) -> str:
    step = item.step
    cluster = t.cluster(step.cluster or "")
    where = (f" \u2014 on <code>{esc(cluster.context)}</code> ({esc(cluster.name)})"
             if cluster else " \u2014 on your machine")
    stage = (f' <span class="meshgen-phase">{esc(phase_words(step.phase))}</span>' if phase
             else "")
    later = " <em>(later stage, run when ready)</em>" if step.optional else ""
    return (f'<p id="step-{item.number}"><strong>{item.number}. {esc(step.title)}</strong>'
            f"{where}{stage}{later}</p>\n")


def steps_html(t: Topology, steps: Sequence[NumberedStep], command_bytes: int,
               phase: bool = False) -> str:
    """Each step with its cluster (as its kubectl context), notes and commands, as HTML made
    without Markdown (lists run long); with ``phase``, each step names its phase too.

    Commands are shown until they fill ``command_bytes`` (always those of the first step,
    unless there is no room at all); the steps after that are listed by title, their commands
    being in ``apply.sh``.
    """
    parts = []
    spent = 0
    for k, item in enumerate(steps):
        step = item.step
        commands = "\n".join(step.commands)
        spent += len(commands)
        if (k or command_bytes <= 0) and spent > command_bytes:
            parts.append(f'<p class="meshgen-cut">Steps {item.number} on are listed by title '
                         "only, to keep this page quick to open; their commands are in "
                         "<code>apply.sh</code>, on the page of the whole topology.</p>\n")
            parts.extend(_step_heading(t, rest, phase) for rest in steps[k:])
            break
        parts.append(_step_heading(t, item, phase))
        if step.notes:
            parts.append("<ul>" + "".join(f"<li>{esc(one_line(n))}</li>" for n in step.notes)
                         + "</ul>\n")
        if step.commands:
            parts.append(code_block(commands, "bash"))
    return "".join(parts)


def _clusters_cell(names: Sequence[str]) -> Cell | str:
    if not names:
        return "your machine (no cluster)"
    if len(names) <= 4:
        return Cell(", ".join(f"<code>{esc(n)}</code>" for n in names))
    return f"{len(names)} clusters"


def phase_summary(steps: Sequence[NumberedStep]) -> str:
    """One row per phase: how many steps, on which clusters, from which step to which."""
    phases: dict[Phase, list[NumberedStep]] = {}
    for item in steps:
        phases.setdefault(item.step.phase, []).append(item)
    rows: list[list[Cell | str]] = []
    for phase, items in phases.items():
        names = list(dict.fromkeys(i.step.cluster for i in items if i.step.cluster))
        first, last = items[0].number, items[-1].number
        numbers = str(first) if first == last else f"{first}\u2013{last}"
        rows.append([phase_words(phase), numbers, str(len(items)), _clusters_cell(names),
                     one_line(items[0].step.title)])
    return table(("Phase", "Steps", "Count", "Runs on", "First step"), rows, "meshgen-phases")
