"""Re-derivations of the claims of §30.6-§30.11 and concept check 4: recomputed value and why (§30.6-§30.11)."""
from __future__ import annotations

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_api_price, get_gpu, get_model, gpu_usd_per_hour
from costlib.economics.capacity import capacity_plan
from costlib.economics.cost import (
    tier_usd_per_hour,
    usd_per_million_tokens,
)
from costlib.economics.crossover import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    crossover_tokens_per_month,
    monthly_capacity_tokens,
    self_host_monthly_usd,
)
from costlib.physics.memory import (
    fit,
    kv_bytes_per_token,
    max_batch,
    min_tp,
    usable_bytes,
    weight_bytes,
)
from costlib.physics.step import (
    MBU_RANGE,
    MFU_RANGE,
    decode_ceiling_tokens_per_s,
    prefill_ceiling_tokens_per_s,
)
from costlib.teaching.chapter import text as t
from costlib.teaching.chapter.configs import (
    cheapest_deployment,
    engine_quote,
    ratio_band,
    smallest_deployment,
    usd_band,
)
from costlib.teaching.chapter.inputs import (
    CONTEXT_TOKENS,
    CQ4,
    S30_1,
    S30_5,
    S30_6,
    S30_7,
    S30_8,
    S30_9,
    S30_10,
)
from costlib.teaching.chapter.verdicts import judge_range, judge_value

_70B = "llama-3.1-70b"  # Llama 3, 3.1 and 3.3 70B share one architecture (70.55B parameters)
_H100 = "H100-SXM"


def rows_30_6(add):
    s = S30_6
    pre_tps = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, s.mfu)
    pre_tph = pre_tps * 3600
    add("s30_6_prefill_tokens_per_hour", pre_tph,
        f"{s.peak_flops:.4g} x 3,600 x {s.mfu} / (2 x {s.n_params:.3g}) = {pre_tph:.4g} = "
        f"{t.num(pre_tph)} tokens per hour"
        + t.slip(s.claimed_prefill_tokens_per_hour, pre_tph))
    pre_usd = usd_per_million_tokens(s.usd_per_hour, pre_tps)
    add("s30_6_prefill_usd_per_million", pre_usd,
        f"{t.usd(s.usd_per_hour)} / {pre_tph / 1e6:.3g} M tokens = {t.usd(pre_usd)}/M "
        f"({pre_usd:.4f}). The dollar figure follows from {t.num(pre_tph)} tokens per hour; "
        f"{t.num(s.claimed_prefill_tokens_per_hour)} would give "
        f"${s.usd_per_hour / (s.claimed_prefill_tokens_per_hour / 1e6):.2g}/M.")
    dec_tps = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, s.batch) * s.mbu
    dec_tph = dec_tps * 3600
    add("s30_6_decode_tokens_per_hour", dec_tph,
        f"{s.hbm_bytes_per_s:.3g} x 3,600 x {s.mbu} x {s.batch} / {s.model_bytes:.3g} = "
        f"{dec_tph:.4g} = {t.num(dec_tph)} tokens per hour"
        + t.slip(s.claimed_decode_tokens_per_hour, dec_tph))
    dec_usd = usd_per_million_tokens(s.usd_per_hour, dec_tps)
    add("s30_6_decode_usd_per_million", dec_usd,
        f"{t.usd(s.usd_per_hour)} / {dec_tph / 1e6:.3g} M tokens = {t.usd(dec_usd)}/M "
        f"({dec_usd:.4f}).")
    dep = deployment(s.model, s.gpu, 1, s.weights)
    fb = fit(dep, context=CONTEXT_TOKENS, batch=s.batch)
    need = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS, s.batch)
    real = engine_quote(s.model, s.gpu, need, s.weights, usd_per_gpu_hour=s.usd_per_hour, batch=s.batch)
    cost = (f"where the engine gives {t.usd(real['usd_low'])}-{t.usd(real['usd_high'])}/M for {s.batch} "
            "requests started together" if real else "and even there the engine finds it does not fit")
    add("s30_6_decode_batch_128", fb.max_batch,
        f"KV cache for {s.batch} x {CONTEXT_TOKENS:,} tokens is {t.gb(fb.kv_bytes)}, on top of "
        f"{t.gb(fb.weight_bytes)} of weights, vs {t.gb(fb.usable_bytes)} usable: one H100 holds no "
        f"sequence at all. Batch {s.batch} needs TP={need}, {cost}.",
        fit_result=fb)
    ratios = {i: get_api_price(i)["usd_per_million_output"]
              / get_api_price(i)["usd_per_million_input"]
              for i in ("gpt-4o", "gpt-4o-mini", "claude-sonnet", "claude-haiku-3")}
    add("s30_6_input_discount_prices", max(ratios["gpt-4o"], ratios["gpt-4o-mini"]),
        f"Catalog output/input ratios: GPT-4o {t.times(ratios['gpt-4o'])}, GPT-4o mini "
        f"{t.times(ratios['gpt-4o-mini'])} (Anthropic: Sonnet {t.times(ratios['claude-sonnet'])}, Haiku 3 "
        f"{t.times(ratios['claude-haiku-3'])}).")
    r = dec_usd / pre_usd
    best = cheapest_deployment(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    pre_real = best["quote"].usd_per_million_input.mid
    add("s30_6_input_discount_from_math", r,
        f"This section's own numbers give decode {t.usd(dec_usd)}/M over prefill {t.usd(pre_usd)}/M "
        f"= {t.times(r)}, below 2x. On the cost-optimal bf16 deployment (TP={best['tp']}, batch "
        f"{best['batch']}) the engine's calibrated mid has output {t.usd(best['usd_per_million'])}/M vs "
        f"prompt {t.usd(pre_real)}/M = {t.times(best['usd_per_million'] / pre_real)}.",
        reason_args={"low": s.claimed_input_discount[0], "high": s.claimed_input_discount[1]})


def rows_30_7(add):
    s = S30_7
    floor = self_host_monthly_usd(0, S30_1.tokens_per_s, s.usd_per_hour)
    tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS)
    add("s30_7_monthly_floor", floor,
        f"{t.usd(s.usd_per_hour)}/hour x {HOURS_PER_MONTH} hours ({DAYS_PER_MONTH} days) = "
        f"{t.usd(floor)}; bf16 70B needs {tp} "
        f"H100s, so {t.usd(floor * tp)}.")
    cross = crossover_tokens_per_month(s.api_usd_per_million, s.usd_per_hour, gpus=1)
    cross2 = crossover_tokens_per_month(s.api_usd_per_million, s.usd_per_hour, gpus=tp)
    cap = monthly_capacity_tokens(S30_1.tokens_per_s)
    add("s30_7_crossover", cross,
        f"The fixed {t.usd(floor)}/month bill equals the {t.usd(s.api_usd_per_million)}/M API at "
        f"{t.usd(floor)} / {s.api_usd_per_million} per M = {t.num(cross)} tokens/month, "
        f"{cross / s.claimed_crossover_tokens_per_month[1]:.1f}x the top of the stated range; with "
        f"the {tp} GPUs bf16 needs, {t.num(cross2)}. (One GPU at {S30_1.tokens_per_s:,.0f} "
        "tokens/s makes at most "
        f"{t.num(cap)} a month.)",
        reason_args={"claimed_range": t.num_range(*s.claimed_crossover_tokens_per_month)})
    below = s.claimed_api_cheaper_below_tokens_per_month
    api_bill = below / 1e6 * s.api_usd_per_million
    add("s30_7_api_cheaper_below", cross,
        f"True, and conservative: {t.num(below)} tokens cost {t.usd(api_bill)} through the API vs "
        f"the {t.usd(floor)} GPU floor, and the API stays cheaper up to {t.num(cross)}.",
        verdict="correct" if below <= cross else "wrong")
    api = get_api_price("together-llama-3.3-70b")["usd_per_million_output"]
    add("s30_7_api_usd_per_million", api,
        f"Together AI lists Llama 3.3 70B at {t.usd(api)}/M.")


def rows_30_8(add):
    s = S30_8
    prices = {r.gpu: r.usd_per_hour for r in s.table}
    h100_row = next(r for r in s.table if r.gpu == _H100)
    for r in s.table:
        g = get_gpu(r.gpu)
        tag = g.id.lower().replace("-sxm", "").replace("-80gb", "").replace("-", "")
        add(f"s30_8_{tag}_hbm_gb", g.hbm_gb,
            f"Datasheet: {g.hbm_gb:.0f} GB ({g.source.split('(')[0].split(':')[0].strip()})."
            + (f" {r.hbm_gb:g} GB is the B200's announced HBM3e capacity; NVIDIA's HGX B200 "
               f"datasheet lists {8 * g.hbm_gb / 1e3:g} TB for 8 GPUs, {g.hbm_gb:g} GB each."
               if g.id == "B200" else ""))
        bw_why = (f"Datasheet: {g.hbm_tb_per_s:g} TB/s "
                  f"({g.source.split('(')[0].split(':')[0].strip()}).")
        if g.id == _H100:
            add(f"s30_8_{tag}_tb_per_s", g.hbm_tb_per_s, bw_why,
                reason_args={"chapter_tb_per_s": r.hbm_tb_per_s,
                             "cq4_tb_per_s": CQ4.h100_hbm_bytes_per_s / 1e12})
        else:
            add(f"s30_8_{tag}_tb_per_s", g.hbm_tb_per_s, bw_why)
        od_lo = gpu_usd_per_hour(g.id, "on_demand", "low")
        od_hi = gpu_usd_per_hour(g.id, "on_demand", "high")
        rs_lo, rs_hi = tier_usd_per_hour(od_lo, "reserved"), tier_usd_per_hour(od_hi, "reserved")
        rs_mid = (rs_lo + rs_hi) / 2
        in_reserved = judge_range(rs_lo, rs_hi, r.usd_per_hour) == "correct"
        in_on_demand = judge_range(od_lo, od_hi, r.usd_per_hour) == "correct"
        basis = "reserved" if in_reserved else "on-demand" if in_on_demand else "neither tier"
        why = (f"§30.2 lists {t.usd_range(od_lo, od_hi)} on demand, so reserved (half) is "
               f"{t.usd_range(rs_lo, rs_hi)}; {t.usd(r.usd_per_hour)} matches the {basis} price.")
        if in_reserved:
            verdict = "correct"
        elif in_on_demand:
            verdict = "inconsistent"
            why += (f" The H100 row uses a reserved price ({t.usd(h100_row.usd_per_hour)}), so this "
                    f"row is on a different basis; at the reserved {t.usd(rs_mid)} each of its $/M "
                    f"figures scales by {rs_mid / r.usd_per_hour:.2f}.")
        else:
            verdict = judge_value(r.usd_per_hour, rs_mid)
        add(f"s30_8_{tag}_usd_per_hour", rs_mid, why, verdict=verdict)
        best = cheapest_deployment(s.model, g.id, s.weights, usd_per_gpu_hour=r.usd_per_hour)
        sm = smallest_deployment(s.model, g.id, s.weights, usd_per_gpu_hour=r.usd_per_hour)
        why = (f"On the engine at {t.usd(r.usd_per_hour)}/GPU-hour: the smallest bf16 replica, "
               f"TP={sm['tp']} (batch {sm['batch']}), {t.usd(sm['usd_low'])}-{t.usd(sm['usd_high'])}/M; "
               f"the cost-optimal TP={best['tp']} (batch {best['batch']}) {t.usd(best['usd_low'])}-"
               f"{t.usd(best['usd_high'])}/M (calibrated band), {t.usd(best['usd_ceiling'])}/M at the "
               "physics ceiling.")
        if not in_reserved and in_on_demand:
            alt = cheapest_deployment(s.model, g.id, s.weights, usd_per_gpu_hour=rs_mid)
            why += (f" At the reserved {t.usd(rs_mid)}: {t.usd(alt['usd_low'])}-{t.usd(alt['usd_high'])}"
                    "/M.")
        add(f"s30_8_{tag}_usd_per_million", best["usd_per_million"], why,
            bands={"the calibrated band": usd_band(best)})
    h100, b200, h200 = get_gpu(_H100), get_gpu("B200"), get_gpu("H200-SXM")
    r_bw = b200.hbm_bytes_per_s / h100.hbm_bytes_per_s
    add("s30_8_b200_bandwidth_ratio", r_bw,
        f"{b200.hbm_tb_per_s:g} / {h100.hbm_tb_per_s:g} TB/s = {t.times(r_bw)} (with the chapter's 3 "
        f"TB/s: {t.times(b200.hbm_tb_per_s / h100_row.hbm_tb_per_s)}).")
    r_cost = prices["B200"] / prices[_H100]
    od = gpu_usd_per_hour("B200", "on_demand") / gpu_usd_per_hour(_H100, "on_demand")
    add("s30_8_b200_cost_ratio", r_cost,
        f"Table prices {t.usd(prices['B200'])} / {t.usd(prices[_H100])} = {t.times(r_cost)}; §30.2's "
        f"on-demand midpoints give {t.times(od)}.")
    cb = cheapest_deployment(s.model, "B200", s.weights, usd_per_gpu_hour=prices["B200"])
    ch = cheapest_deployment(s.model, _H100, s.weights, usd_per_gpu_hour=prices[_H100])
    b_row = next(r for r in s.table if r.gpu == "B200")
    rb = ratio_band(cb, ch)
    add("s30_8_b200_vs_h100_per_token", rb[1],
        f"Cost-optimal bf16 on the engine: B200 {t.usd(cb['usd_per_million'])}/M (TP={cb['tp']}) vs H100 "
        f"{t.usd(ch['usd_per_million'])}/M (TP={ch['tp']}) = {t.times_band(rb)}; the chapter's table gives "
        f"{t.usd(b_row.usd_per_million)} / {t.usd(h100_row.usd_per_million)}.",
        bands={"the calibrated band": rb})
    gain = h200.hbm_bytes_per_s / h100.hbm_bytes_per_s - 1
    add("s30_8_h200_extra_bandwidth", gain,
        f"{h200.hbm_tb_per_s:g} / {h100.hbm_tb_per_s:g} = {1 + gain:.3f}, i.e. {t.pct(gain)} more "
        f"(the answer concept check 4 wants); {t.pct(s.claimed_h200_extra_bandwidth)} comes from "
        f"dividing by the rounded {h100_row.hbm_tb_per_s:g} TB/s "
        f"({h200.hbm_tb_per_s / h100_row.hbm_tb_per_s:.2f}).")
    f_h200 = fit(deployment(s.model, "H200-SXM", 1, s.weights), context=CONTEXT_TOKENS)
    tp_h200 = min_tp(s.model, "H200-SXM", s.weights, "bf16", CONTEXT_TOKENS)
    tp_h100 = min_tp(s.model, _H100, s.weights, "bf16", CONTEXT_TOKENS)
    h2 = engine_quote(s.model, "H200-SXM", tp_h200, s.weights, usd_per_gpu_hour=prices["H200-SXM"])
    h1 = engine_quote(s.model, _H100, tp_h100, s.weights, usd_per_gpu_hour=prices[_H100])
    if f_h200.fits:
        verdict_text = (f"{t.gb(f_h200.weight_bytes)} of weights vs {t.gb(f_h200.usable_bytes)} usable "
                        f"({t.usable_rule(h200)}): it fits, with KV room for only "
                        f"{max_batch(deployment(s.model, 'H200-SXM', 1, s.weights), CONTEXT_TOKENS)} "
                        f"{CONTEXT_TOKENS:,}-token sequences. ")
    else:
        verdict_text = (f"{t.gb(f_h200.weight_bytes)} of weights vs {t.gb(f_h200.usable_bytes)} usable "
                        f"({t.usable_rule(h200)}): short by {t.gb(f_h200.shortfall_bytes)} with one "
                        f"{CONTEXT_TOKENS:,}-token sequence, so it takes TP={tp_h200}. ")
    engine_text = "On the engine (calibrated mid) "
    engine_text += (f"{tp_h200} H200 at {t.usd(h2['usd_per_million'])}/M (batch {h2['batch']})" if h2 else
                    f"TP={tp_h200} on H200s does not fit the engine's memory rule")
    engine_text += (f" vs {tp_h100} H100s at {t.usd(h1['usd_per_million'])}/M (batch {h1['batch']})." if h1 else ".")
    add("s30_8_bf16_fits_one_h200", tp_h200, verdict_text + engine_text, fit_result=f_h200)
    add("s30_8_bf16_needs_two_h100", tp_h100,
        f"{t.gb(weight_bytes(s.model, s.weights))} of weights vs {t.gb(usable_bytes(_H100))} per "
        f"H100: TP={tp_h100} is the smallest that fits.")
    w8 = weight_bytes(s.model, "fp8")
    add("s30_8_fp8_weights_gb", w8 / 1e9,
        f"{t.params(s.model)} x 1 byte = {t.gb(w8)}; {s.claimed_fp8_weights_gb:g} GB is the 4-bit "
        f"size ({t.gb(weight_bytes(s.model, 'int4'))}).")
    f8 = fit(deployment(s.model, _H100, 1, "fp8"), context=CONTEXT_TOKENS)
    f8kv = fit(deployment(s.model, _H100, 1, "fp8", "fp8"), context=CONTEXT_TOKENS)
    add("s30_8_fp8_fits_one_h100", min_tp(s.model, _H100, "fp8", "bf16", CONTEXT_TOKENS),
        f"{t.gb(f8.weight_bytes)} of weights in {t.gb(f8.usable_bytes)} usable leaves "
        f"{t.gb(f8.usable_bytes - f8.weight_bytes)} for KV: {f8.max_batch} sequences of "
        f"{CONTEXT_TOKENS:,} tokens with a bf16 KV cache, {f8kv.max_batch} with "
        "fp8 KV.", fit_result=f8)


def rows_30_9(add):
    s = S30_9
    big = cheapest_deployment(s.large_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    small = cheapest_deployment(s.small_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    rb = ratio_band(big, small)
    r = rb[1]
    wr = weight_bytes(s.large_model, s.weights) / weight_bytes(s.small_model, s.weights)
    kr = kv_bytes_per_token(s.large_model) / kv_bytes_per_token(s.small_model)
    sm_big = smallest_deployment(s.large_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    nk_small, nk_big = get_model(s.small_model).n_kv_heads, get_model(s.large_model).n_kv_heads
    kv_heads = (f"both have {nk_big} KV heads" if nk_small == nk_big else
                f"{nk_small} vs {nk_big} KV heads")
    add("s30_9_small_model_cost_ratio", r,
        f"Cost-optimal H100 deployments in bf16 on the engine: 70B {t.usd(big['usd_per_million'])}/M "
        f"(TP={big['tp']}, batch {big['batch']}) vs {get_model(s.small_model).name} "
        f"{t.usd(small['usd_per_million'])}/M (TP={small['tp']}, batch {small['batch']}) = {t.times(r)}. "
        f"Weights differ {t.times(wr)} but KV per token only {t.times(kr)} ({kv_heads}), and at large "
        f"batches KV reads dominate. Against the smallest 70B replica (TP={sm_big['tp']}, batch "
        f"{sm_big['batch']}) the gap is "
        f"{t.times(sm_big['usd_per_million'] / small['usd_per_million'])}.",
        bands={"the calibrated band": rb})


def rows_30_10(add):
    s = S30_10
    p = capacity_plan(s.users, s.sessions_per_day, s.tokens_per_session, s.tokens_per_s_per_gpu,
                      peak_factor=s.peak_factor, headroom=s.headroom,
                      usd_per_gpu_hour=s.usd_per_hour,
                      days_per_month=s.days_per_month)
    add("s30_10_tokens_per_day", p.tokens_per_day,
        f"{s.users:,} users x {s.sessions_per_day} sessions x {s.tokens_per_session} tokens = "
        f"{t.num(p.tokens_per_day)}.")
    add("s30_10_avg_tokens_per_s", p.avg_tokens_per_s,
        f"{t.num(p.tokens_per_day)} / 86,400 s = {p.avg_tokens_per_s:,.0f}.")
    add("s30_10_peak_tokens_per_s", p.peak_tokens_per_s,
        f"{p.avg_tokens_per_s:,.0f} x {s.peak_factor:g} = {p.peak_tokens_per_s:,.0f}.")
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    sm = smallest_deployment(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    best = cheapest_deployment(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    add("s30_10_tokens_per_s_per_gpu", sm["tokens_per_s_per_gpu"],
        "The plan sizes the fleet in single-H100 replicas, which cannot hold "
        f"{t.gb(f1.weight_bytes)} of weights. With TP={sm['tp']} replicas (batch {sm['batch']}) "
        f"the engine gets {sm['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU (calibrated mid); with "
        f"TP={best['tp']} (batch {best['batch']}) {best['tokens_per_s_per_gpu']:,.0f}, so "
        f"{s.tokens_per_s_per_gpu:,.0f} per GPU "
        + ("is reachable, but only on multi-GPU replicas."
           if best["tokens_per_s_per_gpu"] >= s.tokens_per_s_per_gpu else
           "is out of reach even there."),
        fit_result=f1)
    add("s30_10_gpus_at_peak", p.gpus_at_peak,
        f"{p.peak_tokens_per_s:,.0f} / {s.tokens_per_s_per_gpu:,.0f} = {p.gpus_at_peak:.1f} (the "
        "chapter divides the rounded 175k).")
    add("s30_10_gpus", p.gpus,
        f"{p.gpus_at_peak:.1f} x {1 + s.headroom:g} = {p.gpus_at_peak * (1 + s.headroom):.1f}, "
        f"rounded up to {p.gpus}.")
    add("s30_10_monthly_usd", p.monthly_usd,
        f"{p.gpus} x {t.usd(s.usd_per_hour)} x 24 x {s.days_per_month} = {t.usd(p.monthly_usd)}.")
    add("s30_10_usd_per_million", p.usd_per_million_tokens,
        f"{t.usd(p.monthly_usd)} / ({t.num(p.tokens_per_day)} x {s.days_per_month} / 1M) = "
        f"{t.usd(p.usd_per_million_tokens)}/M ({p.usd_per_million_tokens:.4f}).")
    implied = s.claimed_usd_per_million / S30_5.claimed_usd_per_million
    factor = s.peak_factor * (1 + s.headroom)
    add("s30_10_peak_explains_gap", factor,
        f"{t.usd(s.claimed_usd_per_million)} / {t.usd(S30_5.claimed_usd_per_million)} = "
        f"{t.times(implied)}, which is exactly the peak factor {s.peak_factor:g} x headroom "
        f"{1 + s.headroom:g} = {t.times(factor)}: the fleet runs at {t.pct(1 / factor)} average "
        "utilization.")
    api = S30_7.api_usd_per_million
    monthly_tokens = p.tokens_per_day * s.days_per_month
    add("s30_10_vs_api", p.usd_per_million_tokens / api,
        f"{t.usd(p.usd_per_million_tokens)}/M vs the {t.usd(api)}/M hosted-Llama API: self-hosting "
        f"costs {t.times(p.usd_per_million_tokens / api)} as much at {t.num(monthly_tokens)} "
        f"tokens/month, {monthly_tokens / S30_7.claimed_crossover_tokens_per_month[1]:,.0f}x past "
        "the top of §30.7's crossover.",
        reason_args={"claimed_range": t.num_range(*S30_7.claimed_crossover_tokens_per_month)})
    implied_u = S30_5.claimed_usd_per_million / s.claimed_usd_per_million
    add("s30_10_peak_utilization_word", 1 / (1 + s.headroom),
        f"The rubric's {t.usd(s.claimed_usd_per_million)}/M against §30.5's "
        f"{t.usd(S30_5.claimed_usd_per_million)}/M implies the fleet is busy {t.pct(implied_u)} of "
        f"the time: that is its AVERAGE utilization, 1 / (peak factor {s.peak_factor:g} x headroom "
        f"{1 + s.headroom:g}). At the peak it runs at 1 / {1 + s.headroom:g} = "
        f"{t.pct(1 / (1 + s.headroom))}: 'peak utilization is lower' should read 'average "
        "utilization is lower'.")


def rows_30_11(add):
    add("s30_11_utilization", MBU_RANGE[1],
        f"§30.4 gives MFU {MFU_RANGE[0]:.2f}-{MFU_RANGE[1]:.2f} for prefill and MBU "
        f"{MBU_RANGE[0]:.2f}-{MBU_RANGE[1]:.2f} for decode: together "
        f"{MFU_RANGE[0]:.2f}-{MBU_RANGE[1]:.2f}; the takeaway trims the top.")
    usd = usd_per_million_tokens(S30_5.usd_per_hour, S30_5.tokens_per_s)
    r4o = S30_1.gpt4o_usd_per_million_output / usd
    rs = S30_1.sonnet_usd_per_million_output / usd
    add("s30_11_cheaper_than_api", r4o,
        f"At §30.5's realistic {t.usd(usd)}/M: GPT-4o {t.times(r4o)}, Claude Sonnet {t.times(rs)} (above the "
        "range); §30.5's figure caption claims a wider gap for the same comparison.")
    cross = crossover_tokens_per_month(S30_7.api_usd_per_million, S30_7.usd_per_hour, gpus=1)
    add("s30_11_crossover", cross,
        f"Same numbers as §30.7: {t.usd(S30_7.usd_per_hour * 720)}/month / "
        f"{t.usd(S30_7.api_usd_per_million)}/M = {t.num(cross)} tokens/month.",
        )
    price = S30_5.usd_per_hour
    bf = cheapest_deployment(_70B, _H100, "bf16", usd_per_gpu_hour=price)
    quant = {(w, kv): cheapest_deployment(_70B, _H100, w, kv, usd_per_gpu_hour=price)
             for w in ("fp8", "int4") for kv in ("bf16", "fp8")}
    cut = {key: ratio_band(bf, d) for key, d in quant.items()}

    def best_cut(kv):
        """The larger of the FP8 and INT4 cuts with this KV cache, per point of the band."""
        a, b = cut[("fp8", kv)], cut[("int4", kv)]
        return tuple(max(x, y) for x, y in zip(a, b, strict=True))

    bands = {t.kv_cache(kv): best_cut(kv) for kv in ("bf16", "fp8")}
    add("s30_11_quantization_cut", bands[t.kv_cache("bf16")][1],
        f"Cost-optimal 70B on H100s at {t.usd(price)}/hour, engine's calibrated mid: bf16 "
        f"{t.usd(bf['usd_per_million'])}/M; "
        + "; ".join(f"{w.upper()} weights with {t.kv_cache(kv)} {t.usd(quant[(w, kv)]['usd_per_million'])}/M "
                    f"({t.times_band(cut[(w, kv)])})" for w, kv in quant)
        + ". Weight-only quantization leaves the KV cache as large as before.",
        bands=bands)


def rows_cq(add):
    h100, h200 = get_gpu(_H100), get_gpu("H200-SXM")
    add("cq4_h100_tb_per_s", h100.hbm_tb_per_s,
        f"Matches the datasheet ({h100.hbm_tb_per_s:g} TB/s); the H200/H100 ratio is "
        f"{h200.hbm_bytes_per_s / h100.hbm_bytes_per_s:.3f}.")


BUILDERS = (("§30.6", rows_30_6), ("§30.7", rows_30_7), ("§30.8", rows_30_8), ("§30.9", rows_30_9),
            ("§30.10", rows_30_10), ("§30.11", rows_30_11), ("CQ4", rows_cq))
