"""Plots and explorers for serving under load (costlib.ui.serving_plots, costlib.ui.widgets.load_explorers)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from costlib.ui import serving_plots  # noqa: E402
from costlib.ui.widgets import load_explorers  # noqa: E402


def _sweep():
    return pd.DataFrame({"rate_per_s": [1.0, 2.0, 3.0, 4.0, 5.0],
                         "ttft_p99_s": [0.1, 0.2, 0.6, 0.3, 5.0],  # the 0.3 s after a miss does not count
                         "ttft_mean_s": [0.05, 0.1, 0.2, 0.2, 2.0],
                         "itl_mean_s": [0.01, 0.012, 0.02, 0.03, 0.05]})


def test_knee_is_the_last_rate_before_the_first_miss():
    assert serving_plots.knee_rate(_sweep(), 0.5) == 2.0
    assert serving_plots.knee_rate(_sweep(), 10.0) == 5.0
    assert serving_plots.knee_rate(_sweep(), 0.05) == 0.0
    with pytest.raises(ValueError, match="ttft_p99_s"):
        serving_plots.knee_rate(_sweep(), 0)


def test_latency_plot_marks_saturation_knee_and_target():
    ax = Figure().add_subplot()
    serving_plots.latency_vs_rate(_sweep(), 4.5, 0.5, point=(2.5, 0.3), ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("saturation 4.50") for lab in labels)
    assert any(lab.startswith("knee (target holds) 2.00") for lab in labels)
    assert any("target 500 ms" in lab for lab in labels)
    with pytest.raises(ValueError, match="itl_mean_s"):
        serving_plots.latency_vs_rate(_sweep().drop(columns="itl_mean_s"), 4.5, ax=Figure().add_subplot())


def test_load_explorer_reports_saturation_and_the_bill():
    e = load_explorers.load_explorer(model="llama-3.1-8b", gpu="H100-SXM", tp=1, weights="fp8", kv="fp8",
                                      input_len=256, output_len=64, rate=5.0)
    assert e.ok, e.message
    sat, df = load_explorers.sweep_for("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8", 256, 64)
    assert f"saturation {sat:,.2f} requests/s" in e.message
    assert len(df) == len(load_explorers.LOAD_FRACTIONS)
    assert "per million output tokens" in e.message


def test_slo_explorer_names_the_best_fleet():
    e = load_explorers.slo_explorer(model="llama-3.1-8b", input_len=256, output_len=64, rate=5.0,
                                     ttft_p99_ms=500.0, itl_ms=50.0, gpus=("H100-SXM",))
    assert e.ok, e.message
    assert "H100 SXM" in e.message and "H100-SXM" not in e.message and "$" in e.message


def test_slo_candidates_plot_refuses_what_is_not_a_fleet():
    with pytest.raises(ValueError, match="fleet"):
        serving_plots.slo_candidates({"best": None}, ax=Figure().add_subplot())
