"""The workbook's figures in one style: Okabe-Ito colours, units on every axis, the chapter's points marked (§30.1-§30.10).

Every function takes an optional ``ax`` and returns the matplotlib Axes it drew on. Nothing here
plots NaN or inf: points that do not fit in memory are dropped and the axes say so ("does not
fit"); when nothing at all is plottable the axes show a centred message instead of an empty plot.
Marks labelled "chapter §30.x: ..." are the chapter's own inputs run through costlib, so the reader
can compare the chapter's figure with the corrected one.

Modules: ``style`` (colours, the .mplstyle), ``axes`` (what every figure shares), ``costs``,
``serving``, ``bars`` and ``evidence`` (the figures, by topic).
"""
from costlib.ui.plots.axes import axes_note, message_axes
from costlib.ui.plots.bars import (
    chapter_30_5_table,
    cost_bars,
    hardware_bars,
    price_ratio_bars,
    procurement_bars,
)
from costlib.ui.plots.costs import (
    CHAPTER_70B,
    cost_vs_throughput,
    cost_vs_utilization,
    monthly_cost,
)
from costlib.ui.plots.evidence import error_by, predicted_vs_measured, shape_band
from costlib.ui.plots.serving import (
    capacity_waterfall,
    decode_vs_batch,
    latency_frontier,
    memory_use,
    roofline,
)
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

__all__ = [
    "OKABE_ITO", "PALETTE", "STYLE", "STYLE_FILE", "style", "message_axes", "axes_note", "cost_vs_throughput",
    "decode_vs_batch", "roofline", "cost_vs_utilization", "cost_bars", "monthly_cost", "hardware_bars",
    "latency_frontier", "capacity_waterfall", "memory_use", "procurement_bars", "price_ratio_bars",
    "CHAPTER_70B", "chapter_30_5_table", "predicted_vs_measured", "error_by", "shape_band",
    "BLACK", "BLUE", "CHAPTER", "GREEN", "GREY", "INFEASIBLE", "ORANGE", "PURPLE", "SKY", "VERMILLION",
]
