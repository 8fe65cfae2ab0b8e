"""apply.sh run for real against recording ``kubectl``, ``helm`` and ``istioctl``: the preflight
that changes nothing, and what the runbook hands the tools, command by command.

The recorders (:func:`tests.helpers.install_recorders`) answer version and context queries as
the real tools do; the environment changes their answers (an old API server, a missing or
silent context, another istioctl). Every test asserts the exact commands recorded and the
exit status.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.api import render
from generator.output.writer import write_tree
from tests.helpers import install_recorders, model_of, seed_data

KEY = "k3y-Of-The-Link-7d1e"
CONTEXTS = ("icp-admin", "iks-admin")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[dict[str, Any]]

    def commands(self) -> list[str]:
        return [" ".join([c["tool"], *c["argv"]]) for c in self.calls]


@dataclass(frozen=True)
class Bench:
    """A built topology, the recorders and a scratch home, ready to run apply.sh in."""

    root: Path
    script: Path
    bin: Path

    def run(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            key: str | None = KEY, path: str | None = None) -> Run:
        log = self.root / "recorded.jsonl"
        log.unlink(missing_ok=True)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("RECORDER_", "MESHGEN_")) and not k.endswith("_PSK")}
        full = {**base, "PATH": path or f"{self.bin}:{os.environ['PATH']}",
                "RECORDER_LOG": str(log), "HOME": str(self.root / "home"),
                "MESHGEN_CA_DIR": str(self.root / "ca"), **(env or {})}
        if key is not None:
            full["ICP_IKS_PSK"] = key
        done = subprocess.run([str(self.script), *args], cwd=cwd or self.root, env=full,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120)
        calls = ([json.loads(line) for line in log.read_text().splitlines()]
                 if log.exists() else [])
        return Run(done.returncode, done.stdout, done.stderr, calls)


def bench_of(tmp_path: Path, data: dict[str, Any]) -> Bench:
    """``data`` built into ``output/`` under ``tmp_path``, with the recorders beside it."""
    (tmp_path / "topologies").mkdir(exist_ok=True)
    tree = render(model_of(tmp_path / "topologies", data))
    write_tree(tmp_path / "output", tree)
    (tmp_path / "home").mkdir(exist_ok=True)
    return Bench(tmp_path, tmp_path / "output" / tree.name / "apply.sh",
                 install_recorders(tmp_path / "bin"))


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return bench_of(tmp_path, seed_data())


def preflight_queries(contexts: tuple[str, ...] = CONTEXTS,
                      tools: tuple[str, ...] = ("kubectl", "helm", "istioctl")) -> list[str]:
    """What the preflight asks, in order: each tool's version, then each context."""
    asked = {"kubectl": "kubectl version --client -o json", "helm": "helm version --short",
             "istioctl": "istioctl version --remote=false"}
    queries = [asked[tool] for tool in tools]
    for context in contexts:
        queries += [f"kubectl config get-contexts -o name {context}",
                    f"kubectl --context {context} get --raw /version --request-timeout=10s"]
    return queries


# --- preflight --------------------------------------------------------------------------------


def test_preflight_alone_asks_and_changes_nothing(bench: Bench) -> None:
    done = bench.run("--preflight")
    assert done.returncode == 0, done.stderr
    assert done.commands() == preflight_queries()
    assert "kubectl 1.32, helm v3.16.2, istioctl 1.30.3, openssl" in done.stdout
    assert "context icp-admin (cluster icp): Kubernetes 1.32" in done.stdout
    assert "environment variable ICP_IKS_PSK" in done.stdout
    assert "apply.sh: preflight passed" in done.stdout
    assert KEY not in done.stdout + done.stderr
    assert not (bench.root / "ca").exists()


def test_a_run_starts_with_the_preflight(bench: Bench) -> None:
    done = bench.run()
    assert done.returncode == 0, done.stderr
    assert done.commands()[:7] == preflight_queries()
    assert done.commands()[7] == ("helm repo add iks-charts https://icr.io/helm/iks-charts "
                                  "--force-update")
    assert done.stdout.index("apply.sh: preflight passed") < done.stdout.index("# Step 1 ")


def test_a_dry_run_asks_no_cluster(bench: Bench) -> None:
    done = bench.run("--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.calls == []


@pytest.mark.parametrize(("env", "key", "line"), [
    ({"RECORDER_SERVER_VERSIONS": "iks-admin=v1.31.9"}, KEY,
     "cluster iks (context iks-admin) runs Kubernetes 1.31; Istio 1.30.3 needs Kubernetes 1.32 "
     "or later (istioctl's MinK8SVersion)"),
    ({"RECORDER_MISSING_CONTEXTS": "iks-admin"}, KEY,
     "kube context iks-admin (cluster iks) is not in the kubeconfig"),
    ({"RECORDER_SILENT_CONTEXTS": "icp-admin"}, KEY,
     "kube context icp-admin (cluster icp) does not answer: Unable to connect to the server: "
     "dial tcp 192.0.2.1:6443: i/o timeout"),
    ({"RECORDER_ISTIOCTL_VERSION": "1.29.2"}, KEY,
     "istioctl 1.29.2 is on PATH, but topology icp-iks-bookinfo installs Istio 1.30.3: put "
     "istioctl 1.30.3 first on PATH"),
    ({"RECORDER_HELM_VERSION": "v2.17.0+ga690bad"}, KEY,
     "helm v2.17.0 is on PATH; the steps need Helm 3 or later"),
    ({}, None, "environment variable ICP_IKS_PSK (pre-shared key of VPN link iks-icp) is not "
               "set"),
])
def test_a_failed_preflight_changes_nothing_and_says_why(
        bench: Bench, env: dict[str, str], key: str | None, line: str) -> None:
    for args in ([], ["--preflight"]):
        done = bench.run(*args, env=env, key=key)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"apply.sh: {line}" in done.stderr
        assert done.stderr.count("apply.sh: ") == 1, done.stderr  # one line per problem
        assert "nothing was changed" in done.stderr
        assert set(done.commands()) <= set(preflight_queries()), done.commands()
        assert "# Step" not in done.stdout


def test_every_problem_is_reported_at_once(bench: Bench) -> None:
    done = bench.run(env={"RECORDER_ISTIOCTL_VERSION": "1.30.2",
                          "RECORDER_MISSING_CONTEXTS": "icp-admin",
                          "RECORDER_SERVER_VERSIONS": "iks-admin=v1.30.0"}, key=None)
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if line.startswith("apply.sh: ")]
    assert [p.split(":", 2)[1].strip().split()[0] for p in problems] == [
        "istioctl", "kube", "cluster", "environment"]
    # The context that is missing is not asked for its version.
    assert "kubectl --context icp-admin get --raw /version --request-timeout=10s" \
        not in done.commands()


def test_only_the_tools_of_the_selected_steps_are_checked(bench: Bench) -> None:
    done = bench.run("--preflight", "--stage", "2", key=None)
    assert done.returncode == 0, done.stderr
    assert done.commands() == preflight_queries(tools=("kubectl",))


def test_a_missing_tool(bench: Bench, tmp_path: Path) -> None:
    # Every program of the system but kubectl, and the recorders but kubectl.
    system = tmp_path / "system"
    system.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for entry in Path(folder).iterdir():
            target = system / entry.name
            if entry.name != "kubectl" and not target.exists():
                target.symlink_to(entry)
    (bench.bin / "kubectl").unlink()
    done = bench.run("--preflight", path=f"{bench.bin}:{system}")
    assert done.returncode == 2
    assert "apply.sh: kubectl is not on PATH\n" in done.stderr
    assert done.commands() == ["helm version --short", "istioctl version --remote=false"]


# --- key files --------------------------------------------------------------------------------


def key_file_bench(tmp_path: Path, reference: str) -> Bench:
    data = seed_data()
    data["vpn"][0]["psk"] = {"file": reference}
    return bench_of(tmp_path, data)


@pytest.mark.parametrize(("make", "why"), [
    (None, "does not exist"),
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    (lambda p: p.write_text(""), "is empty"),
    (lambda p: p.write_text("x" * 4097), "is larger than 4096 bytes"),
])
def test_a_key_file_must_be_a_small_regular_file(tmp_path: Path, make: Any, why: str) -> None:
    bench = key_file_bench(tmp_path, "keys/icp-iks.psk")
    (tmp_path / "keys").mkdir()
    if make is not None:
        make(tmp_path / "keys" / "icp-iks.psk")
    done = bench.run("--preflight", key=None)
    assert done.returncode == 2, done.stdout
    assert (f"apply.sh: file keys/icp-iks.psk (pre-shared key of VPN link iks-icp, relative to "
            f"the folder apply.sh is started from) {why}") in done.stderr


def test_a_key_file_inside_output_is_refused(tmp_path: Path) -> None:
    bench = key_file_bench(tmp_path, "keys/icp-iks.psk")
    inside = bench.script.parent / "keys"
    inside.mkdir()
    (inside / "icp-iks.psk").write_text(KEY + "\n")
    # Started from inside output/, the relative key is read from there.
    done = bench.run("--preflight", key=None, cwd=bench.script.parent)
    assert done.returncode == 2
    assert "lies inside output/, which every build replaces" in done.stderr
    # A link from outside to a key inside output/ is no better.
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "icp-iks.psk").symlink_to(inside / "icp-iks.psk")
    done = bench.run("--preflight", key=None)
    assert done.returncode == 2
    assert "lies inside output/" in done.stderr
    (tmp_path / "keys" / "icp-iks.psk").unlink()
    (tmp_path / "keys" / "icp-iks.psk").write_text(KEY + "\n")
    done = bench.run("--preflight", key=None)
    assert done.returncode == 0, done.stderr
    assert KEY not in done.stdout + done.stderr


# --- Istio 1.0 ---------------------------------------------------------------------------------


def legacy_bench(tmp_path: Path) -> Bench:
    data = seed_data()
    data["istio"]["version"] = "1.0"
    del data["istio"]["mtls"]
    return bench_of(tmp_path, data)


def istio_1_0_release(tmp_path: Path) -> Path:
    release = tmp_path / "istio-1.0.9"
    (release / "install" / "kubernetes").mkdir(parents=True)
    (release / "install" / "kubernetes" / "istio-demo.yaml").write_text("# demo\n")
    return release


def test_istio_1_0_refuses_an_api_server_after_1_15(tmp_path: Path) -> None:
    bench = legacy_bench(tmp_path)
    release = {"ISTIO_1_0_DIR": str(istio_1_0_release(tmp_path))}
    done = bench.run("--preflight", env={**release,
                                         "RECORDER_SERVER_VERSIONS": "iks-admin=v1.16.0"})
    assert done.returncode == 2
    assert ("apply.sh: cluster iks (context iks-admin) runs Kubernetes 1.16; the Istio 1.0 "
            "install needs Kubernetes 1.9 to 1.15") in done.stderr
    assert "extensions/v1beta1" in done.stderr and "admissionregistration" in done.stderr
    # No istioctl: the Istio 1.0 install uses none.
    assert done.commands() == preflight_queries(tools=("kubectl", "helm"))
    done = bench.run("--preflight", env={**release, "RECORDER_SERVER_VERSIONS":
                                         "icp-admin=v1.15.12 iks-admin=v1.11.0"})
    assert done.returncode == 0, done.stderr


def test_istio_1_0_needs_its_release_folder(tmp_path: Path) -> None:
    bench = legacy_bench(tmp_path)
    env = {"RECORDER_SERVER_VERSIONS": "icp-admin=v1.15.0 iks-admin=v1.15.0"}
    done = bench.run("--preflight", env=env)
    assert done.returncode == 2
    assert ("apply.sh: environment variable ISTIO_1_0_DIR (an unpacked Istio 1.0 release "
            "folder) is not set") in done.stderr
    done = bench.run("--preflight", env={**env, "ISTIO_1_0_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "has no install/kubernetes/istio-demo.yaml" in done.stderr


# --- asking first -------------------------------------------------------------------------------


def run_on_a_terminal(bench: Bench, *args: str, answer: str) -> Run:
    """apply.sh with a terminal as its input, ``answer`` typed ahead."""
    log = bench.root / "recorded.jsonl"
    log.unlink(missing_ok=True)
    leader, follower = os.openpty()
    try:
        os.write(leader, answer.encode())
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECORDER_")},
               "PATH": f"{bench.bin}:{os.environ['PATH']}", "RECORDER_LOG": str(log),
               "HOME": str(bench.root / "home"), "MESHGEN_CA_DIR": str(bench.root / "ca"),
               "ICP_IKS_PSK": KEY}
        done = subprocess.run([str(bench.script), *args], cwd=bench.root, env=env,
                              stdin=follower, capture_output=True, text=True, timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return Run(done.returncode, done.stdout, done.stderr, calls)


def test_a_terminal_is_shown_the_plan_and_asked_first(bench: Bench) -> None:
    done = run_on_a_terminal(bench, answer="n\n")
    assert done.returncode == 1
    assert "apply.sh: nothing was run" in done.stderr
    assert done.commands() == preflight_queries(), "something ran before the answer"
    assert ("apply.sh will run 15 step(s) of 24, changing the clusters of kube contexts "
            "icp-admin iks-admin:") in done.stdout
    assert " 1  vpn                -        Add the Helm repository" in done.stdout
    assert "Traffic stage 2 of 3" not in done.stdout  # not selected
    assert not (bench.root / "icp-iks-bookinfo.apply-state").exists()
    done = run_on_a_terminal(bench, answer="y\n")
    assert done.returncode == 0, done.stderr
    assert done.commands()[7].startswith("helm repo add iks-charts")


def test_yes_skips_the_question(bench: Bench) -> None:
    done = run_on_a_terminal(bench, "--yes", answer="")
    assert done.returncode == 0, done.stderr
    assert "Go ahead?" not in done.stdout + done.stderr


def test_a_run_without_a_terminal_never_waits(bench: Bench) -> None:
    """Input that is not a terminal (here a pipe that stays open) is never read."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECORDER_")},
           "PATH": f"{bench.bin}:{os.environ['PATH']}",
           "RECORDER_LOG": str(bench.root / "recorded.jsonl"),
           "HOME": str(bench.root / "home"), "MESHGEN_CA_DIR": str(bench.root / "ca"),
           "ICP_IKS_PSK": KEY}
    with subprocess.Popen([str(bench.script), "--step", "1"], cwd=bench.root, env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:
        # The pipe stays open: a runbook that waited for it would time out here.
        try:
            out, err = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
            child.wait(timeout=60)
        finally:
            child.kill()
            child.stdin.close()  # type: ignore[union-attr]
    assert child.returncode == 0, err
    assert "Go ahead?" not in out + err


# --- the record and --resume ---------------------------------------------------------------


def listed(bench: Bench) -> dict[str, int]:
    """Step number by title, from --list."""
    lines = bench.run("--list").stdout.splitlines()[1:]
    return {line.split(None, 3)[3].split("  [optional")[0]: int(line.split()[0])
            for line in lines}


def test_an_interrupted_run_is_resumed_after_the_last_completed_step(bench: Bench) -> None:
    steps = listed(bench)
    failing = steps["Apply iks/ (namespaces and bookinfo)"]
    done = bench.run(env={"RECORDER_FAIL_ON": "apply -k iks"})
    assert done.returncode == 1
    record = bench.root / "icp-iks-bookinfo.apply-state"
    lines = record.read_text().splitlines()
    assert lines[0].startswith("# apply.sh of topology icp-iks-bookinfo")
    assert lines[1].startswith("runbook ") and len(lines[1]) == len("runbook ") + 16
    assert lines[2:] == [f"done {n}" for n in range(1, failing)]
    assert (f"apply.sh: step {failing} failed (exit status 1): Apply iks/ (namespaces and "
            "bookinfo)") in done.stderr
    assert f"Fix the cause, then go on with: {bench.script} --resume (the same as" in done.stderr

    resumed = bench.run("--resume")
    assert resumed.returncode == 0, resumed.stderr
    # What is left needs only kubectl.
    assert resumed.commands()[:5] == preflight_queries(tools=("kubectl",))
    after = resumed.commands()[5:]
    assert after[:2] == [
        "kubectl --context iks-admin apply -k iks",
        "kubectl --context iks-admin --namespace default wait --for=condition=Available "
        "--timeout=300s deployment/reviews-v3"]
    assert not any(c.startswith("helm repo add") for c in resumed.commands())
    default_steps = [int(line.split()[0]) for line in bench.run("--list").stdout.splitlines()[1:]
                     if "[optional" not in line]
    assert record.read_text().splitlines()[2:] == [f"done {n}" for n in default_steps]
    again = bench.run("--resume")
    assert again.returncode == 0
    assert "nothing to resume" in again.stdout
    assert again.commands() == []


def test_the_record_is_kept_outside_output(bench: Bench) -> None:
    # Started from inside output/<name>/, the record goes beside output/.
    done = bench.run("--step", "1", cwd=bench.script.parent)
    assert done.returncode == 0, done.stderr
    assert (bench.root / "icp-iks-bookinfo.apply-state").is_file()
    assert not list(bench.script.parent.glob("*.apply-state"))
    # Elsewhere, in the folder it was started from.
    elsewhere = bench.root / "operator"
    elsewhere.mkdir()
    done = bench.run("--step", "1", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "icp-iks-bookinfo.apply-state").read_text().splitlines()[2:] == [
        "done 1"]


def test_resume_needs_a_record_of_this_runbook(bench: Bench, tmp_path: Path) -> None:
    done = bench.run("--resume")
    assert done.returncode == 2
    assert "--resume: no run of this runbook is recorded in" in done.stderr
    assert done.calls == []
    record = bench.root / "icp-iks-bookinfo.apply-state"
    record.write_text("# apply.sh of topology icp-iks-bookinfo\nrunbook 0123456789abcdef\n"
                      "done 1\n")
    done = bench.run("--resume")
    assert done.returncode == 2
    assert "records a run of another runbook" in done.stderr
    assert bench.run("--resume", "--step", "3").returncode == 2


def test_the_hint_after_a_failure_keeps_the_chosen_steps(bench: Bench) -> None:
    steps = listed(bench)
    chosen = [steps["Apply icp/ (namespaces and bookinfo)"],
              steps["Apply iks/ (namespaces and bookinfo)"],
              steps["Traffic stage 2 of 3: reviews-jason-v2-v3"]]
    args = [word for n in chosen for word in ("--step", str(n))]
    done = bench.run(*args, env={"RECORDER_FAIL_ON": "apply -k iks"})
    assert done.returncode == 1
    assert (f"Fix the cause, then go on with: {bench.script} --step {chosen[1]} --step "
            f"{chosen[2]}\n") in done.stderr
    assert "--resume" not in done.stderr and "--from" not in done.stderr
    # A chosen step adds to the record of the runbook.
    record = (bench.root / "icp-iks-bookinfo.apply-state").read_text().splitlines()
    assert record[2:] == [f"done {chosen[0]}"]


def test_resume_keeps_the_stages_asked_for(bench: Bench) -> None:
    steps = listed(bench)
    stage2 = steps["Traffic stage 2 of 3: reviews-jason-v2-v3"]
    done = bench.run("--through-stage", "2", env={"RECORDER_FAIL_ON": "02-reviews-jason"})
    assert done.returncode == 1
    assert f"--resume --through-stage 2 (the same as {bench.script} --from {stage2} " \
        "--through-stage 2)" in done.stderr
    resumed = bench.run("--resume", "--through-stage", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.commands()[len(preflight_queries(tools=("kubectl",))):] == [
        "kubectl --context icp-admin replace -f icp/traffic/02-reviews-jason-v2-v3.yaml"]


# --- --verify: the VPN checks again, then Istio's own check ---------------------------------


def istio_release(tmp_path: Path) -> Path:
    """An unpacked Istio release with the two samples --verify deploys."""
    release = tmp_path / "istio-1.30.3"
    for sample in ("helloworld/helloworld.yaml", "curl/curl.yaml"):
        (release / "samples" / sample).parent.mkdir(parents=True)
        (release / "samples" / sample).write_text("# sample\n")
    return release


def with_sleep(bench: Bench) -> Bench:
    """A ``sleep`` that records its argument and returns at once."""
    sleep = bench.bin / "sleep"
    sleep.write_text('#!/bin/sh\nprintf \'{"tool": "sleep", "argv": ["%s"]}\\n\' "$1" '
                     '>>"$RECORDER_LOG"\n')
    sleep.chmod(0o755)
    return bench


SYNCED = {"RECORDER_REMOTE_CLUSTERS": "iks=synced"}


def samples(context: str, version: str) -> list[str]:
    k = f"kubectl --context {context}"
    return [f"{k} create namespace sample --dry-run=client -o yaml",
            f"{k} apply -f -",
            f"{k} label namespace sample istio-injection=enabled --overwrite",
            f"{k} apply --namespace sample -f $ISTIO/samples/helloworld/helloworld.yaml "
            "-l service=helloworld",
            f"{k} apply --namespace sample -f $ISTIO/samples/helloworld/helloworld.yaml "
            f"-l version={version}",
            f"{k} apply --namespace sample -f $ISTIO/samples/curl/curl.yaml",
            f"{k} --namespace sample wait --for=condition=Available --timeout=300s "
            f"deployment/helloworld-{version} deployment/curl"]


def curl(context: str) -> str:
    return (f"kubectl --context {context} --namespace sample exec deploy/curl -c curl -- curl "
            "-sS --max-time 5 helloworld.sample:5000/hello")


def vpn_checks() -> list[str]:
    return [
        "helm test vpn-iks --kube-context icp-admin --namespace kube-system",
        "kubectl --context iks-admin --namespace kube-system get pod --selector "
        "app=strongswan,release=vpn-icp --output jsonpath={.items[0].status.podIP}",
        "kubectl --context icp-admin --namespace kube-system exec deploy/vpn-iks-strongswan "
        "-- sudo ping -c 3 203.0.113.99",
        "helm test vpn-icp --kube-context iks-admin --namespace kube-system",
        "kubectl --context icp-admin --namespace kube-system get pod --selector "
        "app=strongswan,release=vpn-iks --output jsonpath={.items[0].status.podIP}",
        "kubectl --context iks-admin --namespace kube-system exec deploy/vpn-icp-strongswan "
        "-- sudo ping -c 3 203.0.113.99"]


def test_verify_runs_the_vpn_checks_then_istios_own_check(bench: Bench, tmp_path: Path) -> None:
    release = istio_release(tmp_path)
    done = with_sleep(bench).run("--verify", env={**SYNCED, "ISTIO_RELEASE_DIR": str(release)})
    assert done.returncode == 0, done.stderr
    preflight = preflight_queries(tools=("kubectl", "helm", "istioctl"))
    assert done.commands()[:len(preflight)] == preflight
    ran = [c.replace(str(release), "$ISTIO") for c in done.commands()[len(preflight):]]
    assert ran == [
        *vpn_checks(),
        "istioctl remote-clusters --context icp-admin",
        *samples("icp-admin", "v1"),
        *samples("iks-admin", "v2"),
        # v1 answers, then v2: done after two calls from each cluster.
        curl("icp-admin"), "sleep 5", curl("icp-admin"),
        curl("iks-admin"), "sleep 5", curl("iks-admin"),
        "kubectl --context icp-admin delete namespace sample --ignore-not-found",
        "kubectl --context iks-admin delete namespace sample --ignore-not-found"]
    assert "mesh-check.sh: istiod in context icp-admin has every cluster synced: iks" \
        in done.stdout
    assert "mesh-check.sh: from context iks-admin, helloworld answered with every version: " \
        "v1 v2" in done.stdout


def test_a_check_after_a_failed_run_leaves_resume_where_it_was(
        bench: Bench, tmp_path: Path) -> None:
    steps = listed(bench)
    failing = steps["Apply iks/ (namespaces and bookinfo)"]
    assert bench.run(env={"RECORDER_FAIL_ON": "apply -k iks"}).returncode == 1
    env = {**SYNCED, "ISTIO_RELEASE_DIR": str(istio_release(tmp_path))}
    assert with_sleep(bench).run("--verify", env=env).returncode == 0
    record = (bench.root / "icp-iks-bookinfo.apply-state").read_text().splitlines()
    assert record[-1] == f"done {len(steps)}"  # the checks are recorded
    resumed = bench.run("--resume", "--dry-run")
    assert resumed.returncode == 0, resumed.stderr
    assert f"# Step {failing} of {len(steps)} [iks] Apply iks/" in resumed.stdout
    assert f"# Step {failing - 1} " not in resumed.stdout


def test_verify_is_not_part_of_the_default_run(bench: Bench) -> None:
    listing = bench.run("--list").stdout
    assert ("18  verify             icp      Check that istiod on icp has every other cluster "
            "synced  [optional: --verify]") in listing
    done = bench.run()
    assert done.returncode == 0, done.stderr
    assert not any("sample" in c or "remote-clusters" in c for c in done.commands())
    assert "Done: 15 step(s) of 24 ran" in done.stdout


def test_verify_needs_the_release_with_the_samples(bench: Bench, tmp_path: Path) -> None:
    done = bench.run("--verify", env=SYNCED)
    assert done.returncode == 2
    assert ("apply.sh: environment variable ISTIO_RELEASE_DIR (the unpacked Istio 1.30.3 "
            "release, for its helloworld and curl samples) is not set") in done.stderr
    assert done.commands() == preflight_queries()
    done = bench.run("--verify", env={**SYNCED, "ISTIO_RELEASE_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert f"names {tmp_path}, which has no samples/helloworld/helloworld.yaml" in done.stderr


def test_verify_fails_with_what_curl_saw_and_keeps_the_samples(
        bench: Bench, tmp_path: Path) -> None:
    env = {**SYNCED, "ISTIO_RELEASE_DIR": str(istio_release(tmp_path)),
           "RECORDER_HELLO": "v1 - v1"}
    done = with_sleep(bench).run("--verify", env=env)
    assert done.returncode == 1
    tried = done.commands()[done.commands().index(curl("icp-admin")):]
    assert tried == [curl("icp-admin"), *["sleep 5", curl("icp-admin")] * 19]
    assert ("mesh-check.sh: from context icp-admin, in 20 tries (7 failed), helloworld "
            "answered with v1; never v2\n") in done.stderr
    assert "curl: (28) Connection timed out" in done.stderr
    steps = listed(bench)
    failed = steps["Call helloworld from icp until v1 and v2 answer"]
    assert f"apply.sh: step {failed} failed (exit status 1)" in done.stderr
    # The samples stay for a look; the hint names the checks left and the clean-up.
    assert (f"Fix the cause, then go on with: {bench.script} "
            + " ".join(f"--step {n}" for n in range(failed, failed + 4)) + "\n") in done.stderr


def test_verify_fails_when_a_remote_is_not_synced(bench: Bench, tmp_path: Path) -> None:
    env = {"RECORDER_REMOTE_CLUSTERS": "iks=timeout",
           "ISTIO_RELEASE_DIR": str(istio_release(tmp_path))}
    done = with_sleep(bench).run("--verify", env=env)
    assert done.returncode == 1
    asked = [c for c in done.commands() if c.startswith(("istioctl remote", "sleep"))]
    assert asked == ["istioctl remote-clusters --context icp-admin",
                     *["sleep 5", "istioctl remote-clusters --context icp-admin"] * 11]
    assert ("mesh-check.sh: istiod in context icp-admin does not list as synced, after 12 "
            "tries: iks\n") in done.stderr
    assert not any("sample" in c for c in done.commands())


def test_verify_on_istio_1_0_runs_the_vpn_checks_only(tmp_path: Path) -> None:
    bench = legacy_bench(tmp_path)
    env = {"RECORDER_SERVER_VERSIONS": "icp-admin=v1.15.0 iks-admin=v1.15.0"}
    done = bench.run("--verify", env=env)
    assert done.returncode == 0, done.stderr
    assert done.commands()[len(preflight_queries(tools=("kubectl", "helm"))):] == vpn_checks()
    assert not (bench.script.parent / "mesh-check.sh").exists()
