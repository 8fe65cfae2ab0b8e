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
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import build, check_file
from generator.model import Topology

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


def write_tree(base: Path, tree: Mapping[str, str | bytes | Mapping]) -> None:  # type: ignore[type-arg]
    """Create files from a nested dict: names to text, bytes or further dicts."""
    for name, content in tree.items():
        path = base / name
        if isinstance(content, Mapping):
            path.mkdir(parents=True, exist_ok=True)
            write_tree(path, content)
        elif isinstance(content, bytes):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
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
    lines = ["name: lab", "clusters:"]
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


# Cases that cannot be committed as files, or are better written by a loop: each writes the
# case at the path it is given and returns the errors it must produce.
GENERATED: dict[str, Callable[[Path], list[tuple[str, int]]]] = {
    "generated-50-megabytes": _fifty_megabytes,
    "generated-utf16": _utf16,
    "generated-directory": _directory,
    "generated-400-spokes-that-talk": _spokes_that_talk,
}

BAD_CASES = committed_cases() + sorted(GENERATED)


def write_case(name: str, folder: Path) -> tuple[Path, Expected]:
    """Bad case ``name`` (a file of the corpus or a generated one) put in ``folder``: its path
    there and the errors it must produce."""
    path = folder / (f"{name}.yaml" if name in GENERATED else name)
    if name in GENERATED:
        return path, collections.Counter(GENERATED[name](path))
    raw = (BAD / name).read_bytes()
    path.write_bytes(raw)
    return path, expectations(raw)


# --- recorders standing in for cluster tools --------------------------------------------------

RECORDED_TOOLS = ("kubectl", "helm", "istioctl", "swanctl")
RECORDED_GATEWAY = "203.0.113.99"

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
stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read().decode(
    "latin-1")
with open(os.environ["RECORDER_LOG"], "a") as log:
    log.write(json.dumps({{"tool": os.path.basename(sys.argv[0]), "argv": argv,
                          "cwd": os.getcwd(), "files": files, "stdin": stdin}}) + "\\n")
query = " ".join(argv)
if "jsonpath" in query and "hostname" not in query:
    print("{gateway}")
'''


def install_recorders(folder: Path) -> Path:
    """Recorders for :data:`RECORDED_TOOLS` in a new ``folder`` (to put first on PATH); each
    call appends a JSON line to the file named by ``RECORDER_LOG``."""
    folder.mkdir()
    for tool in RECORDED_TOOLS:
        path = folder / tool
        path.write_text(RECORDER.format(python=sys.executable, gateway=RECORDED_GATEWAY)
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
