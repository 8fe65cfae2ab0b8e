"""The runbook on a page of its own: every step ``apply.sh`` runs, in order, by phase, each
with the cluster it runs against (its kubectl context), its notes and its commands, wrapped
rather than cut.

The overview keeps a summary by phase and links here. Commands are shown until they fill the
page's share (:attr:`~.layout.Limits.step_bytes`); later steps are listed by title, their
commands being in ``apply.sh`` on the page of the whole topology.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from ..model import Topology
from ..targets.runbook import SCRIPT, NumberedStep
from .deferred import Deferred
from .layout import Limits, files_uri, relative_md, runbook_uri
from .markup import md_code, md_text
from .runbook_section import phase_summary, phase_words, steps_html
from .sources import TopologyDoc

TITLE = "Runbook"


def runbook_page(doc: TopologyDoc, limits: Limits) -> Deferred:
    d = Deferred()
    d.add(f"# {TITLE} of {md_text(doc.name)}\n\n")
    t = doc.topology
    steps = doc.steps
    if t is None or not doc.checked.valid:
        d.add("The runbook is made once the topology validates: "
              f"`meshgen validate {md_text(doc.display)}` lists what to fix.\n")
        return d
    if not steps:
        d.add("No steps.\n")
        return d
    script = (f"[`{SCRIPT}`]({relative_md(runbook_uri(doc.slug), files_uri(doc.slug))})"
              if doc.output.has(SCRIPT) else md_code(SCRIPT))
    d.add(f"{script} runs these {len(steps):,} steps in order (`{SCRIPT} --list` lists them, "
          f"`{SCRIPT} --from N` starts at one); each can also be run by hand. Every step "
          "names the cluster it runs against, as its kubectl context, and its phase.\n\n")
    d.add(phase_summary(steps) + "\n")
    phases: dict[str, list[NumberedStep]] = {}
    for item in steps:
        phases.setdefault(phase_words(item.step.phase), []).append(item)
    budget = limits.step_bytes
    for number, (words, items) in enumerate(phases.items(), start=1):
        d.add(f"## {md_text(words)} {{#phase-{number}}}\n\n")
        d.later(partial(_block, t, items, budget))
        budget = max(budget - _size(items), 0)
    return d


def _size(items: Sequence[NumberedStep]) -> int:
    return sum(len("\n".join(i.step.commands)) for i in items)


def _block(t: Topology, items: Sequence[NumberedStep], budget: int) -> str:
    return ('<div class="meshgen-runbook">\n' + steps_html(t, items, budget, phase=True)
            + "</div>\n")
