"""Memory capacity: weights, KV cache, usable HBM, fit checks, KV capacity and max batch (§30.3).

One accounting, the engine's: the weights a replica holds are :class:`~costlib.physics.replica.ReplicaSpec`'s
``resident_weight_bytes`` (16-bit embeddings and head, block scales), a token's KV is
:func:`kv_bytes_per_token` as stored (an FP4 cache is kept as FP8), a GPU's "80 GB" are 80 GiB, and the
KV capacity is :func:`costlib.physics.engine.kv_capacity_tokens`. What the deployment may use is the
chapter's convention, usable = HBM x ``memory_fraction`` - ``reserve_bytes`` per GPU, written as the
:class:`~costlib.physics.engine.EngineLimits` of :func:`deployment_limits`; pass a profile's ``limits``
instead to check what ``estimate.predict`` admits with that profile. :func:`weight_bytes` (parameters x
bytes) stays the chapter's headline figure; the fit checks use the resident bytes.
"""
from __future__ import annotations

import math
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
from costlib.physics import engine
from costlib.physics.engine import EngineLimits
from costlib.physics.replica import (
    ReplicaSpec,
    device_memory_bytes,
    kv_bytes_per_token,
    replica_spec,
)

__all__ = ["weight_bytes", "kv_bytes_per_token", "usable_bytes", "deployment_limits", "FitResult", "fit",
           "kv_capacity_tokens", "max_batch", "min_tp", "smallest_tp", "replica_needed_bytes", "replica_usable_bytes",
           "GB"]


def weight_bytes(model, weights="bf16") -> float:
    """The chapter's headline weight size: parameters x bytes per parameter (fit() uses the resident bytes) (§30.3)."""
    return get_model(model).n_params * get_precision(weights).bytes_per_value


def usable_bytes(gpu, memory_fraction: float = DEFAULT_MEMORY_FRACTION,
                 reserve_bytes: float = DEFAULT_RESERVE_BYTES) -> float:
    """Memory of one GPU available for weights and KV: HBM (its GB read as GiB) x fraction - reserve (§30.3)."""
    g = get_gpu(gpu)
    f = v.fraction("memory_fraction", memory_fraction, scalar=True)
    r = v.number("reserve_bytes", reserve_bytes, low=0.0, low_inclusive=True, scalar=True)
    return max(0.0, device_memory_bytes(g) * f - r)


def deployment_limits(dep: Deployment) -> EngineLimits:
    """The Deployment's memory convention as engine limits: all of its usable bytes go to weights + KV (§30.3).

    usable = HBM x memory_fraction - reserve per GPU is the engine's free memory with a reserve of
    HBM x (1 - memory_fraction) + reserve per GPU and the whole rest for the KV cache (kv_fraction 1);
    no block rounding and no batch limit.
    """
    deployment_arg(dep)
    reserve = device_memory_bytes(dep.gpu) * (1.0 - dep.memory_fraction) + dep.reserve_bytes
    return EngineLimits(kv_fraction=1.0, reserve_bytes_per_gpu=reserve, kv_block_tokens=1,
                        reserve_whole_request=False, max_batch=math.inf, max_tokens=math.inf)


def _limits(dep: Deployment, limits) -> EngineLimits:
    if limits is None:
        return deployment_limits(dep)
    if not isinstance(limits, EngineLimits):
        raise ValueError(f"limits must be an EngineLimits (e.g. a profile's .limits) or None, got {limits!r}")
    return limits


def replica_usable_bytes(spec: ReplicaSpec, lim: EngineLimits) -> float:
    """Bytes the replica gives to weights and KV cache: its memory less the reserve on each GPU (§30.3)."""
    return max(0.0, float(spec.memory_bytes - spec.tp * lim.reserve_bytes_per_gpu))


def kv_capacity_tokens(dep: Deployment, limits: EngineLimits | None = None) -> int:
    """Tokens of KV cache that fit beside the resident weights across the replica's GPUs (0 if none) (§30.3).

    ``limits`` default to the Deployment's own (:func:`deployment_limits`).
    """
    deployment_arg(dep)
    return int(math.floor(engine.kv_capacity_tokens(replica_spec(dep), _limits(dep, limits))))


def max_batch(dep: Deployment, context, limits: EngineLimits | None = None):
    """Largest number of sequences of ``context`` tokens whose KV cache fits (0 if none) (§30.3).

    Memory only: an engine's own cap on the batch (``limits.max_batch``) is not applied.
    """
    deployment_arg(dep)
    c = v.integer("context", context, low=1, high=dep.model.max_context)
    cap = kv_capacity_tokens(dep, limits)
    return np.asarray(cap) // c if np.ndim(c) else cap // c


@dataclass(frozen=True)
class FitResult:
    """Whether a deployment holds its weights plus ``batch`` x ``context`` tokens of KV, and by how much (§30.3).

    ``weight_bytes`` are the resident weights (ReplicaSpec); ``needed_bytes`` = weights + KV / the
    limits' KV share (1 under the Deployment's own convention).
    """

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
    label: str  # the deployment's ids (Deployment.label), as in --json
    name: str  # the deployment as people say it (Deployment.name), for the message

    @property
    def message(self) -> str:
        gb = lambda b: f"{b / GB:,.1f} GB"  # noqa: E731
        if self.fits:
            return (f"fits: {self.name} needs {gb(self.needed_bytes)} of {gb(self.usable_bytes)} usable; "
                    f"room for {self.max_batch:,} sequences of {self.context:,} tokens")
        fix = f"try TP={self.min_tp} or a smaller precision" if self.min_tp else \
            "no TP up to 8 fits: try a smaller precision"
        kv_pool = self.needed_bytes - self.weight_bytes  # the KV over the engine's KV share (if below 1)
        pool = f" ({gb(kv_pool)} of KV pool)" if kv_pool > self.kv_bytes * (1 + 1e-9) else ""
        if self.weight_bytes > self.usable_bytes:
            what = f"weights alone need {gb(self.weight_bytes)}"
            if self.batch > 1:
                what += f" (+ {gb(self.kv_bytes)} KV for {self.batch:,}x{self.context:,} tokens{pool})"
        else:
            what = (f"weights {gb(self.weight_bytes)} + KV for {self.batch:,}x{self.context:,} tokens "
                    f"{gb(self.kv_bytes)}{pool}")
        return (f"does not fit: {self.name}: {what}, {gb(self.usable_bytes)} usable — "
                f"short by {gb(self.shortfall_bytes)}; {fix}")

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        from dataclasses import asdict

        d = asdict(self)
        del d["name"]  # the JSON of fit --json keeps its keys; the name is in the message
        d["message"] = self.message
        return d


def replica_needed_bytes(spec: ReplicaSpec, lim: EngineLimits, kv_tokens) -> tuple[float, float, float]:
    """(resident weights, KV bytes of ``kv_tokens`` tokens, both together with the KV over the engine's KV share) (§30.3)."""
    w = float(spec.resident_weight_bytes)
    kv = kv_tokens * float(spec.kv_bytes_per_token)
    return w, kv, w + kv / lim.kv_fraction


def smallest_tp(dep: Deployment, limits_of, kv_tokens, max_tp: int):
    """Smallest TP (dividing the KV heads, <= max_tp) whose replica holds ``kv_tokens`` of KV; None if none (§30.8).

    ``limits_of(deployment)`` gives the EngineLimits to apply at each TP.
    """
    for t in valid_tp(dep.model, max_tp):
        d = dep.with_(tp=t)
        spec, lim = replica_spec(d), limits_of(d)
        if replica_needed_bytes(spec, lim, kv_tokens)[2] <= replica_usable_bytes(spec, lim):
            return t
    return None


def min_tp(model, gpu, weights="bf16", kv="bf16", context: int = 2048, batch: int = 1,
           max_tp: int = 8, memory_fraction: float = DEFAULT_MEMORY_FRACTION,
           reserve_bytes: float = DEFAULT_RESERVE_BYTES):
    """Smallest TP (dividing the KV heads, <= max_tp) that holds weights + batch x context KV; None if none (§30.8)."""
    c = v.integer("context", context, low=1, scalar=True)
    b = v.integer("batch", batch, low=1, scalar=True)
    mt = v.integer("max_tp", max_tp, low=1, scalar=True)
    dep = Deployment(model, gpu, 1, weights, kv, memory_fraction, reserve_bytes)
    return smallest_tp(dep, deployment_limits, b * c, mt)


def fit(dep: Deployment, context: int = 2048, batch: int = 1, limits: EngineLimits | None = None) -> FitResult:
    """Check resident weights + KV for ``batch`` sequences of ``context`` tokens against usable memory (§30.3).

    Returns a :class:`FitResult` saying whether it fits and, if not, by how many bytes it misses.
    ``limits`` default to the Deployment's own (:func:`deployment_limits`); with a profile's limits it
    admits exactly what ``estimate.predict`` admits when ``context`` is the tokens reserved per request.
    """
    deployment_arg(dep)
    c = v.integer("context", context, low=1, high=dep.model.max_context, scalar=True)
    b = v.integer("batch", batch, low=1, scalar=True)
    lim = _limits(dep, limits)
    spec = replica_spec(dep)
    w, k, need = replica_needed_bytes(spec, lim, b * c)
    usable = replica_usable_bytes(spec, lim)
    fits = bool(need <= usable)
    cap = int(math.floor(engine.kv_capacity_tokens(spec, lim)))
    # when this TP fits, no larger TP can be the smallest one: stop the search here
    search_to = dep.tp if fits else max(8, dep.tp)
    lim_of = deployment_limits if limits is None else (lambda _d: lim)
    return FitResult(
        fits=fits, weight_bytes=w, kv_bytes=k, needed_bytes=need,
        usable_bytes=usable, shortfall_bytes=max(0.0, need - usable),
        headroom_bytes=max(0.0, usable - need), kv_capacity_tokens=cap, max_batch=cap // c,
        min_tp=smallest_tp(dep, lim_of, b * c, search_to), context=c, batch=b, label=dep.label,
        name=dep.name)
