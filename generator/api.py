"""The public API: check topology files, render them, write, compare or verify ``output/``,
say what a change does, start a new topology.

Everything the command line does goes through these functions; they raise only
:class:`~generator.errors.MeshgenError` subclasses for problems a user can fix. Each function
imports the modules it needs when it runs, so that the quick answers of the command line (an
unchanged rebuild, ``new``, ``schema``) load neither the model, the checks nor the targets.

May import: ``inputs``, ``model``, ``catalog``, ``checks``, ``rules``, ``artifacts``,
``targets``, ``output``, ``verify``, ``scaffold``, ``summary``, ``templating``, ``errors``,
``enums``, ``text``, ``yamlout``.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import (
    InputError,
    Location,
    MeshgenError,
    OutputDrift,
    Problem,
    Severity,
    TopologyInvalid,
    UsageError,
    once_each,
    sort_key,
)
from .inputs.project import (
    LOCAL_SCHEMA,
    STDIN,
    STDIN_DISPLAY,
    Project,
    display,
    expand_inputs,
    find_project,
)

TYPE_CHECKING = False  # typing itself is not imported: an unchanged rebuild comes this way
if TYPE_CHECKING:
    from .artifacts import RenderedTree
    from .inputs.loader import SourceDocument
    from .inputs.settings import VerifySettings
    from .inputs.site import SiteAddress
    from .model import Topology
    from .output.tree import Difference as Difference  # for the command line's type hints
    from .output.writer import WriteReport
    from .summary.report import Side, Summary
    from .verify.run import VerifyReport


@dataclass(frozen=True)
class CheckedTopology:
    """The outcome of checking one file: the model when it could be built, and all problems."""

    display: str
    topology: Topology | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return self.topology is not None and not self.errors


def check_file(path: Path, display: str | None = None) -> CheckedTopology:
    """Load, schema-check, model and semantically check one topology file (``-``: standard
    input, shown as ``<stdin>``)."""
    from .inputs.loader import LoadFailed, read_source

    shown = display if display is not None else str(path)
    try:
        document = _read_stdin() if str(path) == STDIN else read_source(path, shown)
    except LoadFailed as failed:
        return CheckedTopology(shown, None, tuple(sorted(failed.problems, key=sort_key)))
    return _check_document(document, STDIN_DISPLAY if str(path) == STDIN else path.name)


def check_source(raw: bytes, display: str, source: str) -> CheckedTopology:
    """The same as :func:`check_file`, for a topology's bytes read some other way (from a
    git revision, say); ``source`` is its file name, as generated headers give it."""
    from .inputs.loader import LoadFailed, parse_source

    try:
        document = parse_source(raw, display)
    except LoadFailed as failed:
        return CheckedTopology(display, None, tuple(sorted(failed.problems, key=sort_key)))
    return _check_document(document, source)


def _read_stdin() -> SourceDocument:
    import sys

    from .inputs.loader import parse_source
    from .inputs.source_file import MAX_BYTES

    try:
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    except (OSError, AttributeError, ValueError) as exc:
        raise InputError(f"cannot read standard input: {exc}") from None
    return parse_source(raw, STDIN_DISPLAY)


def _check_document(document: SourceDocument, source: str) -> CheckedTopology:
    from .catalog import catalogs
    from .checks import run_checks
    from .checks.key_files import key_file_problems
    from .checks.sets import gather
    from .inputs.schema import validate_structure
    from .model import build_model

    lost = document.lost
    # The loader reported each value it left out; what the schema says of its absence would
    # repeat that.
    problems = [*document.problems, *(p for p in validate_structure(document.data)
                                      if not any(p.path[:len(at)] == at for at in lost))]
    # Unknown fields are ignored by the model, so they don't take their entry out of it.
    broken = lost | frozenset(p.path for p in problems
                              if p.severity is Severity.ERROR and p.rule != "unknown-field")
    topology = build_model(document.data, catalogs(), broken, source, document.sha256)
    # Relative key files are read from where apply.sh is started: the project folder.
    project = find_project()
    problems = problems + run_checks(topology) + list(
        key_file_problems(topology, project.root, project.output))
    located = once_each(sorted(gather(problems, document.locate), key=sort_key))
    return CheckedTopology(document.display, topology, tuple(located))


def check_files(paths: Sequence[Path]) -> list[CheckedTopology]:
    """Check every file; also refuse two files that claim the same topology name. A file that
    is missing or cannot be read is an :class:`InputError` (exit 2), not a problem found."""
    for path in paths:
        if str(path) != STDIN and not path.exists():
            raise InputError(f"{path}: no such file")
    with no_cycle_collection():
        results = [check_file(p, display(p)) for p in paths]
    for result in results:
        unreadable = [p for p in result.problems if p.rule == "unreadable"]
        if unreadable:
            raise InputError(unreadable[0].format())
    owners: dict[str, CheckedTopology] = {}
    for i, result in enumerate(results):
        if result.topology is None or not result.topology.name:
            continue
        name = result.topology.name
        if name in owners:
            problem = Problem(
                "duplicate-topology",
                f"topology name '{name}' is also used by {owners[name].display}",
                ("name",),
                "each topology writes output/<name>/; give each file its own name",
            )
            document_problem = _locate_name(paths[i], result.display, problem)
            results[i] = CheckedTopology(result.display, result.topology,
                                         tuple(sorted((*result.problems, document_problem),
                                                      key=sort_key)))
        else:
            owners[name] = result
    return results


def _locate_name(path: Path, display: str, problem: Problem) -> Problem:
    from .inputs.loader import read_source

    if str(path) == STDIN:
        return problem.located(Location(STDIN_DISPLAY, 1, 1))
    return read_source(path, display).locate_problem(problem)


def topology_files(named: Sequence[Path], project: Project | None = None
                   ) -> tuple[list[Path], bool]:
    """The files named (a folder: every topology in it), or every topology of the project
    (found from the working folder when not given); the flag is true in the second case,
    where a build also prunes the output folders no topology owns any more."""
    return expand_inputs(named, project if project is not None else find_project())


def default_topologies(folder: Path | None = None) -> list[Path]:
    """Every topology file in ``folder``, or of the project the working folder is in."""
    if folder is not None:
        from .inputs.project import topologies_in

        if not folder.is_dir():
            raise InputError(f"{display(folder)}: no such folder")
        return topologies_in(folder)
    return find_project().default_topologies()


def require_valid(results: Iterable[CheckedTopology]) -> list[Topology]:
    results = list(results)
    invalid = [r for r in results if not r.valid]
    if invalid:
        problems = [p for r in invalid for p in r.problems]
        raise TopologyInvalid(problems)
    return [r.topology for r in results if r.topology is not None]


def render(topology: Topology) -> RenderedTree:
    """Every file of ``output/<name>/`` for one valid topology, as bytes."""
    from .artifacts import render_tree, taken
    from .targets import render_artifacts

    artifacts = render_artifacts(topology)
    return render_tree(topology.name, topology.source, topology.source_sha256, taken(artifacts))


@dataclass(frozen=True)
class Plan:
    """Rendered trees for the topologies asked for (with the sha256 of the bytes each was
    read from), and generated folders no topology owns."""

    trees: tuple[RenderedTree, ...]
    sources: tuple[str, ...]
    stale: tuple[str, ...]


def plan(paths: Sequence[Path], output: Path, prune: bool) -> Plan:
    return _plan(require_valid(check_files(paths)), output, prune)


def _plan(topologies: Sequence[Topology], output: Path, prune: bool) -> Plan:
    from .output.folders import folders_in, generated_folder

    trees = tuple(render(t) for t in topologies)
    stale: tuple[str, ...] = ()
    if prune:
        names = {t.name for t in trees}
        stale = tuple(name for name in folders_in(output)
                      if name not in names and generated_folder(output / name))
    return Plan(trees, tuple(t.source_sha256 for t in topologies), stale)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: nearly every object a build (or a site) makes
    lives until it ends (the model, the files' text and bytes), and each of the collector's
    passes walks all of them (a tenth of a 100-cluster build) to free next to nothing. Memory
    is still freed by reference counting. Not for a long-running process (``docs --serve``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(paths: Sequence[Path], output: Path, prune: bool = False) -> list[WriteReport]:
    """Write ``output/<name>/`` for every topology; nothing is written unless all are valid
    and no folder holds an entry meshgen did not write (a link, a FIFO, ...).

    The trees and the build record are written in one locked section, so the record always
    describes the trees on disk, whatever other builds run at the same time."""
    with no_cycle_collection():
        return _build(paths, output, prune)


def _build(paths: Sequence[Path], output: Path, prune: bool) -> list[WriteReport]:
    from .output.record import forget, remember
    from .output.writer import WriteReport, writing

    the_plan = plan(paths, output, prune)
    with writing(output) as writer:
        comparisons = writer.compare(the_plan.trees)
        if the_plan.stale or any(c.differences for c in comparisons):
            forget(output)  # a folder with nothing to change is not written at all
        written = [writer.write(tree, comparison)
                   for tree, comparison in zip(the_plan.trees, comparisons, strict=True)]
        reports = list(written)
        for name in the_plan.stale:
            writer.remove(name)
            reports.append(WriteReport(name, removed=["(whole folder: its topology is gone)"]))
        remember(paths, [(report.name, report.files) for report in written], the_plan.sources,
                 output)
    return reports


def up_to_date(paths: Sequence[Path], output: Path, prune: bool = False
               ) -> list[tuple[str, int]] | None:
    """``(folder, file count)`` of each topology when a build would have nothing to do, told
    from the record of the last build without reading or rendering any topology; else None."""
    from .output.record import unchanged

    return unchanged(paths, output, prune)


def differences(paths: Sequence[Path], output: Path, prune: bool = False) -> list[Difference]:
    """What a build would change under ``output/``, each with its unified diff; paths start
    with the topology's folder."""
    with no_cycle_collection():
        return _differences(paths, output, prune)


def _differences(paths: Sequence[Path], output: Path, prune: bool) -> list[Difference]:
    from .output.prefetch import read_ahead
    from .output.tree import Difference, DifferenceKind, compare

    topologies = require_valid(check_files(paths))
    # The committed files are read (in a second process, where there is one) while rendering.
    with read_ahead(output, [t.name for t in topologies]) as committed:
        the_plan = _plan(topologies, output, prune)
        folders = committed()
    folders.found.refuse_foreign()
    found: list[Difference] = []
    for tree in the_plan.trees:
        walked = folders.found.walks[tree.name]
        found.extend(
            Difference(f"{tree.name}/{d.path}", d.kind, d.diff)
            for d in compare(walked.folder, tree, diffs=True, found=walked,
                             digests=folders.digests_of(tree.name)).differences
        )
    for name in the_plan.stale:
        found.append(Difference(name, DifferenceKind.STALE,
                                f"output/{name}/ has no topology any more\n"))
    return found


def check(paths: Sequence[Path], output: Path, prune: bool = False) -> None:
    """Raise :class:`OutputDrift` when ``output/`` is not exactly what a build would write."""
    found = differences(paths, output, prune)
    if found:
        listing = "\n".join(f"  {d.kind:8} {output.name}/{d.path}" for d in found)
        raise OutputDrift(
            f"{output}/ differs from what meshgen build would write ({len(found)} "
            f"file{'s' if len(found) != 1 else ''}):\n{listing}\n"
            "run meshgen build and commit the result\n\n" + "".join(d.diff for d in found)
        )


def verify(paths: Sequence[Path], output: Path, crds: Path | None = None,
           strongswan_values: Path | None = None, gitops_schemas: Path | None = None,
           offline: bool = False, settings: VerifySettings | None = None,
           notify: Callable[[str], None] | None = None) -> VerifyReport:
    """Every generated object of these topologies' output folders against its schema: the
    Istio CRDs (``crds`` or ``$MESHGEN_ISTIO_CRDS``, else those of the release each topology
    names, downloaded once into the cache unless ``offline``), the strongSwan chart's values
    (``strongswan_values`` or ``$MESHGEN_STRONGSWAN_VALUES``, else the chart's, the same way),
    the Flux and Argo CD CRD schemas (``gitops_schemas`` or ``$MESHGEN_GITOPS_SCHEMAS``, else
    those of the kinds the GitOps trees hold, the same way) and Kubernetes' own. ``notify``
    hears of each download."""
    from .inputs.settings import VerifySettings
    from .model import Istio
    from .targets.vpn.ends import CHART_VERSION
    from .verify.run import verify_output

    targeted = Istio().version  # the release meshgen targets
    topologies = require_valid(check_files(paths))
    releases = {}
    for t in topologies:
        releases[t.name] = targeted if t.istio.legacy else t.istio.version
        if t.istio.legacy and crds is None and notify is not None:
            notify(f"{t.name}: Istio {t.istio.version} published its CRDs without schemas; its "
                   f"objects are checked against those of Istio {targeted}")
    return verify_output(output, [t.name for t in topologies], crds=crds,
                         strongswan_values=strongswan_values, gitops_schemas=gitops_schemas,
                         releases=releases, chart_version=CHART_VERSION, offline=offline,
                         settings=settings if settings is not None else VerifySettings(),
                         notify=notify)


def published_site(project: Project | None = None) -> SiteAddress | None:
    """Where the project's documentation site is published (the ``site-url`` setting, else
    ``site_url`` in its ``mkdocs.yml``), for links to its pages (each rule's explanation);
    None when it names no address."""
    from .inputs.site import project_site

    project = project if project is not None else find_project()
    return project_site(project.root / "mkdocs.yml", project.settings.site_url)


def site_address(project: Project) -> SiteAddress:
    """The project's site as :func:`published_site` names it, else the one ``meshgen docs``
    builds in the project (a ``file://`` address), so that a report can always link to it."""
    from .inputs.site import SiteAddress, read_site_config, site_of

    config = read_site_config(project.root / "mkdocs.yml")
    built = (project.root / project.settings.site_dir).resolve().as_uri()
    return site_of(config, project.settings.site_url) or site_of(config, built) or \
        SiteAddress(built + "/", False)


def resolved(paths: Sequence[Path]) -> list[tuple[str, dict[str, object]]]:
    """Each valid topology as data in the schema's field names, every default applied and
    every link set made into its links, with the file it came from."""
    from .inputs.schema import topology_schema
    from .model.resolved import resolved_data

    results = check_files(paths)
    require_valid(results)
    version = topology_schema()["properties"]["apiVersion"]["const"]
    return [(r.display, {"apiVersion": version, **resolved_data(r.topology)})
            for r in results if r.topology is not None]


def show(paths: Sequence[Path], form: str = "yaml") -> str:
    """What ``meshgen show`` prints: the :func:`resolved` topologies as YAML (one document
    each, headed by a comment naming its file) or as JSON (an object for one topology, a list
    for several)."""
    import json

    from .yamlout import dump

    shown = resolved(paths)
    if form == "json":
        data = [model for _, model in shown]
        return json.dumps(data[0] if len(data) == 1 else data, indent=2,
                          ensure_ascii=False) + "\n"
    if form != "yaml":
        raise UsageError(f"unknown format '{form}': yaml or json")
    return "---\n".join(f"# {display}, resolved by meshgen show: every default applied, every "
                        f"link set expanded\n{dump(model)}" for display, model in shown)


def schema_text() -> str:
    """The JSON Schema of topology files, as ``meshgen schema`` prints it."""
    from .inputs.schema import schema_text as text

    return text()


def starter_topology(name: str, schema: str = "../schemas/topology.schema.json") -> str:
    """A commented starter topology named ``name`` (a DNS label) whose ``$schema`` modeline
    names ``schema`` (a path from the file's folder, or a URL)."""
    from .scaffold import starter_topology as starter

    return starter(name, schema)


def new_topology(name: str, target: Path | None = None, force: bool = False,
                 project: Project | None = None) -> Path:
    """Write the starter topology ``name`` to ``target`` (default: the project's
    ``topologies/<name>.yaml``) and return where it went; the project's local schema file,
    which its modeline names, is written too when missing."""
    from .scaffold import schema_reference

    project = project if project is not None else find_project()
    target = target if target is not None else project.topologies / f"{name}.yaml"
    text = starter_topology(name, schema_reference(target, project.root))
    write_new_file(target, text, force)
    if not (project.root / LOCAL_SCHEMA).exists():
        write_new_file(project.root / LOCAL_SCHEMA, schema_text())
    return target


def init_project(directory: Path, name: str | None = None, force: bool = False
                 ) -> list[tuple[Path, str]]:
    """Make ``directory`` a meshgen project (see :mod:`generator.scaffold`)."""
    from .scaffold import init_project as init

    return init(directory, name, force)


def schema_file_difference(project: Project, output: Path) -> Difference | None:
    """The project's local schema file (what topology modelines name) as a difference when
    it exists and is not this meshgen's schema; its path is relative to ``output``."""
    import difflib
    import os

    from .output.tree import Difference, DifferenceKind

    local = project.root / LOCAL_SCHEMA
    if not project.found or not local.is_file():
        return None
    try:
        current = local.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = ""
    wanted = schema_text()
    if current == wanted:
        return None
    shown = display(local)
    diff = "".join(difflib.unified_diff(current.splitlines(keepends=True),
                                        wanted.splitlines(keepends=True),
                                        f"a/{shown}", f"b/{shown}"))
    return Difference(Path(os.path.relpath(local, output)).as_posix(), DifferenceKind.CHANGED,
                      diff)


def refresh_schema_file(project: Project) -> Path | None:
    """Bring the project's local schema file up to this meshgen's schema (when the project
    has one and it differs); the file when it was rewritten."""
    local = project.root / LOCAL_SCHEMA
    if not project.found or not local.is_file():
        return None
    wanted = schema_text()
    try:
        if local.read_text(encoding="utf-8") == wanted:
            return None
    except UnicodeDecodeError:
        pass
    except OSError as exc:
        raise InputError(f"cannot read {display(local)}: {exc.strerror or exc}") from None
    write_new_file(local, wanted, force=True)
    return local


def write_new_file(target: Path, text: str, force: bool = False) -> None:
    """Write ``text`` to ``target``; an existing file is replaced only with ``force``."""
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


__all__ = [
    "CheckedTopology",
    "MeshgenError",
    "Project",
    "build",
    "change_summary",
    "check",
    "check_file",
    "check_files",
    "check_source",
    "default_topologies",
    "differences",
    "display",
    "expand_inputs",
    "find_project",
    "init_project",
    "new_topology",
    "no_cycle_collection",
    "published_site",
    "refresh_schema_file",
    "render",
    "require_valid",
    "resolved",
    "review",
    "schema_file_difference",
    "schema_text",
    "show",
    "site_address",
    "starter_topology",
    "summary_text",
    "topology_files",
    "up_to_date",
    "verify",
    "write_new_file",
]


# --- a change in words ---------------------------------------------------------------------------


def _side(result: CheckedTopology, files: dict[str, bytes] | None = None) -> Side:
    """One side of a comparison; the files it builds when it validates (or ``files``)."""
    from .summary.report import Side

    if files is None and result.valid and result.topology is not None:
        files = render(result.topology).files
    return Side(result.display, result.topology, len(result.errors), files)


def review(base: str | None = None, folder: Path = Path("topologies"),
           diffs: bool = False) -> Summary:
    """What the topologies in ``folder`` do differently from the same files at the git
    revision ``base`` (default: where this branch left the default branch). The files at
    ``base`` are read through git: nothing is checked out. Models are compared, and the files
    each builds, folder by folder (with each file's unified diff when ``diffs`` is asked)."""
    from .inputs.project import TOPOLOGY_SUFFIXES, topologies_in
    from .summary.git import repository
    from .summary.report import Summary, summarise

    repo = repository(folder if folder.is_dir() else Path.cwd())
    commit = repo.resolve(base) if base else repo.default_base()
    short = commit[:12]
    before = {
        name: _side(check_source(repo.read(commit, name), f"{name} at {short}",
                                 name.rpartition("/")[2]))
        for name in repo.files(commit, folder, TOPOLOGY_SUFFIXES)
    }
    now = topologies_in(folder) if folder.is_dir() else []
    after = {repo.relative(path): _side(check_file(path, display(path))) for path in now}
    summaries = [summarise(before.get(name), after.get(name), diffs)
                 for name in sorted(set(before) | set(after))]
    return Summary(f"{base or 'the default branch'} at {short}", summaries)


def change_summary(paths: Sequence[Path], output: Path) -> Summary:
    """What ``meshgen build`` would change, in words: each topology's model against its
    version at git's HEAD (the one the committed ``output/`` comes from), and the files it
    builds against those in ``output/<name>/``."""
    from .output.tree import read_regular, walk
    from .summary.git import at_head
    from .summary.report import Side, Summary, summarise

    summaries = []
    for path, result in zip(paths, check_files(paths), strict=True):
        name = result.topology.name if result.topology is not None else ""
        listing = walk(output / name) if name else None
        on_disk = ({e.path: read_regular(listing.location(e)) for e in listing.files}
                   if listing is not None and listing.files else None)
        committed = at_head(path)
        if committed is None and on_disk is None:
            summaries.append(summarise(None, _side(result)))
            continue
        old = (_side(check_source(committed, f"{result.display} at HEAD", path.name), on_disk)
               if committed is not None else Side(f"{result.display} at HEAD", None, 0,
                                                   on_disk, known=False))
        summaries.append(summarise(old, _side(result)))
    return Summary(f"HEAD and {output}/", summaries)


def summary_text(summary: Summary, form: str) -> str:
    """A summary as ``text``, ``markdown`` (for a pull-request comment) or ``json``."""
    from .summary.render import render as render_summary

    return render_summary(summary, form)
