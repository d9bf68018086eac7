# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · How wrong is the roofline? costlib against published runs (§30.3–§30.4)
#
# Every earlier notebook predicts throughput from datasheets: bytes over bandwidth, FLOPs over
# peak, times a utilization factor. This one checks those predictions against reality. NVIDIA
# publishes the output tokens/s that TensorRT-LLM sustains on H100, A100 and L40S GPUs for several
# models, precisions and request shapes; costlib predicts each of those 230 runs and we look at
# the misses in the open.
#
# **In this notebook you will**
#
# 1. compute a *ceiling* for every run — a speed no engine can beat — and check that no published
#    run beats it;
# 2. see how far real runs fall below it, and where (GPU, model, request shape);
# 3. calibrate a handful of physical efficiencies on part of the data and predict the rest;
# 4. explain each kind of miss with a number: prefill-heavy shapes, KV-limited batches, small
#    models, tensor-parallel traffic, per-step overhead;
# 5. calibrate costlib on *your own* benchmark and price your deployment with it.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import costlib as cl
from costlib import plots, widgets
from costlib import validation as V
from costlib.calibration import DEFAULT_FIT, DEFAULT_PROFILE

pd.set_option("display.precision", 3)

# %% [markdown]
# ## 1. The data
#
# `costlib/data/measured.csv` bundles the published table (source and date in every row). A row
# means: `n_gpus` GPUs split into `n_gpus / tp` replicas, each request exactly `input_len` prompt
# tokens and `output_len` generated tokens, and the engine keeping as many requests in flight as
# memory allows. The figure is total output tokens per second.

# %% tags=["nbval-check-output"]
data = cl.measured()
print(f"{len(data)} runs from {data['source'].iloc[0]} ({data['as_of'].iloc[0]})")
data.groupby(["gpu", "model", "weight_dtype"]).size().unstack(fill_value=0)

# %% [markdown]
# ## 2. The ceiling: a speed no engine can beat
#
# For one request on one replica, whatever the engine does, it must at least
#
# * **do the FLOPs**: the prompt's matmuls and causal attention, then one forward pass per generated
#   token, each attending over the whole cache so far;
# * **move the bytes**: write every token's KV entry, read the whole cache for every generated
#   token, and read the weights once per decode step;
# * **respect memory**: a decode step produces at most one token per sequence held in memory, and
#   the held sequences' caches must fit beside the weights. Summed over the run, that puts a floor
#   on the number of decode steps — the largest batch memory allows at the average context
#   (prompt + half the output).
#
# Prefill can hide inside memory-bound decode steps (engines chunk prompts into them), so the time
# is at least the *larger* of FLOPs ÷ peak and bytes ÷ bandwidth — not their sum. Everything is
# taken at its most generous: datasheet peaks, every byte of HBM (its "80 GB" read as 80 GiB), an
# MoE step touching only the experts it must, free communication, no scheduler. If a published run
# ever beat this number, costlib's physics would be wrong.

# %%
report = cl.validate(data)  # costlib's default profile gives low/mid/high; the ceiling is physics only
df = report.to_frame()
ratio = df["measured_over_ceiling"]

# %% tags=["nbval-check-output"]
print(f"rows predicted: {report.predicted} of {report.rows}; measured <= ceiling in {report.under_ceiling:.0%}")
print(f"measured / ceiling: best {ratio.max():.2f}, median {ratio.median():.2f}, worst {ratio.min():.2f}")
print(f"median ceiling / measured: {1 / ratio.median():.1f}x")

# %% [markdown]
# No run crosses the ceiling; the best one reaches about two thirds of it. The typical run gets a
# third: the plain roofline, even with prefill counted, is about three times too optimistic. (The
# 1.5–1.9× overestimate quoted for simple rooflines in the literature assumes realistic batch
# sizes and efficiencies; ours deliberately assumes the most generous ones.)
#
# ## 3. Predicted vs measured
#
# The realistic estimate keeps the same FLOPs and bytes but charges what real engines pay: a share
# of bandwidth (MBU) and of peak FLOP/s (MFU) that can be reached, only part of HBM for the
# cache, a fixed overhead per decode step, and all-reduce traffic over the real links. Its five
# numbers are fitted once to the published runs (section 5 shows how, and how well that travels).
# Each point below is a run: measured on the x axis, costlib's mid estimate on the y axis, the bar
# its low–high band; the short dash above it is the ceiling.

# %%
fig, ax = plt.subplots(figsize=(7.5, 6), layout="constrained")
plots.predicted_vs_measured(df, ax=ax);

# %% tags=["nbval-check-output"]
print(f"default profile on all {report.predicted} rows (in-sample): median |mid error| "
      f"{report.median_abs_error:.1%}, measurement inside the band in {report.in_band:.0%}")
print(f"band = mid x {DEFAULT_PROFILE.band_low:.2f} to mid x {DEFAULT_PROFILE.band_high:.2f}")

# %% [markdown]
# ## 4. Where the simple model misses, and why
#
# Errors of the calibrated estimate by GPU, model and request shape (positive = costlib too
# optimistic):

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for by, ax in zip(["gpu", "model", "shape"], axes, strict=True):
    plots.error_by(df, by, ax=ax)
fig.suptitle("Error of the calibrated estimate (mid) against each published run");

# %% [markdown]
# To explain the misses we need to know where the time goes. `V.explain` splits each run's
# predicted time per request into memory, compute (they overlap: only the larger counts),
# per-step overhead and tensor-parallel communication:

# %%
parts = V.explain(data).merge(df, on="row")
parts["total_s"] = parts[["memory_s", "compute_s"]].max(axis=1) + parts["overhead_s"] + parts["comm_s"]
for p in ("overhead_s", "comm_s"):
    parts[p.replace("_s", "_share")] = parts[p] / parts["total_s"]
parts["params_b"] = [cl.get_model(m).n_params / 1e9 for m in parts["model"]]

# %% [markdown]
# **Prefill-heavy shapes.** With 2,048 prompt tokens and only 128 generated, most of a request's
# FLOPs are prefill, the run is compute-bound, and the memory-bound decode picture of §30.3 says
# little. The ceiling is then set by FLOP/s, which real kernels reach less fully than bandwidth:

# %% tags=["nbval-check-output"]
by_shape = parts.groupby("shape", sort=False).agg(
    prefill_flop_share=("prefill_flop_share", "median"), compute_bound=("bound", lambda b: (b == "compute").mean()),
    measured_over_ceiling=("measured_over_ceiling", "median"))
by_shape.loc[["128/128", "2048/128", "5000/500", "128/4096", "500/2000"]]

# %% [markdown]
# **KV-limited batches.** Long contexts leave room for few sequences. The ceiling already counts
# that memory limit, so these runs are not further below it; what changes is what their time is
# made of. Each decode step has a fixed cost, and with few sequences it is shared by few tokens.
# Drop the per-step overhead from the model and see which runs it flatters most:

# %% tags=["nbval-check-output"]
no_overhead = cl.validate(data, DEFAULT_PROFILE.with_(step_overhead_s=0.0)).to_frame()
parts["mid_without_overhead_over_measured"] = (no_overhead["mid"] / no_overhead["measured"]).to_numpy()
small = parts["batch"] < 64
pd.DataFrame({name: {"runs": int(sel.sum()),
                     "measured / ceiling": parts.loc[sel, "measured_over_ceiling"].median(),
                     "overhead share of the time": parts.loc[sel, "overhead_share"].median(),
                     "no-overhead mid / measured": parts.loc[sel, "mid_without_overhead_over_measured"].median()}
              for name, sel in (("batch < 64", small), ("batch >= 64", ~small))}).T

# %% [markdown]
# **Small models.** The 7–8B models reach more than half of their ceiling; the 70B and MoE models a
# quarter to a third. The small ones run on a single GPU each — no all-reduce at all — while the
# large ones are split over 2–8 GPUs and spend a large share of their time communicating
# (`comm_share` below). Mixtral 8x22B, always on 8 GPUs, communicates the most and is the model
# costlib predicts worst.

# %% tags=["nbval-check-output"]
parts["abs_error"] = parts["error"].abs()
parts.groupby("model").agg(params_b=("params_b", "first"), on_one_gpu=("tp", lambda t: (t == 1).mean()),
                           comm_share=("comm_share", "median"),
                           measured_over_ceiling=("measured_over_ceiling", "median"),
                           median_abs_error=("abs_error", "median")).sort_values("params_b")

# %% [markdown]
# **Tensor-parallel communication.** Every layer ends in two all-reduces across the replica's
# GPUs. Over NVLink (H100, A100) that is cheap; the L40S has only PCIe, and the fitted link
# efficiency says a real all-reduce gets well under half of even that link's nominal bandwidth.
# For L40S replicas split over 4 or 8 GPUs, communication becomes the largest part of the time:

# %% tags=["nbval-check-output"]
print(f"fitted link efficiency: {DEFAULT_PROFILE.link_efficiency:.2f} of the per-direction link bandwidth")
parts[parts["tp"] > 1].groupby(["gpu", "tp"]).agg(
    runs=("row", "size"), comm_share=("comm_share", "median"),
    measured_over_ceiling=("measured_over_ceiling", "median"))

# %% [markdown]
# **Scheduler and per-step overhead.** Launching the kernels of a step, scheduling the batch and
# sampling cost time that neither bandwidth nor FLOP/s explains. The fit puts it at:

# %% tags=["nbval-check-output"]
print(f"fitted per-step overhead: {DEFAULT_PROFILE.step_overhead_s * 1e3:.1f} ms; "
      f"MFU {DEFAULT_PROFILE.mfu:.2f}; usable memory {DEFAULT_PROFILE.memory_fraction:.0%} of HBM; "
      f"MBU held at {DEFAULT_PROFILE.mbu:.2f}")
print(f"its share of the predicted time: median {parts['overhead_share'].median():.0%}, "
      f"largest {parts['overhead_share'].max():.0%}")

# %% [markdown]
# That overhead is large because it also absorbs what the model leaves out (prefill chunks that do
# not fully overlap decode, uneven MoE routing, attention kernels below peak). MBU could not be
# fitted on this data: it trades off against the per-step overhead (both grow with the number of
# decode steps), so it is held at 0.85, the top of the chapter's range, and the other four
# parameters are fitted (`DEFAULT_FIT`).
#
# ## 5. Calibrate on part of the data, predict the rest
#
# An in-sample fit flatters any model. The honest test: hide a whole GPU (or a whole model),
# calibrate on the rest, and predict what was hidden. The band is built the same way inside each
# training set, so its coverage on hidden rows is what a reader should expect on hardware or a
# model costlib has not seen.

# %%
cv = {by: cl.cross_validate(data, by) for by in ("gpu", "model")}

# %% tags=["nbval-check-output"]
print(f"fitted parameters: {', '.join(DEFAULT_FIT)}")
pd.DataFrame({f"leave one {by} out": {"median |mid error|": r.median_abs_error, "in band": r.in_band,
                                       "under ceiling": r.under_ceiling} for by, r in cv.items()}).T

# %% [markdown]
# Per held-out GPU: the fitted parameters barely move when a GPU is hidden, and the error on the
# hidden GPU stays near the in-sample error:

# %% tags=["nbval-check-output"]
folds = pd.DataFrame({g: {k: getattr(p, k) for k in DEFAULT_FIT} for g, p in cv["gpu"].profiles.items()}).T
folds.join(cv["gpu"].by_group())

# %% [markdown]
# **Against the targets** of the issue this notebook answers:

# %% tags=["nbval-check-output"]
worst_err = max(r.median_abs_error for r in cv.values())
worst_band = min(r.in_band for r in cv.values())
pd.DataFrame([
    {"figure": "ceiling >= measured (all rows)", "target": "100%", "got": f"{report.under_ceiling:.0%}"},
    {"figure": "band contains held-out measurement (worst split)", "target": ">= 85%", "got": f"{worst_band:.0%}"},
    {"figure": "median |mid error| on held-out rows (worst split)", "target": "<= 15%", "got": f"{worst_err:.1%}"},
    {"figure": "median |mid error| in-sample", "target": "-", "got": f"{report.median_abs_error:.1%}"},
])

# %% [markdown]
# ## 6. Bring your own benchmark
#
# Run your engine on your hardware at a few request shapes, write the results in the same columns
# (`gpu, n_gpus, tp, model, weight_dtype, kv_dtype, input_len, output_len, output_tokens_per_s`),
# and costlib calibrates itself to you. Here "your benchmark" is the H100 Mixtral runs of the
# published table, written to a temporary CSV, plus a row with a typo to show that bad rows are
# skipped with a reason instead of stopping the run. With runs of a single deployment, fit only
# the parameters they can pin down (`fit=`); the others keep costlib's default values.

# %%
mine = data[(data["gpu"] == "H100-SXM") & (data["model"] == "mixtral-8x7b")].copy()
typo = mine.iloc[[0]].assign(gpu="H100-SMX")
folder = Path(tempfile.mkdtemp())
csv_path = folder / "my_benchmark.csv"
pd.concat([mine, typo]).to_csv(csv_path, index=False)

my_report_before = cl.validate(csv_path)                 # costlib's default profile
# one deployment, nine shapes: fit the two efficiencies these runs can pin down, keep the rest
my_profile = cl.calibrate(csv_path, fit=("mfu", "step_overhead_s"))
my_report_after = cl.validate(csv_path, my_profile)

# %% tags=["nbval-check-output"]
print(f"read {my_report_after.rows} rows, predicted {my_report_after.predicted}; skipped: {my_report_after.skipped[0]}")
print(f"median |mid error|: default profile {my_report_before.median_abs_error:.1%}, "
      f"your profile {my_report_after.median_abs_error:.1%} (in-sample)")
print(f"your MFU {my_profile.mfu:.3f} (default {DEFAULT_PROFILE.mfu:.3f}), step overhead "
      f"{my_profile.step_overhead_s * 1e3:.1f} ms (default {DEFAULT_PROFILE.step_overhead_s * 1e3:.1f} ms); "
      f"band x{my_profile.band_low:.2f} to x{my_profile.band_high:.2f}")

# %% [markdown]
# The profile feeds the rest of costlib. Price a workload with it — here Mixtral 8x7B in FP8 on
# two H100s per replica, 8 GPUs, 1,000-token prompts and 500-token answers, at the catalog's
# on-demand H100 price:

# %% tags=["nbval-check-output"]
usd_h = cl.gpu_usd_per_hour("H100-SXM")
kw = dict(model="mixtral-8x7b", gpu="H100-SXM", tp=2, weights="fp8", kv="fp8", input_len=1000,
          output_len=500, n_gpus=8)
tps = my_profile.tokens_per_s(**kw)
usd = my_profile.usd_per_million(usd_h, **kw)
print(f"output tokens/s: {tps['low']:,.0f} to {tps['high']:,.0f} (mid {tps['mid']:,.0f}); ceiling {tps['ceiling']:,.0f}")
print(f"at ${usd_h:.2f}/GPU-hour: ${usd['low']:.3f} to ${usd['high']:.3f} per million output tokens "
      f"(mid ${usd['mid']:.3f}); no engine gets below ${usd['at_ceiling']:.3f}")

# %% [markdown]
# The same profile plugs into every estimate: `my_profile.deployment(...)` gives a Deployment with
# the usable memory you measured, and `my_profile.decode_kwargs()` the MBU/MFU for
# `cl.decode_tokens_per_s`, `cl.step_time_s` or `cl.prefill_time_s`. On the command line:
# `python -m costlib validate my_benchmark.csv --calibrate`.

# %%
dep = my_profile.deployment("mixtral-8x7b", "H100-SXM", 2, "fp8", "fp8")
print(cl.fit(dep, context=1500, batch=256).message)
print(f"decode at batch 256: {my_profile.decode_tokens_per_s(dep, 256, 1250):,.0f} tokens/s per replica")

# %% [markdown]
# ## 7. Explore
#
# Pick a deployment and a request shape: the explorer shows the ceiling, the band and the mid
# estimate for the standard shapes and yours, with the published runs of that deployment where
# there are any.

# %% tags=["nbval-ignore-output"]
widgets.validation_explorer()

# %% [markdown]
# ## Takeaways
#
# * A roofline with every byte and FLOP counted is a true ceiling: no published run beats it, and
#   the typical run reaches about a third of it. Quote it as a limit, never as an estimate.
# * A handful of physical efficiencies — MFU about one half, 93% of HBM usable, tens of
#   milliseconds of overhead per step, all-reduces at well under half the link's bandwidth —
#   turn it into an estimate that is off by about 10–15% on hardware and models it was not fitted
#   on, with a band that holds about nine times in ten.
# * The misses have causes you can name: prefill-heavy shapes are compute-bound, long contexts
#   starve the batch, PCIe tensor parallelism spends most of its time communicating.
# * Always give an estimate with its range, and calibrate on your own runs when you have them.
#
# Practise it: [cq3](../exercises/cq3.ipynb) and [d3](../exercises/d3.ipynb) (what bounds decode,
# §30.3), [p5](../exercises/p5.ipynb) (FP8 on memory-bound decode); then revisit
# [02 · The throughput ceiling](02_throughput_ceiling.ipynb) and [03 · Peak vs real](03_utilization.ipynb), whose ranges this notebook puts to the test.
#
# **Next:** you have reached the end of the chapter notebooks. Go back to the [00 · Start here](00_start_here.ipynb) map for the exercises you have not done yet, or to the [workshop kit](../workshop/README.md).
