"""The painter encodes a PNG only when the pixels changed (costlib/ui/widgets/painter.py)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from costlib.ui import widgets  # noqa: E402
from costlib.ui.widgets import painter  # noqa: E402


def test_a_change_that_moves_no_pixel_sends_the_same_png_without_encoding(monkeypatch):
    ex = widgets.EXPLORERS["tour"](tp=2)  # two GPUs fit, so the price changes the text, not the memory chart
    encoded = []
    real = painter.encode_png
    monkeypatch.setattr(painter, "encode_png", lambda canvas: encoded.append(1) or real(canvas))
    png, text = ex.image.value, ex.message
    ex.controls["usd_per_gpu_hour"].value = 3.0
    assert ex.message != text  # the price is in the text ...
    assert encoded == [] and ex.image.value == png  # ... and in no pixel: the last PNG is sent again
    ex.controls["weights"].value = "fp8"  # half the weight bytes: the chart changes
    assert encoded == [1] and ex.image.value != png


def _pixels(fig):
    import numpy as np

    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=50)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _plain(ax):
    ax.plot([1, 2, 3], [2, 1, 3])  # the first colour of the cycle; autoscaled limits
    ax.plot([1, 3], [1, 1])  # the second
    ax.set_xlabel("x")


def test_emptied_axes_paint_as_fresh_axes():
    """empty_axes undoes what a plot leaves behind (artists, legend, bars, titles, labels, log scale, fixed
    ticks and formatter, fixed limits, margins, colour cycle, grid, axis off): the next plot is pixel for
    pixel what it is on new axes."""
    from matplotlib.ticker import FuncFormatter

    fresh_fig, fresh = _figure()
    _plain(fresh)
    used_fig, used = _figure()
    used.bar(["a", "b"], [3, 4], label="bars")
    used.plot([1, 10, 100], [1, 5, 2])
    used.annotate("note", (10, 5))
    used.fill_between([1, 100], [0, 1], [1, 2])
    used.legend()
    used.set_title("a title", loc="left", fontsize=20, pad=20)
    used.set_title("centre")
    used.set_ylabel("y")
    used.set_xscale("log")
    used.set_yticks([0, 2.5, 5])
    used.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:.0f}"))
    used.set_xlim(1, 1000)
    used.margins(y=0.3)
    used.grid(True)
    used.set_axis_off()
    _pixels(used_fig)  # drawn once, so its ticks exist
    painter.empty_axes(used)
    _plain(used)
    assert (_pixels(used_fig) == _pixels(fresh_fig)).all()
