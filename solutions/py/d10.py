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
# # Drill 10 · How busy must a self-hosted replica be to beat an API?
#
# *Interview drill 10 (§30.5, §30.7): break-even utilization.*
#
# **Problem.** You self-host Llama 3.1 70B with FP8 weights on a replica of two H100s (TP=2),
# reserved at the catalog price, and decode at the largest batch of 2,048-token sequences the
# replica holds. DeepInfra sells output tokens of the same weights at its catalog price (<span>\$</span>0.40
# per million). Your replica costs the same every hour, busy or idle. At what utilization (the
# fraction of its full-load output it actually produces, averaged over the month) does
# self-hosting cost the same per output token as the API?
#
# **Assumptions.** Output tokens only (as §30.7's comparison): prompt processing and the API's
# input price are left out on both sides. Decode at the middle of §30.4's MBU range, KV cache in
# bf16.
#
# **Give** `answer`: the break-even utilization, a fraction (above 1 means self-hosting never
# matches the API, even at full load). `cl.check("d10", answer)` accepts answers within 2%.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching.questions_drills import ASSUMPTIONS, D10

ctx = ASSUMPTIONS.context
pd.set_option("display.width", 160)
dep = cl.deployment(D10.model, D10.gpu, tp=D10.tp, weights=D10.weights)
D10

# %% [markdown]
# **Physics first.** The replica must hold the weights and a useful batch before it has a price.

# %%
print(cl.fit(dep, context=ctx).message)

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# **Solution.** At utilization u the replica makes u × tokens/s, so its <span>\$</span>/M is its hourly price
# (both GPUs) ÷ (u × tokens/s × 3,600 ÷ 10⁶). Setting that equal to the API's <span>\$</span>/M gives
# u = self-hosted <span>\$</span>/M at full load ÷ API <span>\$</span>/M.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
tokens_per_s = cl.decode_tokens_per_s(dep, cl.fit(dep, context=ctx).max_batch, ctx)
replica_usd_per_hour = D10.usd_per_gpu_hour * D10.tp
full_load = cl.usd_per_million_tokens(replica_usd_per_hour, tokens_per_s)
print(f"{tokens_per_s:,.0f} tokens/s at ${replica_usd_per_hour:.2f}/hour -> ${full_load:.3f}/M "
      f"at full load, vs ${D10.api_usd_per_million:.2f}/M")
answer = cl.breakeven_utilization(D10.api_usd_per_million, replica_usd_per_hour, tokens_per_s)
print(f"break-even utilization: {answer:.1%}")
# END SOLUTION

# %%
cl.check("d10", answer)

# %% [markdown]
# **When is it above 1?** (optional) The same comparison for other layouts, price tiers and
# APIs. Which combinations can never beat the API, however busy the GPUs?

# %%
# BEGIN SOLUTION
rows = []
for weights, tp in (("fp8", 2), ("bf16", 2), ("bf16", 4)):
    d = cl.deployment(D10.model, D10.gpu, tp=tp, weights=weights)
    tps = cl.decode_tokens_per_s(d, cl.fit(d, context=ctx).max_batch, ctx)
    for tier in ("reserved", "on_demand"):
        price = cl.gpu_usd_per_hour(D10.gpu, tier) * tp
        for api in (D10.api, "together-llama-3.3-70b"):
            api_price = cl.get_api_price(api)["usd_per_million_output"]
            u = cl.breakeven_utilization(api_price, price, tps)
            rows.append({"layout": f"{weights} TP={tp}", "tier": tier, "API": api,
                         "break-even utilization": round(u, 2),
                         "verdict": "never wins" if u > 1 else "wins above it"})
pd.DataFrame(rows)
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# Above 1, the replica's full-load cost per token is already higher than the API's price: no
# amount of traffic closes the gap, only a cheaper GPU-hour or more tokens per GPU-hour (a layout
# that holds a bigger batch, FP8, faster memory). Below 1, the number is the average load the
# fleet must sustain around the clock, including nights and weekends, which is hard to reach
# for a single product. Hosting providers reach it by pooling many customers' traffic.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Break-even utilization = self-hosted <span>\$</span>/M at full load ÷ API <span>\$</span>/M = hourly price of the
#   replica ÷ (tokens/s × 3,600 ÷ 10⁶ × API <span>\$</span>/M).
# - Count every GPU of the replica in the hourly price, and use the replica's own tokens/s at the
#   batch it holds.
# - A value above 1 means self-hosting never wins on price; a value near 1 means it wins only if
#   the GPUs never idle.
