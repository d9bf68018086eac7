"""Explorers for the levers beyond the chapter: prefix caching, speculative decoding, energy, the tornado (§30.1-§30.7).

Built on :class:`costlib.ui.widgets.Explorer`; every number comes from the one prediction path
(``quote``, ``speculative_speedup``, ``energy_use``, ``sensitivity``) and every figure from
:mod:`costlib.ui.lever_plots`.
"""
from __future__ import annotations

import numpy as np

from costlib.catalog.tables import api_name, get_gpu
from costlib.economics.billing import api_usd_per_million_input
from costlib.economics.prefix import selfhost_vs_api
from costlib.economics.quote import quote
from costlib.economics.sensitivity import sensitivity
from costlib.estimate.energy import J_PER_KWH, energy_use
from costlib.estimate.predict import predict
from costlib.estimate.speculative import (
    crossover_batch,
    expected_tokens_per_step,
    speculative_speedup,
)
from costlib.ui import lever_plots
from costlib.ui.widgets import specs
from costlib.ui.widgets.controls import (
    deployment_from,
)
from costlib.ui.widgets.explorer import Explorer

__all__ = ["prefix_lever", "speculative_lever", "energy_lever", "tornado_lever"]

_BATCHES = np.unique(np.round(np.geomspace(1, 2048, 60)))


def _args(v):
    d = deployment_from(v)
    return d.model.id, d.gpu.id, d.tp, d.weights.name, d.kv.name


def prefix_lever(api=None, input_len=None, output_len=None, hit_rate=None, utilization=None, tier=None, **dep):
    """Prefix hit rate -> $/M input, TTFT, batch, and self-hosted vs API $ per request with the flip point (§30.7)."""
    controls = specs.build("prefix_lever", dict(api=api, input_len=input_len, output_len=output_len, hit_rate=hit_rate,
                                                utilization=utilization, tier=tier, **dep))

    def compute(v, ax):
        args = _args(v)
        kw = dict(input_len=v["input_len"], output_len=v["output_len"], utilization=v["utilization"], tier=v["tier"])
        c = selfhost_vs_api(*args, v["api"], hit_rates=np.round(np.linspace(0, 1, 21), 2), **kw)
        q0 = quote(*args, **kw)
        q = quote(*args, prefix_hit_rate=v["hit_rate"], **kw)
        if not q.ok:
            raise ValueError(q.message)
        lever_plots.prefix_flip_plot(c, ax=ax)
        ax.axvline(v["hit_rate"], color="#444444", lw=1, ls=":")
        flip = "never in 0-1" if c.flip_hit_rate is None else f"at h = {c.flip_hit_rate:.2f}"
        return "\n".join([
            f"h = {v['hit_rate']:.2f}: self-hosted ${q.usd_per_million_input.mid:.3f}/M input "
            f"(${q0.usd_per_million_input.mid:.3f} at h = 0), ${q.usd_per_million.mid:.3f}/M output; "
            f"first token {q.ttft_s.mid * 1e3:,.0f} ms (was {q0.ttft_s.mid * 1e3:,.0f} ms)",
            f"API {api_name(c.api)}: ${api_usd_per_million_input(c.api, v['hit_rate']):.3f}/M input at this h "
            "(cached tokens are still billed)",
            f"the cheaper side flips {flip} (grid step 0.05)",
        ])

    return Explorer("Prefix caching: who wins as the cache warms up?", controls, compute, figsize=(8, 4.3))


def speculative_lever(alpha=None, k=None, draft_cost=None, input_len=None, output_len=None, **dep):
    """Acceptance rate, draft length and draft cost -> speedup against the batch and the crossover batch (§30.3)."""
    controls = specs.build("speculative_lever", dict(alpha=alpha, k=k, draft_cost=draft_cost, input_len=input_len,
                                                     output_len=output_len, **dep))

    def compute(v, ax):
        d = deployment_from(v)
        a, kk, c = v["alpha"], v["k"], v["draft_cost"]
        s = speculative_speedup(d, _BATCHES, v["input_len"], v["output_len"], a, kk, c)
        x = crossover_batch(d, v["input_len"], v["output_len"], a, kk, c)
        e = expected_tokens_per_step(a, kk)
        lever_plots.speculative_speedup_plot(_BATCHES, s, x, ax=ax, expected_tokens=e)
        at = {b: float(speculative_speedup(d, b, v["input_len"], v["output_len"], a, kk, c)) for b in (1, 64)}
        stop = "never below 4,096" if x is None else f"from batch {x:,}"
        return "\n".join([
            f"E = (1 - α^(k+1)) / (1 - α) = {e:.2f} tokens per verification step (not k = {kk})",
            f"speedup x{at[1]:.2f} at batch 1, x{at[64]:.2f} at batch 64; $/M output x{1 / at[1]:.2f} and "
            f"x{1 / at[64]:.2f}",
            f"speculation stops paying {stop}",
        ])

    return Explorer("Speculative decoding: speedup against the batch", controls, compute, figsize=(8, 4.3))


def energy_lever(chat=(500, 300), reasoning=(500, None), pue=None, usd_per_kwh=None, **dep):
    """Energy per response: chat at the memory-limited batch vs a long answer at batch 1; kWh/M and electricity $/M (§30.2)."""
    controls = specs.build("energy_lever", dict(reasoning_output=reasoning[1], pue=pue, usd_per_kwh=usd_per_kwh, **dep))

    def compute(v, ax):
        d = deployment_from(v)
        tdp = get_gpu(d.gpu.id).tdp_w
        e_chat = predict(d, chat[0], chat[1])
        e_long = predict(d, reasoning[0], v["reasoning_output"], batch=v["reasoning_batch"])
        for e in (e_chat, e_long):
            if not e.fits:
                raise ValueError(e.message)
        u_chat = energy_use(e_chat, tdp, pue=v["pue"], usd_per_kwh=v["usd_per_kwh"])
        u_long = energy_use(e_long, tdp, pue=v["pue"], usd_per_kwh=v["usd_per_kwh"])
        j = [u_chat.joules_per_response(chat[1]), u_long.joules_per_response(v["reasoning_output"])]
        labels = [f"chat {chat[0]}+{chat[1]}, batch {e_chat.batch:,}",
                  f"long answer {reasoning[0]}+{v['reasoning_output']:,}, batch {v['reasoning_batch']}"]
        lever_plots.energy_per_response_bars(labels, j, ax=ax)
        q = quote(*_args(v), input_len=chat[0], output_len=chat[1], usd_per_kwh=v["usd_per_kwh"], pue=v["pue"])
        share = u_chat.electricity_usd_per_million_output_tokens / q.usd_per_million.mid
        return "\n".join([
            f"chat: {u_chat.joules_per_output_token.mid:.2f} J per output token = "
            f"{u_chat.kwh_per_million_output_tokens:.3f} kWh per million; "
            f"long answer: {u_long.joules_per_output_token.mid:.2f} J per token",
            f"per response: {j[1] / j[0]:,.0f}x the energy of a chat answer "
            f"({j[1] / J_PER_KWH * 1e3:.2f} Wh vs {j[0] / J_PER_KWH * 1e3:.3f} Wh)",
            f"electricity at ${v['usd_per_kwh']:.2f}/kWh: ${u_chat.electricity_usd_per_million_output_tokens:.4f}"
            f" per M chat output tokens, {share:.1%} of the on-demand $/M",
        ])

    return Explorer("Energy per token and per response", controls, compute, figsize=(8, 3.6))


def tornado_lever(input_len=None, output_len=None, tier=None, utilization=None, **dep):
    """The tornado: which input moves $/M most over its sourced range, for any deployment and workload (§30.1)."""
    controls = specs.build("tornado_lever", dict(input_len=input_len, output_len=output_len, tier=tier,
                                                 utilization=utilization, **dep))

    def compute(v, ax):
        t = sensitivity(*_args(v), input_len=v["input_len"], output_len=v["output_len"], tier=v["tier"],
                        utilization=v["utilization"])
        lever_plots.tornado(t, ax=ax)
        top = t.rows[0]
        return (f"base ${t.base_usd_per_million:.3f}/M output; optimise first: {top.label} "
                f"({top.low_value} -> {top.high_value} swings ${top.swing:.3f}/M); ranges and sources in "
                "costlib/data/sensitivity_ranges.csv")

    return Explorer("What moves $/M most? (tornado)", controls, compute, figsize=(8, 4.6))
