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
# # 04 · Prefill vs decode: what an input token and an output token cost (§30.6)
#
# Every request runs in two phases. **Prefill** pushes the whole prompt through the model in one
# pass and builds its KV cache; **decode** then writes the answer one token per step. The two
# phases run into different limits of the GPU, so a prompt token and an output token do not cost
# the same.
#
# **In this notebook you will**
#
# 1. price a million prefill tokens and a million decode tokens with the chapter's two formulas,
#    and catch the unit slip in its prefill line;
# 2. check the chapter's decode example against memory (physics first) and redo it on a
#    replica that actually fits;
# 3. see how the prompt/output mix of a workload (chat, RAG, reasoning) moves the bill;
# 4. compare the input/output cost ratio the physics gives with what real APIs charge.

# %%
import pandas as pd

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

# %% [markdown]
# ## 1. Two phases, two bottlenecks
#
# **Prefill is compute-bound.** The prompt's tokens travel through the network together, so each
# weight fetched from memory is reused for hundreds or thousands of tokens. Arithmetic runs out
# long before memory bandwidth does. A dense model spends about 2 FLOPs per parameter per token:
#
# $$\text{prefill tokens/s} = \frac{\text{peak FLOP/s} \times \text{MFU}}{2 \times \text{params}}$$
#
# **Decode is memory-bound.** A step yields one token per sequence in the batch but must stream
# every weight from HBM. Sharing that read across a batch of $B$ sequences is what makes decode
# affordable:
#
# $$\text{decode tokens/s} = \frac{\text{HBM bandwidth} \times \text{MBU}}{\text{model bytes}} \times B$$
#
# In both cases, <span>\$</span>/million tokens = (<span>\$</span>/hour) ÷ (million tokens per hour), as in §30.1.
#
# ### The chapter's prefill example
#
# The chapter prices prefill for a 70B model on one H100 at its default price and 40% MFU. Its
# inputs live in `costlib.teaching.chapter.S30_6`; we run its formula on them.

# %% tags=["nbval-check-output"]
s = ch.S30_6
prefill_tps = cl.prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, s.mfu)
prefill_per_hour = prefill_tps * 3600
prefill_usd_m = cl.usd_per_million_tokens(s.usd_per_hour, prefill_tps)
print(f"inputs     : {s.peak_flops / 1e12:,.0f} TFLOP/s, {s.n_params / 1e9:.0f}B params, "
      f"MFU {s.mfu:.0%}, ${s.usd_per_hour:.2f}/hour")
print(f"throughput : {prefill_tps:,.0f} prefill tokens/s")
print(f"per hour   : {prefill_per_hour:,.0f} tokens = {prefill_per_hour / 1e6:.1f} million")
print(f"cost       : ${prefill_usd_m:.3f} per million prefill tokens "
      f"(chapter: ${s.claimed_prefill_usd_per_million:.2f})")

# %% [markdown]
# The dollar figure agrees with the chapter. The token count on the line before it does not: the
# chapter writes the hourly prefill volume in *trillions*. Here is what that word would imply.

# %% tags=["nbval-check-output"]
claimed = s.claimed_prefill_tokens_per_hour
print(f"chapter's hourly volume    : {claimed / 1e12:.1f} trillion tokens")
print(f"the formula gives          : {prefill_per_hour / 1e6:.1f} million tokens")
print(f"ratio                      : {claimed / prefill_per_hour:.2g}")
print(f"$/M if 'trillion' were true: ${cl.usd_per_million_tokens(s.usd_per_hour, claimed / 3600):.1e}")

# %% [markdown]
# "Trillion" should read **million**. The unit word is off by six orders of magnitude, while the
# final <span>\$</span>/M was evidently computed with the right count. Slips like this hide well because the
# bottom line still looks plausible: whenever you copy a derivation, redo its units.
#
# ### The chapter's decode example
#
# For decode the chapter takes 70% MBU, a batch of 128, its rounded 3 TB/s for the H100 and
# 140 GB of bf16 weights.

# %% tags=["nbval-check-output"]
decode_tps = cl.decode_ceiling_tokens_per_s(s.hbm_bytes_per_s * s.mbu, s.model_bytes, s.batch)
decode_usd_m = cl.usd_per_million_tokens(s.usd_per_hour, decode_tps)
print(f"throughput : {decode_tps:,.0f} decode tokens/s = {decode_tps * 3600 / 1e6:.2f} million per hour "
      f"(chapter: {s.claimed_decode_tokens_per_hour / 1e6:.1f} million)")
print(f"cost       : ${decode_usd_m:.3f} per million decode tokens "
      f"(chapter: ${s.claimed_decode_usd_per_million:.2f})")
print(f"decode / prefill cost: {decode_usd_m / prefill_usd_m:.2f}x")

# %% [markdown]
# Both decode lines are right. Keep the last ratio in mind: with the chapter's own inputs an
# output token costs well under twice an input token. Section 4 returns to it.
#
# ## 2. Physics first: does a batch of 128 fit on one H100?
#
# The decode formula never asks whether the batch fits. It must: each sequence in the batch keeps
# its KV cache in GPU memory, and per token of context that cache takes 2 (K and V) × layers ×
# KV heads × head dimension × bytes per value. The chapter gives no sequence length, so we use
# the workbook's standard sequence of `ch.CONTEXT_TOKENS` tokens.

# %% tags=["nbval-check-output"]
model, gpu, context = s.model, s.gpu, ch.CONTEXT_TOKENS
f = cl.fit(cl.deployment(model, gpu), context=context, batch=s.batch)
print(f"KV cache per token : {cl.kv_bytes_per_token(model) / 1e6:.3f} MB")
print(f"weights            : {f.weight_bytes / 1e9:.1f} GB")
print(f"KV for the batch   : {f.kv_bytes / 1e9:.1f} GB ({s.batch} x {context:,} tokens)")
print(f"usable on one H100 : {f.usable_bytes / 1e9:.1f} GB")
print(f.message)

# %% [markdown]
# The example cannot run: the weights alone overflow one H100, and the batch's KV cache adds more
# than half the weights again. Which tensor-parallel (TP) degree holds it?

# %% tags=["nbval-check-output"]
for tp in cl.valid_tp(model):
    r = cl.fit(cl.deployment(model, gpu, tp=tp), context=context, batch=s.batch)
    verdict = "fits" if r.fits else "does not fit"
    print(f"TP={tp}: {verdict:<12} room for {r.max_batch:,} sequences of {context:,} tokens")

# %% [markdown]
# Two H100s hold the weights but leave room for only a handful of sequences; a batch of 128 needs
# **four**. We therefore redo the decode price on a 4×H100 replica.
#
# Splitting a memory-bound model over more GPUs barely moves its <span>\$</span>/M: four GPUs cost four times
# as much per hour and also stream the weights four times as fast. What does move the price is
# listed below, one correction at a time, from the chapter's formula to the workbook's one
# prediction path (`cl.decode_usd_per_million`, on `cl.predict`'s engine step: weight reads, KV
# reads, attention and the all-reduces of TP). Passing the chapter's 70% MBU and 40% MFU
# (`mbu=`, `mfu=`) keeps the efficiencies fixed so that only the physics changes; the last line
# then swaps them for the **calibrated** profile, fitted to published measurements (notebook 11).

# %% tags=["nbval-check-output"]
h100 = cl.get_gpu(gpu)
wbytes = cl.weight_bytes(model)
kv_per_step = s.batch * context * cl.kv_bytes_per_token(model)
tp4 = cl.deployment(model, gpu, tp=4)
steps = [
    ("chapter: 3 TB/s, 140 GB, weights only", s.hbm_bytes_per_s, s.model_bytes),
    (f"datasheet bandwidth {h100.hbm_tb_per_s:.2f} TB/s", h100.hbm_bytes_per_s, s.model_bytes),
    (f"real weights, {wbytes / 1e9:.1f} GB", h100.hbm_bytes_per_s, wbytes),
    (f"+ KV cache read each step, {kv_per_step / 1e9:.1f} GB", h100.hbm_bytes_per_s, wbytes + kv_per_step),
]
for label, bw, nbytes in steps:
    tps = cl.decode_ceiling_tokens_per_s(bw * s.mbu, nbytes, s.batch)
    print(f"{label:<42} ${cl.usd_per_million_tokens(s.usd_per_hour, tps):.3f}/M")
real_decode = cl.decode_usd_per_million(tp4, s.usd_per_hour, s.batch, context, mbu=s.mbu, mfu=s.mfu)
print(f"{'4xH100 replica, TP all-reduces included':<42} ${real_decode:.3f}/M  <- fits in memory")
calibrated = {pt: cl.decode_usd_per_million(tp4, s.usd_per_hour, s.batch, context, point=pt)
              for pt in ("low", "mid", "high")}
print(f"{'same replica, calibrated profile':<42} ${calibrated['mid']:.3f}/M "
      f"(${calibrated['low']:.3f}-{calibrated['high']:.3f})")

# %% [markdown]
# The largest correction is the KV cache. With 128 sequences of this length, every step reads a
# cache more than half the size of the weights, and the weights-only formula never counts it. The
# calibrated line adds what real engines lose to launches, scheduling and slower all-reduces.
#
# Prefill on the same replica costs about what the chapter said, because it is compute-bound and
# TP splits the FLOPs in step with the price. `cl.prefill_usd_per_million` also counts attention
# FLOPs, which grow with the square of the prompt length, so very long prompts cost more per token:

# %% tags=["nbval-check-output"]
for prompt in (1000, 8000, 32000):
    usd = cl.prefill_usd_per_million(tp4, s.usd_per_hour, prompt_tokens=prompt, mfu=s.mfu)
    usd_cal = cl.prefill_usd_per_million(tp4, s.usd_per_hour, prompt_tokens=prompt)
    print(f"prompt of {prompt:>6,} tokens: ${usd:.3f} per million prefill tokens at MFU {s.mfu:.0%}, "
          f"${usd_cal:.3f} calibrated")
real_prefill = cl.prefill_usd_per_million(tp4, s.usd_per_hour, prompt_tokens=1000, mfu=s.mfu)
print(f"decode / prefill on 4xH100 (batch {s.batch}, 1,000-token prompts): "
      f"{real_decode / real_prefill:.2f}x")

# %% [markdown]
# ## 3. The workload mix decides which phase you pay for
#
# A request costs GPU time for its prompt plus GPU time for its answer. `cl.workload_cost` adds
# the two for a prompt length, an output length and a decode batch, and reports the prefill share
# of GPU time and the blended <span>\$</span>/M over all tokens. `cl.WORKLOADS` has three typical shapes:
#
# * **chat**: prompt and answer of similar length;
# * **rag**: a long retrieved context and a short answer;
# * **reasoning**: a short question and a long chain of thought.
#
# Longer sequences need more KV memory, so each workload decodes at the largest batch (up to the
# chapter's 128) that its full sequence leaves room for on the 4×H100 replica. From here on we use
# the calibrated profile, the default of every costlib function.

# %% tags=["nbval-check-output"]
rows = []
for name, (prompt, output) in cl.WORKLOADS.items():
    batch = min(s.batch, cl.memory_limited_batch(tp4, prompt, output))
    w = cl.workload_cost(tp4, s.usd_per_hour, prompt, output, batch)
    rows.append({"workload": name, "prompt": prompt, "output": output, "batch": batch,
                 "prefill share": w.prefill_share, "$/M input": w.usd_per_million_input,
                 "$/M output": w.usd_per_million_output, "$/M blended": w.usd_per_million_blended,
                 "$ per 1k requests": 1000 * w.usd_per_request})
mix = pd.DataFrame(rows).set_index("workload")
mix["output/input"] = mix["$/M output"] / mix["$/M input"]
mix.round(3)

# %% [markdown]
# Three things to read from the table:
#
# * RAG spends most of its GPU time in prefill, reasoning almost all of it in decode, and chat sits
#   in between. Speeding up the phase your workload barely uses saves little.
# * RAG's blended <span>\$</span>/M is low because most of its tokens are cheap prompt tokens. Reasoning pays
#   decode prices for nearly every token *and* runs at a smaller batch, since its long sequences
#   fill the KV memory.
# * An output token gets dearer as its context grows: each decode step re-reads the whole cache.
#
# ## 4. Why are input tokens priced lower?
#
# The chapter says providers charge 2-4× less for input tokens, and that the prefill/decode math
# above is the reason. Two checks: what ratio does the math give, and what do APIs actually charge?

# %% tags=["nbval-check-output"]
apis = cl.api_prices()
apis["output/input"] = apis["usd_per_million_output"] / apis["usd_per_million_input"]
lo, hi = s.claimed_input_discount
print(f"{'chapter: input is cheaper by':<40}: {lo:g}x to {hi:g}x")
print(f"{'chapter: its own §30.6 numbers':<40}: {decode_usd_m / prefill_usd_m:.2f}x")
print(f"{f'4xH100, batch {s.batch}, chapter MBU/MFU':<40}: {real_decode / real_prefill:.2f}x")
print(f"{'the three workloads on 4xH100':<40}: {mix['output/input'].min():.2f}x to "
      f"{mix['output/input'].max():.2f}x")
apis.set_index("id")[["provider", "usd_per_million_input", "usd_per_million_output",
                      "output/input"]].round(2)

# %% [markdown]
# The figure puts them side by side: our self-hosted ratios (blue), the chapter's arithmetic
# (red) and list prices (orange), with the chapter's 2-4× band shaded.

# %%
ratio_rows = [{"label": "chapter §30.6 arithmetic", "kind": "chapter",
               "usd_per_million_input": prefill_usd_m, "usd_per_million_output": decode_usd_m}]
ratio_rows += [{"label": f"70B on 4xH100, {name}", "kind": "self-hosted",
                "usd_per_million_input": r["$/M input"], "usd_per_million_output": r["$/M output"]}
               for name, r in mix.iterrows()]
ratio_rows += [{"label": r["id"], "kind": "api", "usd_per_million_input": r["usd_per_million_input"],
                "usd_per_million_output": r["usd_per_million_output"]} for _, r in apis.iterrows()]
plots.price_ratio_bars(pd.DataFrame(ratio_rows));

# %% [markdown]
# The chapter's own arithmetic lands below its 2-4× band. A replica that fits, with the KV cache
# counted, gives a larger ratio that grows with context length, so long outputs are where the
# physics really bites. List prices spread even wider: OpenAI and Anthropic charge several times
# more for output, while the Llama hosts in the catalog charge the same, or nearly the same, for
# both.
#
# Why might a provider price output above what the per-token GPU time suggests?
#
# * **Prefill packs well.** A prompt is one large matrix multiply that a scheduler can chunk and
#   slot into any step at high MFU. Decode tokens trickle out one per step per sequence.
# * **Decode holds memory for the whole answer.** A sequence occupies its KV cache, and a batch
#   slot, from its first output token to its last. Memory, not FLOPs, caps how many users a GPU
#   serves at once, and long answers hold it longest.
# * **Output length is unknown up front**, so a scheduler must keep room for it; a prompt arrives
#   with its size known.
# * **Prices are also market choices.** Frontier-model prices carry margin and follow demand;
#   open-model hosts compete on one simple number; cached-prompt discounts make repeated input
#   cheaper still. The cost asymmetry is real, but its size on a price list is a business
#   decision, not a law of physics.
#
# ## 5. Explore
#
# Change the prompt and output lengths and the batch, and watch the prefill share, the input and
# output prices and the blended <span>\$</span>/M move. Configurations that do not fit in memory say so
# instead of showing a price.

# %% tags=["nbval-ignore-output"]
widgets.prefill_decode_explorer(weights="bf16", tp=4, batch=s.batch)

# %% [markdown]
# ## Takeaways
#
# * Prefill is limited by FLOPs and decode by memory bandwidth, so the two phases have different
#   formulas and different prices per token.
# * The chapter's prefill example is right in dollars but wrong in its unit word: the hourly
#   volume is millions of tokens, not trillions. Redo the units whenever you copy a derivation.
# * The chapter's decode example does not fit on one H100. On a replica that fits, the KV cache
#   read at every step makes decode clearly dearer than the weights-only formula says.
# * The workload's shape decides the bill: RAG pays mostly for prefill, reasoning almost only for
#   decode.
# * Physics makes output tokens dearer than input tokens, but the ratios on real price lists are
#   set by markets as much as by GPUs.
#
# Practise it: [p5](../exercises/p5.ipynb) (how weight precision changes decode speed) and
# [cq3](../exercises/cq3.ipynb) (what sets memory-bound decode throughput).
#
# **Next:** [05 · Self-hosting vs an API](05_self_host_vs_api.ipynb).
