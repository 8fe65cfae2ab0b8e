"""The documentation site: pages generated from topologies and output/, built with MkDocs.

Sites are built by the real ``mkdocs build --strict`` (never ``-q``, which hides the warnings
strict mode counts) into temporary folders, from temporary projects written here.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.api import build, check_file
from generator.cli import build_parser, main
from generator.docs.committed import Status, language_of
from generator.docs.diagram import diagram_svg
from generator.docs.markup import fence, md_code, md_text
from generator.docs.routes import describe_stage
from generator.docs.sources import collect
from generator.docs.topology_page import topology_page
from generator.schema import topology_schema
from tests.conftest import ROOT, SEED, TOPOLOGIES, write_tree
from tests.strategies import mutants, to_yaml, topologies

MKDOCS = (sys.executable, "-m", "mkdocs")
HOSTILE = "<script>alert(1)</script>"
SECRET_VALUE = "psk-value-that-must-never-show"
SERVE_LIMIT = 60.0  # seconds; only stops a hung server, not a measure of speed


def seed_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SEED.read_text("utf-8"))
    return data


def hostile_topology() -> str:
    """The seed with markup in every free-text field a topology allows."""
    data = seed_data()
    data["name"] = "hostile"
    data["description"] = f"{HOSTILE} & <img src=x onerror=alert(2)> | *bold* === \"tab\""
    data["clusters"][0]["description"] = "<script>alert(3)</script>"
    data["clusters"][0]["context"] = "<b>icp-admin</b>"
    data["traffic"][1]["description"] = "<script>alert(4)</script> [link](javascript:alert(6))"
    data["traffic"][1]["routes"]["reviews"][0]["match"]["headers"]["end-user"]["exact"] = (
        "<script>alert(5)</script>")
    # Valid, with a warning the page must show.
    data["vpn"][0]["ike"] = "aes128-sha1-modp2048"
    data["vpn"][0]["allowWeakCrypto"] = True
    return yaml.safe_dump(data, sort_keys=False)


def invalid_topology() -> str:
    data = seed_data()
    data["name"] = "broken"
    data["clusters"][1]["podCIDR"] = data["clusters"][0]["podCIDR"]
    return yaml.safe_dump(data, sort_keys=False)


def make_project(base: Path, topologies: dict[str, str], built: tuple[str, ...]) -> Path:
    """A project folder with this project's mkdocs.yml and docs/, the given topologies, and
    output/ built for the files named in ``built``."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", base / "mkdocs.yml")
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


def test_every_committed_file_is_shown_with_its_path_in_a_cluster_tab(
        built_site: tuple[Path, Path]) -> None:
    project, site = built_site
    markup = page(site, "topologies/icp-iks-bookinfo.html")
    manifest = json.loads((project / "output/icp-iks-bookinfo/MANIFEST.json").read_text())
    titles = re.findall(r'<span class="filename">([^<]*)</span>', markup)
    assert sorted(titles) == sorted([*manifest["files"], "MANIFEST.json"])
    tabs = [text_of(t) for t in re.findall(r'<label for="__tabbed_\d+_\d+">(.*?)</label>',
                                           markup)]
    assert tabs == ["icp", "iks", "whole topology"]
    # Each file's text is there, highlighted for its language.
    namespaces = (project / "output/icp-iks-bookinfo/iks/namespaces.yaml").read_text()
    assert "language-yaml" in markup
    block = markup[markup.index('<span class="filename">iks/namespaces.yaml</span>'):]
    code_text = text_of(block[: block.index("</code>")])
    assert namespaces.strip() in code_text


def test_page_count_grows_with_topologies_not_files(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert [p for p in pages if p.startswith("topologies/")] == [
        "topologies/broken.html", "topologies/hostile.html", "topologies/icp-iks-bookinfo.html",
        "topologies/index.html", "topologies/unbuilt.html"]
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
    assert '<span class="filename">icp/namespaces.yaml</span>' in markup


def test_stale_output_is_said_and_the_committed_files_shown(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"seed.yaml": SEED.read_text("utf-8")},
                           built=("seed.yaml",))
    namespaces = project / "output/icp-iks-bookinfo/icp/namespaces.yaml"
    namespaces.write_text(namespaces.read_text() + "# edited by hand\n")
    (doc,) = collect(project / "topologies", project / "output", project)
    assert doc.output.status is Status.STALE
    assert [(d.kind, d.path) for d in doc.output.differences] == [
        ("changed", "icp/namespaces.yaml")]
    assert any("# edited by hand" in f.text for f in doc.output.files)


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


# --- references generated from their sources ---------------------------------------------------


def _schema_fields(node: dict[str, Any], path: str = "") -> Iterator[str]:
    for key, child in node.get("properties", {}).items():
        here = f"{path}.{key}" if path else key
        yield here
        yield from _schema_fields(child, here)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _schema_fields(items, f"{path}[]")


def test_schema_reference_lists_every_field(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    text = text_of(page(site, "reference/topology-file.html"))
    fields = list(_schema_fields(topology_schema()))
    assert "clusters[].podCIDR" in fields and "vpn[].psk" in fields
    for field in fields:
        assert field in text, field
    for name in topology_schema()["$defs"]:
        assert f'id="def-{name.lower()}"' in page(site, "reference/topology-file.html")


def test_cli_reference_lists_every_command_and_option(built_site: tuple[Path, Path]) -> None:
    _, site = built_site
    text = text_of(page(site, "reference/cli.html"))
    parser = build_parser()
    commands = next(a for a in parser._actions if a.choices and a.dest == "command")
    assert isinstance(commands.choices, dict)
    for name, sub in commands.choices.items():
        assert f"meshgen {name}" in text
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in text, (name, option)


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
    assert "IPsec \u00b7 iks starts" in svg and "iks reports to icp" in svg
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
        "from generator.docs.sources import collect\n"
        "from generator.docs.topology_page import topology_page\n"
        "p = Path(sys.argv[1])\n"
        "print(''.join(topology_page(d) for d in collect(p / 'topologies', p / 'output', p)))\n")
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
        return topology_page(doc), doc


@QUICK
@given(topologies(max_clusters=6))
def test_random_valid_topologies_get_a_complete_page(data: dict[str, Any]) -> None:
    markup, doc = _page_for(to_yaml(data).encode("utf-8"))
    assert doc.checked.valid and doc.output.status is Status.MISSING
    svg = markup[markup.index("<svg"): markup.index("</svg>") + len("</svg>")]
    drawn = ElementTree.fromstring(svg)  # well-formed, so browsers draw all of it
    names = [g.get("data-cluster") for g in drawn.iter("{http://www.w3.org/2000/svg}g")]
    assert names == [c["name"] for c in data["clusters"]]
    for heading in ("## VPN", "## Istio", "## Placement", "## Traffic stages", "## Runbook",
                    "## Files", "## Validation"):
        assert heading in markup


@QUICK
@given(mutants(st.sampled_from([SEED.read_text("utf-8")])))
def test_broken_topologies_still_get_a_page(text: bytes) -> None:
    markup, doc = _page_for(text)
    assert markup.startswith(f"# {md_text(doc.name)}\n")
    assert "## Validation" in markup
    for problem in doc.checked.errors:
        assert problem.rule in markup
