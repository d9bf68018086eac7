"""Interactive explorers for the notebooks: controls -> costlib -> a message and one redrawn figure (§30.1-§30.10).

Each builder (``tour()``, ``cost_explorer()``, ...) returns an :class:`Explorer`. Display it in a
notebook to get its controls; every change recomputes with costlib and redraws one figure. Errors
from costlib (bad input, configurations that do not fit in memory) are shown inside the explorer
as a message, never as a traceback or an empty plot. Keyword arguments preset the controls, e.g.
``throughput_explorer(weights="fp8", tp=1)``.
"""
from __future__ import annotations

import contextlib
import functools
import html
import math
import os
import struct
import zlib
from types import SimpleNamespace

import ipywidgets as w
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    PRECISIONS,
    api_ids,
    api_prices,
    get_api_price,
    get_gpu,
    get_model,
    get_precision,
    gpu_ids,
    gpu_usd_per_hour,
    model_ids,
    tiers,
)
from costlib.economics.capacity import capacity_plan
from costlib.economics.cost import (
    WORKLOADS,
    NotFeasible,
    cost_at_utilization,
    million_tokens_per_hour,
    owned_cost,
    tier_usd_per_hour,
    usd_per_million_tokens,
    workload_cost,
)
from costlib.economics.crossover import (
    HOURS_PER_MONTH,
    api_monthly_usd,
    replicas_needed,
    self_host_monthly_usd,
    step_crossover_tokens_per_month,
)
from costlib.economics.frontier import default_batches, largest_batch_under_tpot, sweep_batch
from costlib.economics.hardware import compare_hardware
from costlib.physics.memory import fit
from costlib.physics.step import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    arithmetic_intensity,
    decode_ceiling_tokens_per_s,
    decode_step,
    decode_tokens_per_s,
    prefill_arithmetic_intensity,
    prefill_ceiling_tokens_per_s,
    prefill_tokens_per_s,
    ridge_batch,
)
from costlib.teaching.chapter import (
    BATCH_CAP,
    CONTEXT_TOKENS,
    P4,
    S30_2,
    S30_3,
    S30_5,
    S30_6,
    S30_7,
    S30_10,
)
from costlib.ui import plots
from costlib.ui.retained import Layers, Scene

__all__ = [
    "Explorer", "deployment_controls", "tour", "cost_explorer", "procurement_explorer",
    "throughput_explorer", "roofline_explorer", "utilization_explorer", "prefill_decode_explorer",
    "self_host_explorer", "hardware_explorer", "latency_explorer", "capacity_explorer",
    "claims_explorer", "cheatsheet_explorer", "EXPLORERS",
]

DPI = 90
# BATCH_CAP (from costlib.teaching.chapter): "largest batch that fits" is capped here, as in compare_hardware (§30.8)
TP_OPTIONS = (1, 2, 4, 8)
CHAPTER_MODEL = S30_3.model
USD_PER_GPU_HOUR = S30_2.default_usd_per_hour  # the chapter's price used throughout (§30.2)
# The deployment most explorers start from: the chapter's 70B on H100s, in a form that fits with
# room for a real batch (FP8 weights on TP=2; bf16 on one H100 does not fit at all, §30.3).
DEFAULT_DEPLOYMENT = {"model": CHAPTER_MODEL, "gpu": "H100-SXM", "weights": "fp8", "kv": "bf16", "tp": 2}


# ---------------------------------------------------------------- fast text for redraws

# Drawing text is 75-90% of an explorer's redraw with Agg: every draw lays out each string and
# renders each glyph with FreeType again, though a redraw shows mostly the same strings. The
# explorers' canvas keeps the layout of each string, each glyph's bitmap and each string's
# composed bitmap (one blit per string, not per glyph), at positions
# rounded to a quarter pixel (glyph spacing moves by at most 1/8 px). It relies on private parts
# of matplotlib's Agg backend; if they are missing, the stock renderer is used unchanged.
_SUBPIXEL = 4


def _fast_text_available() -> bool:
    from matplotlib import ft2font
    from matplotlib.backends import backend_agg as ba

    return all(hasattr(ba, n) for n in ("RendererAgg", "get_hinting_flag", "RenderMode")) and all(
        hasattr(ba.RendererAgg, n) for n in ("_prepare_font", "draw_text")) and all(
        hasattr(ft2font.FT2Font, n) for n in ("_layout", "load_glyph", "get_char_index"))


# Characters whose layout _pair_layout reproduces (checked against FreeType in tests/test_retained.py):
# ASCII and the symbols the workbook prints; the font's ligatures are the only context it has for them.
_PAIR_CHARS = frozenset(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                        "abcdefghijklmnopqrstuvwxyz{|}~×÷→←≈≤≥±µ§·—–…°")
_LIGATURES = ("ff", "fi", "fl")


def _caching_renderer_class():
    from matplotlib import ft2font
    from matplotlib.backends import backend_agg as ba

    class CachingRendererAgg(ba.RendererAgg):
        """RendererAgg that reuses string layouts and glyph bitmaps between draws (plain text only)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._layouts = {}
            self._glyphs = {}
            self._strings = {}
            self._heights = {}
            self._metrics = {}
            self._glyph_metrics = {}
            self._char_glyphs = {}
            self._kerning = {}

        def _get_font_height_metrics(self, prop):
            """(ascent, descent, line gap) of a font in pixels, as Text._get_layout computes them, cached."""
            key = (prop, self.dpi)
            hit = self._heights.get(key)
            if hit is None:
                from matplotlib.font_manager import fontManager, get_font

                font = get_font(fontManager._find_fonts_by_props(prop))
                hit = (None, None, None)
                for table_name, gap, asc, desc in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                   ("hhea", "lineGap", "ascent", "descent")):
                    table = font.get_sfnt_table(table_name)
                    if table is None:
                        continue
                    scale = prop.get_size_in_points() * self.dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
                    hit = (table[asc] * scale, -table[desc] * scale, table[gap] * scale)
                    break
                self._heights[key] = hit
            return hit

        def _layout_items(self, s, prop, features, language, flags):
            """(cache key, [(font, glyph index, x, y), ...]) of one line of text, laid out once per string."""
            key = (s, prop, self.dpi, features if features is None else tuple(features), language, flags)
            items = self._layouts.get(key)
            if items is None:
                if len(self._layouts) > 4000:  # a long session of slider moves: start afresh
                    self._layouts.clear()
                    self._glyphs.clear()
                    self._strings.clear()
                    self._metrics.clear()
                items = self._pair_layout(s, prop, flags) if features is None and language is None else None
                if items is None:
                    font = self._prepare_font(prop)
                    items = [(it.ft_object, it.glyph_index, it.x, it.y)
                             for it in font._layout(s, flags=flags, features=features, language=language)]
                self._layouts[key] = items
            return key, items

        def _glyph(self, font, size, glyph, flags):
            """(advance, bottom, top) of one glyph in 1/64 px, loaded once per font size."""
            gkey = (id(font), size, self.dpi, glyph, flags)
            g = self._glyph_metrics.get(gkey)
            if g is None:
                loaded = font.load_glyph(glyph, flags)
                g = self._glyph_metrics[gkey] = (loaded.horiAdvance, loaded.bbox[1], loaded.bbox[3], font)
            return g

        def _pair_layout(self, s, prop, flags):
            """FT2Font._layout's result for a new string without laying it out: each glyph sits at the
            previous one's pen position plus its advance plus the kerning of the pair, which is
            looked up once per pair (as FreeType applies it for the font's default features). Only
            for unhinted DejaVu Sans in the characters of _PAIR_CHARS without the f-ligatures (ff,
            fi, fl), where a test finds the result identical to FT2Font._layout; None otherwise."""
            if flags != ft2font.LoadFlags.NO_HINTING or not _PAIR_CHARS.issuperset(s) or any(p in s for p in _LIGATURES):
                return None
            font = self._prepare_font(prop)
            if not os.path.basename(font.fname).startswith("DejaVuSans"):  # the fonts the check covers
                return None
            size = prop.get_size_in_points()
            fkey = (id(font), size, self.dpi)
            items, pen, adv, prev = [], 0, 0, None
            for c in s:
                ckey = (fkey, c)
                glyph = self._char_glyphs.get(ckey)
                if glyph is None:
                    glyph = self._char_glyphs[ckey] = font.get_char_index(ord(c))
                if not glyph:  # not in this font: FreeType would look in a fallback font
                    return None
                if prev is not None:
                    pkey = (fkey, prev, c)
                    kern = self._kerning.get(pkey)
                    if kern is None:
                        pair = font._layout(prev + c, flags=flags)
                        if len(pair) != 2 or pair[1].y or pair[0].ft_object is not font:
                            return None
                        first = self._glyph(font, size, pair[0].glyph_index, flags)[0]
                        kern = self._kerning[pkey] = round(pair[1].x * 64) - first
                    pen += adv + kern
                adv = self._glyph(font, size, glyph, flags)[0]
                items.append((font, glyph, pen / 64, 0.0))
                prev = c
            return items

        def get_text_width_height_descent(self, s, prop, ismath):
            """Stock Agg lays each new string out twice, once to measure it (FT2Font.set_text) and once
            to draw it; here the measure comes from the drawing layout: width = pen position after
            the last glyph, height and descent from the union of the glyphs' boxes (a test checks
            this against stock Agg on thousands of strings)."""
            if ismath or not s:
                return super().get_text_width_height_descent(s, prop, ismath)
            flags = ba.get_hinting_flag()
            key, items = self._layout_items(s, prop, None, None, flags)
            hit = self._metrics.get(key)
            if hit is None:
                hit = self._measure(items, prop, flags) or super().get_text_width_height_descent(s, prop, ismath)
                self._metrics[key] = hit
            return hit

        def _measure(self, items, prop, flags):
            font = self._prepare_font(prop)
            size = prop.get_size_in_points()
            y0, y1, pen, adv = 1 << 60, -(1 << 60), 0, 0
            for ft, glyph, x, _y in items:
                if ft is not font:  # a fallback font: let stock Agg measure it
                    return None
                adv, gy0, gy1, _ = self._glyph(font, size, glyph, flags)
                pen = round(x * 64)  # layout positions are whole 1/64 px
                y0, y1 = min(y0, gy0), max(y1, gy1)
            if not items:
                return None
            return (pen + adv) / 64.0, (y1 - y0) / 64.0, -y0 / 64.0

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath or not gc.get_antialiased() or angle not in (0, 90, 0.0, 90.0):
                return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            # mtext is None for each line of a multi-line text: stock Agg then lays it out without features
            features, language = (None, None) if mtext is None else (mtext.get_fontfeatures(), mtext.get_language())
            flags = ba.get_hinting_flag()
            key, items = self._layout_items(s, prop, features, language, flags)
            size = prop.get_size_in_points()
            vertical = angle in (90, 90.0)
            q = _SUBPIXEL
            x0, y0 = round(x * q), round((self.height - y) * q)  # origin on the quarter-pixel grid
            skey = (key, size, vertical, x0 % q, y0 % q)
            hit = self._strings.get(skey)
            if hit is None:
                hit = self._strings[skey] = self._string_image(items, size, vertical, x0 % q, y0 % q, flags)
            img, col, row = hit
            if img is not None:
                top = int(self.height) - y0 // q + row
                self._renderer.draw_text_image(img, x0 // q + col, top + img.shape[0], 0, gc)

        def _string_image(self, items, size, vertical, fx0, fy0, flags):
            """One bitmap for a whole string whose origin sits at (fx0, fy0) quarter pixels: one blit per
            string instead of one per glyph. Returns (image or None, column, row of its top-left corner)."""
            cos, sin = (0.0, 1.0) if vertical else (1.0, 0.0)
            q = _SUBPIXEL
            parts = []
            for ft, glyph, dx, dy in items:  # dy is upwards
                ix, fx = divmod(fx0 + round((dx * cos - dy * sin) * q), q)
                iy, fy = divmod(fy0 + round((dx * sin + dy * cos) * q), q)  # FreeType's y is upwards
                gkey = (id(ft), size, self.dpi, glyph, vertical, fx, fy, flags)
                hit = self._glyphs.get(gkey)
                if hit is None:
                    ft.set_size(size, self.dpi)
                    rot = np.array([[cos, -sin], [sin, cos]])
                    ft._set_transform((0x10000 * rot).round().astype(int),
                                      [round(0x40 * fx / q), round(0x40 * fy / q)])
                    bm = ft._render_glyph(glyph, flags, ba.RenderMode.NORMAL)
                    hit = (bm.buffer.copy(), bm.left, bm.top, ft)  # ft kept: its id stays unique
                    self._glyphs[gkey] = hit
                buf, left, top, _ = hit
                if buf.size:
                    parts.append((buf, ix + left, -(iy + top)))  # column, row of the glyph's top-left
            if not parts:
                return None, 0, 0
            c0 = min(c for _, c, _ in parts)
            r0 = min(r for _, _, r in parts)
            c1 = max(c + b.shape[1] for b, c, _ in parts)
            r1 = max(r + b.shape[0] for b, _, r in parts)
            img = np.zeros((r1 - r0, c1 - c0), np.uint8)
            for b, c, r in parts:
                view = img[r - r0:r - r0 + b.shape[0], c - c0:c - c0 + b.shape[1]]
                np.maximum(view, b, out=view)
            return img, c0, r0

    return CachingRendererAgg


class _ExplorerCanvas(FigureCanvasAgg):
    """Agg canvas whose renderer caches text between redraws (see above)."""

    _renderer_class = None

    def get_renderer(self):
        cls = type(self)._renderer_class
        if cls is None:
            return super().get_renderer()
        w_px, h_px = self.get_width_height(physical=True)
        key = w_px, h_px, self.figure.dpi
        if self._lastKey != key:
            self.renderer = cls(w_px, h_px, self.figure.dpi)
            self._lastKey = key
        return self.renderer


if _fast_text_available():
    _ExplorerCanvas._renderer_class = _caching_renderer_class()


# ---------------------------------------------------------------- the explorer

class Explorer:
    """Controls, a text result and one figure; any control change recomputes and redraws.

    ``compute(values, ax)`` draws on ``ax`` and returns the message (str) or (message, html).
    ``message`` holds the last text shown; ``ok`` is False when costlib refused the inputs.
    Redraws are retained (costlib.ui.retained): ``compute`` gets a stand-in for the Axes that reuses
    the last run's artists, and only the layers above the first changed artist are painted again.
    """

    def __init__(self, title, controls, compute, *, link=None, figsize=(7.5, 4.3)):
        self.title = title
        self.controls = dict(controls)
        self._compute = compute
        self._link = link
        self._held = False  # inside hold(): no redraw per change
        self._linking = False  # inside the link: changes it makes do not trigger it again
        self._layout_due = True  # lay the figure out again at the next redraw (see update())
        self.message = ""
        self.ok = True
        self.out = w.HTML(layout=w.Layout(margin="4px 0"))
        self.fig = Figure(figsize=figsize, dpi=DPI)
        _ExplorerCanvas(self.fig)
        with plots.style():
            self.ax = self.fig.add_subplot()
        self._scene = Scene(self.ax, _reset_axes)
        self._layers = Layers(self.fig, self.ax)
        self.image = w.Image(format="png", layout=w.Layout(width=f"{int(figsize[0] * DPI)}px"))
        grid = w.GridBox(list(self.controls.values()),
                         layout=w.Layout(grid_template_columns="repeat(2, max-content)", grid_gap="2px 18px"))
        header = w.HTML(f"<b>{html.escape(title)}</b>")
        self.widget = w.VBox([header, grid, self.out, self.image])
        for name, c in self.controls.items():
            c.observe(lambda change, name=name: self._changed(name, change["new"]), names="value")
        self.update()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {k: c.value for k, c in self.controls.items()}

    @contextlib.contextmanager
    def hold(self):
        """Change several controls without recomputing after each; recompute once at the end."""
        was, self._held = self._held, True
        try:
            yield self
        finally:
            self._held = was
        if not was:
            self.update()

    def set(self, **values):
        """Set several controls by name, then recompute once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this explorer has {list(self.controls)}")
        with self.hold():
            for k, val in values.items():
                self.controls[k].value = val
        return self

    def _changed(self, name, new):
        if self._linking:  # a change made by the link itself: the outer change redraws
            return
        if isinstance(self.controls[name], w.Dropdown):  # labels may change width: lay out again
            self._layout_due = True
        if self._link is not None:
            self._linking = True
            try:
                self._link(self, name, new)
            finally:
                self._linking = False
        if not self._held:
            self.update()

    def update(self):
        """Recompute from the controls, redraw the figure and refresh the text."""
        was_ok = self.ok
        with plots.style():
            try:
                shown = self._scene.run(self._compute, self.values())
                self.ok = True
            except ValueError as e:  # bad input or NotFeasible: say so inside the explorer
                shown, self.ok = _error_text(e), False
                self._show_message(shown)
            except Exception as e:  # a bug: still no traceback in the widget, but never hidden
                shown, self.ok = f"internal error ({type(e).__name__}): {e}. Please report it.", False
                self._show_message(shown)
            self._draw(relayout=self._layout_due or self.ok != was_ok)
        text, extra = shown if isinstance(shown, tuple) else (shown, None)
        self.message = text
        self.out.value = _html(text, self.ok and not text.startswith("does not fit")) + (extra or "")
        self.image.value = self._png()

    def redraw(self):
        """Recompute and draw everything from empty axes (e.g. after changing ``ax`` by hand)."""
        self._scene.forget()
        self._layers.invalidate()
        self.update()

    def _show_message(self, text):
        self._scene.forget()  # the axes no longer hold the last run's artists
        self.ax.clear()
        plots.message_axes(text, ax=self.ax)

    def _draw(self, relayout: bool):
        # Constrained layout costs more than the rest of a redraw, so it runs only when labels may
        # have changed width (first draw, a dropdown, error <-> plot); slider moves keep the layout
        # and repaint only the layers above the first artist the change touched.
        if relayout:
            self.fig.set_layout_engine("constrained")
            self._layers.draw(None)
            self.fig.set_layout_engine("none")
            self._layout_due = False
        elif self.ok:
            self._layers.draw(self._scene.dirty, self._scene.axes_same)
        else:
            self._layers.draw(None)

    def _png(self) -> bytes:
        return _png_rgb(np.asarray(self.fig.canvas.buffer_rgba()))

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        data = dict(data)
        data["text/plain"] = f"{self.title}\n{self.message}"
        data["image/png"] = bytes(self.image.value)  # shown where widgets cannot render (static pages)
        return data

    def _ipython_display_(self):
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

    def __repr__(self) -> str:
        return f"<Explorer {self.title!r}: {self.message.splitlines()[0] if self.message else ''}>"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_rgb(rgba) -> bytes:
    """An RGBA canvas buffer (h, w, 4) as an 8-bit RGB PNG: no row filters, zlib level 1.

    Twice as fast as PIL's encoder on an explorer's figure (which tries row filters) and no larger:
    the figures are mostly flat colour, which zlib packs well without filtering.
    """
    h_px, w_px = rgba.shape[:2]
    rows = np.empty((h_px, 3 * w_px + 1), np.uint8)  # each row: filter byte 0 (none), then RGB
    rows[:, 0] = 0
    src, dst = rgba.reshape(h_px, 4 * w_px), rows[:, 1:]
    for c in range(3):  # one channel at a time: 8x faster than copying (h, w, 3) out of (h, w, 4)
        dst[:, c::3] = src[:, c::4]
    header = struct.pack(">IIBBBBB", w_px, h_px, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def _reset_axes(ax):
    """Empty the axes for the next plot but keep their tick objects (ax.clear() rebuilds them: slow).

    After a centred message (ticks removed, spines recoloured) a full ``ax.clear()`` comes first;
    either way the axes end in the same state, so a figure never depends on what was shown before.
    """
    if getattr(ax, "_costlib_message", False):
        ax.clear()
        ax._costlib_message = False
    for group in (ax.lines, ax.patches, ax.collections, ax.texts, ax.images, ax.artists, ax.tables):
        for artist in list(group):
            artist.remove()
    ax.containers.clear()
    if ax.legend_ is not None:
        ax.legend_.remove()
    ax.set_title("")
    ax.set_xlabel("")
    ax.set_ylabel("")
    for axis, scale in ((ax.xaxis, ax.set_xscale), (ax.yaxis, ax.set_yscale)):
        scale("linear")
        axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_minor_locator(ticker.NullLocator())
        axis.set_minor_formatter(ticker.NullFormatter())
    ax.grid(True)
    ax.relim()
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)
    ax.autoscale_view()


def _error_text(e: Exception) -> str:
    msg = str(e)
    if isinstance(e, NotFeasible) or msg.startswith("does not fit"):
        return msg
    return f"cannot compute this: {msg}"


def _html(text: str, ok: bool) -> str:
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in text.splitlines())
    border = "#009E73" if ok else "#D55E00"
    return f'<div style="border-left:4px solid {border};padding:2px 8px;font-size:13px">{lines}</div>'


# ---------------------------------------------------------------- controls

_STYLE = {"description_width": "150px"}
_LAYOUT = {"width": "370px"}


def _widen(value, lo, hi):
    return min(lo, value), max(hi, value)


def _float(description, value, lo, hi, step, fmt=".2f"):
    lo, hi = _widen(float(value), lo, hi)
    return w.FloatSlider(value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
                         continuous_update=False, style=_STYLE, layout=w.Layout(**_LAYOUT))


def _int(description, value, lo, hi, step=1):
    lo, hi = _widen(int(value), lo, hi)
    return w.IntSlider(value=int(value), min=lo, max=hi, step=step, description=description,
                       continuous_update=False, style=_STYLE, layout=w.Layout(**_LAYOUT))


def _log(description, value, lo_exp, hi_exp, step=0.05, fmt=".3g"):
    e = math.log10(float(value)) if value > 0 else lo_exp
    lo_exp, hi_exp = _widen(math.floor(e), lo_exp, hi_exp)
    return w.FloatLogSlider(value=value, base=10, min=lo_exp, max=hi_exp, step=step, description=description,
                            readout_format=fmt, continuous_update=False, style=_STYLE,
                            layout=w.Layout(**_LAYOUT))


def _pick(description, options, value):
    opts = list(options)
    if value not in [o[1] if isinstance(o, tuple) else o for o in opts]:
        raise ValueError(f"{description} must be one of {opts}, got {value!r}")
    return w.Dropdown(options=opts, value=value, description=description, style=_STYLE,
                      layout=w.Layout(**_LAYOUT))


def _precision(name) -> str:
    p = get_precision(name)
    if p.name not in PRECISIONS:
        raise ValueError(f"explorers offer the catalog precisions {list(PRECISIONS)}; got {name!r}")
    return p.name


def deployment_controls(model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8", kv="bf16", tp=2) -> dict:
    """Dropdowns for a deployment (model, GPU, weight and KV precision, TP) from the catalogs (§30.3)."""
    return {
        "model": _pick("model", model_ids(), get_model(model).id),
        "gpu": _pick("GPU", gpu_ids(), get_gpu(gpu).id),
        "weights": _pick("weights", list(PRECISIONS), _precision(weights)),
        "kv": _pick("KV cache", list(PRECISIONS), _precision(kv)),
        "tp": _pick("tensor parallel (TP)", TP_OPTIONS, int(tp)),
    }


def _dep(v: dict, preset: dict | None = None):
    d = {**(preset or {}), **{k: v[k] for k in ("model", "gpu", "weights", "kv", "tp") if k in v}}
    return deployment(d["model"], d["gpu"], d["tp"], d["weights"], d["kv"])


def _count(x: float) -> str:
    return plots._count(x)


# ---------------------------------------------------------------- 00 tour

def tour(model=CHAPTER_MODEL, gpu=S30_3.gpu, weights=S30_3.weights, tp=S30_3.n_gpus,
         usd_per_gpu_hour=USD_PER_GPU_HOUR, context=CONTEXT_TOKENS):
    """60-second tour: does it fit, how many tokens/s, what a million tokens cost (§30.1, §30.3, §30.5).

    Starts at the chapter's example, 70B in bf16 on one H100, which does not fit. The batch is the
    largest that fits at ``context`` tokens (at most 256); throughput uses mid-range MBU/MFU.
    """
    ctx = int(context)
    controls = {
        "model": _pick("model", model_ids(), get_model(model).id),
        "gpu": _pick("GPU", gpu_ids(), get_gpu(gpu).id),
        "weights": _pick("precision", list(PRECISIONS), _precision(weights)),
        "tp": _pick("GPUs (TP)", TP_OPTIONS, int(tp)),
        "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
    }

    def compute(v, ax):
        dep = deployment(v["model"], v["gpu"], v["tp"], v["weights"])
        f = fit(dep, context=ctx)
        if not f.fits:
            plots.memory_use(dep, ctx, 1, ax=ax)
            return f.message
        b = min(f.max_batch, BATCH_CAP)
        plots.memory_use(dep, ctx, b, ax=ax)
        tps = decode_tokens_per_s(dep, b, ctx)
        hourly = v["usd_per_gpu_hour"] * dep.tp
        usd = usd_per_million_tokens(hourly, tps)
        return "\n".join([
            f.message,
            f"decode at batch {b:,} (the most that fit, at most {BATCH_CAP}), mid-range MBU/MFU: "
            f"{tps:,.0f} tokens/s",
            f"${hourly:.2f}/hour ÷ {million_tokens_per_hour(tps):.2f}M tokens/hour = "
            f"${usd:.2f} per million output tokens",
        ])

    return Explorer("Tour: does it fit, how fast, what it costs", controls, compute)


# ---------------------------------------------------------------- 01 cost model and procurement

def cost_explorer(usd_per_hour=S30_5.usd_per_hour, tokens_per_s=int(S30_5.tokens_per_s), utilization=1.0):
    """$/M = $/hour ÷ (tokens/s × utilization × 3600 / 10^6), with the chapter's worked example marked (§30.1)."""
    controls = {
        "usd_per_hour": _float("$ per hour", usd_per_hour, 0.1, 20.0, 0.05),
        "tokens_per_s": _int("tokens/s", tokens_per_s, 10, 20_000, 10),
        "utilization": _float("utilization", utilization, 0.05, 1.0, 0.01),
    }

    def compute(v, ax):
        p, t, u = v["usd_per_hour"], v["tokens_per_s"], v["utilization"]
        c = usd_per_million_tokens(p, t, u)
        plots.cost_vs_throughput(p, (min(100, t / 2), max(5000, t * 2)), utilization=(1.0, S30_5.utilization, u),
                                 current=(t, u), ax=ax)
        return (f"${p:.2f}/hour ÷ ({t:,} tokens/s × {u:.0%} × 3,600 s ÷ 1M = "
                f"{million_tokens_per_hour(t, u):.2f}M tokens/hour) = ${c:.2f} per million tokens")

    return Explorer("Cost per million tokens (§30.1)", controls, compute)


_H100_PURCHASE_USD = sum(S30_2.h100_purchase_usd) / 2  # middle of the chapter's $30-40k (§30.2)


@functools.lru_cache(maxsize=64)
def _tier_fraction(tier: str, point: str) -> float:
    """A tier's price as a fraction of on-demand (tier prices are on-demand × this), read from the catalog once (§30.2)."""
    return tier_usd_per_hour(1.0, tier, point)


def procurement_explorer(on_demand_usd_per_hour=None, tier="reserved", purchase_usd=_H100_PURCHASE_USD,
                         years=float(S30_2.amortization_years),
                         power_w=700, pue=1.3, usd_per_kwh=0.10, ops_overhead=0.15):
    """$/GPU-hour in each procurement tier from an on-demand price, and an owned GPU's amortized cost (§30.2).

    ``on_demand_usd_per_hour`` defaults to the catalog's mid H100 SXM on-demand price.
    """
    od = gpu_usd_per_hour("H100-SXM", "on_demand") if on_demand_usd_per_hour is None else on_demand_usd_per_hour
    tier_names = list(tiers()["tier"]) + ["owned"]
    controls = {
        "on_demand_usd_per_hour": _float("on-demand $/GPU-hour", od, 0.5, 15.0, 0.05),
        "tier": _pick("tier", tier_names, tier),
        "purchase_usd": _float("owned: purchase $", purchase_usd, 5_000, 60_000, 500, ",.0f"),
        "years": _float("owned: years", years, 1.0, 6.0, 0.5, ".1f"),
        "power_w": _int("owned: power (W)", power_w, 100, 1500, 10),
        "pue": _float("owned: PUE", pue, 1.0, 2.5, 0.05),
        "usd_per_kwh": _float("owned: $ per kWh", usd_per_kwh, 0.0, 0.5, 0.01),
        "ops_overhead": _float("owned: operations", ops_overhead, 0.0, 1.0, 0.05),
    }

    def compute(v, ax):
        base = v["on_demand_usd_per_hour"]
        rows = [{"tier": t, **{k: base * _tier_fraction(t, pt) for k, pt in
                               (("usd_per_gpu_hour", "mid"), ("low", "low"), ("high", "high"))}}
                for t in tier_names[:-1]]
        oc = owned_cost(v["purchase_usd"], v["years"], v["power_w"], v["pue"], v["usd_per_kwh"], v["ops_overhead"])
        rows.append({"tier": "owned", "usd_per_gpu_hour": oc.usd_per_gpu_hour, "low": np.nan, "high": np.nan})
        df = pd.DataFrame(rows)
        plots.procurement_bars(df, highlight=v["tier"], ax=ax)
        sel = df.set_index("tier").loc[v["tier"]]
        rng = f" (range ${sel['low']:.2f}-${sel['high']:.2f})" if sel["high"] > sel["low"] else ""
        return "\n".join([
            f"{v['tier'].replace('_', ' ')}: ${sel['usd_per_gpu_hour']:.2f} per GPU-hour{rng}",
            f"owned: capex ${oc.capex_usd_per_hour:.2f} + power ${oc.power_usd_per_hour:.2f} + operations "
            f"${oc.ops_usd_per_hour:.2f} = ${oc.usd_per_gpu_hour:.2f} per GPU-hour",
            f"(${v['purchase_usd']:,.0f} over {v['years']:g} years; {v['power_w']} W × PUE {v['pue']:.2f} at "
            f"${v['usd_per_kwh']:.2f}/kWh; operations {v['ops_overhead']:.0%} on top)",
        ])

    return Explorer("What a GPU-hour costs (§30.2)", controls, compute)


# ---------------------------------------------------------------- 02 throughput and roofline

def throughput_explorer(model=CHAPTER_MODEL, gpu="H100-SXM", weights="bf16", kv="bf16", tp=2, batch=8,
                        context=CONTEXT_TOKENS, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU):
    """Decode step time (memory, compute, TP traffic), tokens/s, bound and memory wall vs batch (§30.3, §30.4).

    Starts at the chapter's 70B bf16 on H100s, on the 2 GPUs it needs to fit at all.
    """
    controls = {**deployment_controls(model, gpu, weights, kv, tp),
                "batch": _int("batch (sequences)", batch, 1, 1024),
                "context": _int("context (tokens)", context, 128, 32_768, 128),
                "mbu": _float("MBU", mbu, 0.05, 1.0, 0.01),
                "mfu": _float("MFU", mfu, 0.05, 1.0, 0.01)}

    def compute(v, ax):
        dep, b, c = _dep(v), v["batch"], v["context"]
        f = fit(dep, context=c, batch=b)
        if f.max_batch < 1:
            raise NotFeasible(f)
        plots.decode_vs_batch(dep, c, batch=b, mbu=v["mbu"], mfu=v["mfu"], ax=ax)
        wall = f"memory wall: {f.max_batch:,} sequences of {c:,} tokens fit ({f.kv_capacity_tokens:,} KV tokens)"
        if not f.fits:
            return f"{f.message}\n{wall}"
        s = decode_step(dep, b, c, v["mbu"], v["mfu"])
        ch = decode_ceiling_tokens_per_s(dep.tp * dep.gpu.hbm_bytes_per_s, f.weight_bytes, b)
        return "\n".join([
            f"step {s.step_time_s * 1e3:.2f} ms = max(memory {s.memory_s * 1e3:.2f} ms, compute "
            f"{s.compute_s * 1e3:.2f} ms) + TP all-reduce {s.comm_s * 1e3:.2f} ms → {s.bound}-bound",
            f"{s.tokens_per_s:,.0f} tokens/s for the replica ({s.tokens_per_s / dep.tp:,.0f} per GPU); "
            f"each sequence gets a token every {s.step_time_s * 1e3:.1f} ms",
            wall,
            f"chapter's formula (§30.3): {dep.tp} × {dep.gpu.hbm_tb_per_s:.2f} TB/s ÷ {f.weight_bytes / 1e9:.1f} GB "
            f"× {b:,} = {ch:,.0f} tokens/s (weights only, 100% of bandwidth)",
        ])

    return Explorer("Decode throughput vs batch (§30.3-§30.4)", controls, compute)


def roofline_explorer(model=CHAPTER_MODEL, gpu="H100-SXM", weights="bf16", kv="bf16", tp=2, batch=8,
                      context=CONTEXT_TOKENS, prompt_tokens=S30_3.prompt_tokens):
    """Where decode and prefill sit on the GPU's roofline, and the batch where decode turns compute-bound (§30.3)."""
    controls = {**deployment_controls(model, gpu, weights, kv, tp),
                "batch": _int("batch (sequences)", batch, 1, 1024),
                "context": _int("context (tokens)", context, 128, 32_768, 128),
                "prompt_tokens": _int("prompt (tokens)", prompt_tokens, 16, 32_768, 16)}

    def compute(v, ax):
        dep, b, c, n = _dep(v), v["batch"], v["context"], v["prompt_tokens"]
        plots.roofline(dep, c, batch=b, prompt_tokens=n, ax=ax)
        peak, bw = dep.tp * dep.gpu.flops_for(dep.weights), dep.tp * dep.gpu.hbm_bytes_per_s
        ridge = peak / bw
        ai = float(arithmetic_intensity(dep, b, c))
        mb = fit(dep, context=c).max_batch
        rb = ridge_batch(dep, c, 1.0, 1.0)
        fits = "" if b <= mb else f" (but only {mb:,} sequences of {c:,} tokens fit: not plotted)"
        if math.isinf(rb):
            turn = "decode never turns compute-bound at this context: its KV reads grow as fast as its FLOPs"
        else:
            turn = f"decode turns compute-bound at batch ≈ {rb:,.0f}" + (
                f", but only {mb:,} sequences fit in memory" if rb > mb else "")
        ai_p = prefill_arithmetic_intensity(dep, n)
        return "\n".join([
            f"ridge point: {peak / 1e12:,.0f} TFLOP/s ÷ {bw / 1e12:.2f} TB/s = {ridge:,.0f} FLOP/byte",
            f"decode at batch {b:,}: {ai:,.1f} FLOP/byte → {'memory' if ai < ridge else 'compute'}-bound{fits}",
            turn,
            f"prefill of a {n:,}-token prompt: {ai_p:,.0f} FLOP/byte → "
            f"{'compute' if ai_p >= ridge else 'memory'}-bound",
        ])

    return Explorer("Roofline (§30.3)", controls, compute)


# ---------------------------------------------------------------- 03 utilization

def utilization_explorer(mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, duty_cycle=0.5, usd_per_gpu_hour=USD_PER_GPU_HOUR, batch=64,
                         api="together-llama-3.3-70b", model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                         kv="bf16", tp=2, context=CONTEXT_TOKENS):
    """MBU, MFU, duty cycle and price → $/M at full load and at the duty cycle, break-even vs an API (§30.4-§30.5).

    The deployment (model, GPU, precisions, TP, context) is set by keyword; the controls are the
    realism factors, the batch, the price and the API compared against.
    """
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": _precision(weights),
              "kv": _precision(kv), "tp": int(tp)}
    ctx = int(context)
    controls = {"mbu": _float("MBU", mbu, 0.05, 1.0, 0.01),
                "mfu": _float("MFU", mfu, 0.05, 1.0, 0.01),
                "duty_cycle": _float("duty cycle", duty_cycle, 0.05, 1.0, 0.01),
                "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
                "batch": _int("batch (sequences)", batch, 1, 512),
                "api": _pick("compare with API", api_ids(), get_api_price(api)["id"])}

    def compute(v, ax):
        dep, b = _dep({}, preset), v["batch"]
        f = fit(dep, context=ctx, batch=b)
        if not f.fits:
            raise NotFeasible(f)
        tps = decode_tokens_per_s(dep, b, ctx, v["mbu"], v["mfu"])
        roof = decode_tokens_per_s(dep, b, ctx, 1.0, 1.0)
        hourly = v["usd_per_gpu_hour"] * dep.tp
        full = usd_per_million_tokens(hourly, tps)
        at_duty = cost_at_utilization(full, v["duty_cycle"])
        a = get_api_price(v["api"])
        plots.cost_vs_utilization(full, v["duty_cycle"], apis=[a["id"]], label=f"batch {b}", ax=ax)
        be = full / a["usd_per_million_output"]
        be_txt = (f"break-even with {a['provider']} {a['model']} (${a['usd_per_million_output']:.2f}/M output) "
                  f"at a {be:.0%} duty cycle" if be <= 1 else
                  f"{a['provider']} {a['model']} (${a['usd_per_million_output']:.2f}/M output) is cheaper even "
                  f"at a 100% duty cycle")
        return "\n".join([
            f"{dep.label}, batch {b:,}, context {ctx:,}: MBU {v['mbu']:.0%}, MFU {v['mfu']:.0%} → "
            f"{tps:,.0f} tokens/s at full load ({tps / roof:.0%} of the 100% roofline)",
            f"${hourly:.2f}/hour → ${full:.2f}/M at full load; at a {v['duty_cycle']:.0%} duty cycle "
            f"${at_duty:.2f}/M",
            be_txt,
        ])

    return Explorer("Utilization: what idle time costs (§30.4-§30.5)", controls, compute)


# ---------------------------------------------------------------- 04 prefill vs decode

def _chapter_30_6_prices() -> tuple[float, float]:
    """The chapter's own §30.6 math ($/M input, $/M output): $2/h; 989 TFLOP/s at 40% MFU over 2 x 70e9 FLOP/token;
    3 TB/s at 70% MBU ÷ 140 GB x batch 128."""
    s = S30_6
    pre = usd_per_million_tokens(s.usd_per_hour, prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, s.mfu))
    dec = usd_per_million_tokens(s.usd_per_hour,
                                 decode_ceiling_tokens_per_s(s.hbm_bytes_per_s * s.mbu, s.model_bytes, s.batch))
    return pre, dec


def prefill_decode_explorer(workload="chat", prompt_tokens=None, output_tokens=None, batch=64,
                            usd_per_gpu_hour=USD_PER_GPU_HOUR, model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                            kv="bf16", tp=2):
    """Prefill vs decode $/M for a request shape, blended cost, and the output/input price ratio vs APIs (§30.6).

    ``workload`` presets (chat, rag, reasoning) set the prompt and output lengths (and lower the
    batch to the most that fits at that length); moving either length switches to "custom".
    """
    names = list(WORKLOADS) + ["custom"]
    wl = workload if workload in names else _pick("workload", names, workload).value
    p_in, p_out = WORKLOADS.get(wl, (1000, 1000))
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": _precision(weights),
              "kv": _precision(kv), "tp": int(tp)}
    if prompt_tokens is not None or output_tokens is not None:
        shape = (prompt_tokens or p_in, output_tokens or p_out)
        wl = next((k for k, s in WORKLOADS.items() if s == shape), "custom")
    controls = {"workload": _pick("workload", names, wl),
                "prompt_tokens": _int("prompt (tokens)", prompt_tokens or p_in, 1, 16_000, 1),
                "output_tokens": _int("output (tokens)", output_tokens or p_out, 1, 16_000, 1),
                "batch": _int("decode batch", batch, 1, 512),
                "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05)}

    def link(ex, name, new):
        c = ex.controls
        if name == "workload" and new in WORKLOADS:
            c["prompt_tokens"].value, c["output_tokens"].value = WORKLOADS[new]
            # a preset should not open on "does not fit": lower the batch to what fits, if needed
            most = fit(_dep({}, preset), context=sum(WORKLOADS[new])).max_batch
            if 1 <= most < c["batch"].value:
                c["batch"].value = most
        elif name in ("prompt_tokens", "output_tokens"):
            shape = (c["prompt_tokens"].value, c["output_tokens"].value)
            c["workload"].value = next((k for k, s in WORKLOADS.items() if s == shape), "custom")

    def compute(v, ax):
        dep = _dep({}, preset)
        wc = workload_cost(dep, v["usd_per_gpu_hour"], v["prompt_tokens"], v["output_tokens"], v["batch"])
        ch_in, ch_out = _chapter_30_6_prices()
        apis = api_prices()
        rows = [{"label": f"ours: {v['workload']}", "usd_per_million_input": wc.usd_per_million_input,
                 "usd_per_million_output": wc.usd_per_million_output, "kind": "self-hosted"},
                {"label": "chapter §30.6 math", "usd_per_million_input": ch_in,
                 "usd_per_million_output": ch_out, "kind": "chapter"}]
        rows += [{"label": r.id, "usd_per_million_input": r.usd_per_million_input,
                  "usd_per_million_output": r.usd_per_million_output, "kind": "api"} for r in apis.itertuples()]
        plots.price_ratio_bars(pd.DataFrame(rows), ax=ax)
        ratio = wc.usd_per_million_output / wc.usd_per_million_input
        api_r = apis["usd_per_million_output"] / apis["usd_per_million_input"]
        return "\n".join([
            f"{v['prompt_tokens']:,} prompt + {v['output_tokens']:,} output tokens per request, decode batch "
            f"{v['batch']:,} on {dep.label}",
            f"prefill ${wc.usd_per_million_input:.3f}/M input tokens; decode ${wc.usd_per_million_output:.3f}/M "
            f"output tokens; blended ${wc.usd_per_million_blended:.3f}/M; "
            f"${wc.usd_per_request * 1000:.3f} per 1,000 requests",
            f"prefill takes {wc.prefill_share:.0%} of the GPU time; output/input cost ratio {ratio:.1f}× "
            f"(chapter's §30.6 math {ch_out / ch_in:.2f}×; API list prices {api_r.min():.1f}-{api_r.max():.1f}×)",
        ])

    return Explorer("Prefill vs decode cost (§30.6)", controls, compute, link=link)


# ---------------------------------------------------------------- 05 self-host vs API

def self_host_explorer(tokens_per_month=1e9, api="together-llama-3.3-70b", input_share=0.5,
                       usd_per_gpu_hour=USD_PER_GPU_HOUR, peak_factor=1.0, headroom=0.0, context=CONTEXT_TOKENS,
                       prompt_tokens=S30_3.prompt_tokens, **dep):
    """Monthly bill: self-hosting in whole replicas vs an API's input/output prices, and the crossover (§30.7).

    Each replica decodes at the largest batch that fits at ``context`` (at most 256) and prefills
    ``prompt_tokens``-token prompts; its tokens/s is the blend of the two for ``input_share``.
    Deployment keywords: model, gpu, weights, kv, tp.
    """
    ctx, n_pre = int(context), int(prompt_tokens)
    controls = {"tokens_per_month": _log("tokens/month", tokens_per_month, 6, 11),
                "api": _pick("API", api_ids(), get_api_price(api)["id"]),
                "input_share": _float("input share", input_share, 0.0, 1.0, 0.05),
                **deployment_controls(**{**DEFAULT_DEPLOYMENT, **dep}),
                "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
                "peak_factor": _float("peak ÷ average", peak_factor, 1.0, 10.0, 0.1, ".1f"),
                "headroom": _float("headroom", headroom, 0.0, 1.0, 0.05)}

    def compute(v, ax):
        d = _dep(v)
        f = fit(d, context=ctx)
        if f.max_batch < 1:
            raise NotFeasible(f)
        b = min(f.max_batch, BATCH_CAP)
        dec = decode_tokens_per_s(d, b, ctx)
        pre = prefill_tokens_per_s(d, n_pre)
        s, t, p = v["input_share"], v["tokens_per_month"], v["usd_per_gpu_hour"]
        eff = 1.0 / (s / pre + (1 - s) / dec)  # tokens/s of a replica serving this input/output mix
        a = get_api_price(v["api"])
        blended = s * a["usd_per_million_input"] + (1 - s) * a["usd_per_million_output"]
        api_bill = api_monthly_usd(t, a["usd_per_million_input"], a["usd_per_million_output"], s)
        n = replicas_needed(t, eff, v["peak_factor"], v["headroom"])
        own = self_host_monthly_usd(t, eff, p, d.tp, v["peak_factor"], v["headroom"])
        xc = step_crossover_tokens_per_month(blended, eff, p, d.tp, v["peak_factor"], v["headroom"])
        lo, hi = min(1e7, 10 ** math.floor(math.log10(t / 3))), max(1e10, 10 ** math.ceil(math.log10(t * 3)))
        plots.monthly_cost((lo, hi), eff, p, d.tp, apis=[a["id"]], input_share=s,
                           peak_factor=v["peak_factor"], headroom=v["headroom"], current=t, ax=ax)
        cheaper = "the API" if api_bill < own else "self-hosting"
        z_lo, z_hi = S30_7.claimed_crossover_tokens_per_month
        cross = (f"crossover ≈ {_count(xc)} tokens/month (chapter §30.7 claims {_count(z_lo)}-{_count(z_hi)})"
                 if math.isfinite(xc)
                 else "no crossover: a full replica's tokens cost less at the API than the replica itself")
        cap = eff * HOURS_PER_MONTH * 3600 / (v["peak_factor"] * (1 + v["headroom"]))
        return "\n".join([
            f"{_count(t)} tokens/month ({s:.0%} input): API {a['provider']} {a['model']} ${api_bill:,.0f}/month",
            f"self-host {d.label}: {n:,} replica{'s' if n > 1 else ''} × {d.tp} GPU{'s' if d.tp > 1 else ''} × "
            f"${p:.2f}/h × {HOURS_PER_MONTH} h = ${own:,.0f}/month → {cheaper} is cheaper by "
            f"${abs(api_bill - own):,.0f}/month",
            cross,
            f"one replica: {eff:,.0f} tokens/s for this mix (decode {dec:,.0f} at batch {b}, prefill {pre:,.0f}) "
            f"= {_count(cap)} tokens/month at peak ÷ average {v['peak_factor']:g}, headroom {v['headroom']:.0%}",
        ])

    return Explorer("Self-host or API? (§30.7)", controls, compute)


# ---------------------------------------------------------------- 06 hardware

@functools.lru_cache(maxsize=16)
def _tier_prices(tier: str) -> tuple:
    """((gpu id, $/GPU-hour), ...) for every catalog GPU priced in ``tier``; looked up once per tier (§30.8)."""
    out = []
    for gid in gpu_ids():
        try:
            out.append((gid, gpu_usd_per_hour(gid, tier)))
        except ValueError:  # no price in this tier: compare_hardware says so in its row
            pass
    return tuple(out)


def _table_html(columns, rows) -> str:
    """A small table (column names, rows of values) as HTML: floats to 2 decimals, missing as —; cheaper than
    DataFrame.to_html."""
    def cell(x):
        if x is None or (isinstance(x, float) and x != x):
            return "—"
        if isinstance(x, float):
            return f"{x:,.2f}"
        return html.escape(f"{x:,}" if isinstance(x, int) else str(x))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(x)}</td>" for x in row) + "</tr>" for row in rows)
    return f'<table class="dataframe"><thead><tr style="text-align: right;">{head}</tr></thead><tbody>{body}</tbody></table>'


def hardware_explorer(model=CHAPTER_MODEL, weights="bf16", kv="bf16", context=CONTEXT_TOKENS, tier="on_demand"):
    """Every catalog GPU at the smallest TP that fits: tokens/s per GPU and $/M, with the §30.8 table marked (§30.8)."""
    controls = {"model": _pick("model", model_ids(), get_model(model).id),
                "weights": _pick("weights", list(PRECISIONS), _precision(weights)),
                "kv": _pick("KV cache", list(PRECISIONS), _precision(kv)),
                "context": _int("context (tokens)", context, 128, 32_768, 128),
                "tier": _pick("price tier", list(tiers()["tier"]) + ["owned"], tier)}

    def compute(v, ax):
        df = compare_hardware(v["model"], v["weights"], v["kv"], context=v["context"], tier=v["tier"],
                              usd_per_gpu_hour=dict(_tier_prices(v["tier"])) or None)
        plots.hardware_bars(df, mark=v["model"] == CHAPTER_MODEL, ax=ax)
        rows = df.to_dict("records")  # plain dicts: a redraw reads them several times
        lines = []
        for r in rows:
            if not r["feasible"]:
                lines.append(f"{r['gpu']}: does not fit ({r['note']})")
            elif r["usd_per_million"] != r["usd_per_million"]:
                lines.append(f"{r['gpu']}: TP={int(r['min_tp'])}, batch {r['batch']:,}, "
                             f"{r['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU; no {v['tier']} price")
            else:
                lines.append(f"{r['gpu']}: TP={int(r['min_tp'])}, batch {r['batch']:,}, "
                             f"{r['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU, ${r['usd_per_million']:.2f}/M at "
                             f"${r['usd_per_gpu_hour']:.2f}/GPU-hour")
        priced = [r for r in rows if r["feasible"] and r["usd_per_million"] == r["usd_per_million"]]
        if priced:
            best = min(priced, key=lambda r: r["usd_per_million"])  # the first of equals, as idxmin
            head = (f"cheapest per token: {best['gpu']} at ${best['usd_per_million']:.2f}/M "
                    f"(TP={int(best['min_tp'])}, batch {int(best['batch']):,}, {v['tier']} prices)")
        else:
            head = "no GPU in the catalog both fits this model and has a price in this tier"
        cols = ["gpu", "hbm_gb", "usd_per_gpu_hour", "min_tp", "batch", "tokens_per_s_per_gpu",
                "usd_per_million", "note"]
        table = _table_html(cols, [[r[c] for c in cols] for r in rows])
        return "\n".join([head] + lines), _html(head, True) + table

    return Explorer("Comparing GPUs (§30.8)", controls, compute)


# ---------------------------------------------------------------- 07 latency

def latency_explorer(tpot_target_ms=P4.tpot_targets_s[0] * 1e3, context=CONTEXT_TOKENS,
                     usd_per_gpu_hour=USD_PER_GPU_HOUR, **dep):
    """Cost vs time per output token over batch sizes, and the largest batch under a TPOT target (§30.9).

    The default target is the 200 ms of the chapter's practice problem 4. Deployment keywords:
    model, gpu, weights, kv, tp.
    """
    controls = {**deployment_controls(**{**DEFAULT_DEPLOYMENT, **dep}),
                "context": _int("context (tokens)", context, 128, 32_768, 128),
                "tpot_target_ms": _float("TPOT target (ms)", tpot_target_ms, 5.0, 500.0, 1.0, ".0f"),
                "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05)}

    def compute(v, ax):
        d, c, p = _dep(v), v["context"], v["usd_per_gpu_hour"]
        tgt = v["tpot_target_ms"] / 1e3
        f = fit(d, context=c)
        if f.max_batch < 1:
            raise NotFeasible(f)
        best = largest_batch_under_tpot(d, tgt, c)
        batches = np.union1d(default_batches(f.max_batch), [best] if best else [])
        plots.latency_frontier(sweep_batch(d, p, c, batches), tgt, ax=ax)
        if best == 0:
            t1 = decode_step(d, 1, c).step_time_s
            return (f"no batch meets TPOT ≤ {tgt * 1e3:g} ms on {d.label}: even batch 1 takes "
                    f"{t1 * 1e3:.1f} ms per token")
        s = decode_step(d, best, c)
        limit = (f"memory: the KV cache holds {f.max_batch:,} sequences of {c:,} tokens"
                 if best == f.max_batch else "latency: one more sequence breaks the target")
        usd = usd_per_million_tokens(p * d.tp, s.tokens_per_s)
        return "\n".join([
            f"largest batch with TPOT ≤ {tgt * 1e3:g} ms: {best:,} (limited by {limit})",
            f"at batch {best:,}: TPOT {s.step_time_s * 1e3:.1f} ms ({1 / s.step_time_s:.0f} tokens/s per user), "
            f"{s.tokens_per_s:,.0f} tokens/s per replica, ${usd:.2f}/M at ${p:.2f}/GPU-hour",
            f"{d.label}, context {c:,}, mid-range MBU/MFU",
        ])

    return Explorer("Latency vs cost (§30.9)", controls, compute)


# ---------------------------------------------------------------- 08 capacity planning

_GIVEN, _DERIVE = "given", "derive from deployment"
_CHAPTER_30_10 = {k: S30_10[k] for k in ("users", "sessions_per_day", "tokens_per_session")}


def capacity_explorer(users=float(S30_10.users), sessions_per_day=float(S30_10.sessions_per_day),
                      tokens_per_session=S30_10.tokens_per_session, throughput=_GIVEN,
                      tokens_per_s_per_gpu=int(S30_10.tokens_per_s_per_gpu), peak_factor=S30_10.peak_factor,
                      headroom=S30_10.headroom, usd_per_gpu_hour=S30_10.usd_per_hour,
                      gpus_per_replica=1, prompt_tokens_per_session=0,
                      prefill_tokens_per_s_per_gpu=int(S30_3.claimed_practical_prefill_tokens_per_s),
                      batch=64, context=CONTEXT_TOKENS, **dep):
    """The §30.10 rubric, step by step: users → tokens → peak tokens/s → GPUs → $/month and $/M (§30.10).

    Per-GPU throughput is either given (the chapter's 1000 tokens/s) or derived from a deployment
    (deployment keywords: model, gpu, weights, kv, tp) at ``batch`` and ``context``.
    """
    dep_controls = {**deployment_controls(**{**DEFAULT_DEPLOYMENT, **dep}),
                    "batch": _int("batch (sequences)", batch, 1, 512),
                    "context": _int("context (tokens)", context, 128, 32_768, 128)}
    given_controls = {"tokens_per_s_per_gpu": _int("tokens/s per GPU", tokens_per_s_per_gpu, 50, 20_000, 50),
                      "gpus_per_replica": _pick("GPUs per replica", TP_OPTIONS, int(gpus_per_replica)),
                      "prefill_tokens_per_s_per_gpu": _int("prefill tokens/s per GPU",
                                                           prefill_tokens_per_s_per_gpu, 100, 100_000, 100)}
    controls = {"users": _log("users", users, 2, 9),
                "sessions_per_day": _float("sessions per user-day", sessions_per_day, 0.1, 50.0, 0.1, ".1f"),
                "tokens_per_session": _int("output tokens/session", tokens_per_session, 10, 20_000, 10),
                "prompt_tokens_per_session": _int("prompt tokens/session", prompt_tokens_per_session, 0,
                                                  20_000, 50),
                "peak_factor": _float("peak ÷ average", peak_factor, 1.0, 10.0, 0.1, ".1f"),
                "headroom": _float("headroom", headroom, 0.0, 1.0, 0.05),
                "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
                "throughput": _pick("per-GPU throughput", [_GIVEN, _DERIVE], throughput),
                **given_controls, **dep_controls}

    def show(ex):
        derive = ex.controls["throughput"].value == _DERIVE
        for k in dep_controls:
            ex.controls[k].layout.display = None if derive else "none"
        for k in given_controls:
            ex.controls[k].layout.display = "none" if derive else None

    def link(ex, name, new):
        if name == "throughput":
            show(ex)

    def compute(v, ax):
        pt = v["prompt_tokens_per_session"]
        if v["throughput"] == _DERIVE:
            d = _dep(v)
            f = fit(d, context=v["context"], batch=v["batch"])
            if not f.fits:
                raise NotFeasible(f)
            tps = decode_tokens_per_s(d, v["batch"], v["context"]) / d.tp
            pre = prefill_tokens_per_s(d, max(1, pt)) / d.tp
            g, src = d.tp, f"{d.label} at batch {v['batch']:,}, context {v['context']:,}: {tps:,.0f} tokens/s per GPU"
        else:
            tps, pre, g = v["tokens_per_s_per_gpu"], v["prefill_tokens_per_s_per_gpu"], v["gpus_per_replica"]
            src = f"given: {tps:,} tokens/s per GPU"
        plan = capacity_plan(v["users"], v["sessions_per_day"], v["tokens_per_session"], tps, v["peak_factor"],
                             v["headroom"], v["usd_per_gpu_hour"], g, pt, pre if pt > 0 else None)
        chapter = all(math.isclose(v[k], x) for k, x in _CHAPTER_30_10.items())
        plots.capacity_waterfall(plan, v["headroom"], ax=ax,
                                 reference=(S30_10.claimed_gpus, f"chapter §30.10: ~{S30_10.claimed_gpus:,} H100s")
                                 if chapter else None)
        lines = [f"{i}. {r.step}: {r.formula} = {r.display}" for i, r in enumerate(plan.steps.itertuples(), 1)]
        lines.append(f"→ {plan.gpus:,} GPUs, ${plan.monthly_usd:,.0f}/month, "
                     f"${plan.usd_per_million_tokens:.2f} per million output tokens ({src})")
        if chapter:
            lines.append(f"chapter §30.10 for the same users: ~{S30_10.claimed_gpus:,} H100s, "
                         f"~${S30_10.claimed_monthly_usd / 1e3:,.0f}k/month, ~${S30_10.claimed_usd_per_million:.2f}/M")
        table = plan.steps[["step", "formula", "display"]].to_html(index=False, border=0)
        return "\n".join(lines), _html(lines[-2] if chapter else lines[-1], True) + table

    ex = Explorer("Capacity planning rubric (§30.10)", controls, compute, link=link)
    show(ex)
    return ex


# ---------------------------------------------------------------- 09 checking the chapter

_ALL = "all"
_VERDICT_COLOURS = {"correct": plots.GREEN, "rounded": plots.SKY, "inconsistent": plots.ORANGE,
                    "wrong": plots.VERMILLION, "physically impossible": plots.PURPLE}


def _claims_filtered(section, verdict):
    """The claims table of one section and/or one verdict ("all" keeps every row) (§30.1-§30.11)."""
    from costlib.teaching import chapter

    df = chapter.claims()
    if section != _ALL:
        df = df[df["section"] == section]
    if verdict != _ALL:
        df = df[df["verdict"] == verdict]
    return df.reset_index(drop=True)


def _claim_options(df) -> list:
    opts = [(f"{r.section} · {r.claim}"[:95], r.id) for r in df.itertuples()]
    return opts or [("(no claim matches)", "")]


def _ratio_label(x, _pos=None) -> str:
    """Tick label for a ratio axis: 0.5×, 1×, 20×, 1e+06×."""
    return f"{x:g}×" if 0.01 <= x < 1000 else f"{x:.0e}×"


def _claims_dotplot(df, selected, ax):
    """Chapter value ÷ recomputed value per claim (log x), coloured by verdict, the picked claim starred."""
    from matplotlib import ticker

    from costlib.teaching import chapter

    rec = df["recomputed_value"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = df["chapter_value"].to_numpy(float) / rec
        r_lo = df["chapter_low"].to_numpy(float) / rec
        r_hi = df["chapter_high"].to_numpy(float) / rec
    ok = np.isfinite(ratio) & np.isfinite(r_lo) & np.isfinite(r_hi) & (r_lo > 0) & (ratio > 0)
    if not ok.any():
        return plots.message_axes("nothing to draw: every claim shown has a recomputed value of 0 "
                                  "(a batch that does not fit at all)", ax=ax)
    n = len(df)
    y = np.arange(n)[::-1].astype(float)
    for tol, col, alpha in ((chapter.REL_TOL_ROUNDED, plots.SKY, 0.15), (chapter.REL_TOL_CORRECT, plots.GREEN, 0.3)):
        ax.axvspan(1 - tol, 1 + tol, color=col, alpha=alpha, lw=0)
    ax.axvline(1, color=plots.GREY, lw=1)
    verdicts = df["verdict"].to_numpy()
    for name, col in _VERDICT_COLOURS.items():
        m = ok & (verdicts == name)
        if not m.any():
            continue
        rng = m & (r_hi > r_lo)
        if rng.any():  # a range claim: a bar from its low end to its high end
            ax.hlines(y[rng], r_lo[rng], r_hi[rng], color=col, lw=2.5, alpha=0.6, zorder=3)
        ax.plot(ratio[m], y[m], marker="o", ms=5, color=col, ls="none", zorder=4, label=name)
    pick = np.flatnonzero((df["id"] == selected).to_numpy() & ok)
    if len(pick):
        i = pick[0]
        ax.plot([ratio[i]], [y[i]], marker="*", ms=16, color=plots.BLACK, mec="white", mew=0.8, ls="none",
                zorder=6)
        ax.annotate(df["id"].iat[i], (ratio[i], y[i]), xytext=(10, -4 if y[i] < n - 2 else -12),
                    textcoords="offset points", fontsize=8, zorder=7, va="center" if y[i] < n - 2 else "top",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xscale("log")
    ax.set_xlim(min(0.5, float(np.min(r_lo[ok])) / 1.6), max(2.0, float(np.max(r_hi[ok])) * 1.6))
    ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0,), numticks=9)
                               if ax.get_xlim()[1] / ax.get_xlim()[0] > 200 else
                               ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(_ratio_label))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_ylim(-1, n)
    if n <= 32:
        ax.set_yticks(y, list(df["id"]), fontsize=6.5)
    else:
        ax.set_yticks([])
    ax.grid(False, axis="y")
    if (~ok).any():
        gone = df["id"][~ok].tolist()
        plots._note(ax, f"not drawn: {', '.join(gone[:2])}{' …' if len(gone) > 2 else ''} "
                        "(recomputed value 0: nothing fits)", loc="lower right")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=5, fontsize=7, frameon=False,
              handletextpad=0.2, columnspacing=1.0)
    ax.set_xlabel("chapter ÷ recomputed (log scale; bands: ±2%, ±10%; bars: ranges)")
    ax.set_ylabel("claim, in chapter order")
    ax.set_title(f"How far the chapter is off, claim by claim ({n} shown)", pad=20)
    return ax


def claims_explorer(section=_ALL, verdict=_ALL, claim=None):
    """The chapter's numeric claims filtered by section and verdict; pick one to see the numbers and why (§30.1-§30.11).

    The figure puts chapter value ÷ recomputed value of the filtered claims on a log scale; the
    text gives the picked claim's chapter and recomputed values, verdict and reason, and below it
    the filtered table. ``section`` accepts "30.8", "§30.8" or "CQ4".
    """
    from costlib.teaching import chapter

    table = chapter.claims()
    sec = section.strip() if isinstance(section, str) else section
    if isinstance(sec, str) and sec != _ALL and not sec.startswith(("§", "CQ")):
        sec = f"§{sec}"
    sec_ctl = _pick("section", [_ALL] + list(dict.fromkeys(table["section"])), sec)
    ver_ctl = _pick("verdict", [_ALL] + list(chapter.VERDICTS), verdict)
    df0 = _claims_filtered(sec_ctl.value, ver_ctl.value)
    if claim is not None:
        chapter.claim(claim)  # an unknown id raises a ValueError naming the closest ids
        if claim not in set(df0["id"]):
            raise ValueError(f"claim {claim!r} is not in section={section!r} with verdict={verdict!r}; "
                             "widen the filter or pick another claim")
    opts = _claim_options(df0)
    claim_ctl = w.Dropdown(options=opts, value=claim if claim is not None else opts[0][1], description="claim",
                           style={"description_width": "150px"}, layout=w.Layout(width="760px"))
    controls = {"section": sec_ctl, "verdict": ver_ctl, "claim": claim_ctl}
    state = {"explorer": None}

    def sync(picked, df) -> str:
        """Make the claim list match the filter (without recomputing again); return the claim to show."""
        new = _claim_options(df)
        ids = [o[1] for o in new]
        pick = picked if picked in ids else ids[0]
        if [tuple(o) for o in claim_ctl.options] != new or claim_ctl.value != pick:
            ex = state["explorer"]
            was = ex._held if ex is not None else False
            if ex is not None:
                ex._held = True
            try:
                claim_ctl.options = new
                claim_ctl.value = pick
            finally:
                if ex is not None:
                    ex._held = was
        return pick

    def compute(v, ax):
        df = _claims_filtered(v["section"], v["verdict"])
        pick = sync(v["claim"], df)
        parts = ([f"in section {v['section']}"] if v["section"] != _ALL else []) + \
                ([f"with verdict '{v['verdict']}'"] if v["verdict"] != _ALL else [])
        where = " ".join(parts) or "in the whole chapter"
        if df.empty:
            plots.message_axes(f"no claim {where}", ax=ax)
            return f"no claim {where}: choose another section or verdict"
        counts = df["verdict"].value_counts()
        tally = ", ".join(f"{k} {int(counts[k])}" for k in chapter.VERDICTS if k in counts)
        r = df[df["id"] == pick].iloc[0]
        _claims_dotplot(df, pick, ax)
        rel = chapter.relative_error(r["chapter_value"], r["recomputed_value"])
        ratio = r["chapter_value"] / r["recomputed_value"] if r["recomputed_value"] else math.inf
        if not math.isfinite(rel):
            off = "recomputed value is 0"
        elif 0.1 <= ratio <= 10:
            off = f"chapter off by {rel:.1%}"
        else:
            off = f"chapter = {ratio:,.3g} × recomputed"
        lines = [
            f"{len(df)} claim{'s' if len(df) != 1 else ''} {where}: {tally}",
            f"{r['section']} · {r['claim']} [{r['id']}]",
            f"chapter: {chapter._fmt_chapter(r)} {r['unit']} · recomputed: "
            f"{chapter._fmt_number(r['recomputed_value'])} {r['unit']} ({off}) → {r['verdict']} "
            f"(rule: {r['rule']})",
            f"why: {r['why']}",
        ]
        view = df.assign(chapter=[chapter._fmt_chapter(x) for _, x in df.iterrows()],
                         recomputed=[chapter._fmt_number(x) for x in df["recomputed_value"]])
        cols = ["id", "section", "claim", "chapter", "recomputed", "unit", "verdict"]
        table_html = view[cols].to_html(index=False, border=0)
        return "\n".join(lines), (_html("\n".join(lines), True)
                                  + f'<div style="max-height:280px;overflow-y:auto;font-size:12px">{table_html}</div>')

    ex = Explorer("Checking the chapter: every numeric claim (§30.1-§30.11)", controls, compute, figsize=(7.5, 5.0))
    state["explorer"] = ex
    return ex


# ---------------------------------------------------------------- 10 cheat sheet

_SMALLEST = "smallest that fits"


def cheatsheet_explorer(model=CHAPTER_MODEL, gpu="H100-SXM", weights="bf16", kv="bf16", tp=_SMALLEST,
                        context=CONTEXT_TOKENS, usd_per_gpu_hour=USD_PER_GPU_HOUR):
    """The cheat sheet recomputed for any model, GPU and precision: weights, KV/token, TP, ceilings, $/M (§30.11).

    ``tp`` is a number of GPUs per replica or "smallest that fits" (weights plus one
    ``context``-token sequence). Throughput and price are given only for a replica that fits: the
    batch is the largest that fits (at most 256), at mid-range MBU/MFU.
    """
    from costlib.physics.memory import kv_bytes_per_token, min_tp, usable_bytes, weight_bytes

    controls = {
        "model": _pick("model", model_ids(), get_model(model).id),
        "gpu": _pick("GPU", gpu_ids(), get_gpu(gpu).id),
        "weights": _pick("weights", list(PRECISIONS), _precision(weights)),
        "kv": _pick("KV cache", list(PRECISIONS), _precision(kv)),
        "tp": _pick("GPUs per replica (TP)", [_SMALLEST] + list(TP_OPTIONS),
                    tp if tp == _SMALLEST else int(tp)),
        "context": _int("context (tokens)", context, 128, 32_768, 128),
        "usd_per_gpu_hour": _float("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
    }

    def compute(v, ax):
        m, g, ctx, p = get_model(v["model"]), get_gpu(v["gpu"]), v["context"], v["usd_per_gpu_hour"]
        wt, kv_p = v["weights"], v["kv"]
        if ctx > m.max_context:
            raise ValueError(f"context must be at most {m.max_context:,} tokens for {m.id}, got {ctx:,}")
        wb, kvb = weight_bytes(m, wt), kv_bytes_per_token(m, kv_p)
        flops = g.flops_for(wt)
        smallest = min_tp(m, g, wt, kv_p, ctx)
        moe = f", {m.n_active_params / 1e9:.1f}B active per token" if m.is_moe else ""
        lines = [
            f"weights: {m.n_params / 1e9:.2f}B parameters × {wb / m.n_params:g} B ({wt}) = {wb / 1e9:,.1f} GB{moe}",
            f"KV cache: 2 × {m.n_layers} layers × {m.n_kv_heads} KV heads × {m.head_dim} dims × "
            f"{kvb / (2 * m.n_layers * m.n_kv_heads * m.head_dim):g} B ({kv_p}) = {kvb:,.0f} B/token "
            f"({kvb / 1024:,.0f} KiB); one {ctx:,}-token sequence {kvb * ctx / 1e9:,.2f} GB",
            f"{g.id}: {g.hbm_gb:g} GB HBM ({usable_bytes(g) / 1e9:,.1f} GB usable), {g.hbm_tb_per_s:g} TB/s, "
            f"{flops / 1e12:,.0f} dense TFLOP/s for {wt} matmuls",
            (f"smallest TP holding the weights + one {ctx:,}-token sequence: TP={smallest}" if smallest else
             f"no TP up to 8 holds the weights + one {ctx:,}-token sequence on {g.id} GPUs"),
        ]
        tp = int(v["tp"]) if v["tp"] != _SMALLEST else (smallest or max(TP_OPTIONS))
        dep = deployment(m.id, g.id, tp, wt, kv_p)
        f = fit(dep, context=ctx)
        if not f.fits:
            plots.memory_use(dep, ctx, 1, ax=ax)
            lines += [f.message, "no throughput and no price: this replica cannot hold the model (physics first)"]
            return "\n".join(lines)
        b = min(f.max_batch, BATCH_CAP)
        plots.memory_use(dep, ctx, b, ax=ax)
        ceil1 = decode_ceiling_tokens_per_s(tp * g.hbm_bytes_per_s, wb, 1)
        one, big = decode_step(dep, 1, ctx), decode_step(dep, b, ctx)
        pre = prefill_ceiling_tokens_per_s(tp * flops, m.n_active_params)
        hourly = p * tp
        lines += [
            f"{dep.label}: room for {f.max_batch:,} sequences of {ctx:,} tokens",
            f"decode ceiling at batch 1 (chapter's formula): {tp} × {g.hbm_tb_per_s:g} TB/s ÷ {wb / 1e9:,.1f} GB = "
            f"{ceil1:,.1f} tokens/s; costlib's roofline at mid MBU: {one.tokens_per_s:,.1f} tokens/s "
            f"(TPOT {one.step_time_s * 1e3:,.1f} ms)"
            + (" (an MoE step reads only the experts it routes to)" if m.is_moe else ""),
            f"prefill ceiling: {tp} × {flops / 1e12:,.0f} TFLOP/s ÷ (2 × {m.n_active_params / 1e9:.2f}B) = "
            f"{pre:,.0f} tokens/s at 100% MFU, {pre * DEFAULT_MFU:,.0f} at {DEFAULT_MFU:.0%}",
            f"batch {b:,} (largest that fits, at most {BATCH_CAP}): {big.tokens_per_s:,.0f} tokens/s "
            f"({big.bound}-bound) → ${hourly:,.2f}/hour ÷ {big.tokens_per_s * 3600 / 1e6:,.2f}M tokens/hour "
            f"= ${usd_per_million_tokens(hourly, big.tokens_per_s):,.2f}/M "
            f"(at batch 1: ${usd_per_million_tokens(hourly, one.tokens_per_s):,.2f}/M)",
        ]
        return "\n".join(lines)

    return Explorer("Cheat sheet: the numbers to remember (§30.11)", controls, compute)


#: Every builder by name, in notebook order (handy for smoke tests and benchmarks).
EXPLORERS = {f.__name__: f for f in (tour, cost_explorer, procurement_explorer, throughput_explorer,
                                      roofline_explorer, utilization_explorer, prefill_decode_explorer,
                                      self_host_explorer, hardware_explorer, latency_explorer,
                                      capacity_explorer, claims_explorer, cheatsheet_explorer)}


# ---------------------------------------------------------------- 11 how wrong is the roofline?

_STANDARD_SHAPES = ((128, 128), (128, 2048), (128, 4096), (500, 2000), (1000, 1000), (2048, 128),
                    (2048, 2048), (5000, 500), (20000, 2000))


def validation_explorer(model="llama-3.1-70b", gpu="H100-SXM", weights="fp8", kv="fp8", tp=2,
                        input_len=1000, output_len=1000):
    """Ceiling, band and mid for any deployment and request shape, next to the published runs (§30.4).

    The standard TensorRT-LLM shapes plus the reader's own are predicted on the one engine with the
    calibrated profile (:func:`costlib.estimate.predict.predict`, what ``validate`` uses); where the
    bundled data has a run of the same deployment, it is marked.
    """
    from costlib.catalog.tables import measured
    from costlib.estimate.predict import predict
    from costlib.estimate.profiles import get_profile

    controls = {
        **deployment_controls(model, gpu, weights, kv, tp),
        "input_len": _int("input tokens", input_len, 16, 32_768, 16),
        "output_len": _int("output tokens", output_len, 16, 8_192, 16),
    }
    data = measured()
    prof = get_profile("calibrated")

    def band(dep_, i, o):
        e = predict(dep_, i, o, profile=prof)
        if not e.fits:
            raise NotFeasible(SimpleNamespace(message=e.message))
        return e.output_tokens_per_s

    @functools.lru_cache(maxsize=64)
    def standard(dep_):
        """Predictions and published runs at the standard shapes: they change only with the deployment."""
        preds, labels = [], []
        for i, o in _STANDARD_SHAPES:
            if i + o > dep_.model.max_context:
                continue
            e = predict(dep_, i, o, profile=prof)
            if e.fits:  # a standard shape beyond this deployment's memory is left out
                preds.append(e.output_tokens_per_s)
                labels.append(f"{i}/{o}")
        sel = data[(data["gpu"] == dep_.gpu.id) & (data["model"] == dep_.model.id) & (data["tp"] == dep_.tp)
                   & (data["weight_dtype"] == dep_.weights.name) & (data["kv_dtype"] == dep_.kv.name)]
        pub = {f"{r.input_len}/{r.output_len}": r.output_tokens_per_s for r in sel.itertuples()}
        return tuple(preds), tuple(labels), pub

    def compute(v, ax):
        d = _dep(v)
        mine = (int(v["input_len"]), int(v["output_len"]))
        mine_label = f"{mine[0]}/{mine[1]}"
        p = band(d, *mine)
        preds, labels, pub = standard(d)
        meas = [pub.get(lab, float("nan")) for lab in labels]
        # the reader's shape always takes the last slot, labelled "yours" (its numbers are in the
        # title), so moving a slider changes the points, not the axis
        plots.shape_band([*labels, "yours"], [*preds, p], [*meas, pub.get(mine_label, float("nan"))],
                         highlight=len(labels), ax=ax)
        ax.set_title(f"{d.model.id} {d.weights.name} on {d.tp}x{d.gpu.id}; yours: "
                     f"{mine[0]:,} in / {mine[1]:,} out")
        e = prof.mid
        lines = [f"{mine[0]:,} in / {mine[1]:,} out per request: ceiling {p.ceiling:,.0f} tokens/s; "
                 f"expected {p.low:,.0f} to {p.high:,.0f} (mid {p.mid:,.0f}) — "
                 f"mid is {p.mid / p.ceiling:.0%} of the ceiling",
                 f"calibrated profile: MBU {e.mbu:.2f}, MFU {e.mfu:.2f}, link efficiency {e.link_efficiency:.2f}, "
                 f"band ×{prof.band_low:.2f}–×{prof.band_high:.2f}"]
        if pub:
            runs = [(m, preds[i]) for i, m in enumerate(meas) if m == m]
            inside = sum(1 for m, q in runs if q.low <= m <= q.high)
            above = sum(1 for m, q in runs if m > q.ceiling)
            lines.append(f"{len(runs)} published runs of this deployment (×): {inside} inside the band, "
                         + ("all under the ceiling" if not above else
                            f"{above} ABOVE the ceiling (the physics would be wrong: please report)"))
        else:
            lines.append("no published run of this exact deployment in the bundled data")
        return "\n".join(lines)

    return Explorer("How wrong is the roofline? Ceiling, band and published runs (§30.4)", controls, compute)


EXPLORERS["validation_explorer"] = validation_explorer
__all__ += ["validation_explorer"]
