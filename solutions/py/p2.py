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
# # Practice 2 · Llama 3.1 405B in FP8 on an 8-GPU H100 node
#
# *Chapter 30, practice problem 2 (§30.1, §30.3).*
#
# **Problem.** Llama 3.1 405B is served with FP8 weights on one node of 8 H100s, split by tensor
# parallelism (TP=8). The node costs <span>\$</span>16 an hour and, by assumption, produces 800 output tokens
# per second in total. What does a million output tokens cost? And first: does the model fit
# on the node at all, and how much room is left for the KV cache?
#
# **Give** `answer`: the cost in dollars per million output tokens. `cl.check("p2", answer)`
# accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P2

P2

# %% [markdown]
# **Physics first: does it fit?** Compare the FP8 weights plus the KV cache with the usable memory
# of the 8 GPUs (costlib counts 95% of each GPU's HBM minus 1 GB for the runtime). How many
# 2,048-token sequences does the leftover memory hold, with the KV cache in bf16?

# %%
# BEGIN SOLUTION
dep = cl.deployment(P2.model, P2.gpu, tp=P2.tp, weights=P2.weights)
room = cl.fit(dep, context=ASSUMPTIONS.context)
print(room.message)
print(f"weights {room.weight_bytes / 1e9:.1f} GB; KV room "
      f"{(room.usable_bytes - room.weight_bytes) / 1e9:.1f} GB = {room.kv_capacity_tokens:,} tokens "
      f"at {cl.kv_bytes_per_token(P2.model) / 1e3:.0f} kB per token")
print(cl.fit(dep.with_(weights="bf16"), context=ASSUMPTIONS.context).message)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# It fits, with room to spare: FP8 halves the weights (one byte per parameter), and the 8 GPUs
# pool their memory. In bf16 the same model would not fit on the node at all.
# <!-- END SOLUTION -->
#
# **The price.** The <span>\$</span>16 and the 800 tokens/s both describe the whole node.

# %%
# BEGIN SOLUTION
answer = cl.usd_per_million_tokens(P2.usd_per_hour, P2.tokens_per_s)
print(f"${P2.usd_per_hour:g}/hour / {cl.million_tokens_per_hour(P2.tokens_per_s):g}M tokens/hour"
      f" = ${answer:.2f} per million tokens")
# END SOLUTION

# %%
cl.check("p2", answer)

# %% [markdown]
# **What batch does 800 tokens/s imply?** (optional) Find the smallest batch at which costlib's
# decode estimate reaches 800 tokens/s, and the <span>\$</span>/M if the node ran at the largest batch that
# fits instead.

# %%
# BEGIN SOLUTION
ctx = ASSUMPTIONS.context
batch = next(b for b in range(1, room.max_batch + 1)
             if cl.decode_tokens_per_s(dep, b, ctx) >= P2.tokens_per_s)
full = cl.decode_tokens_per_s(dep, room.max_batch, ctx)
print(f"{P2.tokens_per_s:,g} tokens/s needs batch {batch} (TPOT {cl.tpot_s(dep, batch, ctx) * 1e3:.0f} ms)")
print(f"at batch {room.max_batch}: {full:,.0f} tokens/s -> "
      f"${cl.usd_per_million_tokens(P2.usd_per_hour, full):.2f} per million tokens")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The problem's 800 tokens/s corresponds to a small batch. A node this expensive only gets cheap
# per token when it is kept full: the same hour spread over a batch of a hundred-plus sequences
# costs several times less per token.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Price the unit you rent: a node's hourly price goes with the node's total tokens/s (do not
#   multiply or divide by the GPU count a second time).
# - FP8 is what makes 405B fit on one 8×H100 node; check weights + KV against usable memory first.
# - Large models are expensive per token at small batches; their cost falls steeply as the batch
#   fills the KV room.
