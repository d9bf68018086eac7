"""Interactive explorers for the notebooks: controls -> costlib -> a message and one redrawn figure (§30.1-§30.10).

Each builder (``tour()``, ``cost_explorer()``, ...) returns an :class:`Explorer`. Display it in a
notebook to get its controls; every change recomputes with costlib and redraws one figure. Errors
from costlib (bad input, configurations that do not fit in memory) are shown inside the explorer
as a message, never as a traceback or an empty plot. Keyword arguments preset the controls, e.g.
``throughput_explorer(weights="fp8", tp=1)``.

Modules: ``explorer`` (the Explorer: live, coalesced redraws), ``controls`` (sliders, dropdowns,
deployment presets) and the builders by topic: ``cost_explorers``, ``serving_explorers``,
``chapter_explorers``.
"""
from costlib.ui.widgets.chapter_explorers import (
    cheatsheet_explorer,
    claims_explorer,
    validation_explorer,
)
from costlib.ui.widgets.controls import deployment_controls
from costlib.ui.widgets.cost_explorers import (
    cost_explorer,
    prefill_decode_explorer,
    procurement_explorer,
    self_host_explorer,
    tour,
    utilization_explorer,
)
from costlib.ui.widgets.explorer import DPI, Explorer
from costlib.ui.widgets.serving_explorers import (
    capacity_explorer,
    hardware_explorer,
    latency_explorer,
    roofline_explorer,
    throughput_explorer,
)

__all__ = [
    "Explorer", "DPI", "deployment_controls", "tour", "cost_explorer", "procurement_explorer",
    "throughput_explorer", "roofline_explorer", "utilization_explorer", "prefill_decode_explorer",
    "self_host_explorer", "hardware_explorer", "latency_explorer", "capacity_explorer",
    "claims_explorer", "cheatsheet_explorer", "validation_explorer", "EXPLORERS",
]

#: Every builder by name, in notebook order (handy for smoke tests and benchmarks).
EXPLORERS = {f.__name__: f for f in (tour, cost_explorer, procurement_explorer, throughput_explorer,
                                      roofline_explorer, utilization_explorer, prefill_decode_explorer,
                                      self_host_explorer, hardware_explorer, latency_explorer,
                                      capacity_explorer, claims_explorer, cheatsheet_explorer,
                                      validation_explorer)}
