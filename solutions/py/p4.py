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
# "Users" is vague; we answer a precise version. A user being served is one request in the
# batch: 1,024 prompt + 1,024 output tokens, all started together. The 8 GPUs form one replica
# with TP=8. Memory and speed come from the workbook's one engine (`cl.predict`, the model
# notebook 11 checks against published runs): its memory rule, stated in the question, and its
# calibrated profile's mid time per output token.
#
# **Give** `answer`: the largest number of concurrent requests whose TPOT is at most 200 ms.
# `cl.check("p4", answer)` accepts answers within ±0.5, i.e. only the exact count: one more
# request must not fit. (It accepts, with a note naming the convention, the counts you get with
# a decimal 80 × 10⁹ bytes per H100 or with vLLM's `gpu_memory_utilization=0.9`.)

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.kv_room import kv_room, largest_batch_by_memory, largest_batch_by_tpot
from costlib.teaching.questions_practice import P4

i, o = P4.input_tokens, P4.output_tokens
dep = cl.deployment(P4.model, P4.gpu, tp=P4.tp, weights=P4.weights)
P4

# %% [markdown]
# **Two limits.** Every request in the batch needs its own KV cache, so memory caps the batch.
# And every extra request makes each decode step a little slower, so the TPOT target caps it too.
# Which one bites first?

# %%
# BEGIN SOLUTION
room = kv_room(dep)
memory_cap = largest_batch_by_memory(room, i, o)
print(f"KV room: {room['kv_fraction']:.0%} x ({room['memory_bytes'] / 1e9:.1f} GB - {room['reserve_bytes'] / 1e9:.1f} GB "
      f"reserve - {room['weight_bytes'] / 1e9:.1f} GB weights) = {room['kv_bytes'] / 1e9:.1f} GB "
      f"-> {memory_cap} requests of {i + o:,} tokens")
print(cl.predict(dep, i, o, batch=memory_cap).message)
print(cl.predict(dep, i, o, batch=memory_cap + 1).message)
answer = cl.batch_for_tpot(dep, i, o, P4.tpot_target_s)
relaxed = cl.batch_for_tpot(dep, i, o, P4.tpot_target_relaxed_s)
print(f"largest batch with TPOT <= {P4.tpot_target_s * 1e3:g} ms: {answer}; "
      f"<= {P4.tpot_target_relaxed_s * 1e3:g} ms: {relaxed}")
print(f"TPOT at {answer}: {cl.predict(dep, i, o, batch=answer).tpot_s.mid * 1e3:.0f} ms (calibrated mid)")
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
for target in (P4.tpot_target_s, P4.tpot_target_relaxed_s):
    print(f"TPOT <= {target * 1e3:g} ms up to batch {largest_batch_by_tpot(dep, target, i, o):,} "
          f"(if memory allowed it)")
# END SOLUTION

# %% [markdown]
# **Other ways to use the 8 GPUs.** Would several smaller replicas serve more requests? Does an
# FP8 KV cache help?

# %%
# BEGIN SOLUTION
rows = []
for tp in cl.valid_tp(P4.model, max_tp=P4.n_gpus):
    for kv in ("bf16", "fp8"):
        d = cl.deployment(P4.model, P4.gpu, tp=tp, weights=P4.weights, kv=kv)
        per_replica = cl.batch_for_tpot(d, i, o, P4.tpot_target_s)
        rows.append({"tp": tp, "kv": kv, "replicas": P4.n_gpus // tp,
                     "requests": P4.n_gpus // tp * per_replica,
                     "TPOT ms": round(cl.predict(d, i, o, batch=per_replica).tpot_s.mid * 1e3, 1)
                     if per_replica else None})
pd.DataFrame(rows)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# One TP=8 replica holds the most requests: each smaller replica pays for its own full copy of
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
