"""The explorers' controls come from costlib/data/explorer_controls.yaml (#12 item 2): every explorer builds
exactly the controls the file lists, with its labels, ranges and steps, and every default sits on its grid.

The YAML is read here with PyYAML directly, not through costlib's loader, so a loader bug cannot hide.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import ipywidgets as w
import pytest
import yaml

from costlib.ui import app, widgets
from costlib.ui import lever_widgets as lw
from costlib.ui.widgets import presets, specs

DATA = Path(__file__).resolve().parents[1] / "costlib" / "data"
RAW = yaml.safe_load((DATA / "explorer_controls.yaml").read_text(encoding="utf-8"))
SLIDERS = (w.IntSlider, w.FloatSlider, w.FloatLogSlider)


def _builders():
    found = {**widgets.EXPLORERS, "load_explorer": widgets.load_explorer, "slo_explorer": widgets.slo_explorer}
    found.update({n: getattr(lw, n) for n in lw.__all__})
    found["calculator_app"] = app.calculator_app
    return found


def _expected(explorer: str) -> list[tuple[str, dict]]:
    """(name, spec) in order, expanding the deployment block and the shared fields by hand."""
    out = []
    for name, entry in RAW["explorers"][explorer].items():
        entry = entry or {}
        if entry.get("use") == "deployment":
            for key, spec in RAW["deployment"].items():
                own = entry.get("defaults", {})
                out.append((key, {**spec, **({"default": own[key]} if key in own else {})}))
        else:
            out.append((name, {**RAW["shared"].get(name, {}), **entry}))
    return out


def _resolved(spec):
    d = spec.get("default")
    return presets.preset(d["preset"]) if isinstance(d, dict) else d


@pytest.fixture(scope="module")
def built():
    return {name: build() for name, build in _builders().items() if name in RAW["explorers"]}


def test_the_yaml_and_the_explorers_name_the_same_explorers():
    assert set(RAW["explorers"]) == set(_builders())


@pytest.mark.parametrize("explorer", sorted(RAW["explorers"]))
def test_every_explorer_has_exactly_the_yaml_controls_in_order(built, explorer):
    assert list(built[explorer].controls) == [n for n, _ in _expected(explorer)]


@pytest.mark.parametrize("explorer", sorted(RAW["explorers"]))
def test_labels_ranges_and_steps_match_the_yaml(built, explorer):
    ex = built[explorer]
    for name, spec in _expected(explorer):
        c = ex.controls[name]
        assert c.description == spec["label"], (explorer, name)
        if spec["kind"] == "dropdown":
            assert isinstance(c, w.Dropdown), (explorer, name)
            if isinstance(spec["options"], list):
                assert [o[1] if isinstance(o, tuple) else o for o in c.options] == spec["options"]
            continue
        kind = {"int": w.IntSlider, "float": w.FloatSlider, "log": w.FloatLogSlider}[spec["kind"]]
        assert type(c) is kind, (explorer, name)
        assert (c.min, c.max) == pytest.approx((spec["min"], spec["max"])), (explorer, name)
        assert c.step == pytest.approx(spec["step"]), (explorer, name)


@pytest.mark.parametrize("explorer", sorted(RAW["explorers"]))
def test_every_yaml_default_lies_on_its_slider_grid(explorer):
    """The page snaps an off-grid start to the grid and sends it back (MBU 0.725 became 0.73)."""
    for name, spec in _expected(explorer):
        if spec["kind"] == "dropdown" or spec.get("default") is None:
            continue
        x = _resolved(spec)
        x = math.log10(x) if spec["kind"] == "log" else x
        assert spec["min"] <= x <= spec["max"], (explorer, name, x)
        k = (x - spec["min"]) / spec["step"]
        assert abs(k - round(k)) < 1e-6, (explorer, name, x)


@pytest.mark.parametrize("explorer", sorted(RAW["explorers"]))
def test_every_slider_starts_on_its_step_grid(built, explorer):
    """As built, whatever set the start (the YAML, a builder's argument, a preset, a link): a live slider
    snaps an off-grid start to its grid in the page and sends the snapped value back, so the page would
    silently change the starting point (seen: MBU 0.725 became 0.73)."""
    off = []
    for name, c in built[explorer].controls.items():
        if isinstance(c, SLIDERS):
            x = math.log10(c.value) if isinstance(c, w.FloatLogSlider) else c.value
            k = (x - c.min) / c.step
            if abs(k - round(k)) > 1e-6:
                off.append(f"{name}={c.value} (min {c.min}, step {c.step})")
    assert off == []


@pytest.mark.parametrize("explorer", sorted(RAW["explorers"]))
def test_explorers_start_at_the_yaml_defaults(built, explorer):
    for name, spec in _expected(explorer):
        if spec.get("default") is None:
            continue
        value = built[explorer].controls[name].value
        want = _resolved(spec)
        if isinstance(want, (int, float)) and not isinstance(value, str):
            assert value == pytest.approx(want), (explorer, name)
        else:  # a dropdown keeps the catalog id of the name given
            assert str(value) == str(want), (explorer, name)


def test_every_control_group_is_a_yaml_group_and_no_name_is_in_two():
    seen = [n for names in RAW["groups"].values() for n in (names or [])]
    assert len(seen) == len(set(seen))
    assert [t for t, _ in specs.groups()] == list(RAW["groups"])


def test_an_unknown_control_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="latency_explorer has no control.*batchsize.*context"):
        widgets.latency_explorer(batchsize=8)


def test_tokens_per_month_shows_billions_in_a_box_that_takes_typed_counts():
    """#17 item 4: d3-format writes 1.00G; the readout is hidden and "1.0B" shown in a box beside the slider."""
    ex = widgets.self_host_explorer()
    slider = ex.controls["tokens_per_month"]
    assert slider.readout is False
    row = specs.panel_widget(slider)
    assert isinstance(row, w.HBox) and row.children[0] is slider
    box = row.children[1]
    assert box.value == "1.0B"  # the YAML's default, 1e9 tokens/month
    box.value = "17.8B"
    assert slider.value == pytest.approx(17.8e9) and box.value == "17.8B"
    assert "17.8B tokens/month" in ex.message
    box.value = "not a count"  # refused: the box shows the slider's value again
    assert slider.value == pytest.approx(17.8e9) and box.value == "17.8B"


@pytest.mark.parametrize("text, value", [("17.8B", 17.8e9), ("1.5 M", 1.5e6), ("2e9", 2e9), ("1,000,000", 1e6),
                                         ("250k", 250e3), ("3T", 3e12)])
def test_parse_count(text, value):
    assert specs.parse_count(text) == pytest.approx(value)


def test_results_name_the_deployment_with_the_catalogs_names():
    """#17 item 4: "Llama 3.1 70B FP8 (KV BF16) on 2x H100 SXM", names from models.csv, not ids."""
    with open(DATA / "models.csv", newline="", encoding="utf-8") as f:
        names = {r["id"]: r["name"] for r in csv.DictReader(f)}
    ex = widgets.utilization_explorer()  # the chapter's 70B, FP8 weights, bf16 KV, TP=2 on H100 SXM
    assert ex.message.startswith(f"{names['llama-3.1-70b']} FP8 (KV BF16) on 2x H100 SXM, batch 64")
    assert "llama-3.1-70b" not in ex.message and "H100-SXM" not in ex.message
