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
# # Drill 12 · Disaggregated serving: sizing a prefill pool and a decode pool
#
# *Interview drill 12 (§30.6): prefill and decode on separate replicas, each pool sized for its
# own bottleneck.*
#
# **Problem.** A RAG service receives 25 requests per second, each with a 2,000-token prompt and a
# 200-token answer, around the clock. It runs Llama 3.1 70B in FP8 on H100s with prefill and
# decode **disaggregated**: one pool of TP=2 replicas only runs prefills, another pool of TP=2
# replicas only decodes (the KV cache moves between them). How many GPUs do the two pools need
# together?
#
# **Assumptions.** Flat traffic and no headroom (to keep the drill about the split). A prefill
# replica runs one prompt at a time at costlib's prefill rate (mid-range MFU). A decode replica
# runs the largest batch of 2,200-token sequences (prompt + output) its memory holds, at costlib's
# roofline decode rate. Each pool is a whole number of replicas.
#
# **Give** `answer`: the GPUs in both pools together (a whole number). `cl.check("d12", answer)`
# accepts answers within ±0.5, i.e. only the exact count.

# %%
import math

import costlib as cl
from costlib.teaching.questions_scale import D12

dep = cl.deployment(D12.model, D12.gpu, tp=D12.tp, weights=D12.weights)
D12

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Each pool has its own demand and its own per-replica rate. The prefill pool must
# process requests/s × prompt tokens; a prefill replica is compute-bound and processes a whole
# prompt per forward pass. The decode pool must produce requests/s × output tokens; a decode
# replica is memory-bound and shares each step among the batch it can hold. Round each pool up to
# whole replicas, then count GPUs.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
context = D12.prompt_tokens + D12.output_tokens
prefill_rate = cl.prefill_tokens_per_s(dep, D12.prompt_tokens)
batch = cl.fit(dep, context=context).max_batch
decode_rate = cl.decode_tokens_per_s(dep, batch, context)
need_prefill = D12.requests_per_s * D12.prompt_tokens
need_decode = D12.requests_per_s * D12.output_tokens
prefill_replicas = math.ceil(need_prefill / prefill_rate)
decode_replicas = math.ceil(need_decode / decode_rate)
print(f"prefill: {need_prefill:,.0f} tokens/s / {prefill_rate:,.0f} per replica -> "
      f"{prefill_replicas} replicas")
print(f"decode: {need_decode:,.0f} tokens/s / {decode_rate:,.0f} per replica (batch {batch}) -> "
      f"{decode_replicas} replicas")
answer = (prefill_replicas + decode_replicas) * D12.tp
print(f"{answer} GPUs")
# END SOLUTION

# %%
cl.check("d12", answer)

# %% [markdown]
# **What if...** (optional) The prompts double to 4,000 tokens. Which pool grows, and by how much?

# %%
# BEGIN SOLUTION
long_context = 2 * D12.prompt_tokens + D12.output_tokens
pre_long = cl.prefill_tokens_per_s(dep, 2 * D12.prompt_tokens)
b_long = cl.fit(dep, context=long_context).max_batch
dec_long = cl.decode_tokens_per_s(dep, b_long, long_context)
print(f"prefill replicas: {math.ceil(2 * need_prefill / pre_long)}, decode replicas: "
      f"{math.ceil(need_decode / dec_long)} (batch {b_long})")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Doubling the prompt doubles the prefill work (and makes each prompt a little slower, attention
# grows with its length), so the prefill pool roughly doubles. The decode pool grows much less:
# the output tokens are the same, only the batch shrinks because each sequence's KV cache is
# longer. Separate pools let each one scale with its own part of the traffic.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Prefill is sized in prompt tokens per second at a compute-bound rate; decode in output tokens
#   per second at a memory-bound, batched rate. The two pools answer different questions.
# - Round each pool up to whole replicas of TP GPUs before adding them.
# - Long prompts grow the prefill pool; long answers (or long contexts) grow the decode pool.
