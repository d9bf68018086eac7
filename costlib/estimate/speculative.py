"""Speculative decoding as economics: tokens per verification step, decode speedup and the batch where it stops paying (§30.3).

A cheap *draft* (a small model or a multi-token-prediction head, costing ``draft_cost`` x a target step
per drafted token) proposes ``k`` tokens; the target checks all of them in ONE step of ``k + 1`` tokens
per sequence and keeps the longest accepted run plus one token of its own. With each draft token
accepted independently with probability alpha, a verification step yields on average

    E = 1 + alpha + ... + alpha^k = (1 - alpha^(k+1)) / (1 - alpha)        tokens per sequence.

Both steps are timed by the one engine (:func:`costlib.physics.engine.step_time_s`) at the workload's
average context: a plain decode step of B tokens and a verification step of B (k + 1) tokens. Speedup =
E x t(B) / (t_verify(B) + k x draft_cost x t(B)). At small batches decode is memory-bound, so
verifying k + 1 tokens costs about as much as one and the speedup approaches E / (1 + k c); at large
batches the target is compute-bound, verification costs ~(k + 1) steps, and speculation stops paying.
$/M output tokens scale by 1 / speedup.
"""
from __future__ import annotations

import numpy as np

from ..catalog.deployment import Deployment, deployment_arg
from ..common import checks as v
from ..physics.engine import step_time_s
from ..physics.replica import replica_spec
from .profiles import get_profile

__all__ = ["check_speculation", "expected_tokens_per_step", "speculative_speedup", "crossover_batch"]


def check_speculation(alpha, k, draft_cost) -> tuple[float, int, float]:
    """Checked (alpha in [0, 1), k a whole number >= 1, draft_cost in [0, 10]) (§30.3)."""
    a = v.number("alpha", alpha, low=0.0, low_inclusive=True, high=1.0, high_inclusive=False, scalar=True)
    kk = v.integer("k", k, low=1, high=64, scalar=True)
    c = v.number("draft_cost", draft_cost, low=0.0, low_inclusive=True, high=10.0, scalar=True)
    return a, kk, c


def expected_tokens_per_step(alpha, k):
    """Tokens one verification step yields per sequence: (1 - alpha^(k+1)) / (1 - alpha) (§30.3)."""
    a, kk, _ = check_speculation(alpha, k, 0.0)
    return (1.0 - a ** (kk + 1)) / (1.0 - a)


def speculative_speedup(dep: Deployment, batch, input_len: int, output_len: int, alpha: float, k: int,
                        draft_cost: float, profile="calibrated"):
    """Decode speedup of speculation at each ``batch`` (a number or an array) on the one engine (§30.3).

    > 1: speculation pays; < 1: it costs more than it saves. The $/M output tokens change by 1/speedup.
    """
    deployment_arg(dep)
    a, kk, c = check_speculation(alpha, k, draft_cost)
    b = np.asarray(v.number("batch", batch, low=1.0, low_inclusive=True, high=1e6), dtype=float)
    i = v.integer("input_len", input_len, low=1, high=dep.model.max_context, scalar=True)
    o = v.integer("output_len", output_len, low=1, high=dep.model.max_context, scalar=True)
    prof = get_profile(profile)
    spec, eff = replica_spec(dep, ideal=prof.ideal), prof.mid
    ctx = i + o / 2
    plain = step_time_s(spec, eff, b, b * ctx, b * ctx, b)
    n = kk + 1  # the k drafts and the target's own token, each attending to the context and the drafts before it
    verify = step_time_s(spec, eff, b * n, b * (n * ctx + kk * n / 2), b * ctx, b * n)
    e = (1.0 - a ** (kk + 1)) / (1.0 - a)
    out = e * plain / (verify + kk * c * plain)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def crossover_batch(dep: Deployment, input_len: int, output_len: int, alpha: float, k: int, draft_cost: float,
                    profile="calibrated", max_batch: int = 4096) -> int | None:
    """Smallest batch (1..max_batch) where speculation no longer pays (speedup <= 1); None if it always pays (§30.3)."""
    b = np.arange(1, v.integer("max_batch", max_batch, low=1, high=1_000_000, scalar=True) + 1, dtype=float)
    s = speculative_speedup(dep, b, input_len, output_len, alpha, k, draft_cost, profile)
    s = np.atleast_1d(s)
    hit = np.nonzero(s <= 1.0)[0]
    return int(b[hit[0]]) if hit.size else None
