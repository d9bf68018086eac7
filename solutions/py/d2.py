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
# # Drill 2 · Moving to FP8: how many GPUs does it free?
#
# *Interview drill 2 (§30.5, §30.8, §30.10): "if we switch to FP8 quantization, how many GPUs
# can we cut?"*
#
# **Problem.** The service of §30.10 (1,000,000 users, 10 sessions a day of 500 output tokens,
# peak 3× the average, 30% headroom) runs Llama 3.1 70B in bf16 on H100s, in replicas of two
# GPUs (TP=2), since the bf16 weights do not fit one GPU. You move the weights to FP8; the KV
# cache stays in bf16. Two plans are on the table:
#
# - *one GPU per replica*: "FP8 70B fits on a single H100" (the chapter's §30.8 argument);
# - *keep two GPUs per replica*, same layout as today.
#
# Size the fleet before and after with §30.10's rubric, in whole replicas. Each replica decodes
# at the largest batch of 2,048-token sequences it holds, at the middle of §30.4's MBU range.
#
# **Give** `answer`: the number of GPUs the better FP8 plan cuts, GPUs before minus GPUs after
# (a whole number). `cl.check("d2", answer)` accepts answers within ±0.1, i.e. only the exact
# count.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_drills import ASSUMPTIONS, D2

ctx = ASSUMPTIONS.context
layouts = {"bf16 TP=2 (today)": (D2.weights_before, D2.tp_before)}
layouts.update({f"fp8 TP={tp}": (D2.weights_after, tp) for tp in D2.tp_after_options})
D2

# %% [markdown]
# **Physics first.** What does each layout hold? Every plan must fit before it is sized.

# %%
for name, (weights, tp) in layouts.items():
    dep = cl.deployment(D2.model, D2.gpu, tp=tp, weights=weights)
    print(f"{name:18} {cl.fit(dep, context=ctx).message}")

# %% [markdown]
# **Step 1: tokens/s per GPU of each layout.**
#
# <!-- BEGIN SOLUTION -->
# Run each layout at the batch its memory allows; divide the replica's tokens/s by its GPUs.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
rows, rate = [], {}
for name, (weights, tp) in layouts.items():
    dep = cl.deployment(D2.model, D2.gpu, tp=tp, weights=weights)
    f = cl.fit(dep, context=ctx)
    rate[name] = cl.decode_tokens_per_s(dep, f.max_batch, ctx) / tp
    kv_room = (f.usable_bytes - f.weight_bytes) / tp
    rows.append({"layout": name, "KV room per GPU (GB)": round(kv_room / 1e9, 1),
                 "batch": f.max_batch, "tokens/s per GPU": round(rate[name])})
pd.DataFrame(rows)
# END SOLUTION

# %% [markdown]
# **Step 2: size the fleets, before and after.**
#
# <!-- BEGIN SOLUTION -->
# `cl.gpus_saved` runs the §30.10 rubric twice (before and after)
# and rounds each fleet up to whole replicas.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
before = "bf16 TP=2 (today)"
cuts = {}
for tp in D2.tp_after_options:
    s = cl.gpus_saved(D2.users, D2.sessions_per_day, D2.tokens_per_session, rate[before],
                      rate[f"fp8 TP={tp}"], gpus_per_replica_before=D2.tp_before,
                      gpus_per_replica_after=tp, peak_factor=D2.peak_factor,
                      headroom=D2.headroom, usd_per_gpu_hour=ASSUMPTIONS.reserved_usd_per_gpu_hour)
    cuts[tp] = s["gpus_cut"]
    saved = s["monthly_usd_saved"]
    print(f"fp8 TP={tp}: {s['gpus_before']:,} -> {s['gpus_after']:,} GPUs, cut {s['gpus_cut']:,} "
          f"(${abs(saved):,.0f}/month {'saved' if saved >= 0 else 'extra'} at "
          f"${ASSUMPTIONS.reserved_usd_per_gpu_hour:.2f}/GPU-hour)")
answer = max(cuts.values())
answer
# END SOLUTION

# %%
cl.check("d2", answer)

# %% [markdown]
# **Why does one plan cut so much more than the other?** Compare the memory each layout leaves
# per GPU for KV cache. Which plan changes it, and what does that do to the batch?

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Per GPU, "FP8 on one H100" is the same machine as "bf16 on two": each GPU holds half of the
# bf16 weights' bytes, and has the same few GB left for KV cache. Each GPU therefore decodes about
# as many sequences, reading about as many bytes per step, and makes about as many tokens per
# second; the single-GPU plan only saves the tensor-parallel communication and may not cut a
# single GPU.
#
# Keeping two GPUs per replica is what pays: FP8 frees half of the weight memory, and all of it
# becomes KV cache. The batch grows many-fold, while the bytes read per step barely grow. That is
# far more than the "2×" of §30.5, and it comes from memory capacity, not from bandwidth. (An FP8
# KV cache would double the batch again.)
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Quantization pays through memory: the bytes it frees become KV cache, hence batch, hence
#   tokens/s per GPU. Spending the saving on fewer GPUs per replica can throw the gain away.
# - Compare layouts per GPU, at the batch each one holds (`cl.fit(...).max_batch`), before
#   sizing anything.
# - Size both fleets with the same rubric (peak, headroom, whole replicas) and subtract; never
#   just halve the fleet.
