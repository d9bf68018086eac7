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
  those that fit, each at the largest batch that fits.

Assumptions the chapter leaves open (ours, stated once): sequences of ``CONTEXT_TOKENS`` = 2,048
tokens, batches capped at ``BATCH_CAP`` = 256 (the largest batch the chapter uses), KV cache in
bf16 (costlib's default; fp8-KV figures are quoted in ``why`` where they change the picture),
costlib's mid-range MBU/MFU (§30.4) and memory defaults (95% of HBM minus 1 GB per GPU), and the
chapter's own $/GPU-hour figures.

Verdicts
--------
``"correct"`` within 2% of the recomputed value (``REL_TOL_CORRECT``); ``"rounded"`` within 10%
(``REL_TOL_ROUNDED``); ``"wrong"`` beyond that. For a range claim (``chapter_low`` <
``chapter_high``; ``chapter_value`` is then the midpoint) the recomputed value must fall inside the
range (``"correct"``), or within 10% of its nearer end (``"rounded"``). ``"physically impossible"``
comes from a failed memory fit. ``"inconsistent"`` marks a number that clashes with another figure
of the chapter (e.g. mixed price bases); where that takes judgement rather than a rule, the row's
``rule`` column says ``override`` and records what the plain tolerance rule would have said.

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
from costlib.teaching.chapter.configs import cheapest_deployment
from costlib.teaching.chapter.inputs import (
    BATCH_CAP,
    CONTEXT_TOKENS,
    CQ1,
    CQ2,
    CQ3,
    CQ4,
    EXERCISES,
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
    "relative_error", "judge_value", "judge_range", "cheapest_deployment",
    "claims", "claim", "claim_ids", "claims_markdown", "verdict_counts", "format_claim_number",
    "format_chapter_figure",
]
