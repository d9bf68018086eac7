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
# # 02 · The throughput ceiling: bandwidth, compute and the memory wall (§30.3)
#
# Notebook 01 left the denominator of the cost formula — tokens per second — as an input. Here we
# derive it from the hardware. The answer has two regimes, a single equation that covers both, and
# a hard limit the chapter's version leaves out: the memory that holds the KV cache.
#
# **Learning goals**
# 1. Explain why generating tokens (decode) is limited by memory bandwidth while reading the prompt
#    (prefill) is limited by compute, by counting bytes moved and FLOPs done per token.
# 2. Reproduce the chapter's two ceiling formulas with its inputs, then with the datasheet's.
# 3. Use the full step-time equation (memory, compute, communication, KV reads) and take one decode
#    step apart.
# 4. Find where "throughput grows linearly with batch" actually stops: the memory wall, for 70B in
#    bf16, fp8 and int4 at different tensor-parallel degrees.

# %%
import pandas as pd

import costlib as cl
from costlib.common import fmt
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

s3 = ch.S30_3  # the chapter's §30.3 inputs
model = cl.get_model(s3.model)
h100 = cl.get_gpu(s3.gpu)  # datasheet figures
CONTEXT = ch.CONTEXT_TOKENS  # tokens per sequence for every memory check (the chapter never states one)

# %% [markdown]
# ## 2.1 Two regimes: count the bytes and the FLOPs
#
# A transformer layer is mostly matrix multiplies against its weights. For every token it
# processes, each weight is used in one multiply and one add: **2 FLOPs per parameter per token**.
# What differs between the two phases is how many tokens share one trip of the weights from memory
# (HBM) to the compute units:
#
# * **Decode** produces one new token per sequence per step. Every step must stream *all* the
#   weights from HBM, and those bytes are then used for just one token per sequence in the batch.
#   With B sequences and 2-byte weights, the step does about 2·B FLOPs per 2 bytes read: an
#   *arithmetic intensity* of roughly B FLOP/byte.
# * **Prefill** processes a whole prompt of N tokens at once. The weights are read once and used N
#   times: about N FLOP/byte.
#
# A GPU is balanced at its *ridge point*: peak FLOP/s ÷ bytes/s. Below it, the compute units wait
# for memory (bandwidth-bound); above it, memory waits for compute (compute-bound).

# %% tags=["nbval-check-output"]
ridge = h100.flops_for("bf16") / h100.hbm_bytes_per_s
w_bytes = cl.weight_bytes(model, "bf16")
print(f"H100 ridge point: {h100.flops_for('bf16') / 1e12:,.0f} TFLOP/s ÷ "
      f"{h100.hbm_bytes_per_s / 1e12:.2f} TB/s = {ridge:,.0f} FLOP/byte")
print(f"decode, batch 1:  2 × {model.n_params / 1e9:.2f}e9 FLOP ÷ {w_bytes / 1e9:.1f} GB = "
      f"{2 * model.n_params / w_bytes:.1f} FLOP/byte  → bandwidth-bound")
n = s3.prompt_tokens
print(f"prefill, {n:,} tokens: 2 × {n:,} × params ÷ weight bytes = "
      f"{2 * n * model.n_params / w_bytes:,.0f} FLOP/byte → compute-bound")

# %% [markdown]
# In time rather than intensity: at batch 1, one decode step of the 70B model reads every weight
# once and does 2 FLOPs per weight. Timing both halves at the H100's peak rates shows how lopsided
# it is (per GPU; the weights would really be split over two GPUs, which halves both times):

# %% tags=["nbval-check-output"]
t_mem = w_bytes / h100.hbm_bytes_per_s
t_comp = 2 * model.n_params / h100.flops_for("bf16")
print(f"read {w_bytes / 1e9:.1f} GB at {h100.hbm_bytes_per_s / 1e12:.2f} TB/s: {t_mem * 1e3:6.2f} ms")
print(f"do {2 * model.n_params / 1e9:.1f} GFLOP at {h100.flops_for('bf16') / 1e12:,.0f} TFLOP/s: "
      f"{t_comp * 1e3:6.2f} ms")
print(f"memory takes {t_mem / t_comp:,.0f}× longer: the tensor cores idle most of each step")

# %% [markdown]
# This is the whole reason batching is the main lever of inference cost: the weights must be read
# anyway, so serving more sequences in the same step is almost free — until something else runs out.

# %% [markdown]
# ## 2.2 The chapter's two formulas (§30.3)
#
# From this picture the chapter derives two ceilings:
#
# $$
# \text{decode tokens/s} \le \frac{\text{HBM bandwidth}}{\text{model bytes}} \times B
# \qquad\qquad
# \text{prefill tokens/s} \le \frac{\text{peak FLOP/s}}{2 \times \text{params}}
# $$
#
# It evaluates them with **3 TB/s** for the H100's bandwidth. That is a rounded-down figure: the
# H100 SXM datasheet gives **3.35 TB/s**. It also rounds the model to 140 GB and 70 billion
# parameters. First, the chapter's numbers with the chapter's inputs:

# %% tags=["nbval-check-output"]
h100_ch = cl.get_gpu(s3.gpu, hbm_bytes_per_s=s3.hbm_bytes_per_s)  # the chapter's rounded 3 TB/s
print(f"chapter's inputs: {h100_ch.hbm_bytes_per_s / 1e12:.2f} TB/s, {s3.model_bytes / 1e9:.0f} GB, "
      f"{s3.n_params / 1e9:.0f}B params, {s3.peak_flops / 1e12:,.0f} TFLOP/s")
for b, claimed in zip(s3.batches, s3.claimed_decode_tokens_per_s, strict=True):
    tps = cl.decode_ceiling_tokens_per_s(h100_ch.hbm_bytes_per_s, s3.model_bytes, b)
    print(f"  decode ceiling, batch {b:>3}: {tps:7,.1f} tokens/s   (chapter: ~{claimed:,.0f})")
pre = cl.prefill_ceiling_tokens_per_s(s3.peak_flops, s3.n_params)
print(f"  prefill ceiling:           {pre:7,.0f} tokens/s   (chapter: ~{s3.claimed_prefill_tokens_per_s:,.0f})")
lo_mfu, hi_mfu = s3.practical_mfu
pre_lo = cl.prefill_ceiling_tokens_per_s(s3.peak_flops, s3.n_params, lo_mfu)
pre_hi = cl.prefill_ceiling_tokens_per_s(s3.peak_flops, s3.n_params, hi_mfu)
print(f"  prefill at {lo_mfu:.0%}-{hi_mfu:.0%} MFU:     {pre_lo:,.0f}-{pre_hi:,.0f} tokens/s   "
      f"(chapter: ~{s3.claimed_practical_prefill_tokens_per_s:,.0f})")
pre_mid = cl.prefill_ceiling_tokens_per_s(s3.peak_flops, s3.n_params, sum(s3.practical_mfu) / 2)
print(f"  {s3.prompt_tokens:,}-token prompt at {sum(s3.practical_mfu) / 2:.0%} MFU: "
      f"{s3.prompt_tokens / pre_mid:.2f} s   (chapter: ~{s3.claimed_prefill_time_s} s)")

# %% [markdown]
# The chapter's arithmetic is right. Now the same formulas with the datasheet bandwidth and the
# model's real size (its parameter count computed from the published architecture):

# %% tags=["nbval-check-output"]
rows = []
for b in s3.batches:
    rows.append({
        "batch": b,
        "chapter (3 TB/s, 140 GB)": cl.decode_ceiling_tokens_per_s(s3.hbm_bytes_per_s, s3.model_bytes, b),
        "datasheet (3.35 TB/s, real size)": cl.decode_ceiling_tokens_per_s(h100.hbm_bytes_per_s, w_bytes, b),
    })
ceil = pd.DataFrame(rows)
print("decode ceiling, tokens/s (bandwidth ÷ weight bytes × batch):")
print(ceil.round(1).to_string(index=False))
print(f"datasheet ÷ chapter: {ceil.iloc[0, 2] / ceil.iloc[0, 1]:.3f}× "
      f"({h100.hbm_bytes_per_s / s3.hbm_bytes_per_s:.3f}× the bandwidth, "
      f"{w_bytes / s3.model_bytes:.3f}× the bytes)")
print(f"prefill ceiling with {model.n_params / 1e9:.2f}B params: "
      f"{cl.prefill_ceiling_tokens_per_s(h100.flops_for('bf16'), model.n_params):,.0f} tokens/s")

# %% [markdown]
# So the datasheet makes decode somewhat *faster* than the chapter says. But both columns share a
# bigger problem: they assume one H100 holds the model (it doesn't — notebook 01) and that batch 256
# fits next to it. We come back to that in 2.4 after writing the complete equation.

# %% [markdown]
# ## 2.3 The master equation: one decode step, all of it
#
# The chapter's decode formula counts only the weights. A real decode step also reads every
# sequence's **KV cache** (the keys and values of all previous tokens, which attention needs), does
# the attention FLOPs that go with it, and — with tensor parallelism over TP GPUs — exchanges
# activations between GPUs twice per layer. The time of one step, which is also the time per
# output token (TPOT) every sequence sees, is
#
# $$
# t_\text{step}(B, C) \;=\; \max\!\Bigg(
#   \underbrace{\frac{W + B\,C\,k}{\mathrm{TP}\cdot \mathrm{BW}\cdot \mathrm{MBU}}}_{\text{memory: weights + KV reads}},\;
#   \underbrace{\frac{B\,\big(2N + 4\,L\,C\,H\,d\big)}{\mathrm{TP}\cdot F\cdot \mathrm{MFU}}}_{\text{compute: matmuls + attention}}
# \Bigg) \;+\; t_\text{comm}
# \qquad
# \text{tokens/s} = \frac{B}{t_\text{step}}
# $$
#
# with $W$ the weight bytes, $k$ the KV bytes per token ($2 \times$ layers $\times$ KV heads
# $\times$ head size $\times$ bytes), $C$ the context length, $N$ the parameter count, $L$ layers,
# $H$ attention heads of size $d$, BW and $F$ one GPU's bandwidth and peak FLOP/s, MBU and MFU the
# fractions of those peaks actually achieved (notebook 03), and
# $t_\text{comm} = 2L\big(\text{latency} + 2\tfrac{\mathrm{TP}-1}{\mathrm{TP}}\cdot B\cdot h \cdot 2\,\text{bytes} / \text{link BW}\big)$
# for TP > 1 ($h$ = hidden size). The max() says memory traffic and arithmetic overlap; whichever
# is slower sets the pace.
#
# Here is one step taken apart, for the smallest 70B bf16 replica that can exist (the smallest
# tensor-parallel degree that holds the weights), at the largest batch of 2,048-token sequences its
# memory holds, at the middle of the chapter's utilization ranges:

# %% tags=["nbval-check-output"]
dep2 = cl.deployment(s3.model, s3.gpu, tp=cl.min_tp(s3.model, s3.gpu, "bf16"), weights="bf16")
b2 = int(cl.max_batch(dep2, CONTEXT))
step = cl.decode_step(dep2, b2, CONTEXT)  # mid-range MBU and MFU
bw_eff = dep2.tp * dep2.gpu.hbm_bytes_per_s * cl.DEFAULT_MBU
w_s = cl.weight_bytes_read_per_step(dep2, b2) / bw_eff
kv_s = b2 * CONTEXT * cl.kv_bytes_per_token(model, dep2.kv) / bw_eff
print(f"{dep2.name}, batch {b2}, context {CONTEXT:,}, MBU {cl.DEFAULT_MBU:.3f}, MFU {cl.DEFAULT_MFU:.2f}")
print(f"  memory:  {step.memory_s * 1e3:6.2f} ms  (weights {w_s * 1e3:.2f} ms + KV cache {kv_s * 1e3:.2f} ms)")
print(f"  compute: {step.compute_s * 1e3:6.2f} ms")
print(f"  comm:    {step.comm_s * 1e3:6.2f} ms  (2 all-reduces × {model.n_layers} layers)")
print(f"  step = max(memory, compute) + comm = {step.step_time_s * 1e3:.2f} ms → {step.bound}-bound")
print(f"  {step.tokens_per_s:,.0f} tokens/s for the replica, {step.tokens_per_s / dep2.tp:,.0f} per GPU")
ch_formula = cl.decode_ceiling_tokens_per_s(dep2.tp * h100.hbm_bytes_per_s, w_bytes, b2)
print(f"  the chapter's formula for the same replica and batch: {ch_formula:,.0f} tokens/s")
measured_like = cl.decode_tokens_per_s_band(dep2, b2, CONTEXT)  # the calibrated profile (notebook 11)
print(f"  the workbook's calibrated engine, same replica and batch: {measured_like.mid:,.0f} tokens/s "
      f"({measured_like.low:,.0f}-{measured_like.high:,.0f})")

# %% [markdown]
# Compute is a small fraction of the step: decode is bandwidth-bound, as promised. Note what the
# chapter's formula leaves out: the KV reads (already a large share of the memory time at this
# small batch), the all-reduces, and the fact that no GPU reaches 100% of its bandwidth. The last
# line is what the rest of the workbook uses for prices: the same physics through `cl.predict`,
# with efficiencies and overheads fitted to published measurements (the calibrated profile,
# notebook 11), and its low-high band.

# %% [markdown]
# ## 2.4 The memory wall (§30.3)
#
# The chapter says throughput grows linearly with batch "until memory saturation" and then quotes
# batch 256 on one H100. Where does memory actually saturate? Every sequence in the batch needs
# its own KV cache, in the memory left over after the weights. For Llama 3.1 70B:

# %% tags=["nbval-check-output"]
kv_tok = cl.kv_bytes_per_token(model, "bf16")
print(f"KV cache per token (bf16): 2 × {model.n_layers} layers × {model.n_kv_heads} KV heads × "
      f"{model.head_dim} × 2 bytes = {kv_tok:,.0f} bytes")
print(f"one {CONTEXT:,}-token sequence: {kv_tok * CONTEXT / 1e9:.2f} GB")

# %% [markdown]
# The largest batch of 2,048-token sequences that fits, by weight precision and tensor-parallel
# degree (KV cache in bf16; 0 means even the weights don't fit):

# %% tags=["nbval-check-output"]
tps_ = cl.valid_tp(model, 8)
wall = pd.DataFrame(
    {f"TP={tp}": [cl.fit(cl.deployment(model, h100, tp, w), CONTEXT).max_batch for w in ("bf16", "fp8", "int4")]
     for tp in tps_},
    index=["bf16", "fp8", "int4"])
wall.index.name = "weights"
print(f"max batch at {CONTEXT:,} tokens per sequence, {model.name} on {fmt.gpu_name(h100.id)}:")
print(wall.to_string())

# %% [markdown]
# The chapter's batch 256 is out of reach of a single H100 in *any* of these precisions — its KV
# cache alone is larger than the whole GPU. The last line gives the tensor-parallel degree it takes
# in bf16:

# %% tags=["nbval-check-output"]
big_b = s3.batches[-1]
print(f"KV cache for {big_b} × {CONTEXT:,} tokens: {big_b * CONTEXT * kv_tok / 1e9:.1f} GB in bf16, "
      f"{big_b * CONTEXT * cl.kv_bytes_per_token(model, 'fp8') / 1e9:.1f} GB in fp8 "
      f"(one H100 has {h100.hbm_bytes / 1e9:.0f} GB in total)")
for w in ("bf16", "fp8", "int4"):
    print(" ", cl.fit(cl.deployment(model, h100, 1, w), CONTEXT, big_b).message)
print(f"smallest bf16 TP for batch {big_b}: {cl.min_tp(model, h100, 'bf16', 'bf16', CONTEXT, big_b)}")

# %% [markdown]
# And even with unlimited memory the line would not stay straight. The KV term $B\,C\,k$ grows with
# the batch just like the useful work, so tokens/s flattens towards $\mathrm{BW}/(C\,k)$. Pretend
# for a moment that one H100 could hold batch 256 (it can't) and count the KV reads at 100% of
# peak bandwidth:

# %% tags=["nbval-check-output"]
dep_imaginary = cl.deployment(model, h100, 1, "bf16")  # does not fit: a thought experiment only
roof = cl.decode_tokens_per_s(dep_imaginary, big_b, CONTEXT, mbu=1.0, mfu=1.0)
print(f"batch {big_b}, weights only (the chapter's formula): "
      f"{cl.decode_ceiling_tokens_per_s(h100.hbm_bytes_per_s, w_bytes, big_b):,.0f} tokens/s")
print(f"batch {big_b}, weights + KV reads at 100% bandwidth:  {roof:,.0f} tokens/s")
print(f"limit as batch → ∞ at {CONTEXT:,} tokens of context: "
      f"{h100.hbm_bytes_per_s / (CONTEXT * kv_tok):,.0f} tokens/s per H100")

# %% [markdown]
# ### The chapter's figure, corrected
#
# The chapter's §30.3 figure draws decode throughput as a straight line up to batch 256 on one
# H100, under a flat prefill ceiling. Below, the same axes for the smallest replica that can
# actually load the model in bf16 (from 2.3). The dashed grey line is the chapter's formula, the
# blue line the full roofline with KV reads, the green band the realistic range of notebook 03, the
# orange dotted line the prefill ceiling. The red vertical line is the memory wall; the star is the
# chapter's batch-256 point.

# %%
plots.decode_vs_batch(dep2, context=CONTEXT);

# %% [markdown]
# With eight H100s there is room for batch 256 and beyond, and the bend caused by the KV reads
# becomes visible: the blue line falls away from the chapter's straight line long before memory
# runs out.

# %%
dep8 = cl.deployment(model, h100, 8, "bf16")
plots.decode_vs_batch(dep8, context=CONTEXT, batch=big_b);

# %% [markdown]
# ## 2.5 The roofline and the ridge point
#
# The roofline plot puts the two regimes on one picture: attainable FLOP/s against arithmetic
# intensity. Decode steps sit on the sloped, bandwidth-limited part; a prefill sits on the flat,
# compute-limited roof. The ridge point is where they meet.

# %%
plots.roofline(dep8, context=CONTEXT, batches=(1, 8, 32, 128, 512));

# %% [markdown]
# At which batch would a decode step turn compute-bound? `cl.ridge_batch` solves
# memory time = compute time for the batch. With weights only (context 0) there is an answer; with
# a realistic context, the KV reads grow as fast as the FLOPs and at full hardware efficiency the
# step never turns compute-bound at all (∞). That is the precise version of the chapter's remark
# that compute saturation "won't happen until very large batch sizes":

# %% tags=["nbval-check-output"]
rows = []
for c in (0, 512, CONTEXT):
    rows.append({"context": c,
                 "ridge batch, 100% MBU/MFU": cl.ridge_batch(dep8, c, mbu=1.0, mfu=1.0),
                 "ridge batch, mid MBU/MFU": cl.ridge_batch(dep8, c)})
print(f"{dep8.name}: batch at which a decode step becomes compute-bound")
print(pd.DataFrame(rows).round(0).to_string(index=False))

# %% [markdown]
# At full efficiency and a realistic context the answer is "never"; at the middle of the
# utilization ranges compute becomes the slower resource a little sooner (MFU is lower than MBU),
# but still only at batches of several hundred sequences — which only a many-GPU replica can even
# hold. For planning purposes, dense decode is bandwidth-bound.

# %% [markdown]
# ## 2.6 Explore
#
# The explorers come from `costlib.ui.widgets`: every control recomputes with costlib and redraws
# the figure; a configuration that does not fit says so instead of showing a number.
#
# **Throughput explorer.** Choose model, GPU, precision, TP, context and batch. Watch the memory
# wall move as you change precision or TP, and compare the chapter's straight line with the
# roofline.

# %% tags=["nbval-ignore-output"]
widgets.throughput_explorer()

# %% [markdown]
# **Roofline explorer.** Move the batch and the context and see a decode step slide along the
# roof. Which change moves it towards the ridge faster: a bigger batch or a shorter context?

# %% tags=["nbval-ignore-output"]
widgets.roofline_explorer()

# %% [markdown]
# ## Takeaways
#
# - **Decode is bandwidth-bound** because every step streams all the weights to produce one token
#   per sequence; **prefill is compute-bound** because one read of the weights serves the whole
#   prompt. The ridge point (peak FLOP/s ÷ bandwidth) separates the two.
# - The chapter's ceilings are the right first estimate; it rounds the H100's 3.35 TB/s down to
#   3 TB/s and the model to 140 GB. Reproduce chapter figures with explicit overrides, use
#   datasheet figures otherwise.
# - The full step time is max(memory, compute) + communication, and memory includes the **KV
#   cache**, which grows with batch × context and bends the "linear" curve.
# - **The memory wall comes first**: 70B in bf16 does not even load on one H100, fp8 on one H100
#   leaves room for only a handful of sequences, and the chapter's batch 256 on one H100 is
#   impossible in any precision.
# - Practise: [cq3](../exercises/cq3.ipynb), [cq4](../exercises/cq4.ipynb),
#   [p5](../exercises/p5.ipynb), [p4](../exercises/p4.ipynb), and the drill
#   [d3](../exercises/d3.ipynb) (the KV-cache wall). Next: [03 · Peak vs real: utilization](03_utilization.ipynb), how far below these
#   ceilings real engines run.
