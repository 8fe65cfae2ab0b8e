"""A change in words: ``meshgen review [BASE]`` and ``meshgen diff --summary`` against real git
repositories made in the test, and the model comparison behind them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.summary.changes import Kind, Section, compare
from tests.helpers import SEED, TOPOLOGIES, make_project, model_of, run_cli, seed_data

GIT_LIMIT = 60  # seconds; only stops a hung git


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=GIT_LIMIT, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                               "HOME": str(repo), "PATH": "/usr/bin:/bin"})
    return done.stdout


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


def models(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> tuple[Any, Any]:
    (tmp_path / "old").mkdir()
    return model_of(tmp_path / "old", old), model_of(tmp_path, new)


def test_changes_are_said_in_words(tmp_path: Path) -> None:
    old, new = models(tmp_path, seed_data(), moved_and_reweighted())
    said = {(c.section, c.kind, c.sentence()) for c in compare(old, new)}
    assert said == {
        (Section.ISTIO, Kind.CHANGED, "version: 1.30.3 -> 1.30.4"),
        (Section.CLUSTERS, Kind.CHANGED, "iks: podCIDR 172.30.0.0/16 -> 172.31.0.0/16"),
        (Section.VPN, Kind.CHANGED, "iks <-> icp: initiator iks -> icp; "
                                    "esp aes256gcm16-ecp384 -> aes128gcm16-ecp256"),
        (Section.WORKLOADS, Kind.MOVED, "reviews-v2: icp -> iks"),
        (Section.WORKLOADS, Kind.MOVED, "reviews-v3: iks -> icp"),
        (Section.TRAFFIC, Kind.CHANGED, "reviews-50-v3: reviews: v1 50% -> 20%, v3 50% -> 80%"),
        (Section.TRAFFIC, Kind.ADDED, "all-v3: reviews v3"),
    }


def test_the_same_model_written_differently_is_no_change(tmp_path: Path) -> None:
    data = seed_data()
    data["vpn"][0]["keyExchange"] = "ikev2"  # the default, now written out
    data["clusters"].reverse()  # another order of the same clusters
    data["clusters"][0]["context"] = data["clusters"][0].get("context", "iks")
    old, new = models(tmp_path, seed_data(), data)
    assert compare(old, new) == []


# --- real git repositories ---------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project in git: the seed and the three-cluster mesh committed on main, built output
    committed too; then a branch that changes the seed, removes the mesh and adds a
    topology, committed, and one more change left in the working tree."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = make_project(tmp_path / "project", {
        SEED.name: SEED.read_text("utf-8"),
        "three-cluster-mesh.yaml": (TOPOLOGIES / "three-cluster-mesh.yaml").read_text("utf-8"),
    }, built=())
    git(root, "init", "-q", "-b", "main")
    assert run_cli("build", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    git(root, "checkout", "-q", "-b", "change")
    changed = moved_and_reweighted()
    (root / "topologies" / SEED.name).write_text(yaml.safe_dump(changed, sort_keys=False))
    (root / "topologies" / "three-cluster-mesh.yaml").unlink()
    multi = TOPOLOGIES / "multi-primary.yaml"
    shutil.copy(multi, root / "topologies")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")
    changed["clusters"][0]["serviceCIDR"] = "10.0.1.0/24"  # not committed
    (root / "topologies" / SEED.name).write_text(yaml.safe_dump(changed, sort_keys=False))
    return root


def test_review_against_the_default_branch_reads_git_and_touches_nothing(repo: Path) -> None:
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    run = run_cli("review", cwd=repo)
    assert run.returncode == 0, run.output
    text = run.stdout
    base = git(repo, "rev-parse", "main").strip()[:12]
    assert text.startswith(f"Compared with the default branch at {base}: 3 topologies changed")
    assert "icp-iks-bookinfo (topologies/icp-iks-bookinfo.yaml): changed" in text
    for line in ("    ~ reviews-v3: iks -> icp",
                 "    ~ reviews-50-v3: reviews: v1 50% -> 20%, v3 50% -> 80%",
                 "    + all-v3: reviews v3",
                 "    ~ icp: serviceCIDR 10.0.0.0/24 -> 10.0.1.0/24",
                 "    ~ version: 1.30.3 -> 1.30.4"):
        assert line in text.splitlines(), line
    assert "three-cluster-mesh (topologies/three-cluster-mesh.yaml at" in text
    assert "multi-primary (topologies/multi-primary.yaml): added" in text
    # Files per cluster: MANIFEST.json is never listed.
    assert "    icp: " in text and "MANIFEST.json" not in text
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == status


def test_review_formats(repo: Path) -> None:
    run = run_cli("review", "main", "--format", "json", cwd=repo)
    assert run.returncode == 0, run.output
    report = json.loads(run.stdout)
    seed = next(t for t in report["topologies"] if t["name"] == "icp-iks-bookinfo")
    assert seed["status"] == "changed"
    assert {"section": "workloads", "kind": "moved", "subject": "reviews-v3",
            "text": "iks -> icp"} in seed["changes"]
    assert "icp/apps/bookinfo.yaml" in seed["files"]["icp"]["changed"]
    markdown = run_cli("review", "main", "--format", "markdown", cwd=repo).stdout
    assert "### `icp-iks-bookinfo` \u2014 changed" in markdown
    assert "- ~ `reviews-v3`: iks -> icp" in markdown
    assert "<details><summary>Files:" in markdown


def test_review_of_the_branch_itself_and_errors(repo: Path) -> None:
    git(repo, "stash", "-q")
    run = run_cli("review", "HEAD", cwd=repo)
    assert run.returncode == 0, run.output
    assert run.stdout.splitlines()[0].endswith(": 0 topologies changed, 2 unchanged")
    bad = run_cli("review", "no-such-branch", cwd=repo)
    assert bad.returncode == 2 and "no-such-branch" in bad.stderr and "Traceback" not in bad.output
    outside = run_cli("review", cwd=repo.parent)
    assert outside.returncode == 2 and "not in a git repository" in outside.stderr


def test_diff_summary_compares_with_head_and_output(repo: Path) -> None:
    run = run_cli("diff", "--summary", cwd=repo)
    assert run.returncode == 0, run.output
    lines = run.stdout.splitlines()
    assert "    ~ icp: serviceCIDR 10.0.0.0/24 -> 10.0.1.0/24" in lines
    assert "    ~ reviews-v3: iks -> icp" not in lines  # committed on this branch already
    diff = run_cli("diff", cwd=repo).stdout
    assert [line for line in diff.splitlines() if "MANIFEST.json" in line] == []
    assert "output/icp-iks-bookinfo/icp/vpn/iks/values.yaml" in diff
    assert "icp-iks-bookinfo/MANIFEST.json" in run_cli("diff", "--with-manifest", cwd=repo).stdout


def test_docs_against_a_revision_add_a_changes_page(repo: Path) -> None:
    run = run_cli("docs", "--against", "main", "-d", "site", cwd=repo)
    assert run.returncode == 0, run.output
    page = (repo / "site" / "changes.html").read_text("utf-8")
    assert "reviews-v3" in page and "iks -&gt; icp" in page
    # Each file's diff, highlighted as a diff.
    assert 'class="language-diff highlight"' in page
    assert '<span class="filename">icp/apps/bookinfo.yaml</span>' in page
    assert "MANIFEST.json</span>" not in page
    assert "changes.html" in (repo / "site" / "index.html").read_text("utf-8")  # in the nav
    plain = run_cli("docs", "-d", "plain", cwd=repo)
    assert plain.returncode == 0 and not (repo / "plain" / "changes.html").exists()
