"""The built site in a real headless Chromium, with every outside host unreachable.

Chromium is driven over the DevTools protocol: every request the page makes is recorded, as are
console errors, uncaught exceptions and dialogs. A topology's overview must show its diagram and
tables, each cluster's page its files (highlighted, with copy buttons); no page may make a
request beyond the local server or log an error.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    SEED,
    WIDE,
    changed_project,
    hostile_topology,
    make_project,
    require_success,
    run_cli,
    run_mkdocs,
    unavailable,
)

pytestmark = pytest.mark.slow

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# Safety limits for waiting on the browser, not expectations about speed.
START_LIMIT = 60.0
EVENT_LIMIT = 60.0


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    unavailable("needs Chromium (Debian package chromium)")
    raise AssertionError("unreachable")


def websocket_module() -> Any:
    try:
        import websocket
    except ImportError:
        unavailable("needs the websocket-client package (pip install -e '.[test]')")
    return websocket


class DevTools:
    """One headless Chromium and a DevTools connection to its first tab."""

    def __init__(self, chromium: str, profile: Path) -> None:
        websocket = websocket_module()
        self.log = (profile.parent / "chromium.log").open("wb")
        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-default-apps", "--disable-extensions",
             "--hide-scrollbars", "--window-size=1280,900",
             # Every name resolves nowhere except the local server.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port = self._port(profile / "DevToolsActivePort")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t.get("type") == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"],
                                                  suppress_origin=True, timeout=EVENT_LIMIT)
        self.events: list[dict[str, Any]] = []
        self.next_id = 0
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Page.setLifecycleEventsEnabled", enabled=True)

    def _port(self, active_port: Path) -> int:
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"Chromium exited with status {self.process.returncode}")
            try:
                first = active_port.read_text().splitlines()[0]
                return int(first)
            except (OSError, IndexError, ValueError):
                time.sleep(0.05)
        pytest.fail("Chromium did not open its DevTools port")
        raise AssertionError("unreachable")

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv())
        if "method" in message:
            self.events.append(message)
            if message["method"] == "Page.javascriptDialogOpening":
                # A dialog blocks the page; dismiss it (the test fails on it later).
                self._send("Page.handleJavaScriptDialog", accept=False)
        return message

    def _send(self, method: str, **params: Any) -> int:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, **params)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def wait_for(self, matches: Callable[[dict[str, Any]], bool]) -> None:
        if any(matches(e) for e in self.events):
            return
        while not matches(self._receive()):
            pass

    def open(self, url: str) -> None:
        """Load ``url`` and wait until its network has gone quiet."""
        self.events.clear()
        frame = self.call("Page.navigate", url=url)["frameId"]
        self.wait_for(lambda e: e.get("method") == "Page.lifecycleEvent"
                      and e["params"]["frameId"] == frame
                      and e["params"]["name"] == "networkIdle")

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            method, params = e["method"], e["params"]
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append("console: " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append("exception: " + details.get("exception", {}).get(
                    "description", details.get("text", "")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
        return found

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=START_LIMIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Serve a folder on 127.0.0.1; gives its base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    chromium = find_chromium()
    tools = DevTools(chromium, tmp_path / "chromium-profile")
    try:
        yield tools
    finally:
        tools.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built by ``mkdocs build --strict`` from the seed and a hostile topology."""
    project = make_project(
        tmp_path_factory.mktemp("project"),
        {"icp-iks-bookinfo.yaml": SEED.read_text("utf-8"),
         "hostile.yaml": hostile_topology()},
        built=("icp-iks-bookinfo.yaml", "hostile.yaml"),
    )
    built = tmp_path_factory.mktemp("site")
    require_success(run_mkdocs(project, built))
    return built


def outside(requests: list[str], base: str) -> list[str]:
    """Requests to anything but the local server (inline data and blobs are local)."""
    return [url for url in requests
            if not url.startswith((base, "data:", "blob:", "about:"))]


PAGE_FACTS = """(() => {
  const svg = document.querySelector('svg.meshgen-diagram');
  const box = svg ? svg.getBoundingClientRect() : null;
  const label = svg ? svg.querySelector('text.mg-name').getBoundingClientRect() : null;
  const text = (selector) =>
    [...document.querySelectorAll(selector)].map(e => e.textContent.trim());
  return {
    diagram: box && [box.width, box.height],
    diagramLabel: label && [label.width, label.height],
    clusters: svg ? [...svg.querySelectorAll('[data-cluster]')].map(g => g.dataset.cluster) : [],
    tables: [...document.querySelectorAll('article table')]
      .map(t => t.closest('div[class^="meshgen-"]')?.className).filter(Boolean),
    vpnHeaders: text('.meshgen-vpn thead th'),
    files: text('.highlight .filename'),
    filePages: [...document.querySelectorAll('#files ~ table a, #files ~ div table a')]
      .map(a => a.getAttribute('href')),
    highlighted: document.querySelectorAll('.highlight code span[class]').length,
    copyButtons: document.querySelectorAll('.highlight [data-md-type="copy"]').length,
    codeBlocks: document.querySelectorAll('.highlight').length,
    body: document.body.innerText,
  };
})()"""


def test_topology_page_in_chromium(site: Path, serve: Callable[[Path], str],
                                   browser: DevTools, tmp_path: Path) -> None:
    base = serve(site)
    browser.open(base + "topologies/icp-iks-bookinfo.html")
    browser.screenshot(tmp_path / "icp-iks-bookinfo-full.png")
    browser.evaluate("document.getElementById('diagram').scrollIntoView()")
    screenshot = tmp_path / "icp-iks-bookinfo-diagram.png"
    browser.screenshot(screenshot, full_page=False)
    facts = browser.evaluate(PAGE_FACTS)

    for shot in (screenshot, tmp_path / "icp-iks-bookinfo-full.png"):
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert facts["diagram"] and facts["diagram"][0] > 300 and facts["diagram"][1] > 150
    assert facts["diagramLabel"] and facts["diagramLabel"][0] > 0
    assert facts["clusters"] == ["icp", "iks"]
    assert facts["tables"] == ["meshgen-clusters", "meshgen-vpn", "meshgen-vpn-shared",
                               "meshgen-istio-mesh", "meshgen-istio", "meshgen-placement",
                               "meshgen-phases"]
    assert facts["vpnHeaders"] == ["", "iks (initiator)", "icp (responder)"]
    # The generated files are on pages of their own, one per cluster, linked from here.
    assert facts["files"] == []
    assert facts["filePages"] == ["icp-iks-bookinfo/clusters/icp.html",
                                  "icp-iks-bookinfo/clusters/iks.html",
                                  "icp-iks-bookinfo/files.html"]
    assert ("requests with header end-user = jason go to reviews v2 (icp); "
            "all others to reviews v3 (iks)") in facts["body"]
    assert outside(browser.requests(), base) == []
    assert browser.errors() == []


def test_clusters_page_in_chromium(site: Path, serve: Callable[[Path], str],
                                   browser: DevTools, tmp_path: Path) -> None:
    base = serve(site)
    browser.open(base + "topologies/icp-iks-bookinfo/clusters/iks.html")
    browser.evaluate("document.getElementById('files').scrollIntoView()")
    browser.screenshot(tmp_path / "iks-files.png", full_page=False)
    facts = browser.evaluate(PAGE_FACTS)
    assert facts["files"] and all(f.startswith("iks/") for f in facts["files"])
    assert "iks/namespaces.yaml" in facts["files"] and "iks/vpn/icp/values.yaml" in facts["files"]
    assert facts["highlighted"] > 50
    assert facts["copyButtons"] == facts["codeBlocks"] == len(facts["files"])
    # The table of files leads to each file's block.
    browser.evaluate("document.querySelector('.meshgen-files a[href=\"#file-2\"]').click()")
    shown = browser.evaluate("""(() => {
        const box = document.getElementById('file-2').getBoundingClientRect();
        return [location.hash, box.top >= 0 && box.top < innerHeight];
    })()""")
    assert shown == ["#file-2", True]
    assert outside(browser.requests(), base) == []
    assert browser.errors() == []


def test_wide_topology_and_large_files_in_chromium(
        large_site: tuple[Path, Path], serve: Callable[[Path], str], browser: DevTools,
        tmp_path: Path) -> None:
    project, built = large_site
    base = serve(built)
    browser.open(base + "topologies/wide.html")
    browser.evaluate("document.getElementById('diagram').scrollIntoView()")
    browser.screenshot(tmp_path / "wide-diagram.png", full_page=False)
    facts = browser.evaluate(PAGE_FACTS)
    assert facts["diagram"] and facts["diagram"][0] > 300 and facts["diagram"][1] > 300
    assert facts["clusters"][:2] == ["hub", "spoke-01"] and len(facts["clusters"]) == WIDE
    assert "meshgen-vpn-links" in facts["tables"] and "meshgen-phases" in facts["tables"]
    assert outside(browser.requests(), base) == [] and browser.errors() == []

    browser.open(base + "topologies/seed/files.html")
    script = (project / "output/icp-iks-bookinfo/apply.sh").read_bytes()
    fetched = browser.evaluate("""(async () => {
        const block = [...document.querySelectorAll('.meshgen-file')]
          .find(b => b.querySelector('.filename').textContent === 'apply.sh');
        const link = block.querySelector('.meshgen-cut a[download]');
        const answer = await fetch(link.href);
        return [answer.status, (await answer.arrayBuffer()).byteLength];
    })()""")
    assert fetched == [200, len(script)]
    assert "Shown in part" in browser.evaluate("document.body.innerText")
    assert outside(browser.requests(), base) == [] and browser.errors() == []


def test_markup_from_a_topology_never_runs(site: Path, serve: Callable[[Path], str],
                                          browser: DevTools) -> None:
    base = serve(site)
    browser.open(base + "topologies/hostile.html")
    lede = browser.evaluate("document.querySelector('.meshgen-lede').textContent")
    assert lede.startswith("<script>alert(1)</script> & <img src=x onerror=alert(2)>")
    assert browser.evaluate("document.querySelectorAll('article script, article img').length") \
        == 0
    assert browser.errors() == []  # an alert() would have opened a dialog
    assert outside(browser.requests(), base) == []


def test_no_page_reaches_outside_or_logs_errors(site: Path, serve: Callable[[Path], str],
                                               browser: DevTools) -> None:
    base = serve(site)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if p.name != "404.html")
    assert "reference/cli.html" in pages and "index.html" in pages
    for name in pages:
        browser.open(base + name)
        assert outside(browser.requests(), base) == [], name
        assert browser.errors() == [], name


SEARCH = """(async (words) => {
  // As a reader does: open the search (which starts it on pages read from disk), then type.
  const toggle = document.getElementById('__search');
  toggle.checked = true;
  toggle.dispatchEvent(new Event('change', {bubbles: true}));
  const input = document.querySelector('input[data-md-component="search-query"]');
  input.focus();
  input.value = words;
  for (const kind of ['focus', 'input', 'keyup', 'change']) {
    input.dispatchEvent(new Event(kind, {bubbles: true}));
  }
  for (let waited = 0; waited < 20000; waited += 100) {
    const items = document.querySelectorAll('.md-search-result__item');
    if (items.length) {
      return [...items].map(i => i.querySelector('a').getAttribute('href'));
    }
    await new Promise(done => setTimeout(done, 100));
  }
  return document.querySelector('.md-search-result__meta')?.textContent || 'no results';
})"""


def test_search_works_from_disk(site: Path, browser: DevTools) -> None:
    """Opened as files, with no server: Material's index and worker are fed from scripts."""
    browser.open((site / "index.html").as_uri())
    found = browser.evaluate(f"{SEARCH}('reviews')")
    assert isinstance(found, list) and found, found
    assert any("icp-iks-bookinfo" in href for href in found)
    assert browser.errors() == []
    assert [url for url in browser.requests() if not url.startswith(("file:", "blob:", "data:"))
            ] == []


def test_search_works_served_too(site: Path, serve: Callable[[Path], str],
                                 browser: DevTools) -> None:
    base = serve(site)
    browser.open(base + "index.html")
    found = browser.evaluate(f"{SEARCH}('reviews')")
    assert isinstance(found, list) and found, found
    assert browser.errors() == []


# --- a screenshot of each kind of page -------------------------------------------------------


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``meshgen docs --against main`` in a git project whose branch changes the topologies:
    a site with every kind of page, the Changes page included."""
    project = changed_project(tmp_path_factory.mktemp("review") / "project")
    site = project / "site"
    run = run_cli("docs", "--against", "main", "-d", str(site), cwd=project)
    assert run.returncode == 0, run.output
    return site


LAYOUT = """(() => {
  // The main column: the article with its padding (tables' wrappers reach into it).
  const main = document.querySelector('.md-content');
  const wider = [...main.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > main.getBoundingClientRect().right + 1
                 && !e.closest('.meshgen-figure, .md-typeset__scrollwrap, pre, .highlight'))
    .map(e => e.tagName + '.' + e.className);
  const cut = [...document.querySelectorAll('.meshgen-runbook pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1).length;
  return {page: document.documentElement.scrollWidth <= innerWidth,
          main: main.scrollWidth <= main.clientWidth + 1, wider, cut,
          title: document.querySelector('h1')?.textContent};
})()"""

LABELS = """(() => {
  const svg = document.querySelector('svg.meshgen-diagram');
  const boxes = (selector) => [...svg.querySelectorAll(selector)].map(e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });
  return {labels: boxes('text.mg-label'), clusters: boxes('g.mg-cluster rect')};
})()"""


def overlapping(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


PAGE_KINDS = {
    "overview": "topologies/icp-iks-bookinfo.html",
    "cluster files": "topologies/icp-iks-bookinfo/clusters/icp.html",
    "runbook": "topologies/icp-iks-bookinfo/runbook.html",
    "changes": "changes.html",
    "rules": "reference/rules.html",
}


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_each_kind_of_page_fits_its_column(kind: str, review_site: Path,
                                           serve: Callable[[Path], str], browser: DevTools,
                                           tmp_path: Path) -> None:
    """Screenshot of a whole page of each kind: nothing runs past the main column (wide
    diagrams, tables and code scroll inside their own boxes; the runbook's commands wrap),
    and the page logs no error."""
    base = serve(review_site)
    browser.open(base + PAGE_KINDS[kind])
    shot = tmp_path / f"{kind.replace(' ', '-')}.png"
    browser.screenshot(shot)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    facts = browser.evaluate(LAYOUT)
    assert facts["page"] and facts["main"] and facts["wider"] == [], facts
    assert facts["cut"] == 0, facts
    assert browser.errors() == []
    assert outside(browser.requests(), base) == []
    if kind == "overview":
        # The labels of the diagram, as the browser lays the text out, overlap nothing.
        drawn = browser.evaluate(LABELS)
        assert drawn["labels"]
        for k, label in enumerate(drawn["labels"]):
            assert not any(overlapping(label, box) for box in drawn["clusters"])
            assert not any(overlapping(label, other) for other in drawn["labels"][k + 1:])
