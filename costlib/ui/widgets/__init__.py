"""Interactive explorers for the notebooks: controls -> costlib -> a message and one redrawn figure (§30.1-§30.10).

Each builder (``tour()``, ``cost_explorer()``, ...) returns an :class:`Explorer`. Display it in a
notebook to get its controls; every change recomputes with costlib and redraws one figure. Errors
from costlib (bad input, configurations that do not fit in memory) are shown inside the explorer
as a message, never as a traceback or an empty plot. Keyword arguments preset the controls, e.g.
``throughput_explorer(weights="fp8", tp=1)``.

Modules: ``explorer`` (the Explorer: live, coalesced redraws), ``controls`` (sliders, dropdowns,
deployment presets) and the builders by topic: ``cost_explorers``, ``serving_explorers``,
``chapter_explorers``, ``load_explorers`` (serving under load, notebook 07b: simulated, so slower
to recompute and not in :data:`EXPLORERS`).
"""
from costlib.common.lazy import lazy_exports

# module -> the builders it gives to ``widgets.<name>``; loaded on first use, so the calculator app
# (which needs only the Explorer and the controls) does not import every explorer and the chapter
_PUBLIC = {
    "costlib.ui.widgets.chapter_explorers": ("cheatsheet_explorer", "claims_explorer", "validation_explorer"),
    "costlib.ui.widgets.specs": ("deployment_controls",),
    "costlib.ui.widgets.cost_explorers": ("cost_explorer", "prefill_decode_explorer", "procurement_explorer",
                                          "self_host_explorer", "tour", "utilization_explorer"),
    "costlib.ui.widgets.explorer": ("DPI", "Explorer"),
    "costlib.ui.widgets.load_explorers": ("load_explorer", "slo_explorer"),
    "costlib.ui.widgets.serving_explorers": ("capacity_explorer", "hardware_explorer", "latency_explorer",
                                             "roofline_explorer", "throughput_explorer"),
}
_EXPLORER_ORDER = ("tour", "cost_explorer", "procurement_explorer", "throughput_explorer", "roofline_explorer",
                   "utilization_explorer", "prefill_decode_explorer", "self_host_explorer", "hardware_explorer",
                   "latency_explorer", "capacity_explorer", "claims_explorer", "cheatsheet_explorer",
                   "validation_explorer")
_load, __dir__, _names = lazy_exports("costlib.ui.widgets", globals(), _PUBLIC)
__all__ = [*_names, "EXPLORERS"]


def __getattr__(name: str):
    if name == "EXPLORERS":
        #: Every builder by name, in notebook order (handy for smoke tests and benchmarks).
        explorers = {n: _load(n) for n in _EXPLORER_ORDER}
        globals()["EXPLORERS"] = explorers
        return explorers
    return _load(name)
