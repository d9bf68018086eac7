"""The rendered book (`make book`) in Chromium: every page, every internal link, offline.

The session builds the site into a temporary folder with the command `make book` runs (from the
notebooks' saved outputs), serves it on 127.0.0.1, and walks it from index.html: every page that an
internal link reaches is opened, every local request must succeed, every request to another host
fails and fails the test (math, fonts and scripts must be bundled), and no formula MathJax draws
may hold a word (a dollar amount typeset as math).

The build starts in the background as soon as the session knows it will run these tests
(conftest.py, ``book_build``), so it overlaps the browser tests that run before them. The crawl
keeps a few pages loading at once in one browser context.
"""
from __future__ import annotations

import functools
import http.server
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urldefrag, urljoin, urlparse

import browserkit as bk
import pytest

pytestmark = pytest.mark.browser

ROOT = bk.ROOT


@pytest.fixture(scope="session")
def site(browser, book_build, tmp_path_factory):
    """The built book, served over HTTP on 127.0.0.1 (a thread of this process)."""
    if book_build is None:  # the session did not plan this file's tests (conftest.book_build)
        work = tmp_path_factory.mktemp("book")
        book_build = bk.start_book_build(work / "book", work / "doctrees"), work / "book"
    proc, out = book_build
    bk.TIMING["book build (in the background)"] = bk.finish_book_build(proc)
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


CRAWLERS = 4  # pages loading at once: while one is typeset, the others fetch and lay out


def crawl(ctx, base: str, crawlers: int = CRAWLERS) -> dict:
    """Open every page reachable from index.html by internal links; collect what went wrong.

    A few pages of the context crawl together: each starts a navigation (returning once the server
    answers), and the oldest one is then waited for and read while the others load.
    """
    broken, math_words, no_nav, local_failures = [], [], [], []
    pages = [ctx.new_page() for _ in range(crawlers)]
    for page in pages:
        page.on("response", lambda r: r.status >= 400 and local_failures.append(f"{r.status} {r.url}"))
    # index.html only sends the reader on to the front page
    pages[0].goto(urljoin(base, "index.html"))
    pages[0].wait_for_url("**/book/index.html", timeout=30_000)
    todo, seen, files_ok = [pages[0].url], {urljoin(base, "index.html")}, set()
    loading: dict = {}  # page -> the URL it loads, oldest first
    while todo or loading:
        for page in pages:
            while page not in loading and todo:
                url = todo.pop()
                if url in seen:
                    continue
                seen.add(url)
                resp = page.goto(url, wait_until="commit")
                if resp is None or resp.status >= 400:
                    broken.append(url)
                else:
                    loading[page] = url
        if not loading:
            continue
        page = next(iter(loading))
        del loading[page]
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
                if target not in seen:
                    todo.append(target)
            elif target not in files_ok:
                try:  # a download, an image, a source file: it must exist
                    with urllib.request.urlopen(target, timeout=30) as r:
                        r.read(1)
                    files_ok.add(target)
                except urllib.error.HTTPError:
                    broken.append(f"{page.url} -> {target}")
    for page in pages:
        page.close()
    return {"pages": sorted(seen), "broken": broken, "math_words": math_words, "no_nav": no_nav,
            "local_failures": local_failures}


def test_book_pages_links_offline_and_no_dollar_math(browser, site):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = bk.RequestLog(ctx)
    t0 = time.perf_counter()
    found = crawl(ctx, site["base"])
    bk.TIMING["book crawl"] = time.perf_counter() - t0
    ctx.close()
    pages = [p for p in found["pages"] if p.endswith(".html")]
    bk.COUNTS["book pages"] = len(pages)
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


def test_requests_to_other_hosts_are_recorded_and_never_answered(browser, site):
    """The offline checks of every browser test: a request to another host, by name or by IP
    address, is recorded as blocked and fails in the browser; a local one does not."""
    probe = site["dir"] / "_selftest_offline.html"
    probe.write_text("<!DOCTYPE html><html><head><link rel='stylesheet' href='https://example.com/x.css'>"
                     "</head><body><img src='http://203.0.113.7/x.png'><img src='index.html'>"
                     "</body></html>")
    ctx = browser.new_context()
    requests = bk.RequestLog(ctx)
    answered: list[str] = []
    ctx.on("requestfinished", lambda r: answered.append(r.url))
    page = ctx.new_page()
    page.goto(site["base"] + probe.name)
    page.wait_for_load_state("load")
    ctx.close()
    outside = ["https://example.com/x.css", "http://203.0.113.7/x.png"]
    assert sorted(requests.blocked) == sorted(outside), requests.blocked
    assert not set(outside) & set(answered), answered
    assert site["base"] + "index.html" in answered and not requests.failed
