"""The workbook's figures in one style: Okabe-Ito colours, units on every axis, the chapter's points marked (§30.1-§30.10).

Every function takes an optional ``ax`` and returns the matplotlib Axes it drew on. Nothing here
plots NaN or inf: points that do not fit in memory are dropped and the axes say so ("does not
fit"); when nothing at all is plottable the axes show a centred message instead of an empty plot.
Marks labelled "chapter §30.x: ..." are the chapter's own inputs run through costlib, so the reader
can compare the chapter's figure with the corrected one.

Modules: ``style`` (colours, the .mplstyle), ``axes`` (what every figure shares), ``costs``,
``serving``, ``bars`` and ``evidence`` (the figures, by topic).
"""
from costlib.common.lazy import lazy_exports

# the style module is light and its function ``style`` shares the module's name: import it now, so
# ``plots.style`` is always the function, never the submodule
from costlib.ui.plots.style import (
    BLACK,
    BLUE,
    CHAPTER,
    GREEN,
    GREY,
    INFEASIBLE,
    OKABE_ITO,
    ORANGE,
    PALETTE,
    PURPLE,
    SKY,
    STYLE,
    STYLE_FILE,
    VERMILLION,
    style,
)

# module -> the names it gives to ``plots.<name>``; loaded on first use, so importing one figure
# (the calculator app's) does not import every topic's plotting code
_PUBLIC = {
    "costlib.ui.plots.axes": ("axes_note", "message_axes"),
    "costlib.ui.plots.bars": ("chapter_30_5_table", "cost_bars", "hardware_bars", "price_ratio_bars",
                              "procurement_bars"),
    "costlib.ui.plots.costs": ("CHAPTER_70B", "cost_vs_throughput", "cost_vs_utilization", "monthly_cost"),
    "costlib.ui.plots.evidence": ("error_by", "predicted_vs_measured", "shape_band"),
    "costlib.ui.plots.serving": ("capacity_waterfall", "decode_vs_batch", "latency_frontier", "memory_use",
                                 "roofline"),
}
__getattr__, __dir__, _lazy_names = lazy_exports("costlib.ui.plots", globals(), _PUBLIC)
__all__ = sorted([*_lazy_names, "BLACK", "BLUE", "CHAPTER", "GREEN", "GREY", "INFEASIBLE", "OKABE_ITO", "ORANGE",
                  "PALETTE", "PURPLE", "SKY", "STYLE", "STYLE_FILE", "VERMILLION", "style"])
