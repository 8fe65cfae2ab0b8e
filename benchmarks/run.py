"""Speed and memory of meshgen at scale: prints a Markdown table.

    python benchmarks/run.py                 # every case (a few minutes)
    python benchmarks/run.py --quick         # 10 and 100 clusters only
    python benchmarks/run.py --cases 100-mesh-1p,200-hub-1p

Each stage runs ``python -m generator ...`` as its own process in a scratch project under
``benchmarks/.work/`` and is measured as wall time and peak resident memory of that process
(``os.wait4``). ``verify`` needs the Istio CRDs, chart values and GitOps CRD schemas: from
``MESHGEN_ISTIO_CRDS``, ``MESHGEN_STRONGSWAN_VALUES`` and ``MESHGEN_GITOPS_SCHEMAS``, or a
``shared/reference`` folder beside the project. The
refusal of bad input runs every case of the tests' bad-input corpus (``tests/bad/`` and the
cases the tests make, such as a 50 MB file), and so does the refusal of the hostile output
folders (links, FIFOs and devices planted under ``output/``) by every command.

The 100-cluster full mesh is also built and checked on a memory-backed file system (/dev/shm)
in turn with its floors (``floor.py``: a plain Python process writing the same bytes to the
same paths, and one reading them), and each round's ratio is reported: figures that the
machine's load blurs far less than absolute times. The seed is edited one line at a time and
rebuilt, as a person works on a topology.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project and the tests' bad-input corpus

from benchmarks.synthetic import synthetic  # noqa: E402
from generator.output.prefetch import usable_cores  # noqa: E402

CASES: dict[str, tuple[int, int, str] | tuple[int, int, str, bool]] = {
    "10-mesh-1p": (10, 1, "mesh"),
    "10-hub-3p": (10, 3, "hub"),
    "100-mesh-1p": (100, 1, "mesh"),
    "100-mesh-1p-gitops": (100, 1, "mesh", True),
    "100-hub-1p": (100, 1, "hub"),
    "100-hub-5p": (100, 5, "hub"),
    "200-hub-1p": (200, 1, "hub"),
    "200-hub-5p": (200, 5, "hub"),
    "200-mesh-1p": (200, 1, "mesh"),
}
QUICK = ("10-mesh-1p", "10-hub-3p", "100-mesh-1p", "100-mesh-1p-gitops", "100-hub-1p")


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    code: int
    stdout: str


TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


def measure(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one child process.

    The peak comes from GNU time where it is installed: a process forked from this one would
    otherwise count this (large) process's pages in its own peak. Without it, ``os.wait4``
    gives an upper bound.
    """
    report = RUN / "time.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    command = [TIME, "-f", "%M", "-o", str(report), *args] if TIME else args
    start = time.perf_counter()
    # As installed for real: modules compiled once, not on every run.
    child_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**child_env, **(env or {})}, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    peak_kb = usage.ru_maxrss
    if TIME:
        lines = report.read_text().split()
        peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else peak_kb
    return Run(elapsed, peak_kb / 1024, code, out)


def meshgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def settle() -> None:
    """Let the writes of earlier stages reach the disk before a cold build is timed."""
    os.sync()
    time.sleep(1.0)


def reference_env() -> dict[str, str] | None:
    env = {}
    for variable, folder in (("MESHGEN_ISTIO_CRDS", "istio-1.30.3"),
                             ("MESHGEN_STRONGSWAN_VALUES", "iks-strongswan-2.10.7"),
                             ("MESHGEN_GITOPS_SCHEMAS", "gitops")):
        if os.environ.get(variable):
            env[variable] = os.environ[variable]
            continue
        for base in (ROOT.parent / "shared" / "reference", Path("/work/shared/reference")):
            if (base / folder).is_dir():
                env[variable] = str(base / folder)
                break
    return env if len(env) == 3 else None


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for p in folder.rglob("*"):
        if p.is_file() and ".meshgen" not in p.name:
            st = p.stat()
            found[str(p)] = (st.st_ino, st.st_mtime_ns)
    return found


# Each run works in a folder of its own and deletes nothing until it is done: on some disks
# (ext4 with online discard, as on the machine in the README) a large deletion slows down the
# file creation that follows it for a while, which would be measured as build time.
RUN = HERE / ".work" / f"run-{os.getpid()}"


def project(name: str, data: dict[str, object] | None) -> Path:
    work = RUN / name
    (work / "topologies").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", work / "docs")
    if data is None:
        shutil.copy(ROOT / "topologies" / "icp-iks-bookinfo.yaml", work / "topologies")
    else:
        text = yaml.safe_dump(data, sort_keys=False, width=200)
        (work / "topologies" / f"{data['name']}.yaml").write_text(text, encoding="utf-8")
    return work


def startup() -> list[str]:
    rows = []
    for flag in ("--version", "--help"):
        best = min(measure(meshgen(flag), ROOT).seconds
                   for _ in range(7))
        rows.append(f"| `meshgen {flag}` | {best * 1000:.0f} ms | target < 150 ms |")
    return rows


def seed(runs: int = 5) -> list[str]:
    """Median of ``runs`` rounds, each in a fresh project (so nothing is deleted in between)."""
    totals, validates, firsts, agains, rewritten = [], [], [], [], 0
    edits: list[float] = []
    for round_ in range(runs):
        work = project(f"seed-{round_}", None)
        validate = measure(meshgen("validate"), work)
        settle()
        first = measure(meshgen("build", "-q"), work)
        before = snapshot(work / "output")
        again = measure(meshgen("build", "-q"), work)
        rewritten = max(rewritten, sum(1 for k, v in snapshot(work / "output").items()
                                       if before.get(k) != v))
        validates.append(validate.seconds)
        firsts.append(first.seconds)
        totals.append(validate.seconds + first.seconds)
        agains.append(again.seconds / first.seconds)
        for edit in range(2):
            edit_one_line(work / "topologies" / "icp-iks-bookinfo.yaml", f"{round_}.{edit}")
            edited = measure(meshgen("build", "-q"), work)
            assert edited.code == 0, "the edited seed did not build"
            edits.append(edited.seconds)
    imports = [measure([sys.executable, "-c", "import jinja2, jsonschema, yaml"], ROOT).seconds
               for _ in range(2 * runs + 1)]
    ms = {name: statistics.median(values) * 1000
          for name, values in (("total", totals), ("validate", validates), ("first", firsts),
                               ("edit", edits), ("imports", imports))}
    share = statistics.median(agains)
    return [
        f"| seed: validate + build (median of {runs}) | {ms['total']:.0f} ms "
        f"({ms['validate']:.0f} + {ms['first']:.0f}) | target < 400 ms |",
        f"| seed: rebuild, nothing changed | {share:.0%} of the first build, {rewritten} files "
        "written | target: no file, < 50% |",
        f"| seed: a one-line edit, then build (median of {len(edits)}) | {ms['edit']:.0f} ms "
        "| target <= 100 ms |",
        f"| the floor under that: Python starting and importing jinja2, jsonschema and PyYAML "
        f"(median of {len(imports)}) | {ms['imports']:.0f} ms | (nothing of meshgen's own) |",
    ]


def edit_one_line(path: Path, mark: str) -> None:
    """A real edit of one line of a topology: its description gains a word (so the build has
    to validate, render and write again)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("description: "))
    lines[at] = f"{lines[at].rstrip()} (edit {mark})\n"
    path.write_text("".join(lines), encoding="utf-8")


@dataclass
class Refusals:
    """Runs that must each refuse (exit 1, or the exit given): the slowest of each command,
    the largest peak, and any that did not refuse as expected (the tests say why)."""

    title: str
    short: str
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)
    largest: tuple[float, str] = (0.0, "")
    wrong: list[str] = field(default_factory=list)

    def add(self, command: str, case: str, run: Run, expected: int = 1) -> None:
        if run.code != expected:
            self.wrong.append(f"{command} {case}: exit {run.code}")
        self.slowest[command] = max(self.slowest.get(command, (0.0, "")), (run.seconds, case))
        self.largest = max(self.largest, (run.peak_mb, f"{case}, {command}"))

    def rows(self, seconds: dict[str, float] | None = None) -> list[str]:
        targets = seconds or {}
        rows = [f"| {self.title}: `meshgen {command}`, slowest | {took:.2f} s ({case}) "
                f"| target < {targets.get(command, 1):g} s |"
                for command, (took, case) in self.slowest.items()]
        rows.append(f"| {self.short}: peak memory, largest | {self.largest[0]:.0f} MB "
                    f"({self.largest[1]}) | target < 200 MB |")
        if self.wrong:
            rows.append(f"| {self.short}: not refused as expected | {'; '.join(self.wrong)} "
                        "| none |")
        return rows


def bad_input() -> list[str]:
    """``validate`` and ``build`` refusing every case of the bad-input corpus: the slowest run
    of each command and the largest peak (the tests check what is reported, this how fast)."""
    # Imported here: the other stages are measured before this process has grown by it.
    from tests.helpers import BAD_CASES, UNREADABLE, VALID, write_case

    work = RUN / "bad"
    (work / "topologies").mkdir(parents=True)
    (work / "valid").mkdir()
    (work / "valid" / "lab.yaml").write_text(VALID, encoding="utf-8")
    built = measure(meshgen("build", "-q", "-o", "output", "valid/lab.yaml"), work)
    assert built.code == 0, "the valid topology of the tests did not build"
    refusals = Refusals(f"bad input ({len(BAD_CASES)} files)", "bad input")
    for name in BAD_CASES:
        path, _ = write_case(name, work / "topologies")
        shown = f"topologies/{path.name}"
        for command in (("validate", shown), ("build", shown, "-o", "output")):
            refusals.add(command[0], name, measure(meshgen(*command), work),
                         2 if name in UNREADABLE else 1)
    return refusals.rows()


def hostile_output() -> list[str]:
    """Each command refusing every case of the tests' hostile output folders (links, FIFOs,
    sockets, devices planted under output/): the slowest run and the largest peak. A FIFO
    waited on or a /dev/zero read would show here as a run that never ends."""
    import pytest

    from tests.helpers import HOSTILE_OUTPUT, VALID, make_project, plant_hostile

    built = make_project(RUN / "hostile" / "built", {"lab.yaml": VALID}, built=("lab.yaml",))
    commands = {"build": (), "check": (), "diff": (), "verify": (), "docs": ("-d", "site")}
    refusals = Refusals(f"hostile output/ ({len(HOSTILE_OUTPUT)} cases)", "hostile output/")
    for name, hostile in HOSTILE_OUTPUT.items():
        work = RUN / "hostile" / name
        shutil.copytree(built, work, symlinks=True)
        try:
            plant_hostile(work, hostile)
        except pytest.skip.Exception:  # a device node needs root: left out without it
            continue
        for command, extra in commands.items():
            refusals.add(command, name, measure(meshgen(command, *extra), work))
    return refusals.rows(seconds={"docs": 5})


def case(name: str, env: dict[str, str] | None, docs: bool) -> tuple[str, float]:
    data = synthetic(*CASES[name])
    clusters, primaries, vpn = CASES[name][:3]
    work = project(name, data)
    size = (work / "topologies" / f"{data['name']}.yaml").stat().st_size
    cells: list[str] = []

    def cell(run: Run) -> str:
        mark = f" (exit {run.code})" if run.code else ""
        return f"{run.seconds:.2f} s / {run.peak_mb:.0f} MB{mark}"

    cells.append(cell(measure(meshgen("validate"), work)))
    settle()
    cold = measure(meshgen("build", "-q"), work)
    cells.append(cell(cold))
    files = sum(1 for p in (work / "output").rglob("*") if p.is_file()) - 1
    before = snapshot(work / "output")
    warm = measure(meshgen("build", "-q"), work)
    rewritten = sum(1 for k, v in snapshot(work / "output").items() if before.get(k) != v)
    cells.append(cell(warm) + f", {rewritten} written")
    cells.append(cell(measure(meshgen("check"), work)))
    if env is not None:
        run = measure(meshgen("verify", "--format", "json"), work, env)
        report = json.loads(run.stdout or "{}")
        objects = int(report.get("objects", 0))
        per = run.seconds * 1000 / objects if objects else 0.0
        cells.append(cell(run) + f", {objects} objects, {per:.2f} ms each")
    else:
        cells.append("n/a (no CRDs)")
    if docs:
        cells.append(cell(measure(meshgen("docs", "-d", str(work / "site")), work)))
        if name in FLOOR_CASES:
            FLOOR_ROWS.append(highlight_floor(name, work))
    else:
        cells.append("skipped")
    links = len(data["vpn"])
    entries = f"{links:,} vpn entries" if links > 1 else "1 vpn entry"
    made = sum(1 for _ in (work / "output" / data["name"]).rglob("values.yaml")) // 2
    shape = (f"{clusters} clusters, {primaries}p, {vpn} ({made:,} links from {entries}), "
             f"{size // 1024} KiB")
    return f"| {shape} | {files} | " + " | ".join(cells) + " |", cold.seconds


FLOOR = HERE / "floor.py"
FLOOR_CASES = ("100-mesh-1p", "100-mesh-1p-gitops")
FLOOR_ROWS: list[str] = []
"""Floors found along the cases, printed after their table."""


def highlight_floor(name: str, work: Path) -> str:
    """What Pygments alone takes on the blocks case ``name``'s site highlights: the least its
    ``docs`` can take, given every core to itself and nothing else to do."""
    done = subprocess.run([sys.executable, str(FLOOR), "highlight", str(work)],
                          capture_output=True, text=True, check=True)
    size, seconds = done.stdout.split("\n")[-2].split()
    cores = usable_cores()
    spent = float(seconds)
    return (f"| {name}: docs, Pygments alone on the {int(size) / 1e6:.1f} MB the site "
            f"highlights | {spent:.1f} s of processor time, {spent / cores:.1f} s spread over "
            f"{cores} cores | the floor under the docs target (<= 4 s) |")


def memory_folder() -> Path | None:
    """Where the floor comparisons run: a memory-backed file system (``MESHGEN_BENCH_TMPFS``,
    else /dev/shm), so that the disk's state does not blur them; None where there is none."""
    folder = Path(os.environ.get("MESHGEN_BENCH_TMPFS", "/dev/shm"))
    return folder if folder.is_dir() and os.access(folder, os.W_OK) else None


def floors(name: str, rounds: int) -> list[str]:
    """A cold ``build`` and a ``check`` of case ``name`` beside their floors, in turn, in one
    run on a memory-backed file system: one plain Python process writing the same bytes to the
    same paths (``floor.py write``), and one reading them (``floor.py read``). The ratio of each
    round's pair is robust to the machine's load; the median of the rounds is reported."""
    base = memory_folder()
    if base is None:
        return [f"| {name}: cold build / write floor | n/a (no memory-backed folder) "
                "| target <= 4x |"]
    data = synthetic(*CASES[name])
    work = Path(tempfile.mkdtemp(prefix="meshgen-floor-", dir=base))
    try:
        (work / "topologies").mkdir()
        text = yaml.safe_dump(data, sort_keys=False, width=200)
        (work / "topologies" / f"{data['name']}.yaml").write_text(text, encoding="utf-8")
        assert measure(meshgen("build", "-q", "-o", "out-0"), work).code == 0, name
        archive = work / "files.pickle"
        subprocess.run([sys.executable, str(FLOOR), "pack", str(work / "out-0" / data["name"]),
                        str(archive)], check=True, stdout=subprocess.DEVNULL)
        runs: dict[str, list[Run]] = {"build": [], "write": [], "check": [], "read": []}
        for k in range(1, rounds + 1):
            runs["build"].append(measure(meshgen("build", "-q", "-o", f"out-{k}"), work))
            runs["write"].append(measure([sys.executable, str(FLOOR), "write", str(archive),
                                          f"floor-{k}"], work))
            runs["check"].append(measure(meshgen("check", "-o", f"out-{k}"), work))
            runs["read"].append(measure([sys.executable, str(FLOOR), "read", f"floor-{k}"],
                                        work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = [f"{what} exit {run.code}" for what, done in runs.items() for run in done
              if run.code]

    def row(what: str, command: str, floor: str) -> str:
        ratio = statistics.median(a.seconds / b.seconds
                                  for a, b in zip(runs[command], runs[floor], strict=True))
        took = statistics.median(r.seconds for r in runs[command])
        least = statistics.median(r.seconds for r in runs[floor])
        peak = max(r.peak_mb for r in runs[command])
        return (f"| {name}: {what} (median of {rounds}, same run) | {ratio:.1f}x "
                f"({took:.2f} s / {least:.2f} s; peak {peak:.0f} MB) | target <= 4x |")

    rows = [row("cold build / write floor", "build", "write"),
            row("check / read floor", "check", "read")]
    if failed:
        rows.append(f"| {name}: failed runs | {'; '.join(failed)} | none |")
    return rows


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 and 100 clusters only")
    parser.add_argument("--cases", help=f"comma-separated, from: {', '.join(CASES)}")
    parser.add_argument("--no-docs", action="store_true", help="skip the docs stage")
    parser.add_argument("--keep", action="store_true",
                        help="keep benchmarks/.work/ (and do not delete earlier runs' folders)")
    parser.add_argument("--floor-rounds", type=int, default=5, metavar="N",
                        help="rounds of each floor comparison (default 5; 0 leaves them out)")
    args = parser.parse_args()
    names = args.cases.split(",") if args.cases else list(QUICK if args.quick else CASES)
    env = reference_env()
    print(f"Machine: {machine()}\n")
    print("| measure | result | target |\n|---|---|---|")
    for row in startup() + seed() + bad_input() + hostile_output():
        print(row, flush=True)
    for name in (n for n in FLOOR_CASES if n in names and args.floor_rounds > 0):
        for row in floors(name, args.floor_rounds):
            print(row, flush=True)
    print("\nEach cell: wall time / peak memory of the process.\n")
    print("| topology | files | validate | build (cold) | build (unchanged) | check | verify "
          "| docs |\n|---|---|---|---|---|---|---|---|", flush=True)
    cold: dict[str, float] = {}
    for name in names:
        row, cold[name] = case(name, env, docs=not args.no_docs)
        print(row, flush=True)
    ratios = [(big, small) for big, small in (("200-hub-1p", "100-hub-1p"),
                                              ("200-hub-5p", "100-hub-5p"))
              if big in cold and small in cold]
    if ratios:
        print("\n| growth | cold build | target |\n|---|---|---|")
        for big, small in ratios:
            print(f"| {big} / {small} | {cold[big] / cold[small]:.2f}x | target < 2.3x |")
    if "200-mesh-1p" in cold and "100-mesh-1p" in cold:
        # Twice the clusters is four times the links (19,900 against 4,950).
        print(f"| 200-mesh-1p / 100-mesh-1p | {cold['200-mesh-1p'] / cold['100-mesh-1p']:.2f}x "
              "| 4.0x the links |")
    if FLOOR_ROWS:
        print("\n| floor | measured | for |\n|---|---|---|")
        for row in FLOOR_ROWS:
            print(row)
    if not args.keep:
        shutil.rmtree(HERE / ".work", ignore_errors=True)
    else:
        print(f"\nkept {RUN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
