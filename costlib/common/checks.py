"""Input guards shared by every costlib function: clear ValueErrors that name the parameter."""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["number", "integer", "fraction", "choice", "non_empty"]

# No quantity in this workbook (bytes, FLOP/s, tokens, dollars, seconds) is beyond 1e30 in size
# or, unless zero, below 1e-30: outside that window an input is a units slip, and letting it
# through only turns into inf/NaN or an OverflowError further down.
MAX_MAGNITUDE = 1e30
MIN_MAGNITUDE = 1e-30


def _as_array(name: str, value):
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got the boolean {value!r}")
    if isinstance(value, str) or value is None:
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def _sane(x: float) -> bool:
    return x == 0 or MIN_MAGNITUDE <= abs(x) <= MAX_MAGNITUDE


def number(name: str, value, *, low: float = 0.0, high: float = math.inf,
           low_inclusive: bool = False, high_inclusive: bool = True, scalar: bool = False):
    """Check a finite number (or array of them) lies in the stated range; return it unchanged.

    ``scalar=True`` refuses arrays (for parameters that must be one number).
    """
    if type(value) in (float, int) or isinstance(value, np.floating | np.integer):
        try:
            x = float(value)  # fast path for plain scalars: no array round trip
        except OverflowError:
            raise ValueError(f"{name} is too large (more than {MAX_MAGNITUDE:g}); check the units") from None
        if math.isfinite(x) and _sane(x) and (x >= low if low_inclusive else x > low) and \
                (x <= high if high_inclusive else x < high):
            return x
    arr = _as_array(name, value)
    if scalar and arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got {value!r}")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise ValueError(f"{name} must be a finite number, got {bad!r}")
    lo_ok = arr >= low if low_inclusive else arr > low
    hi_ok = arr <= high if high_inclusive else arr < high
    if not (np.all(lo_ok) and np.all(hi_ok)):
        bad = arr[~(lo_ok & hi_ok)].flat[0]
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        hi_txt = "inf" if math.isinf(high) else f"{high:g}"
        raise ValueError(f"{name} must be in {lb}{low:g}, {hi_txt}{hb}, got {float(bad):g}")
    # after the range check, so a negative slip is reported as out of range, not as a size
    big = np.abs(arr) > MAX_MAGNITUDE
    if np.any(big):
        raise ValueError(f"{name} is too large: {float(arr[big].flat[0]):g} is more than "
                         f"{MAX_MAGNITUDE:g} (check the units)")
    tiny = (arr != 0) & (np.abs(arr) < MIN_MAGNITUDE)
    if np.any(tiny):
        raise ValueError(f"{name} is too small: {float(arr[tiny].flat[0]):g} is below {MIN_MAGNITUDE:g} "
                         "(check the units)")
    if arr.ndim == 0:
        return float(arr)
    return arr


def integer(name: str, value, *, low: int = 1, high: float = math.inf, scalar: bool = False):
    """Check a whole number (or array of whole numbers) >= low; return int or int array."""
    if type(value) is int and low <= value <= high and abs(value) <= MAX_MAGNITUDE:
        return value
    arr = number(name, value, low=low, high=high, low_inclusive=True, scalar=scalar)
    a = np.asarray(arr)
    if not np.all(a == np.floor(a)):
        bad = a[a != np.floor(a)].flat[0]
        raise ValueError(f"{name} must be a whole number >= {low}, got {float(bad):g}")
    if a.ndim == 0:
        return int(a)
    return a.astype(np.int64)


def fraction(name: str, value, *, scalar: bool = False):
    """Check a utilization-like fraction in (0, 1]."""
    return number(name, value, low=0.0, high=1.0, scalar=scalar)


def choice(name: str, value, options):
    """Check value is one of options (case-insensitive for strings); suggest the closest."""
    import difflib

    opts = list(options)
    if isinstance(value, str):
        for o in opts:
            if o.lower() == value.lower():
                return o
        close = difflib.get_close_matches(value.lower(), [o.lower() for o in opts], n=3, cutoff=0.4)
        close = [o for o in opts if o.lower() in close]
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ValueError(f"unknown {name} {value!r}.{hint} Valid: {', '.join(opts)}")
    raise ValueError(f"{name} must be one of {', '.join(map(str, opts))}, got {value!r}")


def non_empty(name: str, value, *, what: str, valid=None, alone=(str,)) -> list:
    """Check a list that must hold at least one item; return it as a list (an ``alone`` type is a list of one).

    ``what`` names the items ("GPU ids", "request rates per second"); ``valid``, when given, lists the
    names the items are drawn from, for the message. The items themselves are checked by the caller.
    """
    if isinstance(value, alone):
        return [value]
    valid_txt = f" Valid: one or more of {', '.join(map(str, valid))}" if valid is not None else ""
    try:
        items = list(value)
    except TypeError:
        raise ValueError(f"{name} must be a list of {what}, got {value!r}.{valid_txt}") from None
    if not items:
        raise ValueError(f"{name} must be a non-empty list of {what}, got {value!r}.{valid_txt}")
    return items


def is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
