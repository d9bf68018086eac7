# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The cost model and what a GPU-hour costs (§30.1–§30.2)
#
# Serving a model means paying for accelerator time by the hour and selling (or using) its
# output by the token. One ratio connects the two, and this notebook is about getting that ratio
# right: its units, its inputs, and the one check that has to come before it.
#
# **Learning goals**
# 1. Write the cost formula with its units, and recognise the 3,600× and 10⁶× errors a dropped
#    conversion produces.
# 2. Reproduce the chapter's worked example and the numbers in its §30.1 figure, including what
#    50% utilization does to them.
# 3. Price one H100 under the five ways of buying it (on-demand, reserved, spot, bare metal, owned),
#    and amortize a purchased GPU into an hourly cost.
# 4. Separate a correct formula from an impossible configuration: the chapter's example puts a
#    70B bf16 model on a single H100, which cannot hold it.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

# %% [markdown]
# ## 1.1 One ratio, three inputs (§30.1)
#
# A GPU is billed **per hour**, a serving engine produces tokens **per second**, and prices are
# quoted **per million tokens**. The cost formula is nothing but the change of units between those
# three:
#
# $$
# \frac{\$}{\text{million tokens}}
# \;=\; \frac{\text{price}\;[\$/\text{h}]}
#            {\text{throughput}\;[\text{tokens}/\text{s}] \times 3600\;[\text{s}/\text{h}] \;\div\; 10^{6}\;[\text{tokens per million}]}
# $$
#
# The denominator is *millions of tokens per hour*. Read it as two separate conversions: **×3600**
# turns "per second" into "per hour", and **÷10⁶** turns "tokens" into "millions of tokens".
#
# So you need three things: an hourly price (§30.2, later in this notebook), a throughput (the
# hard part — notebooks 02 and 03), and the unit conversion, which is where careless mistakes
# live. Here is the chapter's worked example, one conversion at a time:

# %% tags=["nbval-check-output"]
ex = ch.S30_1  # the chapter's inputs: $3/hour, 1,000 tokens/s
tokens_per_hour = ex.tokens_per_s * 3600
million_tokens_per_hour = tokens_per_hour / 1e6
usd_per_million = ex.usd_per_hour / million_tokens_per_hour
print(f"{ex.tokens_per_s:,.0f} tokens/s × 3,600 s/h  = {tokens_per_hour:,.0f} tokens/h")
print(f"{tokens_per_hour:,.0f} tokens/h ÷ 10^6   = {million_tokens_per_hour:.2f} million tokens/h")
print(f"${ex.usd_per_hour:.2f}/h ÷ {million_tokens_per_hour:.2f} M tokens/h = ${usd_per_million:.4f} per million tokens")
print(f"costlib: cl.usd_per_million_tokens({ex.usd_per_hour:g}, {ex.tokens_per_s:g}) = "
      f"{cl.usd_per_million_tokens(ex.usd_per_hour, ex.tokens_per_s):.4f}")
print(f"chapter: ${ex.claimed_usd_per_million:.2f} per million tokens")

# %% [markdown]
# The chapter also writes the formula as (price × 1000) ÷ (tokens per hour ÷ 1000). That is the
# same thing — the two thousands multiply to the million — just harder to read:

# %% tags=["nbval-check-output"]
alt = (ex.usd_per_hour * 1000) / (tokens_per_hour / 1000)
print(f"(price × 1000) / (tokens per hour / 1000) = ${alt:.4f} per million tokens")

# %% [markdown]
# ### What a dropped conversion does
#
# Forget one of the two conversions and the answer is off by a round, recognisable factor. It is
# worth learning those factors by heart, so that an answer thousands of times too high, or a
# millionth of what it should be, sets off an alarm immediately:

# %% tags=["nbval-check-output"]
p, t = ex.usd_per_hour, ex.tokens_per_s
right = cl.usd_per_million_tokens(p, t)
slips = pd.DataFrame({
    "what was computed": ["correct", "forgot ×3600", "forgot ÷10^6", "forgot both"],
    "formula": ["p / (t × 3600 / 1e6)", "p / (t / 1e6)", "p / (t × 3600)", "p / t"],
    "$ per million tokens": [right, p / (t / 1e6), p / (t * 3600), p / t],
})
slips["× the right answer"] = slips["$ per million tokens"] / right
print(slips.to_string(index=False, formatters={
    "$ per million tokens": lambda x: f"{x:.3g}", "× the right answer": lambda x: f"{x:,.4g}"}))

# %% [markdown]
# Forgetting ×3600 makes tokens look 3,600 times scarcer (a per-*second* rate treated as per
# hour), so the price comes out **3,600× too high**. Forgetting ÷10⁶ gives the price of a single
# token, **10⁶× too low**. Forgetting both divides the answer by 10⁶ ÷ 3,600 (last row): a
# factor small enough to look plausible, which makes it the most dangerous slip of the three.
#
# The exercises know these slips: `cl.check` recognises them and says which one you made. For
# example, here are the two classic wrong answers to practice problem p1 (which you will solve
# yourself later):

# %%
p1 = ch.P1
print(cl.check("p1", p1.usd_per_hour / (p1.tokens_per_s / 1e6)))
print(cl.check("p1", p1.usd_per_hour / (p1.tokens_per_s * 3600)))

# %% [markdown]
# ## 1.2 The chapter's figure: throughput and utilization (§30.1)
#
# The §30.1 figure takes the reserved price the chapter uses as its default, <span>\$</span>2 per hour, at the
# same 1,000 tokens/s, and then halves the utilization. Utilization here means the share of paid
# hours in which the GPU is actually producing at that rate. An idle hour still costs a full hour,
# so <span>\$</span>/M grows as 1 ÷ utilization:

# %% tags=["nbval-check-output"]
fig_price, fig_util = ex.figure_usd_per_hour, ex.figure_utilization
full = cl.usd_per_million_tokens(fig_price, ex.tokens_per_s)
half = cl.usd_per_million_tokens(fig_price, ex.tokens_per_s, utilization=fig_util)
print(f"${fig_price:.2f}/h at {ex.tokens_per_s:,.0f} tokens/s, busy 100%: ${full:.4f}/M "
      f"(chapter ${ex.claimed_figure_usd_per_million:.2f})")
print(f"${fig_price:.2f}/h at {ex.tokens_per_s:,.0f} tokens/s, busy {fig_util:.0%}:  ${half:.4f}/M "
      f"(chapter ${ex.claimed_figure_half_util_usd_per_million:.2f})")

# %% [markdown]
# The same relationship over a range of throughputs, on log–log axes where "price ÷ throughput"
# is a straight line. The red stars are the chapter's two points; each utilization curve is the
# 100% curve shifted up by 1 ÷ utilization.

# %%
plots.cost_vs_throughput(usd_per_hour=fig_price, utilization=(1.0, 0.5, 0.3), mark=True);

# %% [markdown]
# Two things to read off the plot. First, doubling throughput halves the cost — this is why
# batching, quantization and better hardware matter so much (notebooks 02–03). Second, the
# utilization curves are parallel: no amount of throughput rescues a GPU that sits idle most of the
# day.
#
# **How does this compare with an API?** The chapter sets its <span>\$</span>3/hour example against GPT-4o
# (<span>\$</span>10/M output) and Claude Sonnet (<span>\$</span>15/M output) and concludes self-hosting is 10–20× cheaper:

# %% tags=["nbval-check-output"]
for name, api in [("GPT-4o", ex.gpt4o_usd_per_million_output),
                  ("Claude Sonnet", ex.sonnet_usd_per_million_output)]:
    print(f"{name}: ${api:.2f}/M ÷ ${right:.2f}/M = {api / right:.1f}×")

# %% [markdown]
# The arithmetic holds, but keep two caveats in mind: those APIs serve much larger frontier models
# than a self-hosted 70B, so this is not a like-for-like comparison (`05_self_host_vs_api`
# compares with hosted Llama 70B APIs instead), and — more fundamentally — the configuration behind
# the chapter's price does not exist, as the next section shows.

# %% [markdown]
# ## 1.3 The formula is fine; the configuration is not (§30.1)
#
# The worked example is "a 70B model on a single H100". Before pricing anything, ask whether the
# model fits in the GPU's memory. Llama 3.1 70B has a little more than 70 billion parameters; in
# bf16 each takes 2 bytes. An 80 GB H100 has somewhat less than 80 GB usable once the serving
# engine's reserve is set aside (see the conventions in `00_start_here`):

# %% tags=["nbval-check-output"]
dep1 = cl.deployment(ex.model, ex.gpu, tp=ex.n_gpus, weights=ex.weights)
f1 = cl.fit(dep1)
print(f1.message)
print(f"parameters: {dep1.model.n_params / 1e9:.2f} B → weights {f1.weight_bytes / 1e9:.1f} GB "
      f"vs {f1.usable_bytes / 1e9:.1f} GB usable on one {dep1.gpu.id}")

# %%
plots.memory_use(dep1);

# %% [markdown]
# The weights alone overflow one H100, before a single token of KV cache is stored. So the
# chapter's price is a correct calculation about a machine that cannot exist. Two real ways out, both
# previewed here and explored in notebooks 02–03:
#
# * **Split the model over two GPUs** (tensor parallelism, TP=2). Memory doubles, but so does the
#   bill, and the pair still has little room for KV cache beside the bf16 weights: it makes far
#   fewer tokens/s than the chapter's 1,000, so each token costs much more than twice as much
#   (printed below).
# * **Store the weights in fewer bits** (fp8: 1 byte per parameter). Then the model fits on one
#   H100, but with very little room left for the KV cache, so only a handful of sequences can run at
#   once.

# %%
dep2 = cl.deployment(ex.model, ex.gpu, tp=2, weights=ex.weights)
batch2 = cl.fit(dep2).max_batch
tps2 = cl.decode_tokens_per_s(dep2, batch2, ch.CONTEXT_TOKENS)
print(f"TP=2 bf16 replica: room for {batch2} sequences of {ch.CONTEXT_TOKENS:,} tokens, "
      f"{tps2:,.0f} tokens/s -> ${cl.usd_per_million_tokens(2 * ex.usd_per_hour, tps2):.2f}/M at "
      f"${ex.usd_per_hour:g}/GPU-hour (the chapter's one-GPU figure: ${right:.2f}/M)")

# %% tags=["nbval-check-output"]
tp_min = cl.min_tp(ex.model, ex.gpu, ex.weights)
print(f"smallest TP that holds {cl.get_model(ex.model).name} in {ex.weights.upper()}: {tp_min}")
print(f"same {ex.tokens_per_s:,.0f} tokens/s on {tp_min} GPUs at ${ex.usd_per_hour:.2f}/GPU-hour: "
      f"${cl.usd_per_million_tokens(ex.usd_per_hour * tp_min, ex.tokens_per_s):.2f}/M")
print(cl.fit(cl.deployment(ex.model, ex.gpu, weights="fp8")).message)

# %% [markdown]
# ## 1.4 What a GPU-hour costs: five ways to buy it (§30.2)
#
# The numerator of the formula depends on how you procure the hardware. The catalog records the
# chapter's on-demand price table, plus a few GPUs the chapter does not price (marked with their own
# sources in `costlib/data/gpu_prices.csv`):

# %%
prices = cl.gpu_prices()
prices[["gpu", "tier", "usd_per_hour_low", "usd_per_hour_high", "as_of"]]

# %% [markdown]
# The other tiers are described in the chapter as fractions of the on-demand price. The catalog
# stores those rules, including whether a tier is suitable for latency-sensitive serving:
#
# * **On-demand**: pay by the hour, stop any time. The most flexible and the most expensive.
# * **Reserved** (1- or 3-year commitment): about half of on-demand — but you pay whether or not
#   you use it, so it only saves money if you keep it busy.
# * **Spot / preemptible**: about half of reserved, and the provider can take the GPU back at any
#   moment. Fine for batch jobs that can restart, wrong for interactive serving.
# * **Bare metal** from GPU-focused clouds: 30–50% below the big clouds' price for the same chip,
#   with fewer managed services around it.
# * **Owned**: buy the GPU and pay for power, cooling and people. The chapter calls it the cheapest
#   option; section 1.5 checks that, and with the server around the GPU counted it is not clearly
#   cheaper than reserved.

# %%
cl.tiers()[["tier", "fraction_of_on_demand_low", "fraction_of_on_demand_high", "suitable_for_serving"]]

# %% [markdown]
# Applied to the H100 (the "owned" row comes from the chapter's own estimate, checked in 1.5):

# %% tags=["nbval-check-output"]
gpu = ex.gpu
tiers = ["on_demand", "reserved", "bare_metal", "spot", "owned"]
h100_tiers = pd.DataFrame({
    "tier": tiers,
    "low": [cl.gpu_usd_per_hour(gpu, t, "low") for t in tiers],
    "usd_per_gpu_hour": [cl.gpu_usd_per_hour(gpu, t, "mid") for t in tiers],
    "high": [cl.gpu_usd_per_hour(gpu, t, "high") for t in tiers],
})
h100_tiers["$/M per 1,000 tok/s"] = cl.usd_per_million_tokens(h100_tiers["usd_per_gpu_hour"], 1000)
print(f"{gpu}, $ per GPU-hour by tier (mid = middle of the range):")
print(h100_tiers.round(3).to_string(index=False))

# %%
plots.procurement_bars(h100_tiers, highlight="reserved");

# %% [markdown]
# The last column shows why the tier matters as much as the engine: at the same throughput, the
# cost per token scales with the hourly price, so spot costs a fraction of on-demand per token. The
# chapter settles on **<span>\$</span>2 per H100-hour**, the top of its reserved range, for the rest of the
# chapter — a sensible, slightly pessimistic default for a company that commits to capacity.
#
# Two small inconsistencies in the chapter are worth noticing (they don't change any conclusion):

# %% tags=["nbval-check-output"]
od = ch.S30_2.on_demand[[r.gpu for r in ch.S30_2.on_demand].index(gpu)]
print(f"H100 on-demand: §30.1 says ${ex.h100_on_demand_usd_per_hour[0]:.2f}-"
      f"{ex.h100_on_demand_usd_per_hour[1]:.2f}/h, the §30.2 table ${od.usd_per_hour_low:.2f}-"
      f"{od.usd_per_hour_high:.2f}/h (the catalog follows the table)")
print(f"bare metal / owned: §30.1 says about ${ex.capex_usd_per_hour:.2f}/h or less, "
      f"§30.2 says ${ch.S30_2.claimed_owned_usd_per_hour[0]:.2f}-{ch.S30_2.claimed_owned_usd_per_hour[1]:.2f}/h "
      f"for an owned H100")

# %% [markdown]
# ## 1.5 Owning a GPU: turning a purchase into an hourly price (§30.2)
#
# An owned GPU has no hourly price tag, so we build one. Spread the purchase price evenly over its
# useful life (straight-line depreciation), add the electricity it draws — scaled up by the data
# centre's PUE, the overhead of cooling and power delivery — and add a share for operations
# (people, space, networking). `cl.owned_cost` does exactly that, with stated defaults: 700 W
# board power, PUE 1.3, <span>\$</span>0.10/kWh and 15% operations overhead.
#
# The chapter gives a purchase price range for an H100 SXM and a 3-year life (`ch.S30_2`), and
# estimates the result at "roughly <span>\$</span>1.50–2 per hour". Ours, at the low end, middle and high end of
# its price range:

# %% tags=["nbval-check-output"]
s2 = ch.S30_2
rows = []
for purchase in (s2.h100_purchase_usd[0], sum(s2.h100_purchase_usd) / 2, s2.h100_purchase_usd[1]):
    oc = cl.owned_cost(purchase_usd=purchase, years=s2.amortization_years)
    rows.append({"purchase $": purchase, "capex $/h": oc.capex_usd_per_hour,
                 "power $/h": oc.power_usd_per_hour, "operations $/h": oc.ops_usd_per_hour,
                 "total $/h": oc.usd_per_gpu_hour})
owned = pd.DataFrame(rows)
print(owned.to_string(index=False, formatters={"purchase $": "${:,.0f}".format},
                      float_format=lambda x: f"{x:.3f}"))
lo, hi = s2.claimed_owned_usd_per_hour
print(f"chapter: ${lo:.2f}-{hi:.2f}/h")

# %% [markdown]
# The chapter's range holds up for the GPU alone: the amortized capital dominates, and electricity
# is a small share of the total, not a rounding error (printed below). But the GPU is not all you
# buy: an H100 SXM sits in an 8-GPU server with CPUs, memory, NICs, switches and a chassis, and the
# table above leaves that share out. The GPU alone already lands inside the chapter's reserved
# range; how large may the server's share be before owning costs more than even its top?

# %% tags=["nbval-check-output"]
mid = owned.iloc[1]
print(f"electricity (with PUE) is {mid['power $/h'] / mid['total $/h']:.0%} of the owned cost")
reserved_low, reserved_high = ex.h100_reserved_usd_per_hour
share = 0.0
while cl.owned_usd_per_gpu_hour(mid["purchase $"] * (1 + share), s2.amortization_years) \
        < reserved_high:
    share += 0.01
print(f"owned, GPU only: ${mid['total $/h']:.2f}/h vs reserved ${reserved_low:.2f}-"
      f"{reserved_high:.2f}/h; with a server, network and chassis share above {share:.0%} of the "
      f"GPU's price, owning costs more than the top of the reserved range")

# %% [markdown]
# So "capex is the cheapest option" is not a rule: owning wins only with a small server share, a
# long life and a busy GPU. Two consequences worth remembering:
#
# * Ownership only pays off if the GPU is busy. The hourly cost above is per *calendar* hour; at 50%
#   utilization the cost per useful hour doubles, exactly like the utilization curves in 1.2.
# * The life you assume matters more than the power price. Stretch the same GPU over 5 years and
#   the hourly cost drops a lot — if the hardware is still worth running by then:

# %% tags=["nbval-check-output"]
mid_price = sum(s2.h100_purchase_usd) / 2
for years in (3, 4, 5):
    print(f"${mid_price:,.0f} over {years} years: ${cl.owned_usd_per_gpu_hour(mid_price, years):.2f}/h")
print(f"doubling the electricity price (3 years): "
      f"${cl.owned_usd_per_gpu_hour(mid_price, 3, usd_per_kwh=0.20):.2f}/h")

# %% [markdown]
# ## 1.6 Explore
#
# The explorers come from `costlib.ui.widgets`: every control recomputes with costlib and redraws
# the figure; a configuration that does not fit says so instead of showing a number.
#
# **Cost explorer.** Move the price, the throughput and the utilization and watch <span>\$</span>/M respond.
# Try: what throughput does a <span>\$</span>4/hour on-demand H100 need to match a <span>\$</span>2/hour reserved one at 50%
# utilization? Predict first, then check.

# %% tags=["nbval-ignore-output"]
widgets.cost_explorer()

# %% [markdown]
# **Procurement explorer.** Pick a GPU, a tier and a point in the price range, or switch to an owned
# GPU and change its purchase price, life and power cost.

# %% tags=["nbval-ignore-output"]
widgets.procurement_explorer()

# %% [markdown]
# ## Takeaways
#
# - **Cost per million tokens = price per hour ÷ millions of tokens per hour.** The conversion is
#   ×3600 (seconds to hours) and ÷10⁶ (tokens to millions); dropping one gives a 3,600× or 10⁶× error.
# - **Utilization divides straight into cost.** An idle GPU-hour is billed like a busy one, so
#   <span>\$</span>/M scales as 1 ÷ utilization.
# - **The price per GPU-hour depends on how you buy it**: on-demand, reserved (about half),
#   spot (about a quarter, not for serving), bare metal, or owned (capital spread over its life,
#   plus power and operations).
# - **Check memory before you price.** The chapter's "70B on one H100" does not fit in bf16; a
#   correct formula applied to an impossible configuration gives a meaningless number.
# - Practise: [cq1](../exercises/cq1.ipynb), [p1](../exercises/p1.ipynb),
#   [p2](../exercises/p2.ipynb), [p7](../exercises/p7.ipynb), and the drill
#   [d9](../exercises/d9.ipynb) (owning vs reserving). Next: [02 · The throughput ceiling](02_throughput_ceiling.ipynb), where the
#   throughput in the denominator comes from.
