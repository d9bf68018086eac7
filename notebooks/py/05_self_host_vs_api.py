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
# # 05 · Self-hosting vs an API: where the bills cross (§30.7)
#
# An API bills per token: no traffic, no bill. A self-hosted model bills per GPU-hour: the GPUs
# cost the same whether they are busy or idle, and you can only rent them in whole replicas.
# Which is cheaper depends on how many tokens you push through, and on how evenly.
#
# **In this notebook you will**
#
# 1. model both monthly bills: self-hosting as a step function of whole replicas, the API as a
#    straight line with its own input and output prices;
# 2. find the crossover volume and the break-even utilization, and test the chapter's
#    "100-500M tokens/month" against its own prices;
# 3. check whether a replica can even produce the crossover volume;
# 4. see how bursty traffic, which forces you to size for the peak, moves the answer.

# %%
import pandas as pd
from IPython.display import Markdown

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

# %% [markdown]
# ## 1. Two bills
#
# **Self-hosting** pays for replicas that are always on:
#
# $$\text{monthly bill} = \text{replicas} \times \text{GPUs per replica} \times \$/\text{GPU-hour} \times 720\ \text{h},$$
#
# where the number of replicas is a whole number large enough to carry the *peak* token rate.
# The workbook follows the chapter's month of 30 days (`cl.HOURS_PER_MONTH`).
#
# **An API** charges per million tokens, usually with a lower price for input than for output
# (notebook 04):
#
# $$\text{monthly bill} = \frac{\text{tokens}}{10^6} \times \big(s_\text{in}\, p_\text{in} + (1 - s_\text{in})\, p_\text{out}\big).$$
#
# The chapter compares a 70B Llama on reserved H100s with a hosted Llama 70B API, and starts
# from the fixed floor of self-hosting: what one H100 costs for a month.

# %% tags=["nbval-check-output"]
s = ch.S30_7
one_gpu = cl.self_host_monthly_usd(0, 1.0, s.usd_per_hour, gpus_per_replica=1)
tp = cl.min_tp(s.model, s.gpu, s.weights, context=ch.CONTEXT_TOKENS)
floor = cl.self_host_monthly_usd(0, 1.0, s.usd_per_hour, gpus_per_replica=tp)
print(f"chapter's floor                 : ${s.claimed_monthly_usd:,.0f}/month for one H100")
print(f"one H100 at ${s.usd_per_hour:.2f}/h x {cl.HOURS_PER_MONTH} h  : ${one_gpu:,.0f}/month")
print(cl.fit(cl.deployment(s.model, s.gpu), context=ch.CONTEXT_TOKENS).message)
print(f"smallest replica that fits      : {tp} H100s = ${floor:,.0f}/month")

# %% [markdown]
# The chapter's floor is a rounded single-GPU month, but a single H100 cannot hold a 70B model in
# bf16 at all (§30.3). The smallest replica that can has two GPUs, which doubles the floor.
#
# ## 2. The crossover, from the chapter's own prices
#
# With a fixed fleet, the API bill grows linearly and meets the flat self-host bill at
#
# $$\text{crossover} = \frac{\text{fleet \$/month}}{\text{API \$/M}} \times 10^6\ \text{tokens}.$$
#
# `cl.crossover_tokens_per_month` computes it. The chapter's API price is Together AI's hosted
# Llama 3.3 70B, which charges the same for input and output.

# %% tags=["nbval-check-output"]
api = s.api_usd_per_million
cross_1 = cl.crossover_tokens_per_month(api, s.usd_per_hour, gpus=1)
cross_tp = cl.crossover_tokens_per_month(api, s.usd_per_hour, gpus=tp)
lo, hi = s.claimed_crossover_tokens_per_month
print(f"chapter's crossover zone    : {lo / 1e6:,.0f}M to {hi / 1e6:,.0f}M tokens/month")
print(f"one H100 vs ${api:.2f}/M API   : {cross_1 / 1e9:.2f}B tokens/month ({cross_1 / hi:.1f}x the top of the zone)")
print(f"{tp} H100s (bf16 needs them)  : {cross_tp / 1e9:.2f}B tokens/month")
print()
for volume in (s.claimed_api_cheaper_below_tokens_per_month, lo, hi):
    print(f"at {volume / 1e6:>4,.0f}M tokens/month: API ${cl.api_monthly_usd(volume, api):>6,.0f}"
          f"   vs one H100 ${one_gpu:,.0f}")

# %% [markdown]
# The chapter's own two prices put the crossover far above the top of its zone (the ratio is
# printed above), and twice as far once the second GPU that bf16 needs is paid for. Inside the zone the API is not
# close: at the top of it the API bill is a fraction of one GPU's rent.
#
# The chapter's other claim, that below ~50M tokens a month the API is almost always cheaper, is
# true with a wide margin: there the API bill is tiny next to the GPU floor.
#
# The figure reproduces the chapter's §30.7 picture with its own inputs: one GPU at its <span>\$</span>2/hour,
# the chapter's "realistic" 1,000 tokens/s per replica (§30.4), and the <span>\$</span>0.88/M API. The shaded
# band is the chapter's crossover zone; the ✕ is where the lines really cross. We count output
# tokens on both sides (`input_share=0`), since the self-hosted throughput is a decode rate.

# %%
plots.monthly_cost(tokens_per_month_range=(1e7, 1e10), tokens_per_s_per_replica=ch.S30_1.tokens_per_s,
                   usd_per_gpu_hour=s.usd_per_hour, gpus_per_replica=1, apis=(ch.P3.api,),
                   input_share=0.0);

# %% [markdown]
# ## 3. Can a replica even produce the crossover volume?
#
# A crossover only matters if the replica can make that many tokens. A replica that runs flat out
# for a month produces `cl.monthly_capacity_tokens`; the fraction of that capacity you must
# actually use to match the API is the **break-even utilization** (`cl.breakeven_utilization`).
# Above 100%, self-hosting never wins, however much traffic you have.
#
# First with the chapter's assumed 1,000 tokens/s, then with the engine's rate for real replicas
# that fit (`ch.engine_quote`, on `cl.quote`): each runs at the memory-limited batch of requests
# of `ch.INPUT_TOKENS` + `ch.OUTPUT_TOKENS` tokens, at the mid of the calibrated band (notebook 11
# checks that band against published runs).

# %% tags=["nbval-check-output"]
cap_chapter = cl.monthly_capacity_tokens(ch.S30_1.tokens_per_s)
be_chapter = cl.breakeven_utilization(api, s.usd_per_hour, ch.S30_1.tokens_per_s)
print(f"chapter's replica: 1 H100 at {ch.S30_1.tokens_per_s:,.0f} tokens/s -> {cap_chapter / 1e9:.2f}B tokens/month "
      f"at full load; break-even utilization {be_chapter:.0%}")

rows = []
for tp_, weights in ((2, "bf16"), (4, "bf16"), (8, "bf16"), (1, "fp8"), (2, "fp8")):
    dep = cl.deployment(s.model, s.gpu, tp=tp_, weights=weights)
    run = ch.engine_quote(s.model, s.gpu, tp_, weights, usd_per_gpu_hour=s.usd_per_hour)
    tps = run["tokens_per_s"]
    rows.append({"replica": dep.name, "GPUs": tp_, "batch": run["batch"], "tokens/s": tps,
                 "capacity B/month": cl.monthly_capacity_tokens(tps) / 1e9,
                 "$/month": cl.self_host_monthly_usd(0, tps, s.usd_per_hour, tp_),
                 "$/M at full load": cl.usd_per_million_tokens(s.usd_per_hour * tp_, tps),
                 "crossover B/month": cl.crossover_tokens_per_month(api, s.usd_per_hour, tp_) / 1e9,
                 "break-even util": cl.breakeven_utilization(api, s.usd_per_hour * tp_, tps)})
replicas = pd.DataFrame(rows).set_index("replica")
replicas.round(2)

# %% [markdown]
# Read the last column. The smallest replicas (bf16 on two H100s, FP8 on one) hold so few
# sequences that even flat out they cost more per token than the API: their break-even
# utilization is above 100%, so self-hosting them never pays. Replicas with room for large
# batches make tokens for well under the API price, and beat it once you keep them busy for a
# good part of the month.
#
# These are rates at full load, prompts included: uneven traffic lowers what a replica delivers
# on average (§30.4), which is the subject of section 4.
#
# The same comparison for the 4×H100 replica, against two hosted-Llama APIs:

# %%
big = replicas.loc[cl.deployment(s.model, s.gpu, tp=4).name]
plots.monthly_cost(tokens_per_month_range=(1e8, 1e11), tokens_per_s_per_replica=big["tokens/s"],
                   usd_per_gpu_hour=s.usd_per_hour, gpus_per_replica=int(big["GPUs"]),
                   apis=(ch.P3.api, "deepinfra-llama-3.3-70b"), input_share=0.0);

# %% tags=["nbval-check-output"]
full_load = big["$/M at full load"]
for api_id in ("together-llama-3.3-70b", "fireworks-llama-3.3-70b", "deepinfra-llama-3.3-70b"):
    p_out = cl.get_api_price(api_id)["usd_per_million_output"]
    be = cl.breakeven_utilization(p_out, s.usd_per_hour * big["GPUs"], big["tokens/s"])
    verdict = "self-hosting can win" if be <= 1 else "the API always wins"
    print(f"{api_id:<25} ${p_out:.2f}/M output: break-even utilization {be:.0%} ({verdict})")
print(f"4xH100 replica at full load: ${full_load:.3f}/M")

# %% [markdown]
# Against the cheapest host in the catalog the bar is much higher: where its break-even
# utilization is above 100%, no traffic makes the replica pay. Hosts that run large fleets near full load can price close to the raw GPU
# cost, which is what §30.5 observed.
#
# ## 4. Bursty or steady traffic?
#
# Self-hosted capacity must cover the **peak** rate, not the average. If the busiest hour carries
# `peak_factor` times the average rate, you buy that many times the capacity, and on average the
# fleet runs at a **duty cycle** of 1 / peak factor. A reserved GPU bills through the quiet hours
# too, so each token costs the full-load price divided by the duty cycle. An API bills only what
# you use, so its price does not care about the shape of your traffic.
#
# Below: a fixed monthly volume on 4×H100 replicas at different peak factors.

# %% tags=["nbval-check-output"]
volume = round(0.75 * big["capacity B/month"]) * 1e9  # output tokens per month: most of one replica's capacity
rows = []
for peak in (1.0, 1.5, 2.0, 3.0, 5.0):
    n = cl.replicas_needed(volume, big["tokens/s"], peak_factor=peak)
    bill = cl.self_host_monthly_usd(volume, big["tokens/s"], s.usd_per_hour, int(big["GPUs"]),
                                    peak_factor=peak)
    rows.append({"peak factor": peak, "duty cycle": 1 / peak, "replicas": n, "GPUs": n * int(big["GPUs"]),
                 "self-host $/month": bill, "self-host $/M": bill / (volume / 1e6),
                 "API $/month": cl.api_monthly_usd(volume, api),
                 "average GPU utilization": volume / cl.monthly_capacity_tokens(big["tokens/s"], n)})
bursty = pd.DataFrame(rows).set_index("peak factor")
print(f"volume: {volume / 1e9:.0f}B output tokens/month; API at ${api:.2f}/M")
bursty.round(2)

# %% [markdown]
# Steady traffic keeps a single replica busy most of the time. As the peak grows, whole replicas are added to cover it,
# the average utilization falls, and the effective <span>\$</span>/M climbs past the API price. Rounding up to
# whole replicas makes the steps uneven: a peak factor that just spills over a replica boundary
# is expensive, one that fits under it is free.
#
# Two ways out: keep the steady base load on your own GPUs and send the peaks to an API, or scale
# replicas down at night. The second has a catch: reserved capacity is a commitment that bills
# 24/7, whether the GPUs run or not. Only GPUs rented by the hour (on demand, about twice the
# reserved price, §30.2) stop billing when released. Practice 6's bursty chat app (10M tokens an
# hour for 12 hours a day) priced both ways, with the same functions as its solution
# (`costlib.teaching.fleets`):

# %% tags=["nbval-check-output"]
from costlib.teaching.fleets import cheapest_fleet, fleet_options, overnight_off_plan  # noqa: E402
from costlib.teaching.questions_practice import ASSUMPTIONS, P6  # noqa: E402

p6_tokens = P6.peak_tokens_per_hour * P6.busy_hours_per_day * ASSUMPTIONS.days_per_month
p6_fleet = cheapest_fleet(fleet_options(P6.model, P6.gpu, P6.weights, p6_tokens, P6.usd_per_gpu_hour,
                                        24 / P6.busy_hours_per_day, ASSUMPTIONS.headroom))
always_on = p6_fleet["monthly_usd"]
off = overnight_off_plan(int(p6_fleet["gpus"]), P6.busy_hours_per_day, P6.gpu,
                         days_per_month=ASSUMPTIONS.days_per_month)
print(f"{int(p6_fleet['gpus'])} H100s (TP={int(p6_fleet['tp'])}) for {p6_tokens / 1e9:.1f}B tokens/month:")
for label, bill in ((f"reserved ${P6.usd_per_gpu_hour:.2f}/h, always on", always_on),
                    (f"on demand ${off['usd_per_gpu_hour']:.2f}/h, {off['hours_per_month']:.0f} h/month", off["monthly_usd"]),
                    ("reserved rate for the busy hours only (no such plan)", always_on * P6.busy_hours_per_day / 24)):
    print(f"  {label:<55} ${bill:>6,.0f}/month = ${bill / (p6_tokens / 1e6):.2f}/M")

# %% [markdown]
# Switched off overnight and rented on demand, the fleet saves little: the hours it stops paying
# for are bought back at the on-demand rate for the hours it runs. The last line is the tempting
# mistake: the reserved rate for half the hours, a plan no provider sells.
#
# The chapter's figure again, for a bursty service with a peak factor of 3:

# %%
plots.monthly_cost(tokens_per_month_range=(1e8, 1e11), tokens_per_s_per_replica=big["tokens/s"],
                   usd_per_gpu_hour=s.usd_per_hour, gpus_per_replica=int(big["GPUs"]),
                   apis=(ch.P3.api,), input_share=0.0, peak_factor=3.0, current=volume);

# %%
cross_steady = cl.crossover_tokens_per_month(api, s.usd_per_hour, int(big["GPUs"]))
peak3 = bursty.loc[3.0]
Markdown(f"With steady traffic one 4×H100 replica beats the <span>\\$</span>{api:.2f}/M API from "
         f"**{cross_steady / 1e9:.2f}B** tokens a month. At {volume / 1e9:.0f}B tokens with a peak "
         f"factor of 3 the fleet needs **{peak3['replicas']:.0f}** replicas and costs "
         f"**<span>\\$</span>{peak3['self-host $/M']:.2f}/M**, against the API's <span>\\$</span>{api:.2f}/M.")

# %% [markdown]
# ## 5. Explore
#
# Set your traffic, its peak factor, the replica and the API, and watch the two bills, the
# crossover and the break-even utilization.

# %% tags=["nbval-ignore-output"]
widgets.self_host_explorer(tokens_per_month=volume, input_share=0.0, weights="bf16", tp=4)

# %% [markdown]
# ## Takeaways
#
# * Self-hosting is a step function of whole, always-on replicas; an API bill is a straight line
#   through zero. The crossover is the fleet's monthly bill divided by the API's <span>\$</span>/M.
# * With the chapter's own prices, the crossover lies well above its 100-500M tokens/month, and
#   higher again once you pay for the GPUs a 70B bf16 model really needs.
# * A crossover only counts if a replica can produce that volume: small replicas with little KV
#   room never beat a well-run API, whatever the traffic.
# * Size for the peak and you pay for the peak: bursty traffic divides your utilization and
#   multiplies your cost per token, while an API's price stays put.
#
# Practise it: [p3](../exercises/p3.ipynb) (100M tokens a day: self-host or API?),
# [p6](../exercises/p6.ipynb) (a bursty chat app) and [cq2](../exercises/cq2.ipynb) (why
# utilization decides).
#
# **Next:** [06 · Comparing GPUs](06_hardware.ipynb).
