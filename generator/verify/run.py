"""``meshgen verify``: every generated object against the schema that applies to it.

``MANIFEST.json`` of each output folder says what each file holds (see
:class:`~generator.artifacts.Kind`):

* ``manifests``: each document by its apiVersion and kind, against the strict JSON Schema of a
  built-in Kubernetes kind (:mod:`.kube`) or of an Istio CRD (:mod:`.crds`). A document no
  schema covers is a failure, never a pass.
* ``istio-operator``: :mod:`.operator`.
* ``helm-values:istio/gateway``: the chart's values.schema.json; ``helm-values:istio/istiod``,
  ``helm-values:istio/base`` and ``helm-values:iks-charts/strongswan``: key paths of the chart's
  defaults (:mod:`.values`).
* ``flux`` and ``argocd``: each document against the strict schema of its controller's CRD
  (:mod:`.gitops`), from the folder given or downloaded (only those of the kinds present).
* ``kustomization``: every listed resource is a generated file of the same topology that holds
  objects (manifests, Flux objects), and every generated ConfigMap is made from a values file.
* scripts, strongSwan configs and text: not objects; counted, not checked here.
* any other kind: a failure (meshgen writes none).

Istio objects need the CRDs of the release being installed, and Flux and Argo CD objects the
schemas of their controllers' CRDs (:mod:`.sources`); when they are neither given nor to be
downloaded the run stops with an error instead of passing what it could not check.
"""

from __future__ import annotations

import json
import os
import posixpath
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..artifacts import MANIFEST, Chart, Kind
from ..errors import InputError, UsageError, dotted
from ..inputs.loader import FastLoader
from ..inputs.settings import VerifySettings
from ..output.reading import look
from ..output.tree import Walk
from .crds import CrdVersion, read_crds
from .download import OFFLINE_ENV, Cache, Notify, cache_root
from .gitops import GitOpsSchemas
from .kube import KUBERNETES_VERSION, KubernetesSchemas, Validator, kubernetes_schemas
from .operator import OperatorCheck, values_defaults
from .sources import (
    CRDS_ENV,
    GITOPS_DOWNLOADED,
    GITOPS_INSTEAD,
    Sources,
    catalogue_schemas,
    chart_values,
    find_sources,
    release_sources,
)
from .values import (
    ANY,
    ValuesProblem,
    chart_defaults,
    key_path_problems,
    schema_problems,
    shorten,
)

NOT_OBJECTS = frozenset({Kind.SCRIPT, Kind.STRONGSWAN_CONFIG, Kind.TEXT})
GITOPS = frozenset({Kind.FLUX, Kind.ARGOCD})
APPLIED = frozenset({Kind.MANIFESTS, Kind.FLUX})
"""Kinds of file a kustomization may list as a resource."""
FILE_RULE, VALUES_RULE = "verify-file", "verify-values"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: ``file`` relative to the output folder, ``document`` counted from 1."""

    file: str
    document: int
    subject: str
    path: str
    message: str
    rule: str = "verify-object"
    """The rule name (see ``generator.rules.OUTPUT_RULES``)."""
    line: int = 0
    """The line the document starts on, from 1; 0 where the file could not be read."""

    def format(self) -> str:
        return f"{self.file}:{self.document}: {self.subject}: {self.path or '(top)'}: " \
               f"{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "document": self.document, "line": self.line,
                "rule": self.rule, "subject": self.subject, "path": self.path,
                "message": self.message}


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Files not checked, with the reason (no chart defaults given, not objects)."""
    files: int = 0
    objects: int = 0
    load_seconds: float = 0.0
    check_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def per_object_ms(self) -> float:
        return 1000 * self.check_seconds / self.objects if self.objects else 0.0

    def lines(self) -> list[str]:
        return [f.format() for f in sorted(self.findings)]

    def summary(self) -> str:
        verdict = "all pass" if self.ok else f"{len(self.findings)} problem" + (
            "s" if len(self.findings) != 1 else "")
        text = (f"verified {self.objects} objects in {self.files} files: {verdict} "
                f"(schemas loaded in {1000 * self.load_seconds:.0f} ms; "
                f"{self.per_object_ms:.2f} ms per object)")
        reasons: dict[str, int] = {}
        for _, reason in self.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        for reason, count in sorted(reasons.items()):
            text += f"\n  not checked: {count} file{'s' if count != 1 else ''} ({reason})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "objects": self.objects,
            "problems": [f.as_dict() for f in sorted(self.findings)],
            "not_checked": [{"file": f, "reason": r} for f, r in sorted(self.skipped)],
            "timing": {"load_ms": round(1000 * self.load_seconds, 1),
                       "per_object_ms": round(self.per_object_ms, 3)},
        }


def is_istio(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group.endswith("istio.io") and group != "install.istio.io"


class Checker:
    """Everything needed to check objects, loaded once."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.kubernetes: KubernetesSchemas = kubernetes_schemas()
        self.crds: dict[tuple[str, str], CrdVersion] = read_crds(sources.crd_files)
        if sources.crd_files and not self.crds:
            shown = ", ".join(str(p) for p in sources.crd_files)
            raise UsageError(f"no CustomResourceDefinition with a schema in {shown}")
        self._crd_validators: dict[tuple[str, str], Validator] = {}
        self.gateway: Validator | None = None
        if sources.gateway_schema is not None:
            schema = _read_json(sources.gateway_schema)
            jsonschema.Draft7Validator.check_schema(schema)
            self.gateway = jsonschema.Draft7Validator(schema)
        self.istiod = _read_defaults(sources.istiod_defaults)
        self.base = _read_defaults(sources.base_defaults)
        self.strongswan = _read_defaults(sources.strongswan_defaults, internal=False)
        tree = (values_defaults(self.istiod, self.base)
                if self.istiod is not None and self.base is not None else None)
        self.operator = OperatorCheck(self.kubernetes, tree)
        self.gitops = (GitOpsSchemas(sources.gitops_schemas, sources.gitops_from,
                                     self.kubernetes.registry)
                       if sources.gitops_schemas is not None else None)

    def object_validator(self, api_version: str, kind: str) -> Validator | None:
        key = (api_version, kind)
        crd = self.crds.get(key)
        if crd is not None:
            if key not in self._crd_validators:
                self._crd_validators[key] = self.kubernetes.compile(crd.schema)
            return self._crd_validators[key]
        return self.kubernetes.validator(api_version, kind)

    def values_defaults(self, chart: Chart) -> Mapping[str, Any] | None:
        profile = {"profile": ANY}
        if chart is Chart.ISTIOD and self.istiod is not None:
            return {**self.istiod, **profile}
        if chart is Chart.ISTIO_BASE and self.base is not None:
            return {**self.base, **profile}
        if chart is Chart.STRONGSWAN:
            return self.strongswan
        return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def _read_defaults(path: Path | None, internal: bool = True) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=FastLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read chart defaults {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: chart defaults must be a mapping")
    return chart_defaults(data) if internal else dict(data)


# --- reading an output folder ---------------------------------------------------------------


@dataclass
class _File:
    path: str
    """Relative to the output folder: <topology>/<cluster>/..."""
    kind: Kind
    documents: list[Any]
    text: str = ""


def _manifest_entries(found: Walk) -> dict[str, str]:
    manifest = found.folder / MANIFEST
    try:
        data = json.loads(found.read(MANIFEST))
    except FileNotFoundError:
        raise InputError(f"{manifest} is missing; run meshgen build first") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {manifest}: {exc}") from None
    files = data.get("files") if isinstance(data, Mapping) else None
    if not isinstance(files, Mapping):
        raise InputError(f"{manifest} has no files table; run meshgen build again")
    return {str(path): str((entry or {}).get("kind", "")) for path, entry in files.items()}


def _read_folder(name: str, found: Walk, report: VerifyReport,
                 kinds: dict[str, str]) -> list[_File]:
    """The object files of one output folder; ``kinds`` gets the kind of every file. Only
    regular files the walk found are read: a path MANIFEST.json names that is anything else
    (or outside the folder) counts as missing."""
    out = []
    for path, named in sorted(_manifest_entries(found).items()):
        shown = f"{name}/{path}"
        kinds[shown] = named
        report.files += 1
        kind = Kind.named(named)
        if kind is None:
            report.findings.append(Finding(shown, 1, "-", "", f"unknown kind '{named}' in "
                                           "MANIFEST.json", FILE_RULE))
            continue
        if kind in NOT_OBJECTS:
            report.skipped.append((shown, "not Kubernetes objects"))
            continue
        try:
            text = found.read(path).decode("utf-8")
            documents = [d for d in yaml.load_all(text, Loader=FastLoader) if d is not None]
        except FileNotFoundError:
            report.findings.append(Finding(shown, 1, "-", "", "listed in MANIFEST.json but "
                                           "missing; run meshgen build", FILE_RULE))
            continue
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            report.findings.append(Finding(shown, 1, "-", "", shorten(f"not YAML: {exc}"),
                                           FILE_RULE))
            continue
        out.append(_File(shown, kind, documents, text))
    return out


def _subject(document: Any) -> str:
    if not isinstance(document, Mapping):
        return "-"
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return f"{document.get('kind', '?')}/{name or '?'}"


def _require_crds(files: Sequence[_File], sources: Sources) -> None:
    if sources.crd_files:
        return
    needing = [
        f"{f.path}: {_subject(d)}"
        for f in files if f.kind == Kind.MANIFESTS
        for d in f.documents
        if isinstance(d, Mapping) and is_istio(str(d.get("apiVersion", "")))
    ]
    if needing:
        shown = "\n  ".join(needing[:5]) + ("\n  ..." if len(needing) > 5 else "")
        raise UsageError(
            f"{len(needing)} Istio object{'s' if len(needing) != 1 else ''} need the Istio "
            f"CRDs to be checked:\n  {shown}\npass --crds PATH (an unpacked Istio release, or "
            f"its crd-all.gen.yaml) or set {CRDS_ENV}"
        )


def _require_gitops(files: Sequence[_File], sources: Sources) -> None:
    if sources.gitops_schemas is not None:
        return
    needing = [f.path for f in files if f.kind in GITOPS]
    if needing:
        shown = "\n  ".join(needing[:5]) + ("\n  ..." if len(needing) > 5 else "")
        raise UsageError(
            f"{len(needing)} file{'s' if len(needing) != 1 else ''} of Flux or Argo CD objects "
            f"need the schemas of their CRDs to be checked:\n  {shown}\n{GITOPS_INSTEAD}"
        )


def _gitops_kinds(files: Sequence[_File]) -> set[tuple[str, str]]:
    """The ``(apiVersion, kind)`` of every Flux and Argo CD object."""
    return {(d["apiVersion"], d["kind"]) for f in files if f.kind in GITOPS
            for d in f.documents if isinstance(d, Mapping)
            and isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)}


# --- checking -------------------------------------------------------------------------------


def _object_problems(checker: Checker, document: Any,
                     gitops: GitOpsSchemas | None = None) -> Iterator[ValuesProblem]:
    """Problems of one object: against ``gitops`` (a Flux or Argo CD object) when given,
    else against Kubernetes' own schemas and the Istio CRDs."""
    if not isinstance(document, Mapping):
        yield (), "not a Kubernetes object (a mapping with apiVersion and kind)"
        return
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        yield (), "apiVersion and kind are required"
        return
    metadata = document.get("metadata")
    if not isinstance(metadata, Mapping) or not metadata.get("name"):
        yield ("metadata",), "metadata.name is required"
    if gitops is not None:
        validator = gitops.validator(api_version, kind)
        where = f"{gitops.shown} {gitops.folder}"
    else:
        validator = checker.object_validator(api_version, kind)
        where = (f"the CRDs from {checker.sources.crds_from}" if is_istio(api_version)
                 else f"Kubernetes {KUBERNETES_VERSION} or the CRDs given")
    if validator is None:
        yield (), f"no schema for {api_version} {kind} in {where}"
        return
    yield from schema_problems(validator, document)


def _resolved(folder: str, relative: str) -> str | None:
    """``relative`` from ``folder`` (both under one topology's folder), or None when it leaves
    that topology's folder."""
    top = folder.partition("/")[0]
    path = posixpath.normpath(f"{folder}/{relative}")
    return path if path.startswith(f"{top}/") else None


def _kustomization_problems(file: _File, kinds: Mapping[str, str]) -> Iterator[ValuesProblem]:
    folder = file.path.rpartition("/")[0]
    for document in file.documents:
        resources = document.get("resources") if isinstance(document, Mapping) else None
        if not isinstance(resources, list):
            yield ("resources",), "a kustomization lists its resources"
            continue
        for i, resource in enumerate(resources):
            path = _resolved(folder, str(resource))
            kind = kinds.get(path) if path else None
            if kind is None:
                yield ("resources", i), f"{resource} is not a generated file of this topology"
            elif kind not in APPLIED:
                yield ("resources", i), f"{resource} holds {kind}, not objects kubectl applies"
        generators = document.get("configMapGenerator") or []
        for i, generator in enumerate(generators if isinstance(generators, list) else []):
            sources = generator.get("files") if isinstance(generator, Mapping) else None
            for j, entry in enumerate(sources if isinstance(sources, list) else []):
                path = _resolved(folder, str(entry).partition("=")[2] or str(entry))
                kind = Kind.named(kinds.get(path, "")) if path else None
                if kind is None or kind.chart is None:
                    yield (("configMapGenerator", i, "files", j),
                           f"{entry} is not a generated values file of this topology")


def _check_file(checker: Checker, file: _File, kinds: Mapping[str, str],
                report: VerifyReport) -> None:
    def add(index: int, subject: str, problems: Iterator[ValuesProblem],
            rule: str = "verify-object") -> None:
        for path, message in problems:
            report.findings.append(Finding(file.path, index, subject, dotted(path), message,
                                           rule))

    if file.kind == Kind.KUSTOMIZATION:
        add(1, "Kustomization", _kustomization_problems(file, kinds), "verify-kustomization")
        return
    if file.kind == Kind.MANIFESTS:
        for index, document in enumerate(file.documents, 1):
            report.objects += 1
            add(index, _subject(document), _object_problems(checker, document))
        return
    if file.kind in GITOPS and checker.gitops is not None:
        for index, document in enumerate(file.documents, 1):
            report.objects += 1
            add(index, _subject(document), _object_problems(checker, document, checker.gitops))
        return
    if file.kind == Kind.ISTIO_OPERATOR:
        for index, document in enumerate(file.documents, 1):
            report.objects += 1
            add(index, _subject(document), checker.operator.problems(document))
        if not checker.operator.checks_values:
            report.skipped.append((file.path, "spec.values: no istiod/base chart defaults "
                                   "given with --crds"))
        return
    chart = file.kind.chart
    if chart is None:
        return  # the kinds that are not objects were counted when the folder was read
    subject = f"values({chart})"
    values = file.documents[0] if file.documents else {}
    if chart is Chart.ISTIO_GATEWAY and checker.gateway is not None:
        report.objects += 1
        add(1, subject, schema_problems(checker.gateway, values), VALUES_RULE)
        return
    defaults = checker.values_defaults(chart)
    if defaults is None:
        report.skipped.append((file.path, f"no defaults or schema of chart {chart} given"))
        return
    report.objects += 1
    add(1, subject, key_path_problems(values, defaults), VALUES_RULE)


@dataclass(frozen=True)
class Downloads:
    """How to get the schemas not given: the cache, where from, and for each topology the
    Istio release whose files its objects are checked against."""

    cache: Cache
    releases: Mapping[str, str]
    chart_version: str
    settings: VerifySettings


def _needs_istio(files: Sequence[_File]) -> bool:
    return any(f.kind in (Kind.ISTIO_OPERATOR, Kind.ISTIOD_VALUES, Kind.ISTIO_BASE_VALUES,
                          Kind.ISTIO_GATEWAY_VALUES) or (f.kind == Kind.MANIFESTS and any(
                              isinstance(d, Mapping) and is_istio(str(d.get("apiVersion", "")))
                              for d in f.documents)) for f in files)


def _checkers(by_topology: Mapping[str, list[_File]], given: Sources,
              downloads: Downloads | None) -> dict[str, Checker]:
    """The checker of each topology: one for all when the CRDs were given (or nothing may be
    downloaded), else one per Istio release, with the files downloaded once. The schemas of
    the Flux and Argo CD kinds present, when not given, are downloaded either way."""
    files = [f for group in by_topology.values() for f in group]
    if downloads is not None and given.gitops_schemas is None and \
            any(f.kind in GITOPS for f in files):
        given = replace(given, gitops_from=GITOPS_DOWNLOADED, gitops_schemas=catalogue_schemas(
            _gitops_kinds(files), downloads.cache, downloads.settings.gitops_url))
    if given.crd_files or downloads is None:
        _require_crds(files, given)  # before the schemas are loaded: a usage error is quick
        checker = Checker(given)
        return dict.fromkeys(by_topology, checker)
    releases = sorted({downloads.releases.get(name, "") for name, group in by_topology.items()
                       if _needs_istio(group)} - {""})
    fetched = {release: release_sources(release, downloads.cache,
                                        downloads.settings.istio_url) for release in releases}
    strongswan = given.strongswan_defaults
    if strongswan is None and any(f.kind.chart is Chart.STRONGSWAN for f in files):
        strongswan = chart_values(downloads.chart_version, downloads.cache,
                                  downloads.settings.strongswan_url)
    by_release: dict[str, Checker] = {}
    plain: Checker | None = None
    checkers: dict[str, Checker] = {}
    for name, group in by_topology.items():
        release = downloads.releases.get(name, "")
        if not release or not _needs_istio(group):
            if plain is None:
                plain = Checker(replace(given, strongswan_defaults=strongswan))
            checkers[name] = plain
            continue
        if release not in by_release:
            by_release[release] = Checker(replace(
                fetched[release], strongswan_defaults=strongswan,
                gitops_schemas=given.gitops_schemas, gitops_from=given.gitops_from))
        checkers[name] = by_release[release]
    return checkers


def verify_output(output_dir: Path, names: Sequence[str], crds: Path | None = None,
                  strongswan_values: Path | None = None,
                  environ: Mapping[str, str] | None = None,
                  gitops_schemas: Path | None = None,
                  releases: Mapping[str, str] | None = None, chart_version: str = "",
                  offline: bool = False, settings: VerifySettings | None = None,
                  notify: Notify | None = None) -> VerifyReport:
    """Check every object of ``output_dir/<name>/`` for each name. The schemas not given are
    downloaded into the cache (unless ``offline``) when ``releases`` names each topology's
    Istio release; without it, the Istio CRDs and the GitOps schemas must be given."""
    report = VerifyReport()
    started = time.perf_counter()
    given = find_sources(crds, strongswan_values, environ, gitops_schemas)
    kinds: dict[str, str] = {}
    folders = look(output_dir, names)
    folders.refuse_foreign()
    by_topology = {name: _read_folder(name, folders.walks[name], report, kinds)
                   for name in names}
    downloads = None
    if releases is None:
        # Before anything is loaded: a usage error is quick.
        _require_gitops([f for files in by_topology.values() for f in files], given)
    else:
        chosen = settings if settings is not None else VerifySettings()
        env = os.environ if environ is None else environ
        offline = offline or bool(env.get(OFFLINE_ENV))
        downloads = Downloads(Cache(cache_root(env), offline, chosen.timeout, notify),
                              releases, chart_version, chosen)
    checkers = _checkers(by_topology, given, downloads)
    report.load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for name, files in by_topology.items():
        for file in files:
            _check_file(checkers[name], file, kinds, report)
    report.check_seconds = time.perf_counter() - started
    _locate_documents(report, [f for files in by_topology.values() for f in files])
    return report


def document_lines(text: str) -> list[int]:
    """The line each non-empty YAML document of ``text`` starts on, from 1."""
    return [node.start_mark.line + 1 for node in yaml.compose_all(text, Loader=FastLoader)
            if not (isinstance(node, yaml.ScalarNode) and node.tag == _NULL)]


def _locate_documents(report: VerifyReport, files: Sequence[_File]) -> None:
    """Give each finding the line its document starts on (only files with findings are read
    again, so a passing run pays nothing)."""
    texts = {f.path: f.text for f in files}
    lines = {path: document_lines(texts[path])
             for path in {f.file for f in report.findings} if path in texts}
    report.findings = [
        replace(f, line=lines[f.file][f.document - 1])
        if f.file in lines and 0 < f.document <= len(lines[f.file]) else f
        for f in report.findings
    ]
