"""Published runs as data: read a measurement table, check every row, skip bad ones with a reason (§30.4).

Three kinds of row (column ``kind``, or ``scenario`` in the max-throughput tables):

* ``max_throughput``: total output tokens/s of ``n_gpus`` GPUs (``n_gpus / tp`` replicas) batching as
  many requests as memory allows (``output_tokens_per_s``);
* ``static_batch``: output tokens/s of a fixed ``batch`` of requests started together;
* ``prefill_bs1``: the time to first token ``ttft_ms`` of one prompt alone.

Precision columns may be named ``weight_dtype``/``kv_dtype`` or ``weights``/``kv``. Row numbers are
0-based indices of the data rows, as in ``pandas.read_csv(FILE).index``.
"""
from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..catalog.deployment import Deployment
from ..catalog.tables import get_gpu, get_model, get_precision
from ..physics.replica import replica_spec, stack

__all__ = ["KINDS", "REQUIRED_COLUMNS", "Measurement", "MeasurementSet", "read_measurements"]

KINDS = ("max_throughput", "static_batch", "prefill_bs1")
REQUIRED_COLUMNS = ("gpu", "n_gpus", "tp", "model", "input_len", "output_len")
_ALIASES = {"weight_dtype": "weights", "kv_dtype": "kv", "scenario": "kind"}


def _whole(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) and not (
            isinstance(value, float) and math.isfinite(value) and value == int(value)):
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    if value < low or value > 1e9:
        raise ValueError(f"{name} must be a whole number in [{low}, 1e9], got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Measurement:
    """One published run: deployment, request shape, kind and the measured figure (§30.4).

    Built by hand or by :func:`read_measurements`, it is checked the same way: a bad field raises a
    ValueError that names it.
    """

    row: int
    gpu: str
    model: str
    weights: str
    kv: str
    n_gpus: int
    tp: int
    input_len: int
    output_len: int
    measured: float  # output tokens/s (max_throughput, static_batch) or seconds to first token (prefill_bs1)
    kind: str = "max_throughput"
    batch: int | None = None
    source: str = ""

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "kind", _kind(self.kind))
        set_(self, "gpu", get_gpu(self.gpu).id)
        set_(self, "model", get_model(self.model).id)
        for name in ("weights", "kv"):
            try:
                set_(self, name, get_precision(getattr(self, name)).name)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
        for name in ("n_gpus", "tp", "input_len", "output_len"):
            set_(self, name, _whole(name, getattr(self, name)))
        if self.n_gpus % self.tp:
            raise ValueError(f"n_gpus ({self.n_gpus}) must be a multiple of tp ({self.tp})")
        m = get_model(self.model)
        if m.n_kv_heads % self.tp:
            raise ValueError(f"tp ({self.tp}) must divide the {m.n_kv_heads} KV heads of {m.id}")
        if self.input_len + self.output_len > m.max_context:
            raise ValueError(f"input_len + output_len = {self.input_len + self.output_len:,} exceeds the "
                             f"{m.max_context:,}-token context of {m.id}")
        if self.kind == "static_batch":
            set_(self, "batch", _whole("batch", self.batch))
        elif self.batch is not None:
            set_(self, "batch", _whole("batch", self.batch))
        x = self.measured
        if isinstance(x, bool) or not isinstance(x, (int, float, np.number)) or not math.isfinite(x) or x <= 0:
            raise ValueError(f"measured must be a positive finite number, got {x!r}")
        set_(self, "measured", float(x))

    @property
    def replicas(self) -> int:
        return self.n_gpus // self.tp

    @property
    def shape(self) -> str:
        return f"{self.input_len}/{self.output_len}"

    @property
    def family(self) -> str:
        return get_gpu(self.gpu).family

    def deployment(self) -> Deployment:
        return _deployment(self.model, self.gpu, self.tp, self.weights, self.kv)


@functools.lru_cache(maxsize=4096)
def _deployment(model, gpu, tp, weights, kv) -> Deployment:
    return Deployment(model, gpu, tp, weights, kv)


def _kind(value) -> str:
    k = str(value).strip().lower() if value is not None else ""
    if k in ("", "max_throughput", "max-throughput", "throughput"):
        return "max_throughput"
    if k in ("static_batch", "static", "fixed_batch"):
        return "static_batch"
    if k in ("prefill_bs1", "prefill"):
        return "prefill_bs1"
    raise ValueError(f"scenario/kind {value!r} is not one of {', '.join(KINDS)} (the kinds of run modelled)")


@dataclass(frozen=True)
class MeasurementSet:
    """Rows read from a measurement table: the usable ones and, for the others, why they were skipped."""

    rows_read: int
    measurements: tuple
    skipped: tuple  # of {"row": i, "reason": "..."}

    def __len__(self) -> int:
        return len(self.measurements)

    def only(self, kind: str) -> MeasurementSet:
        k = _kind(kind)
        return MeasurementSet(self.rows_read, tuple(m for m in self.measurements if m.kind == k), self.skipped)

    def subset(self, mask) -> MeasurementSet:
        keep = np.flatnonzero(np.asarray(mask))
        return MeasurementSet(len(keep), tuple(self.measurements[i] for i in keep), ())

    def measured(self) -> np.ndarray:
        return np.array([m.measured for m in self.measurements], dtype=float)

    def groups(self, by: str) -> np.ndarray:
        key = {"family": "family", "gpu": "gpu", "model": "model", "shape": "shape"}.get(str(by).lower())
        if key is None:
            raise ValueError(f"unknown by {by!r}. Valid: family, gpu, model, shape")
        return np.array([getattr(m, key) for m in self.measurements], dtype=object)

    def stacked(self, ideal: bool = False) -> dict:
        """The rows' ReplicaSpecs stacked into arrays, with lengths and replica counts (for vectorised fits)."""
        ms = self.measurements
        return {"spec": stack(replica_spec(m.deployment(), ideal=ideal) for m in ms),
                "input_len": np.array([m.input_len for m in ms], dtype=float),
                "output_len": np.array([m.output_len for m in ms], dtype=float),
                "replicas": np.array([m.replicas for m in ms], dtype=float)}

    def to_frame(self) -> pd.DataFrame:
        cols = ["row", "kind", "gpu", "model", "weights", "kv", "n_gpus", "tp", "input_len", "output_len",
                "batch", "measured", "source"]
        return pd.DataFrame([{c: getattr(m, c) for c in cols} for m in self.measurements], columns=cols)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(name: str, raw) -> float:
    text = _text(raw).replace(",", "")
    if not text:
        raise ValueError(f"{name} is missing")
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {text!r}")
    if x > 1e12:
        raise ValueError(f"{name} is implausibly large: {text!r}")
    return x


def _count(name: str, raw) -> int:
    x = _number(name, raw)
    if x != math.floor(x):
        raise ValueError(f"{name} must be a whole number >= 1, got {_text(raw)!r}")
    return int(x)


def _row(i: int, rec: dict) -> Measurement:
    rec = {_ALIASES.get(k, k): val for k, val in rec.items()}
    missing = [c for c in (*REQUIRED_COLUMNS, "weights", "kv") if not _text(rec.get(c))]
    if missing:
        raise ValueError(f"missing value(s): {', '.join(missing)}")
    kind = _kind(_text(rec.get("kind")))
    batch = None
    if kind == "prefill_bs1":
        measured = _number("ttft_ms", rec.get("ttft_ms")) / 1e3
    else:
        measured = _number("output_tokens_per_s", rec.get("output_tokens_per_s"))
    if kind == "static_batch":
        batch = _count("batch", rec.get("batch"))
    m = Measurement(row=i, gpu=_text(rec["gpu"]), model=_text(rec["model"]), weights=_text(rec["weights"]),
                    kv=_text(rec["kv"]), n_gpus=_count("n_gpus", rec["n_gpus"]), tp=_count("tp", rec["tp"]),
                    input_len=_count("input_len", rec["input_len"]),
                    output_len=_count("output_len", rec["output_len"]), measured=measured, kind=kind,
                    batch=batch, source=_text(rec.get("source")))
    return m


def read_measurements(source) -> MeasurementSet:
    """Read a measurement CSV (path) or DataFrame; bad rows are skipped with a reason, never raised (§30.4).

    Raises ValueError only for the table itself: a missing or unreadable file, no header, or
    required columns missing (the message names them).
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
    names = {_ALIASES.get(h, h) for h in header}
    missing = [c for c in (*REQUIRED_COLUMNS, "weights", "kv") if c not in names]
    if missing:
        shown = [{"weights": "weight_dtype (or weights)", "kv": "kv_dtype (or kv)"}.get(c, c) for c in missing]
        raise ValueError(f"the measurement table lacks required column(s) {', '.join(shown)}")
    good, skipped = [], []
    for i, rec in enumerate(records):
        if None in rec:
            skipped.append({"row": i, "reason": f"{len(rec[None])} more field(s) than the header"})
            continue
        try:
            good.append(_row(i, rec))
        except ValueError as e:
            skipped.append({"row": i, "reason": " ".join(str(e).split())})
    return MeasurementSet(rows_read=len(records), measurements=tuple(good), skipped=tuple(skipped))
