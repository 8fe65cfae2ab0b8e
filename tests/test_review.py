"""A change in words: ``meshgen review [BASE]`` and ``meshgen diff --summary`` against real git
repositories made in the test, and the model comparison behind them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.summary.changes import Kind, Section, compare
from tests.helpers import (
    changed_project,
    git,
    model_of,
    moved_and_reweighted,
    run_cli,
    seed_data,
)


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
    return changed_project(tmp_path / "project")


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
    below = run_cli("review", "main", cwd=repo / "docs")  # the project is found above
    assert below.returncode == 0, below.output
    assert "icp-iks-bookinfo (../topologies/icp-iks-bookinfo.yaml at" not in below.stdout
    assert "multi-primary (../topologies/multi-primary.yaml): added" in below.stdout


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
