"""The ``meshgen`` command line as plain data, for the site's reference page.

Each command with its summary, usage line, arguments and examples, read from the parser the
command uses.

Kept apart from :mod:`generator.cli`, which the quick commands import, because dataclasses are
slow to import.

May import: ``cli`` (the parser it describes).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .cli import Parser, build_parser


@dataclass(frozen=True)
class OptionInfo:
    """One argument of a command, as ``--help`` describes it."""

    flags: tuple[str, ...]
    """``("-o", "--output")``; empty for a positional argument."""
    metavar: str | None
    """What stands for its value (``DIR``, ``{text,json}``); None for an option without one."""
    help: str
    default: str | None
    """Its value when it is not given, as text; None when there is none to show."""
    choices: tuple[str, ...]
    optional: bool
    """False only for a positional argument that must be given."""
    repeated: bool
    """It takes any number of values."""


@dataclass(frozen=True)
class CommandInfo:
    """One command, or the program itself: what it does, its usage line, its arguments in the
    order ``--help`` lists them (``-h`` left out: every command has it) and its examples."""

    name: str
    summary: str
    usage: str
    options: tuple[OptionInfo, ...]
    examples: str


@dataclass(frozen=True)
class Reference:
    program: CommandInfo
    commands: tuple[CommandInfo, ...]


def reference() -> Reference:
    """The program and each of its commands, in the order ``meshgen --help`` lists them."""
    parser = build_parser()
    return Reference(_command(parser.prog, parser),
                     tuple(_command(name, sub) for name, sub in parser.commands.items()))


def _command(name: str, parser: Parser) -> CommandInfo:
    return CommandInfo(
        name, parser.description or "", parser.format_usage().removeprefix("usage: ").strip(),
        tuple(_option(action, parser.prog) for action in parser.arguments),
        parser.epilog or "",
    )


def _option(action: argparse.Action, prog: str) -> OptionInfo:
    text = action.help or ""
    if "%(" in text:  # as argparse expands it
        text = text % {**vars(action), "prog": prog}
    choices = tuple(str(c) for c in action.choices) if action.choices else ()
    named = action.metavar if isinstance(action.metavar, str | None) else " ".join(action.metavar)
    metavar: str | None
    if not action.option_strings:
        metavar = named or action.dest
    elif action.nargs == 0:
        metavar = None
    else:
        metavar = named or ("{" + ",".join(choices) + "}" if choices else action.dest.upper())
    default = action.default
    shown = (None if default is None or default is False or default == argparse.SUPPRESS
             else str(default))
    optional = bool(action.option_strings) or action.nargs in ("?", "*")
    return OptionInfo(tuple(action.option_strings), metavar, text, shown, choices, optional,
                      action.nargs in ("*", "+"))
