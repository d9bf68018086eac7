"""Explorers of serving: throughput, roofline, hardware, latency and capacity (notebooks 02, 06-08; §30.3, §30.8-§30.10)."""
from __future__ import annotations

import functools
import html
import math

import numpy as np

from costlib.catalog.tables import (
    gpu_ids,
    gpu_usd_per_hour,
)
from costlib.common import fmt
from costlib.economics.capacity import capacity_plan
from costlib.economics.cost import (
    NotFeasible,
    decode_tokens_per_s_band,
    prefill_tokens_per_s_band,
    request_shape,
)
from costlib.economics.frontier import (
    default_batches,
    largest_batch_under_tpot,
    memory_limited_batch,
    sweep_batch,
)
from costlib.economics.hardware import compare_hardware
from costlib.estimate.predict import predict
from costlib.physics.memory import fit
from costlib.physics.step import (
    arithmetic_intensity,
    decode_ceiling_tokens_per_s,
    decode_step,
    prefill_arithmetic_intensity,
    ridge_batch,
)
from costlib.teaching.chapter import S30_10
from costlib.ui import plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.controls import deployment_from
from costlib.ui.widgets.explorer import Explorer, message_html
from costlib.ui.widgets.presets import CHAPTER_MODEL

# ---------------------------------------------------------------- 02 throughput and roofline

def throughput_explorer(model=None, gpu=None, weights=None, kv=None, tp=None, batch=None, context=None, mbu=None,
                        mfu=None):
    """Decode step time (memory, compute, TP traffic), tokens/s, bound and memory wall vs batch (§30.3, §30.4).

    Starts at the chapter's 70B bf16 on H100s, on the 2 GPUs it needs to fit at all.
    """
    controls = specs.build("throughput_explorer", dict(model=model, gpu=gpu, weights=weights, kv=kv, tp=tp,
                                                       batch=batch, context=context, mbu=mbu, mfu=mfu))

    def compute(v, ax):
        dep, b, c = deployment_from(v), v["batch"], v["context"]
        f = fit(dep, context=c, batch=b)
        if f.max_batch < 1:
            raise NotFeasible(f)
        plots.decode_vs_batch(dep, c, batch=b, mbu=v["mbu"], mfu=v["mfu"], ax=ax)
        wall = f"memory wall: {f.max_batch:,} sequences of {c:,} tokens fit ({f.kv_capacity_tokens:,} KV tokens)"
        if not f.fits:
            return f"{f.message}\n{wall}"
        s = decode_step(dep, b, c, v["mbu"], v["mfu"])
        ch = decode_ceiling_tokens_per_s(dep.tp * dep.gpu.hbm_bytes_per_s, f.weight_bytes, b)
        return "\n".join([
            f"step {s.step_time_s * 1e3:.2f} ms = max(memory {s.memory_s * 1e3:.2f} ms, compute "
            f"{s.compute_s * 1e3:.2f} ms) + TP all-reduce {s.comm_s * 1e3:.2f} ms → {s.bound}-bound",
            f"{s.tokens_per_s:,.0f} tokens/s for the replica ({s.tokens_per_s / dep.tp:,.0f} per GPU); "
            f"each sequence gets a token every {s.step_time_s * 1e3:.1f} ms",
            wall,
            f"chapter's formula (§30.3): {dep.tp} × {dep.gpu.hbm_tb_per_s:.2f} TB/s ÷ {f.weight_bytes / 1e9:.1f} GB "
            f"× {b:,} = {ch:,.0f} tokens/s (weights only, 100% of bandwidth)",
        ])

    return Explorer("Decode throughput vs batch (§30.3-§30.4)", controls, compute)


def roofline_explorer(model=None, gpu=None, weights=None, kv=None, tp=None, batch=None, context=None,
                      prompt_tokens=None):
    """Where decode and prefill sit on the GPU's roofline, and the batch where decode turns compute-bound (§30.3)."""
    controls = specs.build("roofline_explorer", dict(model=model, gpu=gpu, weights=weights, kv=kv, tp=tp, batch=batch,
                                                     context=context, prompt_tokens=prompt_tokens))

    def compute(v, ax):
        dep, b, c, n = deployment_from(v), v["batch"], v["context"], v["prompt_tokens"]
        plots.roofline(dep, c, batch=b, prompt_tokens=n, ax=ax)
        peak, bw = dep.tp * dep.gpu.flops_for(dep.weights), dep.tp * dep.gpu.hbm_bytes_per_s
        ridge = peak / bw
        ai = float(arithmetic_intensity(dep, b, c))
        mb = fit(dep, context=c).max_batch
        rb = ridge_batch(dep, c, 1.0, 1.0)
        fits = "" if b <= mb else f" (but only {mb:,} sequences of {c:,} tokens fit: not plotted)"
        if math.isinf(rb):
            turn = "decode never turns compute-bound at this context: its KV reads grow as fast as its FLOPs"
        else:
            turn = f"decode turns compute-bound at batch ≈ {rb:,.0f}" + (
                f", but only {mb:,} sequences fit in memory" if rb > mb else "")
        ai_p = prefill_arithmetic_intensity(dep, n)
        return "\n".join([
            f"ridge point: {peak / 1e12:,.0f} TFLOP/s ÷ {bw / 1e12:.2f} TB/s = {ridge:,.0f} FLOP/byte",
            f"decode at batch {b:,}: {ai:,.1f} FLOP/byte → {'memory' if ai < ridge else 'compute'}-bound{fits}",
            turn,
            f"prefill of a {n:,}-token prompt: {ai_p:,.0f} FLOP/byte → "
            f"{'compute' if ai_p >= ridge else 'memory'}-bound",
        ])

    return Explorer("Roofline (§30.3)", controls, compute)


# ---------------------------------------------------------------- 06 hardware

@functools.lru_cache(maxsize=16)
def _tier_prices(tier: str) -> tuple:
    """((gpu id, $/GPU-hour), ...) for every catalog GPU priced in ``tier``; looked up once per tier (§30.8)."""
    out = []
    for gid in gpu_ids():
        try:
            out.append((gid, gpu_usd_per_hour(gid, tier)))
        except ValueError:  # no price in this tier: compare_hardware says so in its row
            pass
    return tuple(out)


def _table_html(columns, rows) -> str:
    """A small table (column names, rows of values) as HTML: floats to 2 decimals, missing as —; cheaper than
    DataFrame.to_html."""
    def cell(x):
        if x is None or (isinstance(x, float) and x != x):
            return "—"
        if isinstance(x, float):
            return f"{x:,.2f}"
        return html.escape(f"{x:,}" if isinstance(x, int) else str(x))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(x)}</td>" for x in row) + "</tr>" for row in rows)
    return f'<table class="dataframe"><thead><tr style="text-align: right;">{head}</tr></thead><tbody>{body}</tbody></table>'


def hardware_explorer(model=None, weights=None, kv=None, context=None, tier=None):
    """Every catalog GPU at its cheapest TP (calibrated profile): tokens/s per GPU and $/M, with the §30.8 table marked (§30.8)."""
    controls = specs.build("hardware_explorer", dict(model=model, weights=weights, kv=kv, context=context, tier=tier))

    def compute(v, ax):
        df = compare_hardware(v["model"], v["weights"], v["kv"], context=v["context"], tier=v["tier"],
                              usd_per_gpu_hour=dict(_tier_prices(v["tier"])) or None)
        plots.hardware_bars(df, mark=v["model"] == CHAPTER_MODEL, ax=ax)
        rows = df.to_dict("records")  # plain dicts: a redraw reads them several times
        lines = []
        for r in rows:
            if not r["feasible"]:
                lines.append(f"{fmt.gpu_name(r['gpu'])}: does not fit ({r['note']})")
            elif r["usd_per_million"] != r["usd_per_million"]:
                lines.append(f"{fmt.gpu_name(r['gpu'])}: TP={int(r['tp'])}, batch {r['batch']:,}, "
                             f"{fmt.significant(r['tokens_per_s_per_gpu'])} tokens/s per GPU; "
                             f"no {fmt.tier_name(v['tier']).lower()} price")
            else:
                lines.append(f"{fmt.gpu_name(r['gpu'])}: TP={int(r['tp'])}, batch {r['batch']:,}, "
                             f"{fmt.significant(r['tokens_per_s_per_gpu'])} tokens/s per GPU, "
                             f"${r['usd_per_million']:.2f}/M at "
                             f"${r['usd_per_gpu_hour']:.2f}/GPU-hour")
        priced = [r for r in rows if r["feasible"] and r["usd_per_million"] == r["usd_per_million"]]
        if priced:
            best = min(priced, key=lambda r: r["usd_per_million"])  # the first of equals, as idxmin
            head = (f"cheapest per token: {fmt.gpu_name(best['gpu'])} at ${best['usd_per_million']:.2f}/M "
                    f"(TP={int(best['tp'])}, batch {int(best['batch']):,}, {fmt.tier_name(v['tier']).lower()} prices)")
        else:
            head = "no GPU in the catalog both fits this model and has a price in this tier"
        cols = ["gpu", "hbm_gb", "usd_per_gpu_hour", "min_tp", "tp", "batch", "tokens_per_s_per_gpu",
                "usd_per_million", "note"]
        table = _table_html(cols, [[r[c] for c in cols] for r in rows])
        return "\n".join([head] + lines), message_html(head, True) + table

    return Explorer("Comparing GPUs (§30.8)", controls, compute)


# ---------------------------------------------------------------- 07 latency

def latency_explorer(tpot_target_ms=None, context=None, usd_per_gpu_hour=None, **dep):
    """Cost vs time per output token over batch sizes, and the largest batch under a TPOT target (§30.9).

    The default target is the 200 ms of the chapter's practice problem 4. Deployment keywords:
    model, gpu, weights, kv, tp.
    """
    controls = specs.build("latency_explorer", dict(tpot_target_ms=tpot_target_ms, context=context,
                                                    usd_per_gpu_hour=usd_per_gpu_hour, **dep))

    def compute(v, ax):
        d, c, p = deployment_from(v), v["context"], v["usd_per_gpu_hour"]
        tgt = v["tpot_target_ms"] / 1e3
        i, o = request_shape(d, c)
        wall = memory_limited_batch(d, i, o)
        if wall < 1:
            raise NotFeasible(predict(d, i, o))
        best = largest_batch_under_tpot(d, tgt, c)
        batches = np.union1d(default_batches(wall), [best] if best else [])
        sweep = sweep_batch(d, p, c, batches)
        plots.latency_frontier(sweep, tgt, ax=ax)
        if best == 0:
            t1 = predict(d, i, o, batch=1).tpot_s.mid
            return (f"no batch meets TPOT ≤ {tgt * 1e3:g} ms on {d.name}: even batch 1 takes "
                    f"{t1 * 1e3:.1f} ms per token")
        r = sweep_batch(d, p, c, [best]).iloc[0]
        limit = (f"memory: the KV cache holds {best:,} requests of {i:,}+{o:,} tokens"
                 if not predict(d, i, o, batch=best + 1).fits else "latency: one more sequence breaks the target")
        return "\n".join([
            f"largest batch with TPOT ≤ {tgt * 1e3:g} ms: {best:,} (limited by {limit})",
            f"at batch {best:,}: TPOT {r['tpot_s'] * 1e3:.1f} ms ({1 / r['tpot_s']:.0f} tokens/s per user), "
            f"{r['tokens_per_s']:,.0f} tokens/s per replica, ${r['usd_per_million']:.2f}/M at ${p:.2f}/GPU-hour "
            f"(band ${r['usd_per_million_low']:.2f}-{r['usd_per_million_high']:.2f})",
            f"{d.name}, {i:,} prompt + {o:,} output tokens, started together; calibrated profile",
        ])

    return Explorer("Latency vs cost (§30.9)", controls, compute)


# ---------------------------------------------------------------- 08 capacity planning

_GIVEN, _DERIVE = "given", "derive from deployment"
_CHAPTER_30_10 = {k: S30_10[k] for k in ("users", "sessions_per_day", "tokens_per_session")}


def capacity_explorer(users=None, sessions_per_day=None, tokens_per_session=None, throughput=None,
                      tokens_per_s_per_gpu=None, peak_factor=None, headroom=None, usd_per_gpu_hour=None,
                      gpus_per_replica=None, prompt_tokens_per_session=None, prefill_tokens_per_s_per_gpu=None,
                      batch=None, context=None, **dep):
    """The §30.10 rubric, step by step: users → tokens → peak tokens/s → GPUs → $/month and $/M (§30.10).

    Per-GPU throughput is either given (the chapter's 1000 tokens/s) or derived from a deployment
    (deployment keywords: model, gpu, weights, kv, tp) at ``batch`` and ``context``.
    """
    controls = specs.build("capacity_explorer", dict(
        users=users, sessions_per_day=sessions_per_day, tokens_per_session=tokens_per_session,
        throughput=throughput, tokens_per_s_per_gpu=tokens_per_s_per_gpu, peak_factor=peak_factor,
        headroom=headroom, usd_per_gpu_hour=usd_per_gpu_hour, gpus_per_replica=gpus_per_replica,
        prompt_tokens_per_session=prompt_tokens_per_session,
        prefill_tokens_per_s_per_gpu=prefill_tokens_per_s_per_gpu, batch=batch, context=context, **dep))
    dep_controls = [*specs.DEPLOYMENT, "batch", "context"]  # shown when throughput is derived from a deployment
    given_controls = ["tokens_per_s_per_gpu", "gpus_per_replica", "prefill_tokens_per_s_per_gpu"]

    def show(ex):
        derive = ex.controls["throughput"].value == _DERIVE
        for k in dep_controls:
            ex.controls[k].layout.display = None if derive else "none"
        for k in given_controls:
            ex.controls[k].layout.display = "none" if derive else None

    def link(ex, name, new):
        if name == "throughput":
            show(ex)

    def compute(v, ax):
        pt = v["prompt_tokens_per_session"]
        if v["throughput"] == _DERIVE:
            d = deployment_from(v)
            tps = decode_tokens_per_s_band(d, v["batch"], v["context"]).mid / d.tp
            pre = prefill_tokens_per_s_band(d, max(1, pt)).mid / d.tp
            g, src = d.tp, (f"{d.name} at batch {v['batch']:,}, context {v['context']:,}: "
                            f"{fmt.significant(tps)} tokens/s per GPU")
        else:
            tps, pre, g = v["tokens_per_s_per_gpu"], v["prefill_tokens_per_s_per_gpu"], v["gpus_per_replica"]
            src = f"given: {tps:,} tokens/s per GPU"
        plan = capacity_plan(v["users"], v["sessions_per_day"], v["tokens_per_session"], tps, v["peak_factor"],
                             v["headroom"], v["usd_per_gpu_hour"], g, pt, pre if pt > 0 else None)
        chapter = all(math.isclose(v[k], x) for k, x in _CHAPTER_30_10.items())
        plots.capacity_waterfall(plan, v["headroom"], ax=ax,
                                 reference=(S30_10.claimed_gpus, f"chapter §30.10: ~{S30_10.claimed_gpus:,} H100s")
                                 if chapter else None)
        lines = [f"{i}. {r.step}: {r.formula} = {r.display}" for i, r in enumerate(plan.steps.itertuples(), 1)]
        lines.append(f"→ {plan.gpus:,} GPUs, ${plan.monthly_usd:,.0f}/month, "
                     f"${plan.usd_per_million_tokens:.2f} per million output tokens ({src})")
        if chapter:
            lines.append(f"chapter §30.10 for the same users: ~{S30_10.claimed_gpus:,} H100s, "
                         f"~${S30_10.claimed_monthly_usd / 1e3:,.0f}k/month, ~${S30_10.claimed_usd_per_million:.2f}/M")
        return "\n".join(lines)  # each result once: the steps, then the answer (no repeated summary or table)

    ex = Explorer("Capacity planning rubric (§30.10)", controls, compute, link=link)
    show(ex)
    return ex
