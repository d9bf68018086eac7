"""The Voilà calculator app (started as `make app` starts it), driven with Chromium, offline.

Every request to another host is aborted: the app must still render and compute. The test changes
dropdowns and moves slider handles with the keyboard, and checks the shown numbers against values
it computes with costlib's engine (``cl.predict``) and the catalog's prices (not the calculator's quote()).
"""
from __future__ import annotations

import browserkit as bk
import pytest
import widgetkit as wk
from playwright.sync_api import expect

import costlib as cl
from costlib.common.fmt import tier_name

pytestmark = pytest.mark.browser

TITLE = "What does my deployment cost?"
MODEL, GPU, IN, OUT = "llama-3.1-70b", "H100-SXM", 1000, 1000


def expected(dep, batch, utilization, tier="on_demand"):
    """Mid tokens/s and the low, mid, high $/M written out from the engine's tokens/s and the catalog's prices."""
    band = cl.predict(dep, IN, OUT, batch=batch).output_tokens_per_s
    tps = {"low": band.low, "mid": band.mid, "high": band.high}
    price = {pt: cl.gpu_usd_per_hour(dep.gpu, tier, pt) for pt in ("low", "mid", "high")}
    usd = (cl.usd_per_million_tokens(price["low"] * dep.tp, tps["high"], utilization),
           cl.usd_per_million_tokens(price["mid"] * dep.tp, tps["mid"], utilization),
           cl.usd_per_million_tokens(price["high"] * dep.tp, tps["low"], utilization))
    monthly = price["mid"] * dep.tp * cl.HOURS_PER_MONTH
    return tps["mid"], usd, monthly


def test_calculator_app_offline(page, app):
    page.goto(f"{app['base']}/?token={app['token']}")
    box = wk.explorer(page, TITLE)
    out = wk.output(box)
    # defaults: 70B fp8 (KV bf16) on two H100s, 1,000 + 1,000 tokens, batch 64, on-demand, 50% utilization
    dep = cl.deployment(MODEL, GPU, 2, "fp8")
    tps, usd, monthly = expected(dep, 64, 0.50)
    expect(out).to_contain_text(f"throughput: {tps:,.0f} tokens/s", timeout=wk.RUN_TIMEOUT_MS)
    expect(out).to_contain_text(f"cost: ${usd[1]:,.2f} per million output tokens at 50% utilization "
                                f"(range ${usd[0]:,.2f}-${usd[2]:,.2f})")
    expect(out).to_contain_text(f"monthly: ${monthly:,.0f} for the replica")
    expect(box.locator("table.costlib-api-table")).to_contain_text("Together AI")
    assert "from costlib.ui.app import" not in page.content(), "Voilà must hide the code"

    wk.nudge(box, "batch (sequences)")  # slider: 64 -> 65
    tps, usd, _ = expected(dep, 65, 0.50)
    expect(out).to_contain_text(f"throughput: {tps:,.0f} tokens/s", timeout=wk.UPDATE_TIMEOUT_MS)
    wk.nudge(box, "utilization", times=10)  # slider: 0.50 -> 0.60
    tps, usd, _ = expected(dep, 65, 0.60)
    expect(out).to_contain_text(f"cost: ${usd[1]:,.2f} per million output tokens at 60% utilization",
                                timeout=wk.UPDATE_TIMEOUT_MS)
    wk.choose(box, "price tier", tier_name("reserved"))  # dropdown: the label people read
    tps, usd, monthly = expected(dep, 65, 0.60, "reserved")
    expect(out).to_contain_text(f"cost: ${usd[1]:,.2f} per million output tokens at 60% utilization "
                                f"(range ${usd[0]:,.2f}-${usd[2]:,.2f})", timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"monthly: ${monthly:,.0f} for the replica")
    if bk.SCREENSHOTS:
        page.mouse.move(0, 0)  # no hover highlight in the picture
        page.set_viewport_size({"width": 1280, "height": 1640})  # Voilà scrolls inside its body: show it all
        bk.save_screenshot(page, "app_calculator", readme_name="app_calculator.png")
        page.set_viewport_size({"width": 1280, "height": 900})

    # the second figure: the tornado of the same quote; the text stays what it was
    img = box.locator(".widget-image").first.get_attribute("src")
    wk.choose(box, "figure", "what moves $/M most (tornado)")
    expect(box.locator(".widget-image").first).not_to_have_attribute("src", img, timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"cost: ${usd[1]:,.2f} per million output tokens at 60% utilization ")
    wk.choose(box, "figure", "$/M vs API prices")

    # a TPOT target instead of a batch: the largest batch that meets it on the engine
    wk.choose(box, "size the batch by", "TPOT target")
    target_ms = float(wk.readout(box, "TPOT target (ms)"))
    best = cl.batch_for_tpot(dep, IN, OUT, target_ms / 1e3)
    expect(out).to_contain_text(f"largest batch with TPOT <= {target_ms:.1f} ms {best:,}",
                                timeout=wk.UPDATE_TIMEOUT_MS)

    # impossible: bf16 weights of a 70B model on a single H100
    wk.choose(box, "weights", "BF16")
    wk.choose(box, "tensor parallel (TP)", "1")
    no_fit = cl.predict(cl.deployment(MODEL, GPU, 1, "bf16", "bf16"), IN, OUT, batch=1)  # TPOT mode: batch 1
    expect(out).to_contain_text("does not fit", timeout=wk.UPDATE_TIMEOUT_MS)
    expect(out).to_contain_text(f"short by {no_fit.shortfall_bytes / 1e9:,.1f} GB")
    expect(out).to_contain_text("try TP=2")
    expect(box.locator("table.costlib-api-table")).to_have_count(0)
    bk.save_screenshot(page, "app_calculator_does_not_fit")

    assert "Traceback" not in page.text_content("body")
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
    assert not page.requests.failed, f"local requests failed: {page.requests.failed}"
    # Zero attempts, not zero successes: Voilà's own template must not even try a CDN (Font Awesome).
    assert page.requests.blocked == [], f"the app page tried to reach other hosts: {page.requests.blocked}"
    # ... and its icon font still comes from this server (Voilà's bundle carries Font Awesome 5).
    family = page.evaluate("""() => { const i = document.createElement('i'); i.className = 'fa fa-check';
        document.body.appendChild(i); const f = getComputedStyle(i).fontFamily; i.remove(); return f; }""")
    assert "Font Awesome" in family, f"no local Font Awesome: .fa renders in {family!r}"
