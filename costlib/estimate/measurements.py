"""Published runs as rows: the measurement schema, one row's checks, and the table reader (§30.4)."""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass

import pandas as pd

from costlib.catalog.tables import get_gpu, get_model, get_precision
from costlib.estimate.features import features, physical_hbm_bytes

__all__ = ['REQUIRED_COLUMNS', 'SCENARIO', 'Measurement', 'MeasurementSet', 'parse_measurement', 'read_measurements']

REQUIRED_COLUMNS = ("gpu", "n_gpus", "tp", "model", "weight_dtype", "kv_dtype", "input_len",
                    "output_len", "output_tokens_per_s")


SCENARIO = "max_throughput"  # the only scenario the max-batch model describes


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


def parse_measurement(i: int, rec: dict) -> Measurement:
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
    f = features(m)
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
            good.append(parse_measurement(i, rec))
        except ValueError as e:
            skipped.append({"row": i, "reason": " ".join(str(e).split())})
    return MeasurementSet(rows_read=len(records), measurements=tuple(good), skipped=tuple(skipped))
