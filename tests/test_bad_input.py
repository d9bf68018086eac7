"""Bad input gets a clear ValueError that names the parameter -- never a TypeError, a hang or a NaN.

One table lists every public function of the core modules with valid keyword arguments and,
per parameter, what is valid. The table test substitutes every kind of bad value into every
parameter (and checks the boundary values that ARE valid, such as zero tokens per month); the
fuzz test throws 1,500 seeded random bad inputs at the same table.
"""
from __future__ import annotations

import inspect
import math
import random
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import costlib as cl

NAN, INF = math.nan, math.inf

DEP8 = cl.deployment("llama-3.1-8b", "H100-SXM")
DEP70 = cl.deployment("llama-3.1-70b", "H100-SXM", tp=2)
H100 = cl.get_gpu("H100-SXM")
SWEEP = cl.sweep_batch(DEP8, 2.0, 2048)


# ----------------------------------------------------------------- parameter kinds

@dataclass(frozen=True)
class Num:
    """A number in [low, high] (ends open or closed); ``whole`` for counts."""

    low: float = 0.0
    high: float = math.inf
    low_inc: bool = False
    high_inc: bool = True
    whole: bool = False
    none_ok: bool = False  # None means "use the default" for this parameter
    extra_bad: tuple = ()  # further values this parameter must refuse
    dict_ok: bool = False  # a {key: value} mapping is a valid form of this parameter

    def bad_values(self):
        out = [NAN, INF, -INF, "abc", True, np.array([1.0, NAN]), 1e300, -1e300]
        if not self.dict_ok:
            out.append({})
        if not self.none_ok:
            out.append(None)
        if math.isfinite(self.low):
            out.append(self.low if not self.low_inc else self.low - 0.5)
            out.append(self.low - 2)
        if math.isfinite(self.high):
            out.append(self.high + 0.5 if not self.whole else self.high + 1)
            if not self.high_inc:
                out.append(self.high)
        if self.whole:
            out.append(self.low + 1.5 if self.low_inc else self.low + 2.5)
        return out + list(self.extra_bad)

    def good_edges(self):
        """Boundary values that must be accepted."""
        out = []
        if self.low_inc and math.isfinite(self.low):
            out.append(self.low)
        if self.high_inc and math.isfinite(self.high):
            out.append(self.high)
        if self.none_ok:
            out.append(None)
        return out


@dataclass(frozen=True)
class Id:
    """A catalog id (or option name); ``label`` is the word the error message must contain."""

    label: str
    none_ok: bool = False
    list_ok: bool = False  # a list of ids is a valid form of this parameter

    def bad_values(self):
        out = ["nope-xyz", 3.0, True, NAN, ["nope-xyz"]]
        if not self.list_ok:
            out.append(["H100-SXM"])
        return out if self.none_ok else out + [None]

    def good_edges(self):
        return [None] if self.none_ok else []


@dataclass(frozen=True)
class Dep:
    label: str = "dep"

    def bad_values(self):
        return [None, "llama-3.1-8b", 3.0, {}, DEP8.model]

    def good_edges(self):
        return []


@dataclass(frozen=True)
class Frame:
    label: str = "df"

    def bad_values(self):
        return [None, "table", 3.0, [1, 2], {}]

    def good_edges(self):
        return []


POS = Num()  # > 0
NONNEG = Num(low_inc=True)  # >= 0, zero meaningful
FRAC = Num(high=1.0)  # (0, 1]: utilization, MBU, MFU, memory fraction
SHARE = Num(high=1.0, low_inc=True)  # [0, 1]
GE1 = Num(low=1.0, low_inc=True)  # batch sizes (may be fractional averages), peak factors
COUNT = Num(low=1, low_inc=True, whole=True)  # whole number >= 1
COUNT0 = Num(low=0, low_inc=True, whole=True)  # whole number >= 0
TP8 = Num(low=1, low_inc=True, whole=True, extra_bad=(3, 5, 6, 7, 16))  # must divide 8 KV heads

# (function name, callable, valid kwargs, {parameter: kind})
TABLE = [
    ("get_gpu", cl.get_gpu, dict(name="H100-SXM", hbm_bytes_per_s=3e12, hbm_bytes=80e9),
     dict(name=Id("gpu"), hbm_bytes_per_s=POS, hbm_bytes=POS)),
    ("get_model", cl.get_model, dict(name="llama-3.1-8b"), dict(name=Id("model"))),
    ("get_precision", cl.get_precision, dict(name="int4", group_size=128, scale_bytes=2.0),
     dict(name=Id("precision"), group_size=Num(low=1, low_inc=True, whole=True, none_ok=True),
          scale_bytes=NONNEG)),
    ("get_api_price", cl.get_api_price, dict(name="gpt-4o"), dict(name=Id("api"))),
    ("gpu_usd_per_hour", cl.gpu_usd_per_hour, dict(gpu="H100-SXM", tier="reserved", point="mid"),
     dict(gpu=Id("gpu"), tier=Id("tier"), point=Id("point"))),
    ("GPUSpec.flops_for", H100.flops_for, dict(precision="fp8"), dict(precision=Id("precision"))),
    ("GPUSpec.with_", H100.with_, dict(hbm_bytes_per_s=3e12, link_bytes_per_s=450e9),
     dict(hbm_bytes_per_s=POS, link_bytes_per_s=POS)),
    ("deployment", cl.deployment,
     dict(model="llama-3.1-70b", gpu="H100-SXM", tp=2, weights="bf16", kv="fp8",
          memory_fraction=0.95, reserve_bytes=1e9, hbm_bytes_per_s=3e12),
     dict(model=Id("model"), gpu=Id("gpu"), tp=TP8, weights=Id("precision"),
          kv=Id("precision", none_ok=True), memory_fraction=FRAC, reserve_bytes=NONNEG,
          hbm_bytes_per_s=POS)),
    ("Deployment.with_", DEP70.with_, dict(tp=4, weights="fp8", memory_fraction=0.9),
     dict(tp=TP8, weights=Id("precision"), memory_fraction=FRAC)),
    ("valid_tp", cl.valid_tp, dict(model="llama-3.1-70b", max_tp=8),
     dict(model=Id("model"), max_tp=COUNT)),
    ("weight_bytes", cl.weight_bytes, dict(model="llama-3.1-8b", weights="fp8"),
     dict(model=Id("model"), weights=Id("precision"))),
    ("kv_bytes_per_token", cl.kv_bytes_per_token, dict(model="llama-3.1-8b", kv="fp8"),
     dict(model=Id("model"), kv=Id("precision"))),
    ("usable_bytes", cl.usable_bytes, dict(gpu="H100-SXM", memory_fraction=0.95, reserve_bytes=1e9),
     dict(gpu=Id("gpu"), memory_fraction=FRAC, reserve_bytes=NONNEG)),
    ("fit", cl.fit, dict(dep=DEP8, context=2048, batch=4),
     dict(dep=Dep(), context=Num(low=1, high=131072, low_inc=True, whole=True), batch=COUNT)),
    ("kv_capacity_tokens", cl.kv_capacity_tokens, dict(dep=DEP8), dict(dep=Dep())),
    ("max_batch", cl.max_batch, dict(dep=DEP8, context=2048),
     dict(dep=Dep(), context=Num(low=1, high=131072, low_inc=True, whole=True))),
    ("min_tp", cl.min_tp,
     dict(model="llama-3.1-70b", gpu="H100-SXM", weights="bf16", kv="bf16", context=2048, batch=2,
          max_tp=8, memory_fraction=0.95, reserve_bytes=1e9),
     dict(model=Id("model"), gpu=Id("gpu"), weights=Id("precision"), kv=Id("precision"),
          context=COUNT, batch=COUNT, max_tp=COUNT, memory_fraction=FRAC, reserve_bytes=NONNEG)),
    ("realism", cl.realism, dict(level="high"), dict(level=Id("level"))),
    ("decode_ceiling_tokens_per_s", cl.decode_ceiling_tokens_per_s,
     dict(hbm_bytes_per_s=3e12, model_bytes=140e9, batch=256),
     dict(hbm_bytes_per_s=POS, model_bytes=POS, batch=GE1)),
    ("prefill_ceiling_tokens_per_s", cl.prefill_ceiling_tokens_per_s,
     dict(peak_flops=989e12, n_params=70e9, mfu=0.4), dict(peak_flops=POS, n_params=POS, mfu=FRAC)),
    ("weight_bytes_read_per_step", cl.weight_bytes_read_per_step, dict(dep=DEP8, batch=4),
     dict(dep=Dep(), batch=GE1)),
    ("decode_step", cl.decode_step,
     dict(dep=DEP70, batch=8, context=2048, mbu=0.7, mfu=0.4, allreduce_latency_s=5e-6),
     dict(dep=Dep(), batch=GE1, context=NONNEG, mbu=FRAC, mfu=FRAC, allreduce_latency_s=NONNEG)),
    ("step_time_s", cl.step_time_s, dict(dep=DEP8, batch=8, context=2048, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), batch=GE1, context=NONNEG, mbu=FRAC, mfu=FRAC)),
    ("tpot_s", cl.tpot_s, dict(dep=DEP8, batch=8, context=2048, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), batch=GE1, context=NONNEG, mbu=FRAC, mfu=FRAC)),
    ("decode_tokens_per_s", cl.decode_tokens_per_s,
     dict(dep=DEP8, batch=8, context=2048, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), batch=GE1, context=NONNEG, mbu=FRAC, mfu=FRAC)),
    ("prefill_time_s", cl.prefill_time_s,
     dict(dep=DEP70, prompt_tokens=1000, mfu=0.4, mbu=0.7, allreduce_latency_s=5e-6),
     dict(dep=Dep(), prompt_tokens=GE1, mfu=FRAC, mbu=FRAC, allreduce_latency_s=NONNEG)),
    ("prefill_tokens_per_s", cl.prefill_tokens_per_s, dict(dep=DEP8, prompt_tokens=1000, mfu=0.4),
     dict(dep=Dep(), prompt_tokens=GE1, mfu=FRAC)),
    ("ridge_batch", cl.ridge_batch, dict(dep=DEP8, context=2048, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), context=NONNEG, mbu=FRAC, mfu=FRAC)),
    ("arithmetic_intensity", cl.arithmetic_intensity, dict(dep=DEP8, batch=8, context=2048),
     dict(dep=Dep(), batch=GE1, context=NONNEG)),
    ("prefill_arithmetic_intensity", cl.prefill_arithmetic_intensity,
     dict(dep_or_model="llama-3.1-8b", prompt_tokens=1000, weights="fp8", kv="bf16"),
     dict(dep_or_model=Id("model"), prompt_tokens=GE1, weights=Id("precision", none_ok=True),
          kv=Id("precision", none_ok=True))),
    ("attainable_flops", cl.attainable_flops,
     dict(gpu_flops=989e12, gpu_bytes_per_s=3.35e12, intensity=100.0),
     dict(gpu_flops=POS, gpu_bytes_per_s=POS, intensity=POS)),
    ("decode_estimate", cl.decode_estimate, dict(dep=DEP8, batch=8, context=2048),
     dict(dep=Dep(), batch=GE1, context=NONNEG)),
    ("million_tokens_per_hour", cl.million_tokens_per_hour, dict(tokens_per_s=1000.0, utilization=0.5),
     dict(tokens_per_s=POS, utilization=FRAC)),
    ("usd_per_million_tokens", cl.usd_per_million_tokens,
     dict(usd_per_hour=3.0, tokens_per_s=1000.0, utilization=0.5),
     dict(usd_per_hour=POS, tokens_per_s=POS, utilization=FRAC)),
    ("breakeven_usd_per_hour", cl.breakeven_usd_per_hour,
     dict(usd_per_million=0.88, tokens_per_s=1000.0, utilization=0.5),
     dict(usd_per_million=POS, tokens_per_s=POS, utilization=FRAC)),
    ("required_tokens_per_s", cl.required_tokens_per_s,
     dict(usd_per_hour=2.0, usd_per_million=0.88, utilization=0.5),
     dict(usd_per_hour=POS, usd_per_million=POS, utilization=FRAC)),
    ("tier_usd_per_hour", cl.tier_usd_per_hour,
     dict(on_demand_usd_per_hour=4.0, tier="bare_metal", point="low"),
     dict(on_demand_usd_per_hour=POS, tier=Id("tier"), point=Id("point"))),
    ("owned_cost", cl.owned_cost,
     dict(purchase_usd=35000, years=3.0, power_w=700, pue=1.3, usd_per_kwh=0.1, ops_overhead=0.15),
     dict(purchase_usd=POS, years=POS, power_w=NONNEG, pue=Num(low=1, high=5, low_inc=True),
          usd_per_kwh=NONNEG, ops_overhead=Num(high=10, low_inc=True))),
    ("owned_usd_per_gpu_hour", cl.owned_usd_per_gpu_hour,
     dict(purchase_usd=35000, years=3.0, power_w=700, pue=1.3, usd_per_kwh=0.1, ops_overhead=0.15),
     dict(purchase_usd=POS, years=POS, power_w=NONNEG, pue=Num(low=1, high=5, low_inc=True),
          usd_per_kwh=NONNEG, ops_overhead=Num(high=10, low_inc=True))),
    ("decode_usd_per_million", cl.decode_usd_per_million,
     dict(dep=DEP8, usd_per_gpu_hour=2.0, batch=8, context=2048, utilization=0.5, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), usd_per_gpu_hour=POS, batch=GE1, context=NONNEG,
          utilization=FRAC, mbu=FRAC, mfu=FRAC)),
    ("prefill_usd_per_million", cl.prefill_usd_per_million,
     dict(dep=DEP8, usd_per_gpu_hour=2.0, prompt_tokens=1000, utilization=0.5, mfu=0.4),
     dict(dep=Dep(), usd_per_gpu_hour=POS, prompt_tokens=Num(low=1, high=131072, low_inc=True),
          utilization=FRAC, mfu=FRAC)),
    ("workload_cost", cl.workload_cost,
     dict(dep=DEP8, usd_per_gpu_hour=2.0, prompt_tokens=1000, output_tokens=500, batch=8,
          utilization=0.5, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), usd_per_gpu_hour=POS, prompt_tokens=GE1, output_tokens=GE1, batch=COUNT,
          utilization=FRAC, mbu=FRAC, mfu=FRAC)),
    ("cost_at_utilization", cl.cost_at_utilization,
     dict(usd_per_million_at_full=0.56, utilization=0.5),
     dict(usd_per_million_at_full=POS, utilization=FRAC)),
    ("api_monthly_usd", cl.api_monthly_usd,
     dict(tokens_per_month=1e9, usd_per_million_input=0.88, usd_per_million_output=0.88,
          input_share=0.5),
     dict(tokens_per_month=NONNEG, usd_per_million_input=NONNEG,
          usd_per_million_output=Num(low_inc=True, none_ok=True), input_share=SHARE)),
    ("monthly_capacity_tokens", cl.monthly_capacity_tokens,
     dict(tokens_per_s=1000.0, replicas=2, hours_per_month=720),
     dict(tokens_per_s=POS, replicas=COUNT, hours_per_month=POS)),
    ("replicas_needed", cl.replicas_needed,
     dict(tokens_per_month=1e9, tokens_per_s_per_replica=1000.0, peak_factor=3.0, headroom=0.3,
          min_replicas=1, hours_per_month=720),
     dict(tokens_per_month=NONNEG, tokens_per_s_per_replica=POS, peak_factor=GE1,
          headroom=Num(high=10, low_inc=True), min_replicas=COUNT0, hours_per_month=POS)),
    ("self_host_monthly_usd", cl.self_host_monthly_usd,
     dict(tokens_per_month=1e9, tokens_per_s_per_replica=1000.0, usd_per_gpu_hour=2.0,
          gpus_per_replica=2, peak_factor=3.0, headroom=0.3, min_replicas=1, hours_per_month=720),
     dict(tokens_per_month=NONNEG, tokens_per_s_per_replica=POS, usd_per_gpu_hour=POS,
          gpus_per_replica=COUNT, peak_factor=GE1, headroom=Num(high=10, low_inc=True),
          min_replicas=COUNT0, hours_per_month=POS)),
    ("crossover_tokens_per_month", cl.crossover_tokens_per_month,
     dict(api_usd_per_million=0.88, usd_per_gpu_hour=2.0, gpus=2, hours_per_month=720,
          self_host_usd_per_million=0.1),
     dict(api_usd_per_million=POS, usd_per_gpu_hour=POS, gpus=COUNT, hours_per_month=POS,
          self_host_usd_per_million=NONNEG)),
    ("step_crossover_tokens_per_month", cl.step_crossover_tokens_per_month,
     dict(api_usd_per_million=0.88, tokens_per_s_per_replica=1000.0, usd_per_gpu_hour=2.0,
          gpus_per_replica=2, peak_factor=1.5, headroom=0.3, min_replicas=1, hours_per_month=720),
     dict(api_usd_per_million=POS, tokens_per_s_per_replica=POS, usd_per_gpu_hour=POS,
          gpus_per_replica=COUNT, peak_factor=GE1, headroom=Num(high=10, low_inc=True),
          min_replicas=COUNT, hours_per_month=POS)),
    ("breakeven_utilization", cl.breakeven_utilization,
     dict(api_usd_per_million=0.88, usd_per_gpu_hour=2.0, tokens_per_s=1000.0),
     dict(api_usd_per_million=POS, usd_per_gpu_hour=POS, tokens_per_s=POS)),
    ("capacity_plan", cl.capacity_plan,
     dict(users=1e6, sessions_per_day=10, tokens_per_session=500, tokens_per_s_per_gpu=1000,
          peak_factor=3.0, headroom=0.3, usd_per_gpu_hour=2.0, gpus_per_replica=2,
          prompt_tokens_per_session=100.0, prefill_tokens_per_s_per_gpu=5000.0, days_per_month=30),
     dict(users=POS, sessions_per_day=POS, tokens_per_session=POS, tokens_per_s_per_gpu=POS,
          peak_factor=GE1, headroom=Num(high=10, low_inc=True), usd_per_gpu_hour=POS,
          gpus_per_replica=COUNT, prompt_tokens_per_session=NONNEG,
          prefill_tokens_per_s_per_gpu=POS, days_per_month=Num(high=31))),
    ("users_supported", cl.users_supported,
     dict(gpus=226, tokens_per_s_per_gpu=1000, sessions_per_day=10, tokens_per_session=500,
          peak_factor=3.0, headroom=0.3, gpus_per_replica=2),
     dict(gpus=COUNT, tokens_per_s_per_gpu=POS, sessions_per_day=POS, tokens_per_session=POS,
          peak_factor=GE1, headroom=Num(high=10, low_inc=True), gpus_per_replica=COUNT)),
    ("gpus_saved", cl.gpus_saved,
     dict(users=1e6, sessions_per_day=10, tokens_per_session=500, tokens_per_s_per_gpu_before=1000,
          tokens_per_s_per_gpu_after=2000, gpus_per_replica_before=2, gpus_per_replica_after=1),
     dict(users=POS, sessions_per_day=POS, tokens_per_session=POS, tokens_per_s_per_gpu_before=POS,
          tokens_per_s_per_gpu_after=POS, gpus_per_replica_before=COUNT,
          gpus_per_replica_after=COUNT)),
    ("compare_hardware", cl.compare_hardware,
     dict(model="llama-3.1-70b", weights="fp8", kv="fp8", gpus=["H100-SXM", "A100-SXM-80GB"],
          context=2048, batch=4, batch_cap=256, tier="on_demand", usd_per_gpu_hour=2.0, mbu=0.7,
          mfu=0.4, max_tp=8),
     dict(model=Id("model"), weights=Id("precision"), kv=Id("precision", none_ok=True),
          gpus=Id("gpu", none_ok=True, list_ok=True), context=COUNT, batch=Num(low=1, low_inc=True, whole=True,
                                                                   none_ok=True),
          batch_cap=COUNT, tier=Id("tier"), usd_per_gpu_hour=Num(none_ok=True, dict_ok=True), mbu=FRAC, mfu=FRAC,
          max_tp=COUNT)),
    ("default_batches", cl.default_batches, dict(max_batch=100), dict(max_batch=COUNT0)),
    ("sweep_batch", cl.sweep_batch,
     dict(dep=DEP8, usd_per_gpu_hour=2.0, context=2048, batches=[1, 8, 64], mbu=0.7, mfu=0.4),
     dict(dep=Dep(), usd_per_gpu_hour=POS, context=Num(low=1, high=131072, low_inc=True, whole=True),
          batches=Num(low=1, low_inc=True, whole=True, none_ok=True), mbu=FRAC, mfu=FRAC)),
    ("largest_batch_under_tpot", cl.largest_batch_under_tpot,
     dict(dep=DEP8, tpot_target_s=0.05, context=2048, mbu=0.7, mfu=0.4),
     dict(dep=Dep(), tpot_target_s=POS, context=Num(low=1, high=131072, low_inc=True, whole=True),
          mbu=FRAC, mfu=FRAC)),
    ("pareto_frontier", cl.pareto_frontier, dict(df=SWEEP, x="tpot_s", y="usd_per_million"),
     dict(df=Frame(), x=Id("column"), y=Id("column"))),
]

# Exported names that take no input worth validating (catalog tables, id lists) or are types.
NO_INPUT = {"gpus", "models", "gpu_prices", "api_prices", "tiers", "gpu_ids", "model_ids",
            "api_ids", "measured"}
# last component of the module names (costlib.catalog.tables, costlib.physics.step, ...)
CORE_MODULES = {"tables", "deployment", "memory", "step", "cost", "crossover", "capacity",
                "hardware", "frontier"}
# Public core functions that check their input elsewhere (none today).
CHECKED_ELSEWHERE: set = set()


def label_of(kind, param: str) -> str:
    return param if isinstance(kind, Num) else kind.label


def table_cases():
    for fname, fn, kwargs, spec in TABLE:
        for param, kind in spec.items():
            for bad in kind.bad_values():
                yield pytest.param(fn, kwargs, param, bad, label_of(kind, param),
                                   id=f"{fname}-{param}={bad!r}"[:90])


def edge_cases():
    for fname, fn, kwargs, spec in TABLE:
        for param, kind in spec.items():
            for good in kind.good_edges():
                yield pytest.param(fn, kwargs, param, good, id=f"{fname}-{param}={good!r}")


# ----------------------------------------------------------------- the table

def test_valid_kwargs_are_valid():
    for fname, fn, kwargs, _ in TABLE:
        try:
            fn(**kwargs)
        except Exception as e:  # noqa: BLE001
            pytest.fail(f"TABLE entry {fname} has invalid 'valid' kwargs: {e!r}")


def test_table_covers_every_public_function_of_the_core():
    listed = {name for name, *_ in TABLE}
    missing = []
    for name in dir(cl):
        obj = getattr(cl, name)
        if name.startswith("_") or name in NO_INPUT | CHECKED_ELSEWHERE or inspect.isclass(obj):
            continue
        if not callable(obj) or getattr(obj, "__module__", "").split(".")[-1] not in CORE_MODULES:
            continue
        if name not in listed:
            missing.append(name)
    assert not missing, f"add these public functions to TABLE: {missing}"


def test_table_names_every_parameter():
    for fname, fn, kwargs, spec in TABLE:
        assert set(kwargs) == set(spec), fname
        params = inspect.signature(fn).parameters
        has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for p in spec:
            assert p in params or has_var_kw, (fname, p)


@pytest.mark.parametrize("fn, kwargs, param, bad, label", list(table_cases()))
def test_bad_value_is_refused_naming_the_parameter(fn, kwargs, param, bad, label):
    with pytest.raises(ValueError) as err:
        fn(**{**kwargs, param: bad})
    msg = str(err.value)
    assert label in msg, f"message does not name {label!r}: {msg}"


@pytest.mark.parametrize("fn, kwargs, param, good", list(edge_cases()))
def test_boundary_values_that_make_sense_are_accepted(fn, kwargs, param, good):
    fn(**{**kwargs, param: good})


@pytest.mark.parametrize("tp", [3, 5, 6, 7])
def test_tp_that_does_not_divide_kv_heads_is_refused_with_the_valid_ones(tp):
    with pytest.raises(ValueError, match=r"tp must divide .*8.*Valid: 1, 2, 4, 8"):
        cl.deployment("llama-3.1-70b", "H100-SXM", tp=tp)


def test_unknown_gpu_field_is_a_value_error():
    with pytest.raises(ValueError, match="hbm_bytes_per_sec"):
        cl.deployment("llama-3.1-8b", "H100-SXM", hbm_bytes_per_sec=3e12)
    with pytest.raises(ValueError, match="tensor_parallel"):
        DEP8.with_(tensor_parallel=2)


def test_a_mistyped_tier_is_refused_not_left_blank():
    with pytest.raises(ValueError, match="tier"):
        cl.compare_hardware("llama-3.1-8b", gpus=["H100-SXM"], tier="reservd")


def test_group_size_for_bf16_is_refused():
    with pytest.raises(ValueError, match="group_size"):
        cl.get_precision("bf16", group_size=128)


def test_capacity_plan_needs_a_prefill_rate_when_prompts_count():
    with pytest.raises(ValueError, match="prefill_tokens_per_s_per_gpu"):
        cl.capacity_plan(1e6, 10, 500, 1000, prompt_tokens_per_session=100)


def test_pricing_an_impossible_config_is_a_not_feasible_value_error():
    with pytest.raises(ValueError, match="does not fit"):
        cl.decode_usd_per_million(cl.deployment("llama-3.1-70b", "H100-SXM"), 2.0, 1, 2048)
    with pytest.raises(cl.NotFeasible):
        cl.workload_cost(DEP70, 2.0, 1000, 1000, batch=512)


def test_numpy_array_with_a_nan_is_refused_where_arrays_are_accepted():
    with pytest.raises(ValueError, match="batch"):
        cl.decode_step(DEP8, np.array([1.0, 8.0, NAN]), 2048)
    with pytest.raises(ValueError, match="context"):
        cl.decode_step(DEP8, 8, np.array([[512.0], [INF]]))


# ----------------------------------------------------------------- the fuzz test

def _pool(rng: random.Random):
    """A bad-ish value of a random type."""
    choices = [
        lambda: NAN, lambda: INF, lambda: -INF, lambda: -rng.uniform(1e-6, 1e12), lambda: 0,
        lambda: 0.0, lambda: 10.0 ** rng.randint(30, 308), lambda: 10.0 ** -rng.randint(30, 320),
        lambda: rng.choice(["", "abc", "1e3", "nan", "H100", "fp9", "llama", " "]), lambda: None,
        lambda: rng.choice([True, False]), lambda: [rng.random(), NAN],
        lambda: [], lambda: [1, 2], lambda: np.array([1.0, NAN]), lambda: np.array([]),
        lambda: np.array([[2.0, 3.0]]), lambda: {"a": 1}, lambda: object(), lambda: (1,),
        lambda: rng.randint(-10, 10) + 0.5, lambda: 10 ** rng.randint(31, 400),
        lambda: np.float32(NAN), lambda: np.int64(-3), lambda: complex(1, 1),
        lambda: pd.Series([1.0, 2.0]), lambda: rng.uniform(0, 2),
    ]
    return rng.choice(choices)()


def _always_bad(value) -> bool:
    """Values no numeric or id parameter may accept (None excepted: some mean 'default')."""
    if value is None or isinstance(value, (list, np.ndarray, pd.Series, tuple)):
        return False
    if isinstance(value, (bool, np.bool_, dict, complex)) or type(value) is object:
        return True
    if isinstance(value, str):
        return True  # no string in the pool names a valid id
    x = float(value) if abs(value) < 1e308 else math.inf
    return not math.isfinite(x) or x < 0 or (x != 0 and not 1e-30 <= abs(x) <= 1e30)


def test_fuzz_only_value_errors_escape():
    rng = random.Random(20251129)
    n_cases, refused = 1500, 0
    for i in range(n_cases):
        fname, fn, kwargs, spec = rng.choice(TABLE)
        params = rng.sample(list(spec), k=min(len(spec), rng.choice([1, 1, 1, 2, 3])))
        bad = {p: _pool(rng) for p in params}
        try:
            out = fn(**{**kwargs, **bad})
        except ValueError as e:
            msg = str(e)
            assert msg.strip(), f"case {i}: {fname}({bad!r}) raised an empty ValueError"
            # it names one of the parameters it was given (or says the config does not fit)
            names = [p for p in bad] + [label_of(spec[p], p) for p in bad] + ["does not fit"]
            assert any(n in msg for n in names), f"case {i}: {fname}(**{bad!r}): {msg}"[:400]
            refused += 1
            continue
        except Exception as e:  # noqa: BLE001 -- the point of the test
            pytest.fail(f"case {i}: {fname}(**{bad!r}) raised {type(e).__name__}: {e}")
        # accepted: only legitimately valid values may get through
        for p, val in bad.items():
            assert not _always_bad(val), f"case {i}: {fname} accepted {p}={val!r} -> {out!r}"[:300]
        if isinstance(out, (float, np.floating)):
            assert not math.isnan(out), f"case {i}: {fname}(**{bad!r}) returned NaN"
    assert refused > n_cases * 0.8  # the pool really is mostly bad
