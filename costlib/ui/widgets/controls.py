"""The explorers' controls: sliders and dropdowns with the workbook's layout, and the deployment presets (§30.3)."""
from __future__ import annotations

import math

import ipywidgets as w

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import PRECISIONS, get_gpu, get_model, get_precision, gpu_ids, model_ids

# The chapter's presets (model, price, starting deployment) live in costlib.ui.widgets.presets, which
# reads the chapter: the controls themselves stay light enough for the calculator app's kernel.
TP_OPTIONS = (1, 2, 4, 8)


# ---------------------------------------------------------------- controls

_STYLE = {"description_width": "150px"}
_LAYOUT = {"width": "370px"}


def _widen(value, lo, hi):
    return min(lo, value), max(hi, value)


def float_slider(description, value, lo, hi, step, fmt=".2f"):
    lo, hi = _widen(float(value), lo, hi)
    return w.FloatSlider(value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
                         continuous_update=False, style=_STYLE, layout=w.Layout(**_LAYOUT))


def int_slider(description, value, lo, hi, step=1):
    lo, hi = _widen(int(value), lo, hi)
    return w.IntSlider(value=int(value), min=lo, max=hi, step=step, description=description,
                       continuous_update=False, style=_STYLE, layout=w.Layout(**_LAYOUT))


def log_slider(description, value, lo_exp, hi_exp, step=0.05, fmt=".3g"):
    e = math.log10(float(value)) if value > 0 else lo_exp
    lo_exp, hi_exp = _widen(math.floor(e), lo_exp, hi_exp)
    return w.FloatLogSlider(value=value, base=10, min=lo_exp, max=hi_exp, step=step, description=description,
                            readout_format=fmt, continuous_update=False, style=_STYLE,
                            layout=w.Layout(**_LAYOUT))


def dropdown(description, options, value):
    opts = list(options)
    if value not in [o[1] if isinstance(o, tuple) else o for o in opts]:
        raise ValueError(f"{description} must be one of {opts}, got {value!r}")
    return w.Dropdown(options=opts, value=value, description=description, style=_STYLE,
                      layout=w.Layout(**_LAYOUT))


def precision_name(name) -> str:
    p = get_precision(name)
    if p.name not in PRECISIONS:
        raise ValueError(f"explorers offer the catalog precisions {list(PRECISIONS)}; got {name!r}")
    return p.name


def deployment_controls(model=None, gpu="H100-SXM", weights="fp8", kv="bf16", tp=2) -> dict:
    """Dropdowns for a deployment (model, GPU, weight and KV precision, TP) from the catalogs (§30.3).

    ``model`` defaults to the chapter's model (:data:`costlib.ui.widgets.presets.CHAPTER_MODEL`).
    """
    if model is None:
        from costlib.ui.widgets.presets import CHAPTER_MODEL

        model = CHAPTER_MODEL
    return {
        "model": dropdown("model", model_ids(), get_model(model).id),
        "gpu": dropdown("GPU", gpu_ids(), get_gpu(gpu).id),
        "weights": dropdown("weights", list(PRECISIONS), precision_name(weights)),
        "kv": dropdown("KV cache", list(PRECISIONS), precision_name(kv)),
        "tp": dropdown("tensor parallel (TP)", TP_OPTIONS, int(tp)),
    }


def deployment_from(v: dict, preset: dict | None = None):
    d = {**(preset or {}), **{k: v[k] for k in ("model", "gpu", "weights", "kv", "tp") if k in v}}
    return deployment(d["model"], d["gpu"], d["tp"], d["weights"], d["kv"])
