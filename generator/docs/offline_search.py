"""Search that works when the site is opened from disk (``file://``), with no server and
nothing fetched from outside.

Material for MkDocs searches in a web worker and fetches ``search/search_index.json``; a page
opened from ``file://`` may do neither (its origin is opaque). Material already reads the
index from ``search/search_index.js`` (a script defining ``__index``) when the page is a file,
so that script is written beside the JSON. The worker is fed the same way: its code is written
as a script defining a string, and a small shim that runs before Material's bundle (listed in
Material's ``extra.polyfills``) starts the search worker from that string (a ``blob:`` URL the
page itself made) when the page is a file. Served over HTTP, nothing changes.
"""

from __future__ import annotations

import json
from pathlib import Path

WORKER_SOURCE = "assets/javascripts/meshgen-search-worker.js"
"""The search worker's code, as a script defining ``__meshgenSearchWorker``."""
SHIM = "assets/javascripts/meshgen-file-search.js"
"""Starts the search worker from that code on pages opened from disk."""
INDEX_JSON = "search/search_index.json"
INDEX_SCRIPT = "search/search_index.js"

SHIM_TEXT = """\
/* meshgen: search on pages opened from disk (file://), where a web worker cannot be loaded
   from a file. The search worker's code comes from meshgen-search-worker.js (loaded before
   this), and is started from a blob: URL made here. Served over HTTP, nothing changes. */
(function () {
  "use strict";
  if (location.protocol !== "file:" || typeof window.Worker !== "function") {
    return;
  }
  var Native = window.Worker;
  function Worker(url, options) {
    var source = window.__meshgenSearchWorker;
    if (typeof source === "string" && /\\/workers\\/search\\.[^/]*\\.js$/.test(String(url))) {
      var blob = new Blob([source], { type: "text/javascript" });
      return new Native(URL.createObjectURL(blob), options);
    }
    return new Native(url, options);
  }
  Worker.prototype = Native.prototype;
  window.Worker = Worker;
})();
"""


def polyfills() -> list[str]:
    """The scripts to load before Material's bundle, in order."""
    return [WORKER_SOURCE, SHIM]


def write_offline_search(site: Path) -> bool:
    """Write the index as a script, the worker's code as a script and the shim into the built
    ``site``; False when the site has no search index (the search plugin is off) or no
    Material search worker (another theme, which searches its own way)."""
    index = site / INDEX_JSON
    workers = sorted((site / "assets" / "javascripts" / "workers").glob("search.*.js"))
    if not index.is_file() or not workers:
        return False
    (site / INDEX_SCRIPT).write_text("var __index = " + index.read_text("utf-8") + ";\n",
                                     "utf-8")
    worker = next((w for w in workers if w.name.endswith(".min.js")), workers[0])
    source = json.dumps(worker.read_text("utf-8"))
    (site / WORKER_SOURCE).write_text(f"window.__meshgenSearchWorker = {source};\n", "utf-8")
    (site / SHIM).write_text(SHIM_TEXT, "utf-8")
    return True
