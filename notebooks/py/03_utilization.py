# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
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
# # 03 · Peak vs real: utilization and the cost per million tokens (§30.4–§30.5)
#
# Notebook 02 derived ceilings: the most tokens per second the physics allows. No production
# system reaches them. This notebook measures the gap — with the chapter's utilization ranges and
# with published benchmark results — and then redoes the chapter's §30.5 cost table with
# configurations that actually fit.
#
# **Learning goals**
# 1. Define MBU and MFU, and name five reasons real throughput falls short of the ceiling, with
#    what each one costs.
# 2. Turn a ceiling into a realistic range, and check it against published measurements of real
#    serving engines.
# 3. Recompute the §30.5 cost table, pricing only configurations that fit in memory.
# 4. See why utilization (the share of time the GPU is busy) moves cost more than anything else.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

CONTEXT = ch.CONTEXT_TOKENS  # tokens per sequence for memory checks (the chapter never states one)
s5 = ch.S30_5
model = cl.get_model(s5.model)
h100 = cl.get_gpu(s5.gpu)

# %% [markdown]
# ## 3.1 MBU and MFU
#
# Two ratios describe how close a running system gets to the hardware's peaks:
#
# $$
# \mathrm{MBU} = \frac{\text{bytes the model must move per second}}{\text{peak memory bandwidth}}
# \qquad
# \mathrm{MFU} = \frac{\text{FLOPs the model must do per second}}{\text{peak FLOP/s}}
# $$
#
# "Must move" and "must do" are counted from the model (weights, KV cache, 2 FLOPs per parameter
# per token...), not from hardware counters, so both ratios charge every inefficiency — slow
# kernels, padding, waiting, bookkeeping — to the system. MBU is the one that matters for decode
# (bandwidth-bound), MFU for prefill (compute-bound). The chapter gives typical ranges, which
# costlib uses as its low / mid / high settings:

# %% tags=["nbval-check-output"]
for level in ("low", "mid", "high"):
    mbu, mfu = cl.realism(level)
    print(f"{level:>4}: MBU {mbu:.3f} (decode), MFU {mfu:.2f} (prefill)")

# %% [markdown]
# ## 3.2 Five reasons real throughput is below peak (§30.4)
#
# The chapter lists five causes. Here they are in our words, each with what it costs and, where
# costlib can compute it, how much. For the examples we use a realistic 70B bf16 deployment: the
# tensor-parallel degree with the lowest <span>\$</span>/M on H100s (`cl.compare_hardware(..., tp="cheapest")`),
# at the largest batch of 2,048-token sequences its memory holds. Its numbers come from the
# workbook's one prediction path, `cl.predict`, with the **calibrated** profile (fitted to published
# runs, notebook 11), unless a cell says otherwise.

# %% tags=["nbval-check-output"]
best = cl.compare_hardware(s5.model, "bf16", gpus=[s5.gpu], context=CONTEXT, usd_per_gpu_hour=s5.usd_per_hour).iloc[0]
dep, batch = cl.deployment(s5.model, s5.gpu, int(best["tp"]), "bf16"), int(best["batch"])
rate = cl.decode_tokens_per_s_band(dep, batch, CONTEXT)
print(f"{dep.name}, batch {batch}, context {CONTEXT:,}: step {batch / rate.mid * 1e3:.1f} ms, "
      f"{rate.mid:,.0f} tokens/s ({rate.mid / dep.tp:,.0f} per GPU; band {rate.low:,.0f}-{rate.high:,.0f})")

# %% [markdown]
# **(1) Engine overhead per step.** Between two decode steps the serving engine schedules
# requests, allocates KV blocks, samples tokens and launches kernels. That time is not overlapped
# with the GPU's work, so it adds to every step. A fixed overhead hurts short steps most — small
# models and small batches. Assume a few milliseconds per step (an assumption for illustration;
# measure your own engine):

# %% tags=["nbval-check-output"]
OVERHEAD_S = 0.002  # assumed fixed host-side time per decode step
small = cl.deployment("llama-3.1-8b", s5.gpu)
for d, b in [(dep, batch), (small, 8)]:
    t = b / cl.decode_tokens_per_s_band(d, b, CONTEXT, profile="chapter").mid  # textbook step, no overheads
    print(f"{d.name}, batch {b}: step {t * 1e3:5.1f} ms + {OVERHEAD_S * 1e3:.0f} ms overhead "
          f"→ {OVERHEAD_S / (t + OVERHEAD_S):.0%} of throughput lost")

# %% [markdown]
# **(2) MBU and MFU below 100%.** Even inside a step, kernels don't stream memory at the full
# datasheet rate, and matrix multiplies don't keep every tensor core busy. This is the gap between
# the roofline ceiling and the realistic band — section 3.3 puts numbers on it.
#
# **(3) Mixed batches.** Real traffic interleaves new prompts (prefill) with ongoing generations
# (decode). While the GPU prefills a prompt, the sequences waiting for their next token are not
# advancing, so throughput lands somewhere between the two ceilings. How much GPU time goes to
# prefill depends on the request shape; for the three workload shapes costlib knows:

# %% tags=["nbval-check-output"]
for name, (n_in, n_out) in cl.WORKLOADS.items():
    b = cl.memory_limited_batch(dep, n_in, n_out)
    wc = cl.workload_cost(dep, s5.usd_per_hour, n_in, n_out, b)
    print(f"{name:>9} ({n_in:,} in / {n_out:,} out, batch {b}): "
          f"{wc.prefill_share:.0%} of GPU time is prefill")

# %% [markdown]
# The better batching makes decode, the larger prefill's share becomes: a big batch makes each
# output token cheap, while a prompt token costs the same compute whatever the batch. For
# prompt-heavy (RAG-like) traffic, prefill is most of the work, and a decode-only estimate is
# badly optimistic (`04_prefill_vs_decode_cost` prices the two separately).

# %% [markdown]
# **(4) A full KV cache.** When the cache fills, the scheduler must stop admitting requests (they
# queue) or evict a running sequence (which later has to redo its prefill). Either way the batch
# is capped by memory, not by demand. Longer contexts hit the cap sooner *and* make each step read
# more KV, so they cost twice:

# %% tags=["nbval-check-output"]
for c in (1024, 2048, 4096, 8192):
    b = cl.memory_limited_batch(dep, *cl.request_shape(dep, c))
    print(f"context {c:>5,}: max batch {b:>4} → {cl.decode_tokens_per_s_band(dep, b, c).mid:>6,.0f} tokens/s")

# %% [markdown]
# **(5) Idle time.** Traffic is not constant: it peaks in the day and falls at night, and a fleet
# has to be sized for the peak (plus headroom for spikes and deployments). Averaged over the day,
# the GPUs are busy only a fraction of the time they are paid for — the *duty cycle*, average load ÷
# capacity. With the chapter's own planning assumptions from §30.10 (peak = 3× average, 30%
# headroom):

# %% tags=["nbval-check-output"]
s10 = ch.S30_10
duty = 1 / (s10.peak_factor * (1 + s10.headroom))
full_load = best["usd_per_million"]  # the cost-optimal replica of 3.2 at full load, prompts included
print(f"duty cycle = 1 / ({s10.peak_factor:g} × {1 + s10.headroom:g}) = {duty:.1%}")
print(f"$/M at full load ${full_load:.3f} → at that duty cycle ${cl.cost_at_utilization(full_load, duty):.3f} "
      f"({1 / duty:.1f}× more)")

# %% [markdown]
# Of the five, idle time is usually the largest and the only one no software can optimise away —
# it is a property of the traffic, not of the engine.

# %% [markdown]
# ## 3.3 The realistic range (§30.4)
#
# `cl.decode_tokens_per_s_band` gives decode tokens/s at the low, middle and high end of a profile:
# with `profile="chapter"` the chapter's MBU/MFU ranges, by default the calibrated band, and with
# `profile="ceiling"` the physics limit (100% of both, no overheads). For 70B deployments that fit,
# each at the batch its memory holds:

# %% tags=["nbval-check-output"]
configs = [("bf16", "bf16", 2), ("bf16", "bf16", 4), ("bf16", "bf16", 8),
           ("fp8", "bf16", 1), ("fp8", "fp8", 1), ("int4", "bf16", 1)]
rows = []
for w, kv, tp in configs:
    d = cl.deployment(s5.model, s5.gpu, tp, w, kv)
    b = cl.memory_limited_batch(d, *cl.request_shape(d, CONTEXT))
    chapter_band = cl.decode_tokens_per_s_band(d, b, CONTEXT, profile="chapter")
    band = cl.decode_tokens_per_s_band(d, b, CONTEXT)
    rows.append({"deployment": d.name, "batch": b, "chapter low": chapter_band.low, "chapter high": chapter_band.high,
                 "low": band.low, "mid": band.mid, "high": band.high,
                 "ceiling": cl.decode_tokens_per_s_band(d, b, CONTEXT, profile="ceiling").mid,
                 "mid per GPU": band.mid / tp})
realistic = pd.DataFrame(rows)
print(f"decode tokens/s at {CONTEXT:,} tokens of context (the batch memory holds; low/mid/high calibrated):")
print(realistic.to_string(index=False, float_format=lambda x: f"{x:,.0f}"))

# %% [markdown]
# The chapter's claim for comparison — a realistic range for 70B on a single H100, and a peak at
# batch 256:

# %% tags=["nbval-check-output"]
lo, hi = ch.S30_4.claimed_realistic_tokens_per_s
print(f"chapter: {lo:,.0f}-{hi:,.0f} tokens/s realistic, {ch.S30_4.claimed_peak_tokens_per_s_at_256:,.0f} peak "
      f"at batch 256, on one H100 in bf16")
print(cl.fit(cl.deployment(s5.model, s5.gpu, 1, "bf16"), CONTEXT).message)
one_gpu = realistic[realistic["deployment"].str.contains(" on 1x")]
print("single-H100 70B that fits, mid estimate: " + ", ".join(
    f"{r.deployment.split(' on ')[0]} at batch {r.batch}: {r.mid:,.0f} tokens/s" for r in one_gpu.itertuples()))

# %% [markdown]
# A single H100 that *can* hold 70B gets less than the chapter's range with fp8 weights —
# they leave almost no room for KV cache, so the batch stays tiny — and more than it with 4-bit
# weights. Per GPU, the range is what multi-GPU bf16 replicas deliver once there is room for large
# batches (the "mid per GPU" column), not what one H100 does with the chapter's bf16 model.

# %% [markdown]
# ## 3.4 What real engines reach: published measurements
#
# `cl.measured()` holds NVIDIA's published TensorRT-LLM maximum-throughput results (performance
# overview, v0.17, January 2025): total output tokens/s when the engine is given as many requests
# as memory allows, each with a fixed prompt and output length.
#
# To compare them with the roofline we need a ceiling that is a true upper bound, so we give it
# every benefit of the doubt: all of HBM usable (`memory_fraction=1.0`, `reserve_bytes=0`),
# 100% MBU and MFU, the batch as large as the KV cache allows at the average context of a request
# (prompt + half the output), and prefill time ignored altogether.

# %%
meas = cl.measured()
h = meas[meas["gpu"] == "H100-SXM"].copy()


def physical_ceiling(r):
    """Output tokens/s upper bound for one measured row: decode only, full memory, 100% MBU/MFU."""
    d = cl.deployment(r.model, r.gpu, int(r.tp), r.weight_dtype, r.kv_dtype,
                      memory_fraction=1.0, reserve_bytes=0)
    ctx = r.input_len + r.output_len / 2  # average context while a request decodes
    b = max(1, cl.kv_capacity_tokens(d) // ctx)
    return cl.decode_tokens_per_s(d, b, ctx, mbu=1.0, mfu=1.0) * (r.n_gpus // r.tp)


h["ceiling"] = [physical_ceiling(r) for r in h.itertuples()]
h["measured ÷ ceiling"] = h["output_tokens_per_s"] / h["ceiling"]

# %% tags=["nbval-check-output"]
pick = h[(h["model"].isin(["llama-3.1-8b", "llama-3.1-70b"]))
         & (h[["input_len", "output_len"]].apply(tuple, axis=1).isin([(128, 2048), (2048, 128), (1000, 1000)]))]
cols = ["model", "weight_dtype", "tp", "input_len", "output_len", "output_tokens_per_s", "ceiling",
        "measured ÷ ceiling"]
print(pick[cols].to_string(index=False, formatters={
    "output_tokens_per_s": "{:,.0f}".format, "ceiling": "{:,.0f}".format, "measured ÷ ceiling": "{:.2f}".format}))

# %% [markdown]
# Summarised over every H100 row, split by the shape of the request:

# %% tags=["nbval-check-output"]
h["shape"] = (h["output_len"] >= h["input_len"]).map({True: "output ≥ prompt", False: "prompt > output"})
summary = h.groupby("shape")["measured ÷ ceiling"].describe()[["count", "min", "50%", "max"]]
print(summary.round(2).to_string())
print(f"rows above the ceiling: {(h['measured ÷ ceiling'] > 1).sum()} of {len(h)}")
dec = h.loc[h["shape"] == "output ≥ prompt", "measured ÷ ceiling"]
print(f"when output dominates, the engine reaches {dec.median():.0%} of the ceiling at the median, "
      f"{dec.max():.0%} at best; the chapter's MBU range is {cl.MBU_RANGE[0]:.0%}-{cl.MBU_RANGE[1]:.0%}")

# %% [markdown]
# What this says:
#
# * The ceiling is a genuine upper bound: no measured row exceeds it.
# * Even when generation dominates, a highly tuned engine lands well below the ceiling, and
#   mostly below the chapter's MBU range. End-to-end throughput also pays for prefill, scheduling,
#   sampling and memory fragmentation, which the MBU of a single decode kernel does not count.
#   Treat the chapter's ranges as per-kernel efficiencies, not as end-to-end ones.
# * When prompts dominate, the decode-only ceiling is far too optimistic: prefill time, which it
#   ignores, is most of the work. Use the prefill ceiling (notebook 02) and `cl.workload_cost`
#   for such workloads.
# * Notice the single-H100 70B rows: with fp8 weights *and* an fp8 KV cache, short-ish requests
#   and all of the GPU's memory for the cache, a real engine does land inside the chapter's
#   "realistic" range for one H100 — just not with the bf16 model the chapter describes.

# %% [markdown]
# ## 3.5 The §30.5 cost table, recomputed
#
# The chapter prices 70B serving in six configurations. We keep its prices (<span>\$</span>2/hour for an H100,
# the §30.8 table's <span>\$</span>3/hour for an H200) and its utilizations (30% "low", 80% "high"), and
# compute throughput with costlib at the largest batch that fits. Memory is checked first: a
# configuration that doesn't fit gets no price.

# %% tags=["nbval-check-output"]
usd_per_hour = {r.gpu: r.usd_per_hour for r in ch.S30_8.table}
usd_per_hour[s5.gpu] = s5.usd_per_hour
rows, notes = [], []
for r in s5.cost_table:
    d = cl.deployment(s5.model, r.gpu, r.n_gpus, r.weights)
    e = cl.predict(d, *cl.request_shape(d, CONTEXT))  # physics first: does one request fit?
    row = {"configuration": f"{d.name}, {r.utilization:.0%} util",
           "fits": e.fits, "batch": None, "tokens/s": None, "ours $/M": None,
           "chapter $/M": r.usd_per_million}
    if e.fits:
        b = e.batch
        row.update({"batch": b, "tokens/s": cl.decode_tokens_per_s_band(d, b, CONTEXT).mid,
                    "ours $/M": cl.decode_usd_per_million(d, usd_per_hour[r.gpu], b, CONTEXT, r.utilization)})
    else:
        notes.append(f"{row['configuration']}: {e.message}")
    rows.append(row)
table = pd.DataFrame(rows)
print(table.to_string(index=False, na_rep="not priced",
                      formatters={"tokens/s": "{:,.0f}".format, "ours $/M": "${:.2f}".format,
                                  "chapter $/M": "${:.2f}".format, "batch": "{:.0f}".format}))
print("\n".join(notes))

# %% [markdown]
# The two bf16 rows cannot exist. The quantized rows fit, but every one of them costs more than the
# chapter says, the fp8-on-H100 row by far: fp8 weights fill almost the whole GPU and leave room
# for only a handful of sequences, so the batch — the main cost lever — stays tiny. For the bf16
# rows, here is what the model costs on replicas that do exist, at the same utilizations:

# %% tags=["nbval-check-output"]
for tp in cl.valid_tp(model, 8):
    d = cl.deployment(s5.model, s5.gpu, tp, "bf16")
    b = cl.memory_limited_batch(d, *cl.request_shape(d, CONTEXT))
    if b < 1:
        continue  # does not fit (TP=1, see above)
    costs = [cl.decode_usd_per_million(d, s5.usd_per_hour, b, CONTEXT, u)
             for u in (s5.low_utilization, s5.high_utilization)]
    print(f"{d.name}, batch {b:>3}: ${costs[0]:.2f}/M at {s5.low_utilization:.0%}, "
          f"${costs[1]:.2f}/M at {s5.high_utilization:.0%}")

# %% [markdown]
# Once bf16 has enough GPUs for a large batch, it lands in the chapter's ballpark. So the chapter's
# headline figure for 70B bf16 at high utilization survives, but not for the reason it gives: it
# comes from *multi-GPU* replicas with large batches, not from one H100.
#
# The chapter also promises large gains from fp8 and int4 weights (its figures are printed on the
# last line). On the cost-optimal H100 deployment of each — lowest <span>\$</span>/M over the tensor-parallel
# degrees, at the largest batch that fits (`cl.compare_hardware`) — with and without an fp8 KV cache:

# %% tags=["nbval-check-output"]
variants = [("bf16", None), ("fp8", None), ("int4", None), ("fp8", "fp8")]
for w, kv in variants:
    o = cl.compare_hardware(s5.model, w, kv, gpus=[s5.gpu], context=CONTEXT, usd_per_gpu_hour=s5.usd_per_hour).iloc[0]
    gain = best["usd_per_million"] / o["usd_per_million"]
    note = "(reference)" if (w, kv) == ("bf16", None) else f"({gain:.2f}× cheaper than bf16)"
    label = cl.deployment(s5.model, s5.gpu, int(o["tp"]), w, kv).name
    print(f"{label:<44} batch {o['batch']:>3}: ${o['usd_per_million']:.3f}/M {note}")
print(f"chapter: fp8 ~{s5.claimed_fp8_speedup:g}×, int4 {s5.claimed_int4_speedup[0]:g}-"
      f"{s5.claimed_int4_speedup[1]:g}×")

# %% [markdown]
# Weight-only quantization shrinks the weights but not the KV cache, and at large batches the KV
# reads are a large share of the bytes. The chapter's fp8 gain appears only when the KV cache is
# quantized too.

# %% [markdown]
# ## 3.6 Utilization: the biggest lever
#
# Whatever the configuration, the price per token at full load is divided by the duty cycle. The
# plot uses the cost-optimal bf16 deployment from 3.2, with two hosted-Llama API prices for
# reference; where the curve crosses an API line is the utilization self-hosting needs to break
# even. The grey dashed line and the star are the chapter's <span>\$</span>2/hour at 1,000 tokens/s.

# %%
plots.cost_vs_utilization(full_load, utilization=duty,
                          apis=("together-llama-3.3-70b", "deepinfra-llama-3.3-70b"),
                          label=dep.name);

# %% tags=["nbval-check-output"]
for api_id in ("together-llama-3.3-70b", "deepinfra-llama-3.3-70b"):
    api = cl.get_api_price(api_id)
    be = full_load / api["usd_per_million_output"]
    verdict = f"self-hosting breaks even above {be:.0%} utilization" if be <= 1 else \
        f"self-hosting never breaks even (it would need {be:.0%} utilization)"
    print(f"{api['provider']} at ${api['usd_per_million_output']:.2f}/M output: {verdict}")

# %% [markdown]
# ## 3.7 Explore
#
# The explorers come from `costlib.ui.widgets`: every control recomputes with costlib and redraws
# the figure; a configuration that does not fit says so instead of showing a number.
#
# **Utilization explorer.** Pick a deployment, set MBU/MFU and the duty cycle, and watch the
# realistic throughput and <span>\$</span>/M move against the ceiling and the API price. Which hurts more: MBU
# at the low end of its range, or a 50% duty cycle?

# %% tags=["nbval-ignore-output"]
widgets.utilization_explorer()

# %% [markdown]
# ## Takeaways
#
# - **MBU and MFU** measure how close a system gets to the bandwidth and compute peaks; decode is
#   judged by MBU, prefill by MFU.
# - Real throughput falls short for five reasons: engine overhead, sub-peak kernels, prefill mixed
#   into decode, a full KV cache, and idle time. The last one is usually the largest.
# - Published results from a highly tuned engine reach well under the physical ceiling even when
#   generation dominates; plan with realistic numbers, never with the peak.
# - The §30.5 table's bf16 single-H100 rows are impossible and its quantized rows are optimistic;
#   the "half a dollar per million" headline holds only for multi-GPU replicas with large batches.
# - **Cost divides by utilization**: an idle GPU-hour is billed like a busy one, so <span>\$</span>/M scales as
#   1 ÷ duty cycle — usually the largest factor of all.
# - Practise: [p5](../exercises/p5.ipynb), [p7](../exercises/p7.ipynb),
#   [cq2](../exercises/cq2.ipynb), [p6](../exercises/p6.ipynb), and the drill
#   [d2](../exercises/d2.ipynb) (an fp8 migration). Next: [04 · Prefill vs decode](04_prefill_vs_decode_cost.ipynb).
