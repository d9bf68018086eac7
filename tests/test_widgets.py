"""costlib.ui.widgets: every explorer's numbers against hand-derived values, every control extreme, no tracebacks.

Numbers expected in the messages are derived by hand below (architecture formulas, datasheet figures,
the chapter's inputs), never by calling the code under test. No browser: setting ``control.value``
fires the same observers a slider does.
"""
from __future__ import annotations

import html
import math
import re

import matplotlib

matplotlib.use("Agg")  # this module only; notebooks keep their inline backend

import ipywidgets as w  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from costlib.common import fmt  # noqa: E402
from costlib.ui import widgets  # noqa: E402

# ---------------------------------------------------------------- hand-derived facts

LLAMA_70B = (80, 8192, 64, 8, 128, 28672, 128256)  # config.json: layers, hidden, heads, kv, head_dim, ffn, vocab
L, HID, H, HD = 80, 8192, 64, 128
BW, BF16, FP8, LINK = 3.35e12, 989e12, 1979e12, 450e9  # H100 SXM datasheet: HBM, dense bf16/fp8, NVLink/dir
USABLE = 0.95 * 80 * 2**30 - 1e9  # per H100: 95% of HBM (its "80 GB" are 80 GiB) minus 1 GB
MBU, MFU = (0.60 + 0.85) / 2, (0.30 + 0.50) / 2  # middle of the chapter's §30.4 ranges
AR_LATENCY = 5e-6  # fixed cost of one all-reduce (workbook convention)


def dense_params(layers, hidden, heads, kv_heads, head_dim, ffn, vocab):
    attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    return 2 * vocab * hidden + layers * (attn + 3 * hidden * ffn + 2 * hidden) + hidden


N70 = dense_params(*LLAMA_70B)
KV70 = 2 * 80 * 8 * 128 * 2  # bytes per token of bf16 KV cache


VD = 128256 * HID  # one vocabulary table: the input embedding or the output head
BODY = N70 - 2 * VD  # parameters of the transformer body


def engine_step_s(new, pairs, kv_read, logit_rows, tp, bytes_per_weight, peak, mbu, mfu):
    """The master equation written out: matmuls (the body at the weights' rate, the 16-bit head at the bf16
    rate) and attention over the bf16 cache are each a roofline; their times add, plus the TP all-reduces."""
    bw = tp * BW * mbu
    mm = max((BODY * bytes_per_weight + VD * 2) / bw, (2 * BODY * new / peak + 2 * VD * logit_rows / BF16) / (tp * mfu))
    att = max((kv_read + new) * KV70 / bw, 4 * L * H * HD * pairs / (tp * BF16 * mfu))
    comm = 2 * L * (AR_LATENCY + 2 * (tp - 1) / tp * new * HID * 2 / LINK) if tp > 1 else 0.0
    return mm + att + comm


def step_s(batch, context, tp, bytes_per_weight, peak, mbu=MBU, mfu=MFU):
    """A decode step: batch new tokens, each attending to context cached ones, batch rows of logits."""
    return engine_step_s(batch, batch * context, batch * context, batch, tp, bytes_per_weight, peak, mbu, mfu)


def prefill_s(n, tp, bytes_per_weight, peak, mfu=MFU, mbu=MBU):
    """One n-token prompt: n new tokens, n (n + 1) / 2 causal pairs, nothing cached, one row of logits."""
    return engine_step_s(n, n * (n + 1) / 2, 0, 1, tp, bytes_per_weight, peak, mbu, mfu)


def resident(bytes_per_weight):
    """Weights held in memory: the body in its format, both vocabulary tables in 16 bits."""
    return BODY * bytes_per_weight + 2 * VD * 2


def max_batch(tp, bytes_per_weight, context):
    return int((tp * USABLE - resident(bytes_per_weight)) // KV70) // context


def usd_per_m(usd_per_hour, tokens_per_s):
    return usd_per_hour / (tokens_per_s * 3600 / 1e6)


# ---------------------------------------------------------------- the one prediction path (issue #13)
# Explorers that show tokens/s or $/M take them from costlib.estimate.predict (calibrated by default):
# those numbers are checked against predict() itself (one engine), the dollars by hand.

def engine(weights, tp, batch=None, input_len=1024, output_len=1024, profile="calibrated", kv="bf16",
           model="llama-3.1-70b", gpu="H100-SXM"):
    """predict() for a deployment; a 2,048-token context is 1,024 prompt + 1,024 output tokens."""
    from costlib import deployment
    from costlib.estimate.predict import predict

    return predict(deployment(model, gpu, tp, weights, kv), input_len, output_len, batch=batch, profile=profile)


def decode_rate(weights, tp, batch, **kw):
    """Decode tokens/s of a fixed batch: batch / mid TPOT."""
    return batch / engine(weights, tp, batch, **kw).tpot_s.mid


# ---------------------------------------------------------------- helpers

NAN_WORD = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


def figure_problems(ex) -> list[str]:
    """NaN/inf anywhere in what the explorer drew, or an empty plot that is not a message."""
    out = []
    for ax in ex.fig.axes:
        drawn = ax.get_lines() + ax.collections + ax.patches
        if not drawn and not ax.texts:
            out.append("empty axes")
        for ln in ax.get_lines():
            xy = np.asarray(ln.get_xydata(), dtype=float)
            if xy.size and not np.isfinite(xy).all():
                out.append(f"line {ln.get_label()!r}")
        for c in ax.collections:
            if not all(np.isfinite(p.vertices).all() for p in c.get_paths()):
                out.append(f"collection {c.get_label()!r}")
        for p in ax.patches:
            if not np.isfinite(np.asarray(p.get_path().vertices, dtype=float)).all():
                out.append(f"patch {p!r}")
            if hasattr(p, "get_width") and hasattr(p, "get_xy"):
                if not np.isfinite([*np.ravel(p.get_xy()), p.get_width(), p.get_height()]).all():
                    out.append(f"bar {p!r}")
        for t in ax.texts:
            if not np.isfinite(np.asarray(t.get_position(), dtype=float)).all():
                out.append(f"text {t.get_text()!r}")
            if NAN_WORD.search(t.get_text()):
                out.append(f"text says {t.get_text()!r}")
        if not (np.isfinite(ax.get_xlim()).all() and np.isfinite(ax.get_ylim()).all()):
            out.append("limits")
    return out


def assert_sane(ex, where=""):
    assert ex.message, f"{where}: empty message"
    assert not NAN_WORD.search(ex.message), f"{where}: {ex.message}"
    assert "internal error" not in ex.message, f"{where}: {ex.message}"
    assert "Traceback" not in ex.out.value
    assert figure_problems(ex) == [], f"{where}: {figure_problems(ex)}"
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n", f"{where}: no PNG rendered"


def options(c):
    """A dropdown's values: (label, id) pairs hold the id."""
    return [o[1] if isinstance(o, tuple) else o for o in c.options]


def extremes(c):
    if isinstance(c, w.FloatLogSlider):
        return [c.base ** c.min, c.base ** c.max]
    if isinstance(c, (w.FloatSlider, w.IntSlider)):
        return [c.min, c.max]
    return [options(c)[0], options(c)[-1]]


def money(message, after):
    """The first $ amount after a phrase in the message, as a float."""
    m = re.search(re.escape(after) + r".*?\$([\d,]+(?:\.\d+)?)", message)
    assert m, f"no $ after {after!r} in: {message}"
    return float(m.group(1).replace(",", ""))


# ---------------------------------------------------------------- the framework

def test_every_builder_returns_a_displayable_explorer():
    assert set(widgets.EXPLORERS) == {
        "tour", "cost_explorer", "procurement_explorer", "throughput_explorer", "roofline_explorer",
        "utilization_explorer", "prefill_decode_explorer", "self_host_explorer", "hardware_explorer",
        "latency_explorer", "capacity_explorer", "claims_explorer", "cheatsheet_explorer",
        "validation_explorer"}
    ex = widgets.cost_explorer()
    assert isinstance(ex.widget, w.VBox)
    header, hint, body = ex.widget.children
    controls, figure = body.children
    # the result under the figure, beside the controls; then the hidden reporter of the page's pixel ratio
    assert figure.children == (ex.image, ex.out, ex.pixel_ratio)
    assert body.layout.flex_flow == "row wrap"
    # a long result (the hardware explorer's table) scrolls instead of making the explorer taller
    assert ex.out.layout.max_height.endswith("px") and ex.out.layout.overflow == "auto"
    assert set(ex.values()) == set(ex.controls)
    for c in ex.controls.values():
        if isinstance(c, (w.FloatSlider, w.IntSlider, w.FloatLogSlider)):
            assert c.continuous_update is True and c.readout  # live, and the value can be typed
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].endswith(ex.message)  # readable where widgets cannot render
    assert bundle["image/png"] == ex.image.value


def test_one_figure_per_explorer_reused_across_changes():
    ex = widgets.cost_explorer()
    fig, ax = ex.fig, ex.ax
    for u in (0.3, 0.6, 0.9):
        ex.controls["utilization"].value = u
    assert ex.fig is fig and ex.ax is ax and ex.fig.axes == [ax]
    import matplotlib.pyplot as plt

    assert all(plt.figure(n) is not fig for n in plt.get_fignums())  # not held by pyplot: no leak


def test_set_recomputes_once_and_rejects_unknown_controls():
    ex = widgets.cost_explorer()
    ex.set(usd_per_hour=3.0, tokens_per_s=1000, utilization=1.0)
    assert money(ex.message, "= ") == round(usd_per_m(3.0, 1000), 2)  # §30.1: $3/h -> $0.83/M
    with pytest.raises(ValueError, match="unknown control"):
        ex.set(price=1)


def test_presets_are_validated():
    with pytest.raises(ValueError, match="H100"):
        widgets.tour(gpu="H100")  # ambiguous: H100-SXM or H100-PCIe
    with pytest.raises(ValueError):
        widgets.throughput_explorer(weights="int3")


# ---------------------------------------------------------------- 00 tour

def test_tour_chapter_example_does_not_fit_and_says_by_how_much():
    ex = widgets.tour()  # the chapter's 70B in bf16 on one H100 at $2/h
    short = (2 * N70 + 2048 * KV70 - USABLE) / 1e9  # weights + one 2,048-token sequence
    assert ex.message.startswith("does not fit")
    assert f"short by {short:.1f} GB" in ex.message and f"{short:.1f}" == "61.2"
    assert "TP=2" in ex.message
    assert "$" not in ex.message  # physics first: no price for a config that does not fit
    assert_sane(ex, "tour default")


def test_tour_fp8_fits_and_is_priced():
    ex = widgets.tour()
    ex.controls["weights"].value = "fp8"
    b = max_batch(1, 1, 2048)
    assert b == 11  # 80.6 GB - 72.7 GB leaves 24,259 tokens of bf16 KV
    assert ex.message.startswith("fits") and f"room for {b} sequences" in ex.message
    e = engine("fp8", 1)
    tps = e.output_tokens_per_s.mid
    assert f"{e.batch:,} sequences in flight" in ex.message and f"{tps:,.0f} output tokens/s" in ex.message
    assert money(ex.message, "=") == round(usd_per_m(2.0, tps), 2)
    assert_sane(ex, "tour fp8")


def test_tour_two_gpus_bf16_fits():
    ex = widgets.tour(tp=2)
    assert ex.message.startswith("fits") and f"room for {max_batch(2, 2, 2048)} sequences" in ex.message
    tps = engine("bf16", 2).output_tokens_per_s.mid
    assert money(ex.message, "=") == round(usd_per_m(4.0, tps), 2)  # two GPUs at $2/h


# ---------------------------------------------------------------- 01 cost model, procurement

@pytest.mark.parametrize("u, expected", [(1.0, "0.56"), (0.5, "1.11")])
def test_cost_explorer_chapter_worked_example(u, expected):
    ex = widgets.cost_explorer()
    ex.controls["utilization"].value = u
    assert f"{usd_per_m(2.0, 1000 * u):.2f}" == expected  # §30.1 and §30.5: $2 / 3.6M tokens, halved
    assert f"= ${expected} per million tokens" in ex.message
    assert_sane(ex, f"cost u={u}")


def test_procurement_tiers_and_owned_gpu():
    ex = widgets.procurement_explorer()
    od = (3.00 + 4.50) / 2  # chapter §30.2: H100 on demand $3.00-4.50/hour
    assert money(ex.message, "Reserved:") == round(od * 0.5, 2)
    capex = 35_000 / (3 * 8760)
    power = 0.700 * 1.3 * 0.10
    owned = (capex + power) * 1.15
    assert money(ex.message, "owned:") == round(capex, 2)
    assert f"= ${owned:.2f} per GPU-hour" in ex.message
    ex.controls["tier"].value = "spot"
    assert money(ex.message, "Spot:") == round(od * 0.25, 2)
    ex.controls["years"].value = 6.0
    assert f"= ${(35_000 / (6 * 8760) + power) * 1.15:.2f} per GPU-hour" in ex.message


# ---------------------------------------------------------------- 02 throughput, roofline

def test_throughput_default_step_breakdown_and_wall():
    ex = widgets.throughput_explorer()  # 70B bf16 on 2 H100s, batch 8, 2,048 tokens
    s = step_s(8, 2048, 2, 2, BF16)
    assert f"step {s * 1e3:.2f} ms" in ex.message and "memory-bound" in ex.message
    assert f"{8 / s:,.0f} tokens/s for the replica" in ex.message
    assert f"memory wall: {max_batch(2, 2, 2048)} sequences" in ex.message
    # the chapter's formula at the datasheet bandwidth: 2 x 3.35 TB/s / 141.1 GB x 8
    assert f"= {2 * BW / (2 * N70) * 8:,.0f} tokens/s (weights only" in ex.message
    assert_sane(ex, "throughput default")


def test_throughput_beyond_the_memory_wall_is_refused_not_priced():
    ex = widgets.throughput_explorer()
    ex.controls["batch"].value = 64
    short = (2 * N70 + 64 * 2048 * KV70 - 2 * USABLE) / 1e9
    assert ex.message.startswith("does not fit") and f"short by {short:.1f} GB" in ex.message
    assert "tokens/s for the replica" not in ex.message
    assert_sane(ex, "throughput batch 64")


def test_throughput_weights_that_do_not_fit_show_a_message_axes():
    ex = widgets.throughput_explorer()
    ex.controls["tp"].value = 1
    assert not ex.ok and ex.message.startswith("does not fit")
    assert any("does not fit" in t.get_text() for t in ex.ax.texts) and not ex.ax.get_lines()
    ex.controls["tp"].value = 2  # and back: a normal plot again
    assert ex.ok and ex.ax.get_lines() and ex.ax.get_xlabel()


def test_roofline_explorer_ridge_and_turning_batch():
    ex = widgets.roofline_explorer()
    assert f"= {BF16 / BW:,.0f} FLOP/byte" in ex.message
    read = 2 * (N70 - VD)  # a step reads the body and the output head, not the input table
    ai8 = 8 * (2 * (N70 - VD) + 4 * L * 2048 * H * HD) / (read + 8 * 2049 * KV70)
    assert f"batch 8: {ai8:,.1f} FLOP/byte → memory-bound" in ex.message
    # at 2,048 tokens a sequence's KV (2049 x 327,680 B / 6.7 TB/s = 100 us) outlasts its compute
    # (144.4 GFLOP / 1,978 TFLOP/s = 73 us): decode never turns compute-bound
    assert "never turns compute-bound" in ex.message

    def ridge(c):
        per_seq = (2 * (N70 - VD) + 4 * L * c * H * HD) / (2 * BF16) - (c + 1) * KV70 / (2 * BW)
        return read / (2 * BW) / per_seq

    ex.controls["context"].value = 128  # 323 < the 479 sequences of 128 tokens that fit
    assert f"compute-bound at batch ≈ {ridge(128):,.0f}" in ex.message and "only" not in ex.message
    assert max_batch(2, 2, 128) == 479
    ex.controls["context"].value = 1024  # 965, but only 59 sequences of 1,024 tokens fit
    assert f"compute-bound at batch ≈ {ridge(1024):,.0f}" in ex.message
    assert f"only {max_batch(2, 2, 1024):,} sequences fit" in ex.message
    assert_sane(ex, "roofline context 1024")


# ---------------------------------------------------------------- 03 utilization

def test_utilization_explorer_full_load_duty_cycle_and_break_even():
    ex = widgets.utilization_explorer()  # 70B fp8 on 2 H100s, batch 64, $2/GPU-hour, 50% duty cycle
    from costlib.estimate.profiles import get_profile
    from costlib.physics.engine import Efficiency

    def at(mbu):  # the MBU/MFU sliders: the chapter profile (its all-reduce latency too) at that one efficiency
        chapter = get_profile("chapter")
        return chapter.with_(mid=Efficiency(mbu, MFU, allreduce_latency_s=chapter.mid.allreduce_latency_s),
                             low=None, high=None)

    tps = decode_rate("fp8", 2, 64, profile=at(MBU))
    full = usd_per_m(4.0, tps)
    assert f"{tps:,.0f} tokens/s at full load" in ex.message
    assert f"{tps / decode_rate('fp8', 2, 64, profile='ceiling'):.0%} of the 100% roofline" in ex.message
    assert f"${full:.2f}/M at full load" in ex.message and f"50% duty cycle ${full / 0.5:.2f}/M" in ex.message
    assert f"at a {full / 0.88:.0%} duty cycle" in ex.message  # Together $0.88/M output
    ex.controls["mbu"].value = 0.60
    tps60 = decode_rate("fp8", 2, 64, profile=at(0.60))
    assert tps60 < tps and f"{tps60:,.0f} tokens/s at full load" in ex.message
    ex.controls["batch"].value = 512  # 118 fit
    assert not ex.ok and ex.message.startswith("does not fit")


# ---------------------------------------------------------------- 04 prefill vs decode

def test_prefill_decode_chat_by_hand():
    ex = widgets.prefill_decode_explorer()  # chat: 1000 in, 1000 out; 70B fp8 on 2 H100s; batch 64
    usd_per_gpu_s = 2.0 / 3600
    e = engine("fp8", 2, 64, 1000, 1000)  # 64 requests started together
    gpu_s = 2 * 1000 / e.output_tokens_per_s.mid  # GPU-seconds per request
    pre_gpu_s = gpu_s * e.prefill_share.mid
    dec_gpu_s = gpu_s - pre_gpu_s
    p_in = pre_gpu_s * usd_per_gpu_s / 1000 * 1e6
    p_out = dec_gpu_s * usd_per_gpu_s / 1000 * 1e6
    assert f"prefill ${p_in:.3f}/M input" in ex.message and f"decode ${p_out:.3f}/M output" in ex.message
    assert f"cost ratio {p_out / p_in:.1f}×" in ex.message
    # the chapter's §30.6 math: $0.29 / $0.20 = 1.47x
    ch_in = 2 / (989e12 * 3600 * 0.4 / (2 * 70e9)) * 1e6
    ch_out = 2 / (3e12 * 3600 * 0.7 * 128 / 140e9) * 1e6
    assert f"§30.6 math {ch_out / ch_in:.2f}×" in ex.message
    # API list prices: from $0.88/$0.88 (1x) to GPT-4o/Sonnet's 4-5x
    assert "API list prices 1.0-5.0×" in ex.message
    assert_sane(ex, "prefill/decode chat")


def test_prefill_decode_presets_drive_the_lengths_and_vice_versa():
    ex = widgets.prefill_decode_explorer()
    ex.controls["workload"].value = "rag"
    assert (ex.controls["prompt_tokens"].value, ex.controls["output_tokens"].value) == (8000, 300)
    # 64 sequences of 8,300 tokens do not fit; the preset lowers the batch to what does:
    # (2 x 80.6 GB - 72.7 GB) / 327,680 B per token = 270,240 tokens -> 32 sequences of 8,300
    fits = int((2 * USABLE - resident(1)) // KV70) // 8300
    assert ex.controls["batch"].value == fits == 32
    assert f"8,000 prompt + 300 output tokens per request, decode batch {fits}" in ex.message
    ex.controls["output_tokens"].value = 301
    assert ex.controls["workload"].value == "custom"
    ex.controls["output_tokens"].value = 300
    assert ex.controls["workload"].value == "rag"


# ---------------------------------------------------------------- 05 self-host vs API

def test_self_host_default_bills_and_crossover():
    ex = widgets.self_host_explorer()  # 1B tokens/month, Together $0.88/$0.88, 70B fp8 on 2 H100s at $2/h
    assert money(ex.message, "Turbo") == round(1e9 / 1e6 * 0.88)
    assert "1 replica × 2 GPUs" in ex.message and money(ex.message, "720 h =") == 2 * 2.0 * 720
    assert "the API is cheaper by $2,000/month" in ex.message
    # one replica carries far more than 3.27B tokens/month, so the crossover is 2,880 / 0.88 per M
    assert f"crossover ≈ {2 * 2.0 * 720 / 0.88 * 1e6 / 1e9:.3g}B" in ex.message
    assert_sane(ex, "self-host default")


def test_self_host_one_h100_fp8_mix_and_crossover_by_hand():
    ex = widgets.self_host_explorer(tp=1)
    # fp8 on one H100: decode at the memory-limited batch, prefill of 1000-token prompts; a 50/50 mix
    dec = decode_rate("fp8", 1, engine("fp8", 1).batch)
    pre = engine("fp8", 1, 1, 1000, 1).output_tokens_per_s.mid * 1000
    mix = 1 / (0.5 / pre + 0.5 / dec)
    month = mix * 720 * 3600  # tokens one replica serves in a month
    crossover = 2.0 * 720 / 0.88 * 1e6  # tokens/month where one GPU's bill equals the API's
    if month >= crossover:  # one replica carries the crossover volume: the bills meet there
        assert f"crossover ≈ {crossover / 1e9:.3g}B" in ex.message
    else:  # a full replica's tokens are worth less at the API than the GPU costs
        assert "no crossover" in ex.message
    assert f"one replica: {mix:,.0f} tokens/s" in ex.message


# ---------------------------------------------------------------- 06 hardware

def test_hardware_explorer_h100_row_by_hand():
    ex = widgets.hardware_explorer()  # 70B bf16, 2,048 tokens, on-demand prices
    # the cheapest TP: the most tokens/s per GPU among the TPs that fit (70B has 8 KV heads: 1, 2, 4, 8)
    runs = {tp: engine("bf16", tp) for tp in (1, 2, 4, 8)}
    tp = max((t for t, e in runs.items() if e.fits), key=lambda t: runs[t].output_tokens_per_s.mid / t)
    e = runs[tp]
    tps = e.output_tokens_per_s.mid
    od = (3.00 + 4.50) / 2
    assert not runs[1].fits and tp > 2  # two GPUs hold the weights but starve the KV cache
    h100 = "H100-SXM".replace("-", " ")  # the catalog id as people say it
    line = f"{h100}: TP={tp}, batch {e.batch}, {fmt.significant(tps / tp)} tokens/s per GPU, ${usd_per_m(tp * od, tps):.2f}/M"
    assert line in ex.message
    assert "<table" in ex.out.value
    ex.controls["model"].value = "llama-3.1-405b"
    # 405.9B x 2 bytes = 812 GB > 8 x 75 GB of H100s
    assert f"{h100}: does not fit" in ex.message
    assert_sane(ex, "hardware 405b")


# ---------------------------------------------------------------- 07 latency

def test_latency_explorer_memory_then_latency_limits():
    ex = widgets.latency_explorer()  # 70B fp8 on 2 H100s, 200 ms target (chapter practice problem 4)
    # the largest fixed batch that fits: one more request does not
    mb = next(b for b in range(1, 5000) if not engine("fp8", 2, b + 1).fits)
    assert engine("fp8", 2, mb).tpot_s.mid <= 0.200
    assert f"TPOT ≤ 200 ms: {mb} (limited by memory" in ex.message
    ex.controls["tpot_target_ms"].value = 30.0  # between batch 1 and the memory limit: latency binds
    best = max(b for b in range(1, mb + 1) if engine("fp8", 2, b).tpot_s.mid <= 0.030)
    assert best < mb and f"TPOT ≤ 30 ms: {best} (limited by latency" in ex.message
    ex.controls["tpot_target_ms"].value = 5.0
    assert f"even batch 1 takes {engine('fp8', 2, 1).tpot_s.mid * 1e3:.1f} ms" in ex.message
    assert_sane(ex, "latency 5 ms")


# ---------------------------------------------------------------- 08 capacity

def test_capacity_chapter_rubric():
    ex = widgets.capacity_explorer()
    peak_gpus = 1e6 * 10 * 500 / 86_400 * 3 / 1000
    gpus = math.ceil(peak_gpus * 1.3)
    monthly = gpus * 2.0 * 24 * 30
    assert gpus == 226
    assert f"→ {gpus} GPUs, ${monthly:,.0f}/month, ${monthly / (5e9 * 30 / 1e6):.2f} per million" in ex.message
    assert "chapter §30.10" in ex.message  # its ~225 GPUs, $324k, $2.16/M shown for comparison
    assert_sane(ex, "capacity default")


def test_capacity_prompt_tokens_and_derived_throughput():
    ex = widgets.capacity_explorer(prompt_tokens_per_session=500)
    pre_gpus = 1e6 * 10 * 500 / 86_400 * 3 / 2500  # 2,500 prefill tokens/s per GPU
    dec_gpus = 1e6 * 10 * 500 / 86_400 * 3 / 1000
    assert f"→ {math.ceil((pre_gpus + dec_gpus) * 1.3)} GPUs" in ex.message
    ex.set(prompt_tokens_per_session=0, throughput="derive from deployment")
    assert ex.controls["model"].layout.display is None and ex.controls["tokens_per_s_per_gpu"].layout.display == "none"
    per_gpu = decode_rate("fp8", 2, 64) / 2
    replicas = math.ceil(round(dec_gpus * 1000 / per_gpu * 1.3 / 2, 9))
    assert f"→ {2 * replicas} GPUs" in ex.message and f"{fmt.significant(per_gpu)} tokens/s per GPU" in ex.message
    ex.controls["weights"].value = "bf16"  # 64 sequences do not fit next to bf16 weights on 2 GPUs
    assert not ex.ok and ex.message.startswith("does not fit")


# ---------------------------------------------------------------- every control, at both ends
# test_explorer_redraw.py walks every explorer's controls once, for the numbers or the message (assert_sane,
# extremes and options below) and the redraw together.


# ---------------------------------------------------------------- 09 checking the chapter

def star_x(ex):
    """x of the star that marks the picked claim (the only line drawn with marker '*')."""
    stars = [ln for ln in ex.ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1
    return float(stars[0].get_xdata()[0])


def test_claims_explorer_prefill_unit_slip():
    ex = widgets.claims_explorer(section="30.6", claim="s30_6_prefill_tokens_per_hour")
    per_hour = 989e12 * 3600 * 0.4 / (2 * 70e9)  # §30.6's own inputs: 1.017e7, i.e. 10.2 million
    assert f"recomputed: {per_hour / 1e6:.3g}M tokens/hour" in ex.message
    assert "chapter: 10.2T tokens/hour" in ex.message  # "10.2 trillion" in the chapter
    assert f"chapter = {10.2e12 / per_hour:,.3g} × recomputed" in ex.message and "→ wrong" in ex.message
    assert math.isclose(star_x(ex), 10.2e12 / per_hour, rel_tol=1e-9)
    assert_sane(ex, "claims §30.6 prefill")


def test_claims_explorer_fp8_weights_and_filters():
    ex = widgets.claims_explorer(claim="s30_8_fp8_weights_gb")
    gb = N70 * 1 / 1e9  # one byte per parameter
    assert f"recomputed: {gb:.3g} GB" in ex.message and "chapter: 35 GB" in ex.message
    assert f"off by {abs(35 - gb) / gb:.1%}" in ex.message
    assert math.isclose(star_x(ex), 35 / gb, rel_tol=1e-9)
    ex.controls["section"].value = "§30.8"  # the picked claim is in §30.8: kept
    assert ex.controls["claim"].value == "s30_8_fp8_weights_gb"
    assert all(label.startswith("§30.8 ·") for label, _ in ex.controls["claim"].options)
    ex.controls["section"].value = "§30.3"  # not in §30.3: the first §30.3 claim is shown instead
    first = ex.controls["claim"].options[0][1]
    assert first.startswith("s30_3_") and ex.controls["claim"].value == first and f"[{first}]" in ex.message
    assert_sane(ex, "claims §30.3")


def test_claims_explorer_filter_matches_the_table():
    from costlib.teaching import chapter

    table = chapter.claims()
    ex = widgets.claims_explorer()
    assert ex.message.startswith(f"{len(table)} claims in the whole chapter")
    for verdict in chapter.VERDICTS:
        ex.set(verdict=verdict)
        ids = [i for _, i in ex.controls["claim"].options if i]
        assert ids == list(table.loc[table["verdict"] == verdict, "id"]), verdict
        assert_sane(ex, f"claims verdict={verdict}")
    ex.set(verdict="all")
    for section in dict.fromkeys(table["section"]):
        ex.set(section=section)
        ids = [i for _, i in ex.controls["claim"].options]
        assert ids == list(table.loc[table["section"] == section, "id"]), section
        assert_sane(ex, f"claims section={section}")


def test_claims_explorer_empty_filter_and_unplottable_claim():
    ex = widgets.claims_explorer(section="CQ4", verdict="wrong")
    assert ex.ok and ex.message.startswith("no claim in section CQ4 with verdict 'wrong'")
    assert ex.controls["claim"].value == ""
    assert_sane(ex, "claims empty filter")
    ex.set(section="§30.6", verdict="physically impossible")  # batch 128 on one H100: nothing fits
    assert "[s30_6_decode_batch_128]" in ex.message and "recomputed value is 0" in ex.message
    assert ex.ok and ex.ax.texts  # drawn as a centred message, not as NaN
    assert_sane(ex, "claims recomputed 0")


def test_claims_explorer_bad_presets():
    with pytest.raises(ValueError, match="s30_6_prefill_tokens_per_hour"):
        widgets.claims_explorer(claim="s30_6_prefill_token_per_hour")  # typo: closest id suggested
    with pytest.raises(ValueError, match="not in section"):
        widgets.claims_explorer(section="30.3", claim="s30_8_fp8_weights_gb")
    with pytest.raises(ValueError, match="section"):
        widgets.claims_explorer(section="30.12")


# ---------------------------------------------------------------- 10 cheat sheet

def test_cheatsheet_default_70b_bf16_on_h100s():
    ex = widgets.cheatsheet_explorer()
    b = max_batch(2, 2, 2048)  # sequences of 2,048 tokens that fit on two H100s, by hand
    e = engine("bf16", 2)
    assert f"= {N70 * 2 / 1e9:,.1f} GB" in ex.message  # 141.1 GB of bf16 weights
    assert f"= {KV70:,} B/token ({KV70 // 1024} KiB)" in ex.message  # 327,680 B = 320 KiB
    assert "TP=2" in ex.message and f"room for {b} sequences" in ex.message
    assert f"= {2 * 3.35e12 / (N70 * 2):,.1f} tokens/s" in ex.message  # chapter's ceiling at batch 1
    assert f"calibrated estimate: {decode_rate('bf16', 2, 1):,.1f} tokens/s" in ex.message
    assert f"= {2 * 989e12 / (2 * N70):,.0f} tokens/s at 100% MFU" in ex.message
    tps = e.output_tokens_per_s.mid
    assert f"{e.batch:,} requests of 1,024+1,024 tokens in flight" in ex.message
    assert money(ex.message, "tokens/hour = ") == pytest.approx(usd_per_m(4.0, tps), abs=0.006)
    assert_sane(ex, "cheat sheet default")


def test_cheatsheet_fp8_fits_one_h100_and_price_scales():
    ex = widgets.cheatsheet_explorer(weights="fp8")
    e = engine("fp8", 1)  # FP8 weights leave room for only a few sequences
    assert f"= {N70 / 1e9:,.1f} GB" in ex.message and "TP=1" in ex.message
    assert f"{1979:,} dense TFLOP/s for fp8" in ex.message
    usd = usd_per_m(2.0, e.output_tokens_per_s.mid)
    assert f"{e.batch:,} requests of 1,024+1,024 tokens in flight" in ex.message
    assert money(ex.message, "tokens/hour = ") == pytest.approx(usd, abs=0.006)
    ex.controls["usd_per_gpu_hour"].value = 4.0
    assert money(ex.message, "tokens/hour = ") == pytest.approx(2 * usd, abs=0.006)


def test_cheatsheet_refuses_to_price_what_does_not_fit():
    ex = widgets.cheatsheet_explorer(tp=1)  # the chapter's 70B bf16 on a single H100
    short = N70 * 2 + 2048 * KV70 - USABLE
    assert f"short by {short / 1e9:,.1f} GB" in ex.message and "$" not in ex.message
    assert "no throughput and no price" in ex.message
    assert_sane(ex, "cheat sheet tp=1")
    ex.set(model="llama-3.1-405b", gpu="L40S", tp="smallest that fits")  # 812 GB vs 8 x 44.6 GB
    assert "no TP up to 8" in ex.message and "no throughput and no price" in ex.message
    assert_sane(ex, "cheat sheet 405B on L40S")
    ex.set(model="llama-2-7b", gpu="H100-SXM", context=32_768)  # beyond Llama 2's 4,096 tokens
    assert not ex.ok and ex.message.startswith("cannot compute") and "context" in ex.message
    assert_sane(ex, "cheat sheet context too long")


def _png_width_px(ex) -> int:
    import io

    from PIL import Image

    png = Image.open(io.BytesIO(ex.image.value))
    assert png.format == "PNG"
    return png.size[0]


@pytest.mark.hidpi
def test_figure_png_has_twice_the_pixels_of_its_css_width():
    """HiDPI: the PNG is drawn at 2 pixels per CSS pixel; the image keeps the figure's CSS width."""
    from costlib.ui.widgets import explorer

    ex = widgets.cost_explorer()
    css_px = 7.5 * explorer.DPI  # the default figure is 7.5 inches wide
    assert ex.image.layout.max_width == f"{css_px:.0f}px"
    assert _png_width_px(ex) == pytest.approx(2 * css_px, abs=2)
    assert ex._repr_mimebundle_()["image/png"] == bytes(ex.image.value)


def test_unmarked_tests_draw_one_pixel_per_css_pixel():
    """tests/conftest.py: tests not marked hidpi draw at density 1 (cheaper); the page keeps 2."""
    from costlib.ui.widgets import explorer

    assert explorer.PIXEL_DENSITY == 1
    assert _png_width_px(widgets.cost_explorer()) == pytest.approx(7.5 * explorer.DPI, abs=2)


def test_sliders_update_while_dragging():
    ex = widgets.capacity_explorer()
    sliders = [c for c in ex.controls.values() if hasattr(c, "continuous_update")]
    assert sliders and all(c.continuous_update for c in sliders)


class _Kernel:
    """Stands in for ipykernel's kernel: ``get_parent`` says which message is being handled."""

    def __init__(self, msg_type):
        self.msg_type = msg_type

    def get_parent(self, channel=None):
        return {"header": {"msg_type": self.msg_type}}


def _in_kernel(monkeypatch, msg_type):
    import types

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=_Kernel(msg_type)))


def _burst(ex, key, values, gap_s=0.0, settle_s=0.5):
    """Set ``values`` one after another inside a running asyncio loop that spins between changes (as a
    kernel's loop does between messages); return the values each redraw showed, once all has settled."""
    import asyncio

    drawn, compute = [], ex._compute

    def recording(values_now, ax):
        drawn.append(values_now[key])
        return compute(values_now, ax)

    ex._compute = recording

    async def run():
        await asyncio.sleep(0.1)  # the explorer is idle when the burst starts
        for v in values:
            ex.controls[key].value = v
            await asyncio.sleep(gap_s)  # 0: the loop runs once, the follow-up is not due yet
        await asyncio.sleep(settle_s)  # any follow-up redraw is due long before this

    asyncio.run(run())
    return drawn


def test_page_loop_only_inside_a_kernel_handling_a_page_change(monkeypatch):
    """Deferral needs a live kernel whose loop keeps running: a comm_msg being handled. Not a cell
    (execute_request), not a process without a kernel, not outside a running loop."""
    import asyncio

    from costlib.ui.widgets.explorer import page_loop

    async def inside():
        return page_loop(), asyncio.get_running_loop()

    assert page_loop() is None  # pytest: no IPython kernel
    assert asyncio.run(inside())[0] is None  # a foreign asyncio loop (e.g. Playwright's), no kernel
    _in_kernel(monkeypatch, "execute_request")
    assert asyncio.run(inside())[0] is None  # a cell: it reads the result right after setting a value
    _in_kernel(monkeypatch, "comm_msg")
    got, loop = asyncio.run(inside())
    assert got is loop
    assert page_loop() is None  # no running loop: nothing would run a follow-up


def test_changes_inside_a_foreign_asyncio_loop_redraw_at_once():
    """The bug that reverted branch 'live': with some asyncio loop running but no kernel (Playwright's sync
    API in the test process), every change must be drawn before it returns."""
    import asyncio

    ex = widgets.cost_explorer()

    async def run():
        seen = []
        for v in (1100, 1200, 1300):
            before = ex.redraws
            ex.controls["tokens_per_s"].value = v
            seen.append((ex.redraws - before, f"{v:,} tokens/s" in ex.message))
        return seen

    assert asyncio.run(run()) == [(1, True)] * 3
    assert ex.message == widgets.cost_explorer(tokens_per_s=1300).message


def test_a_burst_from_the_page_draws_the_first_and_the_latest_only(monkeypatch):
    """#17 item 2: ten quick changes sent by the page draw the first at once and then only the latest
    value, once: the eight in between are dropped, never queued."""
    ex = widgets.cost_explorer()
    _in_kernel(monkeypatch, "comm_msg")
    values = [1000 + 100 * i for i in range(1, 11)]
    drawn = _burst(ex, "tokens_per_s", values)
    assert drawn == [values[0], values[-1]]
    assert ex.message == widgets.cost_explorer(tokens_per_s=values[-1]).message


def test_slow_changes_from_the_page_each_draw(monkeypatch):
    """The coalescing can fail: changes spaced wider than a redraw are each drawn."""
    ex = widgets.cost_explorer()
    _in_kernel(monkeypatch, "comm_msg")
    assert _burst(ex, "tokens_per_s", [1100, 1200, 1300], gap_s=0.4) == [1100, 1200, 1300]


def test_the_help_line_says_values_can_be_typed():
    ex = widgets.tour()
    assert "type" in ex.widget.children[1].value and "Enter" in ex.widget.children[1].value


def test_hardware_explorer_prices_follow_the_tier_after_caching():
    """Prices are looked up once per tier: switching tiers and back must still show each tier's prices."""
    ex = widgets.hardware_explorer()
    assert "$3.75/GPU-hour" in ex.message  # H100-SXM on demand: middle of $3.00-4.50
    ex.controls["tier"].value = "owned"
    assert "A100 SXM 40GB: TP=" in ex.message and "no owned price" in ex.message
    assert "<td>A100-SXM-40GB</td><td>40.00</td><td>—</td>" in ex.out.value  # no price: a dash, not nan
    assert "nan" not in ex.out.value.lower()
    ex.controls["tier"].value = "on_demand"
    assert "$3.75/GPU-hour" in ex.message


def test_dropdowns_show_catalog_names_and_keep_ids():
    """#17 item 4: people read "Llama 3.1 70B" and "On-demand"; the explorers still compute with ids."""
    from costlib.catalog.tables import get_api_price, get_gpu, get_model

    ex = widgets.hardware_explorer()
    labels = dict((v, k) for k, v in ex.controls["model"].options)
    assert labels["llama-3.1-70b"] == get_model("llama-3.1-70b").name == "Llama 3.1 70B"
    assert ex.controls["model"].value == "llama-3.1-70b" and ex.controls["model"].label == "Llama 3.1 70B"
    assert dict((v, k) for k, v in ex.controls["tier"].options)["on_demand"] == "On-demand"
    tp = widgets.throughput_explorer()
    assert tp.controls["gpu"].label == "H100 SXM" and get_gpu("H100-SXM").name.startswith("NVIDIA H100 SXM")
    sh = widgets.self_host_explorer()
    a = get_api_price("together-llama-3.3-70b")
    assert sh.controls["api"].label == f"{a['provider']} · {a['model']}"
    assert sh.controls["api"].label.startswith("Together AI · Llama 3.3 70B")


def test_counts_and_rates_honest_precision():
    assert fmt.gpu_name("H100-SXM") == "H100 SXM" and fmt.gpu_name("A100-SXM-40GB") == "A100 SXM 40GB"
    assert fmt.short_count(1e6) == "1.0M" and fmt.short_count(1.78e10) == "17.8B" and fmt.short_count(950) == "950"
    assert fmt.significant(1304.02) == "1,300" and fmt.significant(57.87) == "57.9" and fmt.significant(0) == "0"
    ex = widgets.self_host_explorer(tokens_per_month=1.78e10)
    assert ex.message.startswith("17.8B tokens/month")


def _shown_groups(ex):
    """(heading, descriptions of the controls under it) as the control panel shows them."""
    panel = ex.widget.children[2].children[0]
    groups = []
    for box in panel.children:
        kids = list(box.children)
        title = re.sub(r"<[^>]+>", "", kids.pop(0).value) if isinstance(kids[0], w.HTML) else None
        # a count slider is shown in a row with its count box: the slider comes first
        groups.append((title, [(c.children[0] if isinstance(c, w.HBox) else c).description for c in kids]))
    return groups


def test_controls_grouped_deployment_workload_prices():
    """#17 item 3: the capacity explorer's 18 controls under three headings, each control once."""
    ex = widgets.capacity_explorer()
    groups = _shown_groups(ex)
    assert [t for t, _ in groups] == ["deployment", "workload", "prices"]
    shown = dict(groups)
    assert {"model", "GPU", "tensor parallel (TP)", "batch (sequences)"} <= set(shown["deployment"])
    assert {"users", "sessions per user-day", "peak ÷ average", "context (tokens)"} <= set(shown["workload"])
    assert shown["prices"] == ["$ per GPU-hour"]
    assert sorted(d for _, ds in groups for d in ds) == sorted(c.description for c in ex.controls.values())
    # one group needs no heading
    assert _shown_groups(widgets.procurement_explorer())[0][0] is None


def test_capacity_explorer_says_each_result_once():
    """#17 item 3: the summary line and the steps appear once (no repeated summary, no table of the same steps)."""
    ex = widgets.capacity_explorer()
    summary = next(line for line in ex.message.splitlines() if line.startswith("→"))
    assert ex.out.value.count(html.escape(summary)) == 1
    assert "<table" not in ex.out.value
    assert ex.out.value.count("Output tokens per day") == 1


def _chapter_labels_over_lines(ex) -> list[str]:
    """Chapter labels (text only, arrow excluded) whose box a drawn line passes through, in display pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(ex.fig)
    ex.fig.set_layout_engine("constrained")
    ex.fig.canvas.draw()
    renderer = ex.fig.canvas.get_renderer()
    hits = []
    for ax in ex.fig.axes:
        for t in ax.texts:
            if not t.get_text().startswith("chapter"):
                continue
            box = Text.get_window_extent(t, renderer).shrunk(0.98, 0.9)  # the glyphs, not the arrow
            for line in ax.get_lines():
                xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
                pts = np.concatenate([np.linspace(a, b, 40) for a, b in zip(xy[:-1], xy[1:], strict=True)] or [xy])
                if box.count_contains(pts[np.isfinite(pts).all(axis=1)]):
                    hits.append(f"{t.get_text()!r} covers {line.get_label()!r}")
    return hits


@pytest.mark.hidpi
@pytest.mark.parametrize("name", sorted(widgets.EXPLORERS))
def test_chapter_annotations_do_not_cover_lines(name):
    """#17 item 7: a chapter label never sits on a curve or a reference line of its figure."""
    assert _chapter_labels_over_lines(widgets.EXPLORERS[name]()) == []


@pytest.mark.hidpi
@pytest.mark.parametrize("tp", ["1", "2"])
def test_tour_chapter_label_clear_of_the_usable_line_fit_or_not(tp):
    """The tour's 140 GB label stays off the usable-memory line whether the weights fit (2 GPUs) or not (1)."""
    ex = widgets.tour()
    ex.set(tp=int(tp), weights="bf16")
    assert any(t.get_text().startswith("chapter §30.3") for t in ex.ax.texts)
    assert _chapter_labels_over_lines(ex) == []
