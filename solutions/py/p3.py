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
# A break-even volume alone cannot answer this: it assumes the GPUs are busy all the time. We
# first answer the way the chapter would, then size the fleet the way the workbook's own capacity
# rubric does (§30.10): for the peak, not the average.
#
# **Give** `answer`: the lowest effective cost, in dollars per million tokens, that a fleet of
# Llama 3.1 70B **bf16** replicas on H100s at <span>\$</span>2/GPU-hour reaches *at any volume* when it is
# sized for 3× the average rate plus 30% headroom. Each replica runs at the engine's
# memory-limited batch for requests of 1,024 prompt + 1,024 output tokens, at the mid of the
# calibrated band (`cl.quote`). `cl.check("p3", answer)` accepts answers within 2%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.fleets import cheapest_fleet, fleet_options, floor_options
from costlib.teaching.questions_practice import ASSUMPTIONS, P3

tokens_per_month = P3.tokens_per_day * ASSUMPTIONS.days_per_month
api_bill = cl.api_monthly_usd(tokens_per_month, P3.api_usd_per_million)
print(f"{tokens_per_month / 1e9:g}B tokens/month -> API bill ${api_bill:,.0f}/month")
print(f"peak sizing: {P3.peak_factor:g}x average, {P3.headroom:.0%} headroom; "
      f"requests of {P3.input_tokens:,}+{P3.output_tokens:,} tokens; {P3.profile} band, {P3.point}")

# %% [markdown]
# ## 1. The chapter's way, and the break-even volume
#
# The chapter's rule of thumb: one H100 at <span>\$</span>2/hour produces about 1,000 tokens/s (§30.4), and the
# load is spread evenly over the day. And the usual break-even: the volume at which a replica's
# fixed monthly bill equals the API bill.

# %%
naive_gpus = cl.replicas_needed(tokens_per_month, P3.chapter_tokens_per_s_per_gpu)
naive_bill = cl.self_host_monthly_usd(tokens_per_month, P3.chapter_tokens_per_s_per_gpu, P3.usd_per_gpu_hour)
print(f"chapter: {naive_gpus} GPUs at {P3.chapter_tokens_per_s_per_gpu:,.0f} tokens/s each, "
      f"${naive_bill:,.0f}/month vs API ${api_bill:,.0f}/month")
print(cl.fit(cl.deployment(P3.model, P3.gpu, weights=P3.weights), ASSUMPTIONS.context).message)
tp4 = cl.quote(P3.model, P3.gpu, 4, P3.weights, input_len=P3.input_tokens, output_len=P3.output_tokens,
               usd_per_gpu_hour=P3.usd_per_gpu_hour)
cross = cl.crossover_tokens_per_month(P3.api_usd_per_million, P3.usd_per_gpu_hour, gpus=4)
print(f"one TP=4 bf16 replica costs the API's bill at {cross / 1e9:.2f}B tokens/month "
      f"= {cross / ASSUMPTIONS.days_per_month / 1e6:.0f}M tokens/day, if it could serve them all")
print(f"... and it makes {tp4.tokens_per_s.mid:,.0f} tokens/s at full load "
      f"= {tp4.tokens_per_s.mid * 3600 * cl.HOURS_PER_MONTH / 1e9:.1f}B tokens/month")

# %% [markdown]
# Two problems. 70B in bf16 does not fit on one H100. And the break-even volume is a volume *per
# replica*: it says self-hosting wins above it only if that replica serves the volume. Traffic has
# peaks; a fleet sized for them serves, on average, a fraction of what it could.
#
# ## 2. The floor of peak sizing
#
# A fleet sized for 3× the average rate plus 30% headroom has peak factor × (1 + headroom) times
# the capacity its average traffic needs, so every token it serves pays at least that multiple of
# the full-load <span>\$</span>/M of its replicas. Rounding up to whole replicas only adds to that; at a large enough
# volume the rounding vanishes and the cost per token falls to this floor, never below. Compute
# the floor for every TP that holds the bf16 weights, and take the lowest.

# %%
# BEGIN SOLUTION
floors = floor_options(P3.model, P3.gpu, P3.weights, P3.usd_per_gpu_hour, P3.peak_factor, P3.headroom,
                       point=P3.point, profile=P3.profile).set_index("tp")
answer = floors["floor_usd_per_million"].min()
floors.round(3)
# END SOLUTION

# %%
cl.check("p3", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# TP=2 is the smallest replica that holds the weights, but it fits only a handful of requests, so
# its tokens are dear. TP=4 has room for a large batch and the lowest full-load <span>\$</span>/M; TP=8 adds
# GPUs faster than it adds tokens. Even the best replica, sized for the peak, costs several times
# more per token than the API, **at any volume**. Only the physics ceiling, an engine with no
# overheads at full bandwidth, gets under the API:
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
for point in ("high", "mid", "low", "ceiling"):
    f = floor_options(P3.model, P3.gpu, P3.weights, P3.usd_per_gpu_hour, P3.peak_factor, P3.headroom,
                      point=point)["floor_usd_per_million"].min()
    print(f"bf16 floor at the band's {point:>7}: ${f:.2f}/M "
          f"({'beats' if f < P3.api_usd_per_million else 'never beats'} ${P3.api_usd_per_million:g}/M)")
# END SOLUTION

# %% [markdown]
# ## 3. The fleet at 100M tokens a day, and the FP8 fleet
#
# What do the fleets for this product's 3B tokens a month actually cost? Size the cheapest bf16
# fleet, then the one with FP8 weights **and** an FP8 KV cache (a quality decision the question
# does not make for you), which halves the bytes a decode step reads.

# %%
# BEGIN SOLUTION
plans = {}
for label, weights, kv in (("bf16 weights, bf16 KV", "bf16", "bf16"), ("FP8 weights, FP8 KV", "fp8", "fp8")):
    opts = fleet_options(P3.model, P3.gpu, weights, tokens_per_month, P3.usd_per_gpu_hour, P3.peak_factor,
                         P3.headroom, kv=kv, point=P3.point, profile=P3.profile)
    best = cheapest_fleet(opts)
    floor = floor_options(P3.model, P3.gpu, weights, P3.usd_per_gpu_hour, P3.peak_factor, P3.headroom,
                          kv=kv, point=P3.point)["floor_usd_per_million"].min()
    plans[label] = {"TP": int(best["tp"]), "replicas": int(best["replicas"]), "GPUs": int(best["gpus"]),
                    "$/month": best["monthly_usd"], "$/M at this volume": best["monthly_usd"] / (tokens_per_month / 1e6),
                    "$/M floor, any volume": floor}
plans["API: Together"] = {"$/month": api_bill, "$/M at this volume": P3.api_usd_per_million,
                          "$/M floor, any volume": P3.api_usd_per_million}
pd.DataFrame(plans).T
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Verdict.** At 100M tokens a day, use the API. In bf16 the cheapest peak-sized fleet costs
# several times Together's bill, and its floor says no volume changes that. FP8 weights with an
# FP8 KV cache roughly halve the bill and bring the floor close to the API's price, yet still not
# under it at the band's mid: self-hosting this model beats a well-run API only with steadier
# traffic (a lower peak factor), cheaper GPU-hours, or both.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - A break-even volume assumes a fully busy replica. Sized for the peak, a fleet pays
#   peak factor × (1 + headroom) times its full-load <span>\$</span>/M per token, whatever the volume.
# - Size a self-hosted fleet in whole replicas of TP GPUs that actually hold the model and its KV
#   cache; the smallest TP that fits is rarely the cheapest.
# - Precision (weights and KV cache) moves the floor more than volume does.
