"""Explorers of cost: the tour, $/M, procurement, utilization, prefill vs decode, self-host vs API (notebooks 00-05; §30.1-§30.7)."""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    PRECISIONS,
    api_prices,
    get_api_price,
    get_gpu,
    get_model,
    gpu_usd_per_hour,
    tiers,
)
from costlib.common import fmt
from costlib.economics.cost import (
    WORKLOADS,
    NotFeasible,
    cost_at_utilization,
    decode_tokens_per_s_band,
    million_tokens_per_hour,
    owned_cost,
    prefill_tokens_per_s_band,
    request_shape,
    tier_usd_per_hour,
    usd_per_million_tokens,
    workload_cost,
)
from costlib.economics.crossover import (
    HOURS_PER_MONTH,
    api_monthly_usd,
    replicas_needed,
    self_host_monthly_usd,
    step_crossover_tokens_per_month,
)
from costlib.economics.frontier import memory_limited_batch
from costlib.estimate.predict import predict
from costlib.physics.memory import fit
from costlib.physics.step import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    decode_ceiling_tokens_per_s,
    prefill_ceiling_tokens_per_s,
)
from costlib.teaching.chapter import CONTEXT_TOKENS, S30_2, S30_3, S30_5, S30_6, S30_7
from costlib.ui import plots
from costlib.ui.widgets.controls import (
    TP_OPTIONS,
    api_options,
    deployment_controls,
    deployment_from,
    dropdown,
    float_slider,
    gpu_options,
    int_slider,
    log_slider,
    model_options,
    precision_name,
    tier_label,
    tier_options,
)
from costlib.ui.widgets.explorer import Explorer
from costlib.ui.widgets.presets import CHAPTER_MODEL, DEFAULT_DEPLOYMENT, USD_PER_GPU_HOUR

# ---------------------------------------------------------------- 00 tour

def tour(model=CHAPTER_MODEL, gpu=S30_3.gpu, weights=S30_3.weights, tp=S30_3.n_gpus,
         usd_per_gpu_hour=USD_PER_GPU_HOUR, context=CONTEXT_TOKENS):
    """60-second tour: does it fit, how many tokens/s, what a million tokens cost (§30.1, §30.3, §30.5).

    Starts at the chapter's example, 70B in bf16 on one H100, which does not fit. The batch is the
    memory-limited one of a max-throughput run on ``context``-token requests (half prompt, half output),
    on the calibrated profile (the one prediction path, :func:`~costlib.estimate.predict.predict`).
    """
    ctx = int(context)
    controls = {
        "model": dropdown("model", model_options(), get_model(model).id),
        "gpu": dropdown("GPU", gpu_options(), get_gpu(gpu).id),
        "weights": dropdown("precision", list(PRECISIONS), precision_name(weights)),
        "tp": dropdown("GPUs (TP)", TP_OPTIONS, int(tp)),
        "usd_per_gpu_hour": float_slider("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
    }

    def compute(v, ax):
        dep = deployment(v["model"], v["gpu"], v["tp"], v["weights"])
        f = fit(dep, context=ctx)
        if not f.fits:
            plots.memory_use(dep, ctx, 1, ax=ax)
            return f.message
        e = predict(dep, *request_shape(dep, ctx))
        if not e.fits:
            raise NotFeasible(e)
        b, tps = e.batch, e.output_tokens_per_s.mid
        plots.memory_use(dep, ctx, min(b, f.max_batch), ax=ax)
        hourly = v["usd_per_gpu_hour"] * dep.tp
        usd = usd_per_million_tokens(hourly, tps)
        return "\n".join([
            f.message,
            f"{b:,} sequences in flight (what the KV cache holds), calibrated profile: "
            f"{fmt.significant(tps)} output tokens/s",
            f"${hourly:.2f}/hour ÷ {million_tokens_per_hour(tps):.3g}M tokens/hour = "
            f"${usd:.2f} per million output tokens",
        ])

    return Explorer("Tour: does it fit, how fast, what it costs", controls, compute)


# ---------------------------------------------------------------- 01 cost model and procurement

def cost_explorer(usd_per_hour=S30_5.usd_per_hour, tokens_per_s=int(S30_5.tokens_per_s), utilization=1.0):
    """$/M = $/hour ÷ (tokens/s × utilization × 3600 / 10^6), with the chapter's worked example marked (§30.1)."""
    controls = {
        "usd_per_hour": float_slider("$ per hour", usd_per_hour, 0.1, 20.0, 0.05),
        "tokens_per_s": int_slider("tokens/s", tokens_per_s, 10, 20_000, 10),
        "utilization": float_slider("utilization", utilization, 0.05, 1.0, 0.01),
    }

    def compute(v, ax):
        p, t, u = v["usd_per_hour"], v["tokens_per_s"], v["utilization"]
        c = usd_per_million_tokens(p, t, u)
        plots.cost_vs_throughput(p, (min(100, t / 2), max(5000, t * 2)), utilization=(1.0, S30_5.utilization, u),
                                 current=(t, u), ax=ax)
        return (f"${p:.2f}/hour ÷ ({t:,} tokens/s × {u:.0%} × 3,600 s ÷ 1M = "
                f"{million_tokens_per_hour(t, u):.2f}M tokens/hour) = ${c:.2f} per million tokens")

    return Explorer("Cost per million tokens (§30.1)", controls, compute)


_H100_PURCHASE_USD = sum(S30_2.h100_purchase_usd) / 2  # middle of the chapter's $30-40k (§30.2)


@functools.lru_cache(maxsize=64)
def _tier_fraction(tier: str, point: str) -> float:
    """A tier's price as a fraction of on-demand (tier prices are on-demand × this), read from the catalog once (§30.2)."""
    return tier_usd_per_hour(1.0, tier, point)


def procurement_explorer(on_demand_usd_per_hour=None, tier="reserved", purchase_usd=_H100_PURCHASE_USD,
                         years=float(S30_2.amortization_years),
                         power_w=700, pue=1.3, usd_per_kwh=0.10, ops_overhead=0.15):
    """$/GPU-hour in each procurement tier from an on-demand price, and an owned GPU's amortized cost (§30.2).

    ``on_demand_usd_per_hour`` defaults to the catalog's mid H100 SXM on-demand price.
    """
    od = gpu_usd_per_hour("H100-SXM", "on_demand") if on_demand_usd_per_hour is None else on_demand_usd_per_hour
    tier_names = list(tiers()["tier"]) + ["owned"]
    controls = {
        "on_demand_usd_per_hour": float_slider("on-demand $/GPU-hour", od, 0.5, 15.0, 0.05),
        "tier": dropdown("tier", tier_options(tier_names), tier),
        "purchase_usd": float_slider("owned: purchase $", purchase_usd, 5_000, 60_000, 500, ",.0f"),
        "years": float_slider("owned: years", years, 1.0, 6.0, 0.5, ".1f"),
        "power_w": int_slider("owned: power (W)", power_w, 100, 1500, 10),
        "pue": float_slider("owned: PUE", pue, 1.0, 2.5, 0.05),
        "usd_per_kwh": float_slider("owned: $ per kWh", usd_per_kwh, 0.0, 0.5, 0.01),
        "ops_overhead": float_slider("owned: operations", ops_overhead, 0.0, 1.0, 0.05),
    }

    def compute(v, ax):
        base = v["on_demand_usd_per_hour"]
        rows = [{"tier": t, **{k: base * _tier_fraction(t, pt) for k, pt in
                               (("usd_per_gpu_hour", "mid"), ("low", "low"), ("high", "high"))}}
                for t in tier_names[:-1]]
        oc = owned_cost(v["purchase_usd"], v["years"], v["power_w"], v["pue"], v["usd_per_kwh"], v["ops_overhead"])
        rows.append({"tier": "owned", "usd_per_gpu_hour": oc.usd_per_gpu_hour, "low": np.nan, "high": np.nan})
        df = pd.DataFrame(rows)
        plots.procurement_bars(df, highlight=v["tier"], ax=ax)
        sel = df.set_index("tier").loc[v["tier"]]
        rng = f" (range ${sel['low']:.2f}-${sel['high']:.2f})" if sel["high"] > sel["low"] else ""
        return "\n".join([
            f"{tier_label(v['tier'])}: ${sel['usd_per_gpu_hour']:.2f} per GPU-hour{rng}",
            f"owned: capex ${oc.capex_usd_per_hour:.2f} + power ${oc.power_usd_per_hour:.2f} + operations "
            f"${oc.ops_usd_per_hour:.2f} = ${oc.usd_per_gpu_hour:.2f} per GPU-hour",
            f"(${v['purchase_usd']:,.0f} over {v['years']:g} years; {v['power_w']} W × PUE {v['pue']:.2f} at "
            f"${v['usd_per_kwh']:.2f}/kWh; operations {v['ops_overhead']:.0%} on top)",
        ])

    return Explorer("What a GPU-hour costs (§30.2)", controls, compute)


# ---------------------------------------------------------------- 03 utilization

def utilization_explorer(mbu=DEFAULT_MBU, mfu=DEFAULT_MFU, duty_cycle=0.5, usd_per_gpu_hour=USD_PER_GPU_HOUR, batch=64,
                         api="together-llama-3.3-70b", model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                         kv="bf16", tp=2, context=CONTEXT_TOKENS):
    """MBU, MFU, duty cycle and price → $/M at full load and at the duty cycle, break-even vs an API (§30.4-§30.5).

    The deployment (model, GPU, precisions, TP, context) is set by keyword; the controls are the
    realism factors, the batch, the price and the API compared against.
    """
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": precision_name(weights),
              "kv": precision_name(kv), "tp": int(tp)}
    ctx = int(context)
    controls = {"mbu": float_slider("MBU", mbu, 0.05, 1.0, 0.01),
                "mfu": float_slider("MFU", mfu, 0.05, 1.0, 0.01),
                "duty_cycle": float_slider("duty cycle", duty_cycle, 0.05, 1.0, 0.01),
                "usd_per_gpu_hour": float_slider("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
                "batch": int_slider("batch (sequences)", batch, 1, 512),
                "api": dropdown("compare with API", api_options(), get_api_price(api)["id"])}

    def compute(v, ax):
        dep, b = deployment_from({}, preset), v["batch"]
        f = fit(dep, context=ctx, batch=b)
        if not f.fits:
            raise NotFeasible(f)
        tps = decode_tokens_per_s_band(dep, b, ctx, mbu=v["mbu"], mfu=v["mfu"]).mid
        roof = decode_tokens_per_s_band(dep, b, ctx, profile="ceiling").mid
        hourly = v["usd_per_gpu_hour"] * dep.tp
        full = usd_per_million_tokens(hourly, tps)
        at_duty = cost_at_utilization(full, v["duty_cycle"])
        a = get_api_price(v["api"])
        plots.cost_vs_utilization(full, v["duty_cycle"], apis=[a["id"]], label=f"batch {b}", ax=ax)
        be = full / a["usd_per_million_output"]
        be_txt = (f"break-even with {a['provider']} {a['model']} (${a['usd_per_million_output']:.2f}/M output) "
                  f"at a {be:.0%} duty cycle" if be <= 1 else
                  f"{a['provider']} {a['model']} (${a['usd_per_million_output']:.2f}/M output) is cheaper even "
                  f"at a 100% duty cycle")
        return "\n".join([
            f"{dep.name}, batch {b:,}, context {ctx:,}: MBU {v['mbu']:.0%}, MFU {v['mfu']:.0%} → "
            f"{tps:,.0f} tokens/s at full load ({tps / roof:.0%} of the 100% roofline)",
            f"${hourly:.2f}/hour → ${full:.2f}/M at full load; at a {v['duty_cycle']:.0%} duty cycle "
            f"${at_duty:.2f}/M",
            be_txt,
        ])

    return Explorer("Utilization: what idle time costs (§30.4-§30.5)", controls, compute)


# ---------------------------------------------------------------- 04 prefill vs decode

def _chapter_30_6_prices() -> tuple[float, float]:
    """The chapter's own §30.6 math ($/M input, $/M output): $2/h; 989 TFLOP/s at 40% MFU over 2 x 70e9 FLOP/token;
    3 TB/s at 70% MBU ÷ 140 GB x batch 128."""
    s = S30_6
    pre = usd_per_million_tokens(s.usd_per_hour, prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, s.mfu))
    dec = usd_per_million_tokens(s.usd_per_hour,
                                 decode_ceiling_tokens_per_s(s.hbm_bytes_per_s * s.mbu, s.model_bytes, s.batch))
    return pre, dec


def prefill_decode_explorer(workload="chat", prompt_tokens=None, output_tokens=None, batch=64,
                            usd_per_gpu_hour=USD_PER_GPU_HOUR, model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                            kv="bf16", tp=2):
    """Prefill vs decode $/M for a request shape, blended cost, and the output/input price ratio vs APIs (§30.6).

    ``workload`` presets (chat, rag, reasoning) set the prompt and output lengths (and lower the
    batch to the most that fits at that length); moving either length switches to "custom".
    """
    names = list(WORKLOADS) + ["custom"]
    wl = workload if workload in names else dropdown("workload", names, workload).value
    p_in, p_out = WORKLOADS.get(wl, (1000, 1000))
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": precision_name(weights),
              "kv": precision_name(kv), "tp": int(tp)}
    if prompt_tokens is not None or output_tokens is not None:
        shape = (prompt_tokens or p_in, output_tokens or p_out)
        wl = next((k for k, s in WORKLOADS.items() if s == shape), "custom")
    controls = {"workload": dropdown("workload", names, wl),
                "prompt_tokens": int_slider("prompt (tokens)", prompt_tokens or p_in, 1, 16_000, 1),
                "output_tokens": int_slider("output (tokens)", output_tokens or p_out, 1, 16_000, 1),
                "batch": int_slider("decode batch", batch, 1, 512),
                "usd_per_gpu_hour": float_slider("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05)}

    def link(ex, name, new):
        c = ex.controls
        if name == "workload" and new in WORKLOADS:
            c["prompt_tokens"].value, c["output_tokens"].value = WORKLOADS[new]
            # a preset should not open on "does not fit": lower the batch to what fits, if needed
            most = fit(deployment_from({}, preset), context=sum(WORKLOADS[new])).max_batch
            if 1 <= most < c["batch"].value:
                c["batch"].value = most
        elif name in ("prompt_tokens", "output_tokens"):
            shape = (c["prompt_tokens"].value, c["output_tokens"].value)
            c["workload"].value = next((k for k, s in WORKLOADS.items() if s == shape), "custom")

    def compute(v, ax):
        dep = deployment_from({}, preset)
        wc = workload_cost(dep, v["usd_per_gpu_hour"], v["prompt_tokens"], v["output_tokens"], v["batch"])
        ch_in, ch_out = _chapter_30_6_prices()
        apis = api_prices()
        rows = [{"label": f"ours: {v['workload']}", "usd_per_million_input": wc.usd_per_million_input,
                 "usd_per_million_output": wc.usd_per_million_output, "kind": "self-hosted"},
                {"label": "chapter §30.6 math", "usd_per_million_input": ch_in,
                 "usd_per_million_output": ch_out, "kind": "chapter"}]
        rows += [{"label": r.id, "usd_per_million_input": r.usd_per_million_input,
                  "usd_per_million_output": r.usd_per_million_output, "kind": "api"} for r in apis.itertuples()]
        plots.price_ratio_bars(pd.DataFrame(rows), ax=ax)
        ratio = wc.usd_per_million_output / wc.usd_per_million_input
        api_r = apis["usd_per_million_output"] / apis["usd_per_million_input"]
        return "\n".join([
            f"{v['prompt_tokens']:,} prompt + {v['output_tokens']:,} output tokens per request, decode batch "
            f"{v['batch']:,} on {dep.name}",
            f"prefill ${wc.usd_per_million_input:.3f}/M input tokens; decode ${wc.usd_per_million_output:.3f}/M "
            f"output tokens; blended ${wc.usd_per_million_blended:.3f}/M; "
            f"${wc.usd_per_request * 1000:.3f} per 1,000 requests",
            f"prefill takes {wc.prefill_share:.0%} of the GPU time; output/input cost ratio {ratio:.1f}× "
            f"(chapter's §30.6 math {ch_out / ch_in:.2f}×; API list prices {api_r.min():.1f}-{api_r.max():.1f}×)",
        ])

    return Explorer("Prefill vs decode cost (§30.6)", controls, compute, link=link)


# ---------------------------------------------------------------- 05 self-host vs API

def self_host_explorer(tokens_per_month=1e9, api="together-llama-3.3-70b", input_share=0.5,
                       usd_per_gpu_hour=USD_PER_GPU_HOUR, peak_factor=1.0, headroom=0.0, context=CONTEXT_TOKENS,
                       prompt_tokens=S30_3.prompt_tokens, **dep):
    """Monthly bill: self-hosting in whole replicas vs an API's input/output prices, and the crossover (§30.7).

    Each replica decodes ``context``-token requests at the memory-limited batch and prefills
    ``prompt_tokens``-token prompts (calibrated profile); its tokens/s is the blend of the two for ``input_share``.
    Deployment keywords: model, gpu, weights, kv, tp.
    """
    ctx, n_pre = int(context), int(prompt_tokens)
    controls = {"tokens_per_month": log_slider("tokens/month", tokens_per_month, 6, 11),
                "api": dropdown("API", api_options(), get_api_price(api)["id"]),
                "input_share": float_slider("input share", input_share, 0.0, 1.0, 0.05),
                **deployment_controls(**{**DEFAULT_DEPLOYMENT, **dep}),
                "usd_per_gpu_hour": float_slider("$ per GPU-hour", usd_per_gpu_hour, 0.25, 15.0, 0.05),
                "peak_factor": float_slider("peak ÷ average", peak_factor, 1.0, 10.0, 0.1, ".1f"),
                "headroom": float_slider("headroom", headroom, 0.0, 1.0, 0.05)}

    def compute(v, ax):
        d = deployment_from(v)
        i, o = request_shape(d, ctx)
        b = memory_limited_batch(d, i, o)
        if b < 1:
            raise NotFeasible(predict(d, i, o))
        dec = decode_tokens_per_s_band(d, b, ctx).mid
        pre = prefill_tokens_per_s_band(d, n_pre).mid
        s, t, p = v["input_share"], v["tokens_per_month"], v["usd_per_gpu_hour"]
        eff = 1.0 / (s / pre + (1 - s) / dec)  # tokens/s of a replica serving this input/output mix
        a = get_api_price(v["api"])
        blended = s * a["usd_per_million_input"] + (1 - s) * a["usd_per_million_output"]
        api_bill = api_monthly_usd(t, a["usd_per_million_input"], a["usd_per_million_output"], s)
        n = replicas_needed(t, eff, v["peak_factor"], v["headroom"])
        own = self_host_monthly_usd(t, eff, p, d.tp, v["peak_factor"], v["headroom"])
        xc = step_crossover_tokens_per_month(blended, eff, p, d.tp, v["peak_factor"], v["headroom"])
        lo, hi = min(1e7, 10 ** math.floor(math.log10(t / 3))), max(1e10, 10 ** math.ceil(math.log10(t * 3)))
        plots.monthly_cost((lo, hi), eff, p, d.tp, apis=[a["id"]], input_share=s,
                           peak_factor=v["peak_factor"], headroom=v["headroom"], current=t, ax=ax)
        cheaper = "the API" if api_bill < own else "self-hosting"
        z_lo, z_hi = S30_7.claimed_crossover_tokens_per_month
        cross = (f"crossover ≈ {fmt.count(xc)} tokens/month (chapter §30.7 claims {fmt.count(z_lo)}-{fmt.count(z_hi)})"
                 if math.isfinite(xc)
                 else "no crossover: a full replica's tokens cost less at the API than the replica itself")
        cap = eff * HOURS_PER_MONTH * 3600 / (v["peak_factor"] * (1 + v["headroom"]))
        return "\n".join([
            f"{fmt.short_count(t)} tokens/month ({s:.0%} input): API {a['provider']} {a['model']} ${api_bill:,.0f}/month",
            f"self-host {d.name}: {n:,} replica{'s' if n > 1 else ''} × {d.tp} GPU{'s' if d.tp > 1 else ''} × "
            f"${p:.2f}/h × {HOURS_PER_MONTH} h = ${own:,.0f}/month → {cheaper} is cheaper by "
            f"${abs(api_bill - own):,.0f}/month",
            cross,
            f"one replica: {fmt.significant(eff)} tokens/s for this mix (decode {fmt.significant(dec)} at batch {b}, "
            f"prefill {fmt.significant(pre)}) "
            f"= {fmt.short_count(cap)} tokens/month at peak ÷ average {v['peak_factor']:g}, headroom {v['headroom']:.0%}",
        ])

    return Explorer("Self-host or API? (§30.7)", controls, compute)
