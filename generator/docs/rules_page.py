"""The reference of rule names, generated from :mod:`generator.rules` so it never drifts."""

from __future__ import annotations

from ..rules import RULES
from .markup import Cell, esc, table

STAGES = (
    ("load", "Reading the file", "The file could not be turned into data; nothing else is "
     "checked until it can."),
    ("schema", "Its shape", "Checked against the topology schema; every mistake is reported."),
    ("check", "What it means", "Semantic rules, all run together; a rule that needs a whole "
     "section stands aside while that section has schema errors."),
    ("output", "The output folder", "meshgen writes regular files and folders only. `build`, "
     "`check`, `diff`, `verify` and `docs` report anything else in a topology's output folder "
     "as `output/<name>/<path>: error[rule]`, without opening it, and exit 1; `build` then "
     "writes nothing until it is removed."),
)


def rules_page() -> str:
    parts = [
        "# Rules\n\n",
        "Every problem `meshgen validate` reports names the rule that found it, as "
        "`file:line:col: error[rule]: field: message`, with a hint on the next line. These "
        "names are stable: scripts may match on them (`meshgen validate --format json` gives "
        "them as `rule`). Warnings (`warning[rule]`) do not fail validation unless `--strict` "
        "is given.\n\n",
    ]
    for stage, title, text in STAGES:
        rows: list[list[Cell | str]] = [
            [Cell(f'<code id="{esc(name)}">{esc(name)}</code>'), rule.meaning]
            for name, rule in RULES.items() if rule.stage == stage
        ]
        parts += [f"## {title}\n\n", text, "\n\n", table(("Rule", "Meaning"), rows), "\n"]
    return "".join(parts)
