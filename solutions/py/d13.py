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
# # Drill 13 · Long context: when the KV cache outgrows the weights
#
# *Interview drill 13 (§30.3): what a 128k-token context does to a decode step.*
#
# **Problem.** Llama 3.1 8B in bf16 serves one user on one H100 with the model's full context of
# 131,072 tokens ("128k"). Decode is memory-bound: each step reads the weights of the body and the
# output head once (the input embedding is a lookup of one row per token) and the whole KV cache of
# the sequence. What share of the bytes one decode step reads is KV cache?
#
# **Assumptions.** KV cache in bf16; batch 1; the model's shapes from its `config.json` (costlib's
# catalog).
#
# **Give** `answer`: KV bytes / (KV bytes + weight bytes) for one decode step (a number between 0
# and 1). `cl.check("d13", answer)` accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_scale import D13

m = cl.get_model(D13.model)
print(f"{m.name}: {m.n_layers} layers, {m.n_heads} attention heads, {m.n_kv_heads} KV heads, "
      f"head dim {m.head_dim}, {m.n_params / 1e9:.2f}B parameters")
D13

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** KV bytes per token = 2 (K and V) × layers × KV heads × head dim × 2 bytes. Times
# the context gives the sequence's cache, all of which one decode step reads; the weights read are
# (parameters − vocabulary × hidden, the input table a step only looks up) × 2 bytes. The share is
# KV / (KV + weights read).
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
kv_per_token = 2 * m.n_layers * m.n_kv_heads * m.head_dim * 2
kv = kv_per_token * D13.context
weights = (m.n_params - m.vocab_size * m.hidden_size) * 2  # every weight but the input table, bf16
answer = kv / (kv + weights)
print(f"KV {kv_per_token / 1024:.0f} KiB per token x {D13.context:,} tokens = {kv / 1e9:.1f} GB; "
      f"weights {weights / 1e9:.1f} GB -> KV share {answer:.3f}")
assert kv_per_token == cl.kv_bytes_per_token(m, D13.kv)
assert weights == cl.weight_bytes_read_per_step(cl.deployment(D13.model, D13.gpu, weights=D13.weights))
# END SOLUTION

# %%
cl.check("d13", answer)

# %% [markdown]
# **What if...** (optional) At what context does the KV cache match the weights, and at what
# context does attention match the weights in FLOPs per token?

# %%
# BEGIN SOLUTION
even_bytes = weights / kv_per_token
attention_flops_per_context_token = 4 * m.n_layers * m.n_heads * m.head_dim  # QK^T and AV
even_flops = 2 * m.n_params / attention_flops_per_context_token
print(f"KV bytes = weight bytes at {even_bytes:,.0f} tokens of context")
print(f"attention FLOPs = weight FLOPs (2 x parameters) at {even_flops:,.0f} tokens of context")
dep = cl.deployment(D13.model, D13.gpu, weights=D13.weights, kv=D13.kv)
print(f"sequences of {D13.context:,} tokens that fit on one H100: "
      f"{cl.fit(dep, context=D13.context).max_batch}")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# At 128k the cache of a single sequence is larger than the whole model, so a decode step reads
# more KV than weights, and batching no longer amortizes most of the bytes (each sequence brings
# its own cache). Attention FLOPs overtake the weights' FLOPs even earlier, around 30k tokens for
# this model. Long context is a memory-capacity and bandwidth problem first: an FP8 KV cache or
# fewer KV heads are the levers.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - KV bytes per token = 2 × layers × KV heads × head dim × bytes per value; for Llama 3.1 8B
#   that is 128 KiB, so 128k tokens hold about 17 GB, more than the 16 GB of weights.
# - At long context, bytes per decode step are dominated by the KV cache, not the weights.
# - Attention FLOPs grow with the context too and pass the weights' 2 × parameters per token at
#   a few tens of thousands of tokens.
