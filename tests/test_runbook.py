"""apply.sh: steps in phase order with their contexts, a usable command line, secrets that are
checked but never printed, and a script that passes bash -n and shellcheck.

Most tests run the script for real with steps made of harmless shell commands, so selection,
shared variables, failures and the secret handling are exercised without a cluster.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from generator.api import check_file, render
from generator.artifacts import Kind
from generator.model import SecretRef, Topology
from generator.output.writer import write_tree
from generator.targets import render_artifacts, runbook, runbook_steps
from generator.targets.base import Phase, Step
from tests.helpers import SEED, TOPOLOGIES, model_of, require_program, seed, seed_data

SECRET = "s3cr3t-Value-4f9c1e"
EXAMPLES = sorted(TOPOLOGIES.glob("*.yaml"))

SYNTHETIC = (
    Step(Phase.APPS, "Use the address", ('echo "apps $ADDRESS" >> log',), "icp"),
    Step(Phase.TRAFFIC_LATER, "Stage two", ("echo stage2 >> log",), "icp", optional=True,
         stage=2),
    Step(Phase.VPN, "Hand the key to the tunnel", (
        'key_file="$(mktemp)"',
        'printf \'%s\' "$ICP_IKS_PSK" > "$key_file"',
        'wc -c < "$key_file" > key-length',
        'rm -f "$key_file"',
    ), "iks", ("The key goes through a file, never a command line.",)),
    Step(Phase.ISTIO_PRIMARY, "Remember an address", ("ADDRESS=192.0.2.7",), "icp"),
    Step(Phase.TRAFFIC_FIRST, "Stage one", ("echo stage1 >> log",), "icp", stage=1),
    Step(Phase.TRAFFIC_LATER, "Stage three", ("echo stage3 >> log",), "icp", optional=True,
         stage=3),
)
# Numbers the steps get: by phase, then in the order given.
VPN, ISTIO, APPS, STAGE1, STAGE2, STAGE3 = range(1, 7)


def script(tmp_path: Path, steps: Sequence[Step] = SYNTHETIC, t: Topology | None = None
           ) -> Path:
    (artifact,) = runbook.artifacts(t or seed(), steps)
    path = tmp_path / "out" / artifact.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(artifact.text, encoding="utf-8")
    path.chmod(0o755)
    return path


def run(path: Path, *args: str, secret: str | None = SECRET, cwd: Path | None = None,
        shell: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ICP_IKS_PSK"}
    if secret is not None:
        env["ICP_IKS_PSK"] = secret
    return subprocess.run([*shell, str(path), *args], cwd=cwd or path.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def logged(path: Path) -> list[str]:
    log = path.parent / "log"
    return log.read_text().splitlines() if log.exists() else []


def assert_no_secret(done: subprocess.CompletedProcess[str]) -> None:
    assert SECRET not in done.stdout
    assert SECRET not in done.stderr


# --- running ---------------------------------------------------------------------------------


def test_default_run_follows_the_phases_and_shares_variables(tmp_path: Path) -> None:
    path = script(tmp_path)
    done = run(path)
    assert done.returncode == 0, done.stderr
    assert logged(path) == ["apps 192.0.2.7", "stage1"], "later stages wait until asked"
    assert (path.parent / "key-length").read_text().strip() == str(len(SECRET))
    assert_no_secret(done)
    # Each command is shown before it runs, as written.
    assert "+ printf '%s' \"$ICP_IKS_PSK\" > \"$key_file\"" in done.stdout
    banners = re.findall(r"^# Step (\d+) of 6 \[(\w+)\] (.*)$", done.stdout, re.M)
    assert banners == [("1", "iks", "Hand the key to the tunnel"),
                       ("2", "icp", "Remember an address"), ("3", "icp", "Use the address"),
                       ("4", "icp", "Stage one")]


def test_xtrace_stays_off_even_when_asked_for(tmp_path: Path) -> None:
    path = script(tmp_path)
    done = run(path, shell=["bash", "-x"])
    assert done.returncode == 0, done.stderr
    assert_no_secret(done)
    done = subprocess.run([str(path)], cwd=path.parent, capture_output=True, text=True,
                          env={**os.environ, "ICP_IKS_PSK": SECRET, "SHELLOPTS": "xtrace"},
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert_no_secret(done)


def test_a_missing_secret_stops_the_run_before_any_step(tmp_path: Path) -> None:
    path = script(tmp_path)
    done = run(path, secret=None)
    assert done.returncode == 2
    assert "environment variable ICP_IKS_PSK" in done.stderr
    assert logged(path) == [] and not (path.parent / "key-length").exists()
    # Steps that don't use the key run without it.
    done = run(path, "--stage", "2", secret=None)
    assert (done.returncode, logged(path)) == (0, ["stage2"])


@pytest.mark.parametrize(("args", "expected"), [
    (["--stage", "2"], ["stage2"]),
    (["--stage=3", "--stage", "1"], ["stage1", "stage3"]),
    (["--through-stage", "3"], ["apps 192.0.2.7", "stage1", "stage2", "stage3"]),
    (["--through-stage", "2", "--from", str(ISTIO)], ["apps 192.0.2.7", "stage1", "stage2"]),
    (["--step", str(STAGE3), "-s", str(STAGE1)], ["stage1", "stage3"]),
    (["--from", str(ISTIO), "--to", str(APPS)], ["apps 192.0.2.7"]),
    (["-f", str(STAGE1)], ["stage1"]),
])
def test_selecting_steps(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    path = script(tmp_path)
    done = run(path, *args)
    assert done.returncode == 0, done.stderr
    assert logged(path) == expected
    assert_no_secret(done)


def test_a_failing_step_stops_the_run_and_says_how_to_resume(tmp_path: Path) -> None:
    steps = (*SYNTHETIC, Step(Phase.DESTINATION_RULES, "Fails", ("false", "echo after >> log"),
                              "icp"))
    path = script(tmp_path, steps)
    done = run(path)
    assert done.returncode == 1
    assert logged(path) == ["apps 192.0.2.7"]
    assert "step 4 failed (exit status 1): Fails" in done.stderr
    assert done.stderr.count("failed") == 1
    assert f"{path} --from 4" in done.stderr


@pytest.mark.parametrize("args", [
    ["--step", "0"], ["--step", "7"], ["--step", "08"], ["--step", "x"], ["--from"],
    ["--stage", "4"], ["--bogus"], ["--list=yes"], ["--stage", "2", "--through-stage", "3"],
    ["--from", "6", "--to", "5"],
])
def test_usage_errors_exit_2_and_run_nothing(tmp_path: Path, args: list[str]) -> None:
    path = script(tmp_path)
    done = run(path, *args)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("apply.sh: ")
    assert logged(path) == []


def test_help_and_list(tmp_path: Path) -> None:
    path = script(tmp_path)
    done = run(path, "--help", secret=None)
    assert done.returncode == 0
    for words in ("--dry-run", "--list", "--step N", "--from N", "--stage K",
                  "--through-stage K", "1. all-v1: Every service to v1.",
                  "3. reviews-50-v3", "environment variable ICP_IKS_PSK"):
        assert words in done.stdout
    done = run(path, "-l", secret=None)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["#", "phase", "cluster", "step"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["1", "vpn", "iks"], ["2", "istio-primary", "icp"], ["3", "apps", "icp"],
        ["4", "traffic-first", "icp"], ["5", "traffic-later", "icp"],
        ["6", "traffic-later", "icp"]]
    assert lines[5].endswith("[optional: --stage 2]")
    assert logged(path) == []


def test_dry_run_prints_commands_unexpanded_and_runs_nothing(tmp_path: Path) -> None:
    path = script(tmp_path)
    done = run(path, "--dry-run", "--through-stage", "3")
    assert done.returncode == 0, done.stderr
    assert logged(path) == [] and not (path.parent / "key-length").exists()
    assert 'printf \'%s\' "$ICP_IKS_PSK" > "$key_file"' in done.stdout
    assert "#   The key goes through a file, never a command line." in done.stdout
    assert_no_secret(done)
    # Without the key a dry run still prints everything and says what a real run needs.
    done = run(path, "-n", secret=None)
    assert done.returncode == 0
    assert ("before a real run: environment variable ICP_IKS_PSK (pre-shared key of VPN link "
            "iks-icp) is not set") in done.stderr


def test_a_key_file_is_read_relative_to_where_the_script_starts(tmp_path: Path) -> None:
    data = seed_data()
    data["vpn"][0]["psk"] = {"file": "keys/icp-iks.psk"}
    t = model_of(tmp_path, data)
    steps = (Step(Phase.VPN, "Install",
                  ('test -r "$MESHGEN_INVOKED_FROM"/keys/icp-iks.psk', "echo vpn >> log"),
                  "iks"),)
    path = script(tmp_path, steps, t)
    elsewhere = tmp_path / "operator"
    elsewhere.mkdir()
    done = run(path, cwd=elsewhere)
    assert done.returncode == 2
    assert ("file keys/icp-iks.psk (pre-shared key of VPN link iks-icp, relative to the folder "
            "apply.sh is started from)") in done.stderr
    # A key beside the script is not the one meant: output/ is rewritten by every build.
    (path.parent / "keys").mkdir()
    (path.parent / "keys" / "icp-iks.psk").write_text(SECRET)
    assert run(path, cwd=elsewhere).returncode == 2
    (elsewhere / "keys").mkdir()
    (elsewhere / "keys" / "icp-iks.psk").write_text(SECRET)
    done = run(path, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert logged(path) == ["vpn"]
    assert_no_secret(done)


def test_a_secret_no_step_declares_is_checked_before_the_vpn_steps() -> None:
    reqs = runbook.requirements(seed())
    steps = [Step(Phase.APPS, "apps", ("true",)), Step(Phase.VPN, "vpn", ("true",))]
    assert [(n.step.title, n.needs) for n in runbook.ordered(steps, reqs)] == [
        ("vpn", (1,)), ("apps", ())]
    psk = reqs[0].ref
    assert isinstance(psk, SecretRef)
    steps.append(Step(Phase.VPN_CHECK, "check", ("printenv ICP_IKS_PSK >/dev/null",),
                      secrets=(psk,)))
    assert [(n.step.title, n.needs) for n in runbook.ordered(steps, reqs)] == [
        ("vpn", ()), ("check", (1,)), ("apps", ())]


def test_text_from_the_topology_cannot_break_out(tmp_path: Path) -> None:
    data = seed_data()
    shell = "it's $(touch pwned) `touch pwned2` \"q\" ${HOME}"
    data["description"] = shell
    data["traffic"][1]["description"] = shell
    t = model_of(tmp_path, data)
    # A topology cannot hold a newline or ESC (control-character); the runbook still holds
    # its own against a model that does.
    hostile = "it's $(touch pwned) `touch pwned2` \"q\"\n\x1b[31mred ${HOME}"
    stages = list(t.traffic)
    stages[1] = dataclasses.replace(stages[1], description=hostile)
    t = dataclasses.replace(t, description=hostile, traffic=tuple(stages))
    steps = [Step(Phase.APPS, hostile, ("echo ok >> log",), "icp", (hostile, "second")),
             *traffic_steps(t)]
    path = script(tmp_path, steps, t)
    for args in (["--help"], ["--list"], ["--dry-run", "--through-stage", "3"], []):
        done = run(path, *args)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout
    assert not (path.parent / "pwned").exists() and not (path.parent / "pwned2").exists()
    assert "it's $(touch pwned) `touch pwned2`" in done.stdout
    require_program("shellcheck", package="shellcheck")
    checked = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stdout


def traffic_steps(t: Topology) -> list[Step]:
    """Stage steps that only log, standing in for the traffic target's kubectl commands."""
    return [Step(Phase.TRAFFIC_LATER if k > 1 else Phase.TRAFFIC_FIRST, s.name,
                 (f"echo {s.name} >> log",), "icp", optional=k > 1, stage=k)
            for k, s in enumerate(t.traffic, start=1)]


def test_list_and_help_come_before_the_steps_text(tmp_path: Path) -> None:
    """--list and --help answer from the head of the script: at scale the steps' text is most
    of it, and bash reads a script only as far as it runs."""
    path = script(tmp_path)
    text = path.read_text(encoding="utf-8")
    head, marker, _ = text.partition("\n# What the steps are and do")
    assert marker and "STEP_COMMANDS=(" not in head and "STEP_TITLE=(" not in head
    cut = path.with_name("head.sh")
    cut.write_text(head + "\n", encoding="utf-8")
    cut.chmod(0o755)
    for args in (["--list"], ["--help"], ["--step", "9"]):
        whole, partial = run(path, *args, secret=None), run(cut, *args, secret=None)
        assert (partial.returncode, partial.stdout) == (whole.returncode, whole.stdout), args
    assert "# Step 1 of 6" in run(path, "--dry-run").stdout
    assert run(cut, "--dry-run").stdout == "", "the head alone printed steps"


def test_commands_run_in_the_runbook_shell_without_its_arguments(tmp_path: Path) -> None:
    steps = (
        Step(Phase.VPN, "Arguments", ('echo "args $# ${1:-none}" >> log',), "icp"),
        Step(Phase.ISTIO_PRIMARY, "Nothing to run", (), "icp"),
        Step(Phase.APPS, "Two lines", ('for word in one "two words"; do\n'
                                       '  echo "$word" >> log\n'
                                       'done',
                                       'echo "still $word" >> log'), "icp"),
    )
    path = script(tmp_path, steps)
    done = run(path, "--from", "1")
    assert done.returncode == 0, done.stderr
    assert logged(path) == ["args 0 none", "one", "two words", "still two words"]
    assert ('+ for word in one "two words"; do\n    echo "$word" >> log\n  done\n'
            '+ echo "still $word" >> log\n') in done.stdout
    assert "# Step 2 of 3 [icp] Nothing to run\n" in done.stdout
    dry = run(path, "--dry-run")
    assert 'do\n  echo "$word" >> log\ndone\necho "still $word" >> log\n' in dry.stdout


def full_mesh(clusters: int) -> dict[str, Any]:
    """A topology whose clusters are all linked to each other: N * (N - 1) link ends."""
    names = [f"c{k:02d}" for k in range(clusters)]
    data_clusters = [{"name": name, "role": "primary" if k == 0 else "remote",
                      "podCIDR": f"10.{k}.0.0/16", "serviceCIDR": f"172.16.{k}.0/24",
                      "vpnGateway": f"100.64.0.{k + 1}"} for k, name in enumerate(names)]
    links = []
    for k, first in enumerate(names):
        for j, second in enumerate(names[k + 1:], start=k + 1):
            link: dict[str, Any] = {"between": [first, second],
                                    "psk": {"env": f"PSK_{first}_{second}".upper()}}
            if k > 0:  # second already listens on its vpnGateway for c00
                link["listenAddress"] = f"100.65.{j}.{k}"
            links.append(link)
    return {"apiVersion": "meshgen/v1", "name": f"mesh-{clusters}", "clusters": data_clusters,
            "vpn": links}


def test_the_runbook_grows_by_a_short_step_per_link_end(tmp_path: Path) -> None:
    small, large = (model_of(tmp_path, full_mesh(n)) for n in (4, 8))
    texts = {}
    for t in (small, large):
        steps = runbook_steps(t)
        ends = sum(len(t.links_of(c.name)) for c in t.clusters)
        installs = [s for s in steps if s.phase is Phase.VPN and s.cluster]
        checks = [s for s in steps if s.phase is Phase.VPN_CHECK]
        assert len(installs) == ends and len(checks) == len(t.clusters)
        assert all(len(s.commands) == 1 and len(s.commands[0]) < 200 for s in installs)
        assert all(len(s.commands) == len(t.clusters) - 1 for s in checks)
        texts[ends] = runbook.render(t, steps)
        assert "mktemp" not in texts[ends], "the key handling belongs to the helpers"
    (few, small_text), (many, large_text) = sorted(texts.items())
    per_end = (len(large_text) - len(small_text)) / (many - few)
    # Each command used to be written three times, the key handling inline: some 6 kB an end.
    assert per_end < 1000, f"{per_end:.0f} bytes of apply.sh per link end"


def test_secrets_are_checked_once_each_for_the_selected_steps(tmp_path: Path) -> None:
    t = model_of(tmp_path, full_mesh(5))
    path = script(tmp_path, runbook_steps(t), t)
    done = run(path, "--dry-run", "--to", "4", secret=None)
    assert done.returncode == 0, done.stderr
    needed = re.findall(r"before a real run: environment variable (\w+)", done.stderr)
    # Steps 2 to 4 install both ends of link c00-c01, then the listening end of c00-c02.
    assert needed == ["PSK_C00_C01", "PSK_C00_C02"]
    done = run(path, "--from", "2", "--to", "3", secret=None)
    assert done.returncode == 2
    assert re.findall(r"^apply.sh: environment variable (\w+) .* is not set$", done.stderr,
                      re.M) == ["PSK_C00_C01"]


# --- the generated runbooks ------------------------------------------------------------------


def test_seed_runbook_artifact() -> None:
    (artifact,) = [a for a in render_artifacts(seed()) if a.path == "apply.sh"]
    assert (artifact.kind, artifact.executable) == (Kind.SCRIPT, True)
    assert artifact.text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in artifact.text
    assert "\nset +x\n" in artifact.text
    assert "set -x" not in artifact.text and "set -o xtrace" not in artifact.text


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_script_passes_bash_n_and_shellcheck(tmp_path: Path,
                                                           source: Path) -> None:
    """apply.sh, the helpers it calls and every other generated script; and the steps'
    commands, which apply.sh holds as text, written out as one function per step."""
    path = built_runbook(tmp_path, source)
    manifest = json.loads((path.parent / "MANIFEST.json").read_text(encoding="utf-8"))
    scripts = [path.parent / name for name, entry in sorted(manifest["files"].items())
               if entry["kind"] == Kind.SCRIPT]
    assert path in scripts and len(scripts) > 1
    t = check_file(source).topology
    assert t is not None
    steps = runbook.ordered(runbook_steps(t), runbook.requirements(t))
    as_functions = tmp_path / "steps.sh"
    as_functions.write_text("#!/usr/bin/env bash\n" + "".join(
        f"step_{n.number}() {{\n" + "".join(f"  {c}\n" for c in n.step.commands) + "}\n"
        for n in steps), encoding="utf-8")
    for script in [*scripts, as_functions]:
        syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                                timeout=60)
        assert syntax.returncode == 0, f"{script}: {syntax.stderr}"
    require_program("shellcheck", package="shellcheck")
    checked = subprocess.run(["shellcheck", *map(str, scripts), str(as_functions)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_command_is_written_once(source: Path) -> None:
    t = check_file(source).topology
    assert t is not None
    text = runbook.render(t, runbook_steps(t))
    commands = [c for s in runbook_steps(t) for c in s.commands]
    assert commands
    for command in set(commands):
        assert text.count(f"\n  {shlex.quote(command)}\n") == commands.count(command), command
    assert "step_1()" not in text and "_show '" not in text


def built_runbook(tmp_path: Path, source: Path) -> Path:
    checked = check_file(source)
    assert checked.valid and checked.topology is not None, checked.problems
    tree = render(checked.topology)
    write_tree(tmp_path, tree)
    return tmp_path / tree.name / "apply.sh"


def test_seed_dry_run_in_order_with_each_context_and_no_secret(tmp_path: Path) -> None:
    path = built_runbook(tmp_path, SEED)
    done = run(path, "--dry-run", "--through-stage", "3")
    assert done.returncode == 0, done.stderr
    assert_no_secret(done)
    listed = run(path, "--list").stdout.splitlines()[1:]
    phases = [Phase[line.split()[1].upper().replace("-", "_")] for line in listed]
    assert phases == sorted(phases)
    contexts = {c.name: c.context for c in seed().clusters}
    blocks = re.split(r"^# Step (\d+) of \d+ \[([-\w]+)\] .*$", done.stdout, flags=re.M)[1:]
    numbers = [int(n) for n in blocks[0::3]]
    assert numbers == [k for k, line in enumerate(listed, start=1)
                       if "[optional: --step" not in line and "[optional: --verify]" not in line]
    for cluster, body in zip(blocks[1::3], blocks[2::3], strict=True):
        if cluster in contexts:
            assert re.search(rf"--(kube-)?context[= ]{contexts[cluster]}\b", body), body
    order = [line for line in done.stdout.splitlines() if line.startswith("kubectl")
             and ("apply -k" in line or "/traffic/" in line)]
    assert order == [
        "kubectl --context icp-admin apply -k icp",
        "kubectl --context iks-admin apply -k iks",
        "kubectl --context icp-admin apply -f icp/traffic/ingress-bookinfo.yaml",
        "kubectl --context icp-admin apply -f icp/traffic/destination-rules.yaml",
        "kubectl --context icp-admin apply -f icp/traffic/01-all-v1.yaml",
        "kubectl --context icp-admin replace -f icp/traffic/02-reviews-jason-v2-v3.yaml",
        "kubectl --context icp-admin replace -f icp/traffic/03-reviews-50-v3.yaml",
    ]


def test_the_same_steps_give_the_same_script() -> None:
    first = runbook.render(seed(), SYNTHETIC)
    # Only the order within a phase matters: the same steps sorted by phase (the two later
    # stages kept in their order) give the same script.
    by_phase = sorted(SYNTHETIC, key=lambda s: s.phase)
    assert by_phase != list(SYNTHETIC)
    assert runbook.render(seed(), by_phase) == first
    assert runbook.render(seed(), list(reversed(SYNTHETIC))) != first


TOOL_CALL = re.compile(r"(?:^\s*|[|;&]\s*|\$\(\s*|&&\s*)(kubectl|helm|istioctl|openssl)\b",
                       re.M)


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_step_declares_the_programs_its_scripts_run(source: Path) -> None:
    """The preflight checks the programs a step runs: those its commands name, and those the
    generated scripts it calls run, which the step must declare."""
    t = check_file(source).topology
    assert t is not None
    tree = render(t)
    scripts = {path: {m.group(1) for m in TOOL_CALL.finditer(
                   "\n".join(line for line in data.decode().splitlines()
                             if not line.lstrip().startswith("#")))}
               for path, data in tree.files.items() if tree.kinds.get(path) == Kind.SCRIPT}
    assert any(scripts.values())
    for step in runbook_steps(t):
        called = {path for path in scripts for command in step.commands if path in command}
        needed = set().union(*(scripts[path] for path in called)) if called else set()
        assert needed <= set(runbook.step_tools(step)), (step.title, needed)


def test_verify_places_v1_and_v2_on_the_first_two_clusters_and_curls_from_each() -> None:
    t = check_file(TOPOLOGIES / "three-networks.yaml").topology
    assert t is not None
    checks = [s for s in runbook_steps(t) if s.phase is Phase.VERIFY]
    assert all(s.optional for s in checks)
    assert [(s.cluster, s.title) for s in checks] == [
        ("central", "Check that istiod on central has every other cluster synced"),
        ("central", "Deploy helloworld v1 and curl (Istio 1.30.3's samples) on central"),
        ("east", "Deploy helloworld v2 and curl (Istio 1.30.3's samples) on east"),
        ("west", "Deploy the helloworld Service and curl (Istio 1.30.3's samples) on west"),
        ("central", "Call helloworld from central until v1 and v2 answer"),
        ("east", "Call helloworld from east until v1 and v2 answer"),
        ("west", "Call helloworld from west until v1 and v2 answer"),
        ("central", "Remove the samples from central"),
        ("east", "Remove the samples from east"),
        ("west", "Remove the samples from west"),
    ]
    assert checks[0].commands == (
        "./mesh-check.sh --context central-admin --synced east,west --tries 12",)
    assert not any("version=" in c for c in checks[3].commands)
    assert checks[6].commands == (
        "./mesh-check.sh --context west-admin --answers v1,v2 --tries 20",)
