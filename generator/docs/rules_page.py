"""The reference of rule names, generated from :mod:`generator.rules` so it never drifts."""

from __future__ import annotations

from ..rules import OUTPUT_RULES, RULES
from .markup import Cell, esc, table

STAGES = (
    ("load", "Reading the file", "Text that is not YAML (a syntax error, a tab in the "
     "indentation, aliases that explode) stops everything: nothing else can be read until it "
     "is fixed. A mistake inside readable YAML (a key written twice, a tag) is reported and "
     "reading goes on, with the first value of a key written twice."),
    ("schema", "Its shape", "Checked against the topology schema; every mistake is reported, "
     "once per field. A misspelt required field is one mistake: reported as the unknown "
     "field, with the field it most likely meant."),
    ("check", "What it means", "Semantic rules, all run together on every part of the "
     "topology that could be read. A cluster, link, app or stage with a schema error is left "
     "out, and with it only its own checks: the rest is checked as usual, and a rule that "
     "would need the part left out stands aside instead of guessing."),
    ("output", "The output folder", "meshgen writes regular files and folders only. `build`, "
     "`check`, `diff`, `verify` and `docs` report anything else in a topology's output folder "
     "as `output/<name>/<path>: error[rule]`, without opening it, and exit 1; `build` then "
     "writes nothing until it is removed."),
)
OUTPUT_STAGES = (
    ("output", "Checking output/", "What `meshgen check` and `meshgen diff` report (as "
     "`--format github`, `json` or `sarif` name them)."),
    ("verify", "Verifying generated objects", "What `meshgen verify` reports."),
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
    for rules, stages in ((RULES, STAGES), (OUTPUT_RULES, OUTPUT_STAGES)):
        for stage, title, text in stages:
            rows: list[list[Cell | str]] = [
                [Cell(f'<code id="{esc(name)}">{esc(name)}</code>'), rule.meaning]
                for name, rule in rules.items() if rule.stage == stage
            ]
            parts += [f"## {title}\n\n", text, "\n\n", table(("Rule", "Meaning"), rows),
                      "\n"]
    return "".join(parts)
