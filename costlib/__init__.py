"""costlib: the formulas, catalogs and teaching tools of the Inference Cost Workbook.

Every number in the workbook comes from here. Modules follow the chapter "Cost modeling for
inference: tokens, GPUs, dollars" (§30.1-§30.11): catalog, memory, throughput, cost, crossover,
hardware, frontier, capacity, plus plots, widgets and grading for the notebooks.
"""

from .calibration import (  # noqa: I001 (after validate: it builds on it)
    DEFAULT_PROFILE,
    CrossValidation,
    EfficiencyProfile,
    calibrate,
    cross_validate,
)
from .calculator import Quote, quote
from .capacity import CapacityPlan, capacity_plan, gpus_saved, users_supported
from .catalog import (
    PRECISIONS,
    GPUSpec,
    ModelSpec,
    Precision,
    api_ids,
    api_prices,
    get_api_price,
    get_gpu,
    get_model,
    get_precision,
    gpu_ids,
    gpu_prices,
    gpu_usd_per_hour,
    gpus,
    measured,
    model_ids,
    models,
    tiers,
)
from .cost import (
    WORKLOADS,
    NotFeasible,
    OwnedCost,
    WorkloadCost,
    breakeven_usd_per_hour,
    cost_at_utilization,
    decode_usd_per_million,
    million_tokens_per_hour,
    owned_cost,
    owned_usd_per_gpu_hour,
    prefill_usd_per_million,
    required_tokens_per_s,
    tier_usd_per_hour,
    usd_per_million_tokens,
    workload_cost,
)
from .crossover import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    api_monthly_usd,
    breakeven_utilization,
    crossover_tokens_per_month,
    monthly_capacity_tokens,
    replicas_needed,
    self_host_monthly_usd,
    step_crossover_tokens_per_month,
)
from .deployment import Deployment, deployment, valid_tp
from .frontier import default_batches, largest_batch_under_tpot, pareto_frontier, sweep_batch
from .hardware import compare_hardware
from .memory import (
    FitResult,
    fit,
    kv_bytes_per_token,
    kv_capacity_tokens,
    max_batch,
    min_tp,
    usable_bytes,
    weight_bytes,
)
from .throughput import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    MBU_RANGE,
    MFU_RANGE,
    DecodeStep,
    arithmetic_intensity,
    attainable_flops,
    decode_ceiling_tokens_per_s,
    decode_estimate,
    decode_step,
    decode_tokens_per_s,
    prefill_arithmetic_intensity,
    prefill_ceiling_tokens_per_s,
    prefill_time_s,
    prefill_tokens_per_s,
    realism,
    ridge_batch,
    step_time_s,
    tpot_s,
    weight_bytes_read_per_step,
)
from .validation import (
    Measurement,
    MeasurementSet,
    Prediction,
    ValidationReport,
    ceiling_tokens_per_s,
    predict_row,
    read_measurements,
    validate,
)

__version__ = "0.1.0"
from .grading import check, hint, questions  # noqa: E402
