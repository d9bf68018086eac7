"""Number formatting for the claims table's "why" column (§30.1-§30.11)."""
from __future__ import annotations

import inspect
import math

from costlib.catalog.deployment import DEFAULT_MEMORY_FRACTION, DEFAULT_RESERVE_BYTES
from costlib.catalog.tables import get_gpu, get_model
from costlib.common import fmt
from costlib.economics.cost import owned_usd_per_gpu_hour
from costlib.teaching.chapter.verdicts import judge_value

__all__ = ["gb", "usd", "num", "num_range", "times", "pct", "usable_rule", "owned_assumptions",
           "params", "usd_range", "factor_words", "slip", "times_band", "kv_cache"]


def gb(b: float) -> str:
    """Bytes as decimal GB with one decimal (§30.3)."""
    return fmt.gigabytes(b)


def usd(x: float) -> str:
    """Dollars: cents below $1,000, whole dollars above (§30.1)."""
    return fmt.usd(x)


def num(x: float) -> str:
    """A count in words: trillion, billion, million, or digits (§30.1-§30.11)."""
    return fmt.count(x, fmt.WORDS, whole_from=100, rest=",.3g")


def num_range(lo: float, hi: float) -> str:
    """A low-high range of counts, the unit word said once (§30.7)."""
    a, b = num(lo).split(" "), num(hi).split(" ")
    if len(a) == len(b) == 2 and a[1] == b[1]:
        return f"{a[0]}-{b[0]} {a[1]}"
    return f"{num(lo)}-{num(hi)}"


def times(r: float) -> str:
    """A ratio as "1.23x" (§30.1-§30.11)."""
    return f"{r:.2f}x"


def pct(f: float) -> str:
    """A fraction as a whole percentage (§30.1-§30.11)."""
    return fmt.percent(f)


def usable_rule(gpu) -> str:
    """How costlib's usable memory comes out of the HBM size, in words."""
    return (f"{get_gpu(gpu).hbm_gb:.0f} GB read as GiB x {pct(DEFAULT_MEMORY_FRACTION)} - "
            f"{DEFAULT_RESERVE_BYTES / 1e9:g} GB")


def owned_assumptions(purchase_usd=None, years=None) -> str:
    """costlib's owned-GPU defaults, read from its signature so the text follows the code."""
    d = {k: p.default for k, p in inspect.signature(owned_usd_per_gpu_hour).parameters.items()}
    cap = d["purchase_usd"] if purchase_usd is None else purchase_usd
    yrs = d["years"] if years is None else years
    return (f"{usd(cap)} over {yrs:g} years, {d['power_w']:g} W at PUE {d['pue']:g} and "
            f"${d['usd_per_kwh']:.2f}/kWh, +{pct(d['ops_overhead'])} operations")


def params(model) -> str:
    """A model's parameter count in billions, in words (§30.3)."""
    return f"{get_model(model).n_params / 1e9:.2f}B parameters"


def usd_range(lo: float, hi: float) -> str:
    """A dollar range, or one figure when both ends agree (§30.2)."""
    return usd(lo) if lo == hi else f"{usd(lo)}-{usd(hi)}"


def factor_words(r: float) -> str:
    """A ratio as words: a power of ten when it is one (a slipped unit), else 3 figures."""
    k = round(math.log10(r)) if r > 0 else 0
    if k >= 3 and abs(r / 10 ** k - 1) < 0.05:
        return {3: "a thousand", 6: "a million", 9: "a billion"}.get(k, f"10^{k}")
    return f"{r:,.3g}"


def slip(claimed: float, recomputed: float) -> str:
    """Sentence end for a tokens-per-hour figure: agreement, or the size of the unit slip."""
    if judge_value(claimed, recomputed) in ("correct", "rounded"):
        return f", as stated ({num(claimed)})."
    return (f", not {num(claimed)}: the unit word is off by a factor of "
            f"{factor_words(claimed / recomputed)} (the dollar figure below uses the right magnitude).")



def times_band(band: tuple) -> str:
    """A ratio's (low, mid, high) as "2.04x", with the spread when the band has one (§30.4)."""
    lo, mid, hi = band
    return times(mid) if times(lo) == times(hi) else f"{times(mid)} ({times(lo)}-{times(hi)})"


def kv_cache(kv: str) -> str:
    """'a bf16 KV cache' or 'an FP8 KV cache': the reading a verdict names (§30.3)."""
    return "an FP8 KV cache" if kv == "fp8" else f"a {kv} KV cache"
