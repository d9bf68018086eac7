"""The explorers' control specs, read from costlib/data/explorer_controls.yaml, and the widgets built from them (§30.1)."""
from __future__ import annotations

import functools
import re
from importlib import resources

import ipywidgets as w
import yaml

from costlib.catalog.tables import get_api_price, get_gpu, get_model
from costlib.common import fmt
from costlib.ui.widgets import controls as c

__all__ = ["load", "specs", "build", "deployment_controls", "groups", "panel_widget", "parse_count", "DEPLOYMENT"]

DEPLOYMENT = ("model", "gpu", "weights", "kv", "tp")
_KINDS = {"int", "float", "log", "dropdown"}


@functools.lru_cache(maxsize=1)
def load() -> dict:
    """The YAML file as read, once (§30.1)."""
    text = resources.files("costlib").joinpath("data", "explorer_controls.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def groups() -> tuple[tuple[str, frozenset], ...]:
    """(heading, control names) in display order; a control named nowhere is a "workload" control (§30.1)."""
    return tuple((title, frozenset(names or ())) for title, names in load()["groups"].items())


@functools.lru_cache(maxsize=64)
def _specs(explorer: str) -> tuple:
    data = load()
    if explorer not in data["explorers"]:
        raise ValueError(f"no controls for explorer {explorer!r} in explorer_controls.yaml; "
                         f"known: {', '.join(data['explorers'])}")
    out = []
    for name, entry in data["explorers"][explorer].items():
        entry = dict(entry or {})
        if entry.get("use") == "deployment":
            own = entry.get("defaults", {})
            for key, spec in data["deployment"].items():
                out.append((key, {**spec, **({"default": own[key]} if key in own else {})}))
            continue
        spec = {**data["shared"].get(name, {}), **entry}
        if spec.get("kind") not in _KINDS:
            raise ValueError(f"{explorer}.{name}: kind must be one of {sorted(_KINDS)}, got {spec.get('kind')!r}")
        out.append((name, spec))
    return tuple(out)


def specs(explorer: str) -> dict[str, dict]:
    """Each control's spec (kind, label, range or options, default, unit) of one explorer, in display order (§30.1)."""
    return {name: dict(spec) for name, spec in _specs(explorer)}


def default(spec: dict):
    """A spec's default with {preset: key} looked up in :data:`costlib.ui.widgets.presets.PRESETS` (§30.1)."""
    d = spec.get("default")
    if isinstance(d, dict):
        from costlib.ui.widgets.presets import preset

        return preset(d["preset"])
    return d


def options(spec: dict, given=None) -> list:
    """The dropdown's options: (label, value) pairs from a catalog, or the YAML list (§30.1)."""
    src = spec["options"]
    if src == "code":
        if given is None:
            raise ValueError(f"the {spec['label']!r} dropdown's options come from its builder; none were given")
        return list(given)
    if isinstance(src, list):
        return src
    table = {"models": c.model_options, "gpus": c.gpu_options, "precisions": c.precision_options,
             "tp": lambda: list(c.TP_OPTIONS), "apis": c.api_options, "tiers": _tier_options,
             "workloads": _workload_options}
    if src not in table:
        raise ValueError(f"{spec['label']!r}: unknown options source {src!r}; known: {', '.join(table)}, code")
    return table[src]()


def _tier_options():
    """(label, id) of the catalog's tiers and "owned", read without pandas (the app's kernel stays small)."""
    from costlib.economics.quote import price_tiers

    return c.tier_options(price_tiers())


def _workload_options():
    from costlib.economics.cost import WORKLOADS

    return [*WORKLOADS, "custom"]


# a value as the dropdown keeps it: catalog ids (so "Llama 3.1 70B" or an alias finds its id)
_CANONICAL = {"models": lambda x: get_model(x).id, "gpus": lambda x: get_gpu(x).id, "precisions": c.precision_id,
              "tp": int, "apis": lambda x: get_api_price(x)["id"]}


def widget(spec: dict, value=None, opts=None):
    """One control from its spec; ``value`` None means the spec's default (§30.1)."""
    value = default(spec) if value is None else value
    kind, label = spec["kind"], spec["label"]
    if kind == "dropdown":
        src = spec["options"] if isinstance(spec["options"], str) else None
        value = _CANONICAL.get(src, lambda x: x)(value) if value is not None else value
        choices = options(spec, opts)
        if value is None:
            value = choices[0][1] if isinstance(choices[0], tuple) else choices[0]
        d = c.dropdown(label, choices, value)
        if "width" in spec:
            d.layout.width = spec["width"]
        return d
    if kind == "int":
        return c.int_slider(label, value, spec["min"], spec["max"], spec["step"])
    if kind == "float":
        return c.float_slider(label, value, spec["min"], spec["max"], spec["step"], spec.get("format", ".2f"))
    slider = c.log_slider(label, value, spec["min"], spec["max"], spec["step"], spec.get("format", ".3s"))
    if spec.get("readout") == "count":
        _count_box(slider)
    return slider


def deployment_controls(model=None, gpu=None, weights=None, kv=None, tp=None) -> dict:
    """Dropdowns for a deployment (model, GPU, weight and KV precision, TP) from the catalogs; None: the
    YAML's default (the chapter's model, FP8 weights on 2 H100 SXM, bf16 KV) (§30.3)."""
    block, given = load()["deployment"], {"model": model, "gpu": gpu, "weights": weights, "kv": kv, "tp": tp}
    return {k: widget(block[k], given[k]) for k in DEPLOYMENT}


def build(explorer: str, values: dict | None = None, opts: dict | None = None) -> dict:
    """The explorer's controls by name, from the YAML: ``values`` (None: the default) and ``opts`` (options
    of "code" dropdowns) by control name (§30.1)."""
    values, opts = values or {}, opts or {}
    unknown = set(values) - {n for n, _ in _specs(explorer)}
    if unknown:
        raise ValueError(f"{explorer} has no control(s) {sorted(unknown)}; its controls: "
                         f"{', '.join(n for n, _ in _specs(explorer))}")
    return {name: widget(spec, values.get(name), opts.get(name)) for name, spec in _specs(explorer)}


# ---------------------------------------------------------------- counts beside a log slider

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_PANEL: dict[int, w.Widget] = {}  # id(slider) -> the row shown in the control panel


def parse_count(text: str) -> float:
    """A typed count: "17.8B", "1.5 M", "2e9", "1,000,000" -> a number; ValueError naming the text otherwise (§30.1)."""
    m = re.fullmatch(r"\s*([0-9][0-9,]*\.?[0-9]*(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"a count like 17.8B, 1.5M, 2e9 or 1,000,000 was expected, got {text!r}")
    return float(m.group(1).replace(",", "")) * _SUFFIX[m.group(2).lower()]


def _count_box(slider) -> None:
    """Hide the slider's readout (d3-format writes 17.8G) and show 17.8B beside it in a box that takes typed counts."""
    slider.readout = False
    slider.layout.width = "350px"
    box = w.Text(value=fmt.short_count(slider.value), layout=w.Layout(width="76px"), continuous_update=False)

    def from_slider(change):
        box.value = fmt.short_count(change["new"])

    def from_box(change):
        try:
            x = parse_count(change["new"])
        except ValueError:
            box.value = fmt.short_count(slider.value)
            return
        slider.value = min(max(x, 10 ** slider.min), 10 ** slider.max)
        box.value = fmt.short_count(slider.value)

    slider.observe(from_slider, names="value")
    box.observe(from_box, names="value")
    _PANEL[id(slider)] = w.HBox([slider, box])


def panel_widget(control):
    """What the control panel shows for a control: the control, or its row with a count box (§30.1)."""
    row = _PANEL.get(id(control))
    return row if row is not None and row.children[0] is control else control
