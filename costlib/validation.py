"""How wrong is the roofline? Predict published max-throughput runs and compare (§30.3, §30.4).

A *measurement* is one row of the schema of ``costlib/data/measured.csv``: ``n_gpus`` GPUs as
``n_gpus / tp`` replicas, every request exactly ``input_len`` prompt tokens and ``output_len``
generated tokens, the engine batching as many requests as memory allows; the figure is the total
output tokens/s of all GPUs. For each row costlib predicts:

* **ceiling** -- a physical upper bound (see :func:`ceiling_tokens_per_s` for the argument);
* **low / mid / high** -- a realistic estimate from an :class:`~costlib.calibration.EfficiencyProfile`
  (MBU, MFU, usable memory, per-step overhead, link efficiency) and that profile's error band.

:func:`read_measurements` reads any CSV (or DataFrame) of the schema and skips bad rows with a
reason; :func:`validate` predicts every good row and returns a :class:`ValidationReport` whose
``to_dict()`` is the JSON object of ``python -m costlib validate FILE --json``.
Row numbers are 0-based indices of the data rows (the first line after the header is row 0), as
in ``pandas.read_csv(FILE).index``.
"""
from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _validate as v
from .catalog import get_gpu, get_model, get_precision

__all__ = [
    "REQUIRED_COLUMNS", "Measurement", "MeasurementSet", "Prediction", "ValidationReport",
    "read_measurements", "physical_hbm_bytes", "ceiling_peak_flops", "ceiling_tokens_per_s",
    "predict_row", "predict", "validate", "explain",
]

REQUIRED_COLUMNS = ("gpu", "n_gpus", "tp", "model", "weight_dtype", "kv_dtype", "input_len",
                    "output_len", "output_tokens_per_s")
SCENARIO = "max_throughput"  # the only scenario the max-batch model describes

# Datasheets quote HBM in "GB" that are in fact binary (an H100's 80 GB are 80 GiB = 85.9e9 bytes;
# nvidia-smi reports 81,559 MiB). The catalog keeps the decimal figure; the ceiling reads it as
# GiB, the larger of the two readings, so it stays an upper bound whichever one is meant.
GIB_PER_GB = 2**30 / 1e9
_FORMAT_BITS = {"bf16_tflops": 16, "fp8_tflops": 8, "int8_tops": 8, "fp4_tflops": 4}


# ---------------------------------------------------------------- one measurement

@dataclass(frozen=True)
class Measurement:
    """One published run: the deployment, the request shape and the measured output tokens/s (§30.4)."""

    row: int
    gpu: str
    model: str
    weights: str
    kv: str
    n_gpus: int
    tp: int
    input_len: int
    output_len: int
    measured_tokens_per_s: float
    source: str = ""

    @property
    def replicas(self) -> int:
        return self.n_gpus // self.tp

    @property
    def shape(self) -> str:
        return f"{self.input_len}/{self.output_len}"


@dataclass(frozen=True)
class MeasurementSet:
    """Rows read from a measurement table: the usable ones and, for the others, why they were skipped."""

    rows_read: int
    measurements: tuple
    skipped: tuple  # of {"row": i, "reason": "..."}

    def __len__(self) -> int:
        return len(self.measurements)

    def to_frame(self) -> pd.DataFrame:
        """The usable rows as a DataFrame (one column per Measurement field)."""
        cols = ["row", "gpu", "model", "weights", "kv", "n_gpus", "tp", "input_len", "output_len",
                "measured_tokens_per_s", "source"]
        return pd.DataFrame([{c: getattr(m, c) for c in cols} for m in self.measurements], columns=cols)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def _count(name: str, raw) -> int:
    text = _text(raw)
    if not text:
        raise ValueError(f"{name} is missing")
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(x) or x != math.floor(x) or x < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {text!r}")
    if x > 1e9:
        raise ValueError(f"{name} is implausibly large: {text!r}")
    return int(x)


def _positive(name: str, raw) -> float:
    text = _text(raw)
    if not text:
        raise ValueError(f"{name} is missing")
    try:
        x = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {text!r}")
    if x > 1e12:
        raise ValueError(f"{name} is implausibly large: {text!r}")
    return x


def _measurement(i: int, rec: dict) -> Measurement:
    """Parse and check one record; raises ValueError with the reason it cannot be predicted."""
    missing = [c for c in REQUIRED_COLUMNS if not _text(rec.get(c))]
    if missing:
        raise ValueError(f"missing value(s): {', '.join(missing)}")
    scenario = _text(rec.get("scenario"))
    if scenario and scenario.lower() != SCENARIO:
        raise ValueError(f"scenario {scenario!r} is not {SCENARIO!r} (only max-throughput runs are modelled)")
    gpu = get_gpu(_text(rec["gpu"]))
    model = get_model(_text(rec["model"]))
    try:
        weights = get_precision(_text(rec["weight_dtype"]))
    except ValueError as e:
        raise ValueError(f"weight_dtype: {e}") from None
    try:
        kv = get_precision(_text(rec["kv_dtype"]))
    except ValueError as e:
        raise ValueError(f"kv_dtype: {e}") from None
    n_gpus = _count("n_gpus", rec["n_gpus"])
    tp = _count("tp", rec["tp"])
    if n_gpus % tp:
        raise ValueError(f"tp ({tp}) does not divide n_gpus ({n_gpus})")
    if model.n_kv_heads % tp:
        raise ValueError(f"tp ({tp}) does not divide the {model.n_kv_heads} KV heads of {model.id}")
    input_len = _count("input_len", rec["input_len"])
    output_len = _count("output_len", rec["output_len"])
    if input_len + output_len > model.max_context:
        raise ValueError(f"input_len + output_len = {input_len + output_len:,} exceeds the "
                         f"{model.max_context:,}-token context of {model.id}")
    measured = _positive("output_tokens_per_s", rec["output_tokens_per_s"])
    m = Measurement(row=i, gpu=gpu.id, model=model.id, weights=weights.name, kv=kv.name, n_gpus=n_gpus,
                    tp=tp, input_len=input_len, output_len=output_len, measured_tokens_per_s=measured,
                    source=_text(rec.get("source")))
    f = _features(m)
    if f["cap_ceiling_tokens"] < input_len + output_len - 1:
        need = f["weight_bytes"] + (input_len + output_len - 1) * f["kv_bytes_per_token"]
        raise ValueError(f"does not fit: {model.id} {weights.name} on {tp}x{gpu.id} needs "
                         f"{need / 1e9:,.1f} GB for its weights and one sequence, "
                         f"{tp * physical_hbm_bytes(gpu) / 1e9:,.1f} GB available")
    return m


def read_measurements(source) -> MeasurementSet:
    """Read a measurement CSV (path) or DataFrame; bad rows are skipped with a reason, never raised (§30.4).

    Raises ValueError only for the table itself: a missing/unreadable file, no header, or required
    columns missing (the message names them).
    """
    if isinstance(source, MeasurementSet):
        return source
    if isinstance(source, pd.DataFrame):
        header = [str(c) for c in source.columns]
        records = [{str(k): val for k, val in r.items()} for r in source.to_dict("records")]
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ValueError(f"measurements file not found: {path!r}")
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                header = [h.strip() for h in (reader.fieldnames or [])]
                reader.fieldnames = header
                records = list(reader)
        except (UnicodeDecodeError, csv.Error) as e:
            raise ValueError(f"cannot read {path!r} as a CSV file: {e}") from None
    else:
        raise ValueError(f"measurements must be a CSV path or a pandas DataFrame, got {type(source).__name__}")
    if not header:
        raise ValueError("the measurement table has no header row")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"the measurement table lacks required column(s) {', '.join(missing)}; "
                         f"required: {', '.join(REQUIRED_COLUMNS)}")
    good, skipped = [], []
    for i, rec in enumerate(records):
        if None in rec:  # csv.DictReader puts extra fields under the key None
            skipped.append({"row": i, "reason": f"{len(rec[None])} more field(s) than the header"})
            continue
        try:
            good.append(_measurement(i, rec))
        except ValueError as e:
            skipped.append({"row": i, "reason": " ".join(str(e).split())})
    return MeasurementSet(rows_read=len(records), measurements=tuple(good), skipped=tuple(skipped))


# ---------------------------------------------------------------- physics of one row

def physical_hbm_bytes(gpu) -> float:
    """An upper bound on a GPU's memory: its datasheet GB read as GiB (80 GB -> 85.9e9 bytes) (§30.3)."""
    return get_gpu(gpu).hbm_bytes * GIB_PER_GB


def ceiling_peak_flops(gpu, weights, kv=None) -> float:
    """Fastest dense tensor-core rate the GPU lists for a format no narrower than the weights/KV (§30.8).

    Whatever format an engine picks for the matmuls (e.g. fp4 weights with fp8 activations on an
    H100, or attention in fp8 over an fp8 KV cache), it cannot beat this rate.
    """
    g = get_gpu(gpu)
    bits = min(get_precision(weights).bits, get_precision(kv if kv is not None else weights).bits)
    bits = math.floor(bits + 1e-9)
    rates = [r for col, r in g.peak_flops.items() if _FORMAT_BITS.get(col, 16) >= bits]
    return max(rates) if rates else g.peak_flops["bf16_tflops"]


@functools.lru_cache(maxsize=4096)
def _spec_features(gpu_id, model_id, weights, kv, tp):
    g, m = get_gpu(gpu_id), get_model(model_id)
    w, k = get_precision(weights), get_precision(kv)
    bpv = w.bytes_per_value
    vh = m.vocab_size * m.hidden_size
    emb_in = 0 if m.tied_embeddings else vh  # the input table is looked up, not read or multiplied
    weight_bytes = m.n_params * bpv
    kvb = 2 * m.n_layers * m.n_kv_heads * m.head_dim * k.bytes_per_value
    if m.is_moe:
        # strict minimum: a step touches at least k experts per layer
        read_min = (m.shared_params - emb_in + m.n_layers * m.experts_per_token * m.expert_params) * bpv
    else:
        read_min = weight_bytes - emb_in * bpv
    return {
        "tp": float(tp), "hbm_bytes_per_s": g.hbm_bytes_per_s, "link_bytes_per_s": g.link_bytes_per_s,
        "hbm_physical_bytes": physical_hbm_bytes(g), "peak_ceiling": ceiling_peak_flops(g, w, k),
        "peak_real": g.flops_for(w), "weight_bytes": weight_bytes, "kv_bytes_per_token": float(kvb),
        "weight_read_min_bytes": read_min,
        "shared_read_bytes": (m.shared_params - emb_in) * bpv,
        "expert_layer_bytes": m.n_layers * m.expert_params * bpv,
        "n_experts": float(m.n_experts), "experts_per_token": float(m.experts_per_token),
        "is_moe": float(m.is_moe),
        "body_params": float(m.n_active_params - m.embedding_params), "head_params": float(vh),
        "attn_width": float(m.n_layers * m.n_heads * m.head_dim),
        "n_layers": float(m.n_layers), "hidden_size": float(m.hidden_size),
    }


def _features(m: Measurement) -> dict:
    """Everything the ceiling and the realistic model need about one row, in SI units."""
    f = dict(_spec_features(m.gpu, m.model, m.weights, m.kv, m.tp))
    i, o = float(m.input_len), float(m.output_len)
    # decode step k (k = 2..O) attends over I + k - 1 cached tokens: sum = (O-1) I + (O-1) O / 2
    ctx_sum = (o - 1) * i + (o - 1) * o / 2
    f.update(
        input_len=i, output_len=o, replicas=float(m.replicas), ctx_sum=ctx_sum,
        avg_context=i + o / 2,
        # FLOPs per request: prefill (matmuls, head for the last position only, causal attention)
        # + O-1 decode tokens (matmuls + head + attention over the cache)
        flops=(2 * f["body_params"] * i + 2 * f["head_params"] + 2 * f["attn_width"] * i * (i + 1)
               + (o - 1) * 2 * (f["body_params"] + f["head_params"]) + 4 * f["attn_width"] * ctx_sum),
        kv_bytes_moved=f["kv_bytes_per_token"] * (ctx_sum + i + o - 1),  # reads while decoding + writes
        cap_ceiling_tokens=(f["tp"] * f["hbm_physical_bytes"] - f["weight_bytes"]) / f["kv_bytes_per_token"],
    )
    return f


def _stack(measurements) -> dict:
    rows = [_features(m) for m in measurements]
    if not rows:
        return {}
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}


def _ceiling(F: dict):
    """Vectorised ceiling over stacked features (see ceiling_tokens_per_s)."""
    tp = F["tp"]
    steps = F["ctx_sum"] / F["cap_ceiling_tokens"]  # decode steps per request, at least
    bytes_ = steps * F["weight_read_min_bytes"] + F["kv_bytes_moved"]
    t = np.maximum(F["flops"] / (tp * F["peak_ceiling"]), bytes_ / (tp * F["hbm_bytes_per_s"]))
    return F["output_len"] / t * F["replicas"]


def ceiling_tokens_per_s(m: Measurement) -> float:
    """Physical upper bound on a run's total output tokens/s: no engine can beat it (§30.3, §30.4).

    Per replica and per request of I prompt and O output tokens, the run must at least:

    * do the FLOPs: prefill 2 x (active params - embeddings) x I + the output head once + causal
      attention 2 x layers x heads x head_dim x I (I + 1); then O - 1 decode tokens, each
      2 x (active params - input embedding) + attention 4 x layers x heads x head_dim x context;
    * move the bytes: write the KV of I + O - 1 tokens, read each decode token's whole cache
      (sum of contexts S = (O-1) I + (O-1) O / 2), and read the weights once per decode step --
      only the weights every step needs (dense: all but the input embedding table; MoE: the
      shared weights plus k experts per layer, the fewest any routing can touch);
    * fit in memory: a step decodes at most one token per resident sequence and the residents'
      contexts sum to at most the KV capacity (all HBM, read as GiB, minus the weights), so the
      number of decode steps is at least N x S / capacity for N requests -- the largest batch
      memory allows at the average context I + O/2, without rounding it down.

    Prefill can hide inside memory-bound decode steps (chunked prefill), so the time is bounded by
    the larger of FLOPs / peak and bytes / bandwidth, not their sum; peaks are datasheet dense
    rates of the fastest format no narrower than the weights or KV (:func:`ceiling_peak_flops`),
    bandwidth the datasheet HBM rate; TP communication, scheduling and kernel launches count as
    zero. On-chip caches (tens of MB) are ignored: they cannot hold a step's weights or cache.
    """
    if not isinstance(m, Measurement):
        raise ValueError(f"m must be a Measurement (from read_measurements), got {m!r}")
    return float(_ceiling(_stack([m]))[0])


def _mid_parts(F: dict, p) -> dict:
    """Per-request seconds of the realistic model, part by part (vectorised)."""
    tp, o = F["tp"], F["output_len"]
    cap = (p.memory_fraction * tp * F["hbm_physical_bytes"] - F["weight_bytes"]) / F["kv_bytes_per_token"]
    batch = np.maximum(cap / F["avg_context"], 1.0)  # at least one sequence: the run happened
    moe = F["shared_read_bytes"] + F["expert_layer_bytes"] * F["n_experts"] * (
        1 - (1 - F["experts_per_token"] / F["n_experts"]) ** batch)  # uniform routing
    w_read = np.where(F["is_moe"] > 0, moe, F["weight_read_min_bytes"])
    steps = (o - 1) / batch
    memory_s = (steps * w_read + F["kv_bytes_moved"]) / (tp * F["hbm_bytes_per_s"] * p.mbu)
    compute_s = F["flops"] / (tp * F["peak_real"] * p.mfu)
    link = F["link_bytes_per_s"] * p.link_efficiency
    ring = 2 * (tp - 1) / tp * F["hidden_size"] * 2  # bytes per token per all-reduce (bf16 activations)
    comm_step = np.where(tp > 1, 2 * F["n_layers"] * (p.allreduce_latency_s + ring * batch / link), 0.0)
    comm_prefill = np.where(tp > 1, 2 * F["n_layers"] * ring * F["input_len"] / link, 0.0)
    return {"batch": batch, "decode_steps": steps, "memory_s": memory_s, "compute_s": compute_s,
            "overhead_s": steps * p.step_overhead_s, "comm_s": steps * comm_step + comm_prefill}


def _mid(F: dict, p) -> np.ndarray:
    """Vectorised realistic estimate of total output tokens/s at profile ``p`` (see EfficiencyProfile)."""
    q = _mid_parts(F, p)
    t = np.maximum(q["memory_s"], q["compute_s"]) + q["overhead_s"] + q["comm_s"]
    return F["output_len"] / t * F["replicas"]


def explain(measurements, profile=None) -> pd.DataFrame:
    """Where the time goes in each row's realistic estimate: seconds per request and replica, by part (§30.4).

    Columns: row, batch (sequences in flight), decode_steps (per request), memory_s, compute_s
    (the larger of the two counts, as they overlap), overhead_s (per-step overhead), comm_s (TP
    all-reduces), bound ("memory" or "compute"), prefill_flop_share (of the request's FLOPs).
    """
    ms = read_measurements(measurements)
    cols = ["row", "batch", "decode_steps", "memory_s", "compute_s", "overhead_s", "comm_s", "bound",
            "prefill_flop_share"]
    if not len(ms):
        return pd.DataFrame(columns=cols)
    F = _stack(ms.measurements)
    q = _mid_parts(F, _profile(profile))
    i = F["input_len"]
    prefill = 2 * F["body_params"] * i + 2 * F["head_params"] + 2 * F["attn_width"] * i * (i + 1)
    df = pd.DataFrame({k: q[k] for k in ("batch", "decode_steps", "memory_s", "compute_s", "overhead_s",
                                         "comm_s")})
    df.insert(0, "row", [m.row for m in ms.measurements])
    df["bound"] = np.where(q["memory_s"] >= q["compute_s"], "memory", "compute")
    df["prefill_flop_share"] = prefill / F["flops"]
    return df[cols]


# ---------------------------------------------------------------- predictions

@dataclass(frozen=True)
class Prediction:
    """Ceiling and low/mid/high output tokens/s for one row, next to the measured figure (§30.4)."""

    row: int
    measured: float
    ceiling: float
    low: float
    mid: float
    high: float

    @property
    def under_ceiling(self) -> bool:
        return self.measured <= self.ceiling

    @property
    def in_band(self) -> bool:
        return self.low <= self.measured <= self.high

    @property
    def error(self) -> float:
        """Signed relative error of mid: (mid - measured) / measured."""
        return (self.mid - self.measured) / self.measured

    def to_dict(self) -> dict:
        return {"row": self.row, "measured": self.measured, "ceiling": self.ceiling, "low": self.low,
                "mid": self.mid, "high": self.high}


def _profile(profile):
    from .calibration import DEFAULT_PROFILE, EfficiencyProfile

    if profile is None:
        return DEFAULT_PROFILE
    if not isinstance(profile, EfficiencyProfile):
        raise ValueError(f"profile must be an EfficiencyProfile (from costlib.calibration), got {profile!r}")
    return profile


def predict(measurements, profile=None) -> list[Prediction]:
    """Predictions for every usable row of a measurement table (skipped rows are left out) (§30.4)."""
    ms = read_measurements(measurements)
    p = _profile(profile)
    if not len(ms):
        return []
    F = _stack(ms.measurements)
    ceil = _ceiling(F)
    mid = np.minimum(_mid(F, p), ceil)
    low = mid * p.band_low
    high = np.minimum(mid * p.band_high, ceil)  # physics first: never above the ceiling
    return [Prediction(row=m.row, measured=m.measured_tokens_per_s, ceiling=float(c), low=float(lo),
                       mid=float(mi), high=float(hi))
            for m, c, lo, mi, hi in zip(ms.measurements, ceil, low, mid, high, strict=True)]


def predict_row(gpu, model, *, tp=1, n_gpus=None, weights="bf16", kv=None, input_len=1000,
                output_len=1000, measured_tokens_per_s=None, profile=None) -> Prediction:
    """Ceiling and low/mid/high total output tokens/s for one deployment and request shape (§30.4).

    ``n_gpus`` defaults to ``tp`` (one replica). Raises ValueError naming the parameter for bad
    input, or "does not fit: ..." when the weights and one sequence exceed all of HBM.
    """
    n = tp if n_gpus is None else n_gpus
    rec = {"gpu": gpu, "model": model, "tp": tp, "n_gpus": n, "weight_dtype": weights,
           "kv_dtype": weights if kv is None else kv, "input_len": input_len, "output_len": output_len,
           "output_tokens_per_s": 1.0 if measured_tokens_per_s is None else measured_tokens_per_s}
    for key in ("gpu", "model", "weight_dtype", "kv_dtype"):
        val = rec[key]
        if not isinstance(val, str):
            if key in ("gpu", "model") and hasattr(val, "id"):
                rec[key] = val.id
            elif key in ("weight_dtype", "kv_dtype") and hasattr(val, "bytes_per_value"):
                rec[key] = val.name
            else:
                raise ValueError(f"{key} must be a catalog id string, got {val!r}")
    for key in ("tp", "n_gpus", "input_len", "output_len"):
        v.integer(key, rec[key], low=1, scalar=True)
    if measured_tokens_per_s is not None:
        v.number("measured_tokens_per_s", measured_tokens_per_s, scalar=True)
    m = _measurement(0, {k: str(val) for k, val in rec.items()})
    pred = predict(MeasurementSet(1, (m,), ()), profile)[0]
    if measured_tokens_per_s is None:
        pred = Prediction(row=0, measured=math.nan, ceiling=pred.ceiling, low=pred.low, mid=pred.mid,
                          high=pred.high)
    return pred


@dataclass(frozen=True)
class ValidationReport:
    """Predicted vs measured for a whole table: the figures of ``python -m costlib validate`` (§30.4)."""

    rows: int
    skipped: tuple
    predictions: tuple
    measurements: tuple = field(repr=False, default=())
    profile: object = field(repr=False, default=None)

    @property
    def predicted(self) -> int:
        return len(self.predictions)

    def _fraction(self, attr):
        if not self.predictions:
            return None
        return sum(bool(getattr(p, attr)) for p in self.predictions) / len(self.predictions)

    @property
    def under_ceiling(self):
        """Fraction of predicted rows with measured <= ceiling (None if nothing was predicted)."""
        return self._fraction("under_ceiling")

    @property
    def in_band(self):
        """Fraction of predicted rows with low <= measured <= high."""
        return self._fraction("in_band")

    @property
    def median_abs_error(self):
        """Median of |mid - measured| / measured."""
        if not self.predictions:
            return None
        return float(np.median([abs(p.error) for p in self.predictions]))

    def to_dict(self) -> dict:
        """Exactly the keys of the issue: rows, predicted, skipped, under_ceiling, in_band, median_abs_error, predictions."""
        return {"rows": self.rows, "predicted": self.predicted, "skipped": [dict(s) for s in self.skipped],
                "under_ceiling": self.under_ceiling, "in_band": self.in_band,
                "median_abs_error": self.median_abs_error,
                "predictions": [p.to_dict() for p in self.predictions]}

    def to_frame(self) -> pd.DataFrame:
        """One row per prediction, with the row's deployment and shape, measured/ceiling and the mid error."""
        df = pd.DataFrame([p.to_dict() for p in self.predictions],
                          columns=["row", "measured", "ceiling", "low", "mid", "high"])
        meta = pd.DataFrame([{"row": m.row, "gpu": m.gpu, "model": m.model, "weights": m.weights,
                              "kv": m.kv, "n_gpus": m.n_gpus, "tp": m.tp, "input_len": m.input_len,
                              "output_len": m.output_len, "shape": m.shape} for m in self.measurements],
                            columns=["row", "gpu", "model", "weights", "kv", "n_gpus", "tp", "input_len",
                                     "output_len", "shape"])
        df = meta.merge(df, on="row", how="right") if len(meta) else df
        df["measured_over_ceiling"] = df["measured"] / df["ceiling"]
        # a right merge keeps the predictions' order: the rows line up with self.predictions
        df["error"] = [p.error for p in self.predictions]
        df["in_band"] = [p.in_band for p in self.predictions]
        return df

    def summary(self, by=("gpu", "model")) -> pd.DataFrame:
        """Per-group rows, median/max measured/ceiling, share in band and median |error| of mid."""
        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["rows", "median_measured_over_ceiling", "max_measured_over_ceiling",
                                         "in_band", "median_abs_error"])
        by = [by] if isinstance(by, str) else list(by)
        g = df.assign(abs_error=df["error"].abs()).groupby(by, sort=True)
        return pd.DataFrame({"rows": g.size(), "median_measured_over_ceiling": g["measured_over_ceiling"].median(),
                             "max_measured_over_ceiling": g["measured_over_ceiling"].max(),
                             "in_band": g["in_band"].mean(), "median_abs_error": g["abs_error"].median()})


def validate(measurements, profile=None) -> ValidationReport:
    """Read a measurement table (CSV path or DataFrame), predict every row, compare (§30.4).

    ``profile`` (an EfficiencyProfile) sets low/mid/high; default: costlib's profile calibrated on
    the bundled TensorRT-LLM data (:data:`costlib.calibration.DEFAULT_PROFILE`).
    """
    ms = read_measurements(measurements)
    p = _profile(profile)
    preds = predict(ms, p)
    return ValidationReport(rows=ms.rows_read, skipped=ms.skipped, predictions=tuple(preds),
                            measurements=ms.measurements, profile=p)
