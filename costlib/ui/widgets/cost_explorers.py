"""Explorers of cost: the tour, $/M, procurement, utilization, prefill vs decode, self-host vs API (notebooks 00-05; §30.1-§30.7)."""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from costlib.catalog.deployment import deployment
from costlib.catalog.tables import (
    api_name,
    api_prices,
    get_api_price,
    get_gpu,
    get_model,
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
    decode_ceiling_tokens_per_s,
    prefill_ceiling_tokens_per_s,
)
from costlib.teaching.chapter import CONTEXT_TOKENS, S30_3, S30_5, S30_6, S30_7
from costlib.ui import plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.controls import (
    deployment_from,
    dropdown,
    precision_id,
)
from costlib.ui.widgets.explorer import Explorer
from costlib.ui.widgets.presets import CHAPTER_MODEL

# ---------------------------------------------------------------- 00 tour

def tour(model=None, gpu=None, weights=None, tp=None, usd_per_gpu_hour=None, context=CONTEXT_TOKENS):
    """60-second tour: does it fit, how many tokens/s, what a million tokens cost (§30.1, §30.3, §30.5).

    Starts at the chapter's example, 70B in bf16 on one H100, which does not fit (controls and their
    defaults: costlib/data/explorer_controls.yaml; None means the default). The batch is the
    memory-limited one of a max-throughput run on ``context``-token requests (half prompt, half output),
    on the calibrated profile (the one prediction path, :func:`~costlib.estimate.predict.predict`).
    """
    ctx = int(context)
    controls = specs.build("tour", dict(model=model, gpu=gpu, weights=weights, tp=tp,
                                        usd_per_gpu_hour=usd_per_gpu_hour))

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

def cost_explorer(usd_per_hour=None, tokens_per_s=None, utilization=None):
    """$/M = $/hour ÷ (tokens/s × utilization × 3600 / 10^6), with the chapter's worked example marked (§30.1)."""
    controls = specs.build("cost_explorer", dict(usd_per_hour=usd_per_hour, tokens_per_s=tokens_per_s,
                                                 utilization=utilization))

    def compute(v, ax):
        p, t, u = v["usd_per_hour"], v["tokens_per_s"], v["utilization"]
        c = usd_per_million_tokens(p, t, u)
        plots.cost_vs_throughput(p, (min(100, t / 2), max(5000, t * 2)), utilization=(1.0, S30_5.utilization, u),
                                 current=(t, u), ax=ax)
        return (f"${p:.2f}/hour ÷ ({t:,} tokens/s × {u:.0%} × 3,600 s ÷ 1M = "
                f"{million_tokens_per_hour(t, u):.2f}M tokens/hour) = ${c:.2f} per million tokens")

    return Explorer("Cost per million tokens (§30.1)", controls, compute)


@functools.lru_cache(maxsize=64)
def _tier_fraction(tier: str, point: str) -> float:
    """A tier's price as a fraction of on-demand (tier prices are on-demand × this), read from the catalog once (§30.2)."""
    return tier_usd_per_hour(1.0, tier, point)


def procurement_explorer(on_demand_usd_per_hour=None, tier=None, purchase_usd=None, years=None,
                         power_w=None, pue=None, usd_per_kwh=None, ops_overhead=None):
    """$/GPU-hour in each procurement tier from an on-demand price, and an owned GPU's amortized cost (§30.2).

    ``on_demand_usd_per_hour`` defaults to the catalog's mid H100 SXM on-demand price, the owned GPU to
    the chapter's $30-40k over its amortization years (costlib/data/explorer_controls.yaml).
    """
    tier_names = list(tiers()["tier"]) + ["owned"]
    controls = specs.build("procurement_explorer", dict(
        on_demand_usd_per_hour=on_demand_usd_per_hour, tier=tier, purchase_usd=purchase_usd, years=years,
        power_w=power_w, pue=pue, usd_per_kwh=usd_per_kwh, ops_overhead=ops_overhead))

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
            f"{fmt.tier_name(v['tier'])}: ${sel['usd_per_gpu_hour']:.2f} per GPU-hour{rng}",
            f"owned: capex ${oc.capex_usd_per_hour:.2f} + power ${oc.power_usd_per_hour:.2f} + operations "
            f"${oc.ops_usd_per_hour:.2f} = ${oc.usd_per_gpu_hour:.2f} per GPU-hour",
            f"(${v['purchase_usd']:,.0f} over {v['years']:g} years; {v['power_w']} W × PUE {v['pue']:.2f} at "
            f"${v['usd_per_kwh']:.2f}/kWh; operations {v['ops_overhead']:.0%} on top)",
        ])

    return Explorer("What a GPU-hour costs (§30.2)", controls, compute)


# ---------------------------------------------------------------- 03 utilization

def utilization_explorer(mbu=None, mfu=None, duty_cycle=None, usd_per_gpu_hour=None, batch=None,
                         api=None, model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                         kv="bf16", tp=2, context=CONTEXT_TOKENS):
    """MBU, MFU, duty cycle and price → $/M at full load and at the duty cycle, break-even vs an API (§30.4-§30.5).

    The deployment (model, GPU, precisions, TP, context) is set by keyword; the controls are the
    realism factors, the batch, the price and the API compared against.
    """
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": precision_id(weights),
              "kv": precision_id(kv), "tp": int(tp)}
    ctx = int(context)
    controls = specs.build("utilization_explorer", dict(mbu=mbu, mfu=mfu, duty_cycle=duty_cycle,
                                                        usd_per_gpu_hour=usd_per_gpu_hour, batch=batch, api=api))

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
            f"{dep.name}, batch {b:,}, context {ctx:,}: MBU {fmt.percent(v['mbu'], '.3g')}, "
            f"MFU {fmt.percent(v['mfu'], '.3g')} → "
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


def prefill_decode_explorer(workload=None, prompt_tokens=None, output_tokens=None, batch=None,
                            usd_per_gpu_hour=None, model=CHAPTER_MODEL, gpu="H100-SXM", weights="fp8",
                            kv="bf16", tp=2):
    """Prefill vs decode $/M for a request shape, blended cost, and the output/input price ratio vs APIs (§30.6).

    ``workload`` presets (chat, rag, reasoning) set the prompt and output lengths (and lower the
    batch to the most that fits at that length); moving either length switches to "custom".
    """
    spec = specs.specs("prefill_decode_explorer")
    names = specs.options(spec["workload"])
    workload = specs.default(spec["workload"]) if workload is None else workload
    wl = workload if workload in names else dropdown("workload", names, workload).value
    p_in, p_out = WORKLOADS.get(wl, (1000, 1000))
    preset = {"model": get_model(model).id, "gpu": get_gpu(gpu).id, "weights": precision_id(weights),
              "kv": precision_id(kv), "tp": int(tp)}
    if prompt_tokens is not None or output_tokens is not None:
        shape = (prompt_tokens or p_in, output_tokens or p_out)
        wl = next((k for k, s in WORKLOADS.items() if s == shape), "custom")
    controls = specs.build("prefill_decode_explorer", dict(
        workload=wl, prompt_tokens=prompt_tokens or p_in, output_tokens=output_tokens or p_out, batch=batch,
        usd_per_gpu_hour=usd_per_gpu_hour))

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
        # a fixed name: the workload is in the text, and a label that changes redraws the whole frame
        rows = [{"label": "ours (self-hosted)", "usd_per_million_input": wc.usd_per_million_input,
                 "usd_per_million_output": wc.usd_per_million_output, "kind": "self-hosted"},
                {"label": "chapter §30.6 math", "usd_per_million_input": ch_in,
                 "usd_per_million_output": ch_out, "kind": "chapter"}]
        rows += [{"label": api_name(r.id), "usd_per_million_input": r.usd_per_million_input,
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

def self_host_explorer(tokens_per_month=None, api=None, input_share=None, usd_per_gpu_hour=None, peak_factor=None,
                       headroom=None, context=CONTEXT_TOKENS,
                       prompt_tokens=S30_3.prompt_tokens, **dep):
    """Monthly bill: self-hosting in whole replicas vs an API's input/output prices, and the crossover (§30.7).

    Each replica decodes ``context``-token requests at the memory-limited batch and prefills
    ``prompt_tokens``-token prompts (calibrated profile); its tokens/s is the blend of the two for ``input_share``.
    Deployment keywords: model, gpu, weights, kv, tp.
    """
    ctx, n_pre = int(context), int(prompt_tokens)
    controls = specs.build("self_host_explorer", dict(
        tokens_per_month=tokens_per_month, api=api, input_share=input_share, usd_per_gpu_hour=usd_per_gpu_hour,
        peak_factor=peak_factor, headroom=headroom, **dep))

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
