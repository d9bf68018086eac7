"""The chapter's inputs as named constants; each numeric claim re-derived and judged (§30.1-§30.11).

Chapter 30 ("Cost modeling for inference: tokens, GPUs, dollars") is the workbook's syllabus, not
its source of truth. This module keeps the chapter's *inputs* in one place (``S30_1`` ... ``S30_11``
for the sections, ``P1`` ... ``P7`` for the practice problems, ``CQ1`` ... ``CQ4`` for the concept
checks) so that notebooks, exercises and solutions never retype them, and :func:`claims` re-derives
each number the chapter states with costlib and says whether it holds.

How a claim is re-derived
-------------------------
* **Arithmetic claims** (the chapter works a formula with its own inputs) are recomputed with the
  same inputs through costlib's formula functions. The verdict then says whether the arithmetic
  holds, nothing more.
* **Configuration claims** name a model, a precision and a number of GPUs ("70B on a single
  H100"). Memory is checked first (:func:`costlib.physics.memory.fit`); a configuration that does not fit
  is ``"physically impossible"`` whatever its arithmetic. ``recomputed_value`` is then either the
  chapter's own arithmetic (for formula outputs) or costlib's value on the *smallest* tensor-
  parallel degree that does fit; ``why`` says which.
* **Comparisons between options** with no GPU count (precision, model size, GPU type) put every
  option on its *cost-optimal* deployment: the tensor-parallel degree with the lowest $/M among
  those that fit, each at the largest batch that fits.

Assumptions the chapter leaves open (ours, stated once): sequences of ``CONTEXT_TOKENS`` = 2,048
tokens, batches capped at ``BATCH_CAP`` = 256 (the largest batch the chapter uses), KV cache in
bf16 (costlib's default; fp8-KV figures are quoted in ``why`` where they change the picture),
costlib's mid-range MBU/MFU (§30.4) and memory defaults (95% of HBM minus 1 GB per GPU), and the
chapter's own $/GPU-hour figures.

Verdicts
--------
``"correct"`` within 2% of the recomputed value (``REL_TOL_CORRECT``); ``"rounded"`` within 10%
(``REL_TOL_ROUNDED``); ``"wrong"`` beyond that. For a range claim (``chapter_low`` <
``chapter_high``; ``chapter_value`` is then the midpoint) the recomputed value must fall inside the
range (``"correct"``), or within 10% of its nearer end (``"rounded"``). ``"physically impossible"``
comes from a failed memory fit. ``"inconsistent"`` marks a number that clashes with another figure
of the chapter (e.g. mixed price bases); where that takes judgement rather than a rule, the row's
``rule`` column says ``override`` and records what the plain tolerance rule would have said.
"""
from __future__ import annotations

import difflib
import functools
import inspect
import math
from collections.abc import Mapping
from typing import NamedTuple

import pandas as pd

from costlib.catalog.deployment import (
    DEFAULT_MEMORY_FRACTION,
    DEFAULT_RESERVE_BYTES,
    Deployment,
    deployment,
    valid_tp,
)
from costlib.catalog.tables import get_api_price, get_gpu, get_model, gpu_usd_per_hour
from costlib.common import fmt
from costlib.economics.capacity import capacity_plan
from costlib.economics.cost import (
    cost_at_utilization,
    decode_usd_per_million,
    million_tokens_per_hour,
    owned_usd_per_gpu_hour,
    prefill_usd_per_million,
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
from costlib.physics.memory import fit, kv_bytes_per_token, min_tp, usable_bytes, weight_bytes
from costlib.physics.step import (
    MBU_RANGE,
    MFU_RANGE,
    decode_ceiling_tokens_per_s,
    decode_step,
    decode_tokens_per_s,
    prefill_arithmetic_intensity,
    prefill_ceiling_tokens_per_s,
    prefill_tokens_per_s,
)

__all__ = [
    "Inputs", "UnknownName", "OnDemandRow", "CostRow", "ApiRow", "HardwareRow",
    "S30_1", "S30_2", "S30_3", "S30_4", "S30_5", "S30_6", "S30_7", "S30_8", "S30_9", "S30_10",
    "S30_11",
    "P1", "P2", "P3", "P4", "P5", "P6", "P7", "CQ1", "CQ2", "CQ3", "CQ4", "SECTIONS", "EXERCISES",
    "CONTEXT_TOKENS", "BATCH_CAP", "REL_TOL_CORRECT", "REL_TOL_ROUNDED", "VERDICTS", "COLUMNS",
    "relative_error", "judge_value", "judge_range", "cheapest_deployment", "format_claim_number",
    "format_chapter_value",
    "claims", "claim", "claim_ids", "claims_markdown", "verdict_counts",
]

# ---------------------------------------------------------------- our assumptions

CONTEXT_TOKENS = 2048  # tokens per sequence for every KV-cache check (the chapter never states one)
BATCH_CAP = 256  # largest batch considered: the biggest batch the chapter itself uses (§30.3)
REL_TOL_CORRECT = 0.02
REL_TOL_ROUNDED = 0.10
VERDICTS = ("correct", "rounded", "inconsistent", "wrong", "physically impossible")
COLUMNS = ["id", "section", "claim", "chapter_value", "chapter_low", "chapter_high", "unit",
           "recomputed_value", "verdict", "rule", "why"]

_70B = "llama-3.1-70b"  # Llama 3, 3.1 and 3.3 70B share one architecture (70.55B parameters)
_H100 = "H100-SXM"


# ---------------------------------------------------------------- read-only input records

class UnknownName(KeyError, AttributeError, ValueError):
    """Raised for a name that is not in a section's inputs or in the claims table (§30.1-§30.11)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _unknown(kind: str, name, valid, listing: str | None = None) -> UnknownName:
    valid = list(valid)
    close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return UnknownName(f"unknown {kind} {name!r}.{hint} {listing or 'Valid: ' + ', '.join(valid)}")


class Inputs(Mapping):
    """Read-only inputs of a section or exercise: ``S30_6.mfu`` or ``S30_6["mfu"]`` (§30.1-§30.11).

    Names starting with ``claimed_`` are figures the chapter states (what :func:`claims` checks);
    the others are the inputs it computes from. Units are in the names.
    """

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, **values):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))

    @property
    def name(self) -> str:
        return self._name

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise _unknown(f"input of {self._name}", key, self._values) from None

    def __getitem__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise _unknown(f"input of {self._name}", key, self._values) from None

    def __contains__(self, key) -> bool:
        return key in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setattr__(self, key, value):
        raise AttributeError(f"{self._name} is read-only; change a copy: dict({self._name})")

    def __delattr__(self, key):
        raise AttributeError(f"{self._name} is read-only")

    def __reduce__(self):
        return (_make_inputs, (self._name, tuple(self._values.items())))

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Inputs({self._name}: {body})"


def _make_inputs(name, items):
    return Inputs(name, **dict(items))


class OnDemandRow(NamedTuple):
    """One row of the chapter's on-demand price table (§30.2)."""

    gpu: str
    usd_per_hour_low: float
    usd_per_hour_high: float


class CostRow(NamedTuple):
    """One row of the chapter's $/M table for 70B serving (§30.5)."""

    key: str
    weights: str
    gpu: str
    n_gpus: int
    utilization: float
    usd_per_million: float


class ApiRow(NamedTuple):
    """One row of the chapter's API price table, with the catalog ids it refers to (§30.5)."""

    key: str
    api_ids: tuple
    usd_per_million_low: float
    usd_per_million_high: float


class HardwareRow(NamedTuple):
    """One row of the chapter's GPU comparison table for 70B decode-heavy serving (§30.8)."""

    gpu: str
    hbm_gb: float
    hbm_tb_per_s: float
    usd_per_hour: float
    usd_per_million: float


# ---------------------------------------------------------------- the chapter's inputs, by section

S30_1 = Inputs(
    "§30.1", model=_70B, weights="bf16", gpu=_H100, n_gpus=1,
    usd_per_hour=3.0, tokens_per_s=1000.0,
    figure_usd_per_hour=2.0, figure_utilization=0.5,
    h100_on_demand_usd_per_hour=(2.5, 4.0), h100_reserved_usd_per_hour=(1.5, 2.0),
    capex_usd_per_hour=1.0,
    gpt4o_usd_per_million_output=10.0, sonnet_usd_per_million_output=15.0,
    claimed_million_tokens_per_hour=3.6, claimed_usd_per_million=0.83,
    claimed_figure_usd_per_million=0.56, claimed_figure_half_util_usd_per_million=1.11,
    claimed_utilization_swing=(2.0, 5.0), claimed_cheaper_than_api=(10.0, 20.0),
)

S30_2 = Inputs(
    "§30.2",
    on_demand=(OnDemandRow("A100-SXM-40GB", 1.50, 1.50), OnDemandRow("A100-SXM-80GB", 2.50, 2.50),
               OnDemandRow(_H100, 3.00, 4.50), OnDemandRow("H200-SXM", 4.50, 6.00),
               OnDemandRow("B200", 8.00, 12.00)),
    reserved_fraction=0.5, spot_fraction_of_reserved=0.5, bare_metal_discount=(0.30, 0.50),
    h100_purchase_usd=(30_000, 40_000), amortization_years=3, default_usd_per_hour=2.0,
    claimed_spot_fraction=0.25, claimed_owned_usd_per_hour=(1.50, 2.00),
)

S30_3 = Inputs(
    "§30.3", model=_70B, weights="bf16", gpu=_H100, n_gpus=1,
    hbm_bytes_per_s=3e12, model_bytes=140e9, batches=(1, 100, 256),
    peak_flops=989e12, n_params=70e9, practical_mfu=(0.30, 0.40), prompt_tokens=1000,
    claimed_tokens_per_s_per_sequence=21.4, claimed_decode_tokens_per_s=(21.0, 2140.0, 5500.0),
    claimed_prefill_intensity=700.0, claimed_prefill_tokens_per_s=7000.0,
    claimed_practical_prefill_tokens_per_s=2500.0, claimed_prefill_time_s=0.4,
)

S30_4 = Inputs(
    "§30.4", model=_70B, weights="bf16", gpu=_H100, n_gpus=1,
    mfu_range=(0.30, 0.50), mbu_range=(0.60, 0.85),
    claimed_realistic_tokens_per_s=(500.0, 1500.0), claimed_peak_tokens_per_s_at_256=5500.0,
)

S30_5 = Inputs(
    "§30.5", model=_70B, weights="bf16", gpu=_H100, n_gpus=1,
    usd_per_hour=2.0, tokens_per_s=1000.0, utilization=0.5,
    high_batch_tokens_per_s=(1500.0, 2000.0), low_utilization=0.30, high_utilization=0.80,
    claimed_usd_per_million=0.56, claimed_usd_per_million_rounded=0.55,
    claimed_half_util_usd_per_million=1.11, claimed_high_batch_usd_per_million=0.30,
    claimed_int4_speedup=(2.0, 3.0), claimed_fp8_speedup=2.0, claimed_tp2_cost_ratio=1.0,
    # "high util" rows use the 80% the chapter gives for the bf16 row; H200 at §30.8's $3/hour
    cost_table=(CostRow("bf16_h100_low_util", "bf16", _H100, 1, 0.30, 1.50),
                CostRow("bf16_h100_high_util", "bf16", _H100, 1, 0.80, 0.50),
                CostRow("fp8_h100", "fp8", _H100, 1, 0.80, 0.25),
                CostRow("int4_h100", "int4", _H100, 1, 0.80, 0.20),
                CostRow("fp8_h200", "fp8", "H200-SXM", 1, 0.80, 0.20),
                CostRow("int4_h200", "int4", "H200-SXM", 1, 0.80, 0.15)),
    api_table=(ApiRow("gpt4o", ("gpt-4o",), 10.0, 10.0),
               ApiRow("sonnet", ("claude-sonnet",), 15.0, 15.0),
               ApiRow("llama70b_hosted", ("together-llama-3.3-70b", "fireworks-llama-3.3-70b"),
                      0.50, 1.00),
               ApiRow("gpt4o_mini", ("gpt-4o-mini",), 0.60, 0.60),
               ApiRow("haiku", ("claude-haiku-3",), 1.25, 1.25)),
)

S30_6 = Inputs(
    "§30.6", model=_70B, weights="bf16", gpu=_H100, n_gpus=1, usd_per_hour=2.0,
    peak_flops=989e12, n_params=70e9, mfu=0.4,
    hbm_bytes_per_s=3e12, model_bytes=140e9, mbu=0.7, batch=128,
    claimed_prefill_tokens_per_hour=10.2e12, claimed_prefill_usd_per_million=0.20,
    claimed_decode_tokens_per_hour=6.9e6, claimed_decode_usd_per_million=0.29,
    claimed_input_discount=(2.0, 4.0),
)

S30_7 = Inputs(
    "§30.7", model=_70B, weights="bf16", gpu=_H100, usd_per_hour=2.0, api_usd_per_million=0.88,
    claimed_monthly_usd=1500.0, claimed_crossover_tokens_per_month=(100e6, 500e6),
    claimed_api_cheaper_below_tokens_per_month=50e6,
)

S30_8 = Inputs(
    "§30.8", model=_70B, weights="bf16",
    table=(HardwareRow("A100-SXM-80GB", 80.0, 2.0, 2.50, 0.80),
           HardwareRow(_H100, 80.0, 3.0, 2.00, 0.50),
           HardwareRow("H200-SXM", 141.0, 4.8, 3.00, 0.45),
           HardwareRow("B200", 192.0, 8.0, 5.00, 0.45)),
    claimed_fp8_weights_gb=35.0, claimed_b200_bandwidth_ratio=2.0, claimed_b200_cost_ratio=2.5,
    claimed_h200_extra_bandwidth=0.60,
)

S30_9 = Inputs(
    "§30.9", small_model="llama-3.1-8b", large_model=_70B, weights="bf16", gpu=_H100,
    usd_per_hour=2.0,
    claimed_cost_ratio=10.0,
)

S30_10 = Inputs(
    "§30.10", model=_70B, weights="bf16", gpu=_H100,
    users=1_000_000, sessions_per_day=10, tokens_per_session=500, peak_factor=3.0,
    tokens_per_s_per_gpu=1000.0, headroom=0.3, usd_per_hour=2.0, days_per_month=30,
    claimed_tokens_per_day=5e9, claimed_avg_tokens_per_s=58e3, claimed_peak_tokens_per_s=175e3,
    claimed_gpus_at_peak=175, claimed_gpus=225, claimed_monthly_usd=324e3,
    claimed_usd_per_million=2.16,
)

S30_11 = Inputs(
    "§30.11", claimed_utilization=(0.30, 0.80), claimed_cheaper_than_api=(10.0, 20.0),
    claimed_crossover_tokens_per_month=(100e6, 500e6), claimed_quantization_cut=(2.0, 4.0),
)

# ---------------------------------------------------------------- practice problems, concept checks

P1 = Inputs("P1", model="llama-3.1-8b", weights="bf16", gpu=_H100, n_gpus=1, tokens_per_s=5000.0,
            usd_per_hour=2.0)
P2 = Inputs("P2", model="llama-3.1-405b", weights="fp8", gpu=_H100, tp=8, tokens_per_s=800.0,
            usd_per_hour=16.0)  # the whole 8-GPU replica, i.e. $2 per GPU-hour
P3 = Inputs("P3", model=_70B, gpu=_H100, tokens_per_day=100e6, api="together-llama-3.3-70b",
            api_usd_per_million=0.88)
P4 = Inputs("P4", model=_70B, gpu=_H100, n_gpus=8, tpot_targets_s=(0.2, 0.5))
P5 = Inputs("P5", model=_70B, gpu=_H100, weights=("bf16", "fp8"))
P6 = Inputs("P6", peak_tokens_per_hour=10e6, overnight_tokens_per_hour=0.0)
P7 = Inputs("P7", model=_70B, gpu=_H100, tokens_per_s=1000.0, n_providers=3,
            hosted_apis=("together-llama-3.3-70b", "deepinfra-llama-3.3-70b"))
CQ1 = Inputs("CQ1", model=_70B, gpu=_H100, n_gpus=1, usd_per_hour=3.0, tokens_per_s=1000.0)
CQ2 = Inputs("CQ2", topic="utilization: an idle GPU still bills by the hour")
CQ3 = Inputs("CQ3", topic="memory-bound decode: tokens/s follows HBM bandwidth", gpu=_H100)
CQ4 = Inputs("CQ4", gpus=("H200-SXM", _H100), h200_hbm_bytes_per_s=4.8e12,
             h100_hbm_bytes_per_s=3.35e12)

SECTIONS = {s.name: s for s in (S30_1, S30_2, S30_3, S30_4, S30_5, S30_6, S30_7, S30_8, S30_9,
                                S30_10, S30_11)}
EXERCISES = {s.name: s for s in (P1, P2, P3, P4, P5, P6, P7, CQ1, CQ2, CQ3, CQ4)}


# ---------------------------------------------------------------- verdict rules

def relative_error(chapter_value, recomputed_value) -> float:
    """|chapter - recomputed| / |recomputed|; inf if only recomputed is 0 (§30.1-§30.11)."""
    c, r = float(chapter_value), float(recomputed_value)
    if r == 0:
        return 0.0 if c == 0 else math.inf
    return abs(c - r) / abs(r)


def judge_value(chapter_value, recomputed_value) -> str:
    """"correct" within 2%, "rounded" within 10%, else "wrong" (§30.1-§30.11)."""
    e = relative_error(chapter_value, recomputed_value)
    if e <= REL_TOL_CORRECT:
        return "correct"
    return "rounded" if e <= REL_TOL_ROUNDED else "wrong"


def judge_range(low, high, recomputed_value) -> str:
    """"correct" in [low, high], "rounded" within 10% of its nearer end, else "wrong" (§30.1)."""
    lo, hi, r = float(low), float(high), float(recomputed_value)
    if lo > hi:
        raise ValueError(f"range low ({lo:g}) must not exceed high ({hi:g})")
    if lo <= r <= hi:
        return "correct"
    return judge_value(lo if r < lo else hi, r)


# ---------------------------------------------------------------- physics helpers

def _best_batch(dep: Deployment, context: int = CONTEXT_TOKENS, cap: int = BATCH_CAP) -> int:
    return int(min(fit(dep, context=context).max_batch, cap))


def cheapest_deployment(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0,
                        context: int = CONTEXT_TOKENS, batch_cap: int = BATCH_CAP) -> dict:
    """The TP (up to 8) with the lowest decode $/M at the largest batch that fits (§30.8).

    Returns a dict with tp, batch, tokens_per_s (replica), tokens_per_s_per_gpu, usd_per_million and
    the Deployment; raises ValueError if no TP up to 8 holds the weights plus one sequence.
    """
    best = None
    for tp in valid_tp(model, 8):
        dep = deployment(model, gpu, tp, weights, kv)
        b = _best_batch(dep, context, batch_cap)
        if b < 1:
            continue
        usd = decode_usd_per_million(dep, usd_per_gpu_hour, b, context)
        if best is None or usd < best["usd_per_million"]:
            tps = decode_tokens_per_s(dep, b, context)
            best = {"tp": tp, "batch": b, "tokens_per_s": tps, "tokens_per_s_per_gpu": tps / tp,
                    "usd_per_million": usd, "deployment": dep}
    if best is None:
        raise ValueError(
            f"{get_model(model).id} in {weights} does not fit on up to 8x{get_gpu(gpu).id}")
    return best


def _smallest(model, gpu, weights="bf16", kv=None, usd_per_gpu_hour=2.0, utilization=1.0) -> dict:
    """The smallest TP that holds the weights plus one sequence, at its largest batch."""
    tp = min_tp(model, gpu, weights, "bf16" if kv is None else kv, context=CONTEXT_TOKENS)
    dep = deployment(model, gpu, tp, weights, kv)
    b = _best_batch(dep)
    tps = decode_tokens_per_s(dep, b, CONTEXT_TOKENS)
    usd = decode_usd_per_million(dep, usd_per_gpu_hour, b, CONTEXT_TOKENS, utilization)
    return {"tp": tp, "batch": b, "tokens_per_s": tps, "tokens_per_s_per_gpu": tps / tp,
            "deployment": dep, "usd_per_million": usd}


# ---------------------------------------------------------------- formatting for the why column

def _num(x: float) -> str:
    return fmt.count(x, fmt.WORDS, whole_from=100, rest=",.3g")  # 4.5 million, 1,234, 12.3


def _num_range(lo: float, hi: float) -> str:
    a, b = _num(lo).split(" "), _num(hi).split(" ")
    if len(a) == len(b) == 2 and a[1] == b[1]:
        return f"{a[0]}-{b[0]} {a[1]}"
    return f"{_num(lo)}-{_num(hi)}"


def _x(r: float) -> str:
    return f"{r:.2f}x"


def _usable_rule(gpu) -> str:
    """How costlib's usable memory comes out of the HBM size, in words."""
    return (f"{get_gpu(gpu).hbm_gb:.0f} GB x {fmt.percent(DEFAULT_MEMORY_FRACTION)} - "
            f"{DEFAULT_RESERVE_BYTES / 1e9:g} GB")


def _owned_assumptions(purchase_usd=None, years=None) -> str:
    """costlib's owned-GPU defaults, read from its signature so the text follows the code."""
    d = {k: p.default for k, p in inspect.signature(owned_usd_per_gpu_hour).parameters.items()}
    cap = d["purchase_usd"] if purchase_usd is None else purchase_usd
    yrs = d["years"] if years is None else years
    return (f"{fmt.usd(cap)} over {yrs:g} years, {d['power_w']:g} W at PUE {d['pue']:g} and "
            f"${d['usd_per_kwh']:.2f}/kWh, +{fmt.percent(d['ops_overhead'])} operations")


def _params(model) -> str:
    return f"{get_model(model).n_params / 1e9:.2f}B parameters"


def _usd_range(lo: float, hi: float) -> str:
    return fmt.usd(lo) if lo == hi else f"{fmt.usd(lo)}-{fmt.usd(hi)}"


def _factor(r: float) -> str:
    """A ratio as words: a power of ten when it is one (a slipped unit), else 3 figures."""
    k = round(math.log10(r)) if r > 0 else 0
    if k >= 3 and abs(r / 10 ** k - 1) < 0.05:
        return {3: "a thousand", 6: "a million", 9: "a billion"}.get(k, f"10^{k}")
    return f"{r:,.3g}"


def _slip(claimed: float, recomputed: float) -> str:
    """Sentence end for a tokens-per-hour figure: agreement, or the size of the unit slip."""
    if judge_value(claimed, recomputed) in ("correct", "rounded"):
        return f", as stated ({_num(claimed)})."
    return (f", not {_num(claimed)}: the unit word is off by a factor of "
            f"{_factor(claimed / recomputed)} (the dollar figure below uses the right magnitude).")


# ---------------------------------------------------------------- rows

def _row(rows: list, id_: str, section: str, claim_text: str, chapter, unit: str, recomputed,
         why: str, *, fit_result=None, verdict: str | None = None, rule: str | None = None,
         override: tuple[str, str] | None = None) -> None:
    """Append one judged claim; ``chapter`` is a number or a (low, high) range."""
    if isinstance(chapter, tuple):
        lo, hi = float(chapter[0]), float(chapter[1])
        value = (lo + hi) / 2
        auto, auto_rule = judge_range(lo, hi, recomputed), "range"
    else:
        lo = hi = value = float(chapter)
        auto, auto_rule = judge_value(value, recomputed), "tolerance"
    if fit_result is not None and not fit_result.fits:
        auto, auto_rule = "physically impossible", "fit"
    if override is not None:
        verdict_, reason = override
        final, final_rule = verdict_, f"override (by {auto_rule} alone: {auto})"
        why = f"{why} {reason}"
    elif verdict is not None:
        final, final_rule = verdict, rule or "computed"
    else:
        final, final_rule = auto, auto_rule
    if final not in VERDICTS:
        raise ValueError(f"verdict {final!r} of {id_} is not one of {VERDICTS}")
    rows.append({"id": id_, "section": section, "claim": claim_text, "chapter_value": value,
                 "chapter_low": lo, "chapter_high": hi, "unit": unit,
                 "recomputed_value": float(recomputed), "verdict": final, "rule": final_rule,
                 "why": why})


def _adder(rows: list, section: str):
    """A function that appends judged claims of one section to ``rows``."""
    def add(id_, claim_text, chapter, unit, recomputed, why, **kw):
        _row(rows, id_, section, claim_text, chapter, unit, recomputed, why, **kw)
    return add


def _rows_30_1(rows):
    add = _adder(rows, "§30.1")
    s = S30_1
    h100 = get_gpu(s.gpu)
    mtph = million_tokens_per_hour(s.tokens_per_s)
    add("s30_1_tokens_per_hour", "1,000 tokens/s sustained for an hour, in millions",
        s.claimed_million_tokens_per_hour, "M tokens/hour", mtph,
        f"{_num(s.tokens_per_s)} tokens/s x 3,600 s = {mtph:.2f} million tokens per hour.")
    usd = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s)
    add("s30_1_usd_per_million", "$3/hour GPU at 1,000 tokens/s, per million tokens",
        s.claimed_usd_per_million, "$/M tokens", usd,
        f"{fmt.usd(s.usd_per_hour)} / {mtph:.2f} M tokens = {fmt.usd(usd)}/M; the unit arithmetic is "
        "right (whether one H100 can run the model is a separate row).")
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS)
    add("s30_1_70b_one_h100", "a 70B model in bf16 is served from one H100",
        s.n_gpus, "H100s per replica", tp,
        f"{fmt.gigabytes(f1.weight_bytes)} of bf16 weights ({_params(s.model)}) against "
        f"{fmt.gigabytes(f1.usable_bytes)} usable on one H100 ({_usable_rule(h100)}): short by "
        f"{fmt.gigabytes(f1.shortfall_bytes)} with one {CONTEXT_TOKENS:,}-token sequence; the smallest "
        f"tensor-parallel degree that fits is TP={tp}.",
        fit_result=f1)
    od_lo = gpu_usd_per_hour(s.gpu, "on_demand", "low")
    od_hi = gpu_usd_per_hour(s.gpu, "on_demand", "high")
    reason = ("§30.1 and the §30.2 price table quote different H100 on-demand ranges "
              f"({fmt.usd(s.h100_on_demand_usd_per_hour[0])}-{fmt.usd(s.h100_on_demand_usd_per_hour[1])} "
              f"vs {fmt.usd(od_lo)}-{fmt.usd(od_hi)}); the catalog follows the table.")
    add("s30_1_h100_on_demand_low", "low end of the H100 on-demand hourly price",
        s.h100_on_demand_usd_per_hour[0], "$/GPU-hour", od_lo,
        f"{fmt.usd(s.h100_on_demand_usd_per_hour[0])} here vs {fmt.usd(od_lo)} in §30.2.",
        override=("inconsistent", reason))
    add("s30_1_h100_on_demand_high", "high end of the H100 on-demand hourly price",
        s.h100_on_demand_usd_per_hour[1], "$/GPU-hour", od_hi,
        f"{fmt.usd(s.h100_on_demand_usd_per_hour[1])} here vs {fmt.usd(od_hi)} in §30.2.",
        override=("inconsistent", reason))
    od_mid = gpu_usd_per_hour(s.gpu, "on_demand", "mid")
    res = tier_usd_per_hour(od_mid, "reserved")
    add("s30_1_h100_reserved", "H100 reserved (1-3 year commitment) hourly price range",
        s.h100_reserved_usd_per_hour, "$/GPU-hour", res,
        f"§30.2's rule (reserved = half of on-demand) on the mid on-demand price {fmt.usd(od_mid)} "
        f"gives {fmt.usd(res)}, inside the quoted range.")
    owned = owned_usd_per_gpu_hour()
    bm_hi = tier_usd_per_hour(od_mid, "bare_metal", "high")
    bm_lo = tier_usd_per_hour(od_mid, "bare_metal", "low")
    add("s30_1_capex_usd_per_hour", "bare-metal or owned H100, hourly cost (at most)",
        s.capex_usd_per_hour, "$/GPU-hour", owned,
        f"An owned H100 ({_owned_assumptions()}) comes to {fmt.usd(owned)}/hour; bare metal at "
        f"{fmt.percent(S30_2.bare_metal_discount[0])}-{fmt.percent(S30_2.bare_metal_discount[1])} below the "
        f"{fmt.usd(od_mid)} on-demand "
        f"midpoint is {fmt.usd(bm_lo)}-{fmt.usd(bm_hi)}.",
        override=("inconsistent", "§30.2 itself puts the owned H100 at "
                  f"{_usd_range(*S30_2.claimed_owned_usd_per_hour)}/hour, so "
                  f"'~{fmt.usd(s.capex_usd_per_hour)}/hour or less' contradicts the chapter's own later "
                  "figure."))
    fig = usd_per_million_tokens(s.figure_usd_per_hour, s.tokens_per_s)
    add("s30_1_figure_usd_per_million", "figure: $2/hour reserved H100 at 1,000 tokens/s",
        s.claimed_figure_usd_per_million, "$/M tokens", fig,
        f"{fmt.usd(s.figure_usd_per_hour)} / {mtph:.2f} M = {fmt.usd(fig)}/M.")
    half = usd_per_million_tokens(s.figure_usd_per_hour, s.tokens_per_s, s.figure_utilization)
    add("s30_1_figure_half_util", "figure: the same GPU busy half of the time",
        s.claimed_figure_half_util_usd_per_million, "$/M tokens", half,
        f"Half the tokens for the same bill: {fmt.usd(fig)} / {s.figure_utilization} = "
        f"{fmt.usd(half)}/M.")
    lo_u, hi_u = S30_11.claimed_utilization
    swing = cost_at_utilization(1.0, lo_u) / cost_at_utilization(1.0, hi_u)
    add("s30_1_utilization_swing", "how much utilization moves $/M in practice",
        s.claimed_utilization_swing, "x", swing,
        "Across the chapter's own 30-80% utilization band (§30.11), $/M scales as 1/utilization: "
        f"{hi_u}/{lo_u} = {_x(swing)}.")
    two = usd_per_million_tokens(s.usd_per_hour * tp, s.tokens_per_s)
    for key, api, name in (("gpt4o", s.gpt4o_usd_per_million_output, "GPT-4o"),
                           ("sonnet", s.sonnet_usd_per_million_output, "Claude Sonnet")):
        r = api / usd
        add(f"s30_1_cheaper_than_{key}", f"self-hosted 70B vs {name} output price, ratio",
            s.claimed_cheaper_than_api, "x", r,
            f"{fmt.usd(api)}/M / {fmt.usd(usd)}/M = {_x(r)} (claimed {s.claimed_cheaper_than_api[0]:g}-"
            f"{s.claimed_cheaper_than_api[1]:g}x). Paying for the {tp} H100s that bf16 70B really "
            f"needs at the same {s.tokens_per_s:,.0f} tokens/s cuts it to {_x(api / two)}.")


def _rows_30_2(rows):
    add = _adder(rows, "§30.2")
    s = S30_2
    od_mid = gpu_usd_per_hour(_H100, "on_demand", "mid")
    res_mid = sum(S30_1.h100_reserved_usd_per_hour) / 2
    frac = res_mid / od_mid
    add("s30_2_reserved_fraction", "reserved price as a share of on-demand",
        s.reserved_fraction, "fraction", frac,
        f"The chapter's own H100 figures: reserved midpoint {fmt.usd(res_mid)} (§30.1) / on-demand "
        f"midpoint {fmt.usd(od_mid)} (§30.2 table) = {frac:.3f}, a bit under one half.")
    spot = tier_usd_per_hour(1.0, "reserved") * s.spot_fraction_of_reserved
    add("s30_2_spot_fraction", "spot price as a share of on-demand",
        s.claimed_spot_fraction, "fraction", spot,
        f"Half of the reserved half: 0.5 x {s.spot_fraction_of_reserved} = {spot:.2f}.")
    lo_c, hi_c = s.h100_purchase_usd
    owned = owned_usd_per_gpu_hour((lo_c + hi_c) / 2, s.amortization_years)
    o_lo = owned_usd_per_gpu_hour(lo_c, s.amortization_years)
    o_hi = owned_usd_per_gpu_hour(hi_c, s.amortization_years)
    add("s30_2_owned_usd_per_hour", "owned H100 amortized over 3 years, all-in hourly cost",
        s.claimed_owned_usd_per_hour, "$/GPU-hour", owned,
        f"Straight-line {_owned_assumptions((lo_c + hi_c) / 2, s.amortization_years)} = "
        f"{fmt.usd(owned)}/hour ({fmt.usd(o_lo)} at {fmt.usd(lo_c)}, {fmt.usd(o_hi)} at {fmt.usd(hi_c)}); the "
        "power, PUE and overhead figures are costlib's defaults.")
    res = tier_usd_per_hour(od_mid, "reserved")
    add("s30_2_default_usd_per_hour", "the chapter's default H100 price (reserved)",
        s.default_usd_per_hour, "$/GPU-hour", res,
        f"Half of the {fmt.usd(od_mid)} on-demand midpoint is {fmt.usd(res)}; $2 is the top of the "
        "reserved range, a round and slightly pessimistic default.")


def _rows_30_3(rows):
    add = _adder(rows, "§30.3")
    s = S30_3
    h100 = get_gpu(s.gpu)
    w = weight_bytes(s.model, s.weights)
    add("s30_3_weights_gb", "bf16 weights of a 70B model", s.model_bytes / 1e9, "GB", w / 1e9,
        f"Llama 3.1 70B has {get_model(s.model).n_params / 1e9:.2f}B parameters x 2 bytes = "
        f"{fmt.gigabytes(w)}.")
    bw = h100.hbm_bytes_per_s
    add("s30_3_h100_tb_per_s", "H100 HBM bandwidth", s.hbm_bytes_per_s / 1e12, "TB/s", bw / 1e12,
        f"The H100 SXM datasheet gives {bw / 1e12:.2f} TB/s; 3 TB/s understates it by "
        f"{fmt.percent(1 - s.hbm_bytes_per_s / bw)}.",
        override=("inconsistent", "The chapter's own concept check 4 uses "
                  f"{CQ4.h100_hbm_bytes_per_s / 1e12} TB/s, so it quotes two bandwidths for one "
                  "GPU."))
    per_seq = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, 1)
    true_seq = decode_ceiling_tokens_per_s(bw, w, 1)
    add("s30_3_tokens_per_s_per_sequence", "decode ceiling per unit of batch (bandwidth / size)",
        s.claimed_tokens_per_s_per_sequence, "tokens/s", per_seq,
        f"{s.hbm_bytes_per_s / 1e9:,.0f} GB/s / {s.model_bytes / 1e9:g} GB = {per_seq:.2f} tokens/s "
        "per sequence (also the batch-1 figure of "
        f"~21); with the datasheet {bw / 1e12:.2f} TB/s and the true {fmt.gigabytes(w)} it is "
        f"{true_seq:.1f}.")
    dep1 = deployment(s.model, s.gpu, 1, s.weights, hbm_bytes_per_s=s.hbm_bytes_per_s)
    for b, claimed in zip(s.batches[1:], s.claimed_decode_tokens_per_s[1:], strict=True):
        ceil = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, b)
        fb = fit(dep1, context=CONTEXT_TOKENS, batch=b)
        need_tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS, b)
        add(f"s30_3_decode_batch_{b}", f"decode ceiling at batch {b} on one H100",
            claimed, "tokens/s", ceil,
            f"The formula gives {ceil:,.0f} tokens/s, but one H100 cannot hold it: "
            f"{fmt.gigabytes(fb.weight_bytes)} of weights plus {fmt.gigabytes(fb.kv_bytes)} of KV cache for {b} x "
            f"{CONTEXT_TOKENS:,} tokens ({kv_bytes_per_token(s.model):,.0f} B/token) need "
            f"{fmt.gigabytes(fb.needed_bytes)} vs {fmt.gigabytes(fb.usable_bytes)} usable; batch {b} needs "
            f"TP={need_tp}.",
            fit_result=fb)
    ai = prefill_arithmetic_intensity(s.model, s.prompt_tokens, weights=s.weights)
    ridge = h100.flops_for(s.weights) / bw
    add("s30_3_prefill_intensity", "arithmetic intensity of prefill",
        s.claimed_prefill_intensity, "FLOP/byte", ai,
        "Prefill intensity is not a constant: with 16-bit weights it is about the prompt length, "
        f"{ai:,.0f} FLOP/byte for the chapter's {s.prompt_tokens:,}-token prompt. The conclusion "
        f"stands: it is above the H100 ridge point of {ridge:.0f} FLOP/byte, so prefill is "
        "compute-bound.")
    pre = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params)
    add("s30_3_prefill_tokens_per_s", "prefill ceiling of one H100 for a 70B model",
        s.claimed_prefill_tokens_per_s, "tokens/s", pre,
        f"{s.peak_flops / 1e12:g} TFLOP/s / (2 x {s.n_params:.3g} FLOP/token) = {pre:,.0f} "
        "tokens/s.")
    mfu = sum(s.practical_mfu) / 2
    prac = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, mfu)
    dep2 = deployment(s.model, s.gpu, 2, s.weights)
    real = prefill_tokens_per_s(dep2, s.prompt_tokens, mfu) / 2
    lo_pre, hi_pre = (prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, u)
                      for u in s.practical_mfu)
    add("s30_3_practical_prefill_tokens_per_s", "achievable prefill at 30-40% of peak",
        s.claimed_practical_prefill_tokens_per_s, "tokens/s", prac,
        f"{fmt.percent(mfu)} of {pre:,.0f} = {prac:,.0f} tokens/s "
        f"({lo_pre:,.0f}-{hi_pre:,.0f} across the range). Per GPU this survives the move to "
        f"TP={dep2.tp} that bf16 needs: costlib's roofline with attention and TP traffic gives "
        f"{real:,.0f} tokens/s per H100.")
    t = s.prompt_tokens / prac
    add("s30_3_prefill_time_s", "time to prefill a 1,000-token prompt",
        s.claimed_prefill_time_s, "s", t,
        f"{s.prompt_tokens:,} tokens / {prac:,.0f} tokens/s = {t:.3f} s.")


def _rows_30_4(rows):
    add = _adder(rows, "§30.4")
    s = S30_4
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    small = _smallest(s.model, s.gpu, s.weights)
    best = cheapest_deployment(s.model, s.gpu, s.weights)
    fp8 = _smallest(s.model, s.gpu, "fp8")
    fp8kv = _smallest(s.model, s.gpu, "fp8", "fp8")
    add("s30_4_realistic_tokens_per_s", "realistic decode rate of 70B on one H100 (vLLM)",
        s.claimed_realistic_tokens_per_s, "tokens/s per GPU", small["tokens_per_s_per_gpu"],
        f"In bf16 the weights alone ({fmt.gigabytes(f1.weight_bytes)}) exceed one H100's "
        f"{fmt.gigabytes(f1.usable_bytes)}. On the smallest replica that loads them (TP={small['tp']}, room "
        f"for {small['batch']} sequences of {CONTEXT_TOKENS:,}) costlib gets "
        f"{small['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU; at the cost-optimal "
        f"TP={best['tp']} (batch {best['batch']}) {best['tokens_per_s_per_gpu']:,.0f}. FP8 on one "
        f"H100 gives {fp8['tokens_per_s_per_gpu']:,.0f} (bf16 KV, batch {fp8['batch']}) or "
        f"{fp8kv['tokens_per_s_per_gpu']:,.0f} (fp8 KV, batch {fp8kv['batch']}).",
        fit_result=f1)


def _rows_30_5(rows):
    add = _adder(rows, "§30.5")
    s = S30_5
    mtph = million_tokens_per_hour(s.tokens_per_s)
    usd = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s)
    add("s30_5_usd_per_million", "$2/hour at 1,000 tokens/s realistic, per million",
        s.claimed_usd_per_million, "$/M tokens", usd,
        f"{fmt.usd(s.usd_per_hour)} / {mtph:.2f} M = {fmt.usd(usd)}/M.")
    add("s30_5_usd_per_million_rounded", "the same cost, rounded in the summary sentence",
        s.claimed_usd_per_million_rounded, "$/M tokens", usd,
        f"{fmt.usd(usd)}/M ({usd:.4f}); {s.claimed_usd_per_million_rounded:g} is "
        f"{fmt.percent(relative_error(s.claimed_usd_per_million_rounded, usd))} off.")
    half = usd_per_million_tokens(s.usd_per_hour, s.tokens_per_s, s.utilization)
    add("s30_5_half_utilization", "the same GPU at 50% utilization",
        s.claimed_half_util_usd_per_million, "$/M tokens", half,
        f"{fmt.usd(usd)} / {s.utilization} = {fmt.usd(half)}/M.")
    lo, hi = s.high_batch_tokens_per_s
    hb = usd_per_million_tokens(s.usd_per_hour, (lo + hi) / 2)
    add("s30_5_high_batch_usd_per_million", "cost at 1,500-2,000 tokens/s from bigger batches",
        s.claimed_high_batch_usd_per_million, "$/M tokens", hb,
        f"{fmt.usd(s.usd_per_hour)} over {lo:,.0f}-{hi:,.0f} tokens/s is "
        f"{fmt.usd(usd_per_million_tokens(s.usd_per_hour, hi))}-"
        f"{fmt.usd(usd_per_million_tokens(s.usd_per_hour, lo))}/M, "
        f"{fmt.usd(hb)} at the midpoint.")
    # speed-ups from quantization: each precision on its cost-optimal H100 deployment
    bf = cheapest_deployment(s.model, s.gpu, "bf16", usd_per_gpu_hour=s.usd_per_hour)
    f8 = cheapest_deployment(s.model, s.gpu, "fp8", usd_per_gpu_hour=s.usd_per_hour)
    f8kv = cheapest_deployment(s.model, s.gpu, "fp8", "fp8", usd_per_gpu_hour=s.usd_per_hour)
    i4 = cheapest_deployment(s.model, s.gpu, "int4", usd_per_gpu_hour=s.usd_per_hour)
    sm_bf = _smallest(s.model, s.gpu, "bf16", usd_per_gpu_hour=s.usd_per_hour)
    sm_i4 = _smallest(s.model, s.gpu, "int4", usd_per_gpu_hour=s.usd_per_hour)
    sm_f8 = _smallest(s.model, s.gpu, "fp8", usd_per_gpu_hour=s.usd_per_hour)

    def dep_txt(d, name):
        return f"{name} {fmt.usd(d['usd_per_million'])}/M (TP={d['tp']}, batch {d['batch']})"

    r_i4 = bf["usd_per_million"] / i4["usd_per_million"]
    add("s30_5_int4_speedup", "throughput gain of AWQ INT4 over bf16 for 70B",
        s.claimed_int4_speedup, "x", r_i4,
        f"Cost-optimal H100 deployments: {dep_txt(bf, 'bf16')} vs {dep_txt(i4, 'INT4')} = "
        f"{_x(r_i4)}. Once bf16 gets enough GPUs for a large batch, the KV cache (not shrunk by "
        "weight quantization) dominates the bytes read. Against the smallest bf16 replica "
        f"(TP={sm_bf['tp']}, batch {sm_bf['batch']}) INT4 on TP={sm_i4['tp']} looks "
        f"{_x(sm_bf['usd_per_million'] / sm_i4['usd_per_million'])} cheaper.")
    r_f8 = bf["usd_per_million"] / f8["usd_per_million"]
    r_f8kv = bf["usd_per_million"] / f8kv["usd_per_million"]
    add("s30_5_fp8_speedup", "throughput gain of FP8 over bf16 on H100 for 70B",
        s.claimed_fp8_speedup, "x", r_f8,
        f"Cost-optimal: {dep_txt(bf, 'bf16')} vs {dep_txt(f8, 'FP8')} = {_x(r_f8)} with a bf16 KV "
        f"cache; quantizing the KV cache to fp8 too gives {_x(r_f8kv)}. On a single H100, FP8 "
        f"weights leave room for only {sm_f8['batch']} sequences "
        f"({fmt.usd(sm_f8['usd_per_million'])}/M).")
    d1 = deployment(s.model, s.gpu, 1, "fp8")
    d2 = deployment(s.model, s.gpu, 2, "fp8")
    b1 = _best_batch(d1)
    b2 = _best_batch(d2)
    c1 = decode_usd_per_million(d1, s.usd_per_hour, b1, CONTEXT_TOKENS)
    c2_same = decode_usd_per_million(d2, s.usd_per_hour, b1, CONTEXT_TOKENS)
    c2_max = decode_usd_per_million(d2, s.usd_per_hour, b2, CONTEXT_TOKENS)
    add("s30_5_tp2_cost_same_batch", "$/M of TP=2 vs TP=1 (70B FP8, H100) at the same batch",
        s.claimed_tp2_cost_ratio, "ratio", c2_same / c1,
        f"At batch {b1} (the most one H100 holds): TP=1 {fmt.usd(c1)}/M, TP=2 {fmt.usd(c2_same)}/M; "
        "twice the GPUs, about half the step time, plus all-reduce time.")
    add("s30_5_tp2_cost_max_batch", "$/M of TP=2 vs TP=1 (70B FP8, H100) at each one's max batch",
        s.claimed_tp2_cost_ratio, "ratio", c2_max / c1,
        "TP=2 doubles memory, and the spare "
        f"{fmt.gigabytes(2 * usable_bytes(s.gpu) - weight_bytes(s.model, 'fp8'))} holds {b2} sequences "
        f"instead of {b1}: {fmt.usd(c2_max)}/M vs {fmt.usd(c1)}/M. Cost per token is similar only if the "
        "batch is held fixed; a memory-starved TP=1 replica is the expensive one.")
    table_price = {r.gpu: r.usd_per_hour for r in S30_8.table}
    for r in s.cost_table:
        price = s.usd_per_hour if r.gpu == _H100 else table_price[r.gpu]
        dep = deployment(s.model, r.gpu, r.n_gpus, r.weights)
        f = fit(dep, context=CONTEXT_TOKENS)
        label = f"70B {r.weights} on one {get_gpu(r.gpu).id} at {fmt.percent(r.utilization)} utilization"
        if f.fits:
            b = _best_batch(dep)
            val = decode_usd_per_million(dep, price, b, CONTEXT_TOKENS, r.utilization)
            kvdep = deployment(s.model, r.gpu, r.n_gpus, r.weights, "fp8")
            bk = _best_batch(kvdep)
            kv_val = decode_usd_per_million(kvdep, price, bk, CONTEXT_TOKENS, r.utilization)
            bound = decode_step(dep, b, CONTEXT_TOKENS).bound
            why = (f"Fits ({fmt.gigabytes(f.weight_bytes)} weights, {fmt.gigabytes(f.usable_bytes - f.weight_bytes)} "
                   f"left for KV: {b} sequences of {CONTEXT_TOKENS:,}). costlib's roofline at "
                   f"batch {b} ({bound}-bound), {fmt.usd(price)}/hour and {fmt.percent(r.utilization)} "
                   f"utilization: {fmt.usd(val)}/M; with an fp8 KV cache (batch {bk}) "
                   f"{fmt.usd(kv_val)}/M.")
            add(f"s30_5_table_{r.key}", f"table: {label}", r.usd_per_million, "$/M tokens",
                val, why, fit_result=f)
        else:
            sm = _smallest(s.model, r.gpu, r.weights, usd_per_gpu_hour=price,
                           utilization=r.utilization)
            best = cheapest_deployment(s.model, r.gpu, r.weights, usd_per_gpu_hour=price)
            own = usd_per_million_tokens(price, s.tokens_per_s, r.utilization)
            why = (f"Cannot load: {fmt.gigabytes(f.weight_bytes)} of weights vs {fmt.gigabytes(f.usable_bytes)} "
                   f"usable. On the smallest replica that can (TP={sm['tp']}, batch {sm['batch']}) "
                   f"costlib gets {fmt.usd(sm['usd_per_million'])}/M at this utilization; at the "
                   f"cost-optimal TP={best['tp']} (batch {best['batch']}) "
                   f"{fmt.usd(cost_at_utilization(best['usd_per_million'], r.utilization))}/M. Even "
                   f"the chapter's own {s.tokens_per_s:,.0f} tokens/s at {fmt.percent(r.utilization)} gives "
                   f"{fmt.usd(own)}/M.")
            add(f"s30_5_table_{r.key}", f"table: {label}", r.usd_per_million, "$/M tokens",
                sm["usd_per_million"], why, fit_result=f)
    for a in s.api_table:
        prices = [get_api_price(i)["usd_per_million_output"] for i in a.api_ids]
        val = prices[0]
        names = ", ".join(f"{get_api_price(i)['provider']} {fmt.usd(p)}"
                          for i, p in zip(a.api_ids, prices, strict=True))
        extra = ""
        if a.key == "haiku":
            h35 = get_api_price("claude-haiku-3.5")["usd_per_million_output"]
            extra = f" Claude 3.5 Haiku costs {fmt.usd(h35)}/M."
        if a.key == "llama70b_hosted":
            extra = (" DeepInfra charges "
                     f"{fmt.usd(get_api_price('deepinfra-llama-3.3-70b')['usd_per_million_output'])}/M.")
        chapter = (a.usd_per_million_low, a.usd_per_million_high)
        if a.usd_per_million_low == a.usd_per_million_high:
            chapter = a.usd_per_million_low
        add(f"s30_5_api_{a.key}", f"API output price: {get_api_price(a.api_ids[0])['model']}",
            chapter, "$/M output tokens", val,
            f"Catalog (providers' pricing pages, {get_api_price(a.api_ids[0])['as_of']}): "
            f"{names}.{extra}")


def _rows_30_6(rows):
    add = _adder(rows, "§30.6")
    s = S30_6
    pre_tps = prefill_ceiling_tokens_per_s(s.peak_flops, s.n_params, s.mfu)
    pre_tph = pre_tps * 3600
    add("s30_6_prefill_tokens_per_hour", "prefill tokens per hour of one H100 at 40% MFU",
        s.claimed_prefill_tokens_per_hour, "tokens/hour", pre_tph,
        f"{s.peak_flops:.4g} x 3,600 x {s.mfu} / (2 x {s.n_params:.3g}) = {pre_tph:.4g} = "
        f"{_num(pre_tph)} tokens per hour"
        + _slip(s.claimed_prefill_tokens_per_hour, pre_tph))
    pre_usd = usd_per_million_tokens(s.usd_per_hour, pre_tps)
    add("s30_6_prefill_usd_per_million", "prefill cost per million tokens at $2/hour",
        s.claimed_prefill_usd_per_million, "$/M tokens", pre_usd,
        f"{fmt.usd(s.usd_per_hour)} / {pre_tph / 1e6:.3g} M tokens = {fmt.usd(pre_usd)}/M "
        f"({pre_usd:.4f}). The dollar figure follows from {_num(pre_tph)} tokens per hour; "
        f"{_num(s.claimed_prefill_tokens_per_hour)} would give "
        f"${s.usd_per_hour / (s.claimed_prefill_tokens_per_hour / 1e6):.2g}/M.")
    dec_tps = decode_ceiling_tokens_per_s(s.hbm_bytes_per_s, s.model_bytes, s.batch) * s.mbu
    dec_tph = dec_tps * 3600
    add("s30_6_decode_tokens_per_hour", "decode tokens per hour at 70% MBU and batch 128",
        s.claimed_decode_tokens_per_hour, "tokens/hour", dec_tph,
        f"{s.hbm_bytes_per_s:.3g} x 3,600 x {s.mbu} x {s.batch} / {s.model_bytes:.3g} = "
        f"{dec_tph:.4g} = {_num(dec_tph)} tokens per hour"
        + _slip(s.claimed_decode_tokens_per_hour, dec_tph))
    dec_usd = usd_per_million_tokens(s.usd_per_hour, dec_tps)
    add("s30_6_decode_usd_per_million", "decode cost per million tokens at $2/hour",
        s.claimed_decode_usd_per_million, "$/M tokens", dec_usd,
        f"{fmt.usd(s.usd_per_hour)} / {dec_tph / 1e6:.3g} M tokens = {fmt.usd(dec_usd)}/M "
        f"({dec_usd:.4f}).")
    dep = deployment(s.model, s.gpu, 1, s.weights)
    fb = fit(dep, context=CONTEXT_TOKENS, batch=s.batch)
    need = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS, s.batch)
    d_need = deployment(s.model, s.gpu, need, s.weights)
    real = decode_usd_per_million(d_need, s.usd_per_hour, s.batch, CONTEXT_TOKENS)
    add("s30_6_decode_batch_128", "batch of 128 sequences for 70B bf16 on one H100",
        s.batch, "sequences", fb.max_batch,
        f"KV cache for {s.batch} x {CONTEXT_TOKENS:,} tokens is {fmt.gigabytes(fb.kv_bytes)}, on top of "
        f"{fmt.gigabytes(fb.weight_bytes)} of weights, vs {fmt.gigabytes(fb.usable_bytes)} usable: one H100 holds no "
        f"sequence at all. Batch {s.batch} needs TP={need}, where costlib's roofline gives "
        f"{fmt.usd(real)}/M.",
        fit_result=fb)
    ratios = {i: get_api_price(i)["usd_per_million_output"]
              / get_api_price(i)["usd_per_million_input"]
              for i in ("gpt-4o", "gpt-4o-mini", "claude-sonnet", "claude-haiku-3")}
    add("s30_6_input_discount_prices", "OpenAI's output/input price ratio",
        s.claimed_input_discount, "x", max(ratios["gpt-4o"], ratios["gpt-4o-mini"]),
        f"Catalog output/input ratios: GPT-4o {_x(ratios['gpt-4o'])}, GPT-4o mini "
        f"{_x(ratios['gpt-4o-mini'])} (Anthropic: Sonnet {_x(ratios['claude-sonnet'])}, Haiku 3 "
        f"{_x(ratios['claude-haiku-3'])}).")
    r = dec_usd / pre_usd
    best = cheapest_deployment(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    pre_real = prefill_usd_per_million(best["deployment"], s.usd_per_hour, S30_3.prompt_tokens)
    add("s30_6_input_discount_from_math", "input discount explained by this section's math",
        s.claimed_input_discount, "x", r,
        f"This section's own numbers give decode {fmt.usd(dec_usd)}/M over prefill {fmt.usd(pre_usd)}/M "
        f"= {_x(r)}, below 2x. On the cost-optimal bf16 deployment (TP={best['tp']}, batch "
        f"{best['batch']}) costlib has decode {fmt.usd(best['usd_per_million'])}/M vs prefill "
        f"{fmt.usd(pre_real)}/M = {_x(best['usd_per_million'] / pre_real)}.",
        override=("inconsistent", "The section offers its own math as the reason for a "
                  f"{s.claimed_input_discount[0]:g}-{s.claimed_input_discount[1]:g}x gap, but that "
                  "math yields a smaller one."))


def _rows_30_7(rows):
    add = _adder(rows, "§30.7")
    s = S30_7
    floor = self_host_monthly_usd(0, S30_1.tokens_per_s, s.usd_per_hour)
    tp = min_tp(s.model, s.gpu, s.weights, "bf16", CONTEXT_TOKENS)
    add("s30_7_monthly_floor", "one reserved H100 for a month", s.claimed_monthly_usd,
        "$/month", floor,
        f"{fmt.usd(s.usd_per_hour)}/hour x {HOURS_PER_MONTH} hours ({DAYS_PER_MONTH} days) = "
        f"{fmt.usd(floor)}; bf16 70B needs {tp} "
        f"H100s, so {fmt.usd(floor * tp)}.")
    cross = crossover_tokens_per_month(s.api_usd_per_million, s.usd_per_hour, gpus=1)
    cross2 = crossover_tokens_per_month(s.api_usd_per_million, s.usd_per_hour, gpus=tp)
    cap = monthly_capacity_tokens(S30_1.tokens_per_s)
    add("s30_7_crossover", "monthly volume where self-hosting 70B starts to beat the API",
        s.claimed_crossover_tokens_per_month, "tokens/month", cross,
        f"The fixed {fmt.usd(floor)}/month bill equals the {fmt.usd(s.api_usd_per_million)}/M API at "
        f"{fmt.usd(floor)} / {s.api_usd_per_million} per M = {_num(cross)} tokens/month, "
        f"{cross / s.claimed_crossover_tokens_per_month[1]:.1f}x the top of the stated range; with "
        f"the {tp} GPUs bf16 needs, {_num(cross2)}. (One GPU at {S30_1.tokens_per_s:,.0f} "
        "tokens/s makes at most "
        f"{_num(cap)} a month.)",
        override=("inconsistent", "The section's own figure uses exactly these two prices, "
                  "which put the crossover well above "
                  f"{_num_range(*s.claimed_crossover_tokens_per_month)}."))
    below = s.claimed_api_cheaper_below_tokens_per_month
    api_bill = below / 1e6 * s.api_usd_per_million
    add("s30_7_api_cheaper_below", "volume below which the API is almost always cheaper",
        below, "tokens/month", cross,
        f"True, and conservative: {_num(below)} tokens cost {fmt.usd(api_bill)} through the API vs "
        f"the {fmt.usd(floor)} GPU floor, and the API stays cheaper up to {_num(cross)}.",
        verdict="correct" if below <= cross else "wrong", rule="bound (claim <= crossover)")
    api = get_api_price("together-llama-3.3-70b")["usd_per_million_output"]
    add("s30_7_api_usd_per_million", "hosted Llama 70B API price in the crossover figure",
        s.api_usd_per_million, "$/M tokens", api,
        f"Together AI lists Llama 3.3 70B at {fmt.usd(api)}/M.")


def _rows_30_8(rows):
    add = _adder(rows, "§30.8")
    s = S30_8
    prices = {r.gpu: r.usd_per_hour for r in s.table}
    h100_row = next(r for r in s.table if r.gpu == _H100)
    for r in s.table:
        g = get_gpu(r.gpu)
        tag = g.id.lower().replace("-sxm", "").replace("-80gb", "").replace("-", "")
        add(f"s30_8_{tag}_hbm_gb", f"{g.id} memory", r.hbm_gb, "GB", g.hbm_gb,
            f"Datasheet: {g.hbm_gb:.0f} GB ({g.source.split('(')[0].split(':')[0].strip()})."
            + (f" {r.hbm_gb:g} GB is the B200's announced HBM3e capacity; NVIDIA's HGX B200 "
               f"datasheet lists {8 * g.hbm_gb / 1e3:g} TB for 8 GPUs, {g.hbm_gb:g} GB each."
               if g.id == "B200" else ""))
        bw_why = (f"Datasheet: {g.hbm_tb_per_s:g} TB/s "
                  f"({g.source.split('(')[0].split(':')[0].strip()}).")
        if g.id == _H100:
            add(f"s30_8_{tag}_tb_per_s", f"{g.id} bandwidth", r.hbm_tb_per_s, "TB/s",
                g.hbm_tb_per_s, bw_why,
                override=("inconsistent", f"Same rounded {r.hbm_tb_per_s:g} TB/s as §30.3, while "
                          f"concept check 4 uses {CQ4.h100_hbm_bytes_per_s / 1e12:g}."))
        else:
            add(f"s30_8_{tag}_tb_per_s", f"{g.id} bandwidth", r.hbm_tb_per_s, "TB/s",
                g.hbm_tb_per_s, bw_why)
        od_lo = gpu_usd_per_hour(g.id, "on_demand", "low")
        od_hi = gpu_usd_per_hour(g.id, "on_demand", "high")
        rs_lo, rs_hi = tier_usd_per_hour(od_lo, "reserved"), tier_usd_per_hour(od_hi, "reserved")
        rs_mid = (rs_lo + rs_hi) / 2
        in_reserved = judge_range(rs_lo, rs_hi, r.usd_per_hour) == "correct"
        in_on_demand = judge_range(od_lo, od_hi, r.usd_per_hour) == "correct"
        basis = "reserved" if in_reserved else "on-demand" if in_on_demand else "neither tier"
        why = (f"§30.2 lists {_usd_range(od_lo, od_hi)} on demand, so reserved (half) is "
               f"{_usd_range(rs_lo, rs_hi)}; {fmt.usd(r.usd_per_hour)} matches the {basis} price.")
        if in_reserved:
            verdict = "correct"
        elif in_on_demand:
            verdict = "inconsistent"
            why += (f" The H100 row uses a reserved price ({fmt.usd(h100_row.usd_per_hour)}), so this "
                    f"row is on a different basis; at the reserved {fmt.usd(rs_mid)} each of its $/M "
                    f"figures scales by {rs_mid / r.usd_per_hour:.2f}.")
        else:
            verdict = judge_value(r.usd_per_hour, rs_mid)
        add(f"s30_8_{tag}_usd_per_hour", f"{g.id} hourly price in the comparison",
            r.usd_per_hour, "$/GPU-hour", rs_mid, why, verdict=verdict, rule="price basis")
        best = cheapest_deployment(s.model, g.id, s.weights, usd_per_gpu_hour=r.usd_per_hour)
        sm = _smallest(s.model, g.id, s.weights, usd_per_gpu_hour=r.usd_per_hour)
        why = (f"bf16 70B needs TP={sm['tp']} on {g.id} (batch {sm['batch']} at {CONTEXT_TOKENS:,} "
               f"tokens: {fmt.usd(sm['usd_per_million'])}/M); the cost-optimal TP={best['tp']} runs "
               f"batch {best['batch']} for {fmt.usd(best['usd_per_million'])}/M at "
               f"{fmt.usd(r.usd_per_hour)}/GPU-hour.")
        if not in_reserved and in_on_demand:
            alt = cheapest_deployment(s.model, g.id, s.weights, usd_per_gpu_hour=rs_mid)
            why += f" At the reserved {fmt.usd(rs_mid)}: {fmt.usd(alt['usd_per_million'])}/M."
        add(f"s30_8_{tag}_usd_per_million", f"{g.id}: $/M for 70B decode-heavy serving",
            r.usd_per_million, "$/M tokens", best["usd_per_million"], why)
    h100, b200, h200 = get_gpu(_H100), get_gpu("B200"), get_gpu("H200-SXM")
    r_bw = b200.hbm_bytes_per_s / h100.hbm_bytes_per_s
    add("s30_8_b200_bandwidth_ratio", "B200 bandwidth relative to H100",
        s.claimed_b200_bandwidth_ratio, "x", r_bw,
        f"{b200.hbm_tb_per_s:g} / {h100.hbm_tb_per_s:g} TB/s = {_x(r_bw)} (with the chapter's 3 "
        f"TB/s: {_x(b200.hbm_tb_per_s / h100_row.hbm_tb_per_s)}).")
    r_cost = prices["B200"] / prices[_H100]
    od = gpu_usd_per_hour("B200", "on_demand") / gpu_usd_per_hour(_H100, "on_demand")
    add("s30_8_b200_cost_ratio", "B200 hourly price relative to H100",
        s.claimed_b200_cost_ratio, "x", r_cost,
        f"Table prices {fmt.usd(prices['B200'])} / {fmt.usd(prices[_H100])} = {_x(r_cost)}; §30.2's "
        f"on-demand midpoints give {_x(od)}.")
    cb = cheapest_deployment(s.model, "B200", s.weights, usd_per_gpu_hour=prices["B200"])
    ch = cheapest_deployment(s.model, _H100, s.weights, usd_per_gpu_hour=prices[_H100])
    b_row = next(r for r in s.table if r.gpu == "B200")
    add("s30_8_b200_vs_h100_per_token", "B200 $/M relative to H100 (\"similar\")",
        b_row.usd_per_million / h100_row.usd_per_million, "ratio",
        cb["usd_per_million"] / ch["usd_per_million"],
        f"Cost-optimal bf16: B200 {fmt.usd(cb['usd_per_million'])}/M (TP={cb['tp']}) vs H100 "
        f"{fmt.usd(ch['usd_per_million'])}/M (TP={ch['tp']}); the chapter's table gives "
        f"{fmt.usd(b_row.usd_per_million)} / {fmt.usd(h100_row.usd_per_million)}.")
    gain = h200.hbm_bytes_per_s / h100.hbm_bytes_per_s - 1
    add("s30_8_h200_extra_bandwidth", "H200 bandwidth advantage over H100",
        s.claimed_h200_extra_bandwidth, "fraction", gain,
        f"{h200.hbm_tb_per_s:g} / {h100.hbm_tb_per_s:g} = {1 + gain:.3f}, i.e. {fmt.percent(gain)} more "
        f"(the answer concept check 4 wants); {fmt.percent(s.claimed_h200_extra_bandwidth)} comes from "
        f"dividing by the rounded {h100_row.hbm_tb_per_s:g} TB/s "
        f"({h200.hbm_tb_per_s / h100_row.hbm_tb_per_s:.2f}).")
    f_h200 = fit(deployment(s.model, "H200-SXM", 1, s.weights), context=CONTEXT_TOKENS)
    tp_h200 = min_tp(s.model, "H200-SXM", s.weights, "bf16", CONTEXT_TOKENS)
    h2 = _smallest(s.model, "H200-SXM", s.weights, usd_per_gpu_hour=prices["H200-SXM"])
    h1x2 = _smallest(s.model, _H100, s.weights, usd_per_gpu_hour=prices[_H100])
    add("s30_8_bf16_fits_one_h200", "70B bf16 fits on a single H200", 1, "H200s per replica",
        tp_h200,
        f"{fmt.gigabytes(f_h200.weight_bytes)} of weights vs {fmt.gigabytes(f_h200.usable_bytes)} usable "
        f"({_usable_rule(h200)}): short by {fmt.gigabytes(f_h200.shortfall_bytes)} with one "
        f"{CONTEXT_TOKENS:,}-token sequence. "
        + (f"The weights exceed even the whole {h200.hbm_gb:.0f} GB, leaving nothing for KV cache, "
           if f_h200.weight_bytes > h200.hbm_bytes else
           f"They would squeeze into the raw {h200.hbm_gb:.0f} GB but not into what a serving "
           "engine can use, ")
        + f"so it takes TP={tp_h200}. Two H200s still beat two "
        f"H100s per token: {fmt.usd(h2['usd_per_million'])}/M vs {fmt.usd(h1x2['usd_per_million'])}/M, "
        "thanks to KV room.",
        fit_result=f_h200)
    tp_h100 = min_tp(s.model, _H100, s.weights, "bf16", CONTEXT_TOKENS)
    add("s30_8_bf16_needs_two_h100", "70B bf16 needs two H100s", 2, "H100s per replica", tp_h100,
        f"{fmt.gigabytes(weight_bytes(s.model, s.weights))} of weights vs {fmt.gigabytes(usable_bytes(_H100))} per "
        f"H100: TP={tp_h100} is the smallest that fits.")
    w8 = weight_bytes(s.model, "fp8")
    add("s30_8_fp8_weights_gb", "size of 70B weights in FP8", s.claimed_fp8_weights_gb, "GB",
        w8 / 1e9,
        f"{_params(s.model)} x 1 byte = {fmt.gigabytes(w8)}; {s.claimed_fp8_weights_gb:g} GB is the 4-bit "
        f"size ({fmt.gigabytes(weight_bytes(s.model, 'int4'))}).")
    f8 = fit(deployment(s.model, _H100, 1, "fp8"), context=CONTEXT_TOKENS)
    f8kv = fit(deployment(s.model, _H100, 1, "fp8", "fp8"), context=CONTEXT_TOKENS)
    add("s30_8_fp8_fits_one_h100", "70B FP8 fits on a single H100", 1, "H100s per replica",
        min_tp(s.model, _H100, "fp8", "bf16", CONTEXT_TOKENS),
        f"{fmt.gigabytes(f8.weight_bytes)} of weights in {fmt.gigabytes(f8.usable_bytes)} usable leaves "
        f"{fmt.gigabytes(f8.usable_bytes - f8.weight_bytes)} for KV: {f8.max_batch} sequences of "
        f"{CONTEXT_TOKENS:,} tokens with a bf16 KV cache, {f8kv.max_batch} with "
        "fp8 KV.", fit_result=f8)


def _rows_30_9(rows):
    add = _adder(rows, "§30.9")
    s = S30_9
    big = cheapest_deployment(s.large_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    small = cheapest_deployment(s.small_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    r = big["usd_per_million"] / small["usd_per_million"]
    wr = weight_bytes(s.large_model, s.weights) / weight_bytes(s.small_model, s.weights)
    kr = kv_bytes_per_token(s.large_model) / kv_bytes_per_token(s.small_model)
    sm_big = _smallest(s.large_model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    nk_small, nk_big = get_model(s.small_model).n_kv_heads, get_model(s.large_model).n_kv_heads
    kv_heads = (f"both have {nk_big} KV heads" if nk_small == nk_big else
                f"{nk_small} vs {nk_big} KV heads")
    add("s30_9_small_model_cost_ratio", "how much cheaper an ~8B model is than a 70B one",
        s.claimed_cost_ratio, "x", r,
        f"Cost-optimal H100 deployments in bf16: 70B {fmt.usd(big['usd_per_million'])}/M "
        f"(TP={big['tp']}, batch {big['batch']}) vs {get_model(s.small_model).name} "
        f"{fmt.usd(small['usd_per_million'])}/M (TP={small['tp']}, batch {small['batch']}) = {_x(r)}. "
        f"Weights differ {_x(wr)} but KV per token only {_x(kr)} ({kv_heads}), and at large "
        f"batches KV reads dominate. Against the smallest 70B replica (TP={sm_big['tp']}, batch "
        f"{sm_big['batch']}) the gap is "
        f"{_x(sm_big['usd_per_million'] / small['usd_per_million'])}.")


def _rows_30_10(rows):
    add = _adder(rows, "§30.10")
    s = S30_10
    p = capacity_plan(s.users, s.sessions_per_day, s.tokens_per_session, s.tokens_per_s_per_gpu,
                      peak_factor=s.peak_factor, headroom=s.headroom,
                      usd_per_gpu_hour=s.usd_per_hour,
                      days_per_month=s.days_per_month)
    add("s30_10_tokens_per_day", "output tokens per day for the 1M-user service",
        s.claimed_tokens_per_day, "tokens/day", p.tokens_per_day,
        f"{s.users:,} users x {s.sessions_per_day} sessions x {s.tokens_per_session} tokens = "
        f"{_num(p.tokens_per_day)}.")
    add("s30_10_avg_tokens_per_s", "average output rate", s.claimed_avg_tokens_per_s,
        "tokens/s", p.avg_tokens_per_s,
        f"{_num(p.tokens_per_day)} / 86,400 s = {p.avg_tokens_per_s:,.0f}.")
    add("s30_10_peak_tokens_per_s", "peak output rate at 3x the average",
        s.claimed_peak_tokens_per_s, "tokens/s", p.peak_tokens_per_s,
        f"{p.avg_tokens_per_s:,.0f} x {s.peak_factor:g} = {p.peak_tokens_per_s:,.0f}.")
    f1 = fit(deployment(s.model, s.gpu, 1, s.weights), context=CONTEXT_TOKENS)
    sm = _smallest(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    best = cheapest_deployment(s.model, s.gpu, s.weights, usd_per_gpu_hour=s.usd_per_hour)
    add("s30_10_tokens_per_s_per_gpu", "per-H100 decode rate for 70B bf16, one GPU per replica",
        s.tokens_per_s_per_gpu, "tokens/s per GPU", sm["tokens_per_s_per_gpu"],
        "The plan sizes the fleet in single-H100 replicas, which cannot hold "
        f"{fmt.gigabytes(f1.weight_bytes)} of weights. With TP={sm['tp']} replicas (batch {sm['batch']}) "
        f"costlib gets {sm['tokens_per_s_per_gpu']:,.0f} tokens/s per GPU; with TP={best['tp']} "
        f"(batch {best['batch']}) {best['tokens_per_s_per_gpu']:,.0f}, so "
        f"{s.tokens_per_s_per_gpu:,.0f} per GPU "
        + ("is reachable, but only on multi-GPU replicas."
           if best["tokens_per_s_per_gpu"] >= s.tokens_per_s_per_gpu else
           "is out of reach even there."),
        fit_result=f1)
    add("s30_10_gpus_at_peak", "GPUs needed at peak", s.claimed_gpus_at_peak, "GPUs",
        p.gpus_at_peak,
        f"{p.peak_tokens_per_s:,.0f} / {s.tokens_per_s_per_gpu:,.0f} = {p.gpus_at_peak:.1f} (the "
        "chapter divides the rounded 175k).")
    add("s30_10_gpus", "fleet with 30% headroom", s.claimed_gpus, "GPUs", p.gpus,
        f"{p.gpus_at_peak:.1f} x {1 + s.headroom:g} = {p.gpus_at_peak * (1 + s.headroom):.1f}, "
        f"rounded up to {p.gpus}.")
    add("s30_10_monthly_usd", "monthly bill of the fleet", s.claimed_monthly_usd, "$/month",
        p.monthly_usd,
        f"{p.gpus} x {fmt.usd(s.usd_per_hour)} x 24 x {s.days_per_month} = {fmt.usd(p.monthly_usd)}.")
    add("s30_10_usd_per_million", "effective cost per million output tokens",
        s.claimed_usd_per_million, "$/M tokens", p.usd_per_million_tokens,
        f"{fmt.usd(p.monthly_usd)} / ({_num(p.tokens_per_day)} x {s.days_per_month} / 1M) = "
        f"{fmt.usd(p.usd_per_million_tokens)}/M ({p.usd_per_million_tokens:.4f}).")
    implied = s.claimed_usd_per_million / S30_5.claimed_usd_per_million
    factor = s.peak_factor * (1 + s.headroom)
    add("s30_10_peak_explains_gap", "why the rubric's $/M exceeds §30.5's: sizing for peak",
        implied, "x", factor,
        f"{fmt.usd(s.claimed_usd_per_million)} / {fmt.usd(S30_5.claimed_usd_per_million)} = "
        f"{_x(implied)}, which is exactly the peak factor {s.peak_factor:g} x headroom "
        f"{1 + s.headroom:g} = {_x(factor)}: the fleet runs at {fmt.percent(1 / factor)} average "
        "utilization.")
    api = S30_7.api_usd_per_million
    monthly_tokens = p.tokens_per_day * s.days_per_month
    add("s30_10_vs_api", "the rubric's self-host $/M relative to the §30.7 API price",
        s.claimed_usd_per_million / api, "ratio", p.usd_per_million_tokens / api,
        f"{fmt.usd(p.usd_per_million_tokens)}/M vs the {fmt.usd(api)}/M hosted-Llama API: self-hosting "
        f"costs {_x(p.usd_per_million_tokens / api)} as much at {_num(monthly_tokens)} "
        f"tokens/month, {monthly_tokens / S30_7.claimed_crossover_tokens_per_month[1]:,.0f}x past "
        "the top of §30.7's crossover.",
        override=("inconsistent", "§30.7 says self-hosting wins above "
                  f"{_num_range(*S30_7.claimed_crossover_tokens_per_month)} tokens/month; "
                  "the chapter's own worked plan, far above that volume, is dearer than the API "
                  "it quotes."))


def _rows_30_11(rows):
    add = _adder(rows, "§30.11")
    s = S30_11
    add("s30_11_utilization", "realistic utilization band (takeaway 4)", s.claimed_utilization,
        "fraction", MBU_RANGE[1],
        f"§30.4 gives MFU {MFU_RANGE[0]:.2f}-{MFU_RANGE[1]:.2f} for prefill and MBU "
        f"{MBU_RANGE[0]:.2f}-{MBU_RANGE[1]:.2f} for decode: together "
        f"{MFU_RANGE[0]:.2f}-{MBU_RANGE[1]:.2f}; the takeaway trims the top.")
    usd = usd_per_million_tokens(S30_5.usd_per_hour, S30_5.tokens_per_s)
    r4o = S30_1.gpt4o_usd_per_million_output / usd
    rs = S30_1.sonnet_usd_per_million_output / usd
    add("s30_11_cheaper_than_api", "self-hosting vs frontier API, cost ratio (takeaway 5)",
        s.claimed_cheaper_than_api, "x", r4o,
        f"At §30.5's realistic {fmt.usd(usd)}/M: GPT-4o {_x(r4o)}, Claude Sonnet {_x(rs)} (above the "
        "range); §30.5's figure caption claims a wider gap for the same comparison.")
    cross = crossover_tokens_per_month(S30_7.api_usd_per_million, S30_7.usd_per_hour, gpus=1)
    add("s30_11_crossover", "self-host vs API crossover volume (takeaway 6)",
        s.claimed_crossover_tokens_per_month, "tokens/month", cross,
        f"Same numbers as §30.7: {fmt.usd(S30_7.usd_per_hour * 720)}/month / "
        f"{fmt.usd(S30_7.api_usd_per_million)}/M = {_num(cross)} tokens/month.",
        override=("inconsistent",
                  "The chapter's own floor and API price put it above the stated range."))
    bf = cheapest_deployment(_70B, _H100, "bf16", usd_per_gpu_hour=2.0)
    f8 = cheapest_deployment(_70B, _H100, "fp8", usd_per_gpu_hour=2.0)
    i4 = cheapest_deployment(_70B, _H100, "int4", usd_per_gpu_hour=2.0)
    f8kv = cheapest_deployment(_70B, _H100, "fp8", "fp8", usd_per_gpu_hour=2.0)
    cut = max(bf["usd_per_million"] / f8["usd_per_million"],
              bf["usd_per_million"] / i4["usd_per_million"])
    add("s30_11_quantization_cut", "cost cut from FP8 or INT4 weights (takeaway 7)",
        s.claimed_quantization_cut, "x", cut,
        f"Cost-optimal 70B on H100s: bf16 {fmt.usd(bf['usd_per_million'])}/M, FP8 "
        f"{fmt.usd(f8['usd_per_million'])}/M ({_x(bf['usd_per_million'] / f8['usd_per_million'])}), "
        f"INT4 {fmt.usd(i4['usd_per_million'])}/M "
        f"({_x(bf['usd_per_million'] / i4['usd_per_million'])}); weight-only quantization leaves "
        "the KV cache as large as before. FP8 weights with an fp8 KV cache: "
        f"{fmt.usd(f8kv['usd_per_million'])}/M "
        f"({_x(bf['usd_per_million'] / f8kv['usd_per_million'])}).")


def _rows_cq(rows):
    add = _adder(rows, "CQ4")
    h100, h200 = get_gpu(_H100), get_gpu("H200-SXM")
    add("cq4_h100_tb_per_s", "H100 bandwidth used by concept check 4",
        CQ4.h100_hbm_bytes_per_s / 1e12,
        "TB/s", h100.hbm_tb_per_s,
        f"Matches the datasheet ({h100.hbm_tb_per_s:g} TB/s); the H200/H100 ratio is "
        f"{h200.hbm_bytes_per_s / h100.hbm_bytes_per_s:.3f}.")


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    rows: list = []
    for build in (_rows_30_1, _rows_30_2, _rows_30_3, _rows_30_4, _rows_30_5, _rows_30_6,
                  _rows_30_7, _rows_30_8, _rows_30_9, _rows_30_10, _rows_30_11, _rows_cq):
        build(rows)
    df = pd.DataFrame(rows, columns=COLUMNS)
    dup = df["id"][df["id"].duplicated()].tolist()
    if dup:
        raise RuntimeError(f"duplicate claim ids: {dup}")
    return df


# ---------------------------------------------------------------- public access

def claims(section=None) -> pd.DataFrame:
    """Every numeric claim of the chapter re-derived with costlib and judged (§30.1-§30.11).

    ``section`` may be "30.8", "§30.8" or "CQ4". Columns: see ``COLUMNS`` and the module docstring.
    """
    df = _table().copy()
    if section is None:
        return df
    if not isinstance(section, str):
        raise ValueError(f"section must be a string such as '30.8' or 'CQ4', got {section!r}")
    key = section.strip()
    key = key if key.startswith(("§", "CQ")) else f"§{key}"
    valid = list(dict.fromkeys(df["section"]))
    if key not in valid:
        raise _unknown("section", section, valid)
    return df[df["section"] == key].reset_index(drop=True)


def claim_ids() -> list:
    """The ids of all claims, in chapter order (§30.1-§30.11)."""
    return list(_table()["id"])


def claim(id_) -> dict:
    """One claim as a dict, e.g. ``claim("s30_6_prefill_tokens_per_hour")`` (§30.1-§30.11)."""
    df = _table()
    hit = df[df["id"] == id_] if isinstance(id_, str) else df.iloc[:0]
    if hit.empty:
        raise _unknown("claim id", id_, df["id"], f"claim_ids() lists all {len(df)}.")
    return hit.iloc[0].to_dict()


def verdict_counts() -> pd.Series:
    """How many claims got each verdict, in the order of ``VERDICTS`` (§30.1-§30.11)."""
    return _table()["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)


def format_claim_number(x: float) -> str:
    """A number as the claims table prints it: 3 significant figures, k/M/B/T from 10,000 (§30.1-§30.11)."""
    return fmt.count(x, fmt.SHORT_FROM_10K, whole_from=100, nonfinite_as_text=True)


def format_chapter_value(row) -> str:
    """The chapter's figure of a claims-table row: its value, or its low-high range (§30.1-§30.11)."""
    if row["chapter_low"] != row["chapter_high"]:
        return f"{format_claim_number(row['chapter_low'])}-{format_claim_number(row['chapter_high'])}"
    return format_claim_number(row["chapter_value"])


def claims_markdown(section=None, why: bool = True, verdicts=None) -> str:
    """The claims table as markdown, numbers to 3 significant figures, ``$`` escaped for Jupyter (§30.1-§30.11).

    ``verdicts`` keeps only rows with these verdicts, e.g. ``("wrong", "physically impossible")``.
    """
    df = claims(section)
    if verdicts is not None:
        keep = [verdicts] if isinstance(verdicts, str) else list(verdicts)
        for vd in keep:
            if vd not in VERDICTS:
                raise ValueError(f"verdicts must be among {', '.join(VERDICTS)}; got {vd!r}")
        df = df[df["verdict"].isin(keep)]
    head = ["id", "section", "claim", "chapter", "recomputed", "unit", "verdict"]
    head += ["why"] if why else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in df.iterrows():
        cells = [f"`{r['id']}`", r["section"], r["claim"], format_chapter_value(r),
                 format_claim_number(r["recomputed_value"]), r["unit"], f"**{r['verdict']}**"]
        cells += [r["why"]] if why else []
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines).replace("$", r"<span>\$</span>")  # never typeset as LaTeX
