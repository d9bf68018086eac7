"""A replica's KV-cache room on the one engine, written out term by term for the exercises (§30.3, §30.9).

The engine (:mod:`costlib.estimate.predict`) admits a request only when its whole prompt + output
fits, in blocks of ``kv_block_tokens``, into ``kv_fraction`` x (GPU memory - weights - a reserve per
GPU). These functions expose those terms, with any of them swapped for a student's convention, so
that an exercise's key, its slips and its hard edge all come from the same memory rule as
``cl.quote``.
"""
from __future__ import annotations

import dataclasses

from costlib.catalog.deployment import Deployment
from costlib.economics.cost import economics_profile
from costlib.estimate.predict import fixed_batch_table
from costlib.estimate.profiles import Profile, get_profile
from costlib.physics.engine import kv_cache_bytes, kv_capacity_tokens, sequence_reservation_tokens
from costlib.physics.memory import deployment_limits
from costlib.physics.replica import replica_spec
from costlib.physics.step import DEFAULT_MBU, DEFAULT_MFU

__all__ = ["kv_room", "reservation_tokens", "largest_batch_by_memory", "fixed_batch_tpot_s",
           "largest_batch_by_tpot", "drill_profile"]


def _swapped(dep: Deployment, profile, memory_bytes, reserve_bytes_per_gpu, kv_fraction, kv_scale):
    """The replica and the engine limits with a student's swaps in place: (spec, limits) (§30.3)."""
    prof = get_profile(profile)
    spec = replica_spec(dep, ideal=prof.ideal)
    spec = dataclasses.replace(spec, kv_bytes_per_token=float(spec.kv_bytes_per_token) * kv_scale,
                               **({} if memory_bytes is None else {"memory_bytes": float(memory_bytes)}))
    swaps = {k: val for k, val in (("reserve_bytes_per_gpu", reserve_bytes_per_gpu), ("kv_fraction", kv_fraction))
             if val is not None}
    return spec, dataclasses.replace(prof.limits, **swaps)


def kv_room(dep: Deployment, profile="calibrated", *, memory_bytes=None, reserve_bytes_per_gpu=None,
            kv_fraction=None, kv_scale: float = 1.0) -> dict:
    """The replica's memory terms and the bytes its KV cache gets, with optional swaps (§30.3).

    Keys: memory_bytes (all GPUs), reserve_bytes (all GPUs), weight_bytes, kv_fraction, kv_bytes (the
    room), kv_bytes_per_token (x ``kv_scale``, e.g. 0.5 for 1 byte per value instead of 2) and
    kv_capacity_tokens (the engine's :func:`~costlib.physics.engine.kv_capacity_tokens` with the swaps).
    """
    spec, lim = _swapped(dep, profile, memory_bytes, reserve_bytes_per_gpu, kv_fraction, kv_scale)
    return {"memory_bytes": float(spec.memory_bytes), "reserve_bytes": spec.tp * lim.reserve_bytes_per_gpu,
            "weight_bytes": float(spec.resident_weight_bytes), "kv_fraction": lim.kv_fraction,
            "kv_bytes": float(kv_cache_bytes(spec, lim)), "kv_bytes_per_token": float(spec.kv_bytes_per_token),
            "kv_capacity_tokens": float(kv_capacity_tokens(spec, lim))}


def reservation_tokens(input_len: int, output_len: int, profile="calibrated") -> float:
    """KV tokens the engine sets aside per request: prompt + output rounded up to whole blocks (§30.3)."""
    return float(sequence_reservation_tokens(get_profile(profile).limits, input_len, output_len))


def largest_batch_by_memory(room: dict, input_len: int, output_len: int, profile="calibrated") -> int:
    """Requests whose reserved KV cache fits the room: the engine's KV tokens // tokens reserved each (§30.3)."""
    return int(room["kv_capacity_tokens"] // reservation_tokens(input_len, output_len, profile))


def fixed_batch_tpot_s(dep: Deployment, batch: int, input_len: int, output_len: int, profile="calibrated") -> float:
    """Mid time per output token of ``batch`` requests started together, memory not checked (§30.9)."""
    prof = get_profile(profile)
    spec = replica_spec(dep, ideal=prof.ideal)
    return float(fixed_batch_table(spec, prof.mid, prof.limits, batch, input_len, output_len)["tpot_s"])


def largest_batch_by_tpot(dep: Deployment, target_s: float, input_len: int, output_len: int,
                          profile="calibrated", limit: int = 1 << 20) -> int:
    """Largest batch whose mid TPOT meets the target if memory were unlimited: the latency limit alone (§30.9)."""
    if fixed_batch_tpot_s(dep, 1, input_len, output_len, profile) > target_s:
        return 0
    lo, hi = 1, 2
    while hi < limit and fixed_batch_tpot_s(dep, hi, input_len, output_len, profile) <= target_s:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fixed_batch_tpot_s(dep, mid, input_len, output_len, profile) <= target_s else (lo, mid)
    return lo


def drill_profile(dep: Deployment, mbu=DEFAULT_MBU, mfu=DEFAULT_MFU) -> Profile:
    """The chapter's profile (5 us all-reduces) at one MBU and MFU, admitting requests by the drills' memory rule (§30.4).

    The limits are the Deployment's own (``deployment_limits``: 95% of HBM minus 1 GB per GPU for weights
    + KV) with every request's whole prompt + output reserved, so ``predict`` admits a batch exactly when
    ``fit(dep, context=prompt + output, batch=...)`` says it fits: one memory rule for the batch and its price.
    """
    lim = dataclasses.replace(deployment_limits(dep), reserve_whole_request=True)
    base = economics_profile(mbu=mbu, mfu=mfu)  # the chapter's profile at this MBU/MFU, 5 us all-reduces kept
    return base.with_(name=f"{base.name}, whole requests in usable memory", limits=lim)
