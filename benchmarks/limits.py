"""The worst cases under the limits on what one topology may make: prints a Markdown table.

    python benchmarks/limits.py                  # every case (several minutes, a few GB)
    python benchmarks/limits.py --cases steps    # one or more of: app-bytes, stage-bytes,
                                                 # links, steps

Each case is a valid topology of at most 1 MiB built to come as close as it can to one limit
of ``generator/checks/limits.py`` (the output's bytes, its files, the runbook's steps), with
the tools a file has for making much from little: aliases of long strings, multi-primary
meshes, full meshes of links. The size of each is found by searching the estimate the check
itself makes, so every case passes ``validate``. Each stage runs as its own process, measured
like ``benchmarks/run.py`` measures (wall time, peak resident memory), in a scratch project
under ``benchmarks/.work/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.run import Run, machine, measure, meshgen, settle  # noqa: E402
from generator.api import check_file  # noqa: E402
from generator.checks import limits  # noqa: E402
from generator.inputs.source_file import MAX_BYTES  # noqa: E402

WORK = HERE / ".work" / "limits"
LONG = 4000
"""Characters of the long string the byte cases alias (an environment value allows 4,096)."""


def _clusters(count: int, primaries: int, network: str = "per-cluster") -> list[str]:
    """Clusters in flow style; on per-cluster networks no VPN is needed."""
    model = "multi-primary" if primaries > 1 else "primary-remote"
    lines = ["apiVersion: meshgen/v1", "name: worst", "istio:", f"  model: {model}",
             f"  network: {network}", "clusters:"]
    for i in range(count):
        role = "primary" if i < primaries else "remote"
        primary = f", primary: c{i % primaries}" if i >= primaries and primaries > 1 else ""
        gateway = f", vpnGateway: 100.64.{i // 250}.{i % 250 + 1}" if network == "flat" else ""
        lines.append(f"  - {{name: c{i}, role: {role}{primary}, podCIDR: 10.{i // 256}."
                     f"{i % 256}.0/24, serviceCIDR: 11.{i // 256}.{i % 256}.0/24{gateway}}}")
    return lines


def app_bytes(scale: int) -> str:
    """Bytes in a few large files: one service of 50 versions, each with 20 environment
    variables holding the same 4,000 characters (an alias), all placed on ``scale`` clusters."""
    lines = _clusters(scale, 1)
    lines += ["apps:", "  - name: big", "    services:", "      - name: s",
              "        ports: [{port: 80}]", "        versions:"]
    for k in range(50):
        env = ", ".join(f"E{j}: " + (f"&value {'v' * LONG}" if k == j == 0 else "*value")
                        for j in range(20))
        lines.append(f"          - {{name: v{k}, image: example.org/s:1, env: {{{env}}}}}")
    lines.append("    placement:")
    lines.append("      c0: &all [" + ", ".join(f"s-v{k}" for k in range(50)) + "]")
    lines += [f"      c{i}: *all" for i in range(1, scale)]
    return "\n".join(lines) + "\n"


def stage_bytes(scale: int) -> str:
    """Bytes in many middle-sized files: 64 primaries, 100 stages, each routing ``scale``
    services with a header match of 1,000 characters (an alias) and a description of 1,000."""
    lines = _clusters(64, 64)
    lines += ["apps:", "  - name: app", "    services:"]
    lines += [f"      - {{name: s{k}, ports: [{{port: 80}}], versions: [{{name: v1, image: x}}, "
              f"{{name: v2, image: x}}]}}" for k in range(scale)]
    lines += ["    placement:",
              "      c0: [" + ", ".join(f"s{k}-v1, s{k}-v2" for k in range(scale)) + "]",
              "traffic:"]
    for stage in range(limits.MAX_STAGES):
        description = (f"&description {'d' * limits.MAX_DESCRIPTION}" if stage == 0
                       else "*description")
        lines += [f"  - name: stage{stage}", f"    description: {description}", "    routes:"]
        for k in range(scale):
            header = f"&header {'h' * 1000}" if stage == k == 0 else "*header"
            lines.append(f"      s{k}: [{{match: {{headers: {{user: {{exact: {header}}}}}}}, "
                         "to: v2}, {to: v1}]")
    return "\n".join(lines) + "\n"


def links(scale: int) -> str:
    """Files: a full mesh of ``scale`` clusters on a flat network, each link in flow style
    with a listen address of its own, and no apps."""
    lines = _clusters(scale, 1, network="flat")
    lines.append("vpn:")
    listening: set[int] = set()
    extra = 0
    for a in range(scale):
        for b in range(a + 1, scale):
            address = ""
            if b in listening:
                extra += 1
                address = f", listenAddress: 100.96.{extra // 250}.{extra % 250 + 1}"
            listening.add(b)
            lines.append(f"  - {{between: [c{a}, c{b}], psk: {{env: P}}{address}}}")
    return "\n".join(lines) + "\n"


def steps(scale: int) -> str:
    """Steps: 64 primaries, each reading every other of ``scale`` clusters."""
    return "\n".join(_clusters(scale, 64)) + "\n"


CASES: dict[str, tuple[Callable[[int], str], str, range]] = {
    "app-bytes": (app_bytes, "bytes", range(2, 400)),
    "stage-bytes": (stage_bytes, "bytes", range(1, 200)),
    "links": (links, "files", range(10, 400)),
    "steps": (steps, "steps", range(65, 4000)),
}


def _fits(text: str, path: Path) -> limits.Estimate | None:
    """The estimate of a valid topology of at most 1 MiB, or None."""
    if len(text.encode()) > MAX_BYTES:
        return None
    path.write_text(text, encoding="utf-8")
    checked = check_file(path)
    if not checked.valid or checked.topology is None:
        return None
    return limits.estimate(checked.topology)


def largest(make: Callable[[int], str], scales: range, path: Path) -> tuple[int, str]:
    """The largest scale whose topology is valid and at most 1 MiB (a binary search: each
    measure grows with the scale)."""
    low, high = scales.start, scales.stop - 1
    if _fits(make(low), path) is None:
        raise SystemExit(f"{path.stem}: even the smallest case is refused")
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(make(middle), path) is not None:
            low = middle
        else:
            high = middle - 1
    return low, make(low)


def cell(run: Run) -> str:
    mark = f" (exit {run.code})" if run.code else ""
    return f"{run.seconds:.1f} s / {run.peak_mb:,.0f} MB{mark}"


def measure_case(name: str) -> str:
    make, limit, scales = CASES[name]
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "topologies").mkdir(parents=True)
    path = work / "topologies" / "worst.yaml"
    scale, text = largest(make, scales, path)
    path.write_text(text, encoding="utf-8")
    estimate = _fits(text, path)
    assert estimate is not None
    validate = measure(meshgen("validate"), work)
    settle()
    build = measure(meshgen("build", "-q"), work)
    files = [p for p in (work / "output").rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    shutil.rmtree(work / "output", ignore_errors=True)
    return (f"| {name} (scale {scale}, nearest limit: {limit}) | {len(text.encode()) // 1024} "
            f"KiB | {estimate.files:,} / {estimate.steps:,} / {estimate.bytes / 2**20:,.0f} MiB "
            f"| {len(files):,} / {size / 2**20:,.0f} MiB | {cell(validate)} | {cell(build)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", help=f"comma-separated, from: {', '.join(CASES)}")
    args = parser.parse_args()
    names = args.cases.split(",") if args.cases else list(CASES)
    print(f"Machine: {machine()}\n")
    print(f"Limits: {limits.MAX_FILES:,} files, {limits.MAX_STEPS:,} steps, "
          f"{limits.MAX_OUTPUT_BYTES // 2**20} MiB, {limits.MAX_PRIMARIES} primaries, "
          f"{limits.MAX_STAGES} stages, descriptions of {limits.MAX_DESCRIPTION:,} characters; "
          f"topology files of {MAX_BYTES // 1024} KiB.\n")
    print("| case | file | estimate: files / steps / size | built: files / size | validate "
          "| build |\n|---|---|---|---|---|---|", flush=True)
    try:
        for name in names:
            print(measure_case(name), flush=True)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
