"""The workbook's number formatters: money, counts, bytes, percentages, durations (one set for prose, plots, UI, CLI).

Each call site keeps the exact text it printed before these were gathered here: the differences
between sites (where "k" starts, how many digits) are parameters, and the presets below name the
combinations in use.
"""
from __future__ import annotations

import math

from costlib.common.units import GB

__all__ = ["usd", "usd_short", "count", "SHORT", "SHORT_FROM_10K", "WORDS", "TWO_DECIMALS", "ONE_DECIMAL",
           "number", "short_count", "significant", "gpu_name", "percent", "gigabytes", "milliseconds"]

# (at least, divisor, suffix, format of the scaled value), largest first
SHORT = ((1e12, 1e12, "T", ".3g"), (1e9, 1e9, "B", ".3g"), (1e6, 1e6, "M", ".3g"), (1e3, 1e3, "k", ".3g"))
SHORT_FROM_10K = SHORT[:3] + ((1e4, 1e3, "k", ".3g"),)  # 1,234 stays whole, 12,345 -> 12.3k
WORDS = ((1e12, 1e12, " trillion", ",.3g"), (1e9, 1e9, " billion", ",.3g"), (1e6, 1e6, " million", ",.3g"))
ONE_DECIMAL = ((1e12, 1e12, "T", ",.1f"), (1e9, 1e9, "B", ",.1f"), (1e6, 1e6, "M", ",.1f"), (1e3, 1e3, "k", ",.1f"))
TWO_DECIMALS = ((1e9, 1e9, "B", ",.2f"), (1e6, 1e6, "M", ",.2f"), (1e4, 1e3, "k", ",.1f"))


def usd(x: float, *, cents_below: float = 1000.0) -> str:
    """Dollars: $0.56 and $123.40 with cents below ``cents_below``, $1,234 without above."""
    return f"${x:,.2f}" if abs(x) < cents_below else f"${x:,.0f}"


def usd_short(x: float) -> str:
    """Dollars for axis ticks and labels: $0.56, $12, $45k, $2.60M."""
    if x >= 1e6:
        return f"${x / 1e6:,.2f}M"
    if x >= 1e4:
        return f"${x / 1e3:,.0f}k"
    if x >= 10:
        return f"${x:,.0f}"
    return f"${x:,.2f}"


def count(x: float, units=SHORT, *, whole_from: float = math.inf, rest: str = ".3g",
          whole_numbers: bool = False, nonfinite_as_text: bool = False) -> str:
    """A count with a unit suffix: 1.23k, 3.27B, 4.5 million (``units``: one of the presets above).

    Below the smallest unit, values of at least ``whole_from`` print as whole numbers with thousands
    separators; the rest use the format ``rest`` (whole values as integers if ``whole_numbers``).
    ``nonfinite_as_text`` prints inf and nan as Python does, before any unit is tried.
    """
    if nonfinite_as_text and not math.isfinite(x):
        return str(x)
    ax = abs(x)
    for at_least, divisor, suffix, spec in units:
        if ax >= at_least:
            return f"{x / divisor:{spec}}{suffix}"
    if ax >= whole_from:
        return f"{x:,.0f}"
    if whole_numbers and x == int(x):
        return f"{int(x):,}"
    return f"{x:{rest}}"


def number(x: float, integer: bool = False) -> str:
    """A short, deterministic rendering of any number (4 significant digits; whole numbers as such if ``integer``)."""
    if integer and float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    ax = abs(x)
    if ax == 0:
        return "0"
    if 1e-3 <= ax < 1e7:
        digits = max(0, 3 - int(math.floor(math.log10(ax))))
        s = f"{x:,.{digits}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s
    return f"{x:.3e}"


def short_count(x: float) -> str:
    """A count people read at a glance: 1.0M users, 17.8B tokens/month, 950 sessions (§30.10)."""
    return count(x, ONE_DECIMAL, whole_from=1.0)


def significant(x: float, digits: int = 3) -> str:
    """``x`` rounded to ``digits`` significant figures, with thousands separators: 1,304.02 -> 1,300; 57.87 -> 57.9."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    exponent = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - exponent)
    return f"{round(x, digits - 1 - exponent):,.{decimals}f}"


def precision_name(precision_id: str) -> str:
    """A number format as people write it, from its catalog id: "bf16" -> "BF16", "fp8" -> "FP8" (§30.5)."""
    return precision_id.upper()


def gpu_name(gpu_id: str) -> str:
    """A GPU as people name it, from its catalog id: "H100-SXM" -> "H100 SXM", "A100-SXM-40GB" -> "A100 SXM 40GB" (§30.8)."""
    return gpu_id.replace("-", " ")


TIER_NAMES = {"on_demand": "On-demand", "bare_metal": "Bare metal"}  # the rest: the id, capitalized


def tier_name(tier: str) -> str:
    """A procurement tier as people name it, from its id: on_demand -> "On-demand", reserved -> "Reserved" (§30.2)."""
    return TIER_NAMES.get(tier, tier.replace("_", " ").capitalize())


def percent(fraction: float, spec: str = ".0f") -> str:
    """A fraction as a percentage: 0.25 -> 25% (``spec`` formats the percentage, e.g. "g")."""
    return f"{100 * fraction:{spec}}%"


def gigabytes(n_bytes: float) -> str:
    """Bytes in decimal GB with one decimal: 140.0 GB."""
    return f"{n_bytes / GB:,.1f} GB"


def milliseconds(seconds: float) -> str:
    """A duration in ms: 4 significant digits, whole numbers from 10,000 ms."""
    return f"{count(seconds * 1e3, (), whole_from=1e4, rest=',.4g')} ms"
