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
# # 12 · Levers beyond the chapter: prefix caching, speculative decoding, energy, sensitivity
#
# The chapter prices one request shape on one deployment. Four levers it leaves out move real bills
# a lot, and interviewers ask about them right after the basics. They extend §30.2 (what an hour
# costs), §30.3 (the engine step), §30.5 (price sheets) and §30.7 (self-host vs API). Each one goes
# through the same engine as every other number in the workbook (`cl.predict` and `cl.quote`):
# nothing below is a second model.
#
# **In this notebook you will**
#
# 1. see what a prefix-cache hit saves (prefill work, time to first token, KV memory) and how API
#    price sheets bill it, then find the hit rate where self-hosting starts to beat an API;
# 2. price speculative decoding: tokens per verification step, the speedup, and the batch where it
#    stops paying;
# 3. turn step times into joules per token and kWh per million tokens, and compare a long answer at
#    batch 1 with chat at a full batch;
# 4. ask which input moves <span>\$</span>/M most, with a tornado chart.
#
# The running example is the one in issue #16: Llama 3.1 70B in FP8 (weights and KV cache) on two
# H100 SXM GPUs (TP=2), 1,000 prompt + 1,000 output tokens, on-demand prices, calibrated profile.

# %%
import pandas as pd
from IPython.display import Markdown

import costlib as cl
from costlib.ui import lever_plots, lever_widgets

EXAMPLE = ("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8")
SHAPE = dict(input_len=1000, output_len=1000)


def usd(x):
    """Dollars for markdown prose (the $ escaped so it is not read as maths)."""
    return f"<span>\\$</span>{x:,.3f}" if x < 1 else f"<span>\\$</span>{x:,.2f}"


# %% [markdown]
# ## 1. Prefix caching
#
# A serving engine keeps the KV cache of prompts it has seen. When a new prompt starts with the same
# tokens (a system prompt, a document a user keeps asking about, the earlier turns of a chat), those
# tokens are **read from the cache instead of recomputed**. Two numbers describe it:
#
# * the **hit rate** *h*: the share of prompt tokens served from the cache. Only *I (1 − h)* tokens
#   of a prompt of *I* are computed (at least one: the last token always runs, to get the logits);
# * the **shared-prefix length**: tokens every request shares. Their KV cache is stored once per
#   replica instead of once per request, so more requests fit in memory at once.
#
# What the prompts cost is their share of the GPU time: how much longer each engine step takes
# because of the prefill it carries, per million prompt tokens.

# %% tags=["nbval-check-output"]
rows = []
for h in (0.0, 0.5, 0.9):
    q = cl.quote(*EXAMPLE, **SHAPE, prefix_hit_rate=h)
    rows.append({"prefix hit rate": h, "$/M input (mid)": q.usd_per_million_input.mid,
                 "$/M output (mid)": q.usd_per_million.mid, "time to first token (ms)": q.ttft_s.mid * 1e3,
                 "batch": q.batch})
by_h = pd.DataFrame(rows).set_index("prefix hit rate")
by_h.round(4)

# %%
Markdown(f"From h = 0 to h = 0.9 the prompts' price falls from {usd(by_h.iloc[0, 0])} to "
         f"{usd(by_h.iloc[2, 0])} per million input tokens, {by_h.iloc[0, 0] / by_h.iloc[2, 0]:.0f}× less, and "
         f"the first token comes {by_h.iloc[0, 2] / by_h.iloc[2, 2]:.1f}× sooner. The output price moves "
         f"less ({usd(by_h.iloc[0, 1])} → {usd(by_h.iloc[2, 1])}): the steps are shorter, but decode still "
         "dominates a 1,000 + 1,000 request.")

# %% [markdown]
# A shared system prompt also frees memory. With a 2,000-token system prompt in front of a
# 500-token question, each request stores only its own tokens:

# %%
own = dict(input_len=2500, output_len=300)
alone = cl.predict(cl.deployment(*EXAMPLE), **own)
shared = cl.predict(cl.deployment(*EXAMPLE), **own, shared_prefix_len=2000, prefix_hit_rate=0.8)
Markdown(f"Requests in flight: {alone.batch:,} when each stores its own copy, {shared.batch:,} when the "
         f"2,000 shared tokens are stored once ({shared.batch / alone.batch:.1f}× more); output tokens/s "
         f"{alone.output_tokens_per_s.mid:,.0f} → {shared.output_tokens_per_s.mid:,.0f}.")

# %% [markdown]
# ### How API price sheets bill it
#
# Providers bill a prompt in parts: cached tokens at a **cached-input** price (cheaper, *but still
# billed*), tokens written to the cache at a **cache-write** price (Anthropic charges more than the
# input price for that; OpenAI charges the normal input price), the rest at the input price, and
# the batch API takes a **discount** off everything. Empty cells are prices we could not confirm
# from the provider's own page: costlib then bills those tokens as plain input and assumes no discount.

# %%
cols = ["id", "usd_per_million_input", "usd_per_million_cached_input", "usd_per_million_cache_write",
        "batch_discount", "usd_per_million_output"]
cl.api_prices()[cols]

# %% [markdown]
# ### When does self-hosting win?
#
# A RAG-heavy workload sends long prompts and gets short answers: here 8,000 prompt tokens and 300
# output tokens, on the example deployment at 50% utilization, against the same model served by an
# API that publishes no cached price (so its bill does not move with *h*).

# %%
rag = cl.selfhost_vs_api(*EXAMPLE, "deepinfra-llama-3.3-70b", input_len=8000, output_len=300, utilization=0.5)
lever_plots.prefix_flip_plot(rag);

# %%
Markdown(f"Without reuse the API is cheaper ({usd(rag.api_usd_per_request[0] * 1e3)} vs "
         f"{usd(rag.selfhost_usd_per_request[0] * 1e3)} per 1,000 requests). From a hit rate of "
         f"**{rag.flip_hit_rate:.2f}** self-hosting wins, and at h = 0.9 it costs "
         f"{usd(rag.selfhost_usd_per_request[90] * 1e3)} per 1,000 requests.")

# %% [markdown]
# Move the sliders: another API (one with a cached price moves too), a longer prompt, a lower
# utilization.

# %% tags=["nbval-ignore-output"]
lever_widgets.prefix_lever()

# %% [markdown]
# ## 2. Speculative decoding
#
# A cheap **draft** proposes *k* tokens; the target model checks all of them in one step and keeps
# the longest run it agrees with, plus one token of its own. If each draft token is accepted with
# probability α, one verification step yields on average
#
# $$E = 1 + \alpha + \alpha^2 + \dots + \alpha^k = \frac{1 - \alpha^{k+1}}{1 - \alpha}$$
#
# tokens per sequence, not *k*. The speedup is *E* × (plain step) ÷ (verification step + *k* × draft
# cost × plain step), with both steps timed by the engine. At small batches decode is memory-bound:
# checking *k + 1* tokens costs about as much as one. At large batches the target is compute-bound,
# checking costs about *k + 1* steps, and speculation stops paying.
#
# The draft cost *c* is an assumption: **c = 0.05** of a target step per drafted token, a draft
# of about 1B parameters or a multi-token-prediction head. For scale, the catalog's smallest
# Llama, 8B on one H100, costs this much of a target step at batch 1:

# %% tags=["nbval-check-output"]
ALPHA, K, DRAFT_COST = 0.7, 4, 0.05
target = cl.replica_spec(cl.deployment(*EXAMPLE))
draft = cl.replica_spec(cl.deployment("llama-3.1-8b", "H100-SXM", 1, "fp8", "fp8"))
eff = cl.get_profile("calibrated").mid
ctx = 1500  # the average context of a 1,000 + 1,000 request
c_8b = cl.step_parts(draft, eff, 1, ctx, ctx, 1).step_time_s / cl.step_parts(target, eff, 1, ctx, ctx, 1).step_time_s
dep = cl.deployment(*EXAMPLE)
speedup = {b: cl.speculative_speedup(dep, b, **SHAPE, alpha=ALPHA, k=K, draft_cost=DRAFT_COST) for b in (1, 64)}
crossover = cl.crossover_batch(dep, **SHAPE, alpha=ALPHA, k=K, draft_cost=DRAFT_COST)
with_8b = cl.speculative_speedup(dep, 1, **SHAPE, alpha=ALPHA, k=K, draft_cost=c_8b)
Markdown(f"An 8B draft costs c = {c_8b:.2f}. With α = {ALPHA}, k = {K}: E = "
         f"{cl.expected_tokens_per_step(ALPHA, K):.2f} tokens per step. Speedup **×{speedup[1]:.2f} at batch 1** "
         f"and **×{speedup[64]:.2f} at batch 64** (c = {DRAFT_COST}); with the 8B draft ×{with_8b:.2f} at "
         f"batch 1. The <span>\\$</span>/M output changes by 1 / speedup. Speculation stops paying from batch "
         f"**{crossover:,}**, below the memory-limited batch of {cl.quote(*EXAMPLE, **SHAPE).batch:,}.")

# %% tags=["nbval-ignore-output"]
lever_widgets.speculative_lever()

# %% [markdown]
# ## 3. Energy per token
#
# A GPU's board power depends on how busy it is. The workbook's draw model, stated in
# `costlib/data/levers.csv` with its sources, is
#
# $$P = \text{TDP} \times \big(\text{idle} + (1 - \text{idle}) \times \text{busy}\big)$$
#
# where *busy* is the share of an engine step spent in kernels (not waiting on links or fixed
# overheads) and *idle* is an assumption (a tenth of TDP). Joules per output token = *P* × GPUs ×
# PUE ÷ output tokens/s, and 1 kWh = 3.6 MJ (watts are joules per second; a watt-hour is 3,600 J).

# %%
cl.lever_constants()[["value", "low", "high", "unit", "source"]]

# %% tags=["nbval-check-output"]
USD_PER_KWH = cl.lever_constants().loc["usd_per_kwh", "value"]
q = cl.quote(*EXAMPLE, **SHAPE, usd_per_kwh=USD_PER_KWH)
e = q.energy
Markdown(f"The example draws {e.board_power_w:,.0f} W per GPU: {e.joules_per_output_token.mid:.2f} J per output "
         f"token, **{e.kwh_per_million_output_tokens:.3f} kWh per million output tokens** at PUE {e.pue:g}. At "
         f"<span>\\$</span>{USD_PER_KWH:.2f}/kWh the electricity is {usd(e.electricity_usd_per_million_output_tokens)} per "
         f"million, {e.electricity_usd_per_million_output_tokens / q.usd_per_million.mid:.1%} of the on-demand "
         "<span>\\$</span>/M: a rented GPU-hour is mostly paying for the GPU, not its power.")

# %% [markdown]
# Energy per *response* is another matter. A reasoning model that writes 8,000 tokens for one user
# at batch 1 keeps the whole replica busy for one answer; a chat answer of 300 tokens shares each
# step with hundreds of others.

# %%
tdp = cl.get_gpu("H100-SXM").tdp_w
chat = cl.energy_use(cl.predict(dep, 500, 300), tdp)
think = cl.energy_use(cl.predict(dep, 500, 8000, batch=1), tdp)
j = [chat.joules_per_response(300), think.joules_per_response(8000)]
lever_plots.energy_per_response_bars(["chat 500 + 300, memory-limited batch", "reasoning 500 + 8,000, batch 1"], j);

# %%
Markdown(f"Per token the long answer at batch 1 uses {think.joules_per_output_token.mid / chat.joules_per_output_token.mid:,.0f}× "
         f"the energy; per response **{j[1] / j[0]:,.0f}×** ({j[1] / 3600:.1f} Wh against {j[0] / 3600:.3f} Wh).")

# %% tags=["nbval-ignore-output"]
lever_widgets.energy_lever()

# %% [markdown]
# ## 4. Which input moves <span>\$</span>/M most?
#
# Set each input to the low and the high end of a plausible range, one at a time, and re-price.
# Sorted by how far <span>\$</span>/M swings, the bars say what to optimise first. The ranges and their sources
# are in `costlib/data/sensitivity_ranges.csv`; the same chart is in notebook 10 and in the
# calculator app, and `python -m costlib sensitivity` prints it as a table.

# %%
t = cl.sensitivity(*EXAMPLE, **SHAPE)
lever_plots.tornado(t);

# %%
Markdown(f"For the example, the first bar is **{t.rows[0].label}** (<span>\\$</span>/M from "
         f"{usd(t.rows[0].usd_per_million_at_low)} to {usd(t.rows[0].usd_per_million_at_high)}), the last "
         f"is {t.rows[-1].label} ({usd(t.rows[-1].swing)} of swing).")

# %% tags=["nbval-ignore-output"]
lever_widgets.tornado_lever()

# %% [markdown]
# ## Takeaways
#
# * A prefix-cache hit removes prefill work and time to first token; a shared prefix also frees KV
#   memory for more requests. API sheets bill cached tokens cheaper, never free.
# * With long prompts and reuse, the hit rate can decide self-host vs API by itself: find the flip
#   point for your traffic instead of quoting a list price.
# * Speculative decoding pays while decode is memory-bound. Count *E* = (1 − α^(k+1)) / (1 − α), not
#   *k*, and check the batch: at full throughput it can cost more than it saves.
# * Energy per token is mostly a question of batch: a long answer at batch 1 costs orders of
#   magnitude more energy per response than chat at a full batch. On rented GPUs the electricity
#   is a small slice of <span>\$</span>/M.
# * Before optimising anything, draw the tornado for your deployment.
#
# Practise it: [d15](../exercises/d15.ipynb) (prefix caching on a price sheet),
# [d16](../exercises/d16.ipynb) (speculative decoding) and [d17](../exercises/d17.ipynb) (energy).
#
# From the command line: `python -m costlib quote ... --prefix-hit-rate 0.5 --speculative 0.7,4,0.05
# --usd-per-kwh 0.08` and `python -m costlib sensitivity ...` (same options). See also notebook
# [05](05_self_host_vs_api.ipynb) (self-host vs API), [07](07_latency_frontier.ipynb) (latency)
# and [10](10_mental_model.ipynb) (the cheat sheet).
#
# **Back to the start:** [00 · Start here](00_start_here.ipynb), the map of the whole workbook.
