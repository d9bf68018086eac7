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
# # 10 · The mental model: a one-page cheat sheet (§30.11)
#
# The chapter closes with eight points to carry into an interview. They are the right eight
# *ideas*. Some of the *numbers* attached to them do not survive a check, and the ones that matter
# most fail for the same reason: they forget the KV cache. This notebook turns the eight points
# into a cheat sheet you can trust: every formula written out, every number computed from the
# catalog, every correction shown beside the chapter's version.
#
# **In this notebook you will**
#
# 1. collect the handful of formulas that answer most cost questions, in one place;
# 2. memorize the numbers behind them (H100, Llama 3 70B, the KV cache), computed rather than
#    recalled;
# 3. test each of the chapter's eight takeaways with a live number, and correct the ones that are
#    off (the self-host vs API crossover, what quantization really saves);
# 4. recompute the whole sheet for any model, GPU and precision with an explorer.

# %%
import pandas as pd
from IPython.display import Markdown

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import lever_plots, plots, widgets

# %% [markdown]
# ## 1. The formulas
#
# With $p$ the price of a replica per hour, $N$ the parameter count, $W$ the weight bytes, $B$ the
# batch, $C$ the context (tokens per sequence), $\kappa$ the KV-cache bytes per token, $\beta$ and
# $\Phi$ the replica's memory bandwidth and peak FLOP/s, and MBU/MFU the fractions of them a real
# engine achieves (§30.4):
#
# | question | formula |
# |---|---|
# | what a million tokens cost (§30.1) | $\displaystyle \text{cost per M} = \frac{p}{\text{tokens/s} \times 3600 / 10^6}$ |
# | does it fit (physics first) | $W + B\,C\,\kappa \le \text{TP} \times \text{usable memory per GPU}$ |
# | KV bytes per token | $\kappa = 2 \times \text{layers} \times \text{KV heads} \times \text{head dim} \times \text{bytes}$ |
# | decode, memory-bound (§30.3) | $\displaystyle \text{tokens/s} \approx \frac{B\,\beta\,\text{MBU}}{W + B\,C\,\kappa}$ (the chapter drops $B\,C\,\kappa$) |
# | prefill, compute-bound (§30.3) | $\displaystyle \text{tokens/s} \approx \frac{\Phi\,\text{MFU}}{2N}$ |
# | idle time (§30.5) | $\text{cost at utilization } u = \text{cost at full load} / u$ |
# | self-host vs API (§30.7) | $\text{crossover tokens/month} = \text{fleet cost per month} / \text{API price per M} \times 10^6$ |
# | fleet size (§30.10) | $\displaystyle \text{GPUs} = \Big\lceil \frac{\text{peak tokens/s}}{\text{tokens/s per GPU}}(1 + \text{headroom}) \Big\rceil$, in whole replicas |
#
# Every row is one costlib function: `cl.usd_per_million_tokens`, `cl.fit`,
# `cl.kv_bytes_per_token`, `cl.decode_tokens_per_s_band`, `cl.prefill_ceiling_tokens_per_s`,
# `cl.cost_at_utilization`, `cl.crossover_tokens_per_month`, `cl.capacity_plan`.
#
# ## 2. The numbers to remember
#
# All from the catalog (`cl.get_gpu`, `cl.get_model`) and the formulas above; "how" shows the
# arithmetic.

# %% tags=["nbval-check-output"]
h100, model = cl.get_gpu("H100-SXM"), cl.get_model(ch.S30_10.model)
ctx, price = ch.CONTEXT_TOKENS, ch.S30_2.default_usd_per_hour
kv = cl.kv_bytes_per_token(model)
w16, w8, w4 = (cl.weight_bytes(model, p) for p in ("bf16", "fp8", "int4"))
tp16 = cl.min_tp(model, h100, "bf16", context=ctx)
rows = [
    ("H100 SXM memory", f"{h100.hbm_gb:g} GB", f"usable {cl.usable_bytes(h100) / 1e9:.0f} GB (95% - 1 GB)"),
    ("H100 SXM bandwidth", f"{h100.hbm_tb_per_s:g} TB/s", "datasheet (the chapter's 3 TB/s is rounded)"),
    ("H100 SXM compute", f"{h100.flops_for('bf16') / 1e12:,.0f} TFLOP/s",
     f"dense bf16; fp8 {h100.flops_for('fp8') / 1e12:,.0f}"),
    ("H100 ridge point", f"{h100.flops_for('bf16') / h100.hbm_bytes_per_s:.0f} FLOP/byte",
     "compute ÷ bandwidth: below it, memory-bound"),
    ("Llama 3 70B parameters", f"{model.n_params / 1e9:.2f} B", "Llama 3, 3.1 and 3.3 share the shape"),
    ("70B weights, bf16 / fp8 / int4", f"{w16 / 1e9:.1f} / {w8 / 1e9:.1f} / {w4 / 1e9:.1f} GB", "2 / 1 / 0.5 bytes per parameter"),
    ("70B KV cache per token (bf16)", f"{kv / 1024:.0f} KiB",
     f"2 x {model.n_layers} layers x {model.n_kv_heads} KV heads x {model.head_dim} x 2 B = {kv:,.0f} B"),
    (f"70B KV cache per {ctx:,}-token sequence", f"{kv * ctx / 1e9:.2f} GB", f"{ctx:,} x {kv:,.0f} B"),
    ("70B bf16: smallest H100 replica", f"TP={tp16}", f"{w16 / 1e9:.0f} GB > {cl.usable_bytes(h100) / 1e9:.0f} GB usable per GPU"),
    ("decode ceiling, 70B bf16, batch 1", f"{cl.decode_ceiling_tokens_per_s(h100.hbm_bytes_per_s, w16):.1f} tokens/s per H100",
     "bandwidth ÷ weight bytes"),
    ("prefill ceiling, 70B, one H100", f"{cl.prefill_ceiling_tokens_per_s(h100.flops_for('bf16'), model.n_params):,.0f} tokens/s",
     "bf16 FLOP/s ÷ 2N, at 100% MFU"),
    (f"$/M at {price:g} dollars/h and 1,000 tokens/s", f"${cl.usd_per_million_tokens(price, 1000):.2f}", "2 ÷ 3.6 M tokens per hour"),
    ("one GPU for a month", f"${price * cl.HOURS_PER_MONTH:,.0f}", f"{cl.HOURS_PER_MONTH} h at ${price:g}/h"),
]
sheet = pd.DataFrame(rows, columns=["quantity", "value", "how"]).set_index("quantity")
sheet

# %% [markdown]
# Three facts are worth saying out loud in an interview, because they decide everything else:

# %% tags=["nbval-check-output"]
read_s = cl.usable_bytes(h100) / h100.hbm_bytes_per_s
print(f"1. 70B bf16 weights {w16 / 1e9:.0f} GB vs {cl.usable_bytes(h100) / 1e9:.0f} GB usable on one H100: "
      f"it needs {tp16} GPUs before any batch")
print(f"2. every token of context holds {kv / 1e6:.2f} MB of KV cache per sequence: "
      f"{cl.usable_bytes(h100) / kv:,.0f} tokens fill a whole H100")
print(f"3. one H100 reads its usable memory in {read_s * 1e3:.0f} ms: a memory-bound step that touches all "
      f"of it runs at most {1 / read_s:.0f} times per second")

# %% [markdown]
# The third fact is why a replica whose memory is full of KV cache cannot be fast *and* cheap at
# the same time: each step reads everything it holds.
#
# ## 3. The eight takeaways, checked
#
# For each point of §30.11: the idea in our own words, then the number, then what to keep.
#
# ### 1. Cost per token is price per hour over tokens per hour
#
# Correct, and the one formula to know cold. The chapter's worked examples at 1,000 tokens/s:

# %% tags=["nbval-check-output"]
for usd_h, claimed in ((ch.S30_1.usd_per_hour, ch.S30_1.claimed_usd_per_million),
                       (ch.S30_5.usd_per_hour, ch.S30_5.claimed_usd_per_million)):
    got = cl.usd_per_million_tokens(usd_h, ch.S30_1.tokens_per_s)
    print(f"${usd_h:g}/h / ({ch.S30_1.tokens_per_s:,.0f} tokens/s x 3600 / 1e6) = ${got:.3f}/M (chapter: ${claimed:.2f})")

# %% [markdown]
# Keep it, with one caution: the price must be that of the whole replica. A 70B model in bf16 needs
# more than one H100, so the same 1,000 tokens/s costs a multiple of that per token.
#
# ### 2. Decode is memory-bound: tokens/s grows with bandwidth × batch ÷ model size
#
# Half right. The weights are read once per step for the whole batch, but every sequence's KV cache
# is read too, and that term grows with the batch. The chapter's formula leaves it out, so it
# overestimates more and more as the batch grows:

# %% tags=["nbval-check-output"]
d4 = cl.deployment(model.id, h100.id, tp=4)
wall = cl.memory_limited_batch(d4, *cl.request_shape(d4, ctx))  # what the memory holds: no cap
for b in (1, 16, 64, wall):
    naive = cl.decode_ceiling_tokens_per_s(d4.tp * h100.hbm_bytes_per_s, w16, b)
    roof = cl.decode_tokens_per_s_band(d4, b, ctx, profile="ceiling").mid  # the physics limit, KV reads included
    print(f"{d4.name}, batch {b:>3}: chapter's formula {naive:>7,.0f}, with KV reads {roof:>6,.0f} tokens/s "
          f"({naive / roof:.2f}x)")

# %%
plots.decode_vs_batch(d4, ctx);

# %% [markdown]
# Keep the corrected version: $B\,\beta / (W + B\,C\,\kappa)$. At small batches the weights dominate
# and the chapter's rule works; at the batches that make serving cheap, the KV cache dominates and
# tokens/s flattens out at the memory wall.
#
# ### 3. Prefill is compute-bound: tokens/s ≈ peak FLOP/s ÷ 2N
#
# Correct for ordinary prompts. Attention adds FLOPs that grow with the prompt length, so long
# prompts prefill a little more slowly than the rule says:

# %% tags=["nbval-check-output"]
d2 = cl.deployment(model.id, h100.id, tp=2)
rule = cl.prefill_ceiling_tokens_per_s(h100.flops_for("bf16"), model.n_params)
for n in (1000, 4000, 16000):
    per_gpu = cl.prefill_tokens_per_s_band(d2, n, profile="ceiling").mid / d2.tp
    print(f"{n:>6,}-token prompt: {per_gpu:,.0f} tokens/s per H100 at 100% MFU (rule: {rule:,.0f}, {per_gpu / rule:.0%})")

# %% [markdown]
# Keep it; for long prompts (RAG, long chat histories) add the attention term.
#
# ### 4. Real engines reach 30-80% of peak
#
# The chapter's §30.4 gives two different ranges, and the takeaway merges them:

# %% tags=["nbval-check-output"]
print(f"decode, memory-bound: MBU {cl.MBU_RANGE[0]:.0%}-{cl.MBU_RANGE[1]:.0%} of HBM bandwidth")
print(f"prefill, compute-bound: MFU {cl.MFU_RANGE[0]:.0%}-{cl.MFU_RANGE[1]:.0%} of peak FLOP/s")
r = ch.claim("s30_11_utilization")
print(f"takeaway: {r['chapter_low']:.0%}-{r['chapter_high']:.0%} -> {r['verdict']}")

# %% [markdown]
# Keep the two ranges apart: decode is judged against bandwidth, prefill against FLOP/s. And keep
# a third kind of utilization separate from both: the share of hours the replica has traffic at
# all (the duty cycle of §30.5), which divides the cost per token directly.
#
# ### 5. Self-hosting is 10-20× cheaper than an API, at high utilization
#
# True only against *frontier* APIs, for a *different* model. Against a hosted copy of the same
# open model, the gap is small and can go either way:

# %% tags=["nbval-check-output"]
def cheapest(weights="bf16", kv_cache=None, context=ctx, **kw):
    """The cost-optimal H100 replica of the model (compare_hardware, calibrated profile) as a table row."""
    return cl.compare_hardware(model.id, weights, kv_cache, gpus=[h100.id], context=context, usd_per_gpu_hour=price,
                               **kw).iloc[0]


best = cheapest()
chapter_usd = cl.usd_per_million_tokens(ch.S30_5.usd_per_hour, ch.S30_5.tokens_per_s)
print(f"self-hosted 70B: chapter ${chapter_usd:.2f}/M; costlib, cost-optimal bf16 (TP={best['tp']}, batch "
      f"{best['batch']}) ${best['usd_per_million']:.2f}/M at full load "
      f"(calibrated band ${best['usd_per_million_low']:.2f}-{best['usd_per_million_high']:.2f})")
for api_id in ("gpt-4o", "claude-sonnet", "together-llama-3.3-70b"):
    a = cl.get_api_price(api_id)
    print(f"  vs {a['provider']} {a['model']} (${a['usd_per_million_output']:.2f}/M output): "
          f"{a['usd_per_million_output'] / chapter_usd:.1f}x (chapter's cost), "
          f"{a['usd_per_million_output'] / best['usd_per_million']:.1f}x (costlib)")
for u in (0.8, 0.5, 0.3):
    print(f"  at {u:.0%} utilization costlib's replica costs ${cl.cost_at_utilization(best['usd_per_million'], u):.2f}/M")

# %% [markdown]
# Keep the comparison honest: compare like with like (the same model through a hosted API), and
# at the utilization you will really have.
#
# ### 6. The crossover is around 100-500M tokens a month
#
# Not with the chapter's own prices. The crossover is the fleet's monthly bill divided by the API
# price:

# %% tags=["nbval-check-output"]
api = ch.S30_7.api_usd_per_million
lo, hi = ch.S30_11.claimed_crossover_tokens_per_month
print(f"chapter: {lo / 1e6:.0f}-{hi / 1e6:.0f}M tokens/month")
for gpus, why in ((1, "one H100 (the chapter's floor)"), (tp16, "the smallest replica that holds 70B bf16"),
                  (best["tp"], "the cost-optimal replica")):
    x = cl.crossover_tokens_per_month(api, price, gpus=gpus)
    print(f"{gpus} GPU{'s' if gpus > 1 else ' '} at ${price:g}/h vs ${api}/M: {x / 1e9:.2f}B tokens/month ({why})")

# %% [markdown]
# Keep the formula, not the range: with a <span>\$</span>2/hour GPU and a <span>\$</span>0.88/M API it is billions, not
# hundreds of millions, of tokens a month, and it grows with every GPU the replica needs. And a
# crossover only counts if the replica can produce that many tokens at the utilization you will
# have (notebook 05).
#
# ### 7. Quantization is the biggest lever: FP8 or INT4 cuts cost 2-4×
#
# Partly. Weight-only quantization shrinks the bytes read for the weights; at the large batches
# that make serving cheap, most bytes read are KV cache, which stays the same size, so the cut is
# smaller than the bytes saved. Each precision below runs on its cost-optimal number of H100s, at
# the batch its memory holds (calibrated profile); the line above the table says which options
# reach the chapter's range:

# %% tags=["nbval-check-output"]
options = {"bf16 weights": ("bf16", None), "FP8 weights": ("fp8", None), "INT4 weights": ("int4", None),
           "FP8 weights + FP8 KV cache": ("fp8", "fp8")}
rows = []
for label, (w, kv_p) in options.items():
    c = cheapest(w, kv_p)
    rows.append({"option": label, "TP": c["tp"], "batch": c["batch"], "$/M": c["usd_per_million"],
                 "cut vs bf16": best["usd_per_million"] / c["usd_per_million"]})
quant = pd.DataFrame(rows).set_index("option")
lo_cut, hi_cut = ch.S30_11.claimed_quantization_cut
print(f"chapter: {lo_cut:g}-{hi_cut:g}x cheaper with FP8 or INT4")
reach = [k for k, x in quant["cut vs bf16"].items() if x >= lo_cut]
print(f"at least {lo_cut:g}x: {', '.join(reach) if reach else 'none'}")
quant.round(3)

# %% [markdown]
# The figure puts these next to the chapter's §30.5 table (stars). The chapter's rows put each
# precision on a single H100, where bf16 cannot even load; ours use the cost-optimal number of
# GPUs, priced at the same "high" utilization as the chapter's rows:

# %%
util = ch.S30_5.high_utilization
chapter_rows = {r.key: r.usd_per_million for r in ch.S30_5.cost_table}
bars = pd.DataFrame({
    "label": [f"70B {k} (TP={quant.loc[k, 'TP']})" for k in quant.index],
    "usd_per_million": [cl.cost_at_utilization(x, util) for x in quant["$/M"]],
    "chapter_usd_per_million": [chapter_rows["bf16_h100_high_util"], chapter_rows["fp8_h100"],
                                chapter_rows["int4_h100"], float("nan")],
    "kind": "self-hosted"})
plots.cost_bars(bars, log=False);

# %% [markdown]
# Other levers are as large or larger, and cheaper to pull:

# %% tags=["nbval-check-output"]
small = cheapest(tp="smallest")
print(f"batch (memory): TP={small['tp']} at batch {small['batch']} ${small['usd_per_million']:.2f}/M "
      f"-> TP={best['tp']} at batch {best['batch']} ${best['usd_per_million']:.2f}/M")
at_tp4 = cheapest(tp=d4.tp)
for c in (1024, 4096):
    r = cheapest(tp=d4.tp, context=c)
    print(f"context {c:>5,} instead of {ctx:,}: ${r['usd_per_million']:.2f}/M on {d4.name} "
          f"(${at_tp4['usd_per_million']:.2f}/M at {ctx:,})")
print(f"utilization 30% -> 80%: ${cl.cost_at_utilization(best['usd_per_million'], 0.3):.2f}/M -> "
      f"${cl.cost_at_utilization(best['usd_per_million'], 0.8):.2f}/M")

# %% [markdown]
# Keep the ranking: first give the replica enough memory to batch, then keep it busy, then shrink
# the KV cache (FP8 KV, shorter contexts, prefix sharing), and quantize the weights as well.
#
# ### 8. Sizing a fleet is quick arithmetic on the formulas above
#
# Correct, provided the per-GPU rate comes from a replica that exists. The §30.10 rubric with the
# chapter's assumed rate, and with the rate of a 4×H100 bf16 replica at its largest batch:

# %% tags=["nbval-check-output"]
s = ch.S30_10
tps4 = at_tp4["tokens_per_s_per_gpu"]
for label, rate, g in (("chapter, 1 'H100' per replica", s.tokens_per_s_per_gpu, 1), (d4.name, tps4, d4.tp)):
    p = cl.capacity_plan(s.users, s.sessions_per_day, s.tokens_per_session, rate, s.peak_factor, s.headroom,
                         s.usd_per_hour, gpus_per_replica=g)
    print(f"{label:<34} {rate:>6,.0f} tokens/s per GPU -> {p.gpus} GPUs, ${p.monthly_usd:,.0f}/month, "
          f"${p.usd_per_million_tokens:.2f}/M")

# %% [markdown]
# Keep the rubric, derive the rate (notebook 08), count prompt tokens and whole replicas, and
# compare the result with the API price before recommending a fleet.
#
# ## 4. The sheet, in one table
#
# The eight points as you might write them on an index card, with the chapter's number and the
# checked one side by side:

# %% tags=["nbval-check-output"]
fp8kv = quant.loc["FP8 weights + FP8 KV cache", "cut vs bf16"]
s11, b_wall = ch.S30_11, wall
over = (cl.decode_ceiling_tokens_per_s(d4.tp * h100.hbm_bytes_per_s, w16, b_wall)
        / cl.decode_tokens_per_s_band(d4, b_wall, ctx, profile="ceiling").mid)
hosted = cl.get_api_price("together-llama-3.3-70b")["usd_per_million_output"]
card = pd.DataFrame([
    ("1 cost = $/h ÷ tokens/h",
     f"${ch.S30_5.claimed_usd_per_million:.2f}/M at {ch.S30_5.usd_per_hour:g} dollars/h, {ch.S30_5.tokens_per_s:,.0f} tok/s",
     f"${cl.usd_per_million_tokens(ch.S30_5.usd_per_hour, ch.S30_5.tokens_per_s):.3f}/M; price the whole replica"),
    ("2 decode: bandwidth × batch ÷ model size", "linear in the batch",
     f"add the KV reads: {over:.1f}x too high at batch {b_wall}"),
    ("3 prefill: FLOP/s ÷ 2N", f"~{ch.S30_3.claimed_prefill_tokens_per_s:,.0f} tok/s per H100",
     f"{rule:,.0f} tok/s; less for long prompts"),
    ("4 realistic utilization", f"{s11.claimed_utilization[0]:.0%}-{s11.claimed_utilization[1]:.0%}",
     f"MBU {cl.MBU_RANGE[0]:.0%}-{cl.MBU_RANGE[1]:.0%}, MFU {cl.MFU_RANGE[0]:.0%}-{cl.MFU_RANGE[1]:.0%}"),
    ("5 self-host vs API", f"{s11.claimed_cheaper_than_api[0]:g}-{s11.claimed_cheaper_than_api[1]:g}x cheaper",
     f"{hosted / best['usd_per_million']:.1f}x vs hosted Llama 70B at full load"),
    ("6 crossover", f"{lo / 1e6:.0f}-{hi / 1e6:.0f}M tokens/month",
     f"{cl.crossover_tokens_per_month(api, price, gpus=tp16) / 1e9:.1f}B tokens/month for a {tp16}-GPU replica"),
    ("7 quantization", f"{lo_cut:g}-{hi_cut:g}x",
     f"{quant['cut vs bf16'].iloc[1]:.2f}x FP8, {quant['cut vs bf16'].iloc[2]:.2f}x INT4, {fp8kv:.2f}x FP8 + FP8 KV"),
    ("8 capacity planning", f"~{s.claimed_gpus} H100s for {s.users / 1e6:g}M users",
     "rate from a real replica; count prompts and whole replicas"),
], columns=["takeaway", "chapter", "checked"]).set_index("takeaway")
card

# %% [markdown]
# ## 5. Explore
#
# `costlib.ui.widgets.cheatsheet_explorer` recomputes the numbers of section 2 for any model, GPU and
# precision in the catalog: weight bytes, KV cache per token, the smallest tensor-parallel degree,
# the decode ceiling at batch 1 (the chapter's formula and the roofline), the prefill ceiling,
# and <span>\$</span>/M at the largest batch that fits. Configurations that do not fit get the shortfall, not a
# price. Try Llama 3.1 405B, an H200, or an INT4 8B model on an L40S.

# %% tags=["nbval-ignore-output"]
widgets.cheatsheet_explorer()

# %% [markdown]
# ## 6. Which lever first? The tornado
#
# Section 3 ranked the levers by argument. `cl.sensitivity` ranks them by number: it sets each input
# of a quote to the low and the high end of a plausible range (the ranges and their sources are in
# `costlib/data/sensitivity_ranges.csv`), one at a time, and sorts the inputs by how far the <span>\$</span>/M
# swings. Here for Llama 3.1 70B in FP8 on two H100s, 1,000 + 1,000 tokens; the explorers of
# notebook 12 and the calculator app draw it for any deployment.

# %%
tornado = cl.sensitivity("llama-3.1-70b", "H100-SXM", 2, "fp8", "fp8", input_len=1000, output_len=1000)
lever_plots.tornado(tornado);

# %%
top = tornado.rows[0]
Markdown(f"Optimise first: **{top.label}** ({top.low_value} → {top.high_value} moves the <span>\\$</span>/M by "
         f"<span>\\$</span>{top.swing:.2f}); then {tornado.rows[1].label} and {tornado.rows[2].label}.")

# %% [markdown]
# ## Takeaways
#
# * One formula prices everything: cost per hour over tokens per hour, for the whole replica and
#   at the utilization you will really have.
# * Check memory before anything else: weights plus KV cache must fit, and the KV cache is also
#   what limits decode speed at the batches that make serving cheap.
# * The chapter's crossover range and its quantization savings are both too optimistic; recompute
#   them from the formulas rather than quoting them.
# * The biggest levers, in order: room to batch, steady load, a smaller KV cache, then smaller
#   weights.
#
# Practise it: [p1](../exercises/p1.ipynb), [p2](../exercises/p2.ipynb) and
# [cq1](../exercises/cq1.ipynb) (the cost formula), [cq3](../exercises/cq3.ipynb) and
# [p5](../exercises/p5.ipynb) (memory-bound decode and FP8), [cq4](../exercises/cq4.ipynb)
# (bandwidth), [p3](../exercises/p3.ipynb), [p6](../exercises/p6.ipynb) and
# [cq2](../exercises/cq2.ipynb) (self-host or API), [p4](../exercises/p4.ipynb) and
# [p7](../exercises/p7.ipynb) (latency and prices).
#
# **Next:** [11 · How wrong is the roofline?](11_how_wrong_is_the_roofline.ipynb).
