"""The rendered book (`make book`) in Chromium: every page, every internal link, offline.

The session builds the site into a temporary folder with the command `make book` runs (from the
notebooks' saved outputs), serves it on 127.0.0.1, and walks it from index.html: every page that an
internal link reaches is opened, every local request must succeed, every request to another host is
aborted and fails the test (math, fonts and scripts must be bundled), and no formula MathJax draws
may hold a word (a dollar amount typeset as math).
"""
from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import browserkit as bk
import pytest

pytestmark = pytest.mark.browser

ROOT = bk.ROOT
# what `make book` runs (Makefile, target book), with another output folder
BOOK_ARGV = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", "book"]


def build_book(out: Path, doctrees: Path) -> float:
    """Build the site into ``out``; returns the seconds it took."""
    t0 = time.perf_counter()
    done = subprocess.run([*BOOK_ARGV, "-d", str(doctrees), ".", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"the book did not build:\n{done.stderr[-3000:]}"
    return time.perf_counter() - t0


@pytest.fixture(scope="session")
def site(browser, tmp_path_factory):
    """The built book, served over HTTP on 127.0.0.1 (a thread of this process)."""
    work = tmp_path_factory.mktemp("book")
    out = work / "book"
    bk.TIMING["book build"] = build_book(out, work / "doctrees")
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://127.0.0.1:{server.server_address[1]}/", "dir": out}
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on the test output
        pass


def _typeset(page):
    """Wait until MathJax (if the page loads it) has typeset the page."""
    page.wait_for_load_state("load")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise) "
                  "? MathJax.startup.promise.then(() => true) : true")


def crawl(page, base: str) -> dict:
    """Open every page reachable from index.html by internal links; collect what went wrong."""
    broken, math_words, no_nav, local_failures = [], [], [], []
    page.on("response", lambda r: r.status >= 400 and local_failures.append(f"{r.status} {r.url}"))
    # index.html only sends the reader on to the front page
    page.goto(urljoin(base, "index.html"))
    page.wait_for_url("**/book/index.html", timeout=30_000)
    todo, seen, files_ok = [page.url], {urljoin(base, "index.html")}, set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        resp = page.goto(url)
        if resp is None or resp.status >= 400:
            broken.append(url)
            continue
        _typeset(page)
        for bad in page.evaluate(bk.MATH_WORDS_JS, None):
            math_words.append(f"{page.url}: {bad['text']!r}")
        rel = page.url[len(base):]
        if rel.endswith(".html") and rel not in ("index.html", "search.html", "genindex.html"):
            has = page.evaluate("""() => ({
                sidebar: document.querySelectorAll('.bd-sidebar-primary a.reference').length,
                search: !!document.querySelector('.search-button-field, .search-button__button, form.bd-search'),
                prevnext: document.querySelectorAll('.prev-next-area a').length})""")
            if not (has["sidebar"] and has["search"] and has["prevnext"]):
                no_nav.append(f"{rel}: {has}")
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in hrefs:
            target = urldefrag(href)[0]
            if urlparse(target).netloc != urlparse(base).netloc or target in (base, base + "index.html"):
                continue  # another host (a link, not a request), or the redirect checked above
            if target.endswith(".html"):
                todo.append(target)
            elif target not in files_ok:
                try:  # a download, an image, a source file: it must exist
                    with urllib.request.urlopen(target, timeout=30) as r:
                        r.read(1)
                    files_ok.add(target)
                except urllib.error.HTTPError:
                    broken.append(f"{page.url} -> {target}")
    return {"pages": sorted(seen), "broken": broken, "math_words": math_words, "no_nav": no_nav,
            "local_failures": local_failures}


def test_book_pages_links_offline_and_no_dollar_math(browser, site):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog()
    ctx.route("**/*", requests.route)
    page = ctx.new_page()
    t0 = time.perf_counter()
    found = crawl(page, site["base"])
    bk.TIMING["book crawl"] = time.perf_counter() - t0
    ctx.close()
    pages = [p for p in found["pages"] if p.endswith(".html")]
    bk.TIMING["book pages"] = float(len(pages))
    expected = ([f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")]
                + [f"exercises/{p.stem}.html" for p in (ROOT / "exercises").glob("*.ipynb")]
                + [f"solutions/{p.stem}.html" for p in (ROOT / "solutions").glob("*.ipynb")]
                + [f"workshop/{p.stem}.html" for p in (ROOT / "workshop").glob("*.md")]
                + ["book/index.html"])
    missing = sorted(set(expected) - {p[len(site["base"]):] for p in pages})
    assert not missing, f"pages not reachable by links from index.html: {missing}"
    assert not found["broken"], f"internal links to missing pages: {found['broken'][:10]}"
    assert not found["local_failures"], f"local requests that failed: {found['local_failures'][:10]}"
    assert not requests.blocked, f"requests to other hosts (must be bundled): {sorted(set(requests.blocked))[:10]}"
    assert not found["math_words"], f"prose typeset as math: {found['math_words'][:10]}"
    assert not found["no_nav"], f"pages without sidebar, search or previous/next links: {found['no_nav'][:10]}"


def test_book_search_finds_pages(browser, site):
    page = browser.new_page()
    page.goto(site["base"] + "search.html?q=roofline")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=60_000)
    assert results.count() >= 2
    page.close()


def test_book_has_real_math_and_figures(browser, site):
    """The checks above would pass on a site with no math at all: make sure formulas are drawn."""
    page = browser.new_page()
    page.goto(site["base"] + "notebooks/02_throughput_ceiling.html")
    _typeset(page)
    assert page.locator("mjx-container").count() >= 5
    assert page.locator("img").count() >= 1, "the saved figures are in the page"
    page.close()


def test_the_word_check_catches_a_dollar_amount_typeset_as_math(browser, site):
    """A page where MathJax does read $...$ as math: the check must flag the prose it draws."""
    probe = site["dir"] / "_selftest_dollars.html"
    probe.write_text(
        "<!DOCTYPE html><html><head><script>window.MathJax = {tex: {inlineMath: [['$', '$']]}};"
        "</script><script src='_static/mathjax/tex-chtml.js'></script></head><body>"
        "<p>A GPU at $3/hour against $10/M output, and real math $x^2 + U S T$.</p></body></html>")
    page = browser.new_page()
    page.goto(site["base"] + probe.name)
    _typeset(page)
    page.wait_for_selector("mjx-container")
    bad = page.evaluate(bk.MATH_WORDS_JS, None)
    page.close()
    assert len(bad) == 1 and "hour" in bad[0]["text"], bad
