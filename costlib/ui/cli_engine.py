"""The command line's engine subcommands: validate, quote, sensitivity, serve and slo (§30.1-§30.10).

Each takes the parsed arguments and returns (the dict printed by --json, the lines printed for people).
Argument parsing and the other subcommands live in :mod:`costlib.ui.cli`.
"""
from __future__ import annotations

import math

import pandas as pd

import costlib as cl
from costlib.common import fmt

__all__ = ["CLIError", "validate_cmd", "quote_cmd", "sensitivity_cmd", "serve_cmd", "slo_cmd", "SERVE_KEYS"]


class CLIError(Exception):
    """A bad argument found after parsing; reported as one line on stderr with exit status 2."""


def _n(x) -> str:
    """A number for people: thousands separators from 10,000, else 4 significant digits."""
    return fmt.count(float(x), (), whole_from=1e4, rest=",.4g")


def validate_cmd(a):
    ms = cl.read_measurements(a.file)  # ValueError (missing file, missing columns) -> exit 2
    if a.save and not a.calibrate:
        raise CLIError("argument --save: only with --calibrate (it writes the profile fitted on FILE)")
    profile = cl.calibrate(ms) if a.calibrate else cl.get_profile(a.profile)
    if a.save:
        profile.save(a.save)
    report = cl.validate(ms, profile)
    out = report.to_dict()
    pct = lambda x: "-" if x is None else f"{100 * x:.0f}%"  # noqa: E731
    e = profile.mid
    which = (f"calibrated on this file ({profile.n_rows} rows, in-sample)" if a.calibrate else
             f"'{profile.name}'")
    lines = [f"Validation of {a.file}: {report.rows:,} rows read, {report.predicted:,} predicted, "
             f"{len(report.skipped):,} skipped",
             f"Profile {which}: MBU {e.mbu:.2f}, MFU {e.mfu:.2f}, link efficiency {e.link_efficiency:.2f}, "
             f"{e.sequence_overhead_s * 1e6:.1f} us per sequence per step, engine reserve "
             f"{profile.limits.reserve_bytes_per_gpu / 1e9:.1f} GB per GPU; band x{profile.band_low:.2f} to "
             f"x{profile.band_high:.2f} of mid"]
    if a.save:
        lines.append(f"Profile written to {a.save} (use it with: python -m costlib quote ... --profile {a.save})")
    if report.predicted:
        s_ = report.summary(("family", "gpu", "kind")).reset_index()
        table = pd.DataFrame({
            "family": s_["family"], "gpu": s_["gpu"], "kind": s_["kind"], "rows": s_["rows"],
            "median |mid error|": [pct(x) for x in s_["median_abs_error"]],
            "within 15%": [pct(x) for x in s_["within_15"]],
            "in band": [pct(x) for x in s_["in_band"]],
            "band high/low": [f"{x:.2f}" for x in s_["band_width"]]})
        lines += [""] + table.to_string(index=False).splitlines() + [
            "",
            f"not beyond the physics ceiling: {pct(report.under_ceiling)} of predicted rows",
            f"in the low-high band: {pct(report.in_band)} (median band width high/low {report.band_width:.2f})",
            f"median |mid - measured| / measured: {pct(report.median_abs_error)}"]
    else:
        lines.append("No row could be predicted.")
    if report.skipped:
        lines += ["", "Skipped rows (row = 0-based data row):"]
        lines += [f"  row {s_['row']}: {s_['reason']}" for s_ in report.skipped[:20]]
        if len(report.skipped) > 20:
            lines.append(f"  ... and {len(report.skipped) - 20} more (see --json)")
    return out, lines


def _quote_kw(a) -> dict:
    return dict(input_len=a.input_len, output_len=a.output_len, n_gpus=a.n_gpus, batch=a.batch, profile=a.profile,
                tier=a.tier, usd_per_gpu_hour=a.usd_per_gpu_hour, utilization=a.utilization,
                prefix_hit_rate=a.prefix_hit_rate, speculative=a.speculative, usd_per_kwh=a.usd_per_kwh)


def quote_cmd(a):
    q = cl.quote(a.model, a.gpu, a.tp, a.weights, a.kv, **_quote_kw(a))
    out = q.as_dict()
    lines = [f"Quote: {q.name}, {q.n_gpus} GPU(s), {a.input_len:,} input + {a.output_len:,} output tokens "
             f"per request, profile '{q.profile}'", f"  {q.message}"]
    if not q.ok:
        lines.append("No speed or price: it cannot run as configured." if not q.fits else "No price.")
        return out, lines
    t, ft, tp_, m = q.tokens_per_s, q.ttft_s, q.tpot_s, q.usd_per_million
    mi, en = q.usd_per_million_input, q.energy
    lines += [
        f"  output tokens/s: {_n(t.mid)} (low {_n(t.low)}, high {_n(t.high)}; physics ceiling {_n(t.ceiling)})",
        f"  time to first token: {fmt.milliseconds(ft.mid)} ({fmt.milliseconds(ft.low)}-{fmt.milliseconds(ft.high)})",
        f"  time per output token: {fmt.milliseconds(tp_.mid)} ({fmt.milliseconds(tp_.low)}-{fmt.milliseconds(tp_.high)})",
        f"  $/M output tokens at {q.utilization:.0%} utilization: ${_n(m.mid)} (${_n(m.low)}-${_n(m.high)}), "
        f"{q.n_gpus} GPU(s) at ${_n(q.usd_per_gpu_hour.mid)}/GPU-hour ({q.tier.replace('_', ' ')})",
        f"  $/M input tokens (the prompts' share of the GPU time, prefix hit rate {q.prefix_hit_rate:.0%}): "
        f"${_n(mi.mid)} (${_n(mi.low)}-${_n(mi.high)})",
        f"  energy: {_n(en.joules_per_output_token.mid)} J per output token, "
        f"{_n(en.kwh_per_million_output_tokens)} kWh per million (board power {_n(en.board_power_w)} W per GPU, "
        f"PUE {en.pue:g})",
    ]
    if q.speedup is not None:
        lines.append(f"  speculative decoding: x{q.speedup:.2f} at batch {q.batch:,} (already in the figures above)")
    if en.usd_per_kwh is not None:
        e_usd = en.electricity_usd_per_million_output_tokens
        lines.append(f"  electricity at ${en.usd_per_kwh:g}/kWh: ${_n(e_usd)} per M output tokens, "
                     f"{e_usd / m.mid:.1%} of the mid $/M")
    return out, lines


def sensitivity_cmd(a):
    from costlib.economics.sensitivity import sensitivity

    t = sensitivity(a.model, a.gpu, a.tp, a.weights, a.kv, **_quote_kw(a))
    rows = [r.as_dict() for r in t.rows]
    lines = [f"Sensitivity of the mid $/M output tokens: {t.base.name}, {a.input_len:,}+{a.output_len:,} tokens; "
             f"base case ${_n(t.base_usd_per_million)}/M", f"  {'input':<18} {'low end':>16} {'high end':>16} "
             f"{'$/M at low':>11} {'$/M at high':>11} {'swing':>8}"]
    for r in t.rows:
        lo = "-" if r.usd_per_million_at_low is None else f"${_n(r.usd_per_million_at_low)}"
        hi = "-" if r.usd_per_million_at_high is None else f"${_n(r.usd_per_million_at_high)}"
        lines.append(f"  {r.label:<18} {str(r.low_value):>16} {str(r.high_value):>16} {lo:>11} {hi:>11} "
                     f"{'$' + _n(r.swing):>8}")
    lines.append("Ranges and their sources: costlib/data/sensitivity_ranges.csv")
    return {"base_usd_per_million_output_tokens": t.base_usd_per_million, "rows": rows}, lines


SERVE_KEYS = ("ttft_mean_s", "ttft_p50_s", "ttft_p99_s", "itl_mean_s", "itl_p99_s", "output_tokens_per_s",
              "achieved_requests_per_s", "saturation_requests_per_s", "mean_batch")


def serve_cmd(a):
    from costlib.estimate.serving import serve

    r = serve(a.model, a.gpu, a.tp, a.weights, a.kv, input_len=a.input_len, output_len=a.output_len,
              rate=a.rate, concurrency=a.concurrency, requests=a.requests, arrivals=a.arrivals, profile=a.profile)
    out = {k: getattr(r, k) for k in SERVE_KEYS}
    load = (f"{a.concurrency:,} users (closed loop)" if a.concurrency else
            "all at once" if math.isinf(a.rate) else f"{_n(a.rate)} requests/s ({a.arrivals})")
    name = cl.deployment(a.model, a.gpu, a.tp, a.weights, a.kv).name
    lines = [f"Serve: {name}, "
             f"{a.input_len:,} in + {a.output_len:,} out, {a.requests:,} requests, {load}",
             f"  saturation: {_n(r.saturation_requests_per_s)} requests/s (max-throughput tokens/s / output length)",
             f"  TTFT: mean {fmt.milliseconds(r.ttft_mean_s)}, p50 {fmt.milliseconds(r.ttft_p50_s)}, p99 {fmt.milliseconds(r.ttft_p99_s)}",
             f"  ITL: mean {fmt.milliseconds(r.itl_mean_s)}, p99 {fmt.milliseconds(r.itl_p99_s)}",
             f"  output tokens/s: {_n(r.output_tokens_per_s)}; achieved {_n(r.achieved_requests_per_s)} requests/s; "
             f"mean batch {_n(r.mean_batch)}",
             f"  Little's law: in flight {_n(r.mean_batch)} ~ achieved rate x time in the batch"]
    return out, lines


def slo_cmd(a):
    from costlib.economics.slo import slo_fleet

    f = slo_fleet(a.model, a.input_len, a.output_len, a.rate, a.ttft_p99_ms / 1e3, a.itl_ms / 1e3,
                  gpus=None if a.gpus is None else [g.id for g in a.gpus], tier=a.tier)
    d = f.as_dict()
    out = {"best": d["best"], "candidates": d["candidates"]}
    lines = [f"SLO: {a.model.name}, {a.input_len:,} in + {a.output_len:,} out at {_n(a.rate)} requests/s; "
             f"p99 TTFT <= {_n(a.ttft_p99_ms)} ms, mean ITL <= {_n(a.itl_ms)} ms ({a.tier.replace('_', ' ')})",
             f"  {f.message}"]
    if f.best is not None:
        b = f.best
        lines.append(f"  ${_n(b.usd_per_million_input_tokens)}/M input tokens or ${_n(b.usd_per_million_output_tokens)}"
                     "/M output tokens (the whole bill per million of each)")
    lines.append("  candidates (cheapest first):")
    for c in f.candidates[:15]:
        cost = "" if c.usd_per_hour is None else f"{c.replicas} x, ${_n(c.usd_per_hour)}/h: "
        lines.append(f"    {c.name}: {cost}{c.reason}")
    if len(f.candidates) > 15:
        lines.append(f"    ... and {len(f.candidates) - 15} more (see --json)")
    return out, lines
