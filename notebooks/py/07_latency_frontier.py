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
# sequences (1,024 prompt + 1,024 output tokens, a batch of requests started together).
# `cl.sweep_batch` returns TPOT, throughput and <span>\$</span>/M (with its low-high band) for each
# batch. Its numbers come from the workbook's one prediction path, `cl.predict`, on the
# **calibrated** profile: the efficiencies fitted to published measurements (notebook 11). The last
# column repeats the sweep with the chapter's textbook efficiencies (`profile="chapter"`, MBU
# 60-85%, MFU 30-50%, no overheads), so you can see what the chapter's numbers say beside what
# measurements say.

# %% tags=["nbval-check-output"]
s = ch.S30_9
price, context = s.usd_per_hour, ch.CONTEXT_TOKENS
dep = cl.deployment(s.large_model, s.gpu, tp=4, weights=s.weights)
sweep = cl.sweep_batch(dep, price, context)
textbook = cl.sweep_batch(dep, price, context, batches=sweep["batch"], profile="chapter")
view = sweep.assign(tpot_ms=sweep["tpot_s"] * 1e3, tokens_per_s_per_user=1 / sweep["tpot_s"],
                    chapter_usd_per_million=textbook["usd_per_million"])
first, last = sweep.iloc[0], sweep.iloc[-1]
print(f"{dep.name}: from batch {first['batch']} to {last['batch']}, TPOT x{last['tpot_s'] / first['tpot_s']:.1f}, "
      f"$/M / {first['usd_per_million'] / last['usd_per_million']:.0f}")
print(f"at batch {last['batch']}: ${last['usd_per_million']:.2f}/M measured-calibrated "
      f"(${last['usd_per_million_low']:.2f}-{last['usd_per_million_high']:.2f}), "
      f"${textbook['usd_per_million'].iloc[-1]:.2f}/M with the chapter's efficiencies")
cheaper = int((textbook["usd_per_million"] < sweep["usd_per_million"]).sum())
print(f"the chapter's efficiencies give the lower $/M at {cheaper} of {len(sweep)} batch sizes")
view[["batch", "tpot_ms", "tokens_per_s_per_user", "tokens_per_s", "usd_per_million", "usd_per_million_low",
      "usd_per_million_high", "chapter_usd_per_million"]].round(2)

# %% [markdown]
# From batch 1 to the largest batch the memory holds, TPOT grows modestly while <span>\$</span>/M collapses
# (the first line above). This is why serving engines batch as hard as they can. Compare the last
# two columns (and the last line): where the chapter's textbook efficiencies come out cheaper,
# it is because real engines lose time to kernel launches, all-reduces and scheduling that the
# textbook ranges leave out.
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
    for t in targets_s:
        b = cl.largest_batch_under_tpot(dep, t, c)
        row = {"context": c, "TPOT target ms": t * 1e3, "largest batch": b}
        if b:  # one more request either breaks the target (latency) or does not fit (memory)
            r = cl.sweep_batch(dep, price, c, batches=[b, b + 1])
            row.update({"limited by": "latency" if r["fits"].iloc[1] else "memory",
                        "TPOT ms": r["tpot_s"].iloc[0] * 1e3, "$/M": r["usd_per_million"].iloc[0]})
        else:
            row["limited by"] = "latency: batch 1 misses it"
        rows.append(row)
targets = pd.DataFrame(rows).set_index(["context", "TPOT target ms"])
batch1_ms = sweep["tpot_s"].iloc[0] * 1e3
print(f"batch 1 already takes {batch1_ms:.1f} ms per token at {context:,} tokens: a 20 ms target is out of reach")
targets.round(3)

# %% [markdown]
# The surprise is the "limited by" column. A target stricter than batch 1's TPOT cannot be met
# by batching at all (it needs more GPUs or a smaller model), and the shortest sequences let
# latency decide; otherwise the KV cache fills the memory before TPOT reaches the target, so
# relaxing it from 50 ms to 200 ms buys nothing. There is a reason for it:
#
# ## 3. The memory wall cuts the frontier
#
# When the KV cache has filled every free byte, a memory-bound step reads essentially the whole
# usable memory once. So TPOT at the memory wall is at least **usable memory ÷ (bandwidth × MBU)**,
# whatever the model and however the memory is split between weights and cache; the attention
# kernels, the all-reduces and the per-step overheads come on top:

# %% tags=["nbval-check-output"]
g = dep.gpu
mbu = cl.get_profile("calibrated").mid.mbu
full_read = cl.usable_bytes(g) / (g.hbm_bytes_per_s * mbu)
wall = int(last["batch"])
print(f"reading all usable memory of one {g.id} once at the calibrated MBU ({mbu:.0%}): {full_read * 1e3:.1f} ms")
print(f"{dep.name} at its memory wall (batch {wall}, {context:,} tokens): "
      f"TPOT {last['tpot_s'] * 1e3:.1f} ms (includes TP all-reduces and overheads)")

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
    run = cl.predict(d, *cl.request_shape(d, context))  # max throughput: the memory-limited batch
    r = cl.sweep_batch(d, price, context, batches=[run.batch]).iloc[0]
    rows.append({"replica": label, "largest batch": run.batch, "TPOT ms": r["tpot_s"] * 1e3, "bound": run.bound,
                 "$/M": r["usd_per_million"]})
walls = pd.DataFrame(rows).set_index("replica")
base = walls["$/M"].iloc[0]
for name, r in walls.iloc[1:].iterrows():
    print(f"{name}: {r['largest batch'] / walls['largest batch'].iloc[0]:.1f}x the batch, "
          f"$/M x{r['$/M'] / base:.2f} vs bf16 KV on 4xH100")
walls.round(3)

# %% [markdown]
# Both remedies move the wall out (the lines above the table). A smaller KV cache does it for free;
# eight GPUs do it by paying for twice the GPU-hours, so their tokens get cheaper only if the extra
# batch more than doubles the throughput. The "bound" column says which limit a step at that batch
# meets first: once it is "compute", a bigger batch only adds latency. Every
# frontier ends at a wall, memory or compute, whichever comes first. (There is no batch cap here:
# the batch is what the memory holds, up to the engine's own limit of
# `cl.get_profile("calibrated").limits.max_batch` sequences.)
#
# ## 4. Quality tiers: model size vs cost
#
# The chapter's first trade-off is quality against cost: a small model is much cheaper per token,
# a big one is needed for hard tasks. We put three Llama 3.1 sizes on H100s at <span>\$</span>2/GPU-hour, each
# at the **smallest TP** that holds it and at its **cost-optimal TP**, each at the largest batch
# its memory holds (`cl.compare_hardware` with `tp="smallest"` and `tp="cheapest"`). 405B in bf16
# does not fit even on eight H100s, so it runs in FP8:

# %% tags=["nbval-check-output"]
print(cl.fit(cl.deployment("llama-3.1-405b", s.gpu, tp=8, weights="bf16"), context=context).message)

# %% tags=["nbval-check-output"]
tiers = [("llama-3.1-8b", "bf16"), ("llama-3.1-70b", "bf16"), ("llama-3.1-405b", "fp8")]
rows = []
for model, weights in tiers:
    small, best = (cl.compare_hardware(model, weights, gpus=[s.gpu], context=context, usd_per_gpu_hour=price,
                                       tp=rule).iloc[0] for rule in ("smallest", "cheapest"))
    d = cl.deployment(model, s.gpu, tp=int(best["tp"]), weights=weights)
    rows.append({"model": f"{model} {weights}", "smallest TP": small["tp"], "batch": small["batch"],
                 "$/M": small["usd_per_million"], "best TP": best["tp"], "best batch": best["batch"],
                 "best $/M": best["usd_per_million"],
                 "TPOT ms at batch 1": cl.sweep_batch(d, price, context, batches=[1])["tpot_s"].iloc[0] * 1e3,
                 "batch <= 50 ms": cl.largest_batch_under_tpot(d, 0.050, context)})
quality = pd.DataFrame(rows).set_index("model")
quality.round(3)

# %% tags=["nbval-check-output"]
small, large = quality.iloc[0], quality.iloc[1]
print(f"chapter: a ~7B model is about {s.claimed_cost_ratio:g}x cheaper than a 70B one")
print(f"70B vs 8B, both at their cost-optimal TP: {large['best $/M'] / small['best $/M']:.1f}x")
print(f"70B at its smallest TP vs 8B            : {large['$/M'] / small['$/M']:.1f}x")
one_seq = {m: cl.sweep_batch(cl.deployment(m, s.gpu, tp=int(quality.loc[f"{m} bf16", "best TP"])), price, context,
                             batches=[1])["usd_per_million"].iloc[0] for m in (s.small_model, s.large_model)}
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
