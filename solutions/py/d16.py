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
# # Drill 16 · Speculative decoding at batch 1
#
# *Interview drill 16 (§30.3): how much faster does a draft model make decode?*
#
# **Problem.** Llama 3.1 70B in FP8 serves one user on two H100s (TP=2), 1,000 + 1,000 tokens. A
# draft proposes k = 4 tokens per step, each accepted with probability α = 0.7, and costs 0.05 of a
# target step per drafted token. The target verifies all of them in one step and keeps the
# accepted run plus one token of its own. What is the decode speedup?
#
# **Assumptions.** Acceptances independent; the calibrated profile's step times; batch 1.
#
# **Give** `answer`: plain time per output token / speculative time per output token.
# `cl.check("d16", answer)` accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_levers import D16

dep = cl.deployment(D16.model, D16.gpu, D16.tp, D16.weights, D16.kv)
D16

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** A step yields E = 1 + α + … + α^k = (1 − α^(k+1)) / (1 − α) tokens, not k. At
# batch 1 decode is memory-bound: verifying k + 1 tokens reads the same weights as one, so a
# verification step costs about one plain step, and the draft adds k × c. On paper,
# speedup ≈ E / (1 + k c); the engine times both steps.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
e = (1 - D16.alpha ** (D16.k + 1)) / (1 - D16.alpha)
paper = e / (1 + D16.k * D16.draft_cost)
answer = cl.speculative_speedup(dep, D16.batch, D16.input_len, D16.output_len, D16.alpha, D16.k, D16.draft_cost)
print(f"E = {e:.3f} tokens per step; on paper x{paper:.3f}; with the engine's step times x{answer:.3f}")
# END SOLUTION

# %%
cl.check("d16", answer)

# %% [markdown]
# **What if...** (optional) Where does it stop paying as the batch grows?

# %%
# BEGIN SOLUTION
for b in (1, 16, 64, 128, 256):
    s = cl.speculative_speedup(dep, b, D16.input_len, D16.output_len, D16.alpha, D16.k, D16.draft_cost)
    print(f"batch {b:>4}: x{s:.2f}")
print(f"stops paying from batch {cl.crossover_batch(dep, D16.input_len, D16.output_len, D16.alpha, D16.k, D16.draft_cost)}")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# As the batch grows the target turns compute-bound: verifying k + 1 tokens per sequence costs
# close to k + 1 steps, and the draft's tokens are mostly thrown away work. Speculation is a
# latency tool for small batches.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Expected tokens per verification step: E = (1 − α^(k+1)) / (1 − α), never k.
# - At small batches verification is nearly free (memory-bound), so the speedup is about
#   E / (1 + k c).
# - At large batches it stops paying: check the batch before turning it on.
