"""Memory capacity: weights, KV cache, usable HBM, fit checks, KV capacity and max batch (§30.3)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlib.catalog.deployment import (
    DEFAULT_MEMORY_FRACTION,
    DEFAULT_RESERVE_BYTES,
    Deployment,
    deployment_arg,
    valid_tp,
)
from costlib.catalog.tables import get_gpu, get_model, get_precision
from costlib.common import checks as v
from costlib.common.units import GB

__all__ = ["weight_bytes", "kv_bytes_per_token", "usable_bytes", "FitResult", "fit",
           "kv_capacity_tokens", "max_batch", "min_tp", "GB"]


def weight_bytes(model, weights="bf16") -> float:
    """Bytes of all weights: parameters x bytes per parameter (§30.3)."""
    return get_model(model).n_params * get_precision(weights).bytes_per_value


def kv_bytes_per_token(model, kv="bf16") -> float:
    """KV-cache bytes per token: 2 (K and V) x layers x KV heads x head dim x bytes (§30.3)."""
    m = get_model(model)
    return 2 * m.n_layers * m.n_kv_heads * m.head_dim * get_precision(kv).bytes_per_value


def usable_bytes(gpu, memory_fraction: float = DEFAULT_MEMORY_FRACTION,
                 reserve_bytes: float = DEFAULT_RESERVE_BYTES) -> float:
    """Memory of one GPU available for weights and KV: HBM x fraction - reserve (§30.3)."""
    g = get_gpu(gpu)
    f = v.fraction("memory_fraction", memory_fraction, scalar=True)
    r = v.number("reserve_bytes", reserve_bytes, low=0.0, low_inclusive=True, scalar=True)
    return max(0.0, g.hbm_bytes * f - r)


def _total_usable(dep: Deployment) -> float:
    return dep.tp * usable_bytes(dep.gpu, dep.memory_fraction, dep.reserve_bytes)


def kv_capacity_tokens(dep: Deployment):
    """Tokens of KV cache that fit beside the weights across the replica's GPUs (0 if none) (§30.3)."""
    deployment_arg(dep)
    free = _total_usable(dep) - weight_bytes(dep.model, dep.weights)
    return int(max(0.0, free) // kv_bytes_per_token(dep.model, dep.kv))


def max_batch(dep: Deployment, context):
    """Largest number of sequences of ``context`` tokens whose KV cache fits (0 if none) (§30.3)."""
    deployment_arg(dep)
    c = v.integer("context", context, low=1, high=dep.model.max_context)
    return np.asarray(kv_capacity_tokens(dep)) // c if np.ndim(c) else kv_capacity_tokens(dep) // c


@dataclass(frozen=True)
class FitResult:
    """Whether a deployment holds its weights plus ``batch`` x ``context`` tokens of KV, and by how much (§30.3)."""

    fits: bool
    weight_bytes: float
    kv_bytes: float
    needed_bytes: float
    usable_bytes: float
    shortfall_bytes: float
    headroom_bytes: float
    kv_capacity_tokens: int
    max_batch: int
    min_tp: int | None
    context: int
    batch: int
    label: str

    @property
    def message(self) -> str:
        gb = lambda b: f"{b / GB:,.1f} GB"  # noqa: E731
        if self.fits:
            return (f"fits: {self.label} needs {gb(self.needed_bytes)} of {gb(self.usable_bytes)} usable; "
                    f"room for {self.max_batch:,} sequences of {self.context:,} tokens")
        fix = f"try TP={self.min_tp} or a smaller precision" if self.min_tp else \
            "no TP up to 8 fits: try a smaller precision"
        if self.weight_bytes > self.usable_bytes:
            what = f"weights alone need {gb(self.weight_bytes)}"
            if self.batch > 1:
                what += f" (+ {gb(self.kv_bytes)} KV for {self.batch:,}x{self.context:,} tokens)"
        else:
            what = (f"weights {gb(self.weight_bytes)} + KV for {self.batch:,}x{self.context:,} tokens "
                    f"{gb(self.kv_bytes)}")
        return (f"does not fit: {self.label}: {what}, {gb(self.usable_bytes)} usable — "
                f"short by {gb(self.shortfall_bytes)}; {fix}")

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        from dataclasses import asdict

        d = asdict(self)
        d["message"] = self.message
        return d


def _needed(dep: Deployment, context: int, batch: int) -> tuple[float, float]:
    w = weight_bytes(dep.model, dep.weights)
    kv = batch * context * kv_bytes_per_token(dep.model, dep.kv)
    return w, kv


def min_tp(model, gpu, weights="bf16", kv="bf16", context: int = 2048, batch: int = 1,
           max_tp: int = 8, memory_fraction: float = DEFAULT_MEMORY_FRACTION,
           reserve_bytes: float = DEFAULT_RESERVE_BYTES):
    """Smallest TP (dividing the KV heads, <= max_tp) that holds weights + batch x context KV; None if none (§30.8)."""
    c = v.integer("context", context, low=1, scalar=True)
    b = v.integer("batch", batch, low=1, scalar=True)
    mt = v.integer("max_tp", max_tp, low=1, scalar=True)
    for t in valid_tp(model, mt):
        dep = Deployment(model, gpu, t, weights, kv, memory_fraction, reserve_bytes)
        w, k = _needed(dep, c, b)
        if w + k <= _total_usable(dep):
            return t
    return None


def fit(dep: Deployment, context: int = 2048, batch: int = 1) -> FitResult:
    """Check weights + KV for ``batch`` sequences of ``context`` tokens against usable memory (§30.3).

    Returns a :class:`FitResult` saying whether it fits and, if not, by how many bytes it misses.
    """
    deployment_arg(dep)
    c = v.integer("context", context, low=1, high=dep.model.max_context, scalar=True)
    b = v.integer("batch", batch, low=1, scalar=True)
    w, k = _needed(dep, c, b)
    usable = _total_usable(dep)
    need = w + k
    fits = bool(need <= usable)
    cap = kv_capacity_tokens(dep)
    # when this TP fits, no larger TP can be the smallest one: stop the search here
    search_to = dep.tp if fits else max(8, dep.tp)
    return FitResult(
        fits=fits, weight_bytes=w, kv_bytes=k, needed_bytes=need,
        usable_bytes=usable, shortfall_bytes=max(0.0, need - usable),
        headroom_bytes=max(0.0, usable - need), kv_capacity_tokens=cap, max_batch=cap // c,
        min_tp=min_tp(dep.model, dep.gpu, dep.weights, dep.kv, c, b, search_to,
                      dep.memory_fraction, dep.reserve_bytes),
        context=c, batch=b, label=dep.label)
