"""costlib.ui.plots: labelled axes with units, legends, no NaN/inf drawn, chapter points marked where promised.

Expected numbers are derived by hand below (architecture formulas, datasheet figures and the chapter's
own inputs), never by calling the code under test; the plots are only inspected.
"""
from __future__ import annotations

import math
import re

import matplotlib

matplotlib.use("Agg")  # this module only; notebooks keep their inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import costlib as cl  # noqa: E402
from costlib.ui import plots, widgets  # noqa: E402

# ---------------------------------------------------------------- hand-derived facts

# Llama 3.1 70B config.json: (layers, hidden, heads, kv_heads, head_dim, ffn, vocab)
LLAMA_70B = (80, 8192, 64, 8, 128, 28672, 128256)
H100_BW, H100_BF16, H100_FP8 = 3.35e12, 989e12, 1979e12  # H100 SXM datasheet, dense
# workbook convention: 95% of HBM minus 1 GB per GPU, the datasheet's "80 GB" read as 80 GiB
USABLE_H100 = 0.95 * 80 * 2**30 - 1e9


def dense_params(layers, hidden, heads, kv_heads, head_dim, ffn, vocab):
    attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    return 2 * vocab * hidden + layers * (attn + 3 * hidden * ffn + 2 * hidden) + hidden


N70 = dense_params(*LLAMA_70B)
KV70 = 2 * 80 * 8 * 128 * 2  # bytes per token, bf16 K and V in every layer
VD70 = 128256 * 8192  # one vocabulary table: the input embedding or the output head
PAIR70 = 4 * 80 * 64 * 128  # attention FLOPs per (query, key) pair


def resident_70b(bytes_per_weight):
    """Weights held: the body in its format, the two vocabulary tables in 16 bits."""
    return (N70 - 2 * VD70) * bytes_per_weight + 2 * VD70 * 2


def max_batch_by_hand(tp, bytes_per_weight, context):
    return int((tp * USABLE_H100 - resident_70b(bytes_per_weight)) // KV70) // context


# ---------------------------------------------------------------- inspection helpers

UNIT = re.compile(r"\(.+\)|\[.+\]")
NAN_WORD = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


def all_texts(ax):
    texts = [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    if ax.get_legend() is not None:
        texts += [t.get_text() for t in ax.get_legend().get_texts()]
    texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return texts


def problems(ax) -> list[str]:
    """Everything drawn that is NaN/inf (or <= 0 on a log axis), and NaN/inf words in any text."""
    out = []
    logx, logy = ax.get_xscale() == "log", ax.get_yscale() == "log"
    for ln in ax.get_lines():
        xy = np.asarray(ln.get_xydata(), dtype=float)
        if xy.size == 0:
            continue
        if not np.isfinite(xy).all():
            out.append(f"line {ln.get_label()!r} has NaN/inf")
        # axhline/axvline use axes coordinates on one side; check only data-space lines for log
        if ln.get_transform() == ax.transData:
            if (logx and (xy[:, 0] <= 0).any()) or (logy and (xy[:, 1] <= 0).any()):
                out.append(f"line {ln.get_label()!r} has values <= 0 on a log axis")
    for coll in ax.collections:
        for path in coll.get_paths():
            if not np.isfinite(path.vertices).all():
                out.append(f"collection {coll.get_label()!r} has NaN/inf")
        offs = np.asarray(coll.get_offsets(), dtype=float)
        if offs.size and not np.isfinite(offs).all():
            out.append(f"collection {coll.get_label()!r} has NaN/inf offsets")
    for p in ax.patches:
        if not np.isfinite(np.asarray(p.get_path().vertices, dtype=float)).all():
            out.append(f"patch {p!r} has NaN/inf")
        if hasattr(p, "get_xy") and hasattr(p, "get_width"):
            vals = np.array([*np.ravel(p.get_xy()), p.get_width(), p.get_height()], dtype=float)
            if not np.isfinite(vals).all():
                out.append(f"bar {p!r} has NaN/inf")
    for t in ax.texts:
        if not np.isfinite(np.asarray(t.get_position(), dtype=float)).all():
            out.append(f"text {t.get_text()!r} at a NaN/inf position")
    if not (np.isfinite(ax.get_xlim()).all() and np.isfinite(ax.get_ylim()).all()):
        out.append("axis limits are not finite")
    out += [f"text shows {s!r}" for s in all_texts(ax) if NAN_WORD.search(s)]
    return out


def assert_good_axes(ax, legend=True, categories_on_y=False):
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlabel() and UNIT.search(ax.get_xlabel()), f"x label without unit: {ax.get_xlabel()!r}"
    if categories_on_y:  # named tick labels, no unit: a unit label there would be wrong (#17 item 7)
        assert not UNIT.search(ax.get_ylabel()) and all(t.get_text() for t in ax.get_yticklabels())
    else:
        assert ax.get_ylabel() and UNIT.search(ax.get_ylabel()), f"y label without unit: {ax.get_ylabel()!r}"
    if legend:
        assert ax.get_legend() is not None and len(ax.get_legend().get_texts()) >= 1
    assert problems(ax) == []


def chapter_marks(ax) -> list[str]:
    texts = [t.get_text() for t in ax.texts]
    if ax.get_legend() is not None:
        texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [" ".join(t.split()) for t in texts if t.startswith("chapter §30.")]  # a label may wrap


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def dep_bf16_tp2():
    return cl.deployment("llama-3.1-70b", "H100-SXM", 2, "bf16")


# ---------------------------------------------------------------- style

def test_palette_is_okabe_ito():
    # Okabe & Ito (2008), Color Universal Design, the eight colours in hex
    published = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert {c.upper() for c in plots.OKABE_ITO.values()} == published
    assert {c.upper() for c in plots.PALETTE} <= published


def test_style_is_scoped_and_deterministic():
    before = matplotlib.rcParams["axes.prop_cycle"]
    with plots.style():
        colors = [c["color"].upper() for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert colors[0] in {c.upper() for c in plots.OKABE_ITO.values()}
        assert matplotlib.rcParams["svg.hashsalt"]  # fixed SVG ids, no random hash
    assert matplotlib.rcParams["axes.prop_cycle"] == before


def test_style_file_gives_the_workbook_rcparams():
    # costlib/data/workbook.mplstyle, read by matplotlib's parser; the colour cycle is the palette
    with plots.style():
        rc = matplotlib.rcParams
        assert [c["color"].upper() for c in rc["axes.prop_cycle"]] == [c.upper() for c in plots.PALETTE]
        assert list(rc["figure.figsize"]) == [7.5, 4.3] and rc["font.size"] == 9.5
        assert rc["text.parse_math"] is False and rc["svg.hashsalt"] == "costlib"
        assert rc["axes.axisbelow"] is True  # the grid under the data, as explorers paint it (content over frame)
    keys = [line.split(":")[0] for line in open(plots.STYLE_FILE, encoding="utf-8")
            if line.strip() and not line.startswith("#")]
    assert sorted(keys) == sorted(plots.STYLE) and len(keys) == 21


def test_message_axes_is_centred_text_without_ticks():
    ax = plots.message_axes("does not fit: short by 66.8 GB")
    assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0
    (t,) = ax.texts
    assert "66.8 GB" in t.get_text() and t.get_position() == (0.5, 0.5)
    assert t.get_ha() == "center" and t.get_va() == "center"


# ---------------------------------------------------------------- §30.1 cost vs throughput

def test_cost_vs_throughput_curves_and_chapter_marks():
    ax = plots.cost_vs_throughput(2.0, (100, 5000), utilization=(1.0, 0.5))
    assert_good_axes(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    full = next(ln for ln in ax.get_lines() if ln.get_label() == "100% utilization")
    x, y = full.get_xdata(), full.get_ydata()
    np.testing.assert_allclose(y, 2.0 / (x * 3600 / 1e6), rtol=1e-12)  # $/h / (M tokens per hour)
    half = next(ln for ln in ax.get_lines() if ln.get_label() == "50% utilization")
    np.testing.assert_allclose(half.get_ydata(), 2.0 / (half.get_xdata() * 0.5 * 3600 / 1e6), rtol=1e-12)
    marks = " | ".join(chapter_marks(ax))
    # chapter §30.1/§30.5: $2/h at 1000 tok/s is 2/3.6 = $0.56/M, and $1.11/M at 50% utilization
    assert f"${2 / 3.6:.2f}/M" in marks and "§30.1" in marks
    assert f"${2 / 1.8:.2f}/M" in marks and "§30.5" in marks
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert sorted(round(float(s.get_ydata()[0]), 4) for s in stars) == [round(2 / 3.6, 4), round(2 / 1.8, 4)]


def test_cost_vs_throughput_rejects_bad_input_by_name():
    with pytest.raises(ValueError, match="tokens_per_s_range"):
        plots.cost_vs_throughput(2.0, (5000, 100))
    with pytest.raises(ValueError, match="utilization"):
        plots.cost_vs_throughput(2.0, (100, 5000), utilization=0.0)
    with pytest.raises(ValueError, match="usd_per_hour"):
        plots.cost_vs_throughput(float("nan"))


# ---------------------------------------------------------------- §30.3 decode vs batch

def test_decode_vs_batch_has_wall_band_ceilings_and_chapter_marks(dep_bf16_tp2):
    ax = plots.decode_vs_batch(dep_bf16_tp2, 2048, batch=8)
    assert_good_axes(ax)
    wall = max_batch_by_hand(2, 2, 2048)
    assert wall == 29  # 161.2 GB - 141.1 GB of weights = 61,335 tokens of KV
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert f"memory wall: batch {wall}" in labels
    vline = ax.get_lines()[labels.index(f"memory wall: batch {wall}")]
    assert set(vline.get_xdata()) == {wall}
    # the realistic band stops at the wall; the shaded region beyond it says "does not fit"
    band = next(c for c in ax.collections if "realistic" in str(c.get_label()))
    assert max(v[:, 0].max() for v in (p.vertices for p in band.get_paths())) <= wall
    assert any("does not fit" in t.get_text() for t in ax.texts)
    # prefill ceiling: 2 x 989 TFLOP/s / (2 x 70.55B params) = 14,018 tokens/s, as a horizontal line
    prefill = 2 * H100_BF16 / (2 * N70)
    pre = next(ln for ln in ax.get_lines() if ln.get_label().startswith("prefill ceiling"))
    np.testing.assert_allclose(pre.get_ydata(), prefill, rtol=1e-12)
    # the chapter's linear line: 2 x 3.35 TB/s / 141.1 GB x batch
    ch = next(ln for ln in ax.get_lines() if ln.get_label().startswith("chapter:"))
    np.testing.assert_allclose(ch.get_ydata(), 2 * H100_BW / (2 * N70) * ch.get_xdata(), rtol=1e-9)
    # chapter §30.3: 3 TB/s / 140 GB x 256 = 5,486 tok/s, marked
    assert any(f"{3e12 / 140e9 * 256:,.0f} tok/s" in m for m in chapter_marks(ax))


def test_decode_vs_batch_when_weights_do_not_fit_shows_a_message():
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 1, "bf16")
    ax = plots.decode_vs_batch(dep, 2048)
    short = (2 * N70 + 2048 * KV70 - USABLE_H100) / 1e9  # weights + one sequence of KV
    assert len(ax.get_lines()) == 0
    assert any("does not fit" in t.get_text() and f"{short:.1f} GB" in t.get_text() for t in ax.texts)


def test_decode_vs_batch_marks_an_infeasible_batch_without_pricing_it(dep_bf16_tp2):
    ax = plots.decode_vs_batch(dep_bf16_tp2, 2048, batch=64)
    assert any("batch 64: does not fit" in t.get_text() for t in ax.texts)
    assert problems(ax) == []


def test_decode_vs_batch_says_so_when_the_batch_is_beyond_its_axis(dep_bf16_tp2):
    """At 32,768 tokens of context one sequence fits (70B bf16 on two H100s): the axis spans the batches
    around that wall (to 256), so batch 1,024 gets a note inside the axes, not a mark outside them."""
    ax = plots.decode_vs_batch(dep_bf16_tp2, 32_768, batch=1024)
    assert ax.get_xlim()[1] < 1024
    notes = [t for t in ax.texts if "batch 1,024" in t.get_text()]
    assert len(notes) == 1 and "does not fit" in notes[0].get_text()
    assert notes[0].get_transform() == ax.transAxes  # inside the axes, wherever the batch is
    assert problems(ax) == []


# ---------------------------------------------------------------- roofline

def test_roofline_ridge_points_and_dropped_batches(dep_bf16_tp2):
    ax = plots.roofline(dep_bf16_tp2, 2048, batches=(1, 8, 32, 128), prompt_tokens=1000)
    assert_good_axes(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    ridge = H100_BF16 / H100_BW  # 295 FLOP/byte, the same for any TP
    assert any(f"{ridge:,.0f} FLOP/B" in t.get_text() for t in ax.texts)
    roof = next(ln for ln in ax.get_lines() if ln.get_label() == "roofline")
    x, y = roof.get_xdata(), roof.get_ydata()
    np.testing.assert_allclose(y, np.minimum(2 * H100_BF16, x * 2 * H100_BW) / 1e12, rtol=1e-12)
    # decode at batch 8: FLOPs 8 (2 (N - V D) + 4 L H d C) over the bytes read, body and head
    # 2 (N - V D) + 8 (C + 1) kv (the cached tokens read and the new ones written)
    ai8 = 8 * (2 * (N70 - VD70) + PAIR70 * 2048) / (2 * (N70 - VD70) + 8 * 2049 * KV70)
    pts = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert any(float(p.get_xdata()[0]) == pytest.approx(ai8) for p in pts)
    assert len(pts) == 2  # batches 1 and 8 fit; 32 and 128 do not (29 fit)
    assert any("does not fit" in t.get_text() and "32, 128" in t.get_text() for t in ax.texts)
    assert chapter_marks(ax) == ["chapter §30.3: prefill AI ≈ 700"]


# ---------------------------------------------------------------- §30.5 utilization

def test_cost_vs_utilization_break_even_and_chapter_point():
    full = 2 / 3.6  # chapter: $2/h at 1000 tokens/s
    ax = plots.cost_vs_utilization(full, utilization=0.5, apis=("together-llama-3.3-70b",))
    assert_good_axes(ax)
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), full / curve.get_xdata(), rtol=1e-12)
    assert np.asarray(curve.get_xdata()).min() > 0
    # Together's Llama 3.3 70B: $0.88/M output (chapter practice problem 3) -> break-even 0.5556/0.88
    assert any(t.get_text() == f"break-even {full / 0.88:.0%}" for t in ax.texts)
    assert any(f"${full / 0.5:.2f}/M" in m for m in chapter_marks(ax))


# ---------------------------------------------------------------- bars

def test_cost_bars_hatch_rows_without_a_price():
    df = pd.DataFrame({"label": ["70B bf16, 1 H100", "70B fp8, 2 H100", "GPT-4o"],
                       "usd_per_million": [np.nan, 0.43, 10.0], "kind": ["self-hosted", "self-hosted", "api"],
                       "chapter_usd_per_million": [0.5, 0.25, 10.0], "note": ["141 GB > 75 GB", "", ""]})
    ax = plots.cost_bars(df)
    assert_good_axes(ax)
    texts = [t.get_text() for t in ax.texts]
    assert any("does not fit: 141 GB > 75 GB" in t for t in texts)
    assert any("$0.43/M" in t for t in texts) and any("$10/M" in t for t in texts)
    assert sum(1 for p in ax.patches if p.get_hatch()) == 1
    assert "chapter §30.5: its figure" in chapter_marks(ax)


def test_chapter_30_5_table_recomputed_by_hand():
    df = plots.chapter_30_5_table()
    rows = df.set_index("label")
    # 70B bf16 on one H100 cannot be priced at any utilization: 141 GB of weights, 80 GiB on the GPU
    for label in ("70B bf16, 1×H100, 30% util", "70B bf16, 1×H100, 80% util"):
        assert math.isnan(rows.loc[label, "usd_per_million"]) and "86 GB on one GPU" in rows.loc[label, "note"]
    # 70B FP8 on one H100 at $2/h, 80% utilization, on the one prediction path: the memory-limited batch
    # of 1,024 + 1,024-token requests decoding together; tokens/s = batch / TPOT, $/M by hand
    e = cl.predict(cl.deployment("llama-3.1-70b", "H100-SXM", 1, "fp8"), 1024, 1024)
    b = e.batch
    tpot = cl.predict(cl.deployment("llama-3.1-70b", "H100-SXM", 1, "fp8"), 1024, 1024, batch=b).tpot_s.mid
    usd = 2.0 / (b / tpot * 3600 / 1e6) / 0.8
    assert rows.loc["70B FP8, 1×H100, 80% util", "batch"] == b > 6  # no cap, the engine's memory model
    assert rows.loc["70B FP8, 1×H100, 80% util", "usd_per_million"] == pytest.approx(usd, rel=1e-9)
    assert rows.loc["70B FP8, 1×H100, 80% util", "chapter_usd_per_million"] == 0.25  # the chapter's figure
    assert rows.loc["OpenAI · GPT-4o", "usd_per_million"] == 10.0  # OpenAI list price, $/M output; a name, not an id
    ax = plots.cost_bars(df)
    assert_good_axes(ax)
    assert sum(1 for p in ax.patches if p.get_hatch()) == 2


def test_cost_bars_requires_columns():
    with pytest.raises(ValueError, match="usd_per_million"):
        plots.cost_bars(pd.DataFrame({"label": ["x"]}))


def test_hardware_bars_from_a_hand_made_table():
    df = pd.DataFrame({"gpu": ["H100-SXM", "L40S"], "usd_per_million": [0.52, np.nan], "feasible": [True, False],
                       "min_tp": [2, None], "batch": [118, 0], "note": ["", "does not fit on 8 GPUs"]})
    ax = plots.hardware_bars(df)
    assert_good_axes(ax, categories_on_y=True)
    texts = [t.get_text() for t in ax.texts]
    assert any("$0.52/M (TP=2, batch 118)" in t for t in texts)
    assert any("does not fit" in t and "8 GPUs" in t for t in texts)
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1
    assert "chapter §30.8 table (70B)" in chapter_marks(ax)  # the chapter lists H100 at $0.50/M
    assert [t.get_text() for t in ax.get_yticklabels()] == ["H100 SXM", "L40S"]  # names, not ids


def test_hardware_bars_label_a_refusal_by_its_shortfall_not_the_whole_message():
    note = ("does not fit on 1 GPU: Llama 3.1 70B BF16 on 1x H100 SXM: weights 141.1 GB + engine reserve 2.8 GB"
            " = 143.9 GB, 85.9 GB on 1 GPU(s); try TP=2 or a smaller precision")
    df = pd.DataFrame({"gpu": ["H100-SXM"], "usd_per_million": [np.nan], "feasible": [False],
                       "min_tp": [None], "batch": [0], "note": [note], "shortfall_bytes": [58.0e9]})
    texts = [t.get_text().strip() for t in plots.hardware_bars(df, mark=False).texts]
    assert "does not fit on 1 GPU, short by 58.0 GB" in texts, texts  # the shortfall from its column


def test_hardware_bars_accepts_compare_hardware_output():
    ax = plots.hardware_bars(cl.compare_hardware("llama-3.1-405b", "bf16"))
    assert_good_axes(ax, categories_on_y=True)
    # 405B x 2 bytes = 812 GB > 8 x 75 GB usable on H100s: it cannot be priced there
    assert any(t.get_text().strip().startswith("does not fit") for t in ax.texts)
    assert any("does not fit on 8 GPUs, short by" in t.get_text() for t in ax.texts)


def test_procurement_and_price_ratio_bars():
    df = pd.DataFrame({"tier": ["on_demand", "reserved"], "usd_per_gpu_hour": [3.75, 1.875],
                       "low": [3.0, 1.5], "high": [4.5, 2.25]})
    ax = plots.procurement_bars(df, highlight="reserved")
    assert_good_axes(ax, legend=False)
    assert any(t.get_text().startswith("chapter §30.2") for t in ax.texts)
    plt.close("all")
    ratio = pd.DataFrame({"label": ["GPT-4o", "no input price"], "usd_per_million_input": [2.5, 0.0],
                          "usd_per_million_output": [10.0, 1.0], "kind": ["api", "api"]})
    ax = plots.price_ratio_bars(ratio)
    assert_good_axes(ax)
    assert any(t.get_text().strip().startswith(f"{10 / 2.5:.2f}×") for t in ax.texts)
    assert any("chapter §30.6" in t.get_text() for t in ax.texts)
    # value axis: 1.6 x the largest of 4x (GPT-4o) and the chapter's 4x = 6.4, rounded up to a round 8
    assert ax.get_xlim() == (0, 8)


@pytest.mark.parametrize("x, want", [(3.68, 4.0), (6.4, 8.0), (6.42, 8.0), (1.0, 1.0), (1.01, 1.2), (10.0, 10.0),
                                     (12.5, 15.0), (0.0072, 0.008), (2.6e6, 3e6)])
def test_bar_axes_end_on_a_round_number(x, want):
    """1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k: the smallest at or above x."""
    assert plots.axes.nice_ceiling(x) == pytest.approx(want, rel=1e-12)


def test_procurement_axis_stays_put_while_prices_move():
    """The bar moves with the price; the value axis keeps its round end: 1.5 x $4.1-$5.3 = $6.15-$7.95 -> $8."""
    ends = set()
    for od in (4.1, 4.4, 4.8, 5.3):
        df = pd.DataFrame({"tier": ["on_demand"], "usd_per_gpu_hour": [od], "low": [od * 0.8], "high": [od * 1.2]})
        ax = plots.procurement_bars(df, mark=False)
        ends.add(ax.get_xlim()[1])
        plt.close("all")
    assert ends == {8.0}


def test_procurement_axis_does_not_jump_one_step_either_side_of_the_catalog_price():
    # the explorer starts at the catalog's mid H100 on-demand price; one slider step (5 cents) either way
    # keeps the axis end: 1.5 x $3.70-$3.80 = $5.55-$5.70 -> $6 (with 1.6x, $3.75 sat on the $6 boundary)
    ex = widgets.procurement_explorer()
    price, step = ex.values()["on_demand_usd_per_hour"], ex.controls["on_demand_usd_per_hour"].step
    ends = set()
    for od in (price - step, price, price + step):
        ex.controls["on_demand_usd_per_hour"].value = od
        ends.add(ex.ax.get_xlim()[1])
    assert ends == {6.0} and price == 3.75


# ---------------------------------------------------------------- §30.7 monthly cost

def test_monthly_cost_steps_api_line_crossover_and_chapter_zone():
    ax = plots.monthly_cost((1e7, 1e10), tokens_per_s_per_replica=1000, usd_per_gpu_hour=2.0,
                            apis=("together-llama-3.3-70b",), input_share=0.5)
    assert_good_axes(ax)
    one_gpu_month = 2.0 * 24 * 30  # $1,440
    steps = next(ln for ln in ax.get_lines() if ln.get_label().startswith("self-host"))
    ys = np.asarray(steps.get_ydata())
    np.testing.assert_allclose(ys / one_gpu_month, np.round(ys / one_gpu_month))  # whole replicas
    # one replica carries 1000 tokens/s x 2.592M s = 2.592B tokens/month: the 3B point needs 2 replicas
    xs = np.asarray(steps.get_xdata())
    assert ys[np.searchsorted(xs, 3e9) - 1] == 2 * one_gpu_month
    # crossover with the $0.88/M API: 1440 / 0.88 x 1e6 = 1.64B tokens/month (not 100-500M)
    assert any(t.get_text() == f"crossover {one_gpu_month / 0.88 * 1e6 / 1e9:.3g}B/month" for t in ax.texts)
    assert any(m.startswith("chapter §30.7") for m in chapter_marks(ax))


# ---------------------------------------------------------------- §30.9 latency frontier

def test_latency_frontier_target_frontier_and_dropped_rows():
    df = pd.DataFrame({"batch": [1, 8, 16, 32, 512], "tpot_s": [0.015, 0.017, 0.020, 0.024, 0.1],
                       "usd_per_million": [20.0, 3.0, 3.5, 1.0, np.nan], "fits": [True, True, True, True, False]})
    ax = plots.latency_frontier(df, tpot_target_s=0.021)
    assert_good_axes(ax)
    front = next(ln for ln in ax.get_lines() if ln.get_label() == "Pareto frontier")
    # batch 16 (20 ms, $3.50) is beaten by batch 8 (17 ms, $3.00): not on the frontier
    assert list(np.round(front.get_xdata(), 6)) == [15.0, 17.0, 24.0]
    target = next(ln for ln in ax.get_lines() if ln.get_label().startswith("TPOT target"))
    np.testing.assert_allclose(target.get_xdata(), 21.0, rtol=1e-12)
    assert any("best under target: batch 8, $3.00/M" in t.get_text() for t in ax.texts)
    assert any("does not fit" in t.get_text() and "512" in t.get_text() for t in ax.texts)


def test_latency_frontier_with_nothing_that_fits_is_a_message():
    df = pd.DataFrame({"batch": [1], "tpot_s": [0.02], "usd_per_million": [np.nan], "fits": [False]})
    ax = plots.latency_frontier(df, 0.05)
    assert len(ax.get_lines()) == 0 and "nothing to price" in ax.texts[0].get_text()


# ---------------------------------------------------------------- §30.10 capacity

def test_capacity_waterfall_chapter_rubric():
    plan = cl.capacity_plan(1e6, 10, 500, 1000, peak_factor=3, headroom=0.3, usd_per_gpu_hour=2)
    ax = plots.capacity_waterfall(plan, headroom=0.3, reference=(225, "chapter §30.10: ~225 H100s"))
    assert_good_axes(ax, legend=False)
    peak_gpus = 1e6 * 10 * 500 / 86400 * 3 / 1000  # 173.6 GPUs at peak
    heights = [p.get_height() for p in ax.patches]
    assert heights[0] == pytest.approx(peak_gpus)
    assert heights[1] == pytest.approx(peak_gpus * 0.3)
    assert heights[2] == pytest.approx(math.ceil(peak_gpus * 1.3) - peak_gpus * 1.3)
    assert heights[-1] == math.ceil(peak_gpus * 1.3) == 226
    assert f"+{peak_gpus * 0.3:,.1f} (30%)" == "+52.1 (30%)" and "+52.1 (30%)" in [t.get_text() for t in ax.texts]
    assert ax.get_ylim() == (0, 300)  # 226 x 1.15 = 260, rounded up to a round 300
    assert chapter_marks(ax) == ["chapter §30.10: ~225 H100s"]
    assert "$2.17/M" in ax.get_title()  # 226 x $2 x 720 h / (5B x 30 / 1M)


# ---------------------------------------------------------------- memory

def test_memory_use_shows_the_shortfall_and_the_chapter_weight_size():
    dep = cl.deployment("llama-3.1-70b", "H100-SXM", 1, "bf16")
    ax = plots.memory_use(dep, 2048, 1)
    assert_good_axes(ax, categories_on_y=True)
    short = (2 * N70 + 2048 * KV70 - USABLE_H100) / 1e9
    assert any(t.get_text() == f"does not fit: short by {short:,.1f} GB" for t in ax.texts)
    assert chapter_marks(ax) == ["chapter §30.3: 140 GB of bf16 weights"]
    widths = sorted(p.get_width() for p in ax.patches if p.get_width() > 1)
    assert widths[-1] == pytest.approx(2 * N70 / 1e9)
    assert any(w == pytest.approx(USABLE_H100 / 1e9) for w in widths)


def test_memory_figure_labels_the_axis_that_holds_gigabytes():
    """#17 item 7: the tour's bars run along x in GB; the y axis holds categories, not GB."""
    from matplotlib.figure import Figure

    from costlib.catalog.deployment import deployment
    from costlib.ui import plots as p

    ax = Figure().add_subplot()
    with p.style():
        p.memory_use(deployment("llama-3.1-70b", "H100-SXM", 2, "fp8"), 2048, 8, ax=ax)
    assert "GB" in ax.get_xlabel() and "GB" not in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()][1] == "needed"


def test_legends_and_labels_are_at_least_9_pt():
    import matplotlib

    from costlib.ui import plots as p

    with p.style():
        assert matplotlib.rcParams["legend.fontsize"] >= 9 and matplotlib.rcParams["axes.labelsize"] >= 9


def _legend_covers(ax):
    """The bars and value labels that the axes' legend box overlaps (drawn as an explorer draws it)."""
    fig = ax.figure
    fig.set_layout_engine("constrained")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = ax.get_legend().get_window_extent(renderer)
    covered = [p for p in ax.patches if p.get_window_extent(renderer).overlaps(box)]
    covered += [t.get_text() for t in ax.texts if t.get_text().strip() and t.get_window_extent(renderer).overlaps(box)]
    return covered


@pytest.mark.parametrize("draw", ["hardware", "cost", "ratio"])
def test_bar_chart_legends_cover_no_bar_and_no_label(draw):
    # issue #17: nothing the reader needs sits under a legend. The hardware chart's lower-right legend hid
    # the L40S label ("$2.58/M (TP=4, ...)") for the default 70B model.
    with plots.style():
        fig, ax = plt.subplots()
        if draw == "hardware":
            plots.hardware_bars(cl.compare_hardware("llama-3.1-70b", "bf16", "bf16", context=4096), ax=ax)
        elif draw == "cost":
            plots.cost_bars(plots.chapter_30_5_table(), ax=ax)
        else:
            rows = [{"label": "self-hosted", "usd_per_million_input": 0.5, "usd_per_million_output": 3.0,
                     "kind": "self-hosted"},
                    {"label": "an API", "usd_per_million_input": 1.0, "usd_per_million_output": 9.0, "kind": "api"}]
            plots.price_ratio_bars(pd.DataFrame(rows), ax=ax)
        assert _legend_covers(ax) == []
    plt.close(fig)
