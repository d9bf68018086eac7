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
# # Drill 5 · Prefill or decode: where does a RAG request's GPU time go?
#
# *Interview drill 5 (§30.6): compute-bound prefill vs memory-bound decode.*
#
# **Problem.** You serve two kinds of requests on Llama 3.1 70B with FP8 weights, on replicas of
# two H100s (TP=2) rented at the reserved price:
#
# - **RAG**: 8,000 prompt tokens (retrieved documents) and 300 output tokens;
# - **reasoning**: 500 prompt tokens and 8,000 output tokens.
#
# 16 requests start together: their prompts are prefilled in one pass, then the 16 decode
# together, one token each per step. 96% of a RAG request's tokens are prompt tokens. What share
# of the GPU time it uses is prefill?
#
# **Assumptions.** costlib's roofline model at the middle of §30.4's ranges (the chapter's
# profile, `drill_profile`): prefill runs at MFU 0.40 (compute-bound, with causal attention);
# each decode step reads the weights plus the KV cache so far at MBU 0.725. Prefill and decode
# do not overlap. KV cache in bf16.
#
# **Give** `answer`: the prefill share of a RAG request's GPU time (a fraction between 0 and 1).
# `cl.check("d5", answer)` accepts answers within 2%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_drills import D5, drill_profile

pd.set_option("display.width", 160)
dep = cl.deployment(D5.model, D5.gpu, tp=D5.tp, weights=D5.weights)
profile = drill_profile(dep)  # MBU 0.725, MFU 0.40; whole requests in usable memory
shapes = {"RAG": D5.rag, "reasoning": D5.reasoning}
D5

# %% [markdown]
# **Physics first.** Sixteen sequences of each request's full length must fit beside the weights.

# %%
for name, (prompt, output) in shapes.items():
    print(f"{name:9} {cl.fit(dep, context=prompt + output, batch=D5.batch, limits=profile.limits).message}")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** GPU-seconds per request = TP × (the batch's prefill time + its decode time) ÷ 16.
# `cl.workload_cost` times the batch with `cl.predict` and splits them; the prefill share is the
# first part over the sum.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
rows = []
for name, (prompt, output) in shapes.items():
    w = cl.workload_cost(dep, D5.usd_per_gpu_hour, prompt, output, D5.batch, profile=profile)
    rows.append({"workload": name, "prompt share of tokens": round(prompt / (prompt + output), 3),
                 "prefill GPU-s": round(w.prefill_gpu_s_per_request, 3),
                 "decode GPU-s": round(w.decode_gpu_s_per_request, 3),
                 "prefill share of GPU time": round(w.prefill_share, 3),
                 "$/M input": round(w.usd_per_million_input, 3),
                 "$/M output": round(w.usd_per_million_output, 3),
                 "$/M blended": round(w.usd_per_million_blended, 3)})
table = pd.DataFrame(rows).set_index("workload")
answer = cl.workload_cost(dep, D5.usd_per_gpu_hour, *D5.rag, D5.batch, profile=profile).prefill_share
table
# END SOLUTION

# %%
cl.check("d5", answer)

# %% [markdown]
# **Read the table.** (optional) Why is the share of GPU time so far below the share of tokens?
# By how much does a reasoning token cost more than a RAG token, blended?

# %%
# BEGIN SOLUTION
ratio = table.loc["reasoning", "$/M blended"] / table.loc["RAG", "$/M blended"]
per_token = table.loc["RAG", "$/M output"] / table.loc["RAG", "$/M input"]
print(f"blended $/M, reasoning / RAG: {ratio:.1f}x")
print(f"a RAG output token costs {per_token:.0f}x a RAG prompt token")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A prompt token is cheap: prefill processes thousands of them per pass over the weights, so it
# is limited by compute and every FLOP does useful work. An output token is dear: each decode step
# reads all the weights (and every sequence's KV cache) to make one token per sequence, and a
# batch of 16 is far too small to make that step compute-bound. So even a request that is 96%
# prompt spends a large part of its GPU time decoding, and a reasoning workload, almost all
# decode, costs several times more per token. This is why APIs price input below output; with
# small decode batches the gap is much wider than the 2-4× the chapter quotes (§30.6), and it
# narrows as the decode batch grows.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Price GPU time, not tokens: a prefill token costs a small fraction of a decode token, so the
#   token mix understates decode's share of the bill.
# - RAG is prefill-heavy but not prefill-dominated in cost; reasoning is decode-dominated and
#   costs several times more per token. Quote the two workloads separately.
# - The decode batch sets the input/output price gap: bigger batches amortize each weight read
#   over more tokens.
