"""The billing grammar of API price sheets: input, cached input, cache write, output, batch discount (§30.5, §30.7).

A request's prompt is billed in three parts: tokens read from the provider's prompt cache (``cached``,
at the cached-input price: cheaper, but still billed), tokens written into it (at the cache-write
price) and the rest (at the input price); its output at the output price; a batch-API request gets
``batch_discount`` off everything. Where the catalog (``api_prices.csv``) has no published cached or
cache-write price for a provider, those tokens are billed as plain input: no discount is assumed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.tables import api_price_row
from ..common import checks as v

__all__ = ["ApiBilling", "api_billing", "api_usd_per_million_input", "api_usd_per_request"]


def _opt(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass(frozen=True)
class ApiBilling:
    """One API's price sheet in $/million tokens; None where the provider publishes no such price (§30.5)."""

    id: str
    usd_per_million_input: float
    usd_per_million_output: float
    usd_per_million_cached_input: float | None
    usd_per_million_cache_write: float | None
    batch_discount: float | None  # share taken off with the batch API (0.5 = half price)
    source: str
    as_of: str

    @property
    def cached_input(self) -> float:
        """Price of a cached prompt token: the cached price, or the plain input price where none is published."""
        return self.usd_per_million_input if self.usd_per_million_cached_input is None \
            else self.usd_per_million_cached_input

    @property
    def cache_write(self) -> float:
        """Price of a prompt token written to the cache: the cache-write price, or the plain input price."""
        return self.usd_per_million_input if self.usd_per_million_cache_write is None \
            else self.usd_per_million_cache_write


def api_billing(api) -> ApiBilling:
    """The billing grammar of one catalog API, by id (did-you-mean on typos) (§30.5)."""
    if isinstance(api, ApiBilling):
        return api
    r = api_price_row(api)
    return ApiBilling(id=r["id"], usd_per_million_input=float(r["usd_per_million_input"]),
                      usd_per_million_output=float(r["usd_per_million_output"]),
                      usd_per_million_cached_input=_opt(r["usd_per_million_cached_input"]),
                      usd_per_million_cache_write=_opt(r["usd_per_million_cache_write"]),
                      batch_discount=_opt(r["batch_discount"]), source=str(r["billing_source"]),
                      as_of=str(r["billing_as_of"]))


def _shares(cached_share, write_share, batch: bool, b: ApiBilling) -> tuple[float, float, float]:
    h = v.number("cached_share", cached_share, low=0.0, low_inclusive=True, high=1.0, scalar=True)
    w = v.number("write_share", write_share, low=0.0, low_inclusive=True, high=1.0, scalar=True)
    if h + w > 1.0 + 1e-12:
        raise ValueError(f"cached_share + write_share must be at most 1, got {h:g} + {w:g}")
    if not isinstance(batch, bool):
        raise ValueError(f"batch must be True or False, got {batch!r}")
    if batch and b.batch_discount is None:
        raise ValueError(f"batch=True but {b.id} publishes no batch-API discount in the catalog")
    return h, w, (1.0 - b.batch_discount) if batch else 1.0


def api_usd_per_million_input(api, cached_share: float = 0.0, write_share: float = 0.0,
                              batch: bool = False) -> float:
    """Blended $/M prompt tokens: (1 - h - w) x input + h x cached input + w x cache write, x (1 - batch discount) (§30.5)."""
    b = api_billing(api)
    h, w, f = _shares(cached_share, write_share, batch, b)
    return f * ((1 - h - w) * b.usd_per_million_input + h * b.cached_input + w * b.cache_write)


def api_usd_per_request(api, input_tokens, output_tokens, cached_share: float = 0.0, write_share: float = 0.0,
                        batch: bool = False) -> float:
    """Dollars for one request under the billing grammar (§30.5)."""
    b = api_billing(api)
    i = v.number("input_tokens", input_tokens, low=0.0, low_inclusive=True, scalar=True)
    o = v.number("output_tokens", output_tokens, low=0.0, low_inclusive=True, scalar=True)
    _, _, f = _shares(cached_share, write_share, batch, b)
    return (i * api_usd_per_million_input(b, cached_share, write_share, batch)
            + o * f * b.usd_per_million_output) / 1e6
