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
# # 08 · Sizing a fleet: the capacity-planning rubric (§30.10)
#
# "A million users, ten chats a day each, five hundred tokens per chat: how many GPUs, and what
# does it cost?" This is the classic systems-interview question, and §30.10 answers it with a
# chain of seven multiplications. The chain is sound and worth knowing by heart. The number fed
# into it, the tokens per second one GPU delivers, is where the real engineering hides, and the
# chapter's value for it describes a machine that cannot exist.
#
# **In this notebook you will**
#
# 1. work the rubric step by step with `cl.capacity_plan` and put the chapter's figure beside
#    every step (the differences are rounding);
# 2. replace the chapter's per-GPU rate by rates of replicas that actually hold the model, and
#    count GPUs in whole tensor-parallel replicas;
# 3. add the prompt tokens the chapter leaves out, run the rubric backwards (users per fleet,
#    GPUs saved by FP8), and compare the result with the API price of §30.7.

# %%
import pandas as pd
from IPython.display import Markdown

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import plots, widgets

# %% [markdown]
# ## 1. The rubric in seven steps
#
# With $U$ users, $S$ sessions per user per day and $T$ output tokens per session, a peak factor
# $k$ (busiest hour ÷ average), a per-GPU decode rate $r$, headroom $h$ and a price $p$ per
# GPU-hour:
#
# $$\text{tokens/day} = U S T, \qquad \bar\lambda = \frac{U S T}{86\,400\ \text{s}}, \qquad
# \lambda_\text{peak} = k\,\bar\lambda,$$
#
# $$N = \left\lceil \frac{\lambda_\text{peak}}{r}\,(1 + h) \right\rceil, \qquad
# \text{\$/month} = N \cdot p \cdot 24 \cdot 30, \qquad
# \text{\$/M} = \frac{\text{\$/month}}{\text{tokens/day} \cdot 30 / 10^6}.$$
#
# The headroom covers traffic spikes above the planned peak and replicas taken out for rolling
# upgrades. `cl.capacity_plan` runs the chain and keeps every intermediate value; its
# `to_markdown()` is the answer as you would say it in an interview. The inputs below come from
# `costlib.teaching.chapter.S30_10`, the chapter's own.

# %%
s = ch.S30_10
plan = cl.capacity_plan(s.users, s.sessions_per_day, s.tokens_per_session, s.tokens_per_s_per_gpu,
                        peak_factor=s.peak_factor, headroom=s.headroom, usd_per_gpu_hour=s.usd_per_hour,
                        days_per_month=s.days_per_month)
Markdown(plan.to_markdown())  # $ comes escaped: Jupyter reads $...$ as LaTeX

# %% [markdown]
# Each step beside the chapter's figure. `ch.judge_value` calls a figure *correct* within 2% and
# *rounded* within 10% of ours.

# %% tags=["nbval-check-output"]
steps = [("output tokens per day", s.claimed_tokens_per_day, plan.tokens_per_day),
         ("average output tokens/s", s.claimed_avg_tokens_per_s, plan.avg_tokens_per_s),
         ("peak output tokens/s", s.claimed_peak_tokens_per_s, plan.peak_tokens_per_s),
         ("GPUs at peak", s.claimed_gpus_at_peak, plan.gpus_at_peak),
         ("GPUs with headroom", s.claimed_gpus, plan.gpus),
         ("$ per month", s.claimed_monthly_usd, plan.monthly_usd),
         ("$ per million output tokens", s.claimed_usd_per_million, plan.usd_per_million_tokens)]
pd.DataFrame([{"step": n, "chapter": f"{c:,.2f}", "costlib": f"{o:,.2f}", "difference": f"{c / o - 1:+.2%}",
               "verdict": ch.judge_value(c, o)} for n, c, o in steps]).set_index("step")

# %% [markdown]
# Every step agrees to within rounding. The chapter rounds the average rate up before
# multiplying, so its peak and its GPUs at peak come out slightly high; then it rounds the
# headroom step *down*. Its monthly bill and <span>\$</span>/M are its rounded fleet carried through exactly:

# %% tags=["nbval-check-output"]
own_chain = s.claimed_gpus_at_peak * (1 + s.headroom)
bill_225 = s.claimed_gpus * s.usd_per_hour * 24 * s.days_per_month
print(f"chapter's chain: {s.claimed_gpus_at_peak} GPUs x {1 + s.headroom:g} = {own_chain:.1f} -> it writes ~{s.claimed_gpus}")
print(f"{s.claimed_gpus} GPUs x ${s.usd_per_hour:g} x 24 x {s.days_per_month} = ${bill_225:,.0f}/month; "
      f"/ {s.claimed_tokens_per_day * s.days_per_month / 1e9:.0f}B tokens = "
      f"${bill_225 / (s.claimed_tokens_per_day * s.days_per_month / 1e6):.2f}/M")
print(f"unrounded: {plan.gpus_at_peak:.2f} x {1 + s.headroom:g} = {plan.gpus_at_peak * (1 + s.headroom):.2f} "
      f"-> {plan.gpus} GPUs, ${plan.monthly_usd:,.0f}/month, ${plan.usd_per_million_tokens:.2f}/M")

# %% [markdown]
# Why is this <span>\$</span>/M so much higher than the full-load price of §30.5, which used the same <span>\$</span>2/hour
# and the same 1,000 tokens/s? Because the fleet is sized for the peak plus headroom, but the
# bill is divided by the *average* traffic. On average the GPUs are busy only a fraction of the
# time:

# %% tags=["nbval-check-output"]
full_load = cl.usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s_per_gpu)
oversize = s.peak_factor * (1 + s.headroom)
busy = plan.avg_tokens_per_s / (plan.gpus * s.tokens_per_s_per_gpu)
print(f"one GPU at full load (§30.5): ${full_load:.3f}/M")
print(f"fleet / average need        : peak {s.peak_factor:g} x headroom {1 + s.headroom:g} = {oversize:.2f}")
print(f"average utilization         : {busy:.1%} -> ${full_load:.3f} / {busy:.3f} = ${full_load / busy:.2f}/M")

# %% [markdown]
# ## 2. The number the chapter skipped: tokens/s per GPU
#
# The rubric used 1,000 tokens/s *per H100* for Llama 70B in bf16. Physics first: can one H100
# hold the model at all?

# %% tags=["nbval-check-output"]
ctx = ch.CONTEXT_TOKENS
print(cl.fit(cl.deployment(s.model, s.gpu, tp=1, weights=s.weights), context=ctx).message)

# %% [markdown]
# It cannot: the bf16 weights alone are far more than one H100 can use. A "per-H100 rate" for
# this model is only meaningful as the rate of a multi-GPU replica divided by its GPUs, and a
# fleet must then be bought in whole replicas.
#
# So we derive the rate from deployments that fit, on the workbook's one prediction path
# (`cl.predict`, calibrated on published measurements, notebook 11). Each replica decodes the largest
# batch of `ch.CONTEXT_TOKENS` = 2,048-token sequences its memory holds (no cap: the engine's own
# limit is its only one); a chat session's prompt plus its 500 output tokens must fit in that
# length. We also record each replica's prefill rate for 1,000-token prompts, needed in section 3,
# its time per output token (TPOT), which must stay comfortable for chat, and, beside the
# calibrated rate, what the chapter's textbook efficiencies (`profile="chapter"`) would say.

# %% tags=["nbval-check-output"]
prompt = cl.WORKLOADS["chat"][0]  # costlib's chat request: 1,000 prompt tokens


def replica(tp, weights, kv="bf16"):
    """A deployment of the chapter's model and the largest batch of ctx-token sequences its memory holds."""
    dep = cl.deployment(s.model, s.gpu, tp=tp, weights=weights, kv=kv)
    return dep, cl.memory_limited_batch(dep, *cl.request_shape(dep, ctx))


configs = {"bf16, TP=2": replica(2, "bf16"), "bf16, TP=4": replica(4, "bf16"),
           "fp8, TP=1": replica(1, "fp8"), "fp8 + fp8 KV, TP=1": replica(1, "fp8", "fp8"),
           "fp8, TP=2": replica(2, "fp8"), "fp8 + fp8 KV, TP=2": replica(2, "fp8", "fp8")}
rows = []
for name, (dep, b) in configs.items():
    decode = cl.decode_tokens_per_s_band(dep, b, ctx)  # low/mid/high, calibrated
    rows.append({"replica": name, "GPUs": dep.tp, "batch": b, "TPOT ms": b / decode.mid * 1e3,
                 "tokens/s per replica": decode.mid, "tokens/s per GPU": decode.mid / dep.tp,
                 "per GPU low-high": f"{decode.low / dep.tp:,.0f}-{decode.high / dep.tp:,.0f}",
                 "per GPU, chapter profile": cl.decode_tokens_per_s_band(dep, b, ctx, profile="chapter").mid / dep.tp,
                 "prefill tokens/s per GPU": cl.prefill_tokens_per_s_band(dep, prompt).mid / dep.tp})
rates = pd.DataFrame(rows).set_index("replica")
per_gpu = rates["tokens/s per GPU"]
print(f"tokens/s per GPU from {per_gpu.min():,.0f} ({per_gpu.idxmin()}) to {per_gpu.max():,.0f} ({per_gpu.idxmax()}): "
      f"{per_gpu.max() / per_gpu.min():.1f}x apart; the chapter assumes {s.tokens_per_s_per_gpu:,.0f}")
rates.round(1)

# %% [markdown]
# The spread is wide (the line above the table). Two H100s hold the bf16 weights with little to
# spare, so only a few dozen sequences fit and each step reads all the weights for few
# tokens. Four H100s leave room for a batch in the hundreds, and the same weight read is shared by
# all of them. FP8 on a single H100 is the memory-starved case again. The chapter's 1,000
# describes none of these replicas; it happens to sit between the starved and the roomy ones.
#
# The plan again for three of them (the two smallest bf16 replicas and FP8 on one GPU), now
# counted in whole replicas (`gpus_per_replica`):

# %% tags=["nbval-check-output"]
def plan_for(name, **kw):
    """The chapter's rubric on whole replicas of configs[name], at that replica's per-GPU rate."""
    args = {"peak_factor": s.peak_factor, "headroom": s.headroom, "usd_per_gpu_hour": s.usd_per_hour,
            "gpus_per_replica": configs[name][0].tp, "days_per_month": s.days_per_month, **kw}
    return cl.capacity_plan(s.users, s.sessions_per_day, s.tokens_per_session, rates.loc[name, "tokens/s per GPU"],
                            **args)


def summary(p, label):
    return {"plan": label, "tokens/s per GPU": p.inputs["tokens_per_s_per_gpu"], "GPUs at peak": p.gpus_at_peak,
            "replicas": p.replicas, "GPUs": p.gpus, "$/month": p.monthly_usd, "$/M output": p.usd_per_million_tokens}


plans = {name: plan_for(name) for name in ("bf16, TP=2", "bf16, TP=4", "fp8, TP=1")}
fleet = pd.DataFrame([summary(plan, "chapter: 1,000/s per H100 (impossible)")]
                     + [summary(p, n) for n, p in plans.items()]).set_index("plan")
fleet.round(2)

# %% [markdown]
# The chapter's fleet is off in both directions, depending on the replica you can actually
# build. On the smallest replica that holds bf16 weights the fleet is several times
# larger. On four-GPU replicas with real batches it is much smaller than the chapter's, because
# a roomy replica beats the assumed 1,000 tokens/s per GPU. The deployment decides the answer, and
# the rubric cannot tell you which one you have: `cl.fit` and the roofline can.
#
# The waterfall builds the 4×H100 fleet from decode at peak, the headroom and the rounding up to
# whole replicas; the dashed line is the chapter's fleet.

# %%
plots.capacity_waterfall(plans["bf16, TP=4"], s.headroom, reference=(s.claimed_gpus, f"chapter §30.10: ~{s.claimed_gpus} H100s"));

# %% [markdown]
# ## 3. Counting the prompt tokens
#
# The rubric counts only output tokens. Every chat turn also sends a prompt (system prompt,
# history, the user's message) that the GPUs must prefill before the first output token. Prefill
# is compute-bound and much faster per token than decode (§30.6), but it is not free. The chapter
# gives no prompt length; we take the 1,000 tokens of costlib's `chat` request shape
# (`cl.WORKLOADS["chat"]`) per session and each replica's prefill rate from the table above
# (`cl.prefill_tokens_per_s`). `cl.capacity_plan` then adds the GPUs that prefill needs at peak
# (`prompt_tokens_per_session`, `prefill_tokens_per_s_per_gpu`):

# %%
name = "bf16, TP=4"
with_prompts = plan_for(name, prompt_tokens_per_session=prompt,
                        prefill_tokens_per_s_per_gpu=rates.loc[name, "prefill tokens/s per GPU"])
Markdown(with_prompts.to_markdown())

# %% tags=["nbval-check-output"]
steps_p = with_prompts.steps.set_index("step")["value"]
dec_gpus, pre_gpus = steps_p["GPUs at peak (decode)"], steps_p["GPUs at peak (prefill)"]
tp4 = rates.loc[name]
print(f"prompt vs output tokens per session: {prompt:,} vs {s.tokens_per_session:,} "
      f"({prompt / s.tokens_per_session:.0f}x as many to process)")
print(f"per GPU: prefill {tp4['prefill tokens/s per GPU']:,.0f} vs decode {tp4['tokens/s per GPU']:,.0f} tokens/s "
      f"(prefill only {tp4['prefill tokens/s per GPU'] / tp4['tokens/s per GPU']:.2f}x faster at batch {tp4['batch']:.0f})")
print(f"GPUs at peak: decode {dec_gpus:.1f} + prefill {pre_gpus:.1f}; fleet {plans[name].gpus} -> {with_prompts.gpus} GPUs, "
      f"${with_prompts.usd_per_million_tokens:.2f}/M output")

# %% [markdown]
# Prefill needs *more* GPUs than decode here. Prefill is much faster than decode for a single
# sequence, but a replica decoding a batch in the hundreds does nearly as many useful FLOPs per
# second as a prefill does: both spend about two FLOPs per parameter on each token, so at large
# batches the two rates converge. Each session brings more prompt tokens than output tokens, so
# the prompt side ends up the larger load. How the fleet grows with the prompt length:

# %% tags=["nbval-check-output"]
rows = []
for p_tokens in (0, 500, 1000, 2000, 4000, 8000):
    kw = {} if p_tokens == 0 else {"prompt_tokens_per_session": p_tokens,
                                   "prefill_tokens_per_s_per_gpu":
                                       cl.prefill_tokens_per_s_band(configs[name][0], p_tokens).mid / configs[name][0].tp}
    p = plan_for(name, **kw)
    rows.append({"prompt tokens per session": p_tokens, "GPUs": p.gpus, "$/month": p.monthly_usd,
                 "$/M output": p.usd_per_million_tokens})
prompts = pd.DataFrame(rows).set_index("prompt tokens per session")
prompts.round(2)

# %% [markdown]
# The fleet grows almost linearly with the prompt: an interview answer that counts only output
# tokens can be off by a large factor for chat with history or for RAG. Longer prompts also
# lengthen every sequence, which shrinks the decode batch; this table keeps the 2,048-token decode
# context, so it understates the cost of the longest prompts. Prefix caching (reusing the KV cache
# of a shared system prompt or of earlier turns) is the standard remedy, because it skips most of
# that prefill.

# %%
plots.capacity_waterfall(with_prompts, s.headroom, reference=(s.claimed_gpus, f"chapter §30.10: ~{s.claimed_gpus} H100s"));

# %% [markdown]
# ### The SLO step: is the peak rate also fast enough?
#
# Sizing by tokens/s says the fleet can *produce* the peak tokens. It does not say how long users
# wait. Take the 4×H100 bf16 plan: turn its peak into requests per second per replica and simulate
# one replica there (notebook 07b) against an SLO of a 1 s p99 time to first token and a 50 ms mean
# inter-token latency. Then sweep the rate per replica to find the largest one that meets both.

# %% tags=["nbval-check-output"]
from costlib.estimate import serving

p4, out_len = plans["bf16, TP=4"], s.tokens_per_session
step = serving.engine_step(configs["bf16, TP=4"][0])
peak_rps = p4.peak_tokens_per_s / out_len  # one request per session
per_replica = peak_rps / p4.replicas
sat = serving.saturation_requests_per_s(step, prompt, out_len)
at_peak = serving.simulate(step, prompt, out_len, rate=per_replica, requests=1000, seed=0)
print(f"peak {peak_rps:.1f} requests/s over {p4.replicas} replicas = {per_replica:.2f}/s each; saturation "
      f"{sat:.2f}/s: {per_replica / sat:.0%} of it. There: p99 TTFT {at_peak.ttft_p99_s:,.1f} s, "
      f"mean ITL {at_peak.itl_mean_s * 1e3:.0f} ms")
sweep = serving.rate_sweep(step, prompt, out_len, [f * sat for f in (0.5, 0.6, 0.7, 0.8, 0.9)], requests=1000, seed=0)
meets = (sweep["ttft_p99_s"] <= 1.0) & (sweep["itl_mean_s"] <= 0.05)
slo_rate = sweep.loc[meets, "rate_per_s"].max()
slo_replicas = -(-peak_rps // slo_rate)
print(f"largest swept rate meeting the SLO: {slo_rate:.2f}/s per replica ({slo_rate / sat:.0%} of saturation) -> "
      f"{slo_replicas:.0f} replicas at the peak, {slo_replicas / (peak_rps / sat) - 1:.0%} more than running "
      f"every replica at saturation")

# %% [markdown]
# The tokens/s plan above counted decode alone at the memory-limited batch; the simulation runs
# the same calibrated engine with each request's 1,000-token prompt as well, and the first line
# says how close to saturation (or past it) that puts each replica at the peak. Past 100%, the
# queue, and the TTFT, grow for as long as the peak lasts. Sized for the SLO, the fleet runs each replica well below saturation,
# and the last line is the headroom the SLO itself demands: the chapter's flat 30% is a guess at it.

# %% [markdown]
# ## 4. The rubric backwards: users per fleet, and GPUs saved by FP8
#
# Two planning questions run the same chain in reverse. **How many users does a given fleet
# serve?** Divide the fleet's peak capacity (after headroom) by one user's peak demand:
#
# $$U_\text{max} = \left\lfloor \frac{N_\text{usable} \cdot r / (1 + h)}{S\,T\,k / 86\,400} \right\rfloor,$$
#
# where $N_\text{usable}$ counts only GPUs that form whole replicas (`cl.users_supported`). Here
# the fleet of section 1, first at the chapter's assumed rate, then regrouped as real replicas:

# %% tags=["nbval-check-output"]
n = plan.gpus
rows = [{"fleet": f"{n} H100s at the chapter's 1,000/s per GPU", "GPUs per replica": 1,
         "users": cl.users_supported(n, s.tokens_per_s_per_gpu, s.sessions_per_day, s.tokens_per_session,
                                     s.peak_factor, s.headroom)}]
for name_ in ("bf16, TP=2", "bf16, TP=4", "fp8 + fp8 KV, TP=2"):
    dep, _ = configs[name_]
    rows.append({"fleet": f"{n} H100s as {name_} replicas", "GPUs per replica": dep.tp,
                 "users": cl.users_supported(n, rates.loc[name_, "tokens/s per GPU"], s.sessions_per_day,
                                             s.tokens_per_session, s.peak_factor, s.headroom, dep.tp)})
pd.DataFrame(rows).set_index("fleet")

# %% [markdown]
# **If we switch to FP8, how many GPUs can we cut?** The chapter's §30.5 suggests FP8 roughly
# doubles throughput, which would halve the fleet. `cl.gpus_saved` compares two plans for the
# same users. Starting from the bf16 4×H100 fleet, the answer depends on what FP8 is used *for*:
# squeezing the model onto fewer GPUs per replica, or keeping the GPUs and using the freed memory
# for a bigger batch.

# %% tags=["nbval-check-output"]
base = "bf16, TP=4"
rows = []
for label, before, after in (("chapter: 2x the assumed 1,000/s", (s.tokens_per_s_per_gpu, 1),
                              (2 * s.tokens_per_s_per_gpu, 1)),
                             *[(f"{base} -> {a}", (rates.loc[base, "tokens/s per GPU"], configs[base][0].tp),
                                (rates.loc[a, "tokens/s per GPU"], configs[a][0].tp))
                               for a in ("fp8, TP=1", "fp8, TP=2", "fp8 + fp8 KV, TP=2")]):
    cut = cl.gpus_saved(s.users, s.sessions_per_day, s.tokens_per_session, before[0], after[0],
                        gpus_per_replica_before=before[1], gpus_per_replica_after=after[1],
                        peak_factor=s.peak_factor, headroom=s.headroom, usd_per_gpu_hour=s.usd_per_hour)
    rows.append({"switch": label, "GPUs before": cut["gpus_before"], "GPUs after": cut["gpus_after"],
                 "GPUs cut": cut["gpus_cut"], "$ saved per month": cut["monthly_usd_saved"]})
fp8 = pd.DataFrame(rows).set_index("switch")
fp8.round(0)

# %% [markdown]
# Squeezing 70B onto one H100 in FP8 *adds* GPUs (a negative cut): the weights fit, but the KV
# cache has room for only a few sequences, so every step reads all the weights for a tiny batch.
# FP8 weights on two-GPU replicas do hold a large batch, yet the cut over bf16 on four GPUs is
# small: at large batches the KV cache, which FP8 *weights* do not shrink, makes up most of the
# bytes each step reads. Storing the KV cache in FP8 as well is what halves the fleet.
# "FP8 saves half the GPUs" holds only for the right deployment.
#
# ## 5. Self-hosted fleet vs the API
#
# §30.7 quotes a hosted Llama 3.3 70B API at <span>\$</span>0.88 per million tokens (Together AI, in the
# catalog) and says self-hosting wins above a few hundred million tokens a month. This service
# is far larger than that. Yet:

# %% tags=["nbval-check-output"]
api = cl.get_api_price("together-llama-3.3-70b")
monthly_out = plan.tokens_per_day * s.days_per_month
monthly_in = plan.inputs["users"] * s.sessions_per_day * prompt * s.days_per_month
api_bill_out = cl.api_monthly_usd(monthly_out, api["usd_per_million_input"], api["usd_per_million_output"], 0.0)
api_bill_all = cl.api_monthly_usd(monthly_out + monthly_in, api["usd_per_million_input"], api["usd_per_million_output"],
                                  monthly_in / (monthly_out + monthly_in))
print(f"{api['provider']} {api['model']}: ${api['usd_per_million_output']:.2f}/M "
      f"(same price as §30.7: {api['usd_per_million_output'] == ch.S30_7.api_usd_per_million})")
print(f"output tokens per month: {monthly_out / 1e9:.0f}B; API bill ${api_bill_out:,.0f}")
print(f"chapter's plan         : ${plan.monthly_usd:,.0f}/month = ${plan.usd_per_million_tokens:.2f}/M, "
      f"{plan.usd_per_million_tokens / api['usd_per_million_output']:.2f}x the API")
best = plans["bf16, TP=4"]
print(f"bf16 4xH100 replicas   : ${best.monthly_usd:,.0f}/month = ${best.usd_per_million_tokens:.2f}/M, "
      f"{best.usd_per_million_tokens / api['usd_per_million_output']:.2f}x the API")
print(f"with {prompt:,}-token prompts: self-host ${with_prompts.monthly_usd:,.0f} vs API ${api_bill_all:,.0f}/month "
      f"(the API bills prompt tokens too)")

# %% [markdown]
# The chapter's own worked plan costs more than twice what the API it quotes would charge for the
# same tokens, which contradicts its crossover story: volume alone does not make self-hosting
# cheap. The fleet is sized for the peak plus headroom, so it idles most of the day, while the API
# provider pools many customers' traffic and keeps its GPUs busy. Even the much smaller fleet of
# roomy 4×H100 replicas stays above the API price, and counting prompts (which the API bills
# too) does not change the verdict.
#
# What would it take to match the API? At a fixed price, peak factor and headroom, the <span>\$</span>/M of the
# plan is $p\,k\,(1+h) / (r \cdot 3600 / 10^6)$, so the break-even per-GPU rate is
# `cl.required_tokens_per_s` at a utilization of $\frac{1}{k\,(1+h)}$:

# %% tags=["nbval-check-output"]
need = cl.required_tokens_per_s(s.usd_per_hour, api["usd_per_million_output"], utilization=1 / oversize)
print(f"break-even: {need:,.0f} tokens/s per GPU at peak factor {s.peak_factor:g} and {s.headroom:.0%} headroom")
for replica_name, r in rates["tokens/s per GPU"].items():
    print(f"  {replica_name:<20} {r:>6,.0f} tokens/s per GPU: {'beats' if r >= need else 'does not beat'} the API")
steady = plan_for("bf16, TP=4", peak_factor=1.0)
print(f"bf16 4xH100 with flat traffic (peak factor 1): ${steady.usd_per_million_tokens:.2f}/M")

# %% [markdown]
# Only FP8 weights with an FP8 KV cache on two-GPU replicas clear the bar at this peak factor. Flat
# traffic (batch jobs filling the night, traffic from several time zones) brings even bf16 well
# under the API price. The levers are the replica's batch, the precision of the weights *and* the
# KV cache, and how evenly the fleet is loaded; the API price is the benchmark to beat.
#
# ## 6. Explore
#
# The explorer `costlib.ui.widgets.capacity_explorer` makes every input of the rubric a control:
# users, sessions, output and prompt tokens per session, peak factor, headroom and price.
# "per-GPU throughput" chooses between a given rate (the chapter's 1,000 tokens/s, with GPUs per
# replica and a prefill rate) and a rate derived from a deployment (model, GPU, precisions, TP,
# batch and context), which is checked for fit first. The chapter's inputs are preset; switch to
# "derive from deployment" and try bf16 on TP=1, then on TP=4.

# %% tags=["nbval-ignore-output"]
widgets.capacity_explorer()

# %% [markdown]
# ## Takeaways
#
# * The rubric is seven multiplications: users × sessions × tokens → average rate → peak rate →
#   GPUs at peak → headroom, rounded up to whole replicas → <span>\$</span>/month → <span>\$</span>/M. The chapter's
#   arithmetic holds up to rounding.
# * The per-GPU rate is the whole question, and it must come from a deployment that fits: 70B in
#   bf16 cannot run on one H100, and the rate of the replicas that can varies several-fold with
#   their batch.
# * Count prompt tokens and whole replicas; run the chain backwards for "how many users" and "how
#   many GPUs does FP8 save", where the answer depends on whether the KV cache shrinks too.
# * Sizing for the peak divides utilization by peak factor × (1 + headroom): at the chapter's
#   scale that makes self-hosting dearer than a hosted API unless the replicas are efficient
#   and the load is flat.
#
# Practise it: [p3](../exercises/p3.ipynb) (a fleet for 100M tokens a day vs the API),
# [p6](../exercises/p6.ipynb) (bursty traffic and peak sizing), [p5](../exercises/p5.ipynb)
# (why FP8 speeds up decode) and [d19](../exercises/d19.ipynb) (the SLO step: replicas and dollars per
# month at the peak rate).
#
# **Next:** [09 · Checking the chapter](09_checking_the_chapter.ipynb).
