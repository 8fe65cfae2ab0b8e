"""The command line reference, generated from the description the ``meshgen`` command gives of
its own arguments (:func:`generator.cli_reference.reference`)."""

from __future__ import annotations

from ..cli_reference import CommandInfo, OptionInfo, reference
from .markup import Cell, esc, fence, md_text, table


def _argument(option: OptionInfo) -> Cell:
    if option.flags:
        names = ", ".join(option.flags)
        shown = f"{names} {option.metavar}" if option.metavar else names
    else:
        shown = str(option.metavar)
        if option.optional:
            shown = f"[{shown} ...]" if option.repeated else f"[{shown}]"
    return Cell(f"<code>{esc(shown)}</code>")


def _arguments(command: CommandInfo) -> list[list[Cell | str]]:
    return [[_argument(o), o.help, ", ".join(o.choices)] for o in command.options]


def _command_section(command: CommandInfo) -> str:
    name = command.name
    parts = [f"## meshgen {md_text(name)} {{#{name}}}\n\n"]
    if command.summary:
        parts.append(md_text(" ".join(command.summary.split())) + "\n\n")
    parts.append(fence(command.usage, "text"))
    parts.append("\n")
    rows = _arguments(command)
    if rows:
        parts.append(table(("Argument", "Meaning", "Choices"), rows, "meshgen-cli") + "\n")
    if command.examples:
        parts.append(fence(command.examples.strip(), "text"))
        parts.append("\n")
    return "".join(parts)


def cli_page() -> str:
    described = reference()
    program, commands = described.program, described.commands
    parts = [
        "# Command line reference\n\n",
        "Generated from the `meshgen` command's own argument parser; "
        "`meshgen COMMAND --help` prints the same.\n\n",
        md_text(" ".join(program.summary.split())) + "\n\n",
        fence(program.usage, "text"), "\n",
        table(("Command", "What it does"),
              ([Cell(f'<a href="#{esc(c.name)}"><code>meshgen {esc(c.name)}</code></a>'),
                " ".join(c.summary.split())] for c in commands),
              "meshgen-cli"),
        "\n",
        table(("Option", "Meaning", "Choices"), _arguments(program), "meshgen-cli"),
        "\n",
    ]
    parts.extend(_command_section(c) for c in commands)
    return "".join(parts)
