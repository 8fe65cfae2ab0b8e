"""The ``meshgen`` command line: argument parsing and printing only; the work is in ``api``.

Modules are imported inside each command so that ``meshgen --help`` and ``--version`` stay fast.
The parser keeps what it was given, for :mod:`generator.cli_reference` to describe.

May import: ``api``, ``errors``, ``formats`` and ``terminal`` (how results are printed),
``completion`` (answering the shell), ``docs.command`` (``meshgen docs`` runs MkDocs).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from . import __version__

TYPE_CHECKING = False  # typing itself is not imported: it would slow the quick commands down
if TYPE_CHECKING:
    from typing import Any

    from .api import Difference, Project
    from .errors import Problem
    from .formats import Finding, Reporter
    from .terminal import Style

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
SUMMARY_FORMATS = ("text", "markdown", "json")
EXIT_STATUS = """\
exit status (the same for every command):
  0  clean: valid, up to date, every object passes
  1  problems found (invalid topologies, failed objects) or differences (check, diff --exit-code)
  2  usage or I/O error: a bad option, a missing or unreadable file, a folder where a file is
     needed, a broken settings file, schemas that cannot be had
  3  never expected: a bug in meshgen; run again with MESHGEN_DEBUG=1 for the traceback"""

DESCRIPTION = """\
Compile topology files (clusters, the strongSwan VPN between them, the Istio mesh over them
and the apps placed on them) into every file an operator applies: strongSwan chart values and
configs, Istio install manifests, app manifests, traffic stages and an ordered runbook.

Run in a project: the nearest folder at or above the working folder with meshgen.toml, a
pyproject.toml with [tool.meshgen], or a topologies/ folder (--project DIR names it).
"""

EXAMPLES = {
    "init": """\
examples:
  meshgen init                             # a project here: topologies/, CI and pre-commit set-up
  meshgen init infra/mesh                  # ... in another folder (made if missing)
  meshgen init --force                     # replace files init wrote before""",
    "validate": """\
examples:
  meshgen validate                         # every topology of the project
  meshgen validate topologies/lab.yaml     # one file (or: meshgen validate lab)
  meshgen validate topologies/staging/     # every topology in a folder
  cat lab.yaml | meshgen validate -        # from standard input (errors name it <stdin>)
  meshgen validate --format github         # annotations on a pull request
exit status: 0 valid, 1 invalid, 2 usage or I/O error""",
    "build": """\
examples:
  meshgen build                            # every topology into output/<name>/
  meshgen build topologies/lab.yaml        # just one
  meshgen build -o /tmp/out                # somewhere else
Unchanged files are not rewritten; each output/<name>/ is replaced in one atomic step.
Also keeps schemas/topology.schema.json (what the topologies' $schema modeline names) current.""",
    "check": """\
examples:
  meshgen check                            # in CI or pre-commit: is output/ up to date?
  meshgen check --format github            # each stale file as an annotation
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
    "show": """\
examples:
  meshgen show topologies/lab.yaml         # what the file means, every default written out
  meshgen show lab.yaml --format json | jq '.vpn | length'   # how many links its sets make
Several files: one YAML document each, or a JSON list.""",
    "schema": """\
examples:
  meshgen schema > topology.schema.json    # the JSON Schema of topology files""",
    "new": """\
examples:
  meshgen new lab                          # writes topologies/lab.yaml
  meshgen new lab -o -                     # print it instead""",
    "verify": """\
examples:
  meshgen verify                           # the CRDs of each topology's Istio release (and the
                                           # Flux and Argo CD schemas), fetched once into the cache
  meshgen verify --offline                 # from the cache only; never download
  meshgen verify --crds istio-1.30.3/      # against an unpacked release (or its CRD file)
  meshgen verify --format sarif > verify.sarif
Problems read FILE:DOCUMENT: KIND/NAME: FIELD: MESSAGE (documents counted from 1).
exit status: 0 when every object passes, 1 otherwise, 2 when the schemas cannot be had""",
    "docs": """\
examples:
  meshgen docs                             # build the site into site/
  meshgen docs --serve                     # serve it with live reload on 127.0.0.1:8000
  meshgen docs --against main              # with a Changes page: this branch against main
Without a mkdocs.yml in the project, a built-in configuration makes the site from the
topologies alone; with one, the meshgen plugin adds the topology pages to it.""",
    "completion": """\
examples:
  meshgen completion bash > ~/.local/share/bash-completion/completions/meshgen
  meshgen completion zsh > "${fpath[1]}/_meshgen"
  meshgen completion fish > ~/.config/fish/completions/meshgen.fish""",
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


def _files_argument(parser: argparse.ArgumentParser, stdin: bool = False) -> None:
    action = parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE",
        help="topology files, folders of them or topology names" + (
            ", or - for standard input" if stdin else "")
        + " (default: every topology of the project)",
    )
    action.completer = _complete_topologies  # type: ignore[attr-defined]


def _output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, metavar="DIR",
                        help="output folder (default: output, in the project folder)")


def _format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "github", "sarif"),
                        default="text",
                        help="report format: text (coloured on a terminal), json, github "
                        "(workflow annotations) or sarif (SARIF 2.1.0) (default: text)")


def _project_argument(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument("--project", type=Path, metavar="DIR",
                        default=None if top else argparse.SUPPRESS,
                        help="the project folder (default: found from the working folder "
                        "upwards)")


def _complete_topologies(prefix: str, **_: Any) -> list[str]:
    from .completion import topology_candidates

    return topology_candidates(prefix)


def build_parser() -> Parser:
    parser = Parser(
        prog="meshgen", description=DESCRIPTION, formatter_class=_Formatter,
        epilog="Run 'meshgen COMMAND --help' for the options and examples of each command.\n\n"
        + EXIT_STATUS,
    )
    parser.add_argument("--version", action="version", version=f"meshgen {__version__}")
    _project_argument(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, project: bool = True) -> Parser:
        sub = commands.add_parser(name, help=summary, description=summary,
                                  epilog=EXAMPLES[name], formatter_class=_Formatter)
        parser.commands[name] = sub
        if project:
            _project_argument(sub)
        return sub

    p = command("init", "Start a project: a starter topology, its schema, pre-commit and CI "
                "set-up, .gitignore and meshgen.toml.", project=False)
    p.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR",
                   help="where (default: the working folder; made if missing)")
    p.add_argument("--name", metavar="NAME",
                   help="name of the starter topology (default: from the folder's name)")
    p.add_argument("--force", action="store_true", help="replace files that exist")
    p.set_defaults(run=_init)

    p = command("validate", "Check topology files against the schema and the semantic rules.")
    _files_argument(p, stdin=True)
    _format_argument(p)
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
    _format_argument(p)
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
    p.add_argument("--format", choices=("text", "json", "github", "sarif", "markdown"),
                   default="text",
                   help="report format: text (coloured on a terminal), json, github (workflow "
                   "annotations) or sarif (SARIF 2.1.0); with --summary: text, markdown or json "
                   "(default: text)")
    p.set_defaults(run=_diff)

    p = command("review", "Say what a change to the topologies does, against a git revision.")
    p.add_argument("base", nargs="?", metavar="BASE",
                   help="git revision to compare with (default: where this branch left the "
                   "default branch: origin/HEAD, main or master)")
    p.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                   help="text, markdown (for a pull-request comment) or json (default: text)")
    p.add_argument("--topologies", type=Path, metavar="DIR",
                   help="folder of topology files (default: the project's)")
    p.set_defaults(run=_review)

    p = command("show", "Print the resolved model: every default applied, every link set "
                "expanded.")
    _files_argument(p, stdin=True)
    p.add_argument("--format", choices=("yaml", "json"), default="yaml",
                   help="output format (default: yaml)")
    p.set_defaults(run=_show)

    p = command("schema", "Print the JSON Schema of topology files.", project=False)
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
                   "(default: $MESHGEN_ISTIO_CRDS, else the release each topology names, "
                   "downloaded once into the cache)")
    p.add_argument("--strongswan-values", type=Path, metavar="PATH",
                   help="the strongSwan chart's values.yaml (or its folder), to check the VPN "
                   "values against (default: $MESHGEN_STRONGSWAN_VALUES, else the chart's, "
                   "downloaded once into the cache)")
    p.add_argument("--gitops-schemas", type=Path, metavar="DIR",
                   help="a folder of the Flux and Argo CD CRD schemas "
                   "(<group>_<kind>_<version>.json), to check the GitOps trees against "
                   "(default: $MESHGEN_GITOPS_SCHEMAS, else those of the kinds the trees hold, "
                   "downloaded once into the cache)")
    p.add_argument("--offline", action="store_true",
                   help="never download: use the files given and the cache only")
    _format_argument(p)
    p.set_defaults(run=_verify)

    p = command("docs", "Build the documentation site (or serve it with live reload).")
    p.add_argument("--serve", action="store_true", help="serve with live reload instead")
    p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT",
                   help="address to serve on (default: 127.0.0.1:8000)")
    p.add_argument("-d", "--site-dir", type=Path, metavar="DIR",
                   help="where to build the site (default: site, in the project folder)")
    p.add_argument("-f", "--config-file", type=Path, metavar="FILE",
                   help="MkDocs configuration (default: the project's mkdocs.yml if it has "
                   "one, else a built-in configuration)")
    p.add_argument("--against", metavar="BASE",
                   help="add a Changes page: what the topologies do differently from the git "
                   "revision BASE, in words and file by file")
    p.set_defaults(run=_docs)

    p = command("completion", "Print the shell completion script for bash, zsh or fish.",
                project=False)
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")
    p.set_defaults(run=_completion)
    return parser


# --- the commands -----------------------------------------------------------------------------


def _project(args: argparse.Namespace) -> Project:
    from .api import find_project

    project: Project = find_project(explicit=getattr(args, "project", None))
    return project


def _reporter(args: argparse.Namespace, project: Project) -> Reporter:
    from .api import site_address
    from .formats import Reporter

    return Reporter(getattr(args, "format", "text"), lambda: site_address(project))


def _shown(path: Path) -> str:
    from .api import display

    shown: str = display(path)
    return shown


def _init(args: argparse.Namespace) -> int:
    from .api import init_project

    written = init_project(args.directory, name=args.name, force=args.force)
    for path, how in written:
        print(f"{how:8} {_shown(path)}", file=sys.stderr)
    topologies = [p for p, _ in written if p.parent.name == "topologies"]
    if topologies:
        print(f"next: edit {_shown(topologies[0])}, then meshgen validate && meshgen build",
              file=sys.stderr)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .api import check_files, expand_inputs
    from .formats import Finding

    project = _project(args)
    paths, _ = expand_inputs(args.files, project, stdin=True)
    results = check_files(paths)
    failed = any(r.errors or (args.strict and r.warnings) for r in results)

    def document() -> object:
        return [
            {
                "file": r.display,
                "valid": r.valid and not (args.strict and r.warnings),
                "problems": [p.as_dict() for p in r.problems],
            }
            for r in results
        ]

    explain = _rule_pages(project)

    def text(style: Style) -> Iterator[str]:
        for r in results:
            for problem in r.problems:
                yield explain(problem, style)

    _reporter(args, project).emit(
        [Finding.of_problem(p) for r in results for p in r.problems], document, text,
        [f"{r.display}: {_verdict(len(r.errors), len(r.warnings))}" for r in results])
    return EXIT_INVALID if failed else EXIT_OK


def _rule_pages(project: Project) -> Callable[[Problem, Style], str]:
    """How a problem is printed: as it formats itself, followed by the page of its rule on
    the project's published site when it has one (the ``site-url`` setting, or ``site_url``
    in ``mkdocs.yml``). The site is found when the first problem is printed: a valid topology
    does not read ``mkdocs.yml`` at all."""
    from functools import cache

    from .api import published_site

    site = cache(lambda: published_site(project))

    def explain(problem: Problem, style: Style) -> str:
        found = site()
        if found is None:
            return problem.format(style)
        return f"{problem.format(style)}\n    see: {found.rule(problem.rule)}"

    return explain


def _verdict(errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return "valid"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ("invalid: " if errors else "valid with ") + ", ".join(parts)


def _output(args: argparse.Namespace, project: Project) -> Path:
    """The output folder asked for, else the project's, as a path from the working folder
    (so that messages name it as the user would)."""
    if args.output is not None:
        given: Path = args.output
        return given
    return Path(_shown(project.output))


def _build(args: argparse.Namespace) -> int:
    from .api import build, expand_inputs, refresh_schema_file, up_to_date

    project = _project(args)
    paths, prune = expand_inputs(args.files, project)
    output = _output(args, project)
    shown = _shown(output)
    done = up_to_date(paths, output, prune)
    if done is None:
        reports = build(paths, output, prune=prune)
        lines = [f"{shown}/{report.summary()}" for report in reports]
    else:
        lines = [f"{shown}/{name}: up to date ({count} files)" for name, count in done]
    schema = refresh_schema_file(project)
    if schema is not None:
        lines.append(f"{_shown(schema)}: updated to this meshgen's schema")
    if not args.quiet:
        for line in lines:
            print(line)
    return EXIT_OK


def _drift(args: argparse.Namespace) -> tuple[Project, Path, list[Difference]]:
    from .api import differences, expand_inputs, schema_file_difference

    project = _project(args)
    paths, prune = expand_inputs(args.files, project)
    output = _output(args, project)
    found = differences(paths, output, prune=prune)
    schema = schema_file_difference(project, output)
    return project, output, found + ([schema] if schema is not None else [])


def _drift_findings(output: Path, found: Sequence[Difference]) -> list[Finding]:
    from .formats import Finding

    messages = {
        "changed": "differs from what meshgen build would write",
        "missing": "is missing: meshgen build writes it",
        "extra": "is not written by meshgen build (added by hand?)",
        "mode": "has other permissions than meshgen build gives it",
        "stale": "is a generated folder whose topology is gone",
    }
    return [Finding("output-stale" if d.kind == "stale" else "output-drift",
                    f"{_shown(output / d.path)} {messages.get(str(d.kind), str(d.kind))}; "
                    "run meshgen build and commit the result", _shown(output / d.path))
            for d in found]


def _drift_document(output: Path, found: Sequence[Difference]) -> object:
    return {"output": _shown(output), "up_to_date": not found,
            "differences": [{"path": d.path, "kind": str(d.kind), "diff": d.diff}
                            for d in found]}


def _check(args: argparse.Namespace) -> int:
    project, output, found = _drift(args)
    shown = _shown(output)
    if not found:
        summary = [f"{shown}/ is up to date"]
    else:
        summary = [f"\n{shown}/ differs from what meshgen build would write:",
                   *(f"  {d.kind:8} {_shown(output / d.path)}" for d in found),
                   "run 'meshgen build' and commit the result"]
    _reporter(args, project).emit(
        _drift_findings(output, found), lambda: _drift_document(output, found),
        lambda style: (style.diff(d.diff) for d in found), summary)
    return EXIT_INVALID if found else EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from .api import change_summary, expand_inputs, summary_text
    from .errors import UsageError

    if args.summary:
        if args.format not in SUMMARY_FORMATS:
            raise UsageError(f"--summary is written as {', '.join(SUMMARY_FORMATS)}, not "
                             f"{args.format}")
        project = _project(args)
        paths, _ = expand_inputs(args.files, project)
        summary = change_summary(paths, _output(args, project))
        sys.stdout.write(summary_text(summary, args.format))
        return EXIT_INVALID if summary.changed and args.exit_code else EXIT_OK
    if args.format == "markdown":
        raise UsageError("markdown is a format of --summary; the diff itself is text, json, "
                         "github or sarif")
    project, output, found = _drift(args)
    shown = [d for d in found if args.with_manifest or not _is_manifest(d.path)]
    _reporter(args, project).emit(
        _drift_findings(output, shown), lambda: _drift_document(output, shown),
        lambda style: (style.diff(d.diff) for d in shown))
    return EXIT_INVALID if found and args.exit_code else EXIT_OK


def _is_manifest(path: str) -> bool:
    return path.rpartition("/")[2] == "MANIFEST.json"


def _review(args: argparse.Namespace) -> int:
    from .api import review, summary_text

    topologies = args.topologies or _project(args).topologies
    sys.stdout.write(summary_text(review(args.base, topologies), args.format))
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from .api import expand_inputs, show

    paths, _ = expand_inputs(args.files, _project(args), stdin=True)
    sys.stdout.write(show(paths, args.format))
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
    project = _project(args)
    target = new_topology(args.name, Path(args.output) if args.output else None, args.force,
                          project=project)
    print(f"wrote {_shown(target)}; next: meshgen validate {_shown(target)}", file=sys.stderr)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from .api import expand_inputs, verify
    from .formats import Finding

    project = _project(args)
    paths, _ = expand_inputs(args.files, project)
    output = _output(args, project)
    report = verify(paths, output, crds=args.crds, strongswan_values=args.strongswan_values,
                    gitops_schemas=args.gitops_schemas,
                    offline=args.offline or project.settings.verify.offline,
                    settings=project.settings.verify,
                    notify=lambda line: print(line, file=sys.stderr))
    findings = [Finding(f.rule, f"{f.subject}: {f.path or '(top)'}: {f.message}",
                        _shown(output / f.file), f.line) for f in sorted(report.findings)]
    _reporter(args, project).emit(findings, report.as_dict,
                                  lambda _style: report.lines(), report.summary().splitlines())
    return EXIT_OK if report.ok else EXIT_INVALID


def _docs(args: argparse.Namespace) -> int:
    from .docs.command import run_docs

    project = _project(args)
    code: int = run_docs(project, serve=args.serve, config_file=args.config_file,
                         site_dir=args.site_dir, dev_addr=args.dev_addr, against=args.against)
    return code


def _completion(args: argparse.Namespace) -> int:
    from .completion import script

    sys.stdout.write(script(args.shell))
    return EXIT_OK


# --- running ----------------------------------------------------------------------------------


def _report_invalid(args: argparse.Namespace, problems: Sequence[Problem]) -> None:
    """Problems that stop a command (invalid topologies, entries under output/ meshgen did not
    write) in the format asked for; the caller then says on stderr that nothing was written."""
    project = _project(args)
    if getattr(args, "format", "text") not in ("text", "yaml"):  # show's yaml: as text
        from .formats import Finding

        _reporter(args, project).emit(
            [Finding.of_problem(p) for p in problems],
            lambda: {"ok": False, "problems": [p.as_dict() for p in problems]},
            lambda _style: ())
        return
    from .terminal import Style

    style, explain = Style.for_stream(sys.stderr), _rule_pages(project)
    for problem in problems:
        print(explain(problem, style), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see meshgen completion)
        from .completion import complete

        complete(parser)
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_USAGE
    from .errors import ForeignEntries, MeshgenError, SettingsInvalid, TopologyInvalid

    try:
        return run(args)
    except TopologyInvalid as exc:
        _report_invalid(args, exc.problems)
        print(f"meshgen: {len(exc.errors)} error(s); nothing was written", file=sys.stderr)
        return exc.exit_code
    except ForeignEntries as exc:
        _report_invalid(args, exc.problems)
        count = len(exc.problems)
        print(f"meshgen: {count} entr{'ies' if count != 1 else 'y'} meshgen did not write; "
              "none was opened, and nothing was written", file=sys.stderr)
        return exc.exit_code
    except SettingsInvalid as exc:
        print(f"{exc}\nmeshgen: the settings above are not valid", file=sys.stderr)
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
