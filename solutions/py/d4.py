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
# # Drill 4 · The largest batch under a latency target
#
# *Interview drill 4 (§30.3, §30.9): cost wants big batches, latency caps them.*
#
# **Problem.** A replica of four H100s (TP=4) serves Llama 3.1 70B with FP8 weights to chat
# users whose contexts run to 4,096 tokens. The product promises at least 40 tokens/s to every
# user, i.e. a time per output token (TPOT) of at most 25 ms. You plan conservatively, at the
# *low* end of §30.4's ranges: MBU 0.60 and MFU 0.30. How many users can the replica decode for
# at once?
#
# **Assumptions.** A user being served is one sequence in the decode batch: a request of 2,048
# prompt and 2,048 output tokens, all started together, so the whole 4,096 tokens of every
# sequence must fit (usable memory = 95% of HBM minus 1 GB per GPU, KV cache in bf16). TPOT = the
# average decode step of the batch over its output, from costlib's engine at the chapter's
# profile (weights and KV reads, compute, tensor-parallel communication).
#
# **Give** `answer`: the largest batch whose TPOT is at most 25 ms (a whole number; 0 if no
# batch meets the target). `cl.check("d4", answer)` accepts answers within ±0.5, i.e. only the
# exact batch: one more must miss the target.

# %%
import costlib as cl
from costlib.teaching.questions_drills import D4, drill_profile

dep = cl.deployment(D4.model, D4.gpu, tp=D4.tp, weights=D4.weights)
profile = drill_profile(dep, D4.mbu, D4.mfu)  # the chapter's profile at the low end, this memory rule
prompt, output = cl.request_shape(dep, D4.context)  # 2,048 + 2,048 tokens
D4

# %% [markdown]
# **Physics first: the memory limit.** However fast the GPUs, the batch cannot exceed the
# sequences whose KV cache fits.

# %%
print(cl.fit(dep, context=D4.context, limits=profile.limits).message)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** Every decode step reads all the weights once, plus the KV cache of every sequence
# in the batch: step time grows with the batch. Check the TPOT at the memory limit with
# `cl.predict`; if it is over the target, search for the largest batch that meets it (step time
# rises with the batch, so a bisection works; `cl.largest_batch_under_tpot` does it).
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
memory_cap = cl.fit(dep, context=D4.context, limits=profile.limits).max_batch
at_cap = cl.predict(dep, prompt, output, batch=memory_cap, profile=profile).tpot_s.mid
print(f"TPOT at the memory limit ({memory_cap} sequences): {at_cap * 1e3:.1f} ms")
answer = cl.largest_batch_under_tpot(dep, D4.tpot_target_s, D4.context, profile=profile)
for b in (answer, answer + 1):
    e = cl.predict(dep, prompt, output, batch=b, profile=profile)
    print(f"batch {b}: TPOT {e.tpot_s.mid * 1e3:.2f} ms, {e.output_tokens_per_s.mid:,.0f} output tokens/s "
          "per replica")
# END SOLUTION

# %%
cl.check("d4", answer)

# %% [markdown]
# **The zero edge.** (optional) What if the product asked for 125 tokens/s per user, a TPOT of
# 8 ms? What is the best this replica can do for a single user, and what would have to change?

# %%
# BEGIN SOLUTION
tight = 0.008
lone = cl.predict(dep, prompt, output, batch=1, profile=profile).tpot_s.mid
print(f"TPOT of a lone sequence: {lone * 1e3:.2f} ms")
print(f"largest batch under {tight * 1e3:g} ms on TP={D4.tp}: "
      f"{cl.largest_batch_under_tpot(dep, tight, D4.context, profile=profile)}")
wider = dep.with_(tp=8)
print(f"largest batch under {tight * 1e3:g} ms on TP=8: "
      f"{cl.largest_batch_under_tpot(wider, tight, D4.context, profile=drill_profile(wider, D4.mbu, D4.mfu))}")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Even a batch of one must read every weight byte per token: at 0.60 MBU that takes longer than
# 8 ms on four H100s, so no batch meets the target and the answer is 0, not an error. Spreading
# the weights over more GPUs (TP=8), fewer bytes per weight, or faster memory are the only fixes.
# <!-- END SOLUTION -->

# %% [markdown]
# **The trade-off, in one table.** (optional) TPOT and tokens/s per GPU along the batch, up to
# the memory limit.

# %%
# BEGIN SOLUTION
for b in (1, 16, 32, 64, answer, memory_cap):
    e = cl.predict(dep, prompt, output, batch=b, profile=profile)
    print(f"batch {b:4d}: TPOT {e.tpot_s.mid * 1e3:5.1f} ms, "
          f"{e.output_tokens_per_s.mid / D4.tp:7,.0f} output tokens/s per GPU")
# END SOLUTION

# %% [markdown]
# ## Takeaways
#
# - Two limits cap the batch: memory (the KV cache must fit) and latency (one step = one TPOT).
#   Compute both; the smaller wins. At long contexts and tight targets, latency often wins.
# - Step time grows with the batch because every sequence's KV cache is read each step; tokens/s
#   per GPU still grows, so the latency target is a direct price on cost per token.
# - A target tighter than a batch-1 step is unreachable on that hardware: the honest answer is
#   0 sequences, and the fix is more GPUs per replica, fewer bytes, or faster HBM.
