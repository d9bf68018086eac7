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
# # Drill 6 · Self-host or API, with separate input and output prices
#
# *Interview drill 6 (§30.7): the self-host vs API decision, priced properly.*
#
# **Problem.** A document-processing pipeline runs around the clock at a flat rate: 40 billion
# tokens a month, in requests of 1,500 prompt tokens and 500 output tokens. Today it calls
# DeepInfra's Llama 3.3 70B, which charges separately for input and output tokens (catalog
# prices). The alternative: self-host the same weights (Llama 3.1 and 3.3 70B share one
# architecture) with FP8 weights on replicas of two H100s (TP=2) at the reserved price, sized for
# the average rate plus 30% headroom (the traffic is flat: no peak factor), in whole replicas,
# always on. How much does self-hosting save per month?
#
# **Assumptions.** Prices are the catalog's (API: DeepInfra; H100 reserved: the mid point of
# §30.1's range). A replica's throughput for this request shape comes from costlib's workload
# model, given below. Operations staff and engineering time are left out (see the discussion).
#
# **Give** `answer`: the monthly saving of self-hosting, API bill minus self-host bill, in
# dollars (negative if the API is cheaper). `cl.check("d6", answer)` accepts answers within 2%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_drills import D6, drill_profile

dep = cl.deployment(D6.model, D6.gpu, tp=D6.tp, weights=D6.weights)
profile = drill_profile(dep)  # the chapter's MBU/MFU, admitting whole requests in usable memory
request_tokens = D6.prompt_tokens + D6.output_tokens
input_share = D6.prompt_tokens / request_tokens
D6

# %% [markdown]
# **Given: physics first, then the replica's throughput.** The replica runs at the largest batch
# of full-length requests that fits, started together; the pricing checks memory by the same rule
# (`profile.limits`). Its throughput counts prompt and output tokens together: request tokens × TP
# ÷ (prefill + decode GPU-seconds per request).

# %%
fit = cl.fit(dep, context=request_tokens, limits=profile.limits)
print(fit.message)
batch = fit.max_batch
w = cl.workload_cost(dep, D6.usd_per_gpu_hour, D6.prompt_tokens, D6.output_tokens, batch, profile=profile)
tokens_per_s_per_replica = request_tokens * D6.tp / (w.prefill_gpu_s_per_request
                                                     + w.decode_gpu_s_per_request)
print(f"one replica processes {tokens_per_s_per_replica:,.0f} tokens/s (prompt + output)")

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** The API bill prices the prompt share and the output share of the tokens at their
# own rates. The self-host bill is a step function: whole replicas of two GPUs, each paid 720
# hours a month whether busy or not.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
api = cl.api_monthly_usd(D6.tokens_per_month, D6.api_usd_per_million_input,
                         D6.api_usd_per_million_output, input_share)
replicas = cl.replicas_needed(D6.tokens_per_month, tokens_per_s_per_replica, D6.peak_factor,
                              D6.headroom)
self_host = cl.self_host_monthly_usd(D6.tokens_per_month, tokens_per_s_per_replica,
                                     D6.usd_per_gpu_hour, D6.tp, D6.peak_factor, D6.headroom)
print(f"API: {D6.tokens_per_month / 1e9:g}B tokens x ({input_share:.0%} x "
      f"${D6.api_usd_per_million_input:.2f} + {1 - input_share:.0%} x "
      f"${D6.api_usd_per_million_output:.2f}) per M = ${api:,.0f}/month")
print(f"self-host: {replicas} replicas x {D6.tp} GPUs x ${D6.usd_per_gpu_hour:.2f} x "
      f"{cl.HOURS_PER_MONTH} h = ${self_host:,.0f}/month")
answer = api - self_host
print(f"saving of self-hosting: ${answer:,.0f}/month")
# END SOLUTION

# %%
cl.check("d6", answer)

# %% [markdown]
# **The step function.** (optional) How does the saving move with the volume? And what if the
# same monthly volume arrived with a 3× daily peak instead of flat?

# %%
# BEGIN SOLUTION
rows = []
for tokens in (5e9, 10e9, 20e9, 30e9, 40e9, 50e9, 80e9):
    a = cl.api_monthly_usd(tokens, D6.api_usd_per_million_input, D6.api_usd_per_million_output,
                           input_share)
    for peak in (D6.peak_factor, 3.0):
        s = cl.self_host_monthly_usd(tokens, tokens_per_s_per_replica, D6.usd_per_gpu_hour,
                                     D6.tp, peak, D6.headroom)
        rows.append({"B tokens/month": tokens / 1e9, "peak factor": peak, "API $": round(a),
                     "self-host $": round(s), "saving $": round(a - s)})
pd.DataFrame(rows).pivot(index="B tokens/month", columns="peak factor", values="saving $")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The saving jumps each time one more replica is needed: just past a step, self-hosting pays for
# a nearly idle replica. And with a 3× peak the fleet must be sized for the peak but is paid for
# around the clock: against a low-priced API for the same weights, self-hosting then loses at
# every volume in the table. Finally, the saving must cover what this model leaves out: the
# engineers and on-call time to run the fleet. A few thousand dollars a month does not.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Price the API with its two rates: bill = tokens × (input share × input price + output share
#   × output price). Prompt-heavy traffic makes a blended API price much lower than its output
#   price.
# - Self-hosting costs whole replicas × TP GPUs × hourly price × 720 h, busy or idle: a step
#   function of volume, sized for the peak.
# - Against a hosting provider selling the same weights cheaply, self-hosting wins only with flat,
#   high-volume traffic, and only if the saving also pays for the people who run it.
