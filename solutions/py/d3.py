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
# # Drill 3 · The KV-cache memory wall at 32k tokens
#
# *Interview drill 3 (§30.3): memory capacity, before any throughput or price.*
#
# **Problem.** One node of 8 H100s serves Llama 3.1 70B in bf16 with tensor parallelism across
# all eight GPUs (TP=8). Users send long documents: every sequence carries a 32k-token context
# (32,768 tokens). How many sequences can the node hold in flight at once?
#
# **Assumptions.** The KV cache is stored in bf16. A serving engine may use about 95% of each
# GPU's 80 GB, minus about 1 GB for activations, workspaces and the CUDA context (costlib's
# default). Every sequence's KV cache stays resident for its whole context.
#
# **Give** `answer`: the largest number of concurrent 32,768-token sequences (a whole number).
# `cl.check("d3", answer)` accepts answers within ±0.5, i.e. only the exact count.

# %%
import costlib as cl
from costlib.teaching.questions_drills import D3

m = cl.get_model(D3.model)
print(f"{m.name}: {m.n_layers} layers, {m.n_heads} attention heads, {m.n_kv_heads} KV heads, "
      f"head dim {m.head_dim}, {m.n_params / 1e9:.2f}B parameters")
D3

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Memory left for KV cache = usable memory of the 8 GPUs − weights. Each token of
# context stores one key and one value vector per layer for each **KV head** (Llama 3 uses
# grouped-query attention: 64 query heads share 8 KV heads), at 2 bytes per bf16 value. Divide
# the free bytes by the bytes of one 32k-token sequence and round down.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
usable = D3.tp * cl.usable_bytes(D3.gpu)
weights = m.n_params * cl.get_precision(D3.weights).bytes_per_value
kv_per_token = 2 * m.n_layers * m.n_kv_heads * m.head_dim * cl.get_precision("bf16").bytes_per_value
per_sequence = kv_per_token * D3.context
print(f"usable {usable / 1e9:.1f} GB - weights {weights / 1e9:.1f} GB = "
      f"{(usable - weights) / 1e9:.1f} GB for KV cache")
print(f"KV per token {kv_per_token / 1e3:.1f} kB; per {D3.context:,}-token sequence "
      f"{per_sequence / 1e9:.2f} GB")
answer = int((usable - weights) // per_sequence)
fit = cl.fit(cl.deployment(D3.model, D3.gpu, tp=D3.tp, weights=D3.weights), context=D3.context)
print(fit.message)
assert answer == fit.max_batch
# END SOLUTION

# %%
cl.check("d3", answer)

# %% [markdown]
# **What if...** (optional) How does the count change if the KV cache were sized per attention
# head (a model without grouped-query attention), if the KV cache were stored in FP8, and at
# §30.3's 2,048-token sequences?

# %%
# BEGIN SOLUTION
dep = cl.deployment(D3.model, D3.gpu, tp=D3.tp, weights=D3.weights)
mha = int((usable - weights) // (per_sequence * m.n_heads / m.n_kv_heads))
print(f"KV per attention head instead of per KV head: {mha} sequences")
print(f"FP8 KV cache: {cl.fit(dep.with_(kv='fp8'), context=D3.context).max_batch} sequences")
print(f"2,048-token sequences: {cl.fit(dep, context=2048).max_batch} sequences")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Grouped-query attention is what makes long contexts affordable: with one KV head per attention
# head, the cache per token would be 8× larger and the node would hold only a handful of 32k
# sequences. Storing the cache in FP8 doubles the count. Context length is the other lever: the
# same node holds about sixteen times as many 2k-token sequences as 32k ones.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - KV bytes per token = 2 (K and V) × layers × **KV heads** × head dim × bytes per value. Using
#   the attention heads instead overstates it 8× for Llama 3 70B.
# - Concurrency = (usable memory − weights) ÷ KV bytes per sequence, rounded down. Usable is
#   about 95% of HBM minus ~1 GB per GPU, not the datasheet figure.
# - At long contexts the KV cache, not the weights, fills the node: FP8 KV or fewer tokens per
#   sequence are the levers.
