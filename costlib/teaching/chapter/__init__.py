"""The chapter's inputs as named constants; each numeric claim re-derived and judged (§30.1-§30.11).

Chapter 30 ("Cost modeling for inference: tokens, GPUs, dollars") is the workbook's syllabus, not
its source of truth. Its *inputs* live in ``costlib/data/chapter_inputs.yaml`` (``S30_1`` ...
``S30_11`` for the sections, ``P1`` ... ``P7`` for the practice problems, ``CQ1`` ... ``CQ4`` for
the concept checks), so that notebooks, exercises and solutions never retype them; the claims it
states are rows of ``costlib/data/chapter_claims.yaml``, and :func:`claims` re-derives each number
with costlib and says whether it holds.

How a claim is re-derived
-------------------------
* **Arithmetic claims** (the chapter works a formula with its own inputs) are recomputed with the
  same inputs through costlib's formula functions. The verdict then says whether the arithmetic
  holds, nothing more.
* **Configuration claims** name a model, a precision and a number of GPUs ("70B on a single
  H100"). Memory is checked first (:func:`costlib.physics.memory.fit`); a configuration that does not fit
  is ``"physically impossible"`` whatever its arithmetic. ``recomputed_value`` is then either the
  chapter's own arithmetic (for formula outputs) or costlib's value on the *smallest* tensor-
  parallel degree that does fit; ``why`` says which.
* **Comparisons between options** with no GPU count (precision, model size, GPU type) put every
  option on its *cost-optimal* deployment: the tensor-parallel degree with the lowest $/M among
  those that fit, each at the engine's memory-limited batch.
* **Throughput and $/M claims** are judged on the one engine (:func:`costlib.economics.quote.quote`
  on :func:`costlib.estimate.predict.predict`): its calibrated low-high band, the one notebook 11
  checks against published runs, with the physics ceiling quoted beside it. A figure inside the band
  is ``"correct"``. Where the verdict hinges on a choice the chapter leaves open (an FP8 or a bf16
  KV cache), each reading is judged, the row is judged under the one that suits the chapter best,
  its ``condition`` column names it, and ``why`` starts with the verdict under each reading
  ("Wrong with a bf16 KV cache, about right with an FP8 KV cache").

Assumptions the chapter leaves open (ours, stated once): requests of ``INPUT_TOKENS`` +
``OUTPUT_TOKENS`` = 1,024 + 1,024 tokens, so each sequence reaches ``CONTEXT_TOKENS`` = 2,048
tokens; the engine's memory-limited batch (no cap); KV cache in bf16 unless a row names both; the
calibrated profile's band; the chapter's own $/GPU-hour figures. Memory-fit verdicts use
:func:`costlib.physics.memory.fit` (95% of HBM minus 1 GB per GPU).

Verdicts
--------
``"correct"`` within 2% of the recomputed value (``REL_TOL_CORRECT``), or inside the engine's band
for a band claim; ``"rounded"`` within 10% (``REL_TOL_ROUNDED``, of the band's nearer end for a band
claim); ``"wrong"`` beyond that. For a range claim (``chapter_low`` <
``chapter_high``; ``chapter_value`` is then the midpoint) the recomputed value must fall inside the
range (``"correct"``), or within 10% of its nearer end (``"rounded"``). ``"physically impossible"``
comes from a failed memory fit. ``"inconsistent"`` marks a number that clashes with another figure
of the chapter (e.g. mixed price bases); where that takes judgement rather than a rule, the row's
``rule`` column says ``override`` and records what the plain tolerance rule would have said.
Columns ``band_low`` / ``band_high`` hold the engine's band of a band claim (NaN otherwise).

Modules: ``inputs`` (the records and their loader), ``verdicts`` (the rules and the judged row),
``configs`` (the deployments claims compare), ``text`` (number formatting), ``rows_early`` /
``rows_late`` (the re-derivations), ``claims`` (the table and its views).
"""
from __future__ import annotations

from costlib.teaching.chapter.claims import (
    claim,
    claim_ids,
    claims,
    claims_markdown,
    format_chapter_figure,
    format_claim_number,
    verdict_counts,
)
from costlib.teaching.chapter.configs import cheapest_deployment, engine_quote, smallest_deployment
from costlib.teaching.chapter.inputs import (
    BATCH_CAP,
    CONTEXT_TOKENS,
    CQ1,
    CQ2,
    CQ3,
    CQ4,
    EXERCISES,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    P7,
    S30_1,
    S30_2,
    S30_3,
    S30_4,
    S30_5,
    S30_6,
    S30_7,
    S30_8,
    S30_9,
    S30_10,
    S30_11,
    SECTIONS,
    ApiRow,
    CostRow,
    HardwareRow,
    Inputs,
    OnDemandRow,
    UnknownName,
)
from costlib.teaching.chapter.verdicts import (
    COLUMNS,
    REL_TOL_CORRECT,
    REL_TOL_ROUNDED,
    VERDICTS,
    judge_band,
    judge_range,
    judge_value,
    relative_error,
)

__all__ = [
    "Inputs", "UnknownName", "OnDemandRow", "CostRow", "ApiRow", "HardwareRow",
    "S30_1", "S30_2", "S30_3", "S30_4", "S30_5", "S30_6", "S30_7", "S30_8", "S30_9", "S30_10",
    "S30_11",
    "P1", "P2", "P3", "P4", "P5", "P6", "P7", "CQ1", "CQ2", "CQ3", "CQ4", "SECTIONS", "EXERCISES",
    "CONTEXT_TOKENS", "BATCH_CAP", "REL_TOL_CORRECT", "REL_TOL_ROUNDED", "VERDICTS", "COLUMNS",
    "relative_error", "judge_value", "judge_range", "judge_band", "cheapest_deployment",
    "smallest_deployment", "engine_quote", "INPUT_TOKENS", "OUTPUT_TOKENS",
    "claims", "claim", "claim_ids", "claims_markdown", "verdict_counts", "format_claim_number",
    "format_chapter_figure",
]
