"""Energy per token: board power x step time, with the facility's overhead (PUE), and the electricity share of $/M (§30.2).

The draw model (constants in ``costlib/data/levers.csv``, each with its source) is stated, not measured:

    board power = TDP x (idle + (1 - idle) x busy)

where TDP is the catalog's ``tdp_w`` and ``busy`` is the share of an engine step the one engine spends in
kernels (matmuls and attention), as opposed to all-reduce waits and fixed overheads. A fully busy GPU is
taken to draw its TDP, an idle one ``idle`` x TDP. Joules per output token = board power x GPUs x PUE /
output tokens/s; kWh per million tokens = J/token x 1e6 / 3.6e6 (1 kWh = 3.6 MJ).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..common import checks as v
from ..common.csvdata import frame, rows
from .predict import Band, Estimate

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["lever_constants", "lever_constant", "board_power_w", "EnergyUse", "energy_use", "J_PER_KWH"]

J_PER_KWH = 3.6e6


@functools.lru_cache(maxsize=None)
def _constants() -> MappingProxyType:
    """Parameter -> its row of levers.csv (read without pandas: the calculator app uses it)."""
    return MappingProxyType({r["parameter"]: r for r in rows("levers.csv")})


def lever_constants() -> pd.DataFrame:
    """The draw model's and the electricity's constants with their ranges and sources (§30.2)."""
    return frame("levers.csv").set_index("parameter")


def lever_constant(name: str, point: str = "value") -> float:
    """One constant of ``levers.csv``: its value, low or high (§30.2)."""
    table = _constants()
    n = v.choice("name", name, list(table))
    p = v.choice("point", point, ["value", "low", "high"])
    return float(table[n][p])


def board_power_w(tdp_w, busy, idle_fraction=None):
    """Watts one GPU draws: TDP x (idle + (1 - idle) x busy) (§30.2)."""
    t = v.number("tdp_w", tdp_w, high=1e5)
    b = v.number("busy", busy, low=0.0, low_inclusive=True, high=1.0)
    idle = lever_constant("idle_fraction") if idle_fraction is None else idle_fraction
    f = v.number("idle_fraction", idle, low=0.0, low_inclusive=True, high=1.0)
    return t * (f + (1 - f) * b)


@dataclass(frozen=True)
class EnergyUse:
    """Energy of one deployment's output tokens: J/token (low/mid/high), kWh per million, electricity $/M (§30.2)."""

    board_power_w: float  # one GPU, at the mid step's busy share
    n_gpus: int
    pue: float
    joules_per_output_token: Band
    kwh_per_million_output_tokens: float  # mid
    usd_per_kwh: float | None
    electricity_usd_per_million_output_tokens: float | None  # mid

    def joules_per_response(self, output_len: int) -> float:
        """Mid joules for one response of ``output_len`` tokens."""
        return self.joules_per_output_token.mid * v.integer("output_len", output_len, low=1, scalar=True)


def energy_use(est: Estimate, tdp_w: float, *, pue: float | None = None, usd_per_kwh: float | None = None,
               idle_fraction: float | None = None, speedup: float = 1.0) -> EnergyUse:
    """Energy per output token of an :class:`Estimate` from :func:`~costlib.estimate.predict.predict` (§30.2).

    ``speedup`` (speculative decoding) multiplies the output tokens/s at the same draw.
    """
    if not isinstance(est, Estimate) or not est.fits:
        raise ValueError(f"est must be an Estimate of a deployment that fits, got {est!r:.80}")
    p = lever_constant("pue") if pue is None else pue
    p = v.number("pue", p, low=1.0, low_inclusive=True, high=5.0, scalar=True)
    price = None if usd_per_kwh is None else v.number("usd_per_kwh", usd_per_kwh, low=0.0, low_inclusive=True,
                                                       high=10.0, scalar=True)
    watts = float(board_power_w(tdp_w, est.busy_fraction, idle_fraction))
    site_w = watts * est.n_gpus * p
    f = v.number("speedup", speedup, high=1e3, scalar=True)
    tps = est.output_tokens_per_s
    jpt = Band(site_w / (f * tps.high), site_w / (f * tps.mid), site_w / (f * tps.low))
    kwh_m = jpt.mid * 1e6 / J_PER_KWH
    return EnergyUse(board_power_w=watts, n_gpus=est.n_gpus, pue=p, joules_per_output_token=jpt,
                     kwh_per_million_output_tokens=kwh_m, usd_per_kwh=price,
                     electricity_usd_per_million_output_tokens=None if price is None else kwh_m * price)
