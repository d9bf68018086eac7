"""Retained explorer redraws (costlib.ui.retained): an updated figure is the figure a fresh draw gives.

Every explorer is driven through control changes twice in lockstep: once normally (artists reused,
only the layers above the first change repainted) and once from scratch (empty axes, every artist
made again, full draw). The two pictures must be identical pixel for pixel, and the artists must
hold the same data as an explorer built afresh with the final values. The building blocks are
checked against matplotlib's own results (data limits of bars, text metrics of stock Agg).
"""
from __future__ import annotations

import io
import random

import matplotlib

matplotlib.use("Agg")  # this module only; notebooks keep their inline backend

import ipywidgets as w  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import lines as mlines  # noqa: E402
from matplotlib import patches as mpatches  # noqa: E402
from matplotlib import text as mtext  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from costlib.ui import plots, widgets  # noqa: E402
from costlib.ui import retained as _retained  # noqa: E402

# the control each explorer's benchmark moves (benchmarks/bench_widgets.py), with a few nearby values
WALKS = {
    "tour": ("usd_per_gpu_hour", [1.0, 1.05, 1.1, 3.0]),
    "cost_explorer": ("utilization", [0.3, 0.33, 0.5, 0.62, 0.65, 1.0]),
    "procurement_explorer": ("on_demand_usd_per_hour", [2.0, 2.1, 2.2, 9.0]),
    "throughput_explorer": ("batch", [1, 2, 3, 40, 41, 400]),
    "roofline_explorer": ("batch", [1, 2, 3, 8, 9, 13]),
    "utilization_explorer": ("duty_cycle", [0.3, 0.33, 0.36, 0.9]),
    "prefill_decode_explorer": ("prompt_tokens", [500, 550, 600, 9000]),
    "self_host_explorer": ("tokens_per_month", [1e8, 1.26e8, 1.58e8, 5e9, 6.3e9]),
    "hardware_explorer": ("context", [1024, 1152, 1280, 20_000]),
    "latency_explorer": ("tpot_target_ms", [15.0, 16.0, 17.0, 30.0, 31.0, 400.0]),
    "capacity_explorer": ("headroom", [0.0, 0.05, 0.1, 0.9]),
    "claims_explorer": ("verdict", ["all", "wrong", "rounded"]),
    "cheatsheet_explorer": ("context", [1024, 1152, 30_000]),
    "validation_explorer": ("input_len", [256, 320, 384, 30_000]),
    "calculator_app": ("batch", [64, 65, 66, 1024]),
}


def builder(name):
    from costlib.ui import app

    return widgets.EXPLORERS[name] if name in widgets.EXPLORERS else getattr(app, name)


def test_every_explorer_has_a_walk():
    assert set(WALKS) == set(widgets.EXPLORERS) | {"calculator_app"}


def pixels(ex) -> np.ndarray:
    """The picture the explorer shows (its PNG, decoded)."""
    return np.asarray(Image.open(io.BytesIO(ex.image.value)).convert("RGB"))


def extremes(c):
    if isinstance(c, w.FloatLogSlider):
        return [c.base ** c.min, c.base ** c.max]
    if isinstance(c, (w.FloatSlider, w.IntSlider)):
        return [c.min, c.max]
    opts = [o[1] if isinstance(o, tuple) else o for o in c.options]
    return [opts[-1], opts[0]]


class Twins:
    """The same explorer twice: ``a`` redraws as in a notebook, ``b`` from scratch every time."""

    def __init__(self, name):
        self.name = name
        self.a, self.b = builder(name)(), builder(name)()
        self.checked = 0

    def move(self, key, value):
        self.a.controls[key].value = value
        self.b._scene.forget()  # empty axes, every artist made again ...
        self.b._layers.invalidate()  # ... and painted in one full draw
        self.b.controls[key].value = value
        self.check(f"{key}={value!r}")

    def check(self, where):
        a, b = self.a, self.b
        assert a.values() == b.values(), where
        assert a.message == b.message, f"{self.name} {where}"
        pa, pb = pixels(a), pixels(b)
        assert pa.shape == pb.shape, f"{self.name} {where}: layout differs"
        differ = np.argwhere((pa != pb).any(axis=2))
        assert len(differ) == 0, (f"{self.name} {where}: {len(differ)} pixels differ from a fresh draw, "
                                  f"e.g. at (row, column) {differ[:3].tolist()}")
        self.checked += 1


def _round(v):
    return v if isinstance(v, str) else repr(v)


def _label(a) -> str:
    """An artist's legend label; matplotlib names unlabelled artists "_childN" after their position when
    added (never shown: legends skip labels starting with "_"), so N is not compared."""
    s = a.get_label()
    return "_child" if s.startswith("_child") else s


def content(ex) -> list:
    """What the axes show, independent of where constrained layout put them: data, texts, limits, ticks."""
    ax = ex.ax
    out = [("xlim", ax.get_xlim()), ("ylim", ax.get_ylim()), ("scale", ax.get_xscale(), ax.get_yscale()),
           ("title", ax.get_title()), ("labels", ax.get_xlabel(), ax.get_ylabel()),
           ("xticks", list(ax.get_xticks()), [t.get_text() for t in ax.get_xticklabels()]),
           ("yticks", list(ax.get_yticks()), [t.get_text() for t in ax.get_yticklabels()])]
    for a in ax.get_children():
        if isinstance(a, mlines.Line2D):
            out.append(("line", a.get_xydata().tolist(), a.get_color(), a.get_linestyle(), a.get_linewidth(),
                        a.get_marker(), a.get_markersize(), _label(a), a.get_zorder(), a.get_visible()))
        elif isinstance(a, mtext.Annotation):
            out.append(("annotation", a.get_text(), _round(a.xy), a.get_position(), a.get_color(),
                        a.get_horizontalalignment(), a.get_fontsize()))
        elif isinstance(a, mtext.Text) and a not in (ax.title, ax._left_title, ax._right_title):
            out.append(("text", a.get_text(), a.get_position(), a.get_color(), a.get_horizontalalignment(),
                        a.get_fontsize()))
        elif isinstance(a, mpatches.Rectangle) and a is not ax.patch:
            out.append(("rect", a.get_xy(), a.get_width(), a.get_height(), a.get_facecolor(), a.get_hatch(),
                        a.get_zorder()))
        elif hasattr(a, "get_paths") and not isinstance(a, mpatches.Patch):
            out.append(("collection", [p.vertices.tolist() for p in a.get_paths()]))
        elif type(a).__name__ == "Legend":
            out.append(("legend", [t.get_text() for t in a.get_texts()], a._loc))
    return out


@pytest.mark.parametrize("name", sorted(WALKS))
def test_updated_figure_is_the_fresh_figure(name):
    """Slider steps, then every control to one end and back: each updated picture equals a fresh full draw."""
    t = Twins(name)
    key, values = WALKS[name]
    for v in values:
        t.move(key, v)
    for i, (k, c) in enumerate(t.a.controls.items()):  # to one end of every control and back
        if c.layout.display == "none" or c.disabled:
            continue
        start = c.value
        t.move(k, extremes(c)[i % 2])
        t.move(k, start)
    assert t.checked >= len(values)
    # the comparisons exercised the retained paths, not only fresh draws
    assert t.a._scene.stats["retained"] > 0 and t.a._layers.stats["partial"] + t.a._layers.stats["full"] > 0
    # and the final artists hold what an explorer built afresh with these values holds
    fresh = builder(name)()
    fresh._scene.forget()
    fresh.set(**t.a.values())
    assert fresh._scene.stats["retained"] == 0  # built (and set) without reusing anything
    got, want = content(t.a), content(fresh)
    assert len(got) == len(want)
    for g, f in zip(got, want, strict=True):
        assert g == f, f"{name}: updated {g!r:.300} but fresh {f!r:.300}"


@pytest.mark.parametrize("name", ["throughput_explorer", "utilization_explorer", "tour", "latency_explorer"])
def test_slider_moves_repaint_only_the_changed_layers(name):
    """Moves that leave limits and labels alone are partial repaints (and still exact, see above)."""
    t = Twins(name)
    key, values = WALKS[name]
    for v in values[:3]:
        t.move(key, v)
    stats = t.a._layers.stats
    assert stats["partial"] >= 1, stats
    assert t.a._scene.stats["restarts"] == 0


def test_a_branch_change_reuses_what_it_can():
    """Past the memory wall the throughput plot marks the batch with a dotted line instead of a point:
    the point's artists are dropped, the line is made, the rest is reused; same picture as fresh."""
    t = Twins("throughput_explorer")
    t.move("batch", 8)
    t.move("batch", 400)
    assert "batch 400: does not fit" in [x.get_text() for x in t.a.ax.texts]
    t.move("batch", 9)
    assert "batch 9: does not fit" not in [x.get_text() for x in t.a.ax.texts]
    assert t.a._scene.stats["restarts"] == 0


def test_a_setting_call_that_goes_missing_restarts_on_empty_axes():
    """A call that set the axes (here a log scale) and is not made again could leave its effect behind:
    the run starts again on emptied axes instead."""
    fig = Figure()
    ax = fig.add_subplot()
    scene = _retained.Scene(ax, widgets.explorer._reset_axes)

    def draw(v, ax):
        ax.plot([1, 2], [1, v], color="k")
        if v > 5:
            ax.set_yscale("log")
        return v

    scene.run(draw, 1)
    line = ax.lines[0]
    scene.run(draw, 3)  # the same calls: the line is reused
    assert scene.stats == {"retained": 1, "fresh": 1, "restarts": 0, "fallbacks": 0} and ax.lines[0] is line
    scene.run(draw, 10)  # a setting call the last run did not make: another branch, start afresh
    assert scene.stats["restarts"] == 1 and ax.get_yscale() == "log"
    scene.run(draw, 11)
    assert scene.stats["retained"] == 2
    line = ax.lines[0]
    scene.run(draw, 2)  # the log scale is not asked for: a fresh run gives a linear axis
    assert scene.stats["restarts"] == 2 and ax.get_yscale() == "linear"
    assert ax.lines[0] is not line and ax.lines[0].get_ydata().tolist() == [1, 2]


def test_the_comparison_catches_an_artist_left_stale():
    """If reuse forgot to move an annotation, the twins would differ: the check above can fail."""
    t = Twins("throughput_explorer")
    t.move("batch", 4)
    real = _retained._REUSE["annotate"]

    def forgetful(scene, prev, args, kwargs):  # keeps the old text and position
        scene._attach(prev)
        scene._record(prev, args, kwargs)
        return prev.result

    _retained._REUSE["annotate"] = forgetful
    try:
        with pytest.raises(AssertionError, match="pixels differ"):
            t.move("batch", 5)
    finally:
        _retained._REUSE["annotate"] = real


def test_redraw_starts_from_empty_axes():
    ex = widgets.throughput_explorer()
    ex.controls["batch"].value = 9
    before = pixels(ex)
    fresh = dict(ex._scene.stats)
    ex.redraw()
    assert ex._scene.stats["fresh"] == fresh["fresh"] + 1 and np.array_equal(pixels(ex), before)


def test_broken_matplotlib_internals_fall_back_to_whole_draws(monkeypatch):
    """If the private parts of matplotlib the retained path uses change, explorers stay right (just slower)."""
    ex = widgets.throughput_explorer()
    ex.controls["batch"].value = 5

    def broken(*args, **kwargs):
        raise AttributeError("'Axes' object has no attribute '_children'")  # what a new matplotlib could do

    monkeypatch.setattr(_retained.Scene, "_detach", broken)
    monkeypatch.setattr(_retained, "_draw_order", broken)
    ex.controls["batch"].value = 9
    ex.controls["batch"].value = 12
    assert not ex._scene.enabled and not ex._layers.enabled
    assert ex._scene.stats["fallbacks"] == 1 and ex._layers.stats["fallbacks"] == 1
    assert ex.ok and "12" in ex.message
    fresh = widgets.throughput_explorer()
    fresh.controls["batch"].value = 12
    fresh.redraw()
    assert np.array_equal(pixels(ex), pixels(fresh))


def test_bad_input_is_not_taken_for_broken_internals():
    """A ValueError from costlib is the explorer's message, and keeps the retained path on."""
    ex = widgets.throughput_explorer()
    ex.controls["batch"].value = 5
    ex.controls["tp"].value = 1
    ex.controls["weights"].value = "bf16"  # 70B bf16 on one H100: does not fit
    assert "does not fit" in ex.message
    assert ex._scene.enabled and ex._scene.stats["fallbacks"] == 0


def test_an_artist_changed_behind_the_scenes_is_repainted():
    """A change made directly on an artist (not through a plot call) marks it stale: it is painted again."""
    ex = widgets.throughput_explorer()
    for b in (2, 3, 4):
        ex.controls["batch"].value = b
    line = next(x for x in ex.ax.lines if x.get_label().startswith("chapter"))
    line.set_color("#FF00FF")  # under the cached layers
    ex._layers.draw(ex._scene.dirty, ex._scene.axes_same)
    magenta = (np.asarray(ex.fig.canvas.buffer_rgba())[:, :, :3] == (255, 0, 255)).all(axis=2)
    assert magenta.sum() > 50


# ---------------------------------------------------------------- building blocks

def test_same_compares_values_not_objects():
    same = _retained.same
    assert same([1, 2.0, "a"], (1, 2, "a")) and not same([1, 2], [1, 2, 3]) and same(range(3), [0, 1, 2])
    assert same(np.array([1.0, np.nan]), [1.0, float("nan")]) and not same(np.array([1.0, 2.0]), [1.0, 2.5])
    assert same({"fc": "white", "pad": 0.2}, {"pad": 0.2, "fc": "white"}) and not same({"fc": "w"}, {"fc": "k"})
    assert not same("1", 1) and not same(True, 1) and not same(None, 0)
    a, b = plots.axes.LogTicks(base=10, numticks=12), plots.axes.LogTicks(base=10, numticks=12)
    a.tick_values(1, 1e6)  # picks other subs for a long span: still the same locator
    assert same(a, b) and not same(a, plots.axes.LogTicks(base=10, numticks=8))
    assert same(ticker.PercentFormatter(1.0), ticker.PercentFormatter(1.0))
    assert not same(ticker.PercentFormatter(1.0), ticker.PercentFormatter(100.0))

    def fmt(k):
        return ticker.FuncFormatter(lambda x, _: f"{x * k:g}")

    assert same(fmt(2), fmt(2)) and not same(fmt(2), fmt(3))
    transform = object()
    assert same(transform, transform) and not same(object(), object())


def test_reused_bars_count_the_data_limits_matplotlib_counts():
    """The shortcut for plain bars gives exactly Axes._update_patch_limits's data limits (linear and log)."""
    rng = np.random.default_rng(7)
    for trial in range(120):
        fig = Figure()
        ax = fig.add_subplot()
        if trial % 3 == 1:
            ax.set_xscale("log")
        if trial % 4 == 2:
            ax.set_yscale("log")
        rects = []
        for _ in range(int(rng.integers(1, 6))):
            x0, y0, wd, ht = rng.normal(0, 10 ** rng.uniform(-3, 6), 4)
            r = mpatches.Rectangle((x0, y0), 0.0 if rng.random() < 0.1 else wd, ht)
            ax.add_patch(r)
            rects.append(r)
        ax.relim()  # matplotlib's own count
        want, want_min = ax.dataLim.get_points().copy(), ax.dataLim.minpos.copy()
        ax.relim()
        ax.dataLim.set_points(np.array([[np.inf, np.inf], [-np.inf, -np.inf]]))
        ax.dataLim.ignore(True)
        ax.ignore_existing_data_limits = True
        corners = [_retained._rect_corners(ax, r) for r in rects]
        for r, c in zip(rects, corners, strict=True):
            if c is None:
                ax._update_patch_limits(r)
        got = [c for c in corners if c is not None and c is not False]
        if got:
            ax.update_datalim(np.concatenate(got))
        assert np.array_equal(ax.dataLim.get_points(), want) and np.array_equal(ax.dataLim.minpos, want_min)


def test_text_metrics_match_stock_agg_exactly():
    """The explorers' renderer measures text from its own layout; stock Agg's numbers, to the bit."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    cls = widgets.canvas.ExplorerCanvas._renderer_class
    if cls is None:
        pytest.skip("matplotlib without the private Agg parts: the stock renderer is used")
    rnd = random.Random(11)
    alphabet = "  abcdefgijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%.,:;()[]/-+=×÷→≈§·—'\"?!<>_&*#@ƒ≤µ"
    with plots.style():
        for dpi in (90, 100):
            fast, stock = cls(400, 300, dpi), RendererAgg(400, 300, dpi)
            for size, weight in ((7.5, "normal"), (8, "bold"), (9.5, "normal"), (10.5, "normal")):
                prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
                for _ in range(150):
                    s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))
                    assert fast.get_text_width_height_descent(s, prop, False) == \
                        stock.get_text_width_height_descent(s, prop, False), repr(s)


def test_pair_layout_matches_freetype_exactly():
    """New strings are laid out from cached glyph advances and pair kerning: FT2Font._layout's result, exactly."""
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.font_manager import FontProperties

    cls = widgets.canvas.ExplorerCanvas._renderer_class
    if cls is None:
        pytest.skip("matplotlib without the private Agg parts: the stock renderer is used")
    rnd = random.Random(5)
    chars = sorted(widgets.canvas._PAIR_CHARS) + ["f", "f", "i", "l"]  # more chances of the ligatures it must refuse
    used = 0
    with plots.style():
        flags = get_hinting_flag()
        r = cls(400, 300, 90)
        for size, weight, style in ((7.5, "normal", "normal"), (8, "bold", "normal"), (9.5, "normal", "italic"),
                                    (10.5, "normal", "normal")):
            prop = FontProperties(family="DejaVu Sans", size=size, weight=weight, style=style)
            for _ in range(250):
                s = "".join(rnd.choice(chars) for _ in range(rnd.randint(1, 40)))
                fast = r._pair_layout(s, prop, flags)
                stock = [(it.ft_object, it.glyph_index, it.x, it.y) for it in r._prepare_font(prop)._layout(s, flags=flags)]
                if fast is None:
                    assert any(lig in s for lig in widgets.canvas._LIGATURES)
                    continue
                used += 1
                assert fast == stock, repr(s)
    assert used > 500
    assert r._pair_layout("ƒ€", prop, flags) is None  # outside the checked characters: FreeType lays it out
