"""The explorers' controls: sliders and dropdowns with the workbook's layout, and the deployment presets (§30.3)."""
from __future__ import annotations

import math

import ipywidgets as w

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    PRECISIONS,
    api_ids,
    api_name,
    get_model,
    get_precision,
    gpu_ids,
    model_ids,
)
from costlib.common import fmt

# The chapter's presets (model, price, starting deployment) live in costlib.ui.widgets.presets, which
# reads the chapter: the controls themselves stay light enough for the calculator app's kernel.
TP_OPTIONS = (1, 2, 4, 8)


# ---------------------------------------------------------------- controls

_STYLE = {"description_width": "150px"}
_LAYOUT = {"width": "430px"}  # a slider about 200 px wide beside its 150 px label and the readout


def _widen(value, lo, hi):
    return min(lo, value), max(hi, value)


def _on_grid(value, lo, step):
    """The lowest minimum >= ``lo`` whose grid (minimum + k × step) holds ``value``: a live slider in the
    page snaps an off-grid start (0.725 on a 0.01 grid from 0.05) and sends the snapped value back (§30.1)."""
    k = math.floor((value - lo) / step + 1e-9)
    return round(value - k * step, 12) if k >= 0 else lo


def float_slider(description, value, lo, hi, step, fmt=".2f"):
    lo, hi = _widen(float(value), lo, hi)
    lo = _on_grid(float(value), lo, step)
    return w.FloatSlider(value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
                         continuous_update=True, style=_STYLE, layout=w.Layout(**_LAYOUT))


def int_slider(description, value, lo, hi, step=1):
    lo, hi = _widen(int(value), lo, hi)
    lo = int(_on_grid(int(value), lo, step))
    return w.IntSlider(value=int(value), min=lo, max=hi, step=step, description=description,
                       continuous_update=True, style=_STYLE, layout=w.Layout(**_LAYOUT))


def log_slider(description, value, lo_exp, hi_exp, step=0.05, fmt=".3s"):
    e = math.log10(float(value)) if value > 0 else lo_exp
    lo_exp, hi_exp = _widen(math.floor(e), lo_exp, hi_exp)
    lo_exp = _on_grid(e, lo_exp, step)
    return w.FloatLogSlider(value=value, base=10, min=lo_exp, max=hi_exp, step=step, description=description,
                            readout_format=fmt, continuous_update=True, style=_STYLE,
                            layout=w.Layout(**_LAYOUT))


def dropdown(description, options, value):
    opts = list(options)
    if value not in [o[1] if isinstance(o, tuple) else o for o in opts]:
        raise ValueError(f"{description} must be one of {opts}, got {value!r}")
    return w.Dropdown(options=opts, value=value, description=description, style=_STYLE,
                      layout=w.Layout(**_LAYOUT))


# ---------------------------------------------------------------- human labels, ids as values

def model_options() -> list[tuple[str, str]]:
    """(catalog name, id) of every model, for a dropdown: "Llama 3.1 70B" shown, "llama-3.1-70b" kept (§30.3)."""
    return [(get_model(m).name, m) for m in model_ids()]


def precision_options() -> list[tuple[str, str]]:
    """(name, id) of every catalog precision, for a dropdown: "FP8" shown, "fp8" kept (§30.5)."""
    return [(fmt.precision_name(p), p) for p in PRECISIONS]


def gpu_options() -> list[tuple[str, str]]:
    """(short name, id) of every GPU, for a dropdown: "H100 SXM" shown, "H100-SXM" kept (§30.8)."""
    return [(fmt.gpu_name(g), g) for g in gpu_ids()]


def api_options() -> list[tuple[str, str]]:
    """("Provider · model", id) of every API in the price catalog, for a dropdown (§30.5)."""
    return [(api_name(a), a) for a in api_ids()]


def tier_options(tier_ids) -> list[tuple[str, str]]:
    """(name, id) of each tier, for a dropdown: "On-demand" shown, "on_demand" kept (§30.2)."""
    return [(fmt.tier_name(t), t) for t in tier_ids]


def precision_id(name) -> str:
    p = get_precision(name)
    if p.name not in PRECISIONS:
        raise ValueError(f"explorers offer the catalog precisions {list(PRECISIONS)}; got {name!r}")
    return p.name


def deployment_from(v: dict, preset: dict | None = None):
    d = {**(preset or {}), **{k: v[k] for k in ("model", "gpu", "weights", "kv", "tp") if k in v}}
    return deployment(d["model"], d["gpu"], d["tp"], d["weights"], d["kv"])
