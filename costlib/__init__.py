"""costlib: the formulas, catalogs and teaching tools of the Inference Cost Workbook.

Every number in the workbook comes from here. The package is layered, bottom to top (a lower layer
never imports a higher one; see docs/architecture.md): common, catalog, physics, estimate,
economics | evidence, teaching, ui. The names below (``cl.fit``, ``cl.quote``, ``cl.check`` ...) are
loaded on first use (PEP 562), so ``import costlib`` itself loads no widgets, plots or teaching
modules.
"""
from __future__ import annotations

from costlib.common.lazy import lazy_exports

__version__ = "0.1.0"

# module -> the public names it gives to ``costlib.<name>``
_PUBLIC = {
    "costlib.common.units": (
        "DAYS_PER_MONTH", "HOURS_PER_MONTH",
    ),
    "costlib.catalog.tables": (
        "api_ids", "api_prices", "get_api_price", "get_gpu", "get_model", "get_precision", "gpu_ids",
        "gpu_prices", "gpu_usd_per_hour", "gpus", "GPUSpec", "measured", "model_ids", "models",
        "ModelSpec", "Precision", "PRECISIONS", "tiers",
    ),
    "costlib.catalog.deployment": (
        "Deployment", "deployment", "valid_tp",
    ),
    "costlib.physics.memory": (
        "fit", "FitResult", "kv_bytes_per_token", "kv_capacity_tokens", "max_batch", "min_tp",
        "usable_bytes", "weight_bytes",
    ),
    "costlib.physics.step": (
        "arithmetic_intensity", "attainable_flops", "decode_ceiling_tokens_per_s", "decode_estimate",
        "decode_step", "decode_tokens_per_s", "DecodeStep", "DEFAULT_MBU", "DEFAULT_MFU", "MBU_RANGE",
        "MFU_RANGE", "prefill_arithmetic_intensity", "prefill_ceiling_tokens_per_s", "prefill_time_s",
        "prefill_tokens_per_s", "realism", "ridge_batch", "step_time_s", "tpot_s",
        "weight_bytes_read_per_step",
    ),
    "costlib.physics.engine": (
        "Efficiency", "EngineLimits", "step_parts",
    ),
    "costlib.physics.replica": (
        "ReplicaSpec", "replica_spec",
    ),
    "costlib.estimate.profiles": (
        "Profile", "get_profile", "load_profile",
    ),
    "costlib.estimate.predict": (
        "Band", "Estimate", "predict", "prefill_ttft_s", "batch_for_tpot",
    ),
    "costlib.evidence.measurements": (
        "Measurement", "MeasurementSet", "read_measurements",
    ),
    "costlib.economics.cost": (
        "breakeven_usd_per_hour", "cost_at_utilization", "decode_usd_per_million",
        "million_tokens_per_hour", "NotFeasible", "owned_cost", "owned_usd_per_gpu_hour", "OwnedCost",
        "prefill_usd_per_million", "required_tokens_per_s", "tier_usd_per_hour",
        "usd_per_million_tokens", "workload_cost", "WorkloadCost", "WORKLOADS", "decode_tokens_per_s_band",
        "prefill_tokens_per_s_band", "economics_profile", "request_shape",
    ),
    "costlib.economics.crossover": (
        "api_monthly_usd", "breakeven_utilization", "crossover_tokens_per_month",
        "monthly_capacity_tokens", "replicas_needed", "self_host_monthly_usd",
        "step_crossover_tokens_per_month",
    ),
    "costlib.economics.capacity": (
        "capacity_plan", "CapacityPlan", "gpus_saved", "users_supported",
    ),
    "costlib.economics.frontier": (
        "default_batches", "largest_batch_under_tpot", "pareto_frontier", "sweep_batch", "memory_limited_batch",
    ),
    "costlib.economics.hardware": (
        "compare_hardware",
    ),
    "costlib.economics.quote": (
        "Quote", "quote",
    ),
    "costlib.economics.billing": (
    "api_billing", "api_usd_per_million_input", "api_usd_per_request",
    ),
    "costlib.economics.prefix": (
    "selfhost_vs_api",
    ),
    "costlib.economics.sensitivity": (
    "sensitivity", "sensitivity_ranges",
    ),
    "costlib.estimate.speculative": (
    "expected_tokens_per_step", "speculative_speedup", "crossover_batch",
    ),
    "costlib.estimate.energy": (
    "energy_use", "board_power_w", "lever_constants",
    ),
    "costlib.evidence.validate": (
        "validate", "ValidationReport", "Prediction",
    ),
    "costlib.evidence.calibrate": (
        "calibrate", "cross_validate", "CrossValidation",
    ),
    "costlib.teaching.grading": (
        "check", "hint", "questions",
    ),
}
__getattr__, __dir__, __all__ = lazy_exports("costlib", globals(), _PUBLIC)
