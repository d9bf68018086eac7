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
# # Practice 6 · A bursty startup: self-host or API?
#
# *Chapter 30, practice problem 6 (§30.4, §30.7).*
#
# **Problem.** A startup's chat app peaks at 10 million tokens an hour during the day and sees
# almost nothing overnight. Should it run its own GPUs or pay per token?
#
# **Assumptions** (the chapter gives none, so we state ours): the model is Llama 3.1 70B in bf16
# (the chapter's running example); 12 busy hours a day at the peak rate, 12 idle hours; H100s at
# <span>\$</span>2 per GPU-hour; the fleet is always on and carries the peak plus 30% headroom in whole
# replicas, each at the largest batch of 2,048-token sequences it holds; the API is Together's
# <span>\$</span>0.88 per million tokens; 30-day month.
#
# **Give** `answer`: the effective cost of self-hosting in dollars per million tokens served,
# i.e. the fleet's monthly bill divided by the millions of tokens it serves in the month.
# `cl.check("p6", answer)` accepts answers within 2%.

# %%
import costlib as cl
from costlib.teaching.questions_practice import ASSUMPTIONS, P6, fleet_options

tokens_per_month = P6.peak_tokens_per_hour * P6.busy_hours_per_day * ASSUMPTIONS.days_per_month
peak_factor = 24 / P6.busy_hours_per_day  # the busy-hour rate / the 24-hour average rate
api_bill = cl.api_monthly_usd(tokens_per_month, P6.api_usd_per_million)
print(f"{tokens_per_month / 1e9:g}B tokens/month; API bill ${api_bill:,.0f}/month")

# %% [markdown]
# **The fleet.** Size the cheapest always-on fleet for the peak exactly as in Practice 3:
# `fleet_options` (in `costlib/teaching/questions_practice.py`) runs that loop over the TP degrees that
# fit. Then divide its monthly bill by the tokens it actually serves.

# %%
# BEGIN SOLUTION
fleets = fleet_options(P6.model, P6.gpu, P6.weights, tokens_per_month, P6.usd_per_gpu_hour,
                       peak_factor, ASSUMPTIONS.headroom).set_index("tp")
best = fleets["monthly_usd"].idxmin()
monthly = fleets.loc[best, "monthly_usd"]
answer = monthly / (tokens_per_month / 1e6)
utilization = tokens_per_month / (fleets.loc[best, "tokens_per_s_per_replica"]
                                  * fleets.loc[best, "replicas"] * cl.HOURS_PER_MONTH * 3600)
print(f"cheapest: TP={best}, {fleets.loc[best, 'gpus']} GPUs, ${monthly:,.0f}/month, "
      f"used {utilization:.0%} of its capacity")
print(f"effective ${answer:.2f} per million tokens vs API ${P6.api_usd_per_million:.2f}")
# END SOLUTION

# %%
cl.check("p6", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A fully loaded replica would be far cheaper per token than the API, but this fleet is idle half
# the day and oversized for the busy hours, so every token it serves also pays for the idle
# capacity. Under the stated assumptions the API wins.
# <!-- END SOLUTION -->
#
# **What the assumptions change.** Try three levers: switching the GPUs off overnight, FP8
# weights, and the market's split input/output prices (DeepInfra, half the tokens being prompts).

# %%
# BEGIN SOLUTION
day_only = monthly * P6.busy_hours_per_day / 24
fp8 = fleet_options(P6.model, P6.gpu, "fp8", tokens_per_month, P6.usd_per_gpu_hour,
                    peak_factor, ASSUMPTIONS.headroom)["monthly_usd"].min()
deepinfra = cl.get_api_price("deepinfra-llama-3.3-70b")
split = cl.api_monthly_usd(tokens_per_month, deepinfra["usd_per_million_input"],
                           deepinfra["usd_per_million_output"], input_share=0.5)
for label, bill in [("bf16, always on", monthly), ("bf16, off overnight", day_only),
                    ("fp8, always on", fp8), ("API: Together", api_bill),
                    ("API: DeepInfra, half prompts", split)]:
    print(f"{label:30s} ${bill:7,.0f}/month = ${bill / (tokens_per_month / 1e6):.2f}/M")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Verdict: use the API.** Self-hosting only undercuts Together by scaling to zero every night
# (reloading the whole model every morning and paying for cold starts) or by switching to FP8 (a
# quality decision). Even then it stays well above a provider that charges less for prompt
# tokens, and none of these bills include the engineers who run the fleet. Bursty traffic is
# exactly what an API's pooled capacity absorbs for you.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Effective <span>\$</span>/M = monthly bill ÷ tokens actually served: idle hours and peak headroom are paid
#   for by every token.
# - Bursty traffic keeps utilization low, which is the regime where per-token APIs win.
# - Scaling to zero and FP8 can narrow the gap; check what they cost in operations and quality.
