"""Chapter 30's practice problems (p1-p7) and concept checks (cq1-cq4) as gradable questions.

Each problem's inputs are named here (``P1`` ... ``P7``, ``CQ1``, ``CQ4``, and the workbook's
``ASSUMPTIONS``) with the chapter place they come from; the solution notebooks import them by name.
Every expected answer is computed with costlib from those inputs.
"""
from __future__ import annotations

from costlib.catalog.deployment import deployment, valid_tp
from costlib.catalog.tables import get_gpu, get_model, gpu_usd_per_hour, tiers
from costlib.economics.cost import (
    cost_at_utilization,
    million_tokens_per_hour,
    usd_per_million_tokens,
)
from costlib.economics.crossover import HOURS_PER_MONTH, api_monthly_usd, replicas_needed
from costlib.economics.frontier import largest_batch_under_tpot
from costlib.physics.memory import fit, kv_bytes_per_token, usable_bytes, weight_bytes
from costlib.physics.step import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    arithmetic_intensity,
    decode_ceiling_tokens_per_s,
    decode_step,
    decode_tokens_per_s,
)
from costlib.teaching import chapter as ch
from costlib.teaching.grading import (
    MSG_BYTES,
    MSG_KV_HEADS,
    MSG_NOT_FIT,
    Inputs,
    Mistake,
    Option,
    Question,
    register,
)

__all__ = ["ASSUMPTIONS", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "CQ1", "CQ2", "CQ3", "CQ4",
           "fleet_options", "serving_tiers"]

# ---------------------------------------------------------------- inputs
# The chapter's numbers come from costlib.chapter (ch.P1 ... ch.CQ4, ch.S30_*); what the chapter
# leaves open is stated here as ours, next to them.

ASSUMPTIONS = Inputs(
    "workbook assumptions: 2,048-token sequences; MBU/MFU at the middle of §30.4's ranges; "
    "peak = 3x average and 30% headroom as in §30.10's rubric; 30-day months",
    context=ch.CONTEXT_TOKENS, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU,
    peak_factor=ch.S30_10.peak_factor, headroom=ch.S30_10.headroom,
    days_per_month=ch.S30_10.days_per_month)

P1 = Inputs("Practice 1 (§30.1)", model=ch.P1.model, gpu=ch.P1.gpu,
            tokens_per_s=ch.P1.tokens_per_s, usd_per_gpu_hour=ch.P1.usd_per_hour)

P2 = Inputs("Practice 2 (§30.1); the price and the rate are the whole 8-GPU node's",
            model=ch.P2.model, gpu=ch.P2.gpu, tp=ch.P2.tp, weights=ch.P2.weights,
            tokens_per_s=ch.P2.tokens_per_s, usd_per_hour=ch.P2.usd_per_hour)

P3 = Inputs("Practice 3 (§30.7); $/GPU-hour is the chapter's default (§30.7), 1,000 tokens/s per "
            "H100 its 'realistic' figure (§30.5); bf16 is ours (the chapter's running case)",
            tokens_per_day=ch.P3.tokens_per_day, api=ch.P3.api,
            api_usd_per_million=ch.P3.api_usd_per_million, model=ch.P3.model, gpu=ch.P3.gpu,
            weights=ch.S30_7.weights, usd_per_gpu_hour=ch.S30_7.usd_per_hour,
            chapter_tokens_per_s_per_gpu=ch.S30_5.tokens_per_s)

P4 = Inputs("Practice 4 (§30.9); one TP=8 replica in bf16 is our reading", model=ch.P4.model,
            gpu=ch.P4.gpu, n_gpus=ch.P4.n_gpus, tp=ch.P4.n_gpus, weights="bf16",
            tpot_target_s=ch.P4.tpot_targets_s[0], tpot_target_relaxed_s=ch.P4.tpot_targets_s[1])

P5 = Inputs("Practice 5 (§30.5); TP=2 (70B bf16 needs two H100s) and batch 1 are ours; "
            "$/GPU-hour is the chapter's default (§30.2)", model=ch.P5.model, gpu=ch.P5.gpu,
            tp=2, batch=1, usd_per_gpu_hour=ch.S30_2.default_usd_per_hour)

P6 = Inputs("Practice 6 (§30.7); the model, 12 busy hours a day and Together's price (Practice 3) "
            "are our reading of 'peaks during the day, near zero overnight'",
            peak_tokens_per_hour=ch.P6.peak_tokens_per_hour, busy_hours_per_day=12,
            model=ch.S30_7.model, gpu=ch.S30_7.gpu, weights=ch.S30_7.weights,
            usd_per_gpu_hour=ch.S30_7.usd_per_hour, api=ch.P3.api,
            api_usd_per_million=ch.P3.api_usd_per_million)

P7 = Inputs("Practice 7 (§30.2, §30.5); the price catalog's tiers stand in for live quotes; the "
            "throughput is read as per GPU", model=ch.P7.model, gpu=ch.P7.gpu,
            tokens_per_s_per_gpu=ch.P7.tokens_per_s, point="mid", apis=ch.P7.hosted_apis)

CQ1 = Inputs("Concept check 1 (§30.1)", usd_per_hour=ch.CQ1.usd_per_hour,
             tokens_per_s=ch.CQ1.tokens_per_s)

CQ2 = Inputs("Concept check 2 illustration: the chapter's default $/GPU-hour (§30.2) and "
             "'realistic' tokens/s (§30.5)", usd_per_hour=ch.S30_2.default_usd_per_hour,
             tokens_per_s=ch.S30_5.tokens_per_s, utilizations=(1.0, 0.5, 0.25, 0.1))

CQ3 = Inputs("Concept check 3 illustration (§30.3): a model that fits one GPU",
             model="llama-3.1-8b", gpu=ch.CQ3.gpu, batches=(1, 16, 64),
             context=ch.CONTEXT_TOKENS)

CQ4 = Inputs("Concept check 4 (§30.8): the bandwidths the question states; the model only "
             "illustrates the ratio", new_gpu=ch.CQ4.gpus[0], old_gpu=ch.CQ4.gpus[1],
             new_hbm_bytes_per_s=ch.CQ4.h200_hbm_bytes_per_s,
             old_hbm_bytes_per_s=ch.CQ4.h100_hbm_bytes_per_s, model="llama-3.1-8b")


# ---------------------------------------------------------------- shared computations


def fleet_options(model, gpu, weights, tokens_per_month, usd_per_gpu_hour, peak_factor,
                  headroom, context=ASSUMPTIONS.context):
    """For each TP that fits: batch, tokens/s per replica, whole replicas for the peak, monthly $.

    Each replica decodes at the largest batch of ``context``-token sequences its memory holds.
    """
    import pandas as pd

    rows = []
    for tp in valid_tp(model):
        dep = deployment(model, gpu, tp=tp, weights=weights)
        batch = fit(dep, context).max_batch
        if batch < 1:
            continue  # weights (plus one sequence) do not fit at this TP
        tps = decode_tokens_per_s(dep, batch, context)
        n = replicas_needed(tokens_per_month, tps, peak_factor, headroom)
        rows.append({"tp": tp, "batch": batch, "tokens_per_s_per_replica": tps, "replicas": n,
                     "gpus": n * tp, "monthly_usd": n * tp * usd_per_gpu_hour * HOURS_PER_MONTH})
    return pd.DataFrame(rows)


def serving_tiers() -> list[str]:
    """Procurement tiers the catalog marks as suitable for serving (spot is not) (§30.2)."""
    t = tiers()
    return [str(x) for x in t.loc[t["suitable_for_serving"].astype(str).str.lower() == "true",
                                  "tier"]]


def _p3_month_tokens():
    return P3.tokens_per_day * ASSUMPTIONS.days_per_month


def _p3_fleets(peak_factor=ASSUMPTIONS.peak_factor, headroom=ASSUMPTIONS.headroom):
    return fleet_options(P3.model, P3.gpu, P3.weights, _p3_month_tokens(), P3.usd_per_gpu_hour,
                         peak_factor, headroom)


def _p3_expected():
    return float(_p3_fleets()["monthly_usd"].min())


def _p3_fleet_cost(tp):
    df = _p3_fleets()
    return float(df.loc[df["tp"] == tp, "monthly_usd"].iloc[0])


def _p4_dep(**kw):
    return deployment(P4.model, P4.gpu, tp=P4.tp, weights=P4.weights, **kw)


def _p4_expected():
    return largest_batch_under_tpot(_p4_dep(), P4.tpot_target_s, ASSUMPTIONS.context)


def _p4_with_attention_heads():
    m = get_model(P4.model)
    dep = _p4_dep()
    free = P4.tp * usable_bytes(P4.gpu) - weight_bytes(m, P4.weights)
    per_token = kv_bytes_per_token(m, dep.kv) * m.n_heads / m.n_kv_heads
    return float(free // per_token // ASSUMPTIONS.context)


def _p4_tpot_only():
    """Largest batch meeting the TPOT target if memory were unlimited (what ignoring fit gives)."""
    dep, c = _p4_dep(), ASSUMPTIONS.context
    lo, hi = 1, 2
    while decode_step(dep, hi, c).step_time_s <= P4.tpot_target_s:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        meets = decode_step(dep, mid, c).step_time_s <= P4.tpot_target_s
        lo, hi = (mid, hi) if meets else (lo, mid)
    return float(lo)


def _p5_deps():
    bf16 = deployment(P5.model, P5.gpu, tp=P5.tp, weights="bf16")
    return bf16, bf16.with_(weights="fp8")


def _p5_expected():
    bf16, fp8 = _p5_deps()
    c = ASSUMPTIONS.context
    return decode_tokens_per_s(fp8, P5.batch, c) / decode_tokens_per_s(bf16, P5.batch, c)


def _p5_ceiling_ratio():
    bf16, fp8 = _p5_deps()
    bw = P5.tp * get_gpu(P5.gpu).hbm_bytes_per_s
    return (decode_ceiling_tokens_per_s(bw, weight_bytes(P5.model, "fp8"), P5.batch)
            / decode_ceiling_tokens_per_s(bw, weight_bytes(P5.model, "bf16"), P5.batch))


def _p5_at_max_batch():
    c = ASSUMPTIONS.context
    bf16, fp8 = _p5_deps()
    return (decode_tokens_per_s(fp8, fit(fp8, c).max_batch, c)
            / decode_tokens_per_s(bf16, fit(bf16, c).max_batch, c))


def _p6_month_tokens():
    return P6.peak_tokens_per_hour * P6.busy_hours_per_day * ASSUMPTIONS.days_per_month


def _p6_fleets():
    peak_factor = 24 / P6.busy_hours_per_day  # peak rate / 24-hour average rate
    return fleet_options(P6.model, P6.gpu, P6.weights, _p6_month_tokens(), P6.usd_per_gpu_hour,
                         peak_factor, ASSUMPTIONS.headroom)


def _p6_monthly():
    return float(_p6_fleets()["monthly_usd"].min())


def _p6_expected():
    return _p6_monthly() / (_p6_month_tokens() / 1e6)


def _p6_full_load():
    df = _p6_fleets()
    best = df.loc[df["monthly_usd"].idxmin()]
    return usd_per_million_tokens(P6.usd_per_gpu_hour * best["tp"],
                                  best["tokens_per_s_per_replica"])


def _p7_price(tier, point=P7.point):
    return usd_per_million_tokens(gpu_usd_per_hour(P7.gpu, tier, point), P7.tokens_per_s_per_gpu)


def _p7_expected():
    return min(_p7_price(t) for t in serving_tiers())


# ---------------------------------------------------------------- practice problems

register(Question(
    id="p1", section="Practice 1 (§30.1)",
    summary=f"Llama 3 8B on one H100 at {P1.tokens_per_s:,g} tokens/s and "
            f"${P1.usd_per_gpu_hour:g}/hour: $ per million output tokens",
    ask="the cost in $ per million output tokens (a number)",
    expected=lambda: usd_per_million_tokens(P1.usd_per_gpu_hour, P1.tokens_per_s),
    unit="$/M tokens", rel_tol=0.02,
    hints=("$/M tokens = $ per hour / (millions of tokens per hour).",
           "Tokens per hour = tokens per second x 3,600; divide by 1,000,000 for millions.",
           "cl.usd_per_million_tokens(usd_per_hour, tokens_per_s) does exactly this."),
    inputs=P1))

register(Question(
    id="p2", section="Practice 2 (§30.1)",
    summary=f"Llama 3.1 405B in FP8 on {P2.tp}xH100 at {P2.tokens_per_s:,g} tokens/s and "
            f"${P2.usd_per_hour:g}/hour: $ per million tokens",
    ask="the cost in $ per million output tokens (a number)",
    expected=lambda: usd_per_million_tokens(P2.usd_per_hour, P2.tokens_per_s),
    unit="$/M tokens", rel_tol=0.02,
    mistakes=(
        Mistake("$16/hour is already the price of the whole 8-GPU node; multiplying by 8 again "
                "pays for 64 GPUs", factor=8),
        Mistake("$16/hour is the node's price: you seem to have divided it by the 8 GPUs "
                "(or used one GPU's $2/hour) while counting the node's 800 tokens/s",
                factor=1 / 8),
    ),
    hints=("Same formula as Practice 1: $ per hour / millions of tokens per hour.",
           "The $16/hour and the 800 tokens/s both describe the whole 8-GPU node.",
           "Before pricing, check it fits: cl.fit(cl.deployment('llama-3.1-405b', 'H100-SXM', "
           "tp=8, weights='fp8'))."),
    inputs=P2))

register(Question(
    id="p3", section="Practice 3 (§30.7)",
    summary=f"{P3.tokens_per_day / 1e6:g}M tokens/day: monthly bill of the cheapest "
            f"self-hosted 70B bf16 H100 fleet (vs Together's ${P3.api_usd_per_million:g}/M)",
    ask="the monthly bill in $ of the cheapest self-hosted fleet (a number)",
    expected=_p3_expected, unit="$/month", rel_tol=0.01,
    mistakes=(
        Mistake(MSG_NOT_FIT + " - 70B in bf16 needs 141 GB, one H100 has 75 GB usable",
                value=lambda: P3.usd_per_gpu_hour * HOURS_PER_MONTH),
        Mistake("that is the API's monthly bill; the question asks what self-hosting costs",
                value=lambda: api_monthly_usd(_p3_month_tokens(), P3.api_usd_per_million)),
        Mistake("that fleet works but is not the cheapest: compare every TP that fits",
                value=lambda: _p3_fleet_cost(8)),
        Mistake("that fleet works but is not the cheapest: compare every TP that fits",
                value=lambda: _p3_fleet_cost(2)),
        Mistake("that sizes the fleet for average traffic: it must carry the peak (3x average) "
                "plus 30% headroom",
                value=lambda: float(_p3_fleets(1.0, 0.0)["monthly_usd"].min())),
        Mistake("two H100s at the chapter's 1,000 tokens/s each: but one TP=2 bf16 replica holds "
                "only a handful of 2,048-token sequences and is far slower than that - use "
                "costlib's throughput at the batch that fits",
                value=lambda: 2 * P3.usd_per_gpu_hour * HOURS_PER_MONTH),
    ),
    hints=("Physics first: which TPs can hold 70B in bf16 plus KV cache (cl.fit)? The fleet is "
           "made of whole replicas of TP GPUs.",
           "For each TP that fits: run at the largest batch that fits (fit(...).max_batch), get "
           "tokens/s with cl.decode_tokens_per_s, then cl.replicas_needed(...) for the peak.",
           "Monthly bill = replicas x TP x $2 x 720 hours; take the cheapest TP and compare with "
           "cl.api_monthly_usd(tokens_per_month, 0.88)."),
    inputs=P3))

register(Question(
    id="p4", section="Practice 4 (§30.9)",
    summary=f"{P4.n_gpus}xH100, Llama 3.1 70B bf16 at TP={P4.tp}: most concurrent "
            f"{ASSUMPTIONS.context:,}-token sequences with TPOT <= {P4.tpot_target_s * 1e3:g} ms",
    ask=f"the largest number of concurrent {ASSUMPTIONS.context:,}-token sequences (a whole "
        "number)",
    expected=_p4_expected, unit="sequences", rel_tol=0.01, integer=True,
    mistakes=(
        Mistake("that uses all 80 GB of each GPU; a serving engine gets about 95% of HBM minus "
                "~1 GB for activations and the CUDA context (cl.usable_bytes)",
                value=lambda: float(fit(_p4_dep(memory_fraction=1.0, reserve_bytes=0.0),
                                        ASSUMPTIONS.context).max_batch)),
        Mistake(MSG_KV_HEADS + " (Llama 3.1 70B: 64 attention heads, 8 KV heads)",
                value=_p4_with_attention_heads),
        Mistake("that counts 1 byte per KV value; the KV cache here is bf16 - " + MSG_BYTES,
                factor=2),
        Mistake("that counts 4 bytes per KV value (fp32); the KV cache here is bf16 - " + MSG_BYTES,
                factor=0.5),
        Mistake("that batch meets the TPOT target but its KV cache does not fit in memory: "
                "check capacity first (cl.fit), then latency", value=_p4_tpot_only),
    ),
    hints=("Two limits: the KV cache must fit beside the weights, and one decode step must take "
           "at most 200 ms. Whichever bites first sets the answer.",
           "cl.fit(dep, context=2048).max_batch gives the memory limit; "
           "cl.tpot_s(dep, batch, 2048) the step time at a batch.",
           "cl.largest_batch_under_tpot(dep, 0.2, context=2048) combines both."),
    inputs=P4))

register(Question(
    id="p5", section="Practice 5 (§30.5)",
    summary=f"Why FP8 roughly doubles decode throughput: fp8/bf16 tokens/s for 70B on "
            f"{P5.tp}xH100 at batch {P5.batch}",
    ask="the ratio fp8 tokens/s / bf16 tokens/s (a number)",
    expected=_p5_expected, unit="x", rel_tol=0.01,
    mistakes=(
        Mistake("that is the weights-only ceiling, where bytes halve exactly; a decode step also "
                "reads the KV cache (still bf16) and pays TP communication, which FP8 weights do "
                "not shrink", value=_p5_ceiling_ratio),
        Mistake("the ratio is upside down: FP8 reads fewer bytes, so its tokens/s is the larger "
                "one (fp8 / bf16 > 1)", value=lambda: 1 / _p5_expected()),
        Mistake("that compares each format at its own largest batch - a real and bigger effect "
                "(see the solution), but this question fixes batch 1",
                value=_p5_at_max_batch),
    ),
    hints=("At batch 1 a decode step is memory-bound: its time is (bytes read) / (bandwidth x "
           "MBU), plus communication.",
           "Which bytes halve with FP8 weights, and which do not (KV cache, communication)?",
           "Build both deployments (weights='bf16' and 'fp8', tp=2) and divide "
           "cl.decode_tokens_per_s(..., 1, 2048) of the two."),
    inputs=P5))

register(Question(
    id="p6", section="Practice 6 (§30.7)",
    summary=f"Bursty chat app ({P6.peak_tokens_per_hour / 1e6:g}M tokens/hour by day, ~0 at "
            "night): effective $/M of an always-on self-hosted 70B fleet",
    ask="the effective cost in $ per million tokens served (monthly bill / monthly tokens)",
    expected=_p6_expected, unit="$/M tokens", rel_tol=0.02,
    mistakes=(
        Mistake("that turns the GPUs off overnight; the question asks for an always-on fleet "
                "(scaling to zero is discussed in the solution)",
                value=lambda: _p6_expected() * P6.busy_hours_per_day / 24),
        Mistake("that is the $/M of a fully loaded replica; this fleet idles at night and is "
                "sized above the daytime rate - divide the monthly bill by the tokens actually "
                "served", value=_p6_full_load),
        Mistake("that is the API's price per million tokens, not the self-hosted cost",
                value=lambda: P6.api_usd_per_million),
        Mistake("that is the monthly bill in $; divide it by the millions of tokens served in "
                "the month", value=_p6_monthly),
        Mistake(MSG_NOT_FIT + " - 70B in bf16 needs at least two H100s",
                value=lambda: P6.usd_per_gpu_hour * HOURS_PER_MONTH / (_p6_month_tokens() / 1e6)),
    ),
    hints=("Tokens per month = 10M x busy hours x 30 days; the fleet must carry 10M tokens/hour "
           "(plus headroom) whenever it is busy.",
           "Size the cheapest fleet like Practice 3 (fleet_options in costlib.teaching.questions_practice "
           "does it), always on: 720 hours a month.",
           "Effective $/M = monthly bill / (tokens per month / 1e6); compare it with $0.88/M."),
    inputs=P6))

register(Question(
    id="p7", section="Practice 7 (§30.2, §30.5)",
    summary=f"70B at {P7.tokens_per_s_per_gpu:,g} tokens/s per H100: $/M at the cheapest "
            "serving tier of the price catalog, vs hosted Llama 70B APIs",
    ask="the lowest $ per million tokens over the catalog's serving tiers at mid prices",
    expected=_p7_expected, unit="$/M tokens", rel_tol=0.02,
    mistakes=(
        Mistake("that uses the spot price: spot GPUs can be taken back mid-request, so the "
                "catalog does not count spot as a serving tier",
                value=lambda: _p7_price("spot")),
        Mistake("that is the on-demand price, the dearest tier; the question asks for the "
                "cheapest serving tier", value=lambda: _p7_price("on_demand")),
        Mistake("that uses the low end of the price range; the question asks for mid prices",
                value=lambda: min(_p7_price(t, "low") for t in serving_tiers())),
        Mistake("that uses the high end of the price range; the question asks for mid prices",
                value=lambda: min(_p7_price(t, "high") for t in serving_tiers())),
        Mistake("that is twice the answer: with a throughput per GPU and a price per GPU, the "
                "number of GPUs in a replica cancels (two GPUs cost twice as much and make twice "
                "the tokens)", factor=2),
    ),
    hints=("cl.gpu_usd_per_hour('H100-SXM', tier, 'mid') gives a tier's price; cl.tiers() says "
           "which tiers suit serving.",
           "With 1,000 tokens/s per GPU and a per-GPU price, $/M = price / 3.6 for each tier.",
           "Take the smallest of the serving tiers (on_demand, reserved, bare_metal)."),
    inputs=P7))


# ---------------------------------------------------------------- concept checks

def _money(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 else f"${x:.5f}"


def _cq1_options():
    good = usd_per_million_tokens(CQ1.usd_per_hour, CQ1.tokens_per_s)
    mult = CQ1.usd_per_hour * million_tokens_per_hour(CQ1.tokens_per_s)
    minutes = CQ1.usd_per_hour / (CQ1.tokens_per_s * 60 / 1e6)
    per_k = CQ1.usd_per_hour / (CQ1.tokens_per_s * 3600 / 1e3)
    mtok = million_tokens_per_hour(CQ1.tokens_per_s)
    return (
        Option("a", f"{_money(mult)} per million tokens", False,
               f"This multiplies the price by the {mtok:g} million tokens per hour; cost per "
               "token means dividing the hourly price by the tokens produced."),
        Option("b", f"{_money(good)} per million tokens", True,
               f"${CQ1.usd_per_hour:g}/hour / ({CQ1.tokens_per_s:,g} tokens/s x 3,600 s / 10^6) = "
               f"${CQ1.usd_per_hour:g} / {mtok:g}M tokens. (The premise is the chapter's: 70B in "
               "bf16 does not actually fit one H100, see solutions/p3.)"),
        Option("c", f"{_money(minutes)} per million tokens", False,
               "This converts tokens/s to tokens per minute (x 60) instead of per hour "
               "(x 3,600) before dividing the hourly price."),
        Option("d", f"{_money(per_k)} per million tokens", False,
               "That is the cost per thousand tokens: the division used 10^3 instead of 10^6."),
    )


def _cq2_options():
    half = cost_at_utilization(1.0, 0.5)
    return (
        Option("a", "A lightly loaded GPU generates each token more slowly.", False,
               "The opposite: per-request speed is best when the GPU is lightly loaded. The "
               "problem is the idle time you still pay for, not slowness."),
        Option("b", "API providers buy GPUs and electricity much more cheaply.", False,
               "Scale discounts exist, but they do not explain the dependence on utilization: "
               "even at identical prices, an idle self-hosted GPU still costs its hourly rate."),
        Option("c", "You pay for a GPU by the hour, busy or idle, so $/M = hourly cost / tokens "
               "actually served grows as 1/utilization; an API bills only the tokens you use.",
               True,
               f"Right: at 50% utilization the same GPU costs {half:g}x as much per token. "
               "Self-hosting beats the API only when the GPU is kept busy enough to spread its "
               "fixed hourly cost over many tokens."),
        Option("d", "At low utilization the weights must be reloaded into GPU memory for each "
               "request.", False,
               "Weights stay resident in HBM between requests; an idle GPU costs money because "
               "the hourly bill keeps running, not because of reloading."),
    )


def _cq3_options():
    h100 = get_gpu(CQ3.gpu)
    dep = deployment(CQ3.model, CQ3.gpu)
    ai = float(arithmetic_intensity(dep, CQ3.batches[0], CQ3.context))
    ridge = h100.flops_for("bf16") / h100.hbm_bytes_per_s
    return (
        Option("a", "HBM bandwidth (bytes per second)", True,
               "Each decode step streams all the weights (and the KV cache) from HBM once, so "
               "tokens/s <= bandwidth x batch / bytes per step."),
        Option("b", "Peak tensor-core FLOP/s", False,
               f"That bounds compute-bound prefill. At batch {CQ3.batches[0]} a decode step "
               f"does about "
               f"{ai:.1f} FLOP per byte read, while an H100 needs about {ridge:.0f} FLOP per "
               "byte to keep its tensor cores busy: they mostly wait for memory."),
        Option("c", "HBM capacity (GB)", False,
               "Capacity decides what fits and how large the batch can be, not how fast each "
               "step streams the bytes it must read."),
        Option("d", "NVLink bandwidth between GPUs", False,
               "NVLink only carries tensor-parallel communication between GPUs; a model on one "
               "GPU decodes without it, and even with TP it is not the main term."),
    )


def _cq4_ratio():
    return CQ4.new_hbm_bytes_per_s / CQ4.old_hbm_bytes_per_s


def _cq4_options():
    new, old = get_gpu(CQ4.new_gpu), get_gpu(CQ4.old_gpu)
    r = _cq4_ratio()
    bw_new, bw_old = CQ4.new_hbm_bytes_per_s / 1e12, CQ4.old_hbm_bytes_per_s / 1e12
    cap = new.hbm_bytes / old.hbm_bytes
    same = new.flops_for("bf16") / old.flops_for("bf16")
    return (
        Option("a", f"about {cap:.2f}x", False,
               f"That is the memory capacity ratio ({new.hbm_gb:g} GB / {old.hbm_gb:g} GB). "
               "Capacity allows bigger batches, but the speed of each step is set by bandwidth."),
        Option("b", f"about {1 / r:.2f}x", False,
               f"Upside down: {bw_old:g} / {bw_new:g}. More bandwidth means "
               "more tokens per second, so the factor is above 1."),
        Option("c", f"about {same:.2f}x (no change)", False,
               "Both chips have the same tensor cores, but memory-bound decode is limited by "
               "bandwidth, not FLOP/s."),
        Option("d", f"about {r:.2f}x", True,
               f"{bw_new:g} / {bw_old:g} = {r:.2f}: at the same batch each "
               "step streams the same bytes that much faster. (The larger memory can add a "
               "separate gain through bigger batches.)"),
    )


register(Question(
    id="cq1", section="Concept check 1 (§30.1)",
    summary=f"$/M tokens for a 70B model on one H100 at ${CQ1.usd_per_hour:g}/hour and "
            f"{CQ1.tokens_per_s:,g} tokens/s",
    ask=f"One H100 rented at ${CQ1.usd_per_hour:g}/hour serves a 70B model at "
        f"{CQ1.tokens_per_s:,g} tokens/s in total. How much does a million output tokens cost?",
    options=_cq1_options(),
    hints=("Tokens per hour = tokens/s x 3,600.",
           "$/M = $ per hour / millions of tokens per hour."),
    inputs=CQ1))

register(Question(
    id="cq2", section="Concept check 2 (§30.7)",
    summary="Why self-hosting beats API prices only at high GPU utilization",
    ask="Why does self-hosting a large model beat API pricing only when the GPUs are highly "
        "utilized?",
    options=_cq2_options(),
    hints=("What do you pay for a GPU that has no requests for an hour?",
           "Write $/M tokens as hourly cost / tokens per hour, and let the GPU be busy only part "
           "of the hour.")))

register(Question(
    id="cq3", section="Concept check 3 (§30.3)",
    summary="Which hardware parameter sets memory-bound decode throughput",
    ask="When decode is limited by memory traffic, which property of the GPU most directly caps "
        "the tokens per second of a given model?",
    options=_cq3_options(),
    hints=("What does one decode step have to read, and from where?",
           "The chapter's ceiling is bandwidth / model bytes x batch (§30.3).")))

register(Question(
    id="cq4", section="Concept check 4 (§30.8)",
    summary=f"H200 ({CQ4.new_hbm_bytes_per_s / 1e12:g} TB/s) vs H100 "
            f"({CQ4.old_hbm_bytes_per_s / 1e12:g} TB/s): decode speed-up, all else equal",
    ask=f"An H200 has {CQ4.new_hbm_bytes_per_s / 1e12:g} TB/s of HBM bandwidth, an H100 "
        f"{CQ4.old_hbm_bytes_per_s / 1e12:g} TB/s. Ignoring everything else, by about what "
        "factor does the H200 raise the maximum decode throughput of the same model?",
    options=_cq4_options(),
    hints=("Decode is memory-bound: tokens/s is proportional to bandwidth.",
           "Divide the two bandwidths - which way round?"),
    inputs=CQ4))

