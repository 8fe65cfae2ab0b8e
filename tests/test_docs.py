"""The documentation site: pages generated from topologies and output/, built with MkDocs.

Sites are built by the real ``mkdocs build --strict`` (never ``-q``, which hides the warnings
strict mode counts) into temporary folders, from temporary projects written here.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.api import check_file
from generator.cli import main
from generator.docs.ahead import Ahead, workers_to_fork
from generator.docs.committed import Status, language_of
from generator.docs.deferred import Block, Deferred, fill, fill_now
from generator.docs.diagram import diagram_svg
from generator.docs.files_pages import files_page, files_pages
from generator.docs.highlight import code_block
from generator.docs.layout import Links, page_names
from generator.docs.markup import fence, md_code, md_text, size_words
from generator.docs.matrix import matrix_svg
from generator.docs.routes import describe_stage
from generator.docs.sources import collect
from generator.docs.topology_page import topology_page
from generator.inputs.schema import topology_schema
from tests.helpers import (
    HOSTILE,
    LIMITS,
    PLACEHOLDER,
    ROOT,
    SEED,
    TOPOLOGIES,
    VALID,
    WIDE,
    hostile_topology,
    make_project,
    require_success,
    run_mkdocs,
    seed_data,
    wide_topology,
    write_tree,
)
from tests.strategies import mutants, to_yaml, topologies

SECRET_VALUE = "psk-value-that-must-never-show"
SERVE_LIMIT = 60.0  # seconds; only stops a hung server, not a measure of speed


def invalid_topology() -> str:
    data = seed_data()
    data["name"] = "broken"
    data["clusters"][1]["podCIDR"] = data["clusters"][0]["podCIDR"]
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One temp project (seed, hostile, broken, and a seed without output) built once."""
    project = make_project(
        tmp_path_factory.mktemp("project"),
        {
            "icp-iks-bookinfo.yaml": SEED.read_text("utf-8"),
            "hostile.yaml": hostile_topology(),
            "broken.yaml": invalid_topology(),
            "unbuilt.yaml": SEED.read_text("utf-8").replace(
                "name: icp-iks-bookinfo", "name: unbuilt"),
        },
        built=("icp-iks-bookinfo.yaml", "hostile.yaml"),
    )
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "ICP_IKS_PSK": SECRET_VALUE}
    require_success(run_mkdocs(project, site, env))
    yield project, site


def page(site: Path, name: str) -> str:
    return (site / name).read_text("utf-8")


def text_of(markup: str) -> str:
    """Visible text of an HTML fragment, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def section(markup: str, heading_id: str) -> str:
    """The HTML from the heading with ``heading_id`` up to the next heading of its level."""
    start = re.search(rf'<h([1-6]) id="{re.escape(heading_id)}"', markup)
    assert start, f"no heading #{heading_id}"
    level = start.group(1)
    end = re.compile(rf"<h[1-{level}][ >]").search(markup, start.end())
    return markup[start.start(): end.start() if end else len(markup)]


# --- the seed's page answers a reviewer's questions ---------------------------------------


def test_seed_page_shows_which_subnets_the_iks_end_routes(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    vpn = section(page(site, "topologies/icp-iks-bookinfo.html"), "vpn")
    rows = {text_of(r.split("</th>")[0]).strip(): r
            for r in re.findall(r"<tr>.*?</tr>", vpn, re.S)}
    local = rows["Routes its own subnets into the tunnel (local.subnet)"]
    iks_cell, icp_cell = re.findall(r"<td>(.*?)</td>", local)
    # Columns: iks (initiator), then icp (responder).
    assert "iks (initiator)" in text_of(vpn) and "icp (responder)" in text_of(vpn)
    assert text_of(iks_cell) == "172.21.0.0/16 (services)172.30.0.0/16 (pods)"
    assert text_of(icp_cell) == "10.0.0.0/24 (services)10.1.0.0/16 (pods)"
    remote = rows["Reaches the peer's subnets (remote.subnet)"]
    assert [text_of(c) for c in re.findall(r"<td>(.*?)</td>", remote)] == [
        text_of(icp_cell), text_of(iks_cell)]


def test_seed_page_says_where_jasons_traffic_goes(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    stages = text_of(section(page(site, "topologies/icp-iks-bookinfo.html"), "traffic-stages"))
    assert ("requests with header end-user = jason go to reviews v2 (icp); "
            "all others to reviews v3 (iks)") in stages
    assert "all requests to reviews are split: 50% to reviews v1 (icp), 50% to reviews v3 (iks)" \
        in stages


def test_seed_page_has_every_section(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    markup = page(site, "topologies/icp-iks-bookinfo.html")
    for heading in ("diagram", "clusters", "vpn", "istio", "placement", "traffic-stages",
                    "runbook", "files", "validation"):
        assert f'id="{heading}"' in markup, heading
    assert markup.count("<svg class=\"meshgen-diagram\"") == 1
    placement = section(markup, "placement")
    row = re.search(r"<tr><th scope=\"row\"><code>reviews-v3</code></th>(.*?)</tr>", placement)
    assert row and re.findall(r"<td>(.*?)</td>", row.group(1))[0] == ""
    assert "\u2714" in re.findall(r"<td>(.*?)</td>", row.group(1))[1]
    assert "no errors, no warnings" in text_of(section(markup, "validation"))


def titles_on(markup: str) -> list[str]:
    """The paths shown above the code blocks of a page."""
    return [html.unescape(t) for t in re.findall(r'<span class="filename">([^<]*)</span>',
                                                 markup)]


def files_pages_of(site: Path, slug: str) -> dict[str, str]:
    """The pages of generated files of one topology: site path -> HTML."""
    folder = site / "topologies" / slug
    return {p.relative_to(site).as_posix(): p.read_text("utf-8")
            for p in sorted(folder.rglob("*.html")) if p.name != "runbook.html"}


def test_a_row_no_cluster_fills_is_left_out(built_site: tuple[Path, Path],
                                           tmp_path: Path) -> None:
    _, site = built_site
    described = section(page(site, "topologies/icp-iks-bookinfo.html"), "clusters")
    assert "Description" in text_of(described)
    write_tree(tmp_path, {"topologies": {"lab.yaml": VALID}})  # no cluster has a description
    (doc,) = collect(tmp_path / "topologies", tmp_path / "output", tmp_path)
    clusters = topology_page(doc).markdown.partition("## Clusters")[2].partition("\n## ")[0]
    assert "Pod CIDR" in clusters and "Description" not in clusters


def test_the_whole_topologys_page_opens_with_the_runbook(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    titles = titles_on(page(site, "topologies/icp-iks-bookinfo/files.html"))
    assert titles[0] == "apply.sh" and titles[-1] == "MANIFEST.json", titles


def test_every_committed_file_is_shown_once_on_its_clusters_page(
        built_site: tuple[Path, Path]) -> None:
    project, site = built_site
    output = project / "output/icp-iks-bookinfo"
    manifest = json.loads((output / "MANIFEST.json").read_text())
    pages = files_pages_of(site, "icp-iks-bookinfo")
    assert sorted(pages) == ["topologies/icp-iks-bookinfo/clusters/icp.html",
                             "topologies/icp-iks-bookinfo/clusters/iks.html",
                             "topologies/icp-iks-bookinfo/files.html"]
    shown = [title for markup in pages.values() for title in titles_on(markup)]
    assert sorted(shown) == sorted([*manifest["files"], "MANIFEST.json"])
    for name, markup in pages.items():
        folder = name.rpartition("/")[2].removesuffix(".html")
        for title in titles_on(markup):
            assert title.startswith(f"{folder}/") if "/clusters/" in name else "/" not in title
    # Each file's text is there, highlighted for its language, below its path.
    iks = pages["topologies/icp-iks-bookinfo/clusters/iks.html"]
    namespaces = (output / "iks/namespaces.yaml").read_text()
    block = iks[iks.index('<span class="filename">iks/namespaces.yaml</span>'):]
    code = block[block.index("<code>"): block.index("</code>")]
    assert '<span class="nt">' in code and 'class="language-yaml highlight"' in iks
    assert text_of(code) == namespaces
    # The overview shows no generated file, and links to each page of them.
    overview = page(site, "topologies/icp-iks-bookinfo.html")
    assert titles_on(overview) == []
    files = section(overview, "files")
    for name in pages:
        assert f'href="{name.removeprefix("topologies/")}"' in files


def test_a_clusters_page_lists_its_files_and_links_back(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    icp = page(site, "topologies/icp-iks-bookinfo/clusters/icp.html")
    index = section(icp, "files")
    anchors = re.findall(r'<a href="#(file-\d+)"><code>([^<]*)</code></a>', index)
    assert [path for _, path in anchors] == titles_on(icp)
    for anchor, path in anchors:
        block = icp[icp.index(f'id="{anchor}"'):]
        assert block.index(f'<span class="filename">{path}</span>') < block.index("</pre>")
    assert 'href="../../icp-iks-bookinfo.html"' in icp
    assert 'href="iks.html"' in icp  # the next page of files
    intro = text_of(icp[icp.index("<h1"): icp.index('id="files"')])
    assert "Cluster icp of icp-iks-bookinfo (primary, runs istiod; kubectl context icp-admin)" \
        in intro


def test_pages_of_files_stay_out_of_the_search_index(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    index = json.loads((site / "search/search_index.json").read_text("utf-8"))
    locations = {doc["location"].partition("#")[0] for doc in index["docs"]}
    assert "topologies/icp-iks-bookinfo.html" in locations
    assert not [loc for loc in locations if loc.startswith("topologies/icp-iks-bookinfo/")]


def test_page_count_grows_with_topologies_not_files(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    clusters = ("clusters/icp.html", "clusters/iks.html", "files.html", "runbook.html")
    assert [p for p in pages if p.startswith("topologies/")] == [
        "topologies/broken.html",  # invalid and never built: no files to show
        "topologies/broken/runbook.html",  # says it is made once the topology validates
        "topologies/hostile.html", *(f"topologies/hostile/{c}" for c in clusters),
        "topologies/icp-iks-bookinfo.html",
        *(f"topologies/icp-iks-bookinfo/{c}" for c in clusters),
        "topologies/index.html",
        "topologies/unbuilt.html", *(f"topologies/unbuilt/{c}" for c in clusters)]
    assert "reference/topology-file.html" in pages and "reference/cli.html" in pages


def test_topologies_are_listed_on_home_and_in_the_nav(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    home = page(site, "index.html")
    listing = text_of(section(home, "topologies"))
    assert "icp-iks-bookinfo \u2014 One Istio control plane on ICP drives an IKS cluster" \
        in listing
    assert 'href="topologies/icp-iks-bookinfo.html"' in home
    nav = home[home.index('<nav class="md-nav md-nav--primary"'):]
    for name in ("broken", "hostile", "icp-iks-bookinfo", "unbuilt"):
        assert f'href="topologies/{name}.html"' in nav
    for name in ("clusters/icp", "clusters/iks", "files"):
        assert f'href="topologies/icp-iks-bookinfo/{name}.html"' in nav
    index = text_of(page(site, "topologies/index.html"))
    assert "invalid (1 error)" in index and "valid, 1 warning" in index
    assert "not committed" in index and "up to date" in index


# --- untrusted text, secrets, state of output/ -------------------------------------------


def test_markup_in_a_topology_shows_as_text(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    for html_file in site.rglob("*.html"):
        markup = html_file.read_text("utf-8")
        assert "<script>alert" not in markup, html_file
        assert "<img src=x" not in markup and "<b>icp-admin" not in markup, html_file
        assert 'href="javascript:' not in markup, html_file
    markup = page(site, "topologies/hostile.html")
    lede = re.search(r'<p class="meshgen-lede">(.*?)</p>', markup)
    assert lede and html.unescape(lede.group(1)) == (
        f"{HOSTILE} & <img src=x onerror=alert(2)> | *bold* === \"tab\"")
    assert "tabbed-set" not in section(markup, "diagram")
    assert PLACEHOLDER in text_of(section(markup, "clusters"))
    stages = text_of(section(markup, "traffic-stages"))
    assert "<script>alert(4)</script> [link](javascript:alert(6))" in stages
    assert "header end-user = <script>alert(5)</script> go to reviews v2" in stages


def test_no_secret_reaches_the_site(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    for path in site.rglob("*"):
        if path.is_file():
            assert SECRET_VALUE.encode() not in path.read_bytes(), path


def test_warnings_are_listed(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    validation = text_of(section(page(site, "topologies/hostile.html"), "validation"))
    assert "valid with warnings (0 error(s), 1 warning(s))" in validation
    assert "weak-crypto" in validation and "topologies/hostile.yaml:" in validation


def test_invalid_topology_page_shows_located_errors(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    markup = page(site, "topologies/broken.html")
    assert "This topology does not validate" in markup
    validation = text_of(section(markup, "validation"))
    assert "cidr-overlap" in validation
    assert re.search(r"topologies/broken\.yaml:\d+:\d+", validation)
    assert "The runbook is made once the topology validates." in text_of(markup)


def test_missing_output_is_said_and_files_rendered_in_memory(
        built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    markup = page(site, "topologies/unbuilt.html")
    assert "Output not committed" in markup
    assert "rendered in memory (not committed)" in text_of(section(markup, "files"))
    icp = page(site, "topologies/unbuilt/clusters/icp.html")
    assert '<span class="filename">icp/namespaces.yaml</span>' in icp
    assert "(not committed: rendered in memory)" in text_of(icp)


def test_stale_output_is_said_and_the_committed_files_shown(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"seed.yaml": SEED.read_text("utf-8")},
                           built=("seed.yaml",))
    namespaces = project / "output/icp-iks-bookinfo/icp/namespaces.yaml"
    namespaces.write_text(namespaces.read_text() + "# edited by hand\n")
    (namespaces.parent / "stray.yaml").write_text("kind: Stray\n")
    (project / "output/icp-iks-bookinfo/apply.sh").chmod(0o644)
    (doc,) = collect(project / "topologies", project / "output", project)
    assert doc.output.status is Status.STALE
    assert [(d.kind, d.path) for d in doc.output.differences] == [
        ("mode", "apply.sh"), ("changed", "icp/namespaces.yaml"), ("extra", "icp/stray.yaml")]
    assert any("# edited by hand" in f.text() for f in doc.output.files)
    overview = fill_now(topology_page(doc))
    assert "Output is stale" in overview and "1 changed, 1 extra, 1 mode" in overview
    (icp,) = [p for p in files_pages(doc) if p.folder == "icp"]
    markup = fill_now(files_page(icp, doc, Links.plain(icp.src_uri)))
    assert "2 file(s) here differ" in markup
    assert "differs from what meshgen build writes (changed)" in markup


def test_a_folder_no_cluster_names_gets_a_page_of_its_own(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"seed.yaml": SEED.read_text("utf-8")},
                           built=("seed.yaml",))
    output = project / "output/icp-iks-bookinfo"
    odd = "Odd <b>folder</b>"
    write_tree(output, {odd: {"x.yaml": "a: 1\n"}})
    manifest = json.loads((output / "MANIFEST.json").read_text("utf-8"))
    manifest["files"][f"{odd}/x.yaml"] = {"kind": "manifests"}
    (output / "MANIFEST.json").write_text(json.dumps(manifest), "utf-8")
    site = tmp_path / "site"
    require_success(run_mkdocs(project, site))
    for html_file in site.rglob("*.html"):  # not in the nav, the titles or the pages
        assert "<b>folder" not in html_file.read_text("utf-8"), html_file
    # The folder is what comes before the first slash: "Odd <b>folder<".
    markup = page(site, "topologies/seed/clusters/odd-b-folder.html")
    assert f'<span class="filename">{html.escape(odd)}/x.yaml</span>' in markup
    assert "The folder Odd <b>folder< of icp-iks-bookinfo's output, which names no cluster" \
        in text_of(markup)
    assert "<title>odd-b-folder - meshgen</title>" in markup  # titled by its safe page name
    overview = page(site, "topologies/seed.html")
    assert "Output is stale" in overview and 'href="seed/clusters/odd-b-folder.html"' in overview


def test_current_output_is_recognised(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"seed.yaml": SEED.read_text("utf-8")},
                           built=("seed.yaml",))
    (doc,) = collect(project / "topologies", project / "output", project)
    assert doc.output.status is Status.CURRENT and not doc.output.differences


# --- the real project ------------------------------------------------------------------------


def test_project_site_builds_strictly(tmp_path: Path) -> None:
    require_success(run_mkdocs(ROOT, tmp_path / "site"))
    for topology in sorted(TOPOLOGIES.glob("*.yaml")):
        assert (tmp_path / "site" / "topologies" / f"{topology.stem}.html").is_file()


def test_meshgen_docs_builds_and_reports_a_missing_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", {"seed.yaml": SEED.read_text("utf-8")}, built=())
    status = main(["docs", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "site")])
    assert status == 0
    assert (tmp_path / "site" / "topologies" / "seed.html").is_file()
    status = main(["docs", "-f", str(tmp_path / "nowhere.yml")])
    assert status == 2
    assert "nowhere.yml: no such file" in capsys.readouterr().err


def test_meshgen_docs_fails_on_a_warning(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", {"seed.yaml": SEED.read_text("utf-8")}, built=())
    (project / "docs" / "reviewing.md").write_text("[gone](no-such-page.md)\n")
    status = main(["docs", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "site")])
    assert status == 1
    err = capsys.readouterr().err
    assert "no-such-page.md" in err and "strict" in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_page(url: str, wanted: str, server: subprocess.Popen[bytes]) -> str:
    """Fetch ``url`` until it contains ``wanted`` (the limit only stops a hung server)."""
    deadline = time.monotonic() + SERVE_LIMIT
    body = ""
    while time.monotonic() < deadline:
        assert server.poll() is None, "meshgen docs --serve exited"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = bytes(answer.read()).decode("utf-8")
            if wanted in body:
                return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never showed {wanted!r}")


@pytest.mark.slow
def test_serve_rebuilds_when_a_topology_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"seed.yaml": SEED.read_text("utf-8")}, built=())
    port = _free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "generator", "docs", "--serve", "-a", f"127.0.0.1:{port}"],
            cwd=project, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/topologies/seed.html"
            _wait_for_page(url, "One Istio control plane on ICP", server)
            topology = project / "topologies" / "seed.yaml"
            topology.write_text(topology.read_text("utf-8").replace(
                "One Istio control plane on ICP", "Rewritten while the site is served"))
            _wait_for_page(url, "Rewritten while the site is served", server)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=SERVE_LIMIT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- at scale: pages follow clusters, long sections get compact forms -----------------------

SHOWN_BYTES = LIMITS["file_bytes"]


def pages_of(site: Path, slug: str) -> list[str]:
    """The overview and the pages of files of one topology."""
    return [f"topologies/{slug}.html", *files_pages_of(site, slug)]


def test_page_count_follows_the_clusters_alone(large_site: tuple[Path, Path]) -> None:
    _, site = large_site
    seed, more = pages_of(site, "seed"), pages_of(site, "seed-more")
    # More workloads and traffic stages, the same clusters: the same pages.
    assert [p.replace("seed-more", "seed") for p in more] == seed
    assert len(seed) == 2 + 2  # overview, one page per cluster, the whole topology
    assert len(pages_of(site, "wide")) == WIDE + 2


def test_a_wide_overview_draws_a_matrix_and_keeps_to_one_row_per_item(
        large_site: tuple[Path, Path]) -> None:
    _, site = large_site
    markup = page(site, "topologies/wide.html")
    diagram = section(markup, "diagram")
    svg = ElementTree.fromstring(diagram[diagram.index("<svg"): diagram.index("</svg>") + 6])
    assert "meshgen-matrix" in (svg.get("class") or "")
    assert len(re.findall(r'<g class="mg-row[^"]*" data-cluster=', diagram)) == WIDE
    clusters = section(markup, "clusters")
    assert len(re.findall(r'<tr><th scope="row">', clusters)) == WIDE
    assert 'href="wide/clusters/spoke-07.html"' in clusters
    vpn = section(markup, "vpn")
    rows = re.findall(r"<tr><td>(\d+)</td><td><code>([^<]+)</code></td><td><code>([^<]+)</code>",
                      vpn)
    assert rows == [(str(k), f"spoke-{k:02d}", "hub") for k in range(1, WIDE)]
    placement = text_of(section(markup, "placement"))
    assert "reviews-v3spoke-02" in placement.replace(" ", "")
    runbook = section(markup, "runbook")
    assert 'class="meshgen-phases"' in runbook and "runbook page" in text_of(runbook)
    assert len(markup) < 400_000


def test_a_wide_clusters_page_holds_its_links_and_steps(large_site: tuple[Path, Path]) -> None:
    project, site = large_site
    spoke = page(site, "topologies/wide/clusters/spoke-05.html")
    links = section(spoke, "vpn")
    assert text_of(links).count("hub") >= 2
    assert "10.255.0.0/24 (services)10.0.0.0/16 (pods)" in text_of(links)
    assert "starts it (initiator)" in text_of(links)
    assert re.search(r'(<a href="#file-\d+"><code>spoke-05/vpn/hub/values.yaml</code></a>|'
                     r"<code>spoke-05/vpn/hub/values.yaml</code> \(in the archive\))", links)
    # Every runbook step is on the runbook page once, and once on its cluster's page.
    topology = check_file(project / "topologies/wide.yaml").topology
    assert topology is not None
    (doc,) = [d for d in collect(project / "topologies", project / "output", project)
              if d.slug == "wide"]
    steps = r'<p id="step-(\d+)">'
    numbers = [int(n) for n in re.findall(steps, page(site, "topologies/wide/runbook.html"))]
    assert numbers == list(range(1, len(doc.steps) + 1))
    on_clusters: list[int] = []
    for name in files_pages_of(site, "wide"):
        on_clusters += [int(n) for n in re.findall(steps, page(site, name))]
    assert sorted(on_clusters) == [i.number for i in doc.steps if i.step.cluster]


def test_a_wide_topology_keeps_its_clusters_out_of_the_nav(
        large_site: tuple[Path, Path]) -> None:
    _, site = large_site
    home = page(site, "index.html")
    nav = home[home.index('<nav class="md-nav md-nav--primary"'):]
    assert 'href="topologies/wide.html"' in nav and 'href="topologies/wide/files.html"' in nav
    assert "topologies/wide/clusters/" not in nav
    assert 'href="topologies/seed/clusters/icp.html"' in nav
    spoke = page(site, "topologies/wide/clusters/spoke-01.html")
    assert 'href="hub.html"' in spoke and 'href="spoke-02.html"' in spoke


def test_large_files_are_shown_in_part_and_offered_whole(large_site: tuple[Path, Path]) -> None:
    project, site = large_site
    whole = page(site, "topologies/seed/files.html")
    script = (project / "output/icp-iks-bookinfo/apply.sh").read_bytes()
    assert len(script) > SHOWN_BYTES
    start = whole.index('<span class="filename">apply.sh</span>')
    note = whole[whole.rindex('<div class="admonition note meshgen-cut">', 0, start): start]
    assert "Shown in part" in note and f"{len(script.splitlines()):,} lines" in note
    href = re.search(r'<a href="([^"]+)" download>', note)
    assert href and href.group(1) == "download/apply.sh"
    assert (site / "topologies/seed" / href.group(1)).read_bytes() == script
    code = whole[whole.index("<code>", start): whole.index("</code>", start)]
    shown = text_of(code).encode()
    assert script.startswith(shown) and shown.endswith(b"\n") and len(shown) <= SHOWN_BYTES


def test_a_page_shows_its_first_files_and_archives_the_rest(
        large_site: tuple[Path, Path]) -> None:
    project, site = large_site
    output = project / "output/icp-iks-bookinfo"
    archived_somewhere = False
    for folder in ("icp", "iks"):
        markup = page(site, f"topologies/seed/clusters/{folder}.html")
        files = section(markup, "files")
        listed = re.findall(r'<tr><td>(?:<a href="#(file-\d+)">)?<code>([^<]+)</code>', files)
        assert sorted(path for _, path in listed) == sorted(
            p.relative_to(output).as_posix() for p in (output / folder).rglob("*")
            if p.is_file())
        shown = titles_on(markup)
        assert shown == [path for anchor, path in listed if anchor]
        assert shown == [path for _, path in listed][: len(shown)]  # the first ones
        sizes = [min((output / path).stat().st_size, SHOWN_BYTES) for path in shown]
        assert sum(sizes[:-1]) <= LIMITS["page_bytes"]
        rest = [path for anchor, path in listed if not anchor]
        if not rest:
            continue
        archived_somewhere = True
        link = re.search(r'<a href="([^"]+)" download><code>([^<]+)</code></a>', files)
        assert link and link.group(1) == f"../archives/clusters/{folder}.zip"
        with zipfile.ZipFile(site / "topologies/seed/archives/clusters" / f"{folder}.zip") as zf:
            assert zf.namelist() == rest
            for entry in zf.infolist():
                assert entry.date_time == (1980, 1, 1, 0, 0, 0)
                assert zf.read(entry) == (output / entry.filename).read_bytes()
    assert archived_somewhere
    # Copied one by one are only the files shown in part.
    downloads = site / "topologies/seed/download"
    copied = {p.relative_to(downloads).as_posix() for p in downloads.rglob("*") if p.is_file()}
    shown_anywhere = {t for name in files_pages_of(site, "seed")
                      for t in titles_on(page(site, name))}
    assert copied == {path for path in shown_anywhere
                      if (output / path).stat().st_size > SHOWN_BYTES}


def test_a_long_list_of_steps_keeps_its_later_commands_to_apply_sh(
        large_site: tuple[Path, Path]) -> None:
    _, site = large_site
    hub = section(page(site, "topologies/wide/clusters/hub.html"), "runbook")
    assert "listed by title only" in text_of(hub)
    before, _, after = hub.partition('class="meshgen-cut"')
    assert "<code>" in before and 'class="language-bash highlight"' not in after
    assert len(re.findall(r'<p id="step-\d+">', after)) > 1


def test_matrix_marks_each_link_and_each_remotes_primary() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "wide.yaml"
        path.write_text(yaml.safe_dump(wide_topology(12)))
        topology = check_file(path).topology
    assert topology is not None
    svg = matrix_svg(topology)
    drawn = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rows = [g for g in drawn.iter(f"{ns}g") if g.get("data-cluster")]
    assert [g.get("data-cluster") for g in rows] == [c.name for c in topology.clusters]
    cells = {g.get("data-cluster"): sum((p.get("d") or "").count("M")
                                        for p in g.iter(f"{ns}path")) for g in rows}
    assert cells == {"hub": 0, **{f"spoke-{k:02d}": 1 for k in range(1, 12)}}
    rings = [g.get("data-cluster") for g in rows if list(g.iter(f"{ns}circle"))]
    assert rings == [f"spoke-{k:02d}" for k in range(1, 12)]
    assert "starts 1 tunnel, listens for 0" in svg and "listens for 11" in svg


def test_placeholders_are_filled_and_escaped_text_is_left_alone() -> None:
    page_md = Deferred()
    page_md.add("before\n\n")
    page_md.later(lambda: "<b>made</b>")
    page_md.add("&lt;!-- meshgen:block 0 --&gt;\n")
    assert fill_now(page_md) == "before\n\n<b>made</b>\n\n&lt;!-- meshgen:block 0 --&gt;\n"
    assert fill(page_md.markdown, ["<i>other</i>"]).count("<i>other</i>") == 1


def test_blocks_made_ahead_are_the_blocks_made_here() -> None:
    pages: list[tuple[str, list[Block]]] = [
        (f"p{k}.md", [partial(str, k), partial(str.upper, f"x{k}")]) for k in range(7)]
    ahead = Ahead()
    forks = workers_to_fork() > 0
    ahead.start(pages)
    try:
        assert (ahead.pool is not None) == forks
        made = {k: ahead.take(f"p{k}.md") for k in (3, 0, 1, 6, 2, 5, 4)}  # not queue order
    finally:
        ahead.close()
    assert made == {k: [str(k), f"X{k}"] for k in range(7)}
    assert not ahead.has("p0.md") and ahead.pool is None


def test_the_site_is_the_same_made_ahead_or_in_process(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"seed.yaml": SEED.read_text("utf-8")},
                           built=("seed.yaml",), plugin_options=LIMITS)
    # Another thread running keeps every page in process (as under mkdocs serve).
    script = (
        "import sys, threading\n"
        "from generator.cli import main\n"
        "if sys.argv[2] == 'in-process':\n"
        "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "sys.exit(main(['docs', '-d', sys.argv[1]]))\n")
    sites = {}
    for way in ("ahead", "in-process"):
        site = tmp_path / way
        subprocess.run([sys.executable, "-c", script, str(site), way], cwd=project, check=True,
                       capture_output=True)
        sites[way] = {p.relative_to(site).as_posix(): p.read_bytes()
                      for p in sorted(site.rglob("*"))
                      if p.is_file() and not p.name.startswith("sitemap.xml")}
    assert len(sites["ahead"]) > 20 and sites["ahead"] == sites["in-process"]


def test_no_worker_is_forked_beside_another_thread() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers_to_fork() == 0
    finally:
        stop.set()
        other.join()


def test_code_blocks_escape_and_name_their_file() -> None:
    block = code_block("a: <b>&</b>\n", "yaml", 'x/"y".yaml')
    assert block.startswith('<div class="language-yaml highlight"><span class="filename">'
                            "x/&quot;y&quot;.yaml</span><pre><span></span><code>")
    assert "<b>" not in block and "&lt;b&gt;&amp;&lt;/b&gt;" in block
    assert code_block("x < y", "text") == (
        '<div class="language-text highlight"><pre><span></span><code>x &lt; y\n'
        "</code></pre></div>\n")


def test_folder_page_names_are_safe_and_distinct() -> None:
    assert page_names(["icp", "Odd Name", "odd-name", "x/../y"]) == {
        "icp": "icp", "Odd Name": "odd-name-2", "odd-name": "odd-name", "x/../y": "x-y"}


def test_sizes_read_as_words() -> None:
    assert [size_words(n) for n in (812, 4300, 262144, 59033295)] == [
        "812 B", "4.2 KiB", "256 KiB", "56.3 MiB"]


# --- references generated from their sources ---------------------------------------------------


def _schema_fields(node: dict[str, Any], path: str = "") -> Iterator[str]:
    """Every field's path; the forms of an entry (``then`` and ``else`` of an ``if``, each a
    ``$ref``) share the entry's path."""
    if "$ref" in node:
        yield from _schema_fields(topology_schema()["$defs"][node["$ref"].split("/")[-1]], path)
    for key, child in node.get("properties", {}).items():
        here = f"{path}.{key}" if path else key
        yield here
        yield from _schema_fields(child, here)
    for form in (node[k] for k in ("then", "else") if k in node):
        yield from _schema_fields(form, path)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _schema_fields(items, f"{path}[]")


def test_schema_reference_lists_every_field(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    text = text_of(page(site, "reference/topology-file.html"))
    fields = list(_schema_fields(topology_schema()))
    assert {"clusters[].podCIDR", "vpn[].psk", "vpn[].fullMesh", "vpn[].spokes",
            "clusterDefaults.context", "clusters[].listenPool"} <= set(fields)
    for field in fields:
        assert field in text, field
    for name in topology_schema()["$defs"]:
        assert f'id="def-{name.lower()}"' in page(site, "reference/topology-file.html")


def test_cli_reference_lists_every_command_and_option(
        built_site: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Every command and option ``--help`` shows is on the page (``--help`` is the oracle: the
    page is made from the parser by other code)."""
    _, site = built_site
    text = text_of(page(site, "reference/cli.html"))

    def help_of(*words: str) -> str:
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        return capsys.readouterr().out

    listing = help_of().split("COMMAND\n", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"^    ([a-z][\w-]*)  ", listing, re.M)
    assert "build" in commands and "docs" in commands
    for name in commands:
        assert f"meshgen {name}" in text
        options = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", help_of(name).split(
            "options:", 1)[1].split("examples:", 1)[0]))
        assert "--help" in options
        for option in sorted(options - {"-h", "--help"}):
            assert option in text, (name, option)


def test_rules_reference_lists_every_rule(built_site: tuple[Path, Path]) -> None:
    from generator.rules import RULES

    _, site = built_site
    html = page(site, "reference/rules.html")
    text = text_of(html)
    for name, rule in RULES.items():
        assert f'id="{name}"' in html, name
        assert " ".join(rule.meaning.split()[:4]) in text, name


# --- pieces -------------------------------------------------------------------------------


def test_stage_sentences_name_the_clusters_serving_each_version() -> None:
    t = check_file(SEED).topology
    assert t is not None
    assert [describe_stage(t, s) for s in t.traffic] == [
        ["all requests to productpage go to productpage v1 (icp)",
         "all requests to details go to details v1 (icp)",
         "all requests to ratings go to ratings v1 (icp)",
         "all requests to reviews go to reviews v1 (icp)"],
        ["requests with header end-user = jason go to reviews v2 (icp); "
         "all others to reviews v3 (iks)"],
        ["all requests to reviews are split: 50% to reviews v1 (icp), 50% to reviews v3 (iks)"],
    ]


def test_stage_sentences_for_prefixes_regexes_and_missing_versions(tmp_path: Path) -> None:
    data = seed_data()
    data["traffic"] = [{"name": "mixed", "routes": {"reviews": [
        {"match": {"uri": {"prefix": "/api"}, "headers": {"x-beta": {"regex": "^y"}}},
         "to": {"v2": 80, "v3": 20}},
        {"to": "v1"}]}}]
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(data))
    t = check_file(path).topology
    assert t is not None
    assert describe_stage(t, t.traffic[0]) == [
        "requests with header x-beta matching regex ^y and path starting with /api are split: "
        "80% to reviews v2 (icp), 20% to reviews v3 (iks); all others to reviews v1 (icp)"]


def test_diagram_draws_each_cluster_link_and_remote() -> None:
    t = check_file(SEED).topology
    assert t is not None
    svg = diagram_svg(t)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert re.findall(r'data-cluster="([^"]+)"', svg) == ["icp", "iks"]
    assert svg.count('class="mg-vpn"') == 1 and svg.count('class="mg-control"') == 1
    assert "IPsec \u00b7 iks starts" in svg and "iks reaches istiod on icp over the VPN" in svg
    assert "reviews-v3" in svg and "ingress for bookinfo" in svg
    for cidr in ("10.1.0.0/16", "10.0.0.0/24", "172.30.0.0/16", "172.21.0.0/16"):
        assert cidr in svg


@pytest.mark.parametrize(("path", "language"), [
    ("icp/vpn/iks/values.yaml", "yaml"), ("MANIFEST.json", "json"), ("apply.sh", "bash"),
    ("icp/vpn/iks/swanctl.conf", "text"), ("notes.txt", "text"), ("x.YML", "yaml"),
])
def test_highlighter_language_follows_the_extension(path: str, language: str) -> None:
    assert language_of(path) == language


def test_markdown_text_is_inert() -> None:
    text = md_text('<b>x</b> *y* [z](javascript:1) === "t" `c` | !!! note')
    assert not set(text) & set("<>*[]()`|!=\"")


def test_code_span_outlasts_backticks_in_the_text() -> None:
    assert md_code("a``b") == "```a``b```"
    assert md_code("`x") == "`` `x ``"


def test_fence_outlasts_backticks_in_the_text() -> None:
    block = fence("a\n````\nb\n", "text", "f.txt")
    assert block.splitlines()[0] == '`````text title="f.txt"'
    assert block.splitlines()[-1] == "`````"


def test_pages_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"seed.yaml": SEED.read_text("utf-8"),
                                      "hostile.yaml": hostile_topology()}, built=("seed.yaml",))
    script = (
        "import sys; from pathlib import Path\n"
        "from generator.docs.deferred import fill_now\n"
        "from generator.docs.files_pages import files_page, files_pages\n"
        "from generator.docs.layout import Links\n"
        "from generator.docs.sources import collect\n"
        "from generator.docs.topology_page import topology_page\n"
        "p = Path(sys.argv[1])\n"
        "for d in collect(p / 'topologies', p / 'output', p):\n"
        "    print(fill_now(topology_page(d)))\n"
        "    for f in files_pages(d):\n"
        "        print(fill_now(files_page(f, d, Links.plain(f.src_uri))))\n")
    outputs = {
        subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True,
                       text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed,
                                                  "LC_ALL": "C"}).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def test_mkdocs_config_keeps_the_site_offline() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["theme"]["font"] is False
    assert "repo_url" not in config and "extra_javascript" not in config
    assert "analytics" not in config.get("extra", {})



# --- any topology, valid or broken, gets a page ---------------------------------------------

QUICK = settings(max_examples=10, derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example])


def _page_for(text: bytes) -> tuple[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_tree(folder, {"topologies": {"t.yaml": text}})
        (doc,) = collect(folder / "topologies", folder / "output", folder)
        return fill_now(topology_page(doc)), doc


@QUICK
@given(topologies(max_clusters=12))
def test_random_valid_topologies_get_a_complete_page(data: dict[str, Any]) -> None:
    markup, doc = _page_for(to_yaml(data).encode("utf-8"))
    assert doc.checked.valid and doc.output.status is Status.MISSING
    svg = markup[markup.index("<svg"): markup.index("</svg>") + len("</svg>")]
    drawn = ElementTree.fromstring(svg)  # well-formed, so browsers draw all of it
    names = [g.get("data-cluster") for g in drawn.iter("{http://www.w3.org/2000/svg}g")
             if g.get("data-cluster")]
    assert names == [c["name"] for c in data["clusters"]]
    for heading in ("## VPN", "## Istio", "## Placement", "## Traffic stages", "## Runbook",
                    "## Files", "## Validation"):
        assert heading in markup
    assert "<!-- meshgen:block" not in markup
    # One page of files per cluster, and one for apply.sh and MANIFEST.json.
    pages = files_pages(doc)
    assert [p.folder for p in pages] == [*(c["name"] for c in data["clusters"]), ""]


@QUICK
@given(mutants(st.sampled_from([SEED.read_text("utf-8")])))
def test_broken_topologies_still_get_a_page(text: bytes) -> None:
    markup, doc = _page_for(text)
    assert markup.startswith(f"# {md_text(doc.name)}\n")
    for files in files_pages(doc):
        assert fill_now(files_page(files, doc, Links.plain(files.src_uri))).startswith("# ")
    assert "## Validation" in markup
    for problem in doc.checked.errors:
        assert problem.rule in markup


def test_the_runbook_section_says_what_verify_checks(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    runbook = " ".join(text_of(section(page(site, "topologies/icp-iks-bookinfo.html"),
                                       "runbook")).split())
    assert ("./apply.sh --verify, once everything is up, runs the VPN checks again, then "
            "follows Istio's own \"Verify the installation\": on every primary, istioctl "
            "remote-clusters must list each other cluster as synced; the helloworld and curl "
            "samples of Istio 1.30.3, from the unpacked release named by ISTIO_RELEASE_DIR, go "
            "into namespace sample of every cluster (helloworld v1 on icp and v2 on iks); from "
            "each cluster, curl calls helloworld.sample:5000/hello until every version has "
            "answered, at most 20 times, 5 seconds apart, or the check fails with what "
            "answered; then the samples are removed.") in runbook
    assert "verify" in runbook  # the phase, in the summary by phase
