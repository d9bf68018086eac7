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
# # Practice 4 · How many users fit on 8 H100s at a 200 ms TPOT?
#
# *Chapter 30, practice problem 4 (§30.3, §30.9).*
#
# **Problem.** You have 8 H100s and serve Llama 3.1 70B in bf16. How many users can be served at
# once if each must receive a token at least every 200 ms (time per output token, TPOT)? And with
# a looser 500 ms?
#
# "Users" is vague; we answer a precise version. A user being served is one sequence in the
# decode batch, with a 2,048-token context. The 8 GPUs form one replica with TP=8. Throughput
# comes from costlib's roofline step time at the middle of the chapter's MBU/MFU ranges.
#
# **Give** `answer`: the largest number of concurrent 2,048-token sequences whose TPOT is at most
# 200 ms. `cl.check("p4", answer)` accepts answers within ±0.5, i.e. only the exact count: one
# more sequence must not fit. (It accepts, with a note naming the convention, the counts you get
# with 80 GiB per H100 or with vLLM's `gpu_memory_utilization=0.9`.)

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P4

ctx = ASSUMPTIONS.context
dep = cl.deployment(P4.model, P4.gpu, tp=P4.tp, weights=P4.weights)
P4

# %% [markdown]
# **Two limits.** Every sequence in the batch needs its own KV cache, so memory caps the batch.
# And every extra sequence makes each decode step a little slower, so the TPOT target caps it too.
# Which one bites first?

# %%
# BEGIN SOLUTION
memory_cap = cl.fit(dep, context=ctx).max_batch
print(cl.fit(dep, context=ctx).message)
print(f"TPOT with all {memory_cap} sequences: {cl.tpot_s(dep, memory_cap, ctx) * 1e3:.0f} ms")
answer = cl.largest_batch_under_tpot(dep, P4.tpot_target_s, context=ctx)
relaxed = cl.largest_batch_under_tpot(dep, P4.tpot_target_relaxed_s, context=ctx)
print(f"largest batch with TPOT <= {P4.tpot_target_s * 1e3:g} ms: {answer}; "
      f"<= {P4.tpot_target_relaxed_s * 1e3:g} ms: {relaxed}")
# END SOLUTION

# %%
cl.check("p4", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Memory binds, not latency: a full batch still decodes far faster than 200 ms per token, so
# relaxing the target to 500 ms changes nothing. How large a batch would the latency target allow
# if memory were unlimited? Step time grows slowly with the batch, because the weights are read
# once per step whatever the batch:
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
import numpy as np

batches = np.arange(1, 20_001)
steps = cl.decode_step(dep, batches, ctx).step_time_s
for target in (P4.tpot_target_s, P4.tpot_target_relaxed_s):
    print(f"TPOT <= {target * 1e3:g} ms up to batch {int(batches[steps <= target].max()):,} "
          f"(if memory allowed it)")
# END SOLUTION

# %% [markdown]
# **Other ways to use the 8 GPUs.** Would several smaller replicas serve more sequences? Does an
# FP8 KV cache help?

# %%
# BEGIN SOLUTION
rows = []
for tp in cl.valid_tp(P4.model, max_tp=P4.n_gpus):
    for kv in ("bf16", "fp8"):
        d = cl.deployment(P4.model, P4.gpu, tp=tp, weights=P4.weights, kv=kv)
        per_replica = cl.largest_batch_under_tpot(d, P4.tpot_target_s, context=ctx)
        rows.append({"tp": tp, "kv": kv, "replicas": P4.n_gpus // tp,
                     "sequences": P4.n_gpus // tp * per_replica,
                     "TPOT ms": round(cl.tpot_s(d, per_replica, ctx) * 1e3, 1)
                     if per_replica else None})
pd.DataFrame(rows)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# One TP=8 replica holds the most sequences: each smaller replica pays for its own full copy of
# the weights, leaving less memory for KV cache. Storing the KV cache in FP8 doubles the count.
#
# Finally, a chat user is not decoding all the time: they read, type and wait between turns. The
# number of people a deployment supports is this concurrency divided by the fraction of time a
# user is actually receiving tokens, which depends on the product, not on the hardware.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - For a 70B model on H100s, the KV cache, not the TPOT target, usually limits concurrency:
#   check memory first.
# - Decode step time grows slowly with batch size (the weights are read once per step), so
#   latency targets bind late.
# - Splitting a node into smaller replicas duplicates the weights and costs KV room; FP8 KV cache
#   is the cheapest way to double concurrency.
