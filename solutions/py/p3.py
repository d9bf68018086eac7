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
# # Practice 3 · 100 million tokens a day: self-host or pay Together?
#
# *Chapter 30, practice problem 3 (§30.7).*
#
# **Problem.** A product needs 100 million tokens a day from Llama 3 70B. Together AI serves it
# for <span>\$</span>0.88 per million tokens. Would self-hosting on H100s at <span>\$</span>2 per GPU-hour be cheaper?
#
# The answer depends on assumptions, so we first answer the way the chapter would, then redo it
# respecting memory, whole replicas and peak traffic.
#
# **Give** `answer`: the monthly bill, in dollars, of the cheapest self-hosted fleet under the
# workbook's assumptions: Llama 3.1 70B in bf16 on H100s; each replica decodes at the largest
# batch of 2,048-token sequences its memory holds, at costlib's mid-range MBU/MFU; the fleet
# carries the peak (3× the average rate) plus 30% headroom, in whole replicas; always on; 30-day
# month. `cl.check("p3", answer)` accepts answers within 1%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P3, fleet_options

tokens_per_month = P3.tokens_per_day * ASSUMPTIONS.days_per_month
api_bill = cl.api_monthly_usd(tokens_per_month, P3.api_usd_per_million)
print(f"{tokens_per_month / 1e9:g}B tokens/month -> API bill ${api_bill:,.0f}/month")

# %% [markdown]
# ## 1. The chapter's way
#
# The chapter's rule of thumb: one H100 at <span>\$</span>2/hour produces about 1,000 tokens/s (§30.4), and the
# load is spread evenly over the day. How many such GPUs does the average rate need, and what do
# they cost a month?

# %%
# BEGIN SOLUTION
avg_tokens_per_s = P3.tokens_per_day / 86_400
naive_gpus = cl.replicas_needed(tokens_per_month, P3.chapter_tokens_per_s_per_gpu)
naive_bill = cl.self_host_monthly_usd(tokens_per_month, P3.chapter_tokens_per_s_per_gpu,
                                      P3.usd_per_gpu_hour)
print(f"average rate {avg_tokens_per_s:,.0f} tokens/s -> {naive_gpus} GPUs, ${naive_bill:,.0f}/month"
      f" vs API ${api_bill:,.0f}/month")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Even on the chapter's own terms the API wins narrowly: the average rate is just above what one
# GPU makes, so you pay for two. But this sizing has three problems: 70B in bf16 does not fit on
# one H100, the fleet must carry the peak rather than the average, and the throughput of a
# replica depends on the batch its memory allows.
# <!-- END SOLUTION -->
#
# ## 2. Respecting the physics
#
# Which tensor-parallel degrees can hold the bf16 weights plus KV cache? For each one that fits,
# how many whole replicas carry the peak, and what do they cost?

# %%
print(cl.fit(cl.deployment(P3.model, P3.gpu, weights=P3.weights), ASSUMPTIONS.context).message)

# %%
# BEGIN SOLUTION
rows = []
for tp in cl.valid_tp(P3.model):
    dep = cl.deployment(P3.model, P3.gpu, tp=tp, weights=P3.weights)
    batch = cl.fit(dep, ASSUMPTIONS.context).max_batch
    if batch < 1:
        continue  # does not fit at this TP
    tps = cl.decode_tokens_per_s(dep, batch, ASSUMPTIONS.context)
    n = cl.replicas_needed(tokens_per_month, tps, ASSUMPTIONS.peak_factor, ASSUMPTIONS.headroom)
    rows.append({"tp": tp, "batch": batch, "tokens/s per replica": round(tps), "replicas": n,
                 "GPUs": n * tp, "$/month": n * tp * P3.usd_per_gpu_hour * cl.HOURS_PER_MONTH})
fleets = pd.DataFrame(rows).set_index("tp")
answer = fleets["$/month"].min()
fleets
# END SOLUTION

# %%
cl.check("p3", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# TP=2 is the smallest setup that holds the weights, but it leaves room for only a handful of
# sequences, so each replica is slow and many are needed. TP=4 has room for a large batch and one
# replica carries the whole peak. TP=8 is faster still, but its extra GPUs sit idle. (The loop is
# also available as `fleet_options` in `costlib/teaching/questions_practice.py`.)
# <!-- END SOLUTION -->
#
# ## 3. What the assumptions change
#
# Compare the answer with the API bill and the break-even volume of that fleet. Then look at two
# assumptions that the single number hides: peak vs average traffic, and input vs output tokens.

# %%
# BEGIN SOLUTION
best_tp = int(fleets["$/month"].idxmin())
cross = cl.crossover_tokens_per_month(P3.api_usd_per_million, P3.usd_per_gpu_hour, gpus=best_tp)
print(f"self-host ${answer:,.0f}/month vs API ${api_bill:,.0f}/month "
      f"(self-host / API = {answer / api_bill:.1f}x)")
print(f"one TP={best_tp} replica matches the API bill at {cross / 1e9:.2f}B tokens/month "
      f"= {cross / ASSUMPTIONS.days_per_month / 1e6:.0f}M tokens/day")
avg_sized = fleet_options(P3.model, P3.gpu, P3.weights, tokens_per_month, P3.usd_per_gpu_hour,
                          peak_factor=1.0, headroom=0.0)
print("fleets sized for the average rate instead of the peak ($/month by TP): "
      + ", ".join(f"TP={r.tp}: ${r.monthly_usd:,.0f}" for r in avg_sized.itertuples()))
# END SOLUTION

# %% [markdown]
# **Input vs output tokens.** Suppose half of the 100M tokens are prompt tokens. Together charges
# the same for both, but DeepInfra (in the catalog) prices them differently; and on your own
# GPUs prompt tokens go through prefill, which is cheaper per token than decode.

# %%
# BEGIN SOLUTION
dep = cl.deployment(P3.model, P3.gpu, tp=best_tp, weights=P3.weights)
batch = cl.fit(dep, ASSUMPTIONS.context).max_batch
gpu_s_in = best_tp / cl.prefill_tokens_per_s(dep, 1000)     # GPU-seconds per prompt token
gpu_s_out = best_tp / cl.decode_tokens_per_s(dep, batch, ASSUMPTIONS.context)
deepinfra = cl.get_api_price("deepinfra-llama-3.3-70b")
split_bill = cl.api_monthly_usd(tokens_per_month, deepinfra["usd_per_million_input"],
                                deepinfra["usd_per_million_output"], input_share=0.5)
print(f"GPU time per prompt token / per output token = {gpu_s_in / gpu_s_out:.2f}")
print(f"DeepInfra, half prompt tokens: ${split_bill:,.0f}/month")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Verdict.** At 100M tokens a day, use the API. Once the bf16 model's memory needs are
# respected, the cheapest fleet costs about twice Together's bill even when sized for the peak
# with one replica; sizing for the average does not help, because a replica is the smallest unit
# you can rent. And the market has even cheaper offers. Counting prompt tokens as prefill work shrinks the GPU time a little but cannot remove
# the fixed cost of a replica. Self-hosting starts to pay only at a few times this volume, and
# only if the fleet stays busy.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Size a self-hosted fleet in whole replicas of TP GPUs that actually hold the model and its KV
#   cache; that fixed floor decides small-volume comparisons.
# - Size for the peak, not the average: idle capacity is paid for by every token served.
# - The smallest TP that fits is not always the cheapest: more memory per replica means bigger
#   batches and more tokens per GPU.
# - Compare against the market's input and output prices, not one headline number.
