"""Verdict rules and the judged row: a claim's data (costlib/data/chapter_claims.yaml) plus its re-derivation (§30.1-§30.11)."""
from __future__ import annotations

import math
from importlib import resources

import yaml

from costlib.teaching.chapter.inputs import BLOCKS

__all__ = ["REL_TOL_CORRECT", "REL_TOL_ROUNDED", "VERDICTS", "COLUMNS", "relative_error",
           "judge_value", "judge_range", "judge_band", "claim_data", "chapter_figure", "Recorder"]

REL_TOL_CORRECT = 0.02
REL_TOL_ROUNDED = 0.10
VERDICTS = ("correct", "rounded", "inconsistent", "wrong", "physically impossible")
COLUMNS = ["id", "section", "claim", "chapter_value", "chapter_low", "chapter_high", "unit",
           "recomputed_value", "verdict", "rule", "why", "band_low", "band_high", "condition"]
DATA_FILE = "chapter_claims.yaml"


def relative_error(chapter_value, recomputed_value) -> float:
    """|chapter - recomputed| / |recomputed|; inf if only recomputed is 0 (§30.1-§30.11)."""
    c, r = float(chapter_value), float(recomputed_value)
    if r == 0:
        return 0.0 if c == 0 else math.inf
    return abs(c - r) / abs(r)


def judge_value(chapter_value, recomputed_value) -> str:
    """"correct" within 2%, "rounded" within 10%, else "wrong" (§30.1-§30.11)."""
    e = relative_error(chapter_value, recomputed_value)
    if e <= REL_TOL_CORRECT:
        return "correct"
    return "rounded" if e <= REL_TOL_ROUNDED else "wrong"


def judge_range(low, high, recomputed_value) -> str:
    """"correct" in [low, high], "rounded" within 10% of its nearer end, else "wrong" (§30.1)."""
    lo, hi, r = float(low), float(high), float(recomputed_value)
    if lo > hi:
        raise ValueError(f"range low ({lo:g}) must not exceed high ({hi:g})")
    if lo <= r <= hi:
        return "correct"
    return judge_value(lo if r < lo else hi, r)


def judge_band(low, high, band_low, band_high) -> str:
    """"correct" if the chapter's [low, high] meets the engine's band, else the tolerance rule on the nearer ends (§30.4)."""
    lo, hi, b_lo, b_hi = (float(x) for x in (low, high, band_low, band_high))
    if lo > hi or b_lo > b_hi:
        raise ValueError(f"a range needs low <= high, got [{lo:g}, {hi:g}] and band [{b_lo:g}, {b_hi:g}]")
    if hi >= b_lo and lo <= b_hi:
        return "correct"
    return judge_value(hi, b_lo) if hi < b_lo else judge_value(lo, b_hi)


_RANK = {"correct": 0, "rounded": 1, "wrong": 2}
_WORDS = {"correct": "right", "rounded": "about right", "wrong": "wrong"}


def _band_verdict(lo: float, hi: float, bands: dict) -> tuple[str, str, float, tuple, str]:
    """The best verdict over the readings the chapter leaves open, its condition and a sentence naming each."""
    judged = {c: judge_band(lo, hi, b[0], b[2]) for c, b in bands.items()}
    cond = min(judged, key=lambda c: _RANK[judged[c]])  # the first listed among the best
    verdict, (b_lo, mid, b_hi) = judged[cond], bands[cond]
    if len(set(judged.values())) > 1:
        said = ", ".join(f"{_WORDS[v]} with {c}" for c, v in judged.items())
        lead = f"{said[0].upper()}{said[1:]}. "
    else:
        lead = ""
    return verdict, cond, mid, (b_lo, b_hi), lead


# ---------------------------------------------------------------- the claims' data

def claim_data(text: str | None = None) -> dict[str, dict]:
    """Every claim row of chapter_claims.yaml (or of ``text``), by id, in chapter order (§30.1-§30.11)."""
    if text is None:
        text = resources.files("costlib.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = yaml.safe_load(text)["claims"]
    out = {}
    for r in rows:
        if r["id"] in out:
            raise ValueError(f"{DATA_FILE}: claim id {r['id']!r} appears twice")
        out[r["id"]] = r
    return out


def _lookup(path: str):
    """The input at "BLOCK.name[.index][.field]" of chapter_inputs.yaml."""
    block, *parts = path.split(".")
    value = BLOCKS[block]
    for p in parts:
        value = value[int(p)] if p.isdigit() else getattr(value, p)
    return value


def chapter_figure(spec):
    """The chapter's figure a claim row names: a number or a (low, high) range (§30.1-§30.11)."""
    if isinstance(spec, bool) or spec is None:
        raise ValueError(f"{DATA_FILE}: chapter must name a figure, got {spec!r}")
    if isinstance(spec, (int, float)):
        return spec
    if isinstance(spec, str):
        return _lookup(spec)
    if "ref" in spec:
        return _lookup(spec["ref"]) / spec["divide_by"]
    if "ratio" in spec:
        a, b = spec["ratio"]
        return _lookup(a) / _lookup(b)
    lo, hi = (_lookup(p) for p in spec["range"])
    return lo if lo == hi else (lo, hi)


class Recorder:
    """Appends judged claims of one section: the data from the YAML row, the numbers from the code."""

    def __init__(self, rows: list, section: str, data: dict[str, dict]):
        self.rows, self.section, self.data = rows, section, data

    def __call__(self, id_: str, recomputed, why: str, *, fit_result=None,
                 verdict: str | None = None, reason_args: dict | None = None,
                 bands: dict | None = None) -> None:
        """Append claim ``id_`` judged against ``recomputed``; ``why`` explains it.

        ``bands`` maps each reading the chapter leaves open (e.g. "a bf16 KV cache") to the engine's
        (low, mid, high): the claim is then judged against the band (:func:`judge_band`) under the
        reading that suits it best, ``recomputed`` becomes that band's mid, and ``why`` starts by naming
        the verdict under each reading when they differ.
        """
        d = self.data[id_]
        if d["section"] != self.section:
            raise ValueError(f"claim {id_} is in {d['section']}, not {self.section}")
        chapter = chapter_figure(d["chapter"])
        if isinstance(chapter, tuple):
            lo, hi = float(chapter[0]), float(chapter[1])
            value = (lo + hi) / 2
            auto, auto_rule = judge_range(lo, hi, recomputed), "range"
        else:
            lo = hi = value = float(chapter)
            auto, auto_rule = judge_value(value, recomputed), "tolerance"
        band, cond = (math.nan, math.nan), ""
        if bands:
            auto, cond, recomputed, band, lead = _band_verdict(lo, hi, bands)
            auto_rule = "calibrated band" + (f" ({cond})" if len(bands) > 1 else "")
            why = lead + why
        if fit_result is not None and not fit_result.fits:
            auto, auto_rule = "physically impossible", "fit"
        override = d.get("override")
        if override is not None:
            reason = override["reason"].format(**(reason_args or {}))
            final, final_rule = override["verdict"], f"override (by {auto_rule} alone: {auto})"
            why = f"{why} {reason}"
        elif verdict is not None:
            final, final_rule = verdict, d.get("rule") or "computed"
        else:
            final, final_rule = auto, auto_rule
        if final not in VERDICTS:
            raise ValueError(f"verdict {final!r} of {id_} is not one of {VERDICTS}")
        self.rows.append({"id": id_, "section": d["section"], "claim": d["claim"],
                          "chapter_value": value, "chapter_low": lo, "chapter_high": hi,
                          "unit": d["unit"], "recomputed_value": float(recomputed),
                          "verdict": final, "rule": final_rule, "why": why,
                          "band_low": float(band[0]), "band_high": float(band[1]), "condition": cond})
