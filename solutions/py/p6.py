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
# (the chapter's running example); 12 busy hours a day at the peak rate, 12 idle hours; H100s
# reserved at <span>\$</span>2 per GPU-hour, which bill all 720 hours of a month; the fleet carries the peak
# plus 30% headroom in whole replicas, each at the engine's memory-limited batch for requests of
# 1,024 prompt + 1,024 output tokens, at the mid of the calibrated band; the API is Together's
# <span>\$</span>0.88 per million tokens; 30-day month.
#
# **Give** `answer`: the effective cost of the always-on reserved fleet in dollars per million
# tokens served, i.e. its monthly bill divided by the millions of tokens it serves in the month.
# `cl.check("p6", answer)` accepts answers within 2%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.fleets import cheapest_fleet, fleet_options, overnight_off_plan
from costlib.teaching.questions_practice import ASSUMPTIONS, P3, P6

tokens_per_month = P6.peak_tokens_per_hour * P6.busy_hours_per_day * ASSUMPTIONS.days_per_month
peak_factor = 24 / P6.busy_hours_per_day  # the busy-hour rate / the 24-hour average rate
api_bill = cl.api_monthly_usd(tokens_per_month, P6.api_usd_per_million)
print(f"{tokens_per_month / 1e9:g}B tokens/month; API bill ${api_bill:,.0f}/month")

# %% [markdown]
# **The fleet.** Size the cheapest always-on fleet for the peak exactly as in Practice 3:
# `fleet_options` (in `costlib/teaching/fleets.py`) runs that loop over the TP degrees that fit,
# on the engine. Then divide its monthly bill by the tokens it actually serves.

# %%
# BEGIN SOLUTION
fleets = fleet_options(P6.model, P6.gpu, P6.weights, tokens_per_month, P6.usd_per_gpu_hour,
                       peak_factor, ASSUMPTIONS.headroom, point=P3.point, profile=P3.profile)
best = cheapest_fleet(fleets)
monthly = best["monthly_usd"]
answer = monthly / (tokens_per_month / 1e6)
utilization = tokens_per_month / (best["tokens_per_s_per_replica"] * best["replicas"] * cl.HOURS_PER_MONTH * 3600)
print(f"cheapest: TP={best['tp']:.0f}, {best['gpus']:.0f} GPUs, ${monthly:,.0f}/month, "
      f"used {utilization:.0%} of its capacity")
print(f"effective ${answer:.2f} per million tokens vs API ${P6.api_usd_per_million:.2f}")
# END SOLUTION

# %%
cl.check("p6", answer)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# A fully loaded replica would be cheaper per token than the API, but this fleet is idle half
# the day and oversized for the busy hours, so every token it serves also pays for the idle
# capacity. Under the stated assumptions the API wins.
# <!-- END SOLUTION -->
#
# **What the assumptions change.** Try three levers: switching the GPUs off overnight, FP8
# weights, and the market's split input/output prices (DeepInfra, half the tokens being prompts).
#
# Switching off overnight has a catch: reserved capacity is a commitment billed 24/7, whether the
# GPUs run or not. A GPU you release at night must be rented by the hour, on demand, at about
# twice the reserved rate (§30.2). `overnight_off_plan` (in `costlib/teaching/fleets.py`, the
# function notebook 05 uses too) prices it that way.

# %%
# BEGIN SOLUTION
off = overnight_off_plan(int(best["gpus"]), P6.busy_hours_per_day, P6.gpu, days_per_month=ASSUMPTIONS.days_per_month)
wrong_off = monthly * P6.busy_hours_per_day / 24  # reserved GPUs do not stop billing: not a real plan
fp8 = cheapest_fleet(fleet_options(P6.model, P6.gpu, "fp8", tokens_per_month, P6.usd_per_gpu_hour,
                                   peak_factor, ASSUMPTIONS.headroom, kv="fp8"))["monthly_usd"]
deepinfra = cl.get_api_price("deepinfra-llama-3.3-70b")
split = cl.api_monthly_usd(tokens_per_month, deepinfra["usd_per_million_input"],
                           deepinfra["usd_per_million_output"], input_share=0.5)
plans = {"bf16, reserved, always on": monthly,
         f"bf16, on demand (${off['usd_per_gpu_hour']:.2f}/h), off overnight": off["monthly_usd"],
         "bf16, reserved rate x busy hours (wrong)": wrong_off,
         "FP8 weights + FP8 KV, reserved, always on": fp8,
         "API: Together": api_bill, "API: DeepInfra, half prompts": split}
pd.DataFrame({"$/month": plans, "$/M": {k: v / (tokens_per_month / 1e6) for k, v in plans.items()}}).round(2)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Verdict: use the API.** Priced honestly, switching off overnight saves little: the hours you
# stop paying for are bought back at the on-demand rate for the hours you run. Halving the
# reserved bill for the off hours is a plan no provider sells (and its number happens to equal the
# FP8 fleet's, a coincidence of whole replicas). FP8 weights with an FP8 KV cache (a quality
# decision) help most: they bring the always-on fleet near Together's price, yet far above a
# provider that charges less for prompt tokens, and none of these bills include the engineers who
# run the fleet. Bursty traffic is exactly what
# an API's pooled capacity absorbs for you.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Effective <span>\$</span>/M = monthly bill ÷ tokens actually served: idle hours and peak headroom are paid
#   for by every token.
# - Reserved GPUs bill around the clock; only hourly (on-demand) capacity stops billing when you
#   switch it off, at a higher rate per hour.
# - Bursty traffic keeps utilization low, which is the regime where per-token APIs win.
