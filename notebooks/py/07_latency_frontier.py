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
# # 07 · Cost, latency and quality: the serving frontier (§30.9)
#
# A bigger decode batch shares each read of the weights among more sequences, so tokens get
# cheaper. But every sequence in the batch waits for the whole step, so each user's tokens arrive
# more slowly. A bigger model answers better but costs more per token at any speed. Serving is
# choosing a point on these trade-offs.
#
# **In this notebook you will**
#
# 1. sweep the batch size and watch time per output token (TPOT) rise while <span>\$</span>/M falls;
# 2. read the Pareto frontier and find the largest batch that meets a TPOT target
#    (interactive vs offline);
# 3. see where memory, not latency, ends the frontier;
# 4. compare quality tiers (8B, 70B, 405B) on cost and speed.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

# %% [markdown]
# ## 1. One replica, many batch sizes
#
# In a memory-bound decode step (§30.3) the GPU streams the weights once, plus the KV cache of
# every sequence in the batch. For a batch of $B$ sequences of context $C$:
#
# $$\text{TPOT} \approx \frac{W + B \cdot C \cdot \text{kv}}{\text{bandwidth} \times \text{MBU}}, \qquad
# \text{tokens/s} = \frac{B}{\text{TPOT}}.$$
#
# The weight term $W$ is paid once per step, however many sequences share it; the KV term grows
# with the batch. Small batches are therefore fast but expensive, large ones cheap but slower.
# Once a step's arithmetic outgrows its memory traffic, it turns compute-bound and a bigger batch
# no longer makes tokens cheaper.
#
# We sweep the batch for the 70B model in bf16 on four H100s: the smallest replica with room for
# real batches (notebook 04), at the chapter's <span>\$</span>2/GPU-hour and the workbook's 2,048-token
# sequences. `cl.sweep_batch` returns TPOT, throughput and <span>\$</span>/M for each batch.

# %% tags=["nbval-check-output"]
s = ch.S30_9
price, context = s.usd_per_hour, ch.CONTEXT_TOKENS
dep = cl.deployment(s.large_model, s.gpu, tp=4, weights=s.weights)
sweep = cl.sweep_batch(dep, price, context)
view = sweep.assign(tpot_ms=sweep["tpot_s"] * 1e3, tokens_per_s_per_user=1 / sweep["tpot_s"])
first, last = sweep.iloc[0], sweep.iloc[-1]
print(f"{dep.label}: from batch {first['batch']} to {last['batch']}, TPOT x{last['tpot_s'] / first['tpot_s']:.1f}, "
      f"$/M / {first['usd_per_million'] / last['usd_per_million']:.0f}")
view[["batch", "tpot_ms", "tokens_per_s_per_user", "tokens_per_s", "usd_per_million", "bound"]].round(2)

# %% [markdown]
# From batch 1 to the largest batch the memory holds, TPOT grows modestly while <span>\$</span>/M collapses
# (the first line above). This is why serving engines batch as hard as they can.
#
# ## 2. The Pareto frontier and TPOT targets
#
# A configuration is on the **Pareto frontier** when no other is both faster and cheaper.
# `cl.pareto_frontier` keeps those rows. While decode stays memory-bound, every extra sequence
# makes tokens slower and cheaper at once, so every batch size is on the frontier: you can only
# buy lower cost with higher latency.

# %% tags=["nbval-check-output"]
front = cl.pareto_frontier(sweep)
print("batches on the frontier:", front["batch"].tolist())
print("batches in the sweep   :", sweep["batch"].tolist())

# %% [markdown]
# A latency target turns the frontier into a choice. An **interactive** chat might ask for
# 50 ms per token (20 tokens/s per user, faster than people read); an **offline** batch job can
# accept 200 ms, the target of the chapter's practice problem 4. `cl.largest_batch_under_tpot`
# finds the largest batch that meets the target *and* fits in memory; the cheapest point under a
# target is that batch. We add a strict 20 ms target and three context lengths.

# %% tags=["nbval-check-output"]
targets_s = (0.020, 0.050, 0.200)
rows = []
for c in (512, 2048, 8192):
    wall = cl.max_batch(dep, c)
    for t in targets_s:
        b = cl.largest_batch_under_tpot(dep, t, c)
        rows.append({"context": c, "TPOT target ms": t * 1e3, "largest batch": b,
                     "limited by": "memory" if b == wall else "latency",
                     "TPOT ms": cl.tpot_s(dep, b, c) * 1e3,
                     "$/M": cl.decode_usd_per_million(dep, price, b, c)})
targets = pd.DataFrame(rows).set_index(["context", "TPOT target ms"])
targets.round(3)

# %% [markdown]
# The surprise is the "limited by" column. Only the strictest target or the shortest sequences
# let latency decide; otherwise the KV cache fills the memory before TPOT reaches 50 ms, so
# relaxing the target from 50 ms to 200 ms buys nothing. There is a reason for it:
#
# ## 3. The memory wall cuts the frontier
#
# When the KV cache has filled every free byte, a memory-bound step reads essentially the whole
# usable memory once. So TPOT at the memory wall is close to **usable memory ÷ (bandwidth × MBU)**,
# whatever the model and however the memory is split between weights and cache:

# %% tags=["nbval-check-output"]
g = dep.gpu
full_read = cl.usable_bytes(g) / (g.hbm_bytes_per_s * cl.DEFAULT_MBU)
wall = cl.max_batch(dep, context)
print(f"reading all usable memory of one {g.id} once: {full_read * 1e3:.1f} ms")
print(f"{dep.label} at its memory wall (batch {wall}, {context:,} tokens): "
      f"TPOT {cl.tpot_s(dep, wall, context) * 1e3:.1f} ms (includes TP all-reduces)")

# %% [markdown]
# On H100-class GPUs that is a few tens of milliseconds, so a memory-bound replica at 2,048 tokens
# runs out of memory before it runs out of latency budget. Only when steps become compute-bound
# (very short sequences, huge batches) does TPOT climb much higher.
#
# What lies beyond the wall? Below, the sweep continues past the largest batch that fits: those
# batches would be cheaper still, but their KV cache does not fit, so they get no price. The
# figure marks the cheapest point under the 50 ms target and notes the batches that do not fit.

# %%
beyond = cl.sweep_batch(dep, price, context, batches=[1, 2, 4, 8, 16, 32, 64, 128, wall, 512, 1024])
plots.latency_frontier(beyond, tpot_target_s=0.050);

# %% [markdown]
# Ways to push the wall out: more memory per replica (TP=8, or GPUs with more HBM), or a smaller
# KV cache. Storing the cache in FP8 halves its bytes per token, so twice as many sequences fit,
# and each step reads fewer bytes:

# %% tags=["nbval-check-output"]
rows = []
for label, d in (("bf16 KV, 4xH100", dep), ("fp8 KV, 4xH100", dep.with_(kv="fp8")),
                 ("bf16 KV, 8xH100", dep.with_(tp=8))):
    b = cl.max_batch(d, context)
    st = cl.decode_step(d, b, context)
    rows.append({"replica": label, "largest batch": b, "TPOT ms": st.step_time_s * 1e3, "bound": st.bound,
                 "$/M": cl.decode_usd_per_million(d, price, b, context)})
pd.DataFrame(rows).set_index("replica").round(3)

# %% [markdown]
# Both remedies move the wall out and make tokens cheaper, but at their new walls the steps have
# turned compute-bound (the "bound" column): past that point a bigger batch only adds latency. Every
# frontier ends at a wall, memory or compute, whichever comes first.
#
# ## 4. Quality tiers: model size vs cost
#
# The chapter's first trade-off is quality against cost: a small model is much cheaper per token,
# a big one is needed for hard tasks. We put three Llama 3.1 sizes on H100s at <span>\$</span>2/GPU-hour, each
# at the **smallest TP** that holds it and at its **cost-optimal TP**, each at the largest batch
# that fits (at most 256). 405B in bf16 does not fit even on eight H100s, so it runs in FP8:

# %% tags=["nbval-check-output"]
print(cl.fit(cl.deployment("llama-3.1-405b", s.gpu, tp=8, weights="bf16"), context=context).message)

# %% tags=["nbval-check-output"]
tiers = [("llama-3.1-8b", "bf16"), ("llama-3.1-70b", "bf16"), ("llama-3.1-405b", "fp8")]
rows = []
for model, weights in tiers:
    tp = cl.min_tp(model, s.gpu, weights, context=context)
    d = cl.deployment(model, s.gpu, tp=tp, weights=weights)
    b = min(cl.max_batch(d, context), ch.BATCH_CAP)
    best = ch.cheapest_deployment(model, s.gpu, weights, usd_per_gpu_hour=price)
    b50 = cl.largest_batch_under_tpot(best["deployment"], 0.050, context)
    rows.append({"model": f"{model} {weights}", "smallest TP": tp, "batch": b,
                 "TPOT ms": cl.tpot_s(d, b, context) * 1e3, "$/M": cl.decode_usd_per_million(d, price, b, context),
                 "best TP": best["tp"], "best batch": best["batch"], "best $/M": best["usd_per_million"],
                 "TPOT ms at batch 1": cl.tpot_s(best["deployment"], 1, context) * 1e3,
                 "batch <= 50 ms": b50})
quality = pd.DataFrame(rows).set_index("model")
quality.round(3)

# %% tags=["nbval-check-output"]
small, large = quality.iloc[0], quality.iloc[1]
print(f"chapter: a ~7B model is about {s.claimed_cost_ratio:g}x cheaper than a 70B one")
print(f"70B vs 8B, both at their cost-optimal TP: {large['best $/M'] / small['best $/M']:.1f}x")
print(f"70B at its smallest TP vs 8B            : {large['$/M'] / small['$/M']:.1f}x")
one_seq = {m: cl.decode_usd_per_million(ch.cheapest_deployment(m, s.gpu, usd_per_gpu_hour=price)["deployment"],
                                        price, 1, context) for m in (s.small_model, s.large_model)}
print(f"70B vs 8B at batch 1 (latency-first)    : {one_seq[s.large_model] / one_seq[s.small_model]:.1f}x")

# %% [markdown]
# "Ten times cheaper" is not one number. Both models have 8 KV heads, so their KV cache per token
# differs far less than their weights; at large batches, where KV reads dominate, the gap
# narrows. At batch 1, where the weights dominate, it is wide, and against a cramped 70B replica
# it is wider still. The deployment you compare against matters as much as the model size.
#
# The largest model costs more per token than the 8B at every setting and cannot go as fast: even
# on eight H100s its batch-1 TPOT is the highest of the three. Quality has a price in both dollars
# and milliseconds.
#
# ## 5. Explore
#
# Choose a deployment, a context length and a TPOT target. The explorer sweeps the batch, draws
# the frontier and reports the largest batch under the target and whether memory or latency
# stopped it.

# %% tags=["nbval-ignore-output"]
widgets.latency_explorer(tpot_target_ms=50, weights="bf16", tp=4)

# %% [markdown]
# ## Takeaways
#
# * Batching trades latency for cost: TPOT rises slowly with the batch while <span>\$</span>/M falls steeply,
#   and while decode is memory-bound every batch size sits on the Pareto frontier.
# * Pick the batch from the latency target: the cheapest point under a TPOT target is the largest
#   batch that meets it and fits.
# * On H100-class GPUs the memory wall often arrives before a 50 ms target does: at the wall a step
#   reads the whole memory once, which takes only a few tens of milliseconds. More memory or a
#   smaller KV cache moves the wall until compute becomes the limit.
# * Smaller models are cheaper and faster, but "how much cheaper" depends on batch and deployment,
#   not only on the parameter count.
#
# Practise it: [p4](../exercises/p4.ipynb) (how many users eight H100s serve at a TPOT target).
#
# **Next:** [07b · Latency under load](07b_latency_under_load.ipynb): what a user waits for as the
# request rate grows.
