"""Hardware, model, precision and price catalogs read from costlib/data/*.csv (§30.2, §30.5, §30.8)."""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from costlib.common import checks as v
from costlib.common.csvdata import frame, is_missing, rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GPUSpec", "ModelSpec", "Precision", "PRECISIONS",
    "gpus", "models", "gpu_prices", "api_prices", "tiers", "measured",
    "get_gpu", "get_model", "get_precision", "get_api_price", "api_price_row", "gpu_usd_per_hour",
    "gpu_ids", "model_ids", "api_ids", "tier_fractions", "api_self_hostable_model",
]

# The lookups below (get_gpu, get_model, prices, tiers) read the CSVs as rows with the standard
# library (costlib.common.csvdata.rows); only the functions that return a DataFrame import pandas,
# so the calculator app's kernel never loads it.


@functools.lru_cache(maxsize=None)
def _frame(name: str) -> pd.DataFrame:
    return frame(name)


def gpus() -> pd.DataFrame:
    """The GPU catalog as a DataFrame (dense TFLOP/s, decimal GB, TB/s) (§30.8)."""
    return _frame("gpus.csv").copy()


def models() -> pd.DataFrame:
    """The model catalog as a DataFrame, with parameter counts computed from the architecture (§30.3)."""
    df = _frame("models.csv").copy()
    df["params_b"] = [get_model(i).n_params / 1e9 for i in df["id"]]
    df["active_params_b"] = [get_model(i).n_active_params / 1e9 for i in df["id"]]
    return df


def gpu_prices() -> pd.DataFrame:
    """GPU $/hour ranges by procurement tier, with sources (§30.2)."""
    return _frame("gpu_prices.csv").copy()


def api_prices() -> pd.DataFrame:
    """API $/million tokens with separate input and output prices (§30.5, §30.7)."""
    return _frame("api_prices.csv").copy()


def measured() -> pd.DataFrame:
    """Published max-throughput results (TensorRT-LLM perf overview v0.17, Jan 2025) for calibration (§30.4)."""
    return _frame("measured.csv").copy()


def tiers() -> pd.DataFrame:
    """Procurement tiers as fractions of the on-demand price (§30.2)."""
    return _frame("tiers.csv").copy()


@functools.lru_cache(maxsize=None)
def _gpu_rows() -> MappingProxyType:
    """GPU id -> its row of gpus.csv."""
    return MappingProxyType({r["id"]: r for r in rows("gpus.csv")})


@functools.lru_cache(maxsize=None)
def _model_rows() -> MappingProxyType:
    """Model id -> its row of models.csv."""
    return MappingProxyType({r["id"]: r for r in rows("models.csv")})


# ---------------------------------------------------------------- precisions

@dataclass(frozen=True)
class Precision:
    """A number format for weights or KV cache: bytes per value and the tensor-core rate it uses (§30.5)."""

    name: str
    bytes_per_value: float
    flops_column: str  # column of gpus.csv whose peak rate applies to matmuls in this format

    @property
    def bits(self) -> float:
        return self.bytes_per_value * 8


PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", 2.0, "bf16_tflops"),
    "fp16": Precision("fp16", 2.0, "bf16_tflops"),
    "fp8": Precision("fp8", 1.0, "fp8_tflops"),
    "int8": Precision("int8", 1.0, "int8_tops"),
    # weight-only 4-bit (AWQ/GPTQ style): matmuls run in 16-bit after dequantization
    "int4": Precision("int4", 0.5, "bf16_tflops"),
    "fp4": Precision("fp4", 0.5, "fp4_tflops"),
}


def get_precision(name, *, group_size: int | None = None, scale_bytes: float = 2.0) -> Precision:
    """Look up a precision; int4/fp4 accept a group size that adds one scale per group (§30.5).

    With ``group_size=128`` and 2-byte scales, int4 costs 0.5 + 2/128 = 0.515625 bytes per weight.
    """
    if isinstance(name, Precision):
        return name
    key = v.choice("precision", name, PRECISIONS)
    p = PRECISIONS[key]
    s = v.number("scale_bytes", scale_bytes, low=0.0, low_inclusive=True, scalar=True)  # even if unused
    if group_size is not None:
        if key not in ("int4", "fp4", "int8", "fp8"):
            raise ValueError(f"group_size applies to quantized formats (int4, fp4, int8, fp8), not {key!r}")
        g = v.integer("group_size", group_size, low=1, scalar=True)
        p = Precision(f"{key}-g{g}", p.bytes_per_value + s / g, p.flops_column)
    return p


# ---------------------------------------------------------------- GPUs

# Next wider compute formats to try, in order, when a GPU lacks a precision's tensor cores.
_COMPUTE_FALLBACK = {"fp4_tflops": ("fp8_tflops",)}

@dataclass(frozen=True)
class GPUSpec:
    """One accelerator: memory, bandwidth, dense peak rates and interconnect, in SI units (§30.8)."""

    id: str
    name: str
    hbm_bytes: float
    hbm_bytes_per_s: float
    link_bytes_per_s: float  # per-GPU, per-direction TP interconnect bandwidth
    interconnect: str
    tdp_w: float
    family: str = ""  # architecture (Ampere, Ada, Hopper, Blackwell, ...): validation groups by it
    # precision column -> dense FLOP/s; formats the chip lacks are absent
    peak_flops: dict = field(default_factory=dict, hash=False)
    source: str = ""
    as_of: str = ""

    def flops_for(self, precision) -> float:
        """Dense peak FLOP/s for matmuls in this precision, or the next wider format the GPU has (§30.8).

        Without the precision's own tensor cores the weights are widened before the matmul: fp4
        falls back to fp8 (then bf16), as 4-bit weights run with 8-bit activations on Hopper or
        Ada; every other format falls back to bf16 (e.g. fp8 weights on an A100).
        """
        p = get_precision(precision)
        for col in (p.flops_column, *_COMPUTE_FALLBACK.get(p.flops_column, ())):
            if col in self.peak_flops:
                return self.peak_flops[col]
        return self.peak_flops["bf16_tflops"]

    def supports(self, precision) -> bool:
        """Whether the GPU has native tensor-core support for this precision's matmuls."""
        return get_precision(precision).flops_column in self.peak_flops

    def with_(self, **changes) -> GPUSpec:
        """A copy with some fields replaced, e.g. ``gpu.with_(hbm_bytes_per_s=3e12)`` (chapter's 3 TB/s)."""
        fields = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"unknown GPU field(s) {', '.join(unknown)}; valid: {', '.join(fields)}")
        for k, val in changes.items():
            if k in ("hbm_bytes", "hbm_bytes_per_s", "link_bytes_per_s", "tdp_w"):
                changes[k] = v.number(k, val)
            elif k == "peak_flops":
                if not isinstance(val, dict) or "bf16_tflops" not in val:
                    raise ValueError(f"peak_flops must be a dict with at least 'bf16_tflops' (FLOP/s), "
                                     f"got {val!r}")
                changes[k] = {c: v.number(f"peak_flops[{c!r}]", x) for c, x in val.items()}
        return dataclasses.replace(self, **changes)

    @property
    def hbm_gb(self) -> float:
        return self.hbm_bytes / 1e9

    @property
    def hbm_tb_per_s(self) -> float:
        return self.hbm_bytes_per_s / 1e12


def gpu_ids() -> list[str]:
    return list(_gpu_rows())


def _lookup(kind: str, name, ids: list[str], aliases: dict[str, str] | None = None) -> str:
    if not isinstance(name, str):
        raise ValueError(f"{kind} must be a catalog id string, got {name!r}. Valid: {', '.join(ids)}")
    table = {i.lower(): i for i in ids}
    if aliases:
        table.update({a.lower(): t for a, t in aliases.items()})
    key = name.strip().lower()
    if key in table:
        return table[key]
    import difflib

    # ids that start with / contain what was typed come first ("a100" -> A100-SXM-*, "h200" ->
    # H200-SXM before GH200), then spelling neighbours ("h100sxm" -> H100-SXM)
    prefix = [k for k in table if len(key) >= 2 and k.startswith(key)]
    inside = [k for k in table if len(key) >= 3 and key in k and k not in prefix]
    fuzzy = difflib.get_close_matches(key, list(table), n=3, cutoff=0.5)
    close = list(dict.fromkeys(prefix + inside + fuzzy))[:3]
    names = []
    for c in close:
        canon = table[c]
        label = canon if c == canon.lower() else c
        if label not in names:
            names.append(label)
    hint = f" Did you mean {' or '.join(names)}?" if names else ""
    raise ValueError(f"unknown {kind} {name!r}.{hint} Valid: {', '.join(ids)}")


@functools.lru_cache(maxsize=None)
def _gpu(gid: str) -> GPUSpec:
    row = _gpu_rows()[gid]
    flops = {}
    for col in ("bf16_tflops", "fp8_tflops", "int8_tops", "fp4_tflops"):
        val = row[col]
        if not is_missing(val):
            flops[col] = float(val) * 1e12
    return GPUSpec(
        id=gid, name=row["name"], hbm_bytes=float(row["hbm_gb"]) * 1e9,
        hbm_bytes_per_s=float(row["hbm_tb_per_s"]) * 1e12, peak_flops=flops,
        link_bytes_per_s=float(row["link_gb_per_s"]) * 1e9, interconnect=row["interconnect"],
        tdp_w=float(row["tdp_w"]), family=str(row["family"]), source=row["source"], as_of=str(row["as_of"]),
    )


def get_gpu(name, **overrides) -> GPUSpec:
    """Look up a GPU by id (case-insensitive); keyword overrides replace fields (§30.8).

    ``get_gpu("h100-sxm", hbm_bytes_per_s=3e12)`` reproduces the chapter's rounded 3 TB/s.
    """
    if isinstance(name, GPUSpec):
        g = name
    else:
        g = _gpu(_lookup("gpu", name, gpu_ids()))
    return g.with_(**overrides) if overrides else g


# ---------------------------------------------------------------- models

@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer's architecture; parameter counts are computed from it (§30.3).

    ``head_dim`` and ``n_kv_heads`` are given explicitly, never derived from hidden/heads.
    """

    id: str
    name: str
    n_layers: int
    hidden_size: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    ffn_size: int
    vocab_size: int
    n_experts: int = 1
    experts_per_token: int = 1
    tied_embeddings: bool = False
    qkv_bias: bool = False
    max_context: int = 4096
    source: str = ""
    as_of: str = ""

    def __post_init__(self):
        for f in ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim", "ffn_size",
                  "vocab_size", "n_experts", "experts_per_token", "max_context"):
            v.integer(f, getattr(self, f), low=1)
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})")
        if self.experts_per_token > self.n_experts:
            raise ValueError(f"experts_per_token ({self.experts_per_token}) must be <= n_experts ({self.n_experts})")

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 1

    @property
    def embedding_params(self) -> int:
        """Input embedding plus output head (one matrix if tied)."""
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)

    @property
    def attention_params_per_layer(self) -> int:
        q = self.hidden_size * self.n_heads * self.head_dim
        kv = 2 * self.hidden_size * self.n_kv_heads * self.head_dim
        o = self.n_heads * self.head_dim * self.hidden_size
        bias = (self.n_heads + 2 * self.n_kv_heads) * self.head_dim if self.qkv_bias else 0
        return q + kv + o + bias

    @property
    def expert_params(self) -> int:
        """One gated MLP (gate, up, down projections)."""
        return 3 * self.hidden_size * self.ffn_size

    @property
    def shared_params(self) -> int:
        """Parameters every token uses: embeddings, attention, norms, routers."""
        router = self.hidden_size * self.n_experts if self.is_moe else 0
        per_layer = self.attention_params_per_layer + 2 * self.hidden_size + router
        return self.embedding_params + self.n_layers * per_layer + self.hidden_size

    @property
    def n_params(self) -> int:
        """Total parameter count."""
        return self.shared_params + self.n_layers * self.n_experts * self.expert_params

    @property
    def n_active_params(self) -> int:
        """Parameters used per token (for MoE: only the routed experts)."""
        return self.shared_params + self.n_layers * self.experts_per_token * self.expert_params


def model_ids() -> list[str]:
    return list(_model_rows())


@functools.lru_cache(maxsize=None)
def _model_aliases() -> dict[str, str]:
    out = {}
    for row in _model_rows().values():
        if isinstance(row["aliases"], str):
            for a in row["aliases"].split(";"):
                out[a.strip()] = row["id"]
    return out


@functools.lru_cache(maxsize=None)
def _model(mid: str) -> ModelSpec:
    row = _model_rows()[mid]
    ints = {k: int(row[k]) for k in ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim",
                                      "ffn_size", "vocab_size", "n_experts", "experts_per_token",
                                      "max_context")}
    return ModelSpec(id=mid, name=row["name"], tied_embeddings=bool(row["tied_embeddings"]),
                     qkv_bias=bool(row["qkv_bias"]), source=row["source"], as_of=str(row["as_of"]),
                     **ints)


def get_model(name) -> ModelSpec:
    """Look up a model by id or alias (case-insensitive), e.g. ``get_model("llama-3.3-70b")`` (§30.3)."""
    if isinstance(name, ModelSpec):
        return name
    return _model(_lookup("model", name, model_ids(), _model_aliases()))


# ---------------------------------------------------------------- prices

def api_ids() -> list[str]:
    return list(_api_rows())


@functools.lru_cache(maxsize=None)
def _api_rows() -> dict:
    return {r["id"]: r for r in rows("api_prices.csv")}


def api_price_row(name) -> dict:
    """Every column of one API's row in api_prices.csv (NaN where a cell is empty), by id (§30.5)."""
    return dict(_api_rows()[_lookup("api", name, api_ids())])


def get_api_price(name) -> dict:
    """One API's input and output $/million tokens, with source and as_of (§30.5)."""
    aid = _lookup("api", name, api_ids())
    row = _api_rows()[aid]
    return {"id": aid, "provider": row["provider"], "model": row["model"],
            "usd_per_million_input": float(row["usd_per_million_input"]),
            "usd_per_million_output": float(row["usd_per_million_output"]),
            "source": row["source"], "as_of": str(row["as_of"])}


def api_name(name) -> str:
    """An API as people name it, from the price catalog: "Together AI · Llama 3.3 70B Instruct Turbo" (§30.5)."""
    a = get_api_price(name)
    return f"{a['provider']} · {a['model']}"


@functools.lru_cache(maxsize=None)
def _tier_fractions() -> dict[str, tuple[float, float]]:
    """tier -> (low, high) fraction of the on-demand price, read once."""
    return {r["tier"]: (float(r["fraction_of_on_demand_low"]), float(r["fraction_of_on_demand_high"]))
            for r in rows("tiers.csv")}


def tier_fractions() -> dict[str, tuple[float, float]]:
    """Procurement tier -> (low, high) fraction of the on-demand price (§30.2)."""
    return dict(_tier_fractions())


def api_self_hostable_model(name) -> str | None:
    """The catalog model id an API serves when its weights are open (None for a closed model) (§30.7)."""
    val = api_price_row(name)["self_hostable_model"]
    return val if isinstance(val, str) and val else None


@functools.lru_cache(maxsize=None)
def _price_ranges() -> dict[tuple[str, str], tuple[float, float]]:
    """(gpu id, tier) -> (low, high) $/hour, read once."""
    return {(r["gpu"], r["tier"]): (float(r["usd_per_hour_low"]), float(r["usd_per_hour_high"]))
            for r in rows("gpu_prices.csv")}


def gpu_usd_per_hour(gpu, tier: str = "on_demand", point: str = "mid") -> float:
    """A GPU's $/hour for a procurement tier; tiers without a listed price derive from on-demand (§30.2).

    ``point`` is ``"low"``, ``"mid"`` or ``"high"`` within the published range.
    """
    g = get_gpu(gpu)
    t = v.choice("tier", tier, list(_tier_fractions()) + ["owned"])
    pt = v.choice("point", point, ["low", "mid", "high"])
    ranges = _price_ranges()

    def pick(lo, hi):
        return {"low": lo, "mid": (lo + hi) / 2, "high": hi}[pt]

    if (g.id, t) in ranges:
        return pick(*ranges[(g.id, t)])
    if (g.id, "on_demand") not in ranges:
        raise ValueError(f"gpu {g.id!r} has no on-demand price in the catalog")
    if t == "owned":
        raise ValueError(f"gpu {g.id!r} has no owned-cost row; use cost.owned_usd_per_gpu_hour()")
    od_lo, od_hi = ranges[(g.id, "on_demand")]
    f_lo, f_hi = _tier_fractions()[t]
    lo, hi = od_lo * f_lo, od_hi * f_hi
    return pick(min(lo, hi), max(lo, hi))
