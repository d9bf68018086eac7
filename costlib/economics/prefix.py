"""Self-hosting vs an API as the prefix hit rate grows: both sides re-priced, and the hit rate where the answer flips (§30.7).

The self-hosted cost of a request is the GPU time it takes (the quote's mid $/M output tokens, which
count all paid hours, x its output tokens); the hit rate h makes its prefill cheaper and its batch's
steps shorter. The API bills the same request under its billing grammar
(:func:`~costlib.economics.billing.api_usd_per_request`): a share h of the prompt at the cached-input
price (still billed), the rest at the input price. Where the API publishes no cached price, only the
self-hosted side moves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .billing import api_billing, api_usd_per_request
from .quote import quote

__all__ = ["PrefixComparison", "selfhost_vs_api"]


@dataclass(frozen=True)
class PrefixComparison:
    """Dollars per request for self-hosting and for one API at each hit rate, and where the cheaper side flips (§30.7)."""

    api: str
    input_len: int
    output_len: int
    hit_rates: np.ndarray
    selfhost_usd_per_request: np.ndarray
    api_usd_per_request: np.ndarray
    flip_hit_rate: float | None  # first hit rate where the cheaper side differs from h = 0; None: never

    @property
    def selfhost_cheaper(self) -> np.ndarray:
        return self.selfhost_usd_per_request < self.api_usd_per_request


def selfhost_vs_api(model, gpu, tp, weights, kv, api, *, input_len: int, output_len: int, hit_rates=None,
                    **quote_kw) -> PrefixComparison:
    """Self-hosted and API $ per request over ``hit_rates`` (default 0, 0.01, ..., 1) and the flip point (§30.7)."""
    b = api_billing(api)
    h = np.round(np.linspace(0.0, 1.0, 101), 2) if hit_rates is None else np.asarray(hit_rates, dtype=float)
    own, paid = [], []
    for x in h:
        q = quote(model, gpu, tp, weights, kv, input_len=input_len, output_len=output_len, prefix_hit_rate=float(x),
                  **quote_kw)
        if not q.ok:
            raise ValueError(f"the self-hosted side has no price: {q.message}")
        own.append(q.usd_per_million.mid * output_len / 1e6)
        paid.append(api_usd_per_request(b, input_len, output_len, cached_share=float(x)))
    own, paid = np.array(own), np.array(paid)
    cheaper = own < paid
    flips = np.nonzero(cheaper != cheaper[0])[0]
    return PrefixComparison(api=b.id, input_len=input_len, output_len=output_len, hit_rates=h,
                            selfhost_usd_per_request=own, api_usd_per_request=paid,
                            flip_hit_rate=float(h[flips[0]]) if flips.size else None)
