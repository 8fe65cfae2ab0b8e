"""The ``meshgen`` command line: argument parsing and printing only; the work is in ``api``.

Modules are imported inside each command so that ``meshgen --help`` and ``--version`` stay fast.
The parser keeps what it was given, for :mod:`generator.cli_reference` to describe.

May import: ``api``, ``errors``, ``docs.command`` (``meshgen docs`` runs MkDocs).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__

TYPE_CHECKING = False  # typing itself is not imported: it would slow the quick commands down
if TYPE_CHECKING:
    from typing import Any

    from .errors import Problem

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
SUMMARY_FORMATS = ("text", "markdown", "json")

DESCRIPTION = """\
Compile topology files (clusters, the strongSwan VPN between them, the Istio mesh over them
and the apps placed on them) into every file an operator applies: strongSwan chart values and
configs, Istio install manifests, app manifests, traffic stages and an ordered runbook.
"""

EXAMPLES = {
    "validate": """\
examples:
  meshgen validate                         # every file in topologies/
  meshgen validate topologies/lab.yaml     # one file
  meshgen validate --format json | jq .   # machine-readable problems
exit status: 0 valid, 1 invalid, 2 usage or I/O error""",
    "build": """\
examples:
  meshgen build                            # every topology into output/<name>/
  meshgen build topologies/lab.yaml        # just one
  meshgen build -o /tmp/out                # somewhere else
Unchanged files are not rewritten; each output/<name>/ is replaced in one atomic step.""",
    "check": """\
examples:
  meshgen check                            # in CI or pre-commit: is output/ up to date?
exit status: 0 when output/ is exactly what build would write, 1 otherwise (with a diff)""",
    "diff": """\
examples:
  meshgen diff                             # what would build change? (MANIFEST.json left out)
  meshgen diff --exit-code                 # ... and exit 1 if anything
  meshgen diff --summary                   # the same in words, per topology and cluster""",
    "review": """\
examples:
  meshgen review                           # this branch against where it left main
  meshgen review origin/main               # against any git revision
  meshgen review --format markdown         # for a pull-request comment
The topologies at BASE are read through git; nothing is checked out.""",
    "schema": """\
examples:
  meshgen schema > topology.schema.json    # the JSON Schema of topology files""",
    "new": """\
examples:
  meshgen new lab                          # writes topologies/lab.yaml
  meshgen new lab -o -                     # print it instead""",
    "verify": """\
examples:
  meshgen verify                           # every generated object against its schema
  meshgen verify --crds istio-1.30.3/crd-all.gen.yaml   # against your release's CRDs
  meshgen verify --format json            # machine-readable problems
Problems read FILE:DOCUMENT: KIND/NAME: FIELD: MESSAGE (documents counted from 1).
exit status: 0 when every object passes, 1 otherwise, 2 when Istio objects need CRDs that
were not given (--crds or MESHGEN_ISTIO_CRDS)""",
    "docs": """\
examples:
  meshgen docs                             # build the site into site/
  meshgen docs --serve                     # serve it with live reload on 127.0.0.1:8000
  meshgen docs --against main              # with a Changes page: this branch against main""",
}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


class Parser(argparse.ArgumentParser):
    """An argument parser that keeps the arguments added to it after its own help option and,
    for the program, its commands by name: what the command line reference describes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arguments: list[argparse.Action] = []
        self.commands: dict[str, Parser] = {}
        super().__init__(*args, **kwargs)
        self.arguments.clear()  # the help option every parser has

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.arguments.append(action)
        return action


def _files_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE",
        help="topology files (default: every .yaml file in topologies/)",
    )


def _output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=Path("output"), metavar="DIR",
                        help="output folder (default: output)")


def build_parser() -> Parser:
    parser = Parser(
        prog="meshgen", description=DESCRIPTION, formatter_class=_Formatter,
        epilog="Run 'meshgen COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"meshgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str) -> Parser:
        sub = commands.add_parser(name, help=summary, description=summary,
                                  epilog=EXAMPLES[name], formatter_class=_Formatter)
        parser.commands[name] = sub
        return sub

    p = command("validate", "Check topology files against the schema and the semantic rules.")
    _files_argument(p)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="report format (default: text)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=_validate)

    p = command("build", "Write output/<name>/ for each topology.")
    _files_argument(p)
    _output_argument(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when all is well")
    p.set_defaults(run=_build)

    p = command("check", "Exit 1 with a diff when output/ differs from what build would write.")
    _files_argument(p)
    _output_argument(p)
    p.set_defaults(run=_check)

    p = command("diff", "Show, as a unified diff, what build would change in output/.")
    _files_argument(p)
    _output_argument(p)
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are changes")
    p.add_argument("--with-manifest", action="store_true",
                   help="include MANIFEST.json (it changes whenever any file does)")
    p.add_argument("--summary", action="store_true",
                   help="say what changes in words: each topology's model against its version "
                   "at git's HEAD, then the files of each cluster's folder")
    p.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                   help="format of --summary (default: text)")
    p.set_defaults(run=_diff)

    p = command("review", "Say what a change to the topologies does, against a git revision.")
    p.add_argument("base", nargs="?", metavar="BASE",
                   help="git revision to compare with (default: where this branch left the "
                   "default branch: origin/HEAD, main or master)")
    p.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                   help="text, markdown (for a pull-request comment) or json (default: text)")
    p.add_argument("--topologies", type=Path, default=Path("topologies"), metavar="DIR",
                   help="folder of topology files (default: topologies)")
    p.set_defaults(run=_review)

    p = command("schema", "Print the JSON Schema of topology files.")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write it to FILE")
    p.set_defaults(run=_schema)

    p = command("new", "Write a commented starter topology.")
    p.add_argument("name", help="topology name (a DNS label: lower-case letters, digits, '-')")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write it (default: topologies/NAME.yaml; '-' for stdout)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(run=_new)

    p = command("verify", "Check every generated object against Kubernetes, CRD and chart schemas.")
    _files_argument(p)
    _output_argument(p)
    p.add_argument("--crds", type=Path, metavar="PATH",
                   help="Istio CRDs to check against: an unpacked Istio release, a folder with "
                   "crd-all.gen.yaml and the chart values files, or one CRD file "
                   "(default: $MESHGEN_ISTIO_CRDS)")
    p.add_argument("--strongswan-values", type=Path, metavar="PATH",
                   help="the strongSwan chart's values.yaml (or its folder), to check the VPN "
                   "values against (default: $MESHGEN_STRONGSWAN_VALUES)")
    p.add_argument("--gitops-schemas", type=Path, metavar="DIR",
                   help="a folder of the Flux and Argo CD CRD schemas "
                   "(<group>_<kind>_<version>.json), to check the GitOps trees against "
                   "(default: $MESHGEN_GITOPS_SCHEMAS)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="report format (default: text)")
    p.set_defaults(run=_verify)

    p = command("docs", "Build the documentation site (or serve it with live reload).")
    p.add_argument("--serve", action="store_true", help="serve with live reload instead")
    p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT",
                   help="address to serve on (default: 127.0.0.1:8000)")
    p.add_argument("-d", "--site-dir", type=Path, default=Path("site"), metavar="DIR",
                   help="where to build the site (default: site)")
    p.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"), metavar="FILE",
                   help="MkDocs configuration (default: mkdocs.yml)")
    p.add_argument("--against", metavar="BASE",
                   help="add a Changes page: what the topologies do differently from the git "
                   "revision BASE, in words and file by file")
    p.set_defaults(run=_docs)
    return parser


def _validate(args: argparse.Namespace) -> int:
    import json

    from .api import check_files, topology_files

    paths, _ = topology_files(args.files)
    results = check_files(paths)
    failed = any(r.errors or (args.strict and r.warnings) for r in results)
    if args.format == "json":
        report = [
            {
                "file": r.display,
                "valid": r.valid and not (args.strict and r.warnings),
                "problems": [p.as_dict() for p in r.problems],
            }
            for r in results
        ]
        print(json.dumps(report, indent=2))
    else:
        explain = _rule_pages()
        for r in results:
            for problem in r.problems:
                print(explain(problem))
        for r in results:
            print(f"{r.display}: {_verdict(len(r.errors), len(r.warnings))}",
                  file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK


def _rule_pages() -> Callable[[Problem], str]:
    """How a problem is printed: as it formats itself, followed by the page of its rule on
    the project's published site when ``mkdocs.yml`` names one (``site_url``)."""
    from .api import published_site

    site = published_site()
    if site is None:
        return lambda problem: problem.format()
    return lambda problem: f"{problem.format()}\n    see: {site.rule(problem.rule)}"


def _verdict(errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return "valid"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ("invalid: " if errors else "valid with ") + ", ".join(parts)


def _build(args: argparse.Namespace) -> int:
    from .api import build, topology_files, up_to_date

    paths, prune = topology_files(args.files)
    done = up_to_date(paths, args.output, prune)
    if done is not None:
        if not args.quiet:
            for name, count in done:
                print(f"{args.output}/{name}: up to date ({count} files)")
        return EXIT_OK
    reports = build(paths, args.output, prune=prune)
    if not args.quiet:
        for report in reports:
            print(f"{args.output}/{report.summary()}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from .api import differences, topology_files

    paths, prune = topology_files(args.files)
    found = differences(paths, args.output, prune=prune)
    if not found:
        print(f"{args.output}/ is up to date", file=sys.stderr)
        return EXIT_OK
    for d in found:
        sys.stdout.write(d.diff)
    print(f"\n{args.output}/ differs from what meshgen build would write:", file=sys.stderr)
    for d in found:
        print(f"  {d.kind:8} {args.output}/{d.path}", file=sys.stderr)
    print("run 'meshgen build' and commit the result", file=sys.stderr)
    return EXIT_INVALID


def _diff(args: argparse.Namespace) -> int:
    from .api import change_summary, differences, summary_text, topology_files

    paths, prune = topology_files(args.files)
    if args.summary:
        summary = change_summary(paths, args.output)
        sys.stdout.write(summary_text(summary, args.format))
        return EXIT_INVALID if summary.changed and args.exit_code else EXIT_OK
    found = differences(paths, args.output, prune=prune)
    shown = [d for d in found if args.with_manifest or not _is_manifest(d.path)]
    for d in shown:
        sys.stdout.write(d.diff)
    return EXIT_INVALID if found and args.exit_code else EXIT_OK


def _is_manifest(path: str) -> bool:
    return path.rpartition("/")[2] == "MANIFEST.json"


def _review(args: argparse.Namespace) -> int:
    from .api import review, summary_text

    sys.stdout.write(summary_text(review(args.base, args.topologies), args.format))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from .api import schema_text, write_new_file

    text = schema_text()
    if args.output:
        write_new_file(args.output, text, force=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from .api import new_topology, starter_topology

    if args.output == "-":
        sys.stdout.write(starter_topology(args.name))
        return EXIT_OK
    target = new_topology(args.name, Path(args.output) if args.output else None, args.force)
    print(f"wrote {target}; next: meshgen validate {target}", file=sys.stderr)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    import json

    from .api import topology_files, verify

    paths, _ = topology_files(args.files)
    report = verify(paths, args.output, crds=args.crds, strongswan_values=args.strongswan_values,
                    gitops_schemas=args.gitops_schemas)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            print(line)
        print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_INVALID


def _docs(args: argparse.Namespace) -> int:
    from .docs.command import run_docs

    code: int = run_docs(serve=args.serve, config_file=args.config_file, site_dir=args.site_dir,
                         dev_addr=args.dev_addr, against=args.against)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_USAGE
    from .errors import ForeignEntries, MeshgenError, TopologyInvalid

    try:
        return run(args)
    except TopologyInvalid as exc:
        explain = _rule_pages()
        for problem in exc.problems:
            print(explain(problem), file=sys.stderr)
        print(f"meshgen: {len(exc.errors)} error(s); nothing was written", file=sys.stderr)
        return exc.exit_code
    except ForeignEntries as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(exc.problems)
        print(f"meshgen: {count} entr{'ies' if count != 1 else 'y'} meshgen did not write; "
              "none was opened, and nothing was written", file=sys.stderr)
        return exc.exit_code
    except MeshgenError as exc:
        print(f"meshgen: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("meshgen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("MESHGEN_DEBUG"):
            raise
        import textwrap

        message = textwrap.shorten(f"{type(exc).__name__}: {exc}", 300)
        print(f"meshgen: internal error: {message}\n"
              "this is a bug in meshgen; run again with MESHGEN_DEBUG=1 for the traceback",
              file=sys.stderr)
        return EXIT_BUG
