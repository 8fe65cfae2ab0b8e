"""The command line reference, generated from the argument parser the ``meshgen`` command uses."""

from __future__ import annotations

import argparse

from ..cli import build_parser
from .markup import Cell, esc, fence, md_text, table


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%(" in text:
        text = text % {**vars(action), "prog": prog}
    return text


def _argument(action: argparse.Action) -> Cell:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        takes_value = action.nargs != 0
        metavar = action.metavar
        if metavar is None and takes_value:
            metavar = ("{" + ",".join(str(c) for c in action.choices) + "}" if action.choices
                       else action.dest.upper())
        shown = f"{names} {metavar}" if takes_value and metavar else names
    else:
        shown = str(action.metavar or action.dest)
        if action.nargs in ("*", "?"):
            shown = f"[{shown} ...]" if action.nargs == "*" else f"[{shown}]"
    return Cell(f"<code>{esc(shown)}</code>")


def _arguments(parser: argparse.ArgumentParser) -> list[list[Cell | str]]:
    rows: list[list[Cell | str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        choices = ", ".join(str(c) for c in action.choices) if action.choices else ""
        rows.append([_argument(action), _help(action, parser.prog), choices])
    return rows


def _command_section(name: str, parser: argparse.ArgumentParser) -> str:
    parts = [f"## meshgen {md_text(name)} {{#{name}}}\n\n"]
    if parser.description:
        parts.append(md_text(" ".join(parser.description.split())) + "\n\n")
    parts.append(fence(parser.format_usage().removeprefix("usage: ").strip(), "text"))
    parts.append("\n")
    rows = _arguments(parser)
    if rows:
        parts.append(table(("Argument", "Meaning", "Choices"), rows, "meshgen-cli") + "\n")
    if parser.epilog:
        parts.append(fence(parser.epilog.strip(), "text"))
        parts.append("\n")
    return "".join(parts)


def cli_page() -> str:
    parser = build_parser()
    commands = _subcommands(parser)
    parts = [
        "# Command line reference\n\n",
        "Generated from the `meshgen` command's own argument parser; "
        "`meshgen COMMAND --help` prints the same.\n\n",
        md_text(" ".join((parser.description or "").split())) + "\n\n",
        fence(parser.format_usage().removeprefix("usage: ").strip(), "text"), "\n",
        table(("Command", "What it does"),
              ([Cell(f'<a href="#{esc(n)}"><code>meshgen {esc(n)}</code></a>'),
                " ".join((p.description or "").split())] for n, p in commands.items()),
              "meshgen-cli"),
        "\n",
        table(("Option", "Meaning", "Choices"), _arguments(parser), "meshgen-cli"),
        "\n",
    ]
    parts.extend(_command_section(name, sub) for name, sub in commands.items())
    return "".join(parts)
