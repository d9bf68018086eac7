"""The chapter's inputs as read-only named records, loaded from costlib/data/chapter_inputs.yaml (§30.1-§30.11)."""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from importlib import resources
from typing import NamedTuple

import yaml

__all__ = [
    "Inputs", "UnknownName", "unknown_name", "OnDemandRow", "CostRow", "ApiRow", "HardwareRow",
    "load_blocks", "BLOCKS", "CONTEXT_TOKENS", "INPUT_TOKENS", "OUTPUT_TOKENS", "BATCH_CAP",
    "S30_1", "S30_2", "S30_3", "S30_4", "S30_5", "S30_6", "S30_7", "S30_8", "S30_9", "S30_10",
    "S30_11", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "CQ1", "CQ2", "CQ3", "CQ4", "SECTIONS",
    "EXERCISES",
]

# ---------------------------------------------------------------- our assumptions

CONTEXT_TOKENS = 2048  # tokens per sequence for every KV-cache check (the chapter never states one)
INPUT_TOKENS = CONTEXT_TOKENS // 2  # a request's prompt on the engine: the sequence's first half
OUTPUT_TOKENS = CONTEXT_TOKENS - INPUT_TOKENS  # and its output, so the KV cache grows to CONTEXT_TOKENS
# Kept for the notebooks outside the teaching layer until they move to the engine (issue #13); the
# teaching layer no longer caps batches: the engine's memory-limited batch is the one used.
BATCH_CAP = 256

DATA_FILE = "chapter_inputs.yaml"


# ---------------------------------------------------------------- read-only input records

class UnknownName(KeyError, AttributeError, ValueError):
    """Raised for a name that is not in a section's inputs or in the claims table (§30.1-§30.11)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def unknown_name(kind: str, name, valid, listing: str | None = None) -> UnknownName:
    """An UnknownName error naming up to three close matches (§30.1-§30.11)."""
    valid = list(valid)
    close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return UnknownName(f"unknown {kind} {name!r}.{hint} {listing or 'Valid: ' + ', '.join(valid)}")


class Inputs(Mapping):
    """Read-only inputs of a section or exercise: ``S30_6.mfu`` or ``S30_6["mfu"]`` (§30.1-§30.11).

    Names starting with ``claimed_`` are figures the chapter states (what :func:`claims` checks);
    the others are the inputs it computes from. Units are in the names.
    """

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, **values):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))

    @property
    def name(self) -> str:
        return self._name

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise unknown_name(f"input of {self._name}", key, self._values) from None

    def __getitem__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise unknown_name(f"input of {self._name}", key, self._values) from None

    def __contains__(self, key) -> bool:
        return key in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setattr__(self, key, value):
        raise AttributeError(f"{self._name} is read-only; change a copy: dict({self._name})")

    def __delattr__(self, key):
        raise AttributeError(f"{self._name} is read-only")

    def __reduce__(self):
        return (make_inputs, (self._name, tuple(self._values.items())))

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Inputs({self._name}: {body})"


def make_inputs(name, items) -> Inputs:
    """Rebuild an Inputs from (name, items) (what pickling uses) (§30.1-§30.11)."""
    return Inputs(name, **dict(items))


class OnDemandRow(NamedTuple):
    """One row of the chapter's on-demand price table (§30.2)."""

    gpu: str
    usd_per_hour_low: float
    usd_per_hour_high: float


class CostRow(NamedTuple):
    """One row of the chapter's $/M table for 70B serving (§30.5)."""

    key: str
    weights: str
    gpu: str
    n_gpus: int
    utilization: float
    usd_per_million: float


class ApiRow(NamedTuple):
    """One row of the chapter's API price table, with the catalog ids it refers to (§30.5)."""

    key: str
    api_ids: tuple
    usd_per_million_low: float
    usd_per_million_high: float


class HardwareRow(NamedTuple):
    """One row of the chapter's GPU comparison table for 70B decode-heavy serving (§30.8)."""

    gpu: str
    hbm_gb: float
    hbm_tb_per_s: float
    usd_per_hour: float
    usd_per_million: float


ROW_TYPES = {t.__name__: t for t in (OnDemandRow, CostRow, ApiRow, HardwareRow)}


def _value(v):
    """A YAML value as the chapter's Python value: lists become tuples, tagged maps table rows."""
    if isinstance(v, list):
        return tuple(_value(x) for x in v)
    if isinstance(v, dict):
        fields = dict(v)
        kind = fields.pop("row", None)
        if kind not in ROW_TYPES:
            raise ValueError(f"{DATA_FILE}: a mapping needs row: one of {', '.join(ROW_TYPES)}, "
                             f"got {kind!r}")
        return ROW_TYPES[kind](**{k: _value(x) for k, x in fields.items()})
    return v


def load_blocks(text: str | None = None) -> dict[str, Inputs]:
    """Every input block of chapter_inputs.yaml (or of ``text``) as Inputs, by name (§30.1-§30.11)."""
    if text is None:
        text = resources.files("costlib.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    blocks = yaml.safe_load(text)["blocks"]
    out = {}
    for key, body in blocks.items():
        body = dict(body)
        name = body.pop("name")
        out[key] = Inputs(name, **{k: _value(v) for k, v in body.items()})
    return out


BLOCKS = load_blocks()

# ---------------------------------------------------------------- the chapter's inputs, by section
S30_1, S30_2, S30_3, S30_4, S30_5, S30_6 = (BLOCKS[f"S30_{i}"] for i in range(1, 7))
S30_7, S30_8, S30_9, S30_10, S30_11 = (BLOCKS[f"S30_{i}"] for i in range(7, 12))
# ---------------------------------------------------------------- practice problems, concept checks
P1, P2, P3, P4, P5, P6, P7 = (BLOCKS[f"P{i}"] for i in range(1, 8))
CQ1, CQ2, CQ3, CQ4 = (BLOCKS[f"CQ{i}"] for i in range(1, 5))

SECTIONS = {s.name: s for s in (S30_1, S30_2, S30_3, S30_4, S30_5, S30_6, S30_7, S30_8, S30_9,
                                S30_10, S30_11)}
EXERCISES = {s.name: s for s in (P1, P2, P3, P4, P5, P6, P7, CQ1, CQ2, CQ3, CQ4)}
