# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Practice 5 · Why FP8 roughly doubles decode throughput
#
# *Chapter 30, practice problem 5 (§30.3, §30.5).*
#
# **Problem.** The chapter claims FP8 weights make decode about twice as cost-effective as bf16.
# Trace the claim through the bandwidth arithmetic of a decode step, and find where "twice" is
# only approximately true, and where FP8 does far better than twice.
#
# Setup: Llama 3.1 70B on two H100s (TP=2, the smallest setup that holds the bf16 weights), one
# sequence of 2,048 tokens (batch 1), KV cache in bf16, costlib's mid-range MBU/MFU.
#
# **Give** `answer`: the ratio of decode throughputs, FP8 tokens/s ÷ bf16 tokens/s, from costlib's
# roofline step (`cl.decode_tokens_per_s`) at batch 1. `cl.check("p5", answer)` accepts answers
# within 1%.

# %%
import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P5

ctx = ASSUMPTIONS.context
bf16 = cl.deployment(P5.model, P5.gpu, tp=P5.tp, weights="bf16")
fp8 = bf16.with_(weights="fp8")
P5

# %% [markdown]
# **Step 1: the bytes.** In the memory-bound regime a decode step streams every weight once, plus
# the KV cache of every sequence in the batch. Which of these shrink with FP8 weights?

# %%
# BEGIN SOLUTION
kv_bytes = P5.batch * ctx * cl.kv_bytes_per_token(P5.model)
for dep in (bf16, fp8):
    w = cl.weight_bytes(P5.model, dep.weights)
    print(f"{dep.weights.name}: weights {w / 1e9:6.1f} GB + KV {kv_bytes / 1e9:.2f} GB per step")
ceiling = {d.weights.name: cl.decode_ceiling_tokens_per_s(
    P5.tp * d.gpu.hbm_bytes_per_s, cl.weight_bytes(P5.model, d.weights), P5.batch)
    for d in (bf16, fp8)}
print(f"chapter's ceiling (weights only): {ceiling['bf16']:.1f} -> {ceiling['fp8']:.1f} tokens/s,"
      f" ratio {ceiling['fp8'] / ceiling['bf16']:.2f}")
# END SOLUTION

# %% [markdown]
# **Step 2: the full step.** Now let costlib time the whole step: weight and KV reads at the MBU,
# compute at the MFU, and the all-reduces of tensor parallelism.

# %%
# BEGIN SOLUTION
for dep in (bf16, fp8):
    s = cl.decode_step(dep, P5.batch, ctx)
    print(f"{dep.weights.name}: memory {s.memory_s * 1e3:.2f} ms, compute {s.compute_s * 1e3:.2f} ms,"
          f" communication {s.comm_s * 1e3:.2f} ms -> {s.tokens_per_s:.1f} tokens/s")
answer = cl.decode_tokens_per_s(fp8, P5.batch, ctx) / cl.decode_tokens_per_s(bf16, P5.batch, ctx)
print(f"FP8 / bf16 = {answer:.3f}")
# END SOLUTION

# %%
cl.check("p5", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# At batch 1 the weights dominate the bytes, so halving them nearly halves the step: the speed-up
# is just under 2. The KV cache (still bf16) and the communication time do not shrink, and their
# share grows with the batch and the context.
# <!-- END SOLUTION -->
#
# **Step 3: the capacity effect.** The same two GPUs, each format at the largest batch its memory
# holds. What happens to tokens/s and to <span>\$</span> per million tokens (at the chapter's <span>\$</span>2/GPU-hour)?

# %%
# BEGIN SOLUTION
for dep in (bf16, fp8):
    b = cl.fit(dep, ctx).max_batch
    tps = cl.decode_tokens_per_s(dep, b, ctx)
    usd = cl.decode_usd_per_million(dep, P5.usd_per_gpu_hour, b, ctx)
    print(f"{dep.weights.name}: batch {b:4d} -> {tps:7,.0f} tokens/s, ${usd:.2f} per million")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# This is the bigger effect for a 70B model on H100s. In bf16 the weights fill almost all of the
# two GPUs, leaving KV room for only a few sequences; FP8 frees half of that memory for KV cache,
# so the batch, and with it the tokens per GPU-hour, grows far more than twofold. "FP8 doubles
# throughput" is the same-batch bandwidth story; at full load, the capacity story dominates.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Memory-bound decode time is bytes read ÷ bandwidth: halving the bytes per weight nearly halves
#   the step when weights dominate.
# - Bytes that FP8 weights do not touch (bf16 KV cache, communication) keep the gain below 2×, and
#   more so at large batches and long contexts.
# - Freed memory becomes KV cache and a bigger batch: when the model barely fits, that capacity
#   gain dwarfs the bandwidth gain.
