"""Re-derivations of the claims of §30.1-§30.5: each row's recomputed value and why (§30.1-§30.5)."""
from __future__ import annotations

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import get_api_price, get_gpu, get_model, gpu_usd_per_hour
from costlib.economics.cost import (
    cost_at_utilization,
    million_tokens_per_hour,
    owned_usd_per_gpu_hour,
    tier_usd_per_hour,
    usd_per_million_tokens,
)
from costlib.physics.memory import fit, kv_bytes_per_token, min_tp, usable_bytes, weight_bytes
from costlib.physics.step import (
    decode_ceiling_tokens_per_s,
    prefill_arithmetic_intensity,
    prefill_ceiling_tokens_per_s,
    prefill_tokens_per_s,
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
    S30_2,
    S30_3,
    S30_4,
    S30_5,
    S30_8,
    S30_11,
)
from costlib.teaching.chapter.verdicts import relative_error

_70B = "llama-3.1-70b"  # Llama 3, 3.1 and 3.3 70B share one architecture (70.55B parameters)
_H100 = "H100-SXM"


def rows_30_1(add):
    s = S30_1
    h100 = get_gpu(s.gpu)
    mtph = million_tokens_per_hour(s.tokens_per_s)
    add("s30_1_tokens_per_hour", mtph,
        f"{t.num(s.tokens_per_s)} tokens/s x 3,600 s = {mtph:.2f} million tokens per hour.")
    usd = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s)
    add("s30_1_usd_per_million", usd,
        f"{t.usd(s.usd_per_hour)} / {mtph:.2f} M tokens = {t.usd(usd)}/M; the unit arithmetic is "
        "right (whether one H100 can run the model is a separate row).")
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS)
    add("s30_1_70b_one_h100", tp,
        f"{t.gb(f1.weight_bytes)} of bf16 weights ({t.params(s.model)}) against "
        f"{t.gb(f1.usable_bytes)} usable on one H100 ({t.usable_rule(h100)}): short by "
        f"{t.gb(f1.shortfall_bytes)} with one {CONTEXT_TOKENS:,}-token sequence; the smallest "
        f"tensor-parallel degree that fits is TP={tp}.",
        fit_result=f1)
    od_lo = gpu_usd_per_hour(s.gpu, "on_demand", "low")
    od_hi = gpu_usd_per_hour(s.gpu, "on_demand", "high")
    on_demand = {"claimed_low": t.usd(s.h100_on_demand_usd_per_hour[0]),
                 "claimed_high": t.usd(s.h100_on_demand_usd_per_hour[1]),
                 "table_low": t.usd(od_lo), "table_high": t.usd(od_hi)}
    add("s30_1_h100_on_demand_low", od_lo,
        f"{t.usd(s.h100_on_demand_usd_per_hour[0])} here vs {t.usd(od_lo)} in §30.2.",
        reason_args=on_demand)
    add("s30_1_h100_on_demand_high", od_hi,
        f"{t.usd(s.h100_on_demand_usd_per_hour[1])} here vs {t.usd(od_hi)} in §30.2.",
        reason_args=on_demand)
    od_mid = gpu_usd_per_hour(s.gpu, "on_demand", "mid")
    res = tier_usd_per_hour(od_mid, "reserved")
    add("s30_1_h100_reserved", res,
        f"§30.2's rule (reserved = half of on-demand) on the mid on-demand price {t.usd(od_mid)} "
        f"gives {t.usd(res)}, inside the quoted range.")
    owned = owned_usd_per_gpu_hour()
    bm_hi = tier_usd_per_hour(od_mid, "bare_metal", "high")
    bm_lo = tier_usd_per_hour(od_mid, "bare_metal", "low")
    add("s30_1_capex_usd_per_hour", owned,
        f"An owned H100 ({t.owned_assumptions()}) comes to {t.usd(owned)}/hour; bare metal at "
        f"{t.pct(S30_2.bare_metal_discount[0])}-{t.pct(S30_2.bare_metal_discount[1])} below the "
        f"{t.usd(od_mid)} on-demand "
        f"midpoint is {t.usd(bm_lo)}-{t.usd(bm_hi)}.",
        reason_args={"owned": t.usd_range(*S30_2.claimed_owned_usd_per_hour),
                     "capex": t.usd(s.capex_usd_per_hour)})
    fig = usd_per_million_tokens(s.figure_usd_per_hour, s.tokens_per_s)
    add("s30_1_figure_usd_per_million", fig,
        f"{t.usd(s.figure_usd_per_hour)} / {mtph:.2f} M = {t.usd(fig)}/M.")
    half = usd_per_million_tokens(s.figure_usd_per_hour, s.tokens_per_s, s.figure_utilization)
    add("s30_1_figure_half_util", half,
        f"Half the tokens for the same bill: {t.usd(fig)} / {s.figure_utilization} = "
        f"{t.usd(half)}/M.")
    lo_u, hi_u = S30_11.claimed_utilization
    swing = cost_at_utilization(1.0, lo_u) / cost_at_utilization(1.0, hi_u)
    add("s30_1_utilization_swing", swing,
        "Across the chapter's own 30-80% utilization band (§30.11), $/M scales as 1/utilization: "
        f"{hi_u}/{lo_u} = {t.times(swing)}.")
    two = usd_per_million_tokens(s.usd_per_hour * tp, s.tokens_per_s)
    for key, api in (("gpt4o", s.gpt4o_usd_per_million_output),
                     ("sonnet", s.sonnet_usd_per_million_output)):
        r = api / usd
        add(f"s30_1_cheaper_than_{key}", r,
            f"{t.usd(api)}/M / {t.usd(usd)}/M = {t.times(r)} (claimed {s.claimed_cheaper_than_api[0]:g}-"
            f"{s.claimed_cheaper_than_api[1]:g}x). Paying for the {tp} H100s that bf16 70B really "
            f"needs at the same {s.tokens_per_s:,.0f} tokens/s cuts it to {t.times(api / two)}.")
    lo_r, hi_r = s.h100_reserved_usd_per_hour
    add("s30_1_capex_cheapest", owned / lo_r,
        f"Owned H100 {t.usd(owned)}/hour ({t.owned_assumptions()}) against reserved "
        f"{t.usd(lo_r)}-{t.usd(hi_r)}: inside the reserved range, not below it, and that leaves out "
        "the GPU's share of the server, network and chassis it sits in (notebook 01, 1.5).")


def rows_30_2(add):
    s = S30_2
    od_mid = gpu_usd_per_hour(_H100, "on_demand", "mid")
    res_mid = sum(S30_1.h100_reserved_usd_per_hour) / 2
    frac = res_mid / od_mid
    add("s30_2_reserved_fraction", frac,
        f"The chapter's own H100 figures: reserved midpoint {t.usd(res_mid)} (§30.1) / on-demand "
        f"midpoint {t.usd(od_mid)} (§30.2 table) = {frac:.3f}, a bit under one half.")
    spot = tier_usd_per_hour(1.0, "reserved") * s.spot_fraction_of_reserved
    add("s30_2_spot_fraction", spot,
        f"Half of the reserved half: 0.5 x {s.spot_fraction_of_reserved} = {spot:.2f}.")
    lo_c, hi_c = s.h100_purchase_usd
    owned = owned_usd_per_gpu_hour((lo_c + hi_c) / 2, s.amortization_years)
    o_lo = owned_usd_per_gpu_hour(lo_c, s.amortization_years)
    o_hi = owned_usd_per_gpu_hour(hi_c, s.amortization_years)
    add("s30_2_owned_usd_per_hour", owned,
        f"Straight-line {t.owned_assumptions((lo_c + hi_c) / 2, s.amortization_years)} = "
        f"{t.usd(owned)}/hour ({t.usd(o_lo)} at {t.usd(lo_c)}, {t.usd(o_hi)} at {t.usd(hi_c)}); the "
        "power, PUE and overhead figures are costlib's defaults.")
    res = tier_usd_per_hour(od_mid, "reserved")
    add("s30_2_default_usd_per_hour", res,
        f"Half of the {t.usd(od_mid)} on-demand midpoint is {t.usd(res)}; $2 is the top of the "
        "reserved range, a round and slightly pessimistic default.")


def rows_30_3(add):
    s = S30_3
    h100 = get_gpu(s.gpu)
    w = weight_bytes(s.model, s.weights)
    add("s30_3_weights_gb", w / 1e9,
        f"Llama 3.1 70B has {get_model(s.model).n_params / 1e9:.2f}B parameters x 2 bytes = "
        f"{t.gb(w)}.")
    bw = h100.hbm_bytes_per_s
    add("s30_3_h100_tb_per_s", bw / 1e12,
        f"The H100 SXM datasheet gives {bw / 1e12:.2f} TB/s; 3 TB/s understates it by "
        f"{t.pct(1 - s.hbm_bytes_per_s / bw)}.",
        reason_args={"cq4_tb_per_s": CQ4.h100_hbm_bytes_per_s / 1e12})
    per_seq = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, 1)
    true_seq = decode_ceiling_tokens_per_s(bw, w, 1)
    add("s30_3_tokens_per_s_per_sequence", per_seq,
        f"{s.hbm_bytes_per_s / 1e9:,.0f} GB/s / {s.model_bytes / 1e9:g} GB = {per_seq:.2f} tokens/s "
        "per sequence (also the batch-1 figure of "
        f"~21); with the datasheet {bw / 1e12:.2f} TB/s and the true {t.gb(w)} it is "
        f"{true_seq:.1f}.")
    dep1 = deployment(s.model, s.gpu, 1, s.weights, hbm_bytes_per_s=s.hbm_bytes_per_s)
    for b in s.batches[1:]:
        ceil = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, b)
        fb = fit(dep1, context=CONTEXT_TOKENS, batch=b)
        need_tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS, b)
        add(f"s30_3_decode_batch_{b}", ceil,
            f"The formula gives {ceil:,.0f} tokens/s, but one H100 cannot hold it: "
            f"{t.gb(fb.weight_bytes)} of weights plus {t.gb(fb.kv_bytes)} of KV cache for {b} x "
            f"{CONTEXT_TOKENS:,} tokens ({kv_bytes_per_token(s.model):,.0f} B/token) need "
            f"{t.gb(fb.needed_bytes)} vs {t.gb(fb.usable_bytes)} usable; batch {b} needs "
            f"TP={need_tp}.",
            fit_result=fb)
    ai = prefill_arithmetic_intensity(s.model, s.prompt_tokens, weights=s.weights)
    ridge = h100.flops_for(s.weights) / bw
    add("s30_3_prefill_intensity", ai,
        "Prefill intensity is not a constant: with 16-bit weights it is about the prompt length, "
        f"{ai:,.0f} FLOP/byte for the chapter's {s.prompt_tokens:,}-token prompt. The conclusion "
        f"stands: it is above the H100 ridge point of {ridge:.0f} FLOP/byte, so prefill is "
        "compute-bound.")
    pre = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params)
    add("s30_3_prefill_tokens_per_s", pre,
        f"{s.peak_flops / 1e12:g} TFLOP/s / (2 x {s.n_params:.3g} FLOP/token) = {pre:,.0f} "
        "tokens/s.")
    mfu = sum(s.practical_mfu) / 2
    prac = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, mfu)
    dep2 = deployment(s.model, s.gpu, 2, s.weights)
    real = prefill_tokens_per_s(dep2, s.prompt_tokens, mfu) / 2
    lo_pre, hi_pre = (prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, u)
                      for u in s.practical_mfu)
    add("s30_3_practical_prefill_tokens_per_s", prac,
        f"{t.pct(mfu)} of {pre:,.0f} = {prac:,.0f} tokens/s "
        f"({lo_pre:,.0f}-{hi_pre:,.0f} across the range). Per GPU this survives the move to "
        f"TP={dep2.tp} that bf16 needs: costlib's roofline with attention and TP traffic gives "
        f"{real:,.0f} tokens/s per H100.")
    time_s = s.prompt_tokens / prac
    add("s30_3_prefill_time_s", time_s,
        f"{s.prompt_tokens:,} tokens / {prac:,.0f} tokens/s = {time_s:.3f} s.")


def rows_30_4(add):
    s = S30_4
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    small = smallest_deployment(s.model, s.gpu, s.weights)
    best = cheapest_deployment(s.model, s.gpu, s.weights)
    fp8 = smallest_deployment(s.model, s.gpu, "fp8")
    fp8kv = smallest_deployment(s.model, s.gpu, "fp8", "fp8")
    add("s30_4_realistic_tokens_per_s", small["tokens_per_s_per_gpu"],
        f"In bf16 the weights alone ({t.gb(f1.weight_bytes)}) exceed one H100's "
        f"{t.gb(f1.usable_bytes)}. On the smallest replica that loads them (TP={small['tp']}, room "
        f"for {small['batch']} sequences of {CONTEXT_TOKENS:,}) costlib gets "
        f"{small['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU; at the cost-optimal "
        f"TP={best['tp']} (batch {best['batch']}) {best['tokens_per_s_per_gpu']:,.0f}. FP8 on one "
        f"H100 gives {fp8['tokens_per_s_per_gpu']:,.0f} (bf16 KV, batch {fp8['batch']}) or "
        f"{fp8kv['tokens_per_s_per_gpu']:,.0f} (fp8 KV, batch {fp8kv['batch']}).",
        fit_result=f1)


def rows_30_5(add):
    s = S30_5
    mtph = million_tokens_per_hour(s.tokens_per_s)
    usd = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s)
    add("s30_5_usd_per_million", usd,
        f"{t.usd(s.usd_per_hour)} / {mtph:.2f} M = {t.usd(usd)}/M.")
    add("s30_5_usd_per_million_rounded", usd,
        f"{t.usd(usd)}/M ({usd:.4f}); {s.claimed_usd_per_million_rounded:g} is "
        f"{t.pct(relative_error(s.claimed_usd_per_million_rounded, usd))} off.")
    half = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s, s.utilization)
    add("s30_5_half_utilization", half,
        f"{t.usd(usd)} / {s.utilization} = {t.usd(half)}/M.")
    lo, hi = s.high_batch_tokens_per_s
    hb = usd_per_million_tokens(s.usd_per_hour, (lo + hi) / 2)
    add("s30_5_high_batch_usd_per_million", hb,
        f"{t.usd(s.usd_per_hour)} over {lo:,.0f}-{hi:,.0f} tokens/s is "
        f"{t.usd(usd_per_million_tokens(s.usd_per_hour, hi))}-"
        f"{t.usd(usd_per_million_tokens(s.usd_per_hour, lo))}/M, "
        f"{t.usd(hb)} at the midpoint.")
    # speed-ups from quantization: each precision on its cost-optimal H100 deployment, on the engine
    price = s.usd_per_hour
    bf = cheapest_deployment(s.model, s.gpu, "bf16", usd_per_gpu_hour=price)
    f8 = cheapest_deployment(s.model, s.gpu, "fp8", usd_per_gpu_hour=price)
    f8kv = cheapest_deployment(s.model, s.gpu, "fp8", "fp8", usd_per_gpu_hour=price)
    i4 = cheapest_deployment(s.model, s.gpu, "int4", usd_per_gpu_hour=price)
    i4kv = cheapest_deployment(s.model, s.gpu, "int4", "fp8", usd_per_gpu_hour=price)
    sm_f8 = smallest_deployment(s.model, s.gpu, "fp8", usd_per_gpu_hour=price)

    def dep_txt(d, name):
        return (f"{name} {t.usd(d['usd_per_million'])}/M ({t.usd(d['usd_low'])}-{t.usd(d['usd_high'])}; "
                f"TP={d['tp']}, batch {d['batch']})")

    r_i4, r_i4kv = ratio_band(bf, i4), ratio_band(bf, i4kv)
    add("s30_5_int4_speedup", r_i4[1],
        f"Cost-optimal H100 deployments on the engine's calibrated band: {dep_txt(bf, 'bf16')} vs "
        f"{dep_txt(i4, 'INT4 (bf16 KV)')} = {t.times_band(r_i4)}; with an fp8 KV cache too, "
        f"{dep_txt(i4kv, 'INT4')} = {t.times_band(r_i4kv)}. The ratio is the same at every point of the "
        "band, which scales both alike. Weight "
        "quantization does not shrink the KV cache, which dominates the bytes read at large batches.",
        bands={t.kv_cache("bf16"): r_i4, t.kv_cache("fp8"): r_i4kv})
    r_f8, r_f8kv = ratio_band(bf, f8), ratio_band(bf, f8kv)
    add("s30_5_fp8_speedup", r_f8[1],
        f"Cost-optimal on the engine's calibrated band: {dep_txt(bf, 'bf16')} vs "
        f"{dep_txt(f8, 'FP8 weights, bf16 KV')} = {t.times_band(r_f8)}; quantizing the KV cache to fp8 "
        f"too, {dep_txt(f8kv, 'FP8')} = {t.times_band(r_f8kv)}. On a single H100, FP8 weights leave room for only "
        f"{sm_f8['batch']} requests ({t.usd(sm_f8['usd_per_million'])}/M).",
        bands={t.kv_cache("bf16"): r_f8, t.kv_cache("fp8"): r_f8kv})
    one = engine_quote(s.model, s.gpu, 1, "fp8", usd_per_gpu_hour=price)
    two_same = engine_quote(s.model, s.gpu, 2, "fp8", usd_per_gpu_hour=price, batch=one["batch"])
    two_one = engine_quote(s.model, s.gpu, 1, "fp8", usd_per_gpu_hour=price, batch=one["batch"])
    two_max = engine_quote(s.model, s.gpu, 2, "fp8", usd_per_gpu_hour=price)
    same = ratio_band(two_same, two_one)
    ceil = (engine_quote(s.model, s.gpu, 2, "fp8", usd_per_gpu_hour=price, batch=one["batch"], profile="ceiling")
            ["usd_per_million"] / engine_quote(s.model, s.gpu, 1, "fp8", usd_per_gpu_hour=price,
                                               batch=one["batch"], profile="ceiling")["usd_per_million"])
    add("s30_5_tp2_cost_same_batch", same[1],
        f"{one['batch']} requests started together (the most one H100 holds), on the engine's calibrated "
        f"band: TP=1 {t.usd(two_one['usd_per_million'])}/M, TP=2 {t.usd(two_same['usd_per_million'])}/M "
        f"({t.times_band(same)}). Twice the GPUs do not halve a small batch's step: the per-step "
        f"overheads and the all-reduces stay. At the physics ceiling, with neither, the ratio is "
        f"{t.times(ceil)}.",
        bands={"the same batch": same})
    most = ratio_band(two_max, one)
    add("s30_5_tp2_cost_max_batch", most[1],
        "TP=2 doubles memory, and the spare "
        f"{t.gb(2 * usable_bytes(s.gpu) - weight_bytes(s.model, 'fp8'))} holds {two_max['batch']} requests "
        f"instead of {one['batch']}: {t.usd(two_max['usd_per_million'])}/M vs {t.usd(one['usd_per_million'])}/M "
        "on the engine. Cost per token is similar only if the batch is held fixed; a memory-starved TP=1 "
        "replica is the expensive one.",
        bands={"each one's largest batch": most})
    table_price = {r.gpu: r.usd_per_hour for r in S30_8.table}
    for r in s.cost_table:
        price = s.usd_per_hour if r.gpu == _H100 else table_price[r.gpu]
        dep = deployment(s.model, r.gpu, r.n_gpus, r.weights)
        f = fit(dep, context=CONTEXT_TOKENS)
        runs = {kv: engine_quote(s.model, r.gpu, r.n_gpus, r.weights, kv, price, r.utilization)
                for kv in ("bf16", "fp8")}
        runs = {kv: d for kv, d in runs.items() if d is not None}
        if f.fits and runs:
            first = next(iter(runs.values()))
            why = (f"Fits ({t.gb(f.weight_bytes)} weights, {t.gb(f.usable_bytes - f.weight_bytes)} "
                   f"left for KV). The engine at {t.usd(price)}/hour and {t.pct(r.utilization)} "
                   "utilization, calibrated band: "
                   + "; ".join(f"{kv} KV cache (batch {d['batch']}) {t.usd(d['usd_low'])}-"
                               f"{t.usd(d['usd_high'])}/M" for kv, d in runs.items())
                   + f". At the physics ceiling (bf16 KV cache): ${first['usd_ceiling']:.3f}/M"
                   + (f": the chapter's ${r.usd_per_million:.3f} is below even that."
                      if r.usd_per_million < first["usd_ceiling"]
                      else "; the chapter's figure needs an engine near that limit."
                      if r.usd_per_million < min(d["usd_low"] for d in runs.values()) else "."))
            add(f"s30_5_table_{r.key}", first["usd_per_million"], why, fit_result=f,
                bands={t.kv_cache(kv): usd_band(d) for kv, d in runs.items()})
        else:
            sm = smallest_deployment(s.model, r.gpu, r.weights, usd_per_gpu_hour=price,
                                     utilization=r.utilization)
            best = cheapest_deployment(s.model, r.gpu, r.weights, usd_per_gpu_hour=price,
                                       utilization=r.utilization)
            own = usd_per_million_tokens(price, s.tokens_per_s, r.utilization)
            why = (f"Cannot load: {t.gb(f.weight_bytes)} of weights vs {t.gb(f.usable_bytes)} "
                   f"usable. On the smallest replica that can (TP={sm['tp']}, batch {sm['batch']}) "
                   f"the engine gets {t.usd(sm['usd_low'])}-{t.usd(sm['usd_high'])}/M at this "
                   f"utilization; at the cost-optimal TP={best['tp']} (batch {best['batch']}) "
                   f"{t.usd(best['usd_low'])}-{t.usd(best['usd_high'])}/M. Even the chapter's own "
                   f"{s.tokens_per_s:,.0f} tokens/s at {t.pct(r.utilization)} gives {t.usd(own)}/M.")
            add(f"s30_5_table_{r.key}", sm["usd_per_million"], why, fit_result=f)
    for a in s.api_table:
        prices = [get_api_price(i)["usd_per_million_output"] for i in a.api_ids]
        val = prices[0]
        names = ", ".join(f"{get_api_price(i)['provider']} {t.usd(p)}"
                          for i, p in zip(a.api_ids, prices, strict=True))
        extra = ""
        if a.key == "haiku":
            h35 = get_api_price("claude-haiku-3.5")["usd_per_million_output"]
            extra = f" Claude 3.5 Haiku costs {t.usd(h35)}/M."
        if a.key == "llama70b_hosted":
            extra = (" DeepInfra charges "
                     f"{t.usd(get_api_price('deepinfra-llama-3.3-70b')['usd_per_million_output'])}/M.")
        add(f"s30_5_api_{a.key}", val,
            f"Catalog (providers' pricing pages, {get_api_price(a.api_ids[0])['as_of']}): "
            f"{names}.{extra}")
    frontier = [get_api_price(i)["usd_per_million_output"] for i in ("gpt-4o", "claude-sonnet")]
    gaps = [p / usd for p in frontier]
    best = cheapest_deployment(s.model, s.gpu, "bf16", usd_per_gpu_hour=s.usd_per_hour)
    add("s30_5_frontier_gap", max(gaps),
        f"GPT-4o {t.usd(frontier[0])}/M and Claude Sonnet {t.usd(frontier[1])}/M over the section's "
        f"realistic {t.usd(usd)}/M: {t.times(gaps[0])} and {t.times(gaps[1])}; over costlib's "
        f"cost-optimal bf16 70B ({t.usd(best['usd_per_million'])}/M, TP={best['tp']}): "
        f"{t.times(frontier[0] / best['usd_per_million'])}-"
        f"{t.times(frontier[1] / best['usd_per_million'])}. Frontier models are not the same "
        "product as a self-hosted 70B.")
    together = get_api_price("together-llama-3.3-70b")["usd_per_million_output"]
    own = [r.usd_per_million for r in s.cost_table
           if r.gpu == _H100 and r.utilization == s.high_utilization] + [usd]
    add("s30_5_same_model_gap", together / usd,
        f"Together serves the same Llama 70B weights at {t.usd(together)}/M: "
        f"{t.times(together / usd)} the section's realistic {t.usd(usd)}/M, and "
        f"{t.times(together / max(own))}-{t.times(together / min(own))} against the chapter's own "
        f"H100 figures at high utilization ({t.usd(min(own))}-{t.usd(max(own))}/M). Against the same model the gap "
        "is a few times, not 10-20x.")


BUILDERS = (("§30.1", rows_30_1), ("§30.2", rows_30_2), ("§30.3", rows_30_3), ("§30.4", rows_30_4),
            ("§30.5", rows_30_5))
