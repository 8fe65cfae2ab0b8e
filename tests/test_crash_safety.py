"""A build killed at any moment leaves the old output or the new one, never a mix.

A real ``python -m generator build`` of a large topology is killed with SIGKILL again and
again: first after seeded random delays spread over a whole build, then right after its
staging folder appears (so some kills surely land while files are being written). Each build
switches between two versions of the topology, so every build has files to change. After
every kill ``output/<name>/`` must equal one of the two rendered trees exactly and agree with
its own MANIFEST.json; anything else in ``output/`` must be the lock or staging leftovers,
which the next build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.api import check_file, render
from generator.artifacts import MANIFEST, RenderedTree
from generator.output.record import RECORD
from generator.output.tree import read_regular, walk
from generator.output.writer import LOCK_NAME, RETIRED_PREFIX, STAGING_PREFIX
from tests.helpers import child_env

SEED = 8_675_309
RANDOM_KILLS = 32
WATCHED_KILLS = 8
CLUSTERS = 40
SERVICES = 8


def large_topology(variant: str) -> dict[str, Any]:
    """One primary and many remotes on a flat network, an app in every cluster, five stages.

    The two variants differ in the app's namespace, the mesh ID and the weights, which
    touches files in every cluster folder.
    """
    other = variant == "b"
    clusters = [
        {"name": f"c{i:03}", "role": "primary" if i == 0 else "remote",
         "podCIDR": f"10.{i}.0.0/16",
         "serviceCIDR": f"172.{16 + i // 16}.{(i % 16) * 16}.0/20",
         "vpnGateway": f"203.0.113.{i + 1}"}
        for i in range(CLUSTERS)
    ]
    services = [
        {"name": f"s{k}", "ports": [{"port": 8000 + k}],
         "versions": [{"name": f"v{j}", "image": f"registry.example/s{k}:{j}"}
                      for j in (1, 2, 3)]}
        for k in range(SERVICES)
    ]
    return {
        "apiVersion": "meshgen/v1",
        "name": "big",
        "istio": {"meshID": f"mesh-{variant}"},
        "clusters": clusters,
        # The hub starts every tunnel: a cluster listens on one link at most.
        "vpn": [{"between": ["c000", f"c{i:03}"], "psk": {"env": f"BIG_PSK_{i}"}}
                for i in range(1, CLUSTERS)],
        "apps": [{
            "name": "shop",
            "namespace": f"shop-{variant}",
            "services": services,
            "placement": {f"c{i:03}": [f"s{k}-v{(i + k) % 3 + 1}" for k in range(SERVICES)]
                          for i in range(CLUSTERS)},
        }],
        "traffic": [
            {"name": f"stage{t}",
             "routes": {f"s{k}": {"v1": 50 - t - other, "v2": 50 + t + other}
                        for k in range(SERVICES)}}
            for t in range(5)
        ],
    }


@dataclass
class Tally:
    kills: int = 0
    mid_write: int = 0
    finished_first: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"old": 0, "new": 0})

    def summary(self) -> str:
        return (f"{self.kills} kills: {self.mid_write} landed mid-write (staging left behind), "
                f"{self.finished_first} after the build had finished; output then held the "
                f"old tree {self.outcomes['old']} times and the new one "
                f"{self.outcomes['new']} times")


def as_disk(tree: RenderedTree) -> dict[str, tuple[bytes, int]]:
    return {path: (data, tree.mode(path)) for path, data in tree.files.items()}


def read_disk(folder: Path) -> dict[str, tuple[bytes, int]]:
    found = walk(folder)
    assert found.skipped == ()
    return {f.path: (read_regular(found.location(f)), f.permissions) for f in found.files}


def check_consistent(output: Path, trees: dict[str, RenderedTree]) -> tuple[str, bool]:
    """Which tree ``output/big`` holds (failing on a mix) and whether staging was left."""
    # The lock and the build record (which only ever lets a later build skip work) are not
    # part of the tree.
    others = sorted(p.name for p in output.iterdir()
                    if p.name not in ("big", LOCK_NAME) and not p.name.startswith(RECORD))
    assert all(n.startswith((STAGING_PREFIX, RETIRED_PREFIX)) for n in others), others
    on_disk = read_disk(output / "big")
    manifest = json.loads(on_disk[MANIFEST][0])
    listed = manifest["files"]
    assert set(listed) == set(on_disk) - {MANIFEST}, "files and MANIFEST.json disagree"
    for path, entry in listed.items():
        assert hashlib.sha256(on_disk[path][0]).hexdigest() == entry["sha256"], path
    matches = [variant for variant, tree in trees.items() if on_disk == as_disk(tree)]
    assert len(matches) == 1, "output/big is neither the old tree nor the new one"
    return matches[0], bool(others)


def start_build(project: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "-q",
                             "topologies/big.yaml"], cwd=project, env=child_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_for_staging(child: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(STAGING_PREFIX) for name in os.listdir(output)):
            return


def test_killed_builds_leave_the_old_or_the_new_tree(
    project: Path, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / "topologies" / "big.yaml"
    texts = {v: yaml.safe_dump(large_topology(v), sort_keys=False) for v in ("a", "b")}
    trees: dict[str, RenderedTree] = {}
    for variant, text in texts.items():
        source.write_text(text)
        checked = check_file(source, source.name)
        assert checked.valid and checked.topology is not None, checked.problems
        trees[variant] = render(checked.topology)
    changed = [p for p in trees["a"].files if trees["a"].files[p] != trees["b"].files.get(p)]
    assert len(changed) > CLUSTERS, "the two versions must differ in every cluster folder"

    output = project / "output"
    durations = []
    for variant in ("a", "b"):
        source.write_text(texts[variant])
        started = time.monotonic()
        child = start_build(project)
        assert child.wait(timeout=300) == 0, child.stderr.read() if child.stderr else ""
        durations.append(time.monotonic() - started)
        assert check_consistent(output, trees) == (variant, False)
    on_disk = "b"
    build_seconds = max(durations)

    rng = random.Random(SEED)
    tally = Tally()
    for attempt in range(RANDOM_KILLS + WATCHED_KILLS):
        target = "a" if on_disk == "b" else "b"
        source.write_text(texts[target])
        child = start_build(project)
        if attempt < RANDOM_KILLS:
            time.sleep(rng.uniform(0, 1.1 * build_seconds))
        else:
            wait_for_staging(child, output)
            time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
        status = child.wait(timeout=300)
        stderr = child.stderr.read().decode() if child.stderr else ""
        assert "Traceback" not in stderr, stderr
        tally.kills += 1
        if status == 0:
            tally.finished_first += 1
        else:
            assert status == -signal.SIGKILL, stderr
        held, left_staging = check_consistent(output, trees)
        tally.mid_write += left_staging
        tally.outcomes["new" if held == target else "old"] += 1
        on_disk = held

    # The next build cleans up whatever the kills left and writes the tree in full.
    target = "a" if on_disk == "b" else "b"
    source.write_text(texts[target])
    child = start_build(project)
    assert child.wait(timeout=300) == 0
    assert check_consistent(output, trees) == (target, False)
    assert sorted(p.name for p in output.iterdir()) == sorted(["big", LOCK_NAME, RECORD])

    record_property("kills", tally.summary())
    with capsys.disabled():
        print(f"\ncrash safety: {tally.summary()}")
    assert tally.mid_write >= 1, tally.summary()
