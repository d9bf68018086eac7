"""A deployment: one model replica on TP GPUs with chosen weight and KV precisions (§30.3)."""
from __future__ import annotations

from dataclasses import dataclass

from costlib.catalog.tables import GPUSpec, ModelSpec, Precision, get_gpu, get_model, get_precision
from costlib.common import checks as v
from costlib.common.fmt import gpu_name

__all__ = ["Deployment", "deployment", "valid_tp", "deployment_arg"]

DEFAULT_MEMORY_FRACTION = 0.95  # share of HBM the serving engine may use (TensorRT-LLM/vLLM style)
DEFAULT_RESERVE_BYTES = 1e9  # per GPU, for activations, CUDA context and workspaces


def valid_tp(model, max_tp: int = 8) -> list[int]:
    """Tensor-parallel degrees that split the model's KV heads evenly, up to max_tp (§30.3)."""
    m = get_model(model)
    mt = v.integer("max_tp", max_tp, low=1, scalar=True)
    return [t for t in range(1, min(mt, m.n_kv_heads) + 1) if m.n_kv_heads % t == 0]


@dataclass(frozen=True)
class Deployment:
    """One replica: a model on ``tp`` GPUs, weights and KV cache in given precisions (§30.3).

    Build it with :func:`deployment`, which accepts catalog ids and checks every input.
    """

    model: ModelSpec
    gpu: GPUSpec
    tp: int = 1
    weights: Precision = get_precision("bf16")
    kv: Precision = get_precision("bf16")
    memory_fraction: float = DEFAULT_MEMORY_FRACTION
    reserve_bytes: float = DEFAULT_RESERVE_BYTES

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "model", get_model(self.model))
        set_(self, "gpu", get_gpu(self.gpu))
        for name in ("weights", "kv"):
            try:
                set_(self, name, get_precision(getattr(self, name)))
            except ValueError as e:  # name the parameter, not just "precision"
                raise ValueError(f"{name}: {e}") from None
        tp = v.integer("tp", self.tp, low=1, scalar=True)
        if self.model.n_kv_heads % tp:
            raise ValueError(
                f"tp must divide the KV heads of {self.model.id} ({self.model.n_kv_heads}); got {tp}. "
                f"Valid: {', '.join(map(str, valid_tp(self.model, self.model.n_kv_heads)))}")
        set_(self, "tp", tp)
        set_(self, "memory_fraction", v.fraction("memory_fraction", self.memory_fraction, scalar=True))
        set_(self, "reserve_bytes", v.number("reserve_bytes", self.reserve_bytes, low=0.0,
                                             low_inclusive=True, scalar=True))

    @property
    def name(self) -> str:
        """The deployment as people say it, from the catalogs' names: "Llama 3.1 70B FP8 on 2x H100 SXM" (§30.3)."""
        kv = "" if self.kv.name == self.weights.name else f" (KV {self.kv.name.upper()})"
        return f"{self.model.name} {self.weights.name.upper()}{kv} on {self.tp}x {gpu_name(self.gpu.id)}"

    @property
    def label(self) -> str:
        """The deployment in catalog ids, for machine-readable output: "llama-3.1-70b fp8 on 2xH100-SXM" (§30.3)."""
        kv = "" if self.kv.name == self.weights.name else f", KV {self.kv.name}"
        return f"{self.model.id} {self.weights.name}{kv} on {self.tp}x{self.gpu.id}"

    def with_(self, **changes) -> Deployment:
        """A copy with some fields replaced (ids accepted), e.g. ``dep.with_(weights="fp8")``."""
        import dataclasses

        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown Deployment field(s) {', '.join(unknown)}; valid: model, gpu, tp, "
                             "weights, kv, memory_fraction, reserve_bytes")
        return dataclasses.replace(self, **changes)


def deployment(model, gpu, tp: int = 1, weights="bf16", kv=None, *,
               memory_fraction: float = DEFAULT_MEMORY_FRACTION,
               reserve_bytes: float = DEFAULT_RESERVE_BYTES, **gpu_overrides) -> Deployment:
    """Build a :class:`Deployment` from catalog ids; ``kv`` defaults to bf16 (§30.3).

    Extra keywords override GPU fields, e.g. ``hbm_bytes_per_s=3e12`` for the chapter's 3 TB/s.
    """
    g = get_gpu(gpu, **gpu_overrides)
    return Deployment(model=model, gpu=g, tp=tp, weights=weights,
                      kv="bf16" if kv is None else kv,
                      memory_fraction=memory_fraction, reserve_bytes=reserve_bytes)


def deployment_arg(value, name: str = "dep"):
    """Check a Deployment was passed (not an id string, a dict or None)."""
    if not isinstance(value, Deployment):
        raise ValueError(f"{name} must be a Deployment, built with costlib.deployment(model, gpu, tp, "
                         f"weights, kv); got {value!r}")
    return value
